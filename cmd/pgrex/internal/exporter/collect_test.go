// SPDX-License-Identifier: Apache-2.0

package exporter

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/status"
	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/ra/lockfile"
	"github.com/pgrex/pgrex/ra/pg"
	"github.com/pgrex/pgrex/test/fixtures"
)

// crmMon is a runner that answers crm_mon with a capture, or hangs until
// the context ends when xml is nil.
type crmMon struct {
	xml   []byte
	calls []cmdrun.Cmd
}

func (r *crmMon) Run(ctx context.Context, c cmdrun.Cmd) (cmdrun.Result, error) {
	r.calls = append(r.calls, c)
	if r.xml == nil {
		<-ctx.Done()
		return cmdrun.Result{}, ctx.Err()
	}
	return cmdrun.Result{Stdout: r.xml}, nil
}

// TestReadLive: one crm_mon call per read, with a timeout.
func TestReadLive(t *testing.T) {
	run := &crmMon{xml: fixtures.Read(t, "crm_mon-healthy.xml")}
	s := Read(t.Context(), Config{Run: run, Status: status.Options{LocalNode: "node2"}, Timeout: time.Minute})
	require.Empty(t, s.Errors)
	require.Len(t, run.calls, 1)
	assert.Equal(t, "crm_mon", run.calls[0].Path)
	assert.Positive(t, run.calls[0].Timeout, "crm_mon runs with a timeout")
	assert.Equal(t, status.RowHealthy, s.Diagnosis.Row)
	assert.Equal(t, []Source{SourceCrmMon}, s.Tried)
	n, ok := s.Model.LocalNode()
	require.True(t, ok)
	assert.Equal(t, "node2", n.Name)
}

// TestReadNeverHangs: a crm_mon that never answers costs one timeout.
func TestReadNeverHangs(t *testing.T) {
	start := time.Now()
	s := Read(t.Context(), Config{Run: &crmMon{}, Tmpdir: t.TempDir(), Timeout: 200 * time.Millisecond})
	assert.Less(t, time.Since(start), 10*time.Second)
	assert.ErrorIs(t, s.Errors[SourceCrmMon], context.DeadlineExceeded)
	assert.Nil(t, s.Model)
	assert.NoError(t, s.Errors[SourceLockFile], "the other sources are still read")
	assert.Equal(t, []Source{SourceCrmMon, SourceLockFile, SourceRepMode}, s.Tried)
}

// TestReadNoPostgres: an unreachable PostgreSQL is an error of that
// source only.
func TestReadNoPostgres(t *testing.T) {
	s := Read(t.Context(), Config{XMLFile: fixtures.Path(t, "crm_mon-healthy.xml"), Timeout: 5 * time.Second,
		PG: &pg.ConnParams{Host: t.TempDir(), Port: 1, User: "nobody", Database: "postgres"}})
	assert.Error(t, s.Errors[SourcePostgres])
	assert.NoError(t, s.Errors[SourceCrmMon])
	assert.Nil(t, s.PG)
	assert.NotNil(t, s.Model)
}

// TestReadLockFile reads the lock file the agent writes.
func TestReadLockFile(t *testing.T) {
	dir := t.TempDir()
	promoted := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	require.NoError(t, lockfile.Write(lockfile.Path(dir), lockfile.Content{Promoted: promoted, Node: "node1", Timeline: 2}, nil))
	s := Read(t.Context(), Config{Tmpdir: dir, Timeout: time.Minute})
	require.Empty(t, s.Errors)
	require.True(t, s.Lock.Exists)
	assert.Equal(t, promoted, s.Lock.Content.Promoted)
	assert.Nil(t, s.SyncStandby, "no rep_mode.conf")

	require.NoError(t, os.Symlink("/etc/passwd", repModeConfPath(dir)))
	require.NoError(t, os.Remove(lockfile.Path(dir)))
	require.NoError(t, os.Symlink("/etc/passwd", lockfile.Path(dir)))
	s = Read(t.Context(), Config{Tmpdir: dir, Timeout: time.Minute})
	assert.Error(t, s.Errors[SourceLockFile], "a symbolic link is not the agent's lock")
	assert.Error(t, s.Errors[SourceRepMode], "nor its rep_mode.conf")
}

// TestReadRepModeConf reads the synchronous standby's name from the file
// the agent writes.
func TestReadRepModeConf(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(repModeConfPath(dir), []byte(pg.RenderRepModeConf("node2")), 0o600))
	s := Read(t.Context(), Config{Tmpdir: dir, Timeout: time.Minute, Now: frozen})
	require.Empty(t, s.Errors)
	require.NotNil(t, s.SyncStandby)
	assert.Equal(t, "node2", *s.SyncStandby)
	assert.False(t, s.Lock.Exists)
}
