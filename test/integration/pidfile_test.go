// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pgrex/pgrex/test/pgtest"
)

// alive reports whether pid is a live process (a zombie is not).
func alive(pid int) bool { return pgtest.Alive(pid) }

// sleeper is a live process that is not PostgreSQL.
func sleeper(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("sleep", "300")
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd.Process.Pid
}

// TestPidFileUnusableWhileRunning: whatever happens to postmaster.pid
// while PostgreSQL runs, monitor and status never say "not running" (they
// fail with the reason), stop really stops the server — signalling the
// postmaster /proc proves to be this data directory's, never the process
// the file names — and the agent deletes nothing. PostgreSQL 10+ notices a
// changed pid file about once a minute and shuts itself down; each case
// acts within seconds of a fresh start.
func TestPidFileUnusableWhileRunning(t *testing.T) {
	i := pgtest.InitDB(t)
	env := i.Env()
	other := pgtest.InitDB(t) // a second cluster, whose postmaster must survive
	otherEnv := other.Env()
	require.Equal(t, 0, agent(t, withTimeout(otherEnv, "60000"), "start").RC)
	t.Cleanup(func() { agent(t, withTimeout(otherEnv, "60000"), "stop") })
	sleepPID := sleeper(t)
	pidFile := filepath.Join(i.Data, "postmaster.pid")

	cases := []struct {
		name string
		// corrupt changes postmaster.pid of the running server with
		// postmaster PID pm; it returns a PID that must survive the stop.
		corrupt func(t *testing.T, pm int) int
	}{
		{"garbled", func(t *testing.T, pm int) int {
			require.NoError(t, os.WriteFile(pidFile, []byte("\x00\x17#garbage\n"+i.Data+"\n"), 0o600))
			return 0
		}},
		{"digits then garbage", func(t *testing.T, pm int) int {
			require.NoError(t, os.WriteFile(pidFile, []byte(strconv.Itoa(pm)+"x\n"), 0o600))
			return 0
		}},
		{"empty", func(t *testing.T, pm int) int {
			require.NoError(t, os.WriteFile(pidFile, nil, 0o600))
			return 0
		}},
		{"truncated", func(t *testing.T, pm int) int {
			require.NoError(t, os.Truncate(pidFile, 2))
			return 0
		}},
		{"removed", func(t *testing.T, pm int) int {
			require.NoError(t, os.Remove(pidFile))
			return 0
		}},
		{"PID of a live non-postgres process", func(t *testing.T, pm int) int {
			require.NoError(t, os.WriteFile(pidFile, []byte(strconv.Itoa(sleepPID)+"\n"+i.Data+"\n"), 0o600))
			return sleepPID
		}},
		{"PID of another cluster's postmaster", func(t *testing.T, pm int) int {
			op := other.PostmasterPID()
			require.NotZero(t, op)
			require.NoError(t, os.WriteFile(pidFile, []byte(strconv.Itoa(op)+"\n"+i.Data+"\n"), 0o600))
			return op
		}},
		{"unreadable: a directory in its place", func(t *testing.T, pm int) int {
			require.NoError(t, os.Rename(pidFile, pidFile+".test"))
			require.NoError(t, os.Mkdir(pidFile, 0o700))
			return 0
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := agent(t, withTimeout(env, "60000"), "start")
			require.Equal(t, 0, r.RC, r.Stderr)
			pm := i.PostmasterPID()
			require.NotZero(t, pm)
			survivor := tc.corrupt(t, pm)

			r = agent(t, monitorEnv(env), "monitor")
			assert.Equal(t, 1, r.RC, "monitor: %s", r.Stderr)
			assert.Contains(t, r.ExitReason(), "PostgreSQL (PID "+strconv.Itoa(pm)+", found from")
			r = agent(t, probeEnv(env), "monitor")
			assert.Equal(t, 1, r.RC, "probe: %s", r.Stderr)
			assert.Equal(t, 1, agent(t, env, "status").RC)
			r = agent(t, withTimeout(env, "60000"), "start")
			assert.Equal(t, 1, r.RC, "start must not adopt it: %s", r.Stderr)
			require.True(t, alive(pm), "the postmaster still ran during the checks (else they proved nothing)")

			r = agent(t, withTimeout(env, "60000"), "stop")
			require.Equal(t, 0, r.RC, r.Stderr)
			assert.False(t, alive(pm), "stop stopped the postmaster")
			if survivor != 0 {
				assert.True(t, alive(survivor), "the process postmaster.pid named was not signalled")
			}
			assert.Equal(t, 7, agent(t, probeEnv(env), "monitor").RC)
			if st, err := os.Lstat(pidFile); err == nil && st.IsDir() {
				// The agent left what it found; put the real file back for the next case.
				require.NoError(t, os.Remove(pidFile))
			}
			_ = os.Remove(pidFile + ".test")
		})
	}
	assert.True(t, alive(other.PostmasterPID()), "the other cluster still runs")
}

