// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pgrex/pgrex/test/fakecrm/state"
	"github.com/pgrex/pgrex/test/pgtest"
)

// TestReplicationLifecycle walks the PG-REX life of a pair: cold start and
// election, synchronous replication, a replication cut and its repair, a
// primary crash and failover, the refused start of the old primary, and its
// rebuild into the new standby.
func TestReplicationLifecycle(t *testing.T) {
	p := newPair(t)
	p.extra = []string{"OCF_RESKEY_check_wal_receiver=true"}
	p.cloneNode2()

	// 1. Cold start: node1 has the newer data (its shutdown checkpoint
	// follows the backup), wins the election and becomes the primary.
	primary := p.coldStart()
	require.Equal(t, "node1", primary)
	assert.Equal(t, "PRI", p.status("node1"))
	assert.Equal(t, "LATEST", p.data("node1"))
	assert.Equal(t, "1000", p.score("node1"))
	assert.Equal(t, "HS:sync", p.status("node2"))
	assert.Equal(t, "STREAMING|SYNC", p.data("node2"))
	assert.Equal(t, "100", p.score("node2"))
	assert.True(t, p.lockExists("node1"), "promote creates PGSQL.lock")
	assert.False(t, p.lockExists("node2"))
	assert.NotEmpty(t, p.attr("node1", "pgsql-master-baseline"))
	assert.Empty(t, p.attr("node1", "pgsql-xlog-loc"), "xlog-loc is gone after the promotion")
	assert.Empty(t, p.attr("node2", "pgsql-xlog-loc"))
	assert.Equal(t, "normal (master)", p.attr("node1", "pgsql-receiver-status"))
	assert.Equal(t, "normal", p.attr("node2", "pgsql-receiver-status"))

	// 2. Synchronous replication: node2 is named, a commit reaches it.
	assert.Equal(t, "synchronous_standby_names = '\"node2\"'\n", p.repModeConf("node1"))
	assert.Equal(t, `"node2"`, p.queryString("node1", "show synchronous_standby_names"))
	// synchronous_commit=on waits for the standby's flush, not its replay: a
	// read on the standby right after it may not see the rows yet.
	// remote_apply waits for the replay, and only a synchronous standby makes
	// it wait, so the read below still proves node2 is the synchronous one.
	require.NoError(t, p.exec("node1", "set synchronous_commit = remote_apply; create table t(id int primary key); insert into t select generate_series(1, 100)"))
	assert.Equal(t, 100, p.queryInt("node2", "select count(*) from t"), "a remote_apply commit is visible on the synchronous standby at once")

	// A steady-state monitor writes nothing to the CIB, and reads it
	// once, with cibadmin (no scheduler run): the primary for the others'
	// state, the standby for its receiver-status (check_wal_receiver is
	// on here; without it a streaming standby reads nothing).
	before := len(p.fc.State(t).CallsTo("crm_attribute"))
	reads := func() (cib, mon int) {
		s := p.fc.State(t)
		return len(s.CallsTo("cibadmin")), len(s.CallsTo("crm_mon"))
	}
	cib0, mon0 := reads()
	p.monitorAll()
	p.monitorAll()
	after := p.fc.State(t).CallsTo("crm_attribute")
	for _, c := range after[before:] {
		assert.NotContains(t, strings.Join(c.Args, " "), "--update", "steady state must not write attributes: %v", c.Args)
	}
	cib1, mon1 := reads()
	assert.Equal(t, 4, cib1-cib0, "one CIB read per monitor")
	assert.Equal(t, 0, mon1-mon0, "no crm_mon in the steady state: %v", p.fc.State(t).CallsTo("crm_mon")[mon0:])

	// 3. Replication cut: the primary drops node2 from sync so that
	// commits do not hang, and node2 knows it is behind.
	p.vip.setCut(true)
	require.NoError(t, p.exec("node1", "select pg_terminate_backend(pid) from pg_stat_replication"))
	p.until("node2 DISCONNECT", 10, func() bool { return p.data("node2") == "DISCONNECT" })
	assert.Equal(t, "-INFINITY", p.score("node2"))
	assert.Equal(t, "synchronous_standby_names = ''\n", p.repModeConf("node1"))
	p.until("node2 HS:alone", 3, func() bool { return p.status("node2") == "HS:alone" })
	p.until("node2 receiver ERROR", 10, func() bool { return p.attr("node2", "pgsql-receiver-status") == "ERROR" })
	require.NoError(t, p.exec("node1", "insert into t values (101)"), "writes do not hang without a standby")
	assert.Equal(t, "PRI", p.status("node1"))
	assert.Equal(t, "1000", p.score("node1"))
	p.vip.setCut(false)
	p.until("node2 back to HS:sync", 30, func() bool { return p.status("node2") == "HS:sync" })
	assert.Equal(t, "STREAMING|SYNC", p.data("node2"))
	assert.Equal(t, "100", p.score("node2"))
	assert.Equal(t, 101, p.queryInt("node2", "select count(*) from t"))

	// 4. The primary crashes: monitor 7, Pacemaker demotes and stops it
	// and promotes node2, which has score 100. node1 keeps its lock.
	require.NoError(t, p.exec("node1", "insert into t values (102)"))
	require.NoError(t, syscall.Kill(p.node("node1").inst.PostmasterPID(), syscall.SIGKILL))
	require.Eventually(t, func() bool { return p.monitor("node1").RC == 7 }, 20*time.Second, 200*time.Millisecond)
	require.Equal(t, 0, p.demote("node1").RC)
	require.Equal(t, 0, p.stop("node1").RC)
	assert.Equal(t, "STOP", p.status("node1"))
	assert.Equal(t, "-INFINITY", p.score("node1"))
	assert.True(t, p.lockExists("node1"), "a crashed primary keeps PGSQL.lock")
	assert.Equal(t, "100", p.score("node2"), "the sync standby is promotable")
	r := p.promote("node2")
	require.Equal(t, 0, r.RC, r.Stderr)
	p.monitorAll()
	assert.Equal(t, "PRI", p.status("node2"))
	assert.Equal(t, "LATEST", p.data("node2"))
	assert.Equal(t, "1000", p.score("node2"))
	assert.Equal(t, "DISCONNECT", p.data("node1"))
	assert.True(t, p.lockExists("node2"))
	assert.Equal(t, 102, p.queryInt("node2", "select count(*) from t"), "no acknowledged commit is lost")
	assert.Equal(t, "synchronous_standby_names = ''\n", p.repModeConf("node2"))

	r = p.start("node1")
	assert.Equal(t, 1, r.RC)
	assert.Equal(t, "My data may be inconsistent. You have to remove "+filepath.Join(p.node("node1").inst.Tmp, "PGSQL.lock")+" file to force start.", r.ExitReason())
	assert.Equal(t, "STOP", p.status("node1"))
	assert.False(t, p.node("node1").inst.Running(), "a refused start starts nothing")

	// 5. The operator's procedure: rebuild node1 from node2, remove the
	// lock, start: node1 rejoins as the synchronous standby.
	p.node("node1").inst.BaseBackup(t, p.node("node2").inst)
	require.NoError(t, os.Remove(filepath.Join(p.node("node1").inst.Tmp, "PGSQL.lock")))
	r = p.start("node1")
	require.Equal(t, 0, r.RC, r.Stderr)
	p.until("node1 HS:sync", 30, func() bool { return p.status("node1") == "HS:sync" })
	assert.Equal(t, "STREAMING|SYNC", p.data("node1"))
	assert.Equal(t, "100", p.score("node1"))
	assert.Equal(t, "synchronous_standby_names = '\"node1\"'\n", p.repModeConf("node2"))
	require.NoError(t, p.exec("node2", "insert into t values (103)"))
	assert.Equal(t, 103, p.queryInt("node1", "select count(*) from t"))

	// A switchover by the operator (demote with a standby present): the
	// lock stays on the old primary, which must be rebuilt to rejoin.
	require.Equal(t, 0, p.demote("node2").RC)
	assert.True(t, p.lockExists("node2"), "demote with a standby running keeps the lock")
	assert.Equal(t, "STOP", p.status("node2"))
	require.Equal(t, 0, p.stop("node2").RC)
	require.Equal(t, 0, p.stop("node1").RC)
}

