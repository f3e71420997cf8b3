// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pgrex/pgrex/test/fakecrm/fakecrmtest"
	"github.com/pgrex/pgrex/test/fakecrm/state"
	"github.com/pgrex/pgrex/test/pgtest"
)

// pgctlAt runs pg_ctl on an instance outside the agent (set-up only).
func pgctlAt(t *testing.T, i *pgtest.Instance, args ...string) {
	t.Helper()
	pgtest.Run(t, true, filepath.Join(pgtest.PgBin, "pg_ctl"), append([]string{"-D", i.Data, "-l", filepath.Join(i.Socket, "setup.log"), "-w", "-t", "60"}, args...)...)
}

// standbyOf makes a new instance at host a streaming standby of from
// (running, primary or standby) and starts it.
func standbyOf(t *testing.T, host string, port int, from *pgtest.Instance, name, extraConf string) *pgtest.Instance {
	t.Helper()
	i := pgtest.NewInstanceAt(t, host, port)
	i.BaseBackup(t, from)
	i.AppendConf(t, fmt.Sprintf("primary_conninfo = 'host=%s port=%d user=%s application_name=%s'\n%s", from.Host, from.Port, pgtest.OSUser, name, extraConf))
	pgtest.Run(t, true, "/usr/bin/touch", filepath.Join(i.Data, "standby.signal"))
	pgctlAt(t, i, "start")
	return i
}

// TestElectionAbandonedTimeline builds, with real servers, the situation
// the election's timeline rule exists for. P is the primary (timeline 1),
// A and B stream from it, C streams from A. A is promoted (timeline 2) and
// written to; C follows it but makes no restart point there, so C's
// control file still says timeline 1. A then dies; P goes on writing and B
// receives more WAL on timeline 1 than C has on timeline 2; then P dies.
// B and C, the standbys left, hold the election through the real agent:
// C, on the timeline the cluster moved to, must win; B, on the abandoned
// branch with the larger LSN, must lose.
func TestElectionAbandonedTimeline(t *testing.T) {
	pgtest.Require(t)
	port := pgtest.FreePort(t)
	quiet := "checkpoint_timeout = '1h'\nmax_wal_size = '4GB'\n" // no restart point during the test
	p := pgtest.InitDBAt(t, "127.0.0.1", port)
	p.AppendConf(t, "wal_keep_size = '256MB'\nwal_receiver_status_interval = 1s\nwal_retrieve_retry_interval = 1s\n"+quiet)
	pgctlAt(t, p, "start")
	a := standbyOf(t, "127.0.0.2", port, p, "node2", "")
	b := standbyOf(t, "127.0.0.4", port, p, "node3", "")
	c := standbyOf(t, "127.0.0.5", port, a, "node4", "")

	exec := func(i *pgtest.Instance, sql string) {
		t.Helper()
		conn := i.Conn(t)
		_, err := conn.Exec(t.Context(), sql)
		require.NoError(t, err, sql)
		_ = conn.Close(t.Context())
	}
	queryText := func(i *pgtest.Instance, sql string) string {
		t.Helper()
		conn := i.Conn(t)
		var s string
		require.NoError(t, conn.QueryRow(t.Context(), sql).Scan(&s), sql)
		_ = conn.Close(t.Context())
		return s
	}
	// caughtUp waits (bounded) until standby has replayed lsn.
	caughtUp := func(standby *pgtest.Instance, lsn string) {
		t.Helper()
		for n := 0; ; n++ {
			if queryText(standby, "select (pg_last_wal_replay_lsn() >= '"+lsn+"'::pg_lsn)::text") == "true" {
				return
			}
			require.Less(t, n, 300, "standby %s did not replay %s", standby.Host, lsn)
			time.Sleep(100 * time.Millisecond)
		}
	}

	exec(p, "create table t(id int primary key, tag text); insert into t values (1, 'before the fork')")
	lsn := queryText(p, "select pg_current_wal_lsn()::text")
	caughtUp(a, lsn)
	caughtUp(b, lsn)
	caughtUp(c, lsn)

	// A becomes a primary on timeline 2; C follows it.
	pgctlAt(t, a, "promote")
	exec(a, "insert into t values (2, 'timeline 2')")
	lsnA := queryText(a, "select pg_current_wal_lsn()::text")
	for n := 0; queryText(c, "select coalesce((select received_tli::text from pg_stat_wal_receiver), '')") != "2" ||
		queryText(c, "select (pg_last_wal_replay_lsn() >= '"+lsnA+"'::pg_lsn)::text") != "true"; n++ {
		require.Less(t, n, 300, "C did not follow A onto timeline 2")
		time.Sleep(100 * time.Millisecond)
	}
	// From now on C and B must not reconnect anywhere during the election.
	for _, s := range []*pgtest.Instance{b, c} {
		exec(s, "alter system set wal_retrieve_retry_interval = '1h'")
		exec(s, "select pg_reload_conf()")
	}
	pgctlAt(t, a, "-m", "immediate", "stop")

	// P goes on: B gets much more WAL on timeline 1 than C has on 2.
	exec(p, "insert into t select g, 'abandoned' from generate_series(100, 20000) g")
	lsnP := queryText(p, "select pg_current_wal_lsn()::text")
	caughtUp(b, lsnP)
	pgctlAt(t, p, "-m", "immediate", "stop")

	// The situation: C's control file still says timeline 1, B is ahead
	// in LSN, B has no WAL of timeline 2.
	require.Equal(t, "1", queryText(c, "select timeline_id::text from pg_control_checkpoint()"), "C made no restart point on timeline 2")
	require.Equal(t, "", queryText(c, "select coalesce((select received_tli::text from pg_stat_wal_receiver), '')"), "C's WAL receiver is gone")
	require.Equal(t, "true", queryText(b, "select (greatest(pg_last_wal_replay_lsn(), pg_last_wal_receive_lsn()) > '"+lsnA+"'::pg_lsn)::text"), "B is ahead in LSN")

	// The election, through the agent, on a fake cluster of B and C.
	st := state.New("node3", "node4")
	st.AddResource(rsc, "msPostgresql")
	st.SetRole(rsc, "node3", state.RoleUnpromoted)
	st.SetRole(rsc, "node4", state.RoleUnpromoted)
	pr := &pair{t: t, bin: pgtest.Binary(t, "pgsql"), fc: fakecrmtest.New(t, st), port: port,
		nodes: []*node{{name: "node3", inst: b}, {name: "node4", inst: c}},
		extra: []string{"OCF_RESKEY_node_list=node3 node4", "OCF_RESKEY_master_ip=127.0.0.9"}}
	winner := pr.elect()
	assert.Equal(t, "node4", winner, "the standby on the new timeline wins")
	assert.Equal(t, "2", pr.attr("node4", "pgsql-xlog-tli"))
	assert.Equal(t, "1", pr.attr("node3", "pgsql-xlog-tli"))
	for n := 0; pr.data("node3") != "DISCONNECT"; n++ {
		require.Less(t, n, 10, "B never marks itself DISCONNECT")
		pr.monitorAll()
	}
	assert.NotEqual(t, "1000", pr.score("node3"), "the abandoned branch never wins")
	assert.Equal(t, "1000", pr.score("node4"))
}
