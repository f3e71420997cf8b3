// SPDX-License-Identifier: Apache-2.0

package pg

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseWALFileName(t *testing.T) {
	cases := []struct {
		name string
		tli  uint32
		ok   bool
	}{
		{"000000010000000000000003", 1, true},
		{"0000002A00000001000000FE", 42, true},
		{"FFFFFFFF00000001000000FE", 0xFFFFFFFF, true},
		{"000000000000000000000003", 0, false}, // timeline 0 does not exist
		{"00000002.history", 0, false},
		{"000000010000000000000003.partial", 0, false},
		{"000000010000000000000003.00000028.backup", 0, false},
		{"0000000100000000000000a3", 0, false}, // PostgreSQL writes upper case
		{"archive_status", 0, false},
		{"xlogtemp.1234", 0, false},
		{"", 0, false},
	}
	for _, tc := range cases {
		tli, ok := ParseWALFileName(tc.name)
		assert.Equal(t, tc.ok, ok, tc.name)
		assert.Equal(t, tc.tli, tli, tc.name)
	}
}

func FuzzParseWALFileName(f *testing.F) {
	f.Add("000000010000000000000003")
	f.Add("00000002.history")
	f.Fuzz(func(t *testing.T, name string) {
		tli, ok := ParseWALFileName(name)
		if ok && (tli == 0 || len(name) != 24) {
			t.Fatalf("accepted %q as timeline %d", name, tli)
		}
	})
}

func TestNewestWALTimeline(t *testing.T) {
	dir := t.TempDir()
	wal := filepath.Join(dir, "pg_wal")
	require.NoError(t, os.MkdirAll(filepath.Join(wal, "archive_status"), 0o700))
	for _, n := range []string{"000000010000000000000004", "000000010000000000000005.partial", "00000003.history", "00000002.history"} {
		require.NoError(t, os.WriteFile(filepath.Join(wal, n), nil, 0o600))
	}
	tli, err := NewestWALTimeline(dir, 1500)
	require.NoError(t, err)
	assert.Equal(t, uint32(1), tli, "history files of timelines the node has no WAL of do not count")
	require.NoError(t, os.WriteFile(filepath.Join(wal, "000000020000000000000005"), nil, 0o600))
	tli, err = NewestWALTimeline(dir, 1500)
	require.NoError(t, err)
	assert.Equal(t, uint32(2), tli)
	_, err = NewestWALTimeline(dir, 906) // pg_xlog
	assert.Error(t, err)
}

func TestLocations(t *testing.T) {
	lsn, err := ParseLSN("1/E7472E18")
	require.NoError(t, err)
	assert.Equal(t, "00000001E7472E18", FormatXlogLoc(lsn))
	assert.Equal(t, "0000000000000000", FormatXlogLoc(0))
	assert.Equal(t, "1/E7472E18", lsn.String())
	_, err = ParseLSN("nonsense")
	assert.Error(t, err)

	l, err := ParseXlogLoc("00000001E7472E18")
	require.NoError(t, err)
	assert.Equal(t, Location{LSN: lsn}, l)
	l, err = ParseXlogLoc("27:00000001E7472E18")
	require.NoError(t, err, "the PG-REX 9.1 baseline form")
	assert.Equal(t, Location{TLI: 27, LSN: lsn}, l)
	_, err = ParseXlogLoc("123")
	assert.Error(t, err)

	old := Location{TLI: 1, LSN: 0x900000000}
	newer := Location{TLI: 2, LSN: 0x300000000}
	assert.True(t, newer.Newer(old), "a later timeline wins over a larger LSN")
	assert.False(t, old.Newer(newer))
	assert.True(t, Location{TLI: 2, LSN: 5}.Newer(Location{TLI: 2, LSN: 4}))
	assert.False(t, Location{TLI: 2, LSN: 5}.Newer(Location{TLI: 2, LSN: 5}))
}

// ParseLSN is strict: the tools cut the archive by it.
func TestParseLSN(t *testing.T) {
	for in, want := range map[string]LSN{"0/0": 0, "6A/51629270": 0x6A51629270, " 1/E7472E18\n": 0x1E7472E18,
		"FFFFFFFF/FFFFFFFF": 0xFFFFFFFFFFFFFFFF, "00000001/00000002": 0x100000002} {
		got, err := ParseLSN(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "6A", "/1", "1/", "G/0", "123456789/0", "0/000000001", "1/2/3", "-1/0", "+1/0", "0x1/0"} {
		_, err := ParseLSN(bad)
		if assert.Error(t, err, bad) {
			assert.Contains(t, err.Error(), "expected X/Y in hexadecimal")
		}
	}
}

func FuzzParseLSN(f *testing.F) {
	for _, s := range []string{"0/0", "6A/51629270", "FFFFFFFF/FFFFFFFF", "1/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lsn, err := ParseLSN(s)
		if err != nil {
			return
		}
		back, err := ParseLSN(lsn.String())
		if err != nil || back != lsn {
			t.Fatalf("%q read as %s, which reads back as %s, %v", s, lsn, back, err)
		}
	})
}

func TestWALFileName(t *testing.T) {
	cases := []struct {
		tli     uint32
		lsn     LSN
		segSize int64
		name    string
	}{
		// The PG-REX manual's example (6.2 (2)): timeline 117, 6A/51629270.
		{117, 0x6A51629270, 16 << 20, "000000750000006A00000051"},
		{1, 0x7000000, 16 << 20, "000000010000000000000007"},
		{1, 0x100000000, 16 << 20, "000000010000000100000000"},
		{1, 0xFFFFFFFF, 16 << 20, "0000000100000000000000FF"},
		{2, 0x7000028, 64 << 20, "000000020000000000000001"},
		{1, 0, 16 << 20, "000000010000000000000000"},
	}
	for _, tc := range cases {
		name := WALFileName(tc.tli, tc.lsn, tc.segSize)
		assert.Equal(t, tc.name, name, "%d %s", tc.tli, tc.lsn)
		assert.Equal(t, tc.lsn.SegNo(tc.segSize), WALFileSegNo(name, tc.segSize), name)
		tli, ok := ParseWALFileName(name)
		assert.True(t, ok && tli == tc.tli, name)
	}
	assert.Zero(t, WALFileSegNo("00000001.history", 16<<20))
}
