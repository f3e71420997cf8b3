// SPDX-License-Identifier: Apache-2.0

// Package procedure implements the PG-REX operating procedures that
// pg-rex_primary_start, pg-rex_standby_start, pg-rex_switchover and
// pg-rex_stop automate (docs/operations.md, "Procedures"; manual 4.2–4.6
// and 6.3), for pgrex's agent and the upstream pgsql agent on crmsh or pcs
// clusters.
//
// Every procedure has three layers:
//
//   - gather (Gatherer): the facts — this node's files and commands
//     (pgrep, pg_controldata, pg_waldump), the peer's over ssh (its
//     crm_mon, CIB, control file, the primary's PostgreSQL, its archive),
//     the cluster's crm_mon view. Nothing is changed.
//   - decide (DecidePrimaryStart, DecideStandbyStart, DecideSwitchover,
//     DecideStop): pure functions of the facts returning either refusals
//     or an ordered Plan of Steps with their descriptions, so every check
//     and every plan is unit-tested on facts alone.
//   - apply (Applier): runs a plan's steps through an Executor — Real runs
//     commands through ra/cmdrun (argument slices, deadlines, LC_ALL=C),
//     remote ones as `ssh -o BatchMode=yes HOST -- ARGV` with each argument
//     quoted for the remote shell — asking before every destructive step,
//     stopping at the first failure, and waiting (Waiter) for cluster
//     states with a bounded timeout on an injectable Clock.
//
// text.go and locktext.go render decisions, plans, progress and the lock
// for people through a msg.Printer; package main only picks text or JSON.
//
// What the procedures never do: delete data the plan does not name (an
// old data directory is moved aside unless the operator asked to delete
// it; an incomplete archive file is moved aside, never overwritten), copy
// archive files from a standby to the primary, start a second primary,
// or run anything after a refused check, a failed step or a "no".
package procedure
