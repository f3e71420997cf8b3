// SPDX-License-Identifier: Apache-2.0

package pg

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

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

func TestDecideLiveness(t *testing.T) {
	pf := &PidFile{PID: 4242, Port: 5432, Status: "ready"}
	cases := []struct {
		name      string
		f         livenessFacts
		running   bool
		pidFileOK bool
		stale     bool
		err       bool
		pid       int
		reason    string
	}{
		{"no file, nothing runs", livenessFacts{File: pidFileMissing}, false, false, false, false, 0, "no postmaster.pid"},
		{"the file names the postmaster", livenessFacts{File: pidFileParsed, PF: pf, Verdict: procPostmaster}, true, true, false, false, 4242, ""},
		{"not root: the PID is trusted", livenessFacts{File: pidFileParsed, PF: pf, Verdict: procUnknown}, true, true, false, false, 4242, ""},
		{"dead PID, nothing runs", livenessFacts{File: pidFileParsed, PF: pf, Verdict: procDead}, false, false, true, false, 4242, "which is not running"},
		{"reused PID, nothing runs", livenessFacts{File: pidFileParsed, PF: pf, Verdict: procOther, VerdictWhy: `it runs "/bin/sleep"`}, false, false, true, false, 4242, "not this data directory's postmaster"},
		{"garbled file, a postmaster runs", livenessFacts{File: pidFileUnusable, FileProblem: "first line", Found: []int{77}, FoundBy: "/proc"}, true, false, false, false, 77, "postmaster.pid is unusable: first line, but PostgreSQL (PID 77, found from /proc)"},
		{"missing file, a postmaster runs", livenessFacts{File: pidFileMissing, Found: []int{77}, FoundBy: "/proc"}, true, false, false, false, 77, "no postmaster.pid, but PostgreSQL (PID 77"},
		{"another process's PID, a postmaster runs", livenessFacts{File: pidFileParsed, PF: pf, Verdict: procOther, Found: []int{77}, FoundBy: "the socket lock file /s/.s.PGSQL.5432.lock"}, true, false, false, false, 77, "found from the socket lock file"},
		{"garbled file, search incomplete", livenessFacts{File: pidFileUnusable, FileProblem: "x", Incomplete: "PID 9 (permission denied)"}, false, false, false, true, 0, "postmaster.pid is unusable"},
		{"garbled file, nothing runs", livenessFacts{File: pidFileUnusable, FileProblem: "x"}, false, false, false, false, 0, "postmaster.pid is unusable"},
	}
	l, err := decideLiveness(livenessFacts{File: pidFileUnusable, FileProblem: "x"})
	require.NoError(t, err)
	assert.True(t, l.PidFileUnusable, "an unusable file with nothing running is reported as such")
	l, _ = decideLiveness(livenessFacts{File: pidFileUnusable, FileProblem: "x", Found: []int{7}})
	assert.False(t, l.PidFileUnusable, "it is a running postmaster's problem then")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l, err := decideLiveness(tc.f)
			if tc.err {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "cannot be told")
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tc.running, l.Running, "running")
			assert.Equal(t, tc.pidFileOK, l.PidFileOK, "pid file ok")
			assert.Equal(t, tc.stale, l.Stale, "stale")
			assert.Equal(t, tc.pid, l.PID, "pid")
			assert.Contains(t, l.Reason, tc.reason)
		})
	}
}

// startSleep runs a live process that is not PostgreSQL.
func startSleep(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}

// fakePostgres runs a copy of sleep named postgres in dir: to /proc it
// looks like a postmaster of dir.
func fakePostgres(t *testing.T, dir string) *exec.Cmd {
	t.Helper()
	sleep, err := exec.LookPath("sleep")
	require.NoError(t, err)
	b, err := os.ReadFile(sleep)
	require.NoError(t, err)
	bin := filepath.Join(t.TempDir(), "postgres")
	require.NoError(t, os.WriteFile(bin, b, 0o755))
	cmd := exec.Command(bin, "60")
	cmd.Dir = dir
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd
}

// TestFindPostmasterWithoutPidFile: whatever postmaster.pid holds, a
// postmaster of the data directory is found from /proc.
func TestFindPostmasterWithoutPidFile(t *testing.T) {
	dir := t.TempDir()
	pm := fakePostgres(t, dir)
	other := startSleep(t)
	pidFile := filepath.Join(dir, "postmaster.pid")
	cases := []struct {
		name  string
		setup func()
	}{
		{"missing", func() {}},
		{"empty", func() { writePid(t, dir, "") }},
		{"garbled", func() { writePid(t, dir, "\x00\x13garbage\n") }},
		{"truncated", func() { writePid(t, dir, strconv.Itoa(pm.Process.Pid)[:1]) }},
		{"another live process", func() { writePid(t, dir, strconv.Itoa(other.Process.Pid)+"\n"+dir+"\n") }},
		{"a directory", func() { require.NoError(t, os.Mkdir(pidFile, 0o700)) }},
		{"a fifo", func() { require.NoError(t, syscall.Mkfifo(pidFile, 0o600)) }},
		{"a symbolic link", func() { require.NoError(t, os.Symlink("/etc/hostname", pidFile)) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, os.RemoveAll(pidFile))
			tc.setup()
			l, err := CheckLiveness(dir)
			require.NoError(t, err)
			assert.True(t, l.Running, l.Reason)
			assert.False(t, l.PidFileOK)
			assert.Equal(t, pm.Process.Pid, l.PID)
			assert.Contains(t, l.Reason, "found from /proc")
		})
	}
	// The socket lock file names it too.
	require.NoError(t, os.RemoveAll(pidFile))
	sock := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(sock, ".s.PGSQL.5999.lock"), []byte(strconv.Itoa(pm.Process.Pid)+"\n"+dir+"\n"), 0o600))
	l, err := FindPostmaster(Probe{PgData: dir, SocketDir: sock, Port: 5999})
	require.NoError(t, err)
	assert.True(t, l.Running)
	assert.Contains(t, l.Reason, "found from the socket lock file")

	// Once it is gone, the data directory is stopped.
	require.NoError(t, pm.Process.Kill())
	_ = pm.Wait()
	l, err = CheckLiveness(dir)
	require.NoError(t, err)
	assert.False(t, l.Running, l.Reason)
}

func TestSignalStop(t *testing.T) {
	dir := t.TempDir()
	pm := fakePostgres(t, dir)
	other := startSleep(t)
	exited := make(chan struct{})
	go func() { _ = pm.Wait(); close(exited) }()
	c := &Ctl{PgData: dir}
	// Not the postmaster of dir: refused, and the process lives on.
	err := c.SignalStop(context.Background(), other.Process.Pid, "fast", time.Second)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not signalling it")
	require.NoError(t, syscall.Kill(other.Process.Pid, 0))
	// The postmaster gets SIGINT (sleep dies of it) and is waited for.
	require.NoError(t, c.SignalStop(context.Background(), pm.Process.Pid, "fast", 10*time.Second))
	<-exited
	assert.Equal(t, "signal: interrupt", pm.ProcessState.String())
}
