// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pgrex/pgrex/ra/pg"
	"github.com/pgrex/pgrex/test/pgtest"
)

// rejoinPair is a running pair, node1 primary and node2 its synchronous
// standby, with rejoin=rewind and wal_log_hints as the option needs, and a
// table of ten acknowledged rows.
func rejoinPair(t *testing.T, walLogHints bool) *pair {
	p := newPair(t)
	p.extra = []string{"OCF_RESKEY_rejoin=rewind"}
	if walLogHints {
		p.node("node1").inst.AppendConf(t, "wal_log_hints = on\n")
	}
	p.cloneNode2()
	require.Equal(t, "node1", p.coldStart())
	require.NoError(t, p.exec("node1", "create table t(id int primary key); insert into t select generate_series(1, 10)"))
	return p
}

// crashPrimary cuts replication, kills node1's postmaster and lets the
// pair fail over to node2 as Pacemaker would (monitor 7, demote, stop,
// promote), then restores the replication path.
func crashPrimary(t *testing.T, p *pair, whileCut func()) {
	p.vip.setCut(true)
	require.NoError(t, p.exec("node1", "select pg_terminate_backend(pid) from pg_stat_replication"))
	whileCut()
	require.NoError(t, syscall.Kill(p.node("node1").inst.PostmasterPID(), syscall.SIGKILL))
	require.Eventually(t, func() bool { return p.monitor("node1").RC == 7 }, 20*time.Second, 200*time.Millisecond)
	require.Equal(t, 0, p.demote("node1").RC)
	require.Equal(t, 0, p.stop("node1").RC)
	require.True(t, p.lockExists("node1"))
	p.vip.setCut(false)
	r := p.promote("node2")
	require.Equal(t, 0, r.RC, r.Stderr)
	p.monitorAll()
	require.Equal(t, "PRI", p.status("node2"))
}

func evidenceFiles(t *testing.T, p *pair, name string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(p.node(name).inst.Tmp, "rejoin-*.txt"))
	require.NoError(t, err)
	return m
}

// TestRejoinRewindAfterCrash: the primary crashes with a commit in its WAL
// that its synchronous standby never received (the client was never told
// it committed). With rejoin=rewind the old primary's start proves that,
// keeps the diverged WAL and an evidence file, rewinds from the new
// primary, removes PGSQL.lock and rejoins as the synchronous standby.
func TestRejoinRewindAfterCrash(t *testing.T) {
	p := rejoinPair(t, true)
	crashPrimary(t, p, func() {
		done := make(chan error, 1)
		go func() {
			c := p.node("node1").inst.Conn(t)
			defer c.Close(context.Background())
			_, err := c.Exec(context.Background(), "insert into t values (1000)")
			done <- err
		}()
		// The commit record is flushed locally at once; the commit then
		// waits for node2, which is cut off.
		time.Sleep(1500 * time.Millisecond)
		select {
		case err := <-done:
			t.Fatalf("the commit returned while its synchronous standby was cut off: %v", err)
		default:
		}
	})

	r := p.start("node1")
	require.Equal(t, 0, r.RC, "rejoin start: %s\n%s", r.ExitReason(), r.Stderr)
	assert.False(t, p.lockExists("node1"), "PGSQL.lock is removed once the rewind succeeded")
	ev := evidenceFiles(t, p, "node1")
	require.Len(t, ev, 1, "one evidence file")
	b, err := os.ReadFile(ev[0])
	require.NoError(t, err)
	assert.Contains(t, string(b), "1 commit(s)", "the evidence names the commit that is discarded:\n%s", b)
	assert.Contains(t, string(b), `synchronous standby of this node (PGSQL.lock): "node2"`)
	kept, err := filepath.Glob(filepath.Join(strings.TrimSuffix(ev[0], ".txt")+".wal", "*"))
	require.NoError(t, err)
	assert.NotEmpty(t, kept, "the diverged WAL segments are kept")
	st, err := os.Stat(ev[0])
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	_, err = os.Stat(filepath.Join(p.node("node1").inst.Tmp, "rejoin-in-progress"))
	assert.True(t, os.IsNotExist(err), "no rewind marker is left after success")

	p.until("node1 HS:sync", 30, func() bool { p.monitorAll(); return p.status("node1") == "HS:sync" })
	assert.Equal(t, "STREAMING|SYNC", p.data("node1"))
	assert.Equal(t, 10, p.queryInt("node2", "select count(*) from t"), "the unacknowledged row never reached the primary")
	require.NoError(t, p.exec("node2", "insert into t values (11)"))
	assert.Equal(t, 11, p.queryInt("node1", "select count(*) from t"), "node1 follows the new primary")
	assert.Equal(t, 0, p.queryInt("node1", "select count(*) from t where id = 1000"), "the discarded row is gone from node1")
}

