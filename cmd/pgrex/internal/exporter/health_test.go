// SPDX-License-Identifier: Apache-2.0

package exporter

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/pgrex/pgrex/test/fixtures"
)

func TestDecide(t *testing.T) {
	for _, tc := range []struct {
		fixture, node string
		check         Check
		maxLag        int64
		pg            *PGFacts
		want          bool
	}{
		{"crm_mon-healthy.xml", "node1", CheckPrimary, -1, nil, true},
		{"crm_mon-healthy.xml", "node2", CheckPrimary, -1, nil, false},
		{"crm_mon-healthy.xml", "node1", CheckStandby, -1, nil, false},
		{"crm_mon-healthy.xml", "node2", CheckStandby, -1, nil, true},
		{"crm_mon-healthy.xml", "node2", CheckSync, -1, nil, true},
		{"crm_mon-healthy.xml", "node1", CheckHealthy, -1, nil, true},
		{"crm_mon-healthy.xml", "node2", CheckHealthy, -1, nil, true},
		{"crm_mon-healthy.xml", "node3", CheckPrimary, -1, nil, false},
		// A lag limit needs PostgreSQL: offline, no.
		{"crm_mon-healthy.xml", "node2", CheckStandby, 0, nil, false},
		{"crm_mon-healthy.xml", "node2", CheckStandby, 1000, &PGFacts{InRecovery: true, Streaming: true, PrimaryEnd: 2000, Replayed: 1500}, true},
		{"crm_mon-healthy.xml", "node2", CheckStandby, 100, &PGFacts{InRecovery: true, Streaming: true, PrimaryEnd: 2000, Replayed: 1500}, false},
		{"crm_mon-healthy.xml", "node2", CheckSync, 100, &PGFacts{InRecovery: true, Streaming: true, PrimaryEnd: 2000, Replayed: 1500}, false},
		// PostgreSQL overrides a stale attribute.
		{"crm_mon-healthy.xml", "node2", CheckStandby, -1, &PGFacts{InRecovery: true, Streaming: false}, false},
		{"crm_mon-healthy.xml", "node1", CheckPrimary, -1, &PGFacts{InRecovery: true}, false},
		{"crm_mon-healthy.xml", "node1", CheckPrimary, -1, &PGFacts{}, true},
		// The standby's replication link is cut: HS:alone.
		{"crm_mon-replication-link-cut.xml", "node1", CheckPrimary, -1, nil, true},
		{"crm_mon-replication-link-cut.xml", "node2", CheckStandby, -1, nil, false},
		{"crm_mon-replication-link-cut.xml", "node2", CheckSync, -1, nil, false},
		{"crm_mon-replication-link-cut.xml", "node1", CheckHealthy, -1, nil, false},
		// After the primary's kill -9, node2 is the primary.
		{"crm_mon-after-kill9-primary.xml", "node2", CheckPrimary, -1, nil, true},
		{"crm_mon-after-kill9-primary.xml", "node1", CheckPrimary, -1, nil, false},
		{"crm_mon-after-kill9-primary.xml", "node1", CheckStandby, -1, nil, false},
		{"crm_mon-healthy-node2-primary.xml", "node2", CheckPrimary, -1, nil, true},
		{"crm_mon-healthy-node2-primary.xml", "node1", CheckSync, -1, nil, true},
		{"pgrex-promote-failed-at-switchover.xml", "node1", CheckPrimary, -1, nil, false},
		{"pgrex-promote-failed-at-switchover.xml", "node2", CheckPrimary, -1, nil, false},
		{"pgrex-split-brain.xml", "node1", CheckPrimary, -1, nil, false},
		{"pgrex-split-brain.xml", "node2", CheckPrimary, -1, nil, false},
		{"pgrex-not-sync.xml", "node2", CheckStandby, -1, nil, true},
		{"pgrex-not-sync.xml", "node2", CheckSync, -1, nil, false},
		{"pgrex-not-sync.xml", "node1", CheckHealthy, -1, nil, false},
		{"pgrex-degraded-promoted-record.xml", "node1", CheckHealthy, -1, nil, true},
		{"pgrex-degraded-promoted-record.xml", "node2", CheckSync, -1, nil, true},
		// A diverged standby (HS:alone / DIVERGED) serves nobody.
		{"pgrex-diverged.xml", "node2", CheckStandby, -1, nil, false},
		{"pgrex-diverged.xml", "node1", CheckPrimary, -1, nil, true},
		{"pgrex-diverged.xml", "node1", CheckHealthy, -1, nil, false},
		// Pacemaker 1.1 says Master/Slave.
		{"pcmk11-healthy.xml", "pg-rex01", CheckPrimary, -1, nil, true},
		{"pcmk11-healthy.xml", "pg-rex02", CheckSync, -1, nil, true},
		{"pcmk11-kill9-primary.xml", "pg-rex01", CheckPrimary, -1, nil, false},
		{"pcmk11-kill9-primary.xml", "pg-rex02", CheckPrimary, -1, nil, true},
		// A fenced node is nothing.
		{"crm_mon-after-fencing.xml", "node1", CheckStandby, -1, nil, false},
		{"crm_mon-after-fencing.xml", "node2", CheckPrimary, -1, nil, true},
	} {
		s := offline(t, fixtures.Path(t, tc.fixture), tc.node)
		s.PG = tc.pg
		v := Decide(s, tc.check, tc.maxLag)
		assert.Equal(t, tc.want, v.OK, "%s on %s, %s max_lag=%d: %s", tc.fixture, tc.node, tc.check, tc.maxLag, v.Reason)
		assert.NotEmpty(t, v.Reason)
	}
}

func TestDecideWithoutSources(t *testing.T) {
	s := offline(t, fixtures.Path(t, "crm_mon-healthy.xml"), "node1")
	s.Errors[SourcePostgres] = errors.New("connection refused")
	v := Decide(s, CheckPrimary, -1)
	assert.False(t, v.OK, "PostgreSQL unreachable on the primary")
	assert.Contains(t, v.Reason, "connection refused")
	assert.True(t, Decide(s, CheckHealthy, -1).OK, "healthy is the cluster's state, not PostgreSQL's")

	s = &Snapshot{Node: "node1", Errors: map[Source]error{SourceCrmMon: errors.New("crm_mon: exit 102")}}
	for _, c := range Checks {
		v := Decide(s, c, -1)
		assert.False(t, v.OK, c)
		assert.Contains(t, v.Reason, "exit 102")
	}
}