// TestReplicationLastNodeDemoteRemovesLock: a primary demoted while no
// standby runs (the last node standing, shut down cleanly) removes its lock.
func TestReplicationLastNodeDemoteRemovesLock(t *testing.T) {
	p := newPair(t)
	p.cloneNode2()
	primary := p.coldStart()
	other := "node2"
	if primary == "node2" {
		other = "node1"
	}
	require.Equal(t, 0, p.stop(other).RC)
	p.monitorAll()
	require.True(t, p.lockExists(primary))
	require.Equal(t, 0, p.demote(primary).RC)
	assert.False(t, p.lockExists(primary), "the last node standing leaves no lock")
	require.Equal(t, 0, p.stop(primary).RC)
}

// TestElectionNewestWins: node2 has written more WAL on the same
// timeline: node2 wins.
func TestElectionNewestWins(t *testing.T) {
	p := newPair(t)
	p.cloneNode2()
	// node2 runs alone for a while (crash recovery from the backup, same
	// timeline) and writes.
	p.pgctl("node2", "start")
	require.NoError(t, p.exec("node2", "create table ahead as select generate_series(1, 10000) id"))
	p.pgctl("node2", "-m", "fast", "stop")
	for _, n := range []string{"node1", "node2"} {
		require.Equal(t, 0, p.start(n).RC)
	}
	assert.Equal(t, "node2", p.elect())
	assert.Equal(t, "-INFINITY", p.score("node1"))
	// The loser learns it is behind: DISCONNECT, persisted.
	p.until("node1 DISCONNECT", 3, func() bool { return p.data("node1") == "DISCONNECT" })
	require.Equal(t, 0, p.promote("node2").RC)
	assert.Equal(t, "PRI", p.status("node2"))
}

