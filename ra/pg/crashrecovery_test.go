// SPDX-License-Identifier: Apache-2.0

package pg

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCrashRecovery(t *testing.T) {
	c := &Ctl{PgCtl: "/usr/lib/postgresql/15/bin/pg_ctl", PgData: "/d"}
	for _, tc := range []struct {
		name       string
		config     string
		version    int
		keep, seg  int64
		wantRetain string
		wantArgs   []string
	}{
		{"15, 3 segments of 16 MB", "/etc/pg.conf", 1500, 48 << 20, 16 << 20, "wal_keep_size=48MB",
			[]string{"--single", "-F", "-D", "/d", "-c", "config_file=/etc/pg.conf", "-c", "wal_keep_size=48MB", "template1"}},
		{"rounds up to whole segments", "", 1700, 17 << 20, 16 << 20, "wal_keep_size=32MB",
			[]string{"--single", "-F", "-D", "/d", "-c", "wal_keep_size=32MB", "template1"}},
		{"64 MB segments", "/c", 1600, 200 << 20, 64 << 20, "wal_keep_size=256MB", nil},
		{"12 counts segments", "/c", 1200, 48 << 20, 16 << 20, "wal_keep_segments=3", nil},
		{"unknown segment size is 16 MB", "/c", 1500, 32 << 20, 0, "wal_keep_size=32MB", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := c.CrashRecovery(tc.config, tc.version, tc.keep, tc.seg, time.Minute)
			assert.Equal(t, "/usr/lib/postgresql/15/bin/postgres", cmd.Path)
			assert.Contains(t, cmd.Args, tc.wantRetain)
			if tc.wantArgs != nil {
				assert.Equal(t, tc.wantArgs, cmd.Args)
			}
			assert.NotNil(t, cmd.Stdin, "single-user mode reads an empty standard input, not the agent's")
			assert.Empty(t, cmd.Stdin)
			assert.Equal(t, time.Minute, cmd.Timeout)
		})
	}
}

func TestWALBytes(t *testing.T) {
	d := t.TempDir()
	wal := filepath.Join(d, "pg_wal")
	require.NoError(t, os.MkdirAll(filepath.Join(wal, "archive_status"), 0o700))
	for _, n := range []string{"00000002000000010000005B", "00000002000000010000005C", "00000002.history", "00000001000000010000005B.partial", "0000000200000001000000zz", "000000000000000100000001"} {
		require.NoError(t, os.WriteFile(filepath.Join(wal, n), nil, 0o600))
	}
	require.NoError(t, os.Symlink("00000002000000010000005B", filepath.Join(wal, "00000002000000010000005D")))
	got, err := WALBytes(d, 16<<20)
	require.NoError(t, err)
	assert.Equal(t, int64(3*16<<20), got, "two segments and one more; not the history file, the partial, bad names, timeline 0 or a symbolic link")

	_, err = WALBytes(filepath.Join(d, "missing"), 16<<20)
	assert.ErrorContains(t, err, "listing the WAL of")
}

func TestSetAsideSignals(t *testing.T) {
	for _, tc := range []struct {
		name    string
		signals []string
	}{
		{"none", nil},
		{"a crashed standby", []string{"standby.signal"}},
		{"both", []string{"standby.signal", "recovery.signal"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, s := range tc.signals {
				require.NoError(t, os.WriteFile(filepath.Join(dir, s), []byte("kept\n"), 0o600))
			}
			restore, err := SetAsideSignals(dir)
			require.NoError(t, err)
			for _, s := range signalFiles {
				_, err := os.Stat(filepath.Join(dir, s))
				assert.True(t, os.IsNotExist(err), "%s is out of the way of the crash recovery", s)
			}
			require.NoError(t, restore())
			for _, s := range tc.signals {
				b, err := os.ReadFile(filepath.Join(dir, s))
				require.NoError(t, err, "%s is back", s)
				assert.Equal(t, "kept\n", string(b))
			}
			m, _ := filepath.Glob(filepath.Join(dir, "*"+asideSuffix))
			assert.Empty(t, m)
		})
	}
}

// A signal file that is not a regular file is not touched, and nothing is
// moved.
func TestSetAsideSignalsRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "standby.signal"), nil, 0o600))
	require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(dir, "recovery.signal")))
	restore, err := SetAsideSignals(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a regular file")
	require.NoError(t, restore())
	_, err = os.Stat(filepath.Join(dir, "standby.signal"))
	assert.NoError(t, err, "what was set aside is back")
}
