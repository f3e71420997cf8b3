// SPDX-License-Identifier: Apache-2.0

// Package integration drives the real agent binary against real
// PostgreSQL 15 clusters, as Pacemaker would.
package integration

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pgrex/pgrex/test/pgtest"
)

const opTimeout = 90 * time.Second

func agent(t *testing.T, env []string, action string) pgtest.Result {
	t.Helper()
	return pgtest.Agent(t, pgtest.Binary(t, "pgsql"), env, action, opTimeout)
}

func monitorEnv(env []string) []string {
	return append(env, "OCF_RESKEY_CRM_meta_interval=10000", "OCF_RESKEY_CRM_meta_timeout=30000")
}

func probeEnv(env []string) []string {
	return append(env, "OCF_RESKEY_CRM_meta_interval=0", "OCF_RESKEY_CRM_meta_timeout=30000")
}

func withTimeout(env []string, ms string) []string {
	return append(env, "OCF_RESKEY_CRM_meta_timeout="+ms)
}

func TestPlainLifecycle(t *testing.T) {
	i := pgtest.InitDB(t)
	env := i.Env()

	// A probe before anything runs: not running.
	r := agent(t, probeEnv(env), "monitor")
	require.Equal(t, 7, r.RC, r.Stderr)

	r = agent(t, withTimeout(env, "60000"), "start")
	require.Equal(t, 0, r.RC, r.Stderr)
	require.NotZero(t, i.PostmasterPID())

	// The log file was created for pgdba with a private mode.
	st, err := os.Stat(i.Log)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	assert.Equal(t, uint32(i.UID), st.Sys().(*syscall.Stat_t).Uid)

	// Data written now must survive the restarts below.
	ctx := context.Background()
	c := i.Conn(t)
	_, err = c.Exec(ctx, "create table t(id int primary key); insert into t values (1), (2), (3)")
	require.NoError(t, err)
	_ = c.Close(ctx)

	assert.Equal(t, 0, agent(t, monitorEnv(env), "monitor").RC)
	assert.Equal(t, 0, agent(t, probeEnv(env), "monitor").RC)
	assert.Equal(t, 0, agent(t, env, "status").RC)

	pid := i.PostmasterPID()
	r = agent(t, withTimeout(env, "60000"), "start")
	assert.Equal(t, 0, r.RC, "a second start is a success: %s", r.Stderr)
	assert.Equal(t, pid, i.PostmasterPID(), "a second start does not restart the server")

	r = agent(t, withTimeout(env, "60000"), "stop")
	require.Equal(t, 0, r.RC, r.Stderr)
	assert.Zero(t, i.PostmasterPID(), "postmaster.pid is gone after a clean stop")
	assert.Equal(t, 7, agent(t, monitorEnv(env), "monitor").RC)
	assert.Equal(t, 7, agent(t, env, "status").RC)
	assert.Equal(t, 0, agent(t, withTimeout(env, "60000"), "stop").RC, "stop of a stopped server")

	r = agent(t, withTimeout(env, "60000"), "start")
	require.Equal(t, 0, r.RC, r.Stderr)
	c = i.Conn(t)
	var n int
	require.NoError(t, c.QueryRow(ctx, "select count(*) from t").Scan(&n))
	assert.Equal(t, 3, n, "rows written before the restart are there")
	_ = c.Close(ctx)
	require.Equal(t, 0, agent(t, withTimeout(env, "60000"), "stop").RC)
}

func TestPlainKill9(t *testing.T) {
	i := pgtest.InitDB(t)
	env := i.Env()
	require.Equal(t, 0, agent(t, withTimeout(env, "60000"), "start").RC)
	pid := i.PostmasterPID()
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	// Reap is the kernel's job (the postmaster's parent is gone); wait until
	// the PID is dead or a zombie.
	require.Eventually(t, func() bool {
		r := agent(t, monitorEnv(env), "monitor")
		return r.RC == 7
	}, 20*time.Second, 200*time.Millisecond, "monitor after kill -9 reports not running")

	// Pacemaker's recovery: stop, then start. The stale postmaster.pid must
	// not get in the way, and the agent must not have deleted it blindly.
	_, err := os.Stat(filepath.Join(i.Data, "postmaster.pid"))
	require.NoError(t, err, "the stale pid file is left for PostgreSQL to judge")
	assert.Equal(t, 0, agent(t, withTimeout(env, "60000"), "stop").RC)
	// Orphaned backends may still hold the shared memory for a moment.
	require.Eventually(t, func() bool {
		return agent(t, withTimeout(env, "20000"), "start").RC == 0
	}, 60*time.Second, time.Second)
	assert.Equal(t, 0, agent(t, monitorEnv(env), "monitor").RC)
	assert.NotEqual(t, pid, i.PostmasterPID())
}

func TestPlainBadMonitorSQL(t *testing.T) {
	i := pgtest.InitDB(t)
	env := i.Env()
	require.Equal(t, 0, agent(t, withTimeout(env, "60000"), "start").RC)
	r := agent(t, monitorEnv(i.Env("OCF_RESKEY_monitor_sql=select nosuchcolumn")), "monitor")
	assert.Equal(t, 1, r.RC)
	assert.Contains(t, r.ExitReason(), `column "nosuchcolumn" does not exist`)
	// A multi-statement monitor_sql works as with psql -c.
	r = agent(t, monitorEnv(i.Env("OCF_RESKEY_monitor_sql=select 1; select 2")), "monitor")
	assert.Equal(t, 0, r.RC, r.Stderr)
}