// TestRejoinRewindAfterCrashWithMuchWAL: the primary crashes after writing
// more WAL since its last checkpoint than wal_keep_size keeps. pg_rewind's
// own crash recovery would end in a checkpoint that removes the segments
// back to that checkpoint, which pg_rewind then needs and cannot find (the
// lab's 5 GB kill -9 never rejoined this way). The agent completes the
// recovery itself, keeping them, and the rewind succeeds.
func TestRejoinRewindAfterCrashWithMuchWAL(t *testing.T) {
	p := newPair(t)
	p.extra = []string{"OCF_RESKEY_rejoin=rewind"}
	p.node("node1").inst.AppendConf(t, "wal_log_hints = on\nwal_keep_size = 0\nmax_wal_size = '1GB'\ncheckpoint_timeout = '1h'\n")
	p.cloneNode2()
	require.Equal(t, "node1", p.coldStart())
	require.NoError(t, p.exec("node1", "create table t(id int primary key, pad text); checkpoint"))
	// ~110 MB of WAL after the checkpoint: seven segments and more.
	require.NoError(t, p.exec("node1", "insert into t select g, repeat(md5(g::text), 31) from generate_series(1, 100000) g"))
	crashPrimary(t, p, func() {})

	r := p.start("node1")
	require.Equal(t, 0, r.RC, "rejoin start: %s\n%s", r.ExitReason(), r.Stderr)
	assert.Contains(t, r.Stderr, "completing crash recovery")
	assert.False(t, p.lockExists("node1"))
	p.until("node1 HS:sync", 30, func() bool { p.monitorAll(); return p.status("node1") == "HS:sync" })
	assert.Equal(t, 100000, p.queryInt("node1", "select count(*) from t"))
}

// TestRejoinRewindAfterCheckpointBeyondFork: the old primary completed a
// checkpoint its standby never received, which removed its WAL back to that
// checkpoint's REDO point; pg_rewind reads from the checkpoint before the
// fork and needs those segments (the lab's 1 GB kill -9 never rejoined this
// way). The agent lets pg_rewind fetch them from the archive with its
// restore_command (--restore-target-wal), and the rewind succeeds.
func TestRejoinRewindAfterCheckpointBeyondFork(t *testing.T) {
	p := newPair(t)
	n1 := p.node("node1").inst
	archive := filepath.Join(n1.Dir, "archive")
	n1.MkdirOwned(t, archive, 0o700)
	p.extra = []string{"OCF_RESKEY_rejoin=rewind", "OCF_RESKEY_restore_command=/bin/cp " + archive + "/%f %p"}
	n1.AppendConf(t, "wal_log_hints = on\nwal_keep_size = 0\nmax_wal_size = '1GB'\ncheckpoint_timeout = '1h'\n"+
		"archive_mode = on\narchive_command = '/bin/cp %p "+archive+"/%f'\n")
	p.cloneNode2()
	require.Equal(t, "node1", p.coldStart())
	require.NoError(t, p.exec("node1", "create table t(id int primary key, pad text); checkpoint"))
	redo := p.queryString("node1", "select pg_walfile_name(redo_lsn) from pg_control_checkpoint()")
	require.NoError(t, p.exec("node1", "insert into t select g, repeat(md5(g::text), 31) from generate_series(1, 100000) g"))
	crashPrimary(t, p, func() {
		require.NoError(t, p.exec("node1", "select pg_switch_wal()"))
		ready := func() int {
			m, _ := filepath.Glob(filepath.Join(n1.Data, "pg_wal", "archive_status", "*.ready"))
			return len(m)
		}
		require.Eventually(t, func() bool { return ready() == 0 }, 30*time.Second, 100*time.Millisecond, "node1 archives its WAL")
		require.NoError(t, p.exec("node1", "checkpoint"))
	})
	_, err := os.Stat(filepath.Join(n1.Data, "pg_wal", redo))
	require.True(t, os.IsNotExist(err), "the checkpoint beyond the fork removed %s, where the checkpoint before it begins", redo)

	// A restore_command that finds nothing: pg_rewind fails before changing
	// anything, twice, and the retry reuses the first attempt's evidence.
	p.extra[1] = "OCF_RESKEY_restore_command=/bin/cp " + filepath.Join(n1.Dir, "no-archive") + "/%f %p"
	for i := 0; i < 2; i++ {
		r := p.start("node1")
		require.Equal(t, 1, r.RC)
		assert.Contains(t, r.ExitReason(), "rejoin: pg_rewind failed")
		assert.True(t, p.lockExists("node1"))
	}
	assert.Len(t, evidenceFiles(t, p, "node1"), 1, "one set of evidence for one fork, however often the start is retried")

	p.extra[1] = "OCF_RESKEY_restore_command=/bin/cp " + archive + "/%f %p"
	r := p.start("node1")
	require.Equal(t, 0, r.RC, "rejoin start: %s\n%s", r.ExitReason(), r.Stderr)
	_, err = os.Stat(filepath.Join(n1.Tmp, "rejoin-rewind.conf"))
	assert.True(t, os.IsNotExist(err), "the configuration file made for pg_rewind is removed after it")
	assert.Len(t, evidenceFiles(t, p, "node1"), 1)
	p.until("node1 HS:sync", 30, func() bool { p.monitorAll(); return p.status("node1") == "HS:sync" })
	assert.Equal(t, 100000, p.queryInt("node1", "select count(*) from t"))
}

