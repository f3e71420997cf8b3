// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pgrex/pgrex/test/fakecrm/state"
)

// slots lists a node's replication slots as "name:active:reserved".
func (p *pair) slots(name string) []string {
	c := p.node(name).inst.Conn(p.t)
	rows, err := c.Query(p.t.Context(), "select slot_name || ':' || active || ':' || (restart_lsn is not null) from pg_replication_slots order by 1")
	require.NoError(p.t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		require.NoError(p.t, rows.Scan(&s))
		out = append(out, s)
	}
	require.NoError(p.t, rows.Err())
	return out
}

// TestSlotsReusedFormerPrimary: a former primary that rejoins as a standby
// without a rebuild (clean switchover) no longer carries the member slots
// it had as primary; slots that are not the agent's stay.
func TestSlotsReusedFormerPrimary(t *testing.T) {
	p := newPair(t)
	p.extra = []string{"OCF_RESKEY_replication_slot_name=pgrex"}
	p.cloneNode2()
	require.Equal(t, "node1", p.coldStart())
	assert.Equal(t, []string{"pgrex_node2:true:true"}, p.slots("node1"), "node2 streams through its slot")
	require.NoError(t, p.exec("node1", "select pg_create_physical_replication_slot('keepme', true); select pg_create_physical_replication_slot('pgrex_node3')"))

	// Switchover: node1 stops cleanly, node2 (which received node1's
	// shutdown checkpoint) is promoted.
	require.Equal(t, 0, p.demote("node1").RC)
	require.Equal(t, 0, p.stop("node1").RC)
	r := p.promote("node2")
	require.Equal(t, 0, r.RC, r.Stderr)
	p.monitorAll()
	assert.Equal(t, []string{"pgrex_node1:false:false"}, p.slots("node2"), "the promoted node has a slot for node1 that keeps no WAL yet")

	// The operator reuses node1 as it is: lock removed, started.
	require.NoError(t, os.Remove(filepath.Join(p.node("node1").inst.Tmp, "PGSQL.lock")))
	r = p.start("node1")
	require.Equal(t, 0, r.RC, r.Stderr)
	assert.Equal(t, []string{"keepme:false:true", "pgrex_node3:false:false"}, p.slots("node1"),
		"the member slot left from node1's time as primary is gone; other slots stay")
	p.until("node1 HS:sync", 30, func() bool { return p.status("node1") == "HS:sync" })
	assert.Equal(t, []string{"pgrex_node1:true:true"}, p.slots("node2"))
}

// TestSlotsGoneStandbyReleasesWAL: the primary keeps a crashed standby's
// slot (and its WAL) while Pacemaker still runs the standby, and releases
// it once the standby is stopped: WAL is recycled past the slot's old
// position. Observed in pg_replication_slots and pg_wal.
func TestSlotsGoneStandbyReleasesWAL(t *testing.T) {
	p := newPair(t)
	p.extra = []string{"OCF_RESKEY_replication_slot_name=pgrex"}
	// Only slots may keep WAL.
	p.node("node1").inst.AppendConf(t, "wal_keep_size = 0\n")
	p.cloneNode2()
	require.Equal(t, "node1", p.coldStart())

	// node2's server dies; Pacemaker has not noticed yet.
	p.node("node2").inst.Kill(t)
	for i := 0; i < 50 && p.data("node2") != "DISCONNECT"; i++ {
		require.Equal(t, 8, p.monitor("node1").RC)
		time.Sleep(200 * time.Millisecond)
	}
	require.Equal(t, "DISCONNECT", p.data("node2"))
	restart := p.queryString("node1", "select restart_lsn::text from pg_replication_slots where slot_name = 'pgrex_node2'")

	// WAL written meanwhile, segments switched, a checkpoint: which
	// segments at or before the slot's position are still in pg_wal?
	pinned := func() int {
		for i := 0; i < 4; i++ {
			require.NoError(t, p.exec("node1", "create table if not exists w(x int); insert into w select generate_series(1, 1000); select pg_switch_wal()"))
		}
		require.NoError(t, p.exec("node1", "checkpoint"))
		return p.queryInt("node1", "select count(*)::int from pg_ls_waldir() where name ~ '^[0-9A-F]{24}$' and name <= pg_walfile_name('"+restart+"')")
	}
	assert.Positive(t, pinned(), "the slot keeps node2's WAL")
	require.Equal(t, 8, p.monitor("node1").RC)
	assert.Equal(t, []string{"pgrex_node2:false:true"}, p.slots("node1"), "node2's instance still runs (for Pacemaker): it is expected back")
	assert.Equal(t, restart, p.queryString("node1", "select restart_lsn::text from pg_replication_slots where slot_name = 'pgrex_node2'"))

	// Pacemaker finds node2 stopped and stops its instance.
	require.Equal(t, 7, p.monitor("node2").RC)
	require.Equal(t, 0, p.stop("node2").RC)
	require.Equal(t, state.RoleStopped, p.role("node2"))
	require.Equal(t, 8, p.monitor("node1").RC)
	assert.Equal(t, []string{"pgrex_node2:false:false"}, p.slots("node1"), "released: the slot is there for node2 to return, but keeps no WAL")
	assert.Zero(t, pinned(), "WAL at node2's old position is recycled")
	assert.Equal(t, "PRI", p.status("node1"))
}
