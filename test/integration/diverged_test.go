// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDivergedStandbyDetected builds a diverged standby for real: the
// primary drops its cut-off standby from synchronous replication, commits
// on alone, and crashes; the operator forces the failover to the stale
// standby, then starts the old primary by hand without its PGSQL.lock —
// the mistake the lock exists to prevent. Its WAL goes on past the point
// where the new primary's timeline began, so it can never stream: its first
// monitor names it DIVERGED with score -INFINITY, the primary's monitor
// keeps that (not DISCONNECT), and a promotion of it is refused.
func TestDivergedStandbyDetected(t *testing.T) {
	p := newPair(t)
	p.cloneNode2()
	require.Equal(t, "node1", p.coldStart())
	require.NoError(t, p.exec("node1", "create table t(id int primary key); insert into t select generate_series(1, 10)"))
	crashPrimary(t, p, func() {
		p.until("node1 drops node2 from sync", 10, func() bool {
			p.monitor("node1")
			return p.repModeConf("node1") == "synchronous_standby_names = ''\n"
		})
		require.NoError(t, p.exec("node1", "insert into t values (1000)"))
		p.forceLatest("node2")
	})
	require.NoError(t, os.Remove(filepath.Join(p.node("node1").inst.Tmp, "PGSQL.lock")))
	r := p.start("node1")
	require.Equal(t, 0, r.RC, "start of the old primary as a standby: %s\n%s", r.ExitReason(), r.Stderr)

	r = p.monitor("node1")
	require.Equal(t, 0, r.RC, r.Stderr)
	assert.Equal(t, "DIVERGED", p.data("node1"), "the standby's own monitor finds it")
	assert.Equal(t, "-INFINITY", p.score("node1"))
	assert.Equal(t, "HS:alone", p.status("node1"))
	assert.Contains(t, r.Stderr, "beyond", "the log says where its WAL left the primary's history")
	marker, err := os.ReadFile(filepath.Join(p.node("node1").inst.Tmp, "diverged"))
	require.NoError(t, err, "the standby keeps why in its tmpdir")
	assert.Contains(t, string(marker), "where the primary's history left that timeline")

	r = p.monitor("node2")
	require.Equal(t, 8, r.RC, r.Stderr)
	assert.Equal(t, "DIVERGED", p.data("node1"), "the primary's monitor keeps DIVERGED")
	assert.Equal(t, "-INFINITY", p.score("node1"))
	r = p.monitor("node1")
	require.Equal(t, 0, r.RC, r.Stderr)
	assert.Equal(t, "DIVERGED", p.data("node1"), "stable across monitors")

	// The new primary goes away; a promotion of the diverged node (a
	// stale score, an operator's mistake) is refused.
	require.Equal(t, 0, p.demote("node2").RC)
	require.Equal(t, 0, p.stop("node2").RC)
	r = p.promote("node1")
	assert.Equal(t, 1, r.RC)
	assert.Contains(t, r.ExitReason(), "promote refused: this node's pgsql-data-status is DIVERGED")
	assert.Equal(t, "true", p.queryString("node1", "select pg_is_in_recovery()::text"), "node1 is still a standby")
	assert.False(t, p.lockExists("node1"), "a refused promote writes no lock")
}