// TestRejoinRefusesAcknowledgedDivergence: the standby was dropped from
// synchronous replication (HS:alone) and the primary went on committing —
// those commits were acknowledged to their clients. A forced failover to
// the stale standby would lose them; rejoin must refuse, keep the lock and
// change nothing.
func TestRejoinRefusesAcknowledgedDivergence(t *testing.T) {
	p := rejoinPair(t, true)
	crashPrimary(t, p, func() {
		p.until("node1 drops node2 from sync", 10, func() bool {
			p.monitor("node1")
			return p.repModeConf("node1") == "synchronous_standby_names = ''\n"
		})
		require.NoError(t, p.exec("node1", "insert into t values (1000)"), "an asynchronous commit is acknowledged")
		// The operator forces the failover to the stale standby: the
		// agent's promote refuses a DISCONNECT node by itself.
		p.forceLatest("node2")
	})
	controlBefore, err := os.ReadFile(filepath.Join(p.node("node1").inst.Data, "global", "pg_control"))
	require.NoError(t, err)

	r := p.start("node1")
	assert.Equal(t, 1, r.RC)
	assert.Contains(t, r.ExitReason(), "rejoin refused: this node committed 1 transaction(s) after the fork")
	assert.Contains(t, r.ExitReason(), `with synchronous standby "", not waiting for node2: a client may have been told they committed`)
	assert.True(t, p.lockExists("node1"), "the lock stays")
	assert.False(t, p.node("node1").inst.Running())
	assert.Empty(t, evidenceFiles(t, p, "node1"), "a refusal rewinds nothing and records no rejoin")
	controlAfter, err := os.ReadFile(filepath.Join(p.node("node1").inst.Data, "global", "pg_control"))
	require.NoError(t, err)
	assert.Equal(t, controlBefore, controlAfter, "the data directory is untouched")
}

// TestRejoinRefusesWithoutWalLogHints: pg_rewind needs wal_log_hints or
// data checksums; without them the start says so and keeps the lock.
func TestRejoinRefusesWithoutWalLogHints(t *testing.T) {
	p := rejoinPair(t, false)
	crashPrimary(t, p, func() {})
	r := p.start("node1")
	assert.Equal(t, 1, r.RC)
	assert.Equal(t, "rejoin refused: neither wal_log_hints nor data checksums are on in this data directory: pg_rewind cannot run (set wal_log_hints = on)", r.ExitReason())
	assert.True(t, p.lockExists("node1"))
	assert.False(t, p.node("node1").inst.Running())
}

