// SPDX-License-Identifier: Apache-2.0

// Package pgtest gives integration tests throw-away PostgreSQL 15 clusters
// run by an unprivileged OS user, and runs the real agent binary against
// them the way Pacemaker would: one process per action, configuration in
// OCF_RESKEY_* variables.
package pgtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PgBin is where Debian's postgresql-15 installs the server programs.
const PgBin = "/usr/lib/postgresql/15/bin"

// OSUser runs the test clusters; `make setup` creates it.
const OSUser = "pgrextest"

// Require fails the test (it does not skip: a machine without PostgreSQL
// must not pass by testing nothing) unless the environment can run real
// clusters. PGREX_SKIP_INTEGRATION=1 skips explicitly.
func Require(t testing.TB) {
	t.Helper()
	if os.Getenv("PGREX_SKIP_INTEGRATION") == "1" {
		t.Skip("PGREX_SKIP_INTEGRATION=1")
	}
	if os.Geteuid() != 0 {
		t.Fatal("integration tests run as root (they start PostgreSQL as " + OSUser + "); run `make test` as root")
	}
	if _, err := user.Lookup(OSUser); err != nil {
		t.Fatalf("OS user %s missing: run `make setup`", OSUser)
	}
	for _, p := range []string{"initdb", "pg_ctl", "postgres"} {
		if _, err := os.Stat(filepath.Join(PgBin, p)); err != nil {
			t.Fatalf("%s/%s missing: run `make setup` (package postgresql-15)", PgBin, p)
		}
	}
}