func TestPlainConfigurationErrors(t *testing.T) {
	i := pgtest.InitDB(t)
	cases := []struct {
		name   string
		env    []string
		action string
		rc     int
		reason string
	}{
		{"missing pgctl", i.Env("OCF_RESKEY_pgctl=/nonexistent/pg_ctl"), "start", 5, "pgctl /nonexistent/pg_ctl is not usable"},
		{"missing pgdba on start", i.Env("OCF_RESKEY_pgdba=nosuchuser"), "start", 5, `pgdba "nosuchuser" is not an OS user`},
		{"missing pgdba on stop", i.Env("OCF_RESKEY_pgdba=nosuchuser"), "stop", 0, ""},
		{"missing pgdba on monitor", monitorEnv(i.Env("OCF_RESKEY_pgdba=nosuchuser")), "monitor", 7, ""},
		{"bogus rep_mode", i.Env("OCF_RESKEY_rep_mode=bogus"), "start", 6, `rep_mode="bogus"`},
		{"bad integer", i.Env("OCF_RESKEY_pgport=fifty"), "start", 6, `pgport="fifty"`},
		{"password without user", i.Env("OCF_RESKEY_monitor_password=x"), "start", 6, "monitor_password is set but monitor_user is not"},
		{"promote in plain mode", i.Env(), "promote", 6, "only possible with rep_mode"},
		{"missing config", i.Env("OCF_RESKEY_config=/nonexistent/postgresql.conf"), "start", 5, "does not exist"},
		{"unknown action", i.Env(), "reload", 3, ""},
		{"validate-all", i.Env(), "validate-all", 0, ""},
		{"validate-all level 10 bad pgctl", i.Env("OCF_CHECK_LEVEL=10", "OCF_RESKEY_pgctl=/nonexistent"), "validate-all", 5, "pgctl"},
		{"validate-all level 0 ignores pgctl", i.Env("OCF_RESKEY_pgctl=/nonexistent"), "validate-all", 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := agent(t, withTimeout(tc.env, "30000"), tc.action)
			assert.Equal(t, tc.rc, r.RC, r.Stderr)
			if tc.reason != "" {
				assert.Contains(t, r.ExitReason(), tc.reason)
			}
		})
	}
	assert.Zero(t, i.PostmasterPID(), "no failed case started a server")
}

func TestPlainDataDirOwnedBySomeoneElse(t *testing.T) {
	i := pgtest.InitDB(t)
	require.NoError(t, os.Chown(i.Data, 0, 0))
	r := agent(t, withTimeout(i.Env(), "30000"), "start")
	assert.Equal(t, 4, r.RC, r.Stderr)
	assert.Contains(t, r.ExitReason(), "is not writable by pgrextest")
	assert.Zero(t, i.PostmasterPID())
	// A probe does not care: nothing runs, so 7.
	assert.Equal(t, 7, agent(t, probeEnv(i.Env()), "monitor").RC)
}

func TestPlainStartFailsFastOnBrokenConfig(t *testing.T) {
	i := pgtest.InitDB(t)
	i.AppendConf(t, "shared_buffers = 'lots'\n")
	r := agent(t, withTimeout(i.Env(), "60000"), "start")
	assert.Equal(t, 1, r.RC)
	assert.Contains(t, r.ExitReason(), "starting PostgreSQL")
	assert.Less(t, r.Duration, 30*time.Second, "pg_ctl notices the dead postmaster; start does not sit out its timeout")
}

func TestPlainPortMismatch(t *testing.T) {
	i := pgtest.InitDB(t)
	r := agent(t, withTimeout(i.Env("OCF_RESKEY_pgport=1"), "60000"), "start")
	assert.Equal(t, 1, r.RC)
	assert.Contains(t, r.ExitReason(), "but pgport is 1")
	assert.Equal(t, 0, agent(t, withTimeout(i.Env(), "60000"), "stop").RC)
}

// TestPlainStopEscalates: a session inside an open transaction keeps a
// smart shutdown waiting; stop must escalate and still finish in time.
func TestPlainStopEscalates(t *testing.T) {
	i := pgtest.InitDB(t)
	env := i.Env()
	require.Equal(t, 0, agent(t, withTimeout(env, "60000"), "start").RC)
	c := i.Conn(t)
	_, err := c.Exec(context.Background(), "begin")
	require.NoError(t, err)
	r := agent(t, withTimeout(env, "40000"), "stop")
	require.Equal(t, 0, r.RC, r.Stderr)
	assert.Contains(t, r.Stderr, "smart shutdown did not finish")
	assert.Zero(t, i.PostmasterPID())
	assert.Less(t, r.Duration, 40*time.Second)
}

// TestPlainSocketDirCreated: a missing socketdir is created for pgdba.
func TestPlainSocketDirCreated(t *testing.T) {
	i := pgtest.InitDB(t)
	sock := filepath.Join(i.Dir, "newsock")
	i.AppendConf(t, "unix_socket_directories = '"+sock+"'\n")
	env := i.Env("OCF_RESKEY_socketdir=" + sock)
	r := agent(t, withTimeout(env, "60000"), "start")
	require.Equal(t, 0, r.RC, r.Stderr)
	st, err := os.Stat(sock)
	require.NoError(t, err)
	assert.Equal(t, uint32(i.UID), st.Sys().(*syscall.Stat_t).Uid)
	assert.Equal(t, 0, agent(t, monitorEnv(env), "monitor").RC)
	assert.Equal(t, 0, agent(t, withTimeout(env, "60000"), "stop").RC)
}