// TestRejoinBaseBackupWhenRewindCannot: with rejoin=rewind,basebackup and no
// wal_log_hints, pg_rewind cannot run: the old primary's data directory is
// moved aside (kept, not deleted), a base backup is taken from the new
// primary, and the node rejoins as the synchronous standby.
func TestRejoinBaseBackupWhenRewindCannot(t *testing.T) {
	p := rejoinPair(t, false)
	p.extra = []string{"OCF_RESKEY_rejoin=rewind,basebackup"}
	crashPrimary(t, p, func() {})
	r := p.start("node1")
	require.Equal(t, 0, r.RC, "rejoin start: %s\n%s", r.ExitReason(), r.Stderr)
	assert.False(t, p.lockExists("node1"))
	data := p.node("node1").inst.Data
	aside, err := filepath.Glob(data + ".pgrex-old-*")
	require.NoError(t, err)
	require.Len(t, aside, 1, "the old data directory is kept aside")
	_, err = os.Stat(filepath.Join(aside[0], "PG_VERSION"))
	assert.NoError(t, err, "the kept directory is the old data directory, whole")
	p.until("node1 HS:sync", 30, func() bool { p.monitorAll(); return p.status("node1") == "HS:sync" })
	assert.Equal(t, 10, p.queryInt("node1", "select count(*) from t"))
}

// TestRejoinBaseBackupWhenRewindFails: with rejoin=rewind,basebackup, a
// rewind that fails before changing the data directory — here its crash
// recovery, for a WAL segment an operator moved away — is followed by a
// base backup in the same start, not by another failed start.
func TestRejoinBaseBackupWhenRewindFails(t *testing.T) {
	p := newPair(t)
	p.extra = []string{"OCF_RESKEY_rejoin=rewind,basebackup"}
	n1 := p.node("node1").inst
	n1.AppendConf(t, "wal_log_hints = on\nwal_keep_size = 0\nmax_wal_size = '1GB'\ncheckpoint_timeout = '1h'\n")
	p.cloneNode2()
	require.Equal(t, "node1", p.coldStart())
	require.NoError(t, p.exec("node1", "create table t(id int primary key, pad text); checkpoint"))
	redo := p.queryString("node1", "select pg_walfile_name(redo_lsn) from pg_control_checkpoint()")
	require.NoError(t, p.exec("node1", "insert into t select g, repeat(md5(g::text), 31) from generate_series(1, 50000) g"))
	crashPrimary(t, p, func() {})
	moved := filepath.Join(t.TempDir(), redo)
	require.NoError(t, os.Rename(filepath.Join(n1.Data, "pg_wal", redo), moved))

	r := p.start("node1")
	require.Equal(t, 0, r.RC, "rejoin start: %s\n%s", r.ExitReason(), r.Stderr)
	assert.Contains(t, r.Stderr, "completing crash recovery before pg_rewind failed")
	aside, err := filepath.Glob(n1.Data + ".pgrex-old-*")
	require.NoError(t, err)
	require.Len(t, aside, 1, "the old data directory is kept aside")
	assert.False(t, p.lockExists("node1"))
	p.until("node1 HS:sync", 30, func() bool { p.monitorAll(); return p.status("node1") == "HS:sync" })
	assert.Equal(t, 50000, p.queryInt("node1", "select count(*) from t"))
}