// TestElectionOlderTimelineNeverWins: node1 has the larger LSN, but on
// timeline 1, which node2 left when it was promoted: node2 must win.
func TestElectionOlderTimelineNeverWins(t *testing.T) {
	p := newPair(t)
	p.cloneNode2()
	// node2 forks timeline 2 (promoted from the backup), writes a little.
	require.NoError(t, os.WriteFile(filepath.Join(p.node("node2").inst.Data, "standby.signal"), nil, 0o600))
	require.NoError(t, os.Chown(filepath.Join(p.node("node2").inst.Data, "standby.signal"), p.node("node2").inst.UID, p.node("node2").inst.GID))
	p.pgctl("node2", "start")
	p.pgctl("node2", "promote")
	require.NoError(t, p.exec("node2", "create table small as select 1 id"))
	p.pgctl("node2", "-m", "fast", "stop")
	// node1 stays on timeline 1 and writes much more.
	p.pgctl("node1", "start")
	require.NoError(t, p.exec("node1", "create table big as select generate_series(1, 200000) id"))
	p.pgctl("node1", "-m", "fast", "stop")

	for _, n := range []string{"node1", "node2"} {
		require.Equal(t, 0, p.start(n).RC)
	}
	winner := p.elect()
	// The location alone (all the shell agent compares) favours node1.
	assert.Greater(t, p.attr("node1", "pgsql-xlog-loc"), p.attr("node2", "pgsql-xlog-loc"), "node1 is ahead by location")
	assert.Equal(t, "1", p.attr("node1", "pgsql-xlog-tli"))
	assert.Equal(t, "2", p.attr("node2", "pgsql-xlog-tli"))
	assert.Equal(t, "node2", winner, "a later timeline beats a larger location")
	for i := 0; i < 4; i++ {
		p.monitorAll()
	}
	assert.NotEqual(t, "1000", p.score("node1"), "node1 never claims")
	assert.Equal(t, "DISCONNECT", p.data("node1"))
}

// TestReplicationFailuresAndTimeouts: a frozen postmaster (SIGSTOP) makes
// stop, demote, promote and monitor fail with the codes docs/compatibility.md
// lists, inside Pacemaker's timeout instead of hanging.
func TestReplicationFailuresAndTimeouts(t *testing.T) {
	p := newPair(t)
	p.cloneNode2()
	primary := p.coldStart()
	other := "node2"
	if primary == "node2" {
		other = "node1"
	}
	short := "OCF_RESKEY_CRM_meta_timeout=10000"

	freeze := func(name string) func() {
		pid := p.node(name).inst.PostmasterPID()
		require.NoError(t, syscall.Kill(pid, syscall.SIGSTOP))
		return func() { _ = syscall.Kill(pid, syscall.SIGCONT) }
	}

	// monitor of a frozen primary: 1 (not a hang, not "not running").
	thaw := freeze(primary)
	r := p.run(primary, "monitor", "OCF_RESKEY_CRM_meta_interval=9000", short)
	assert.Equal(t, 1, r.RC)
	assert.Contains(t, r.ExitReason(), "monitor failed")
	assert.Less(t, r.Duration, 10*time.Second)

	// demote of a frozen primary: 1 and UNKNOWN (Pacemaker fences).
	r = p.run(primary, "demote", append(p.notifyVars("pre", "demote", primary), short)...)
	assert.Equal(t, 1, r.RC)
	assert.Contains(t, r.ExitReason(), "still running")
	assert.Equal(t, "UNKNOWN", p.status(primary))
	assert.Less(t, r.Duration, 10*time.Second)
	thaw()

	// stop of a frozen standby: 1 and UNKNOWN.
	thaw = freeze(other)
	r = p.run(other, "stop", short)
	assert.Equal(t, 1, r.RC)
	assert.Equal(t, "UNKNOWN", p.status(other))
	assert.Less(t, r.Duration, 10*time.Second)

	// promote of a frozen standby: 1.
	r = p.run(other, "promote", short)
	assert.Equal(t, 1, r.RC)
	assert.Less(t, r.Duration, 10*time.Second)
	thaw()

	// Promote/demote in a non-promotable configuration: 6.
	r = pgtest.Agent(t, p.bin, append(p.env(other), "OCF_RESKEY_CRM_meta_promotable=false", "OCF_RESKEY_CRM_meta_promoted_max=0"), "promote", time.Minute)
	assert.Equal(t, 6, r.RC)
	assert.Contains(t, r.ExitReason(), "needs a promotable clone")

	// The node list must be there (6), and a stop with a missing pgdba
	// still succeeds (nothing of it can run).
	r = pgtest.Agent(t, p.bin, append(p.env(other), "OCF_RESKEY_node_list="), "start", time.Minute)
	assert.Equal(t, 6, r.RC)
	r = pgtest.Agent(t, p.bin, append(p.env(other), "OCF_RESKEY_pgdba=nosuchuser"), "stop", time.Minute)
	assert.Equal(t, 0, r.RC)

	// Cleanup through the agent: both stop normally once thawed.
	p.setRole(other, state.RoleUnpromoted)
	require.Equal(t, 0, p.run(primary, "demote").RC)
	require.Equal(t, 0, p.run(primary, "stop").RC)
	require.Equal(t, 0, p.run(other, "stop").RC)
}
