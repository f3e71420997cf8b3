// SPDX-License-Identifier: Apache-2.0

package exporter

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/status"
	"github.com/pgrex/pgrex/ra/pg"
	"github.com/pgrex/pgrex/test/fixtures"
	"github.com/pgrex/pgrex/test/pgtest"
)

func TestConnParams(t *testing.T) {
	p, err := ConnParams(map[string]string{"pgdba": "root", "pgport": "5433", "socketdir": "/run/pg", "pgdb": "postgres"})
	require.NoError(t, err)
	assert.Equal(t, "/run/pg", p.Host)
	assert.Equal(t, 5433, p.Port)
	assert.Equal(t, "root", p.User)
	assert.Equal(t, "postgres", p.Database)
	require.NotNil(t, p.As)
	assert.Equal(t, uint32(0), p.As.UID)

	p, err = ConnParams(map[string]string{"pgdba": "root", "pghost": "/tmp/sock", "socketdir": "/run/pg"})
	require.NoError(t, err)
	assert.Equal(t, "/tmp/sock", p.Host, "an absolute pghost is the socket directory")
	assert.Equal(t, 5432, p.Port)
	assert.Equal(t, "template1", p.Database)

	_, err = ConnParams(map[string]string{"pgdba": "root", "pgport": "x"})
	assert.ErrorContains(t, err, "pgport")
	_, err = ConnParams(map[string]string{"pgdba": "no-such-user-pgrex"})
	assert.ErrorContains(t, err, "no-such-user-pgrex")
}

// pgctl runs pg_ctl on a test instance (set-up only).
func pgctl(t *testing.T, i *pgtest.Instance, args ...string) {
	t.Helper()
	pgtest.Run(t, true, filepath.Join(pgtest.PgBin, "pg_ctl"), append([]string{"-D", i.Data, "-l", filepath.Join(i.Socket, "server.log"), "-w", "-t", "60"}, args...)...)
}