// TestPidFileUnusableReplication: the same in a promotable clone — the
// primary's monitor fails (neither 8 nor 7) and demote stops it; a
// standby's stop stops it.
func TestPidFileUnusableReplication(t *testing.T) {
	p := newPair(t)
	p.cloneNode2()
	primary := p.coldStart()
	standby := "node2"
	if primary == "node2" {
		standby = "node1"
	}
	pn, sn := p.node(primary), p.node(standby)
	pm, sm := pn.inst.PostmasterPID(), sn.inst.PostmasterPID()

	// A directory in place of the primary's postmaster.pid: PostgreSQL
	// keeps running for good (it cannot read the file but does not give up).
	ppid := filepath.Join(pn.inst.Data, "postmaster.pid")
	require.NoError(t, os.Rename(ppid, ppid+".test"))
	require.NoError(t, os.Mkdir(ppid, 0o700))
	r := p.monitor(primary)
	assert.Equal(t, 1, r.RC, r.Stderr)
	assert.Contains(t, r.ExitReason(), "found from")
	require.True(t, alive(pm))
	r = p.demote(primary)
	require.Equal(t, 0, r.RC, r.Stderr)
	assert.False(t, alive(pm), "demote stopped the primary")
	assert.Equal(t, "STOP", p.status(primary))
	st, err := os.Lstat(ppid)
	require.NoError(t, err, "the agent deleted nothing")
	assert.True(t, st.IsDir())

	// The standby's pid file garbled after the PID.
	require.NoError(t, os.WriteFile(filepath.Join(sn.inst.Data, "postmaster.pid"), []byte(strconv.Itoa(sm)+"garbage\n"), 0o600))
	r = p.monitor(standby)
	assert.Equal(t, 1, r.RC, r.Stderr)
	require.True(t, alive(sm))
	r = p.stop(standby)
	require.Equal(t, 0, r.RC, r.Stderr)
	assert.False(t, alive(sm), "stop stopped the standby")
	assert.Equal(t, "STOP", p.status(standby))
}

// TestPidFileUnusableNothingRuns: with nothing running, an unusable
// postmaster.pid makes start fail at once with the reason and leaves the
// file as it was — a FIFO in its place once hung the agent (and would hang
// PostgreSQL), garbage makes PostgreSQL refuse to start. A probe says not
// running, a stop succeeds.
func TestPidFileUnusableNothingRuns(t *testing.T) {
	i := pgtest.InitDB(t)
	env := i.Env()
	pidFile := filepath.Join(i.Data, "postmaster.pid")
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T)
	}{
		{"a FIFO", func(t *testing.T) { require.NoError(t, syscall.Mkfifo(pidFile, 0o600)) }},
		{"garbage", func(t *testing.T) { require.NoError(t, os.WriteFile(pidFile, []byte("garbage\n"), 0o600)) }},
		{"empty", func(t *testing.T) { require.NoError(t, os.WriteFile(pidFile, nil, 0o600)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Removed even when the case fails: writing the next case's
			// file into a FIFO would block.
			t.Cleanup(func() { _ = os.Remove(pidFile) })
			tc.setup(t)
			before, err := os.Lstat(pidFile)
			require.NoError(t, err)
			r := pgtest.Agent(t, pgtest.Binary(t, "pgsql"), withTimeout(env, "20000"), "start", 30*time.Second)
			assert.Equal(t, 1, r.RC, r.Stderr)
			assert.Contains(t, r.ExitReason(), "postmaster.pid is unusable")
			assert.Less(t, r.Duration, 10*time.Second, "start fails at once")
			after, err := os.Lstat(pidFile)
			require.NoError(t, err, "the file is left where it was")
			assert.Equal(t, before.Mode(), after.Mode())
			assert.Equal(t, before.Size(), after.Size())
			assert.Equal(t, 7, agent(t, probeEnv(env), "monitor").RC)
			assert.Equal(t, 0, agent(t, withTimeout(env, "20000"), "stop").RC)
		})
	}
}