// RepoRoot is the module root, found from this file's location.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// Binary builds ./cmd/<name> once per test process and returns its path.
func Binary(t testing.TB, name string) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "pgrex-bin-")
		if buildErr != nil {
			return
		}
		// The directory must be searchable by pgdba-owned processes too.
		_ = os.Chmod(buildDir, 0o755)
		for _, n := range []string{"pgsql", "pgrex"} {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(buildDir, n), "./cmd/"+n)
			cmd.Dir = RepoRoot()
			out, err := cmd.CombinedOutput()
			cancel()
			if err != nil {
				buildErr = fmt.Errorf("building %s: %v: %s", n, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(buildDir, name)
}

// Test ports come from below the kernel's ephemeral range (32768–60999 on
// Debian): a port the kernel picked for "listen on :0" and then released is
// handed out again, to another test binary of the same `go test ./...` run
// or to any client's outgoing connection, before PostgreSQL binds it — the
// integration suite once failed with "Address already in use" that way.
const (
	portFirst = 20000
	portCount = 12000
)

// portLockDir holds one lock file per port in use by a test process on this
// machine; the lock is held (flock) until the test ends, so concurrent test
// binaries never hand out the same port.
const portLockDir = "/run/lock/pgrex-test-ports"

// FreePort returns a TCP port that is free on 127.0.0.1 and reserved for t
// on this machine until t ends.
func FreePort(t testing.TB) int {
	t.Helper()
	if err := os.MkdirAll(portLockDir, 0o755); err != nil {
		t.Fatalf("creating %s: %v", portLockDir, err)
	}
	start := rand.IntN(portCount)
	for i := 0; i < portCount; i++ {
		port := portFirst + (start+i)%portCount
		f, err := os.OpenFile(filepath.Join(portLockDir, strconv.Itoa(port)), os.O_CREATE|os.O_RDWR, 0o644)
		if err != nil {
			t.Fatalf("opening the lock of port %d: %v", port, err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			f.Close() // in use by something that took no lock
			continue
		}
		l.Close()
		t.Cleanup(func() { f.Close() })
		return port
	}
	t.Fatalf("no free port in %d–%d", portFirst, portFirst+portCount-1)
	return 0
}

// Instance is one throw-away cluster.
type Instance struct {
	Dir    string // root of everything below, removed at cleanup
	Data   string
	Socket string
	Tmp    string // the agent's tmpdir
	Log    string
	Host   string // the loopback address the server listens on
	Port   int
	UID    int
	GID    int
}

func lookupIDs(t testing.TB) (int, int) {
	u, err := user.Lookup(OSUser)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return uid, gid
}

// Run runs a program with a timeout and fails the test on error.
func Run(t testing.TB, asUser bool, name string, args ...string) string {
	t.Helper()
	out, err := RunErr(asUser, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// RunErr runs a program (as the test OS user when asUser) with a timeout.
func RunErr(asUser bool, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	cmd.Dir = "/"
	if asUser {
		u, _ := user.Lookup(OSUser)
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// MkdirOwned creates dir with mode, owned by the test OS user.
func (i *Instance) MkdirOwned(t testing.TB, dir string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(dir, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, i.UID, i.GID); err != nil {
		t.Fatal(err)
	}
}

// NewInstance creates an empty directory tree for a cluster (no initdb),
// listening on 127.0.0.1 and a free port.
func NewInstance(t testing.TB) *Instance {
	t.Helper()
	return NewInstanceAt(t, "127.0.0.1", 0)
}

// NewInstanceAt is NewInstance on a given loopback address and port (0 =
// a free one). Replication tests give every "node" its own 127.0.0.x and
// the same port, as real nodes have.
func NewInstanceAt(t testing.TB, host string, port int) *Instance {
	t.Helper()
	Require(t)
	dir, err := os.MkdirTemp("", "pgrex-it-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	uid, gid := lookupIDs(t)
	i := &Instance{Dir: dir, Data: filepath.Join(dir, "data"), Socket: filepath.Join(dir, "sock"),
		Tmp: filepath.Join(dir, "tmp"), Log: filepath.Join(dir, "postgresql.log"), Host: host, Port: port, UID: uid, GID: gid}
	if i.Port == 0 {
		i.Port = FreePort(t)
	}
	i.MkdirOwned(t, i.Socket, 0o755)
	t.Cleanup(func() {
		i.Kill(t)
		if t.Failed() {
			if log, err := os.ReadFile(i.Log); err == nil {
				t.Logf("server log of %s:\n%s", i.Data, tail(string(log), 6000))
			}
		}
		_ = os.RemoveAll(dir)
	})
	return i
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// InitDB creates a cluster configured the PG-REX way (peer for local
// connections, trust on loopback TCP for the test's own sessions).
func InitDB(t testing.TB) *Instance {
	t.Helper()
	return InitDBAt(t, "127.0.0.1", 0)
}

// InitDBAt is InitDB on a given loopback address and port. Every loopback
// address may connect, for replication too.
func InitDBAt(t testing.TB, host string, port int) *Instance {
	t.Helper()
	i := NewInstanceAt(t, host, port)
	i.MkdirOwned(t, i.Data, 0o700)
	Run(t, true, filepath.Join(PgBin, "initdb"), "-D", i.Data, "-U", OSUser, "--auth-local=peer", "--auth-host=trust", "--no-sync", "-E", "UTF8", "--locale=C")
	i.AppendConf(t, i.localConf())
	hba, err := os.OpenFile(filepath.Join(i.Data, "pg_hba.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer hba.Close()
	if _, err := hba.WriteString("host all all 127.0.0.0/8 trust\nhost replication all 127.0.0.0/8 trust\n"); err != nil {
		t.Fatal(err)
	}
	return i
}

// localConf is the per-node part of postgresql.conf (a base backup copies
// the source's, so a copy gets it appended again: the last setting wins).
func (i *Instance) localConf() string {
	return fmt.Sprintf("port = %d\nunix_socket_directories = '%s'\nlisten_addresses = '%s'\nfsync = off\n", i.Port, i.Socket, i.Host)
}

// BaseBackup fills i's (new, empty) data directory with a base backup of
// the running server from, and gives it i's own address and socket.
func (i *Instance) BaseBackup(t testing.TB, from *Instance) {
	t.Helper()
	_ = os.RemoveAll(i.Data)
	i.MkdirOwned(t, i.Data, 0o700)
	Run(t, true, filepath.Join(PgBin, "pg_basebackup"), "-h", from.Host, "-p", strconv.Itoa(from.Port), "-U", OSUser,
		"-D", i.Data, "-X", "stream", "--checkpoint=fast", "--no-sync")
	i.AppendConf(t, i.localConf())
}

// AppendConf adds lines to postgresql.conf.
func (i *Instance) AppendConf(t testing.TB, text string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(i.Data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

// Kill stops whatever server runs in the data directory, immediately.
func (i *Instance) Kill(t testing.TB) {
	if _, err := os.Stat(filepath.Join(i.Data, "postmaster.pid")); err != nil {
		return
	}
	_, _ = RunErr(true, filepath.Join(PgBin, "pg_ctl"), "-D", i.Data, "-m", "immediate", "-w", "-t", "30", "stop")
}

// PostmasterPID reads the PID of the running server (0 when none).
func (i *Instance) PostmasterPID() int {
	data, err := os.ReadFile(filepath.Join(i.Data, "postmaster.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(data), "\n", 2)[0]))
	return pid
}

// Running reports whether the postmaster named by postmaster.pid is alive
// (a stale pid file after a crash is not).
func (i *Instance) Running() bool { return Alive(i.PostmasterPID()) }

// Alive reports whether pid is a live process (a zombie is not).
func Alive(pid int) bool {
	if pid <= 0 || syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(stat)
	j := strings.LastIndexByte(s, ')')
	return j < 0 || j+2 >= len(s) || s[j+2] != 'Z'
}

// Env returns the agent's environment for plain mode on this instance.
func (i *Instance) Env(extra ...string) []string {
	env := []string{
		"OCF_ROOT=/usr/lib/ocf",
		"OCF_RESOURCE_INSTANCE=pgsql",
		"OCF_RESKEY_pgctl=" + filepath.Join(PgBin, "pg_ctl"),
		"OCF_RESKEY_pgdata=" + i.Data,
		"OCF_RESKEY_pgdba=" + OSUser,
		"OCF_RESKEY_pgport=" + strconv.Itoa(i.Port),
		"OCF_RESKEY_socketdir=" + i.Socket,
		"OCF_RESKEY_logfile=" + i.Log,
		"OCF_RESKEY_pgdb=postgres",
		"OCF_RESKEY_tmpdir=" + i.Tmp,
		"PGREX_NO_SYSLOG=1",
	}
	return append(env, extra...)
}

// Conn opens a session over loopback TCP as the test OS user.
func (i *Instance) Conn(t testing.TB) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=%d user=%s dbname=postgres sslmode=disable connect_timeout=10", i.Host, i.Port, OSUser))
	if err != nil {
		t.Fatalf("connecting to the test server: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// Result is one agent invocation.
type Result struct {
	RC       int
	Stdout   string
	Stderr   string
	Duration time.Duration
}

// ExitReason is the ocf-exit-reason line, if any.
func (r Result) ExitReason() string {
	for _, l := range strings.Split(r.Stderr, "\n") {
		if s, ok := strings.CutPrefix(l, "ocf-exit-reason:"); ok {
			return s
		}
	}
	return ""
}

// Agent runs the agent binary with env (a clean environment plus PATH) and
// the action, bounded by timeout.
func Agent(t testing.TB, bin string, env []string, action string, timeout time.Duration) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, action)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := Result{Stdout: stdout.String(), Stderr: stderr.String(), Duration: time.Since(start)}
	if ctx.Err() != nil {
		t.Fatalf("agent %s timed out after %s\nstderr: %s", action, timeout, r.Stderr)
	}
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			r.RC = ee.ExitCode()
		} else {
			t.Fatalf("running agent %s: %v", action, err)
		}
	}
	return r
}