// TestRejoinResumesInterruptedBaseBackup: a start finds the marker of a base
// backup that did not finish. It removes the data directory only when its
// inode is the one the marker recorded for the directory that base backup
// created; otherwise it refuses and removes nothing. Then it redoes the
// base backup and the node rejoins.
func TestRejoinResumesInterruptedBaseBackup(t *testing.T) {
	p := rejoinPair(t, true)
	p.extra = []string{"OCF_RESKEY_rejoin=rewind,basebackup"}
	crashPrimary(t, p, func() {})
	n1 := p.node("node1").inst
	sysid := p.queryString("node2", "select system_identifier::text from pg_control_system()")
	marker := filepath.Join(n1.Tmp, "rejoin-in-progress")
	write := func(ino uint64) {
		require.NoError(t, os.WriteFile(marker, []byte("method=basebackup\nstamp=20261202T000000Z\nprimary=node2\nsystem="+sysid+"\npgdata_ino="+strconv.FormatUint(ino, 10)+"\n"), 0o600))
	}
	var st syscall.Stat_t
	require.NoError(t, syscall.Lstat(n1.Data, &st))

	write(st.Ino + 1)
	r := p.start("node1")
	assert.Equal(t, 1, r.RC)
	assert.Contains(t, r.ExitReason(), "is not the directory the interrupted base backup created")
	_, err := os.Stat(filepath.Join(n1.Data, "PG_VERSION"))
	assert.NoError(t, err, "a directory that is not proven the partial copy is not removed")
	assert.True(t, p.lockExists("node1"))

	// Keep this node's configuration as the first attempt would have.
	confDir := filepath.Join(n1.Tmp, "rejoin-20261202T000000Z.conf")
	require.NoError(t, os.Mkdir(confDir, 0o700))
	conf, err := os.ReadFile(filepath.Join(n1.Data, "postgresql.conf"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(confDir, "postgresql.conf"), conf, 0o600))
	write(uint64(st.Ino))
	r = p.start("node1")
	require.Equal(t, 0, r.RC, "resumed base backup: %s\n%s", r.ExitReason(), r.Stderr)
	assert.False(t, p.lockExists("node1"))
	_, err = os.Stat(marker)
	assert.True(t, os.IsNotExist(err), "the marker is removed after the rebuild")
	p.until("node1 HS:sync", 30, func() bool { p.monitorAll(); return p.status("node1") == "HS:sync" })
	assert.Equal(t, 10, p.queryInt("node1", "select count(*) from t"))
}

// TestCrashRecoveryOfCrashedStandby: a standby that crashed (powered off)
// keeps standby.signal, and single-user mode — the crash recovery the agent
// and `pgrex standby-start` run before pg_rewind — refuses standby mode.
// With the signal files set aside (pg.SetAsideSignals) the recovery
// completes, and the standby, its signal put back, streams again. The
// campaign found this (docs/e2e.md, "The fault campaign").
func TestCrashRecoveryOfCrashedStandby(t *testing.T) {
	primary := pgtest.InitDB(t)
	pgtest.Run(t, true, filepath.Join(pgtest.PgBin, "pg_ctl"), "-D", primary.Data, "-l", filepath.Join(primary.Socket, "server.log"), "-w", "start")
	standby := pgtest.NewInstance(t)
	standby.BaseBackup(t, primary)
	standby.AppendConf(t, "primary_conninfo = 'host="+primary.Host+" port="+strconv.Itoa(primary.Port)+" user="+pgtest.OSUser+"'\n")
	pgtest.Run(t, true, "/usr/bin/touch", filepath.Join(standby.Data, "standby.signal"))
	pgtest.Run(t, true, filepath.Join(pgtest.PgBin, "pg_ctl"), "-D", standby.Data, "-l", filepath.Join(standby.Socket, "server.log"), "-w", "start")
	standby.Kill(t) // immediate: not shut down, "in archive recovery"

	keep, err := pg.WALBytes(standby.Data, 16<<20)
	require.NoError(t, err)
	single := append([]string{}, pg.CrashRecoveryArgs(standby.Data, "", 150000, keep, 16<<20)...)
	out, err := pgtest.RunErr(true, filepath.Join(pgtest.PgBin, "postgres"), single...)
	require.Error(t, err, "single-user mode with standby.signal: %s", out)
	assert.Contains(t, out, "standby mode is not supported by single-user servers")

	restore, err := pg.SetAsideSignals(standby.Data)
	require.NoError(t, err)
	out, err = pgtest.RunErr(true, filepath.Join(pgtest.PgBin, "postgres"), single...)
	require.NoError(t, err, "crash recovery with the signal set aside: %s", out)
	require.NoError(t, restore())
	_, err = os.Stat(filepath.Join(standby.Data, "standby.signal"))
	require.NoError(t, err, "standby.signal is back")

	pgtest.Run(t, true, filepath.Join(pgtest.PgBin, "pg_ctl"), "-D", standby.Data, "-l", filepath.Join(standby.Socket, "server.log"), "-w", "start")
	conn := standby.Conn(t)
	var inRecovery bool
	require.NoError(t, conn.QueryRow(t.Context(), "select pg_is_in_recovery()").Scan(&inRecovery))
	assert.True(t, inRecovery, "the recovered standby starts as a standby again")
}