// TestReadPostgres reads a real PostgreSQL 15 primary and its synchronous
// standby (streaming over loopback, as two PG-REX nodes would), through
// the Unix socket as the server's OS user, the way the exporter does.
func TestReadPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL; not run with -short")
	}
	pgtest.Require(t)
	port := pgtest.FreePort(t)
	p := pgtest.InitDBAt(t, "127.0.0.1", port)
	p.AppendConf(t, "synchronous_standby_names = 'node2'\nwal_receiver_status_interval = 1s\n")
	pgctl(t, p, "start")
	s := pgtest.NewInstanceAt(t, "127.0.0.2", port)
	s.BaseBackup(t, p)
	s.AppendConf(t, fmt.Sprintf("primary_conninfo = 'host=%s port=%d user=%s application_name=node2'\n", p.Host, p.Port, pgtest.OSUser))
	pgtest.Run(t, true, "/usr/bin/touch", filepath.Join(s.Data, "standby.signal"))
	pgctl(t, s, "start")

	conn := p.Conn(t)
	_, err := conn.Exec(t.Context(), "create table t as select generate_series(1, 1000) as n") // waits for node2: sync
	require.NoError(t, err)

	as, err := pg.LookupUser(pgtest.OSUser)
	require.NoError(t, err)
	params := func(i *pgtest.Instance) pg.ConnParams {
		return pg.ConnParams{Host: i.Socket, Port: i.Port, User: pgtest.OSUser, Database: "postgres", As: as}
	}
	read := func(i *pgtest.Instance) PGFacts {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		f, err := readPostgres(ctx, params(i))
		require.NoError(t, err)
		return f
	}

	var pf, sf PGFacts
	require.Eventually(t, func() bool {
		pf, sf = read(p), read(s)
		return len(pf.Standbys) == 1 && pf.Standbys[0].ReplayKnown && pf.Standbys[0].Replay == pf.Current &&
			sf.Streaming && sf.Replayed == pf.Current && sf.PrimaryEnd >= sf.Replayed
	}, time.Minute, 200*time.Millisecond, "the standby catches up: primary %+v standby %+v", &pf, &sf)

	assert.False(t, pf.InRecovery)
	assert.Equal(t, uint32(1), pf.Timeline)
	assert.Positive(t, uint64(pf.Current))
	assert.GreaterOrEqual(t, pf.Flushed, pf.Current)
	sb := pf.Standbys[0]
	assert.Equal(t, "node2", sb.Name)
	assert.Equal(t, "streaming", sb.State)
	assert.Equal(t, "sync", sb.SyncState)
	assert.Zero(t, pf.LagBytes(sb))

	// A base backup running from the primary (a rebuild's pg_basebackup,
	// slowed to its minimum rate so that it lasts) is no standby.
	into := filepath.Join(p.Dir, "backup")
	p.MkdirOwned(t, into, 0o700)
	backup := exec.Command(filepath.Join(pgtest.PgBin, "pg_basebackup"), "-h", p.Host, "-p", strconv.Itoa(p.Port),
		"-U", pgtest.OSUser, "-D", into, "-X", "none", "--max-rate=32k", "--checkpoint=fast")
	backup.Env = []string{"LC_ALL=C"}
	var out strings.Builder
	backup.Stdout, backup.Stderr = &out, &out
	backup.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(p.UID), Gid: uint32(p.GID)}}
	require.NoError(t, backup.Start())
	t.Cleanup(func() { _ = backup.Process.Kill(); _ = backup.Wait() })
	require.Eventually(t, func() bool {
		var n int
		err := conn.QueryRow(t.Context(), "select count(*) from pg_stat_replication where state = 'backup'").Scan(&n)
		return err == nil && n == 1
	}, time.Minute, 100*time.Millisecond, "the base backup's WAL sender appears (pg_basebackup: %s)", &out)
	pf = read(p)
	require.Len(t, pf.Standbys, 1, "standbys while a base backup runs: %+v", pf.Standbys)
	assert.Equal(t, "node2", pf.Standbys[0].Name)

	assert.True(t, sf.InRecovery)
	assert.Equal(t, uint32(1), sf.Timeline)
	assert.GreaterOrEqual(t, sf.Received, sf.ReceivedFlushed)
	assert.GreaterOrEqual(t, sf.ReceivedFlushed, sf.Replayed)
	assert.Empty(t, sf.Standbys)

	// The whole read, as a scrape does it, and what it shows.
	snap := Read(t.Context(), Config{XMLFile: fixtures.Path(t, "crm_mon-healthy.xml"),
		Status: status.Options{LocalNode: "node2"}, PG: ptr(params(s)), Timeout: 30 * time.Second})
	require.Empty(t, snap.Errors)
	assert.True(t, Decide(snap, CheckStandby, 16<<20).OK)
	assert.True(t, Decide(snap, CheckSync, -1).OK)
	got := string(text(t, snap))
	for _, want := range []string{`pgrex_pg_in_recovery{node="node2"} 1`, `pgrex_pg_timeline{node="node2"} 1`,
		`pgrex_pg_wal_receiver_streaming{node="node2"} 1`, `pgrex_up{source="postgresql"} 1`} {
		assert.Contains(t, got, want)
	}

	snap = Read(t.Context(), Config{XMLFile: fixtures.Path(t, "crm_mon-healthy.xml"),
		Status: status.Options{LocalNode: "node1"}, PG: ptr(params(p)), Timeout: 30 * time.Second})
	require.Empty(t, snap.Errors)
	assert.True(t, Decide(snap, CheckPrimary, -1).OK)
	got = string(text(t, snap))
	assert.Contains(t, got, `pgrex_replication_sync_state{node="node1",standby="node2",sync_state="sync"} 1`)
	assert.Contains(t, got, `pgrex_replication_streaming{node="node1",standby="node2"} 1`)
}

func ptr[T any](v T) *T { return &v }
