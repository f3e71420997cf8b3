// SPDX-License-Identifier: Apache-2.0

// Package attrd is pgrex's only door to Pacemaker's node attributes and
// cluster status.
//
// The agent keeps its replication state in node attributes — <rsc>-status,
// <rsc>-data-status, <rsc>-master-baseline, <rsc>-xlog-loc and the promotion
// score master-<rsc> — and PG-REX's operator tools read the same names, so
// their spelling and lifetimes are an external API (docs/compatibility.md,
// "Replication").
//
// Five things live here:
//
//   - names.go spells that vocabulary: the attribute names (Names) and the
//     values the agent writes into them (Status*, Data*, Score*,
//     Receiver*), for the agent and the tools alike.
//   - CRM talks to the real cluster: one crm_attribute call per attribute
//     operation (always with long options, see CRM), and Snapshot, one
//     crm_mon call that returns everything an agent invocation needs to know
//     about the cluster (nodes, their online state and attributes, resource
//     roles) as a Cluster value.
//   - the one crm_mon model: ParseCrmMon reads crm_mon's XML into a
//     Cluster (summary, nodes, resource instances, attributes, node
//     history, failures, bans, fencing) in one walk; the agent's Snapshot
//     and the tools' internal/status view both use it. dialect.go holds
//     the tools' spellings that differ between Pacemaker 1.1 and 2.x (the
//     crm_mon report, crm_resource --ban/--clear) and the one 1.1 probe.
//   - Fake is an in-memory stand-in with the same methods and the same
//     Pacemaker semantics, for unit tests of code that uses CRM.
//   - Cache is one agent invocation's view through a Store (CRM or Fake):
//     one snapshot, its own writes read back, writes only on change, every
//     call retried (Retry) within the invocation's deadline.
//
// CRM never retries; Retry repeats a call whose failure Transient judges
// able to pass (the cluster busy or reconnecting), within the caller's
// deadline less a reserve.
//
// The crm_mon XML parser (ParseCrmMon) works on bytes and runs nothing, so
// it is tested against captured output of real clusters in test/fixtures.
package attrd
