// SPDX-License-Identifier: Apache-2.0

package pg

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParsePidFileFixture(t *testing.T) {
	data, err := os.ReadFile("testdata/postmaster.pid")
	require.NoError(t, err)
	p, err := ParsePidFile(data)
	require.NoError(t, err)
	assert.Equal(t, &PidFile{PID: 12345, DataDir: "/var/lib/pgsql/data", Port: 5432, Socket: "/var/run/postgresql", Status: "ready"}, p)
}

func TestParsePidFileCases(t *testing.T) {
	cases := []struct {
		in  string
		pid int
		err bool
	}{
		{"", 0, true},
		{"abc\n", 0, true},
		{"0\n", 0, true},
		{"42", 42, false},
		{"-42\n/d\n", 42, false}, // single-user mode
		{" 7 \n/d\n1\n5433\n", 7, false},
	}
	for _, tc := range cases {
		p, err := ParsePidFile([]byte(tc.in))
		if tc.err {
			assert.Error(t, err, "%q", tc.in)
			continue
		}
		require.NoError(t, err, "%q", tc.in)
		assert.Equal(t, tc.pid, p.PID)
	}
}

func FuzzParsePidFile(f *testing.F) {
	data, _ := os.ReadFile("testdata/postmaster.pid")
	f.Add(data)
	f.Add([]byte("-1\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := ParsePidFile(in)
		if err == nil && p.PID <= 0 {
			t.Fatalf("accepted PID %d", p.PID)
		}
	})
}

func writePid(t *testing.T, dir, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "postmaster.pid"), []byte(content), 0o600))
}

func TestCheckLiveness(t *testing.T) {
	dir := t.TempDir()
	l, err := CheckLiveness(dir)
	require.NoError(t, err)
	assert.False(t, l.Running)
	assert.False(t, l.Stale)

	// A dead PID: start and reap a process to get one.
	cmd := exec.Command("true")
	require.NoError(t, cmd.Run())
	writePid(t, dir, strconv.Itoa(cmd.Process.Pid)+"\n"+dir+"\n")
	l, err = CheckLiveness(dir)
	require.NoError(t, err)
	assert.False(t, l.Running)
	assert.True(t, l.Stale)
	assert.Contains(t, l.Reason, "not running")

	// A live PID that is not a postmaster (PID reuse after a reboot).
	writePid(t, dir, strconv.Itoa(os.Getpid())+"\n"+dir+"\n")
	l, err = CheckLiveness(dir)
	require.NoError(t, err)
	assert.False(t, l.Running)
	assert.True(t, l.Stale)
	assert.Contains(t, l.Reason, "not this data directory's postmaster")
}

func TestVersionNum(t *testing.T) {
	assert.Equal(t, 1500, VersionNum("15"))
	assert.Equal(t, 906, VersionNum("9.6"))
	assert.Equal(t, 0, VersionNum(""))
	assert.Less(t, VersionNum("9.3"), VersionNum("9.4"))
	assert.Less(t, VersionNum("9.6"), VersionNum("10"))
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "PG_VERSION"), []byte("15\n"), 0o600))
	assert.Equal(t, "15", ReadVersion(dir))
	assert.Equal(t, "", ReadVersion(filepath.Join(dir, "missing")))
}

func TestShellQuote(t *testing.T) {
	assert.Equal(t, "plain", ShellQuote("plain"))
	assert.Equal(t, "'config_file=/a b'", ShellQuote("config_file=/a b"))
	assert.Equal(t, `'it'\''s'`, ShellQuote("it's"))
	assert.True(t, strings.HasPrefix(ShellQuote(""), "'"))
}
