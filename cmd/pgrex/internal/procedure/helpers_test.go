// SPDX-License-Identifier: Apache-2.0

package procedure

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/status"
	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/ra/pg"
	"github.com/pgrex/pgrex/test/fixtures"
)

// call is one thing the fake executor was asked to do.
type call struct {
	Method string
	Cmd    Command
	Args   []string
}

func (c call) String() string {
	if c.Method == "Run" {
		return "Run " + c.Cmd.String()
	}
	return c.Method + " " + strings.Join(c.Args, " ")
}

// fakeExec records every call; respond answers Run (nil = exit 0, no
// output); fail makes a file method fail.
type fakeExec struct {
	mu      sync.Mutex
	calls   []call
	respond func(c Command) (cmdrun.Result, error)
	fail    map[string]error
}

func (f *fakeExec) record(c call) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
	return f.fail[c.Method]
}

func (f *fakeExec) Run(_ context.Context, c Command) (cmdrun.Result, error) {
	if err := f.record(call{Method: "Run", Cmd: c}); err != nil {
		return cmdrun.Result{ExitCode: 1}, err
	}
	if f.respond == nil {
		return cmdrun.Result{}, nil
	}
	return f.respond(c)
}

func (f *fakeExec) RemoveFile(path string) (bool, error) {
	return true, f.record(call{Method: "RemoveFile", Args: []string{path}})
}

func (f *fakeExec) MoveAside(from, to string) error {
	return f.record(call{Method: "MoveAside", Args: []string{from, to}})
}

func (f *fakeExec) RemoveTree(path string) error {
	return f.record(call{Method: "RemoveTree", Args: []string{path}})
}

func (f *fakeExec) Mkdir(path, user string, mode os.FileMode) error {
	return f.record(call{Method: "Mkdir", Args: []string{path, user, fmt.Sprintf("%o", mode)}})
}

func (f *fakeExec) InstallArchive(staging, dir string, files []ArchiveFile, user string) error {
	var names []string
	for _, x := range files {
		names = append(names, x.Name)
	}
	return f.record(call{Method: "InstallArchive", Args: []string{staging, dir, strings.Join(names, ","), user}})
}

func (f *fakeExec) log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		out = append(out, c.String())
	}
	return out
}

// ok is a command that succeeded printing out.
func ok(out string) (cmdrun.Result, error) { return cmdrun.Result{Stdout: []byte(out)}, nil }

// exit is a command that exited with code.
func exit(code int, stderr string) (cmdrun.Result, error) {
	r := cmdrun.Result{ExitCode: code, Stderr: []byte(stderr)}
	return r, &cmdrun.Error{Cmd: "cmd", ExitCode: code, Output: stderr, Err: errors.New("exit status")}
}

// fakeClock advances only when slept on.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps int
}

func newClock() *fakeClock { return &fakeClock{now: time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.sleeps++
	return nil
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func model(t *testing.T, name string) *status.Model {
	t.Helper()
	m, err := status.Parse(fixtures.Read(t, name), status.Options{})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

// testSettings is node1 (192.0.2.71) with peer node2 (192.0.2.72) in the
// lab's layout.
func testSettings() Settings {
	return Settings{
		Node: "node1", Peer: "node2", PeerHost: "192.0.2.72",
		Resource: "pgsql", Clone: "msPostgresql",
		PGData: "/var/lib/pgsql/data", Tmpdir: "/var/lib/pgsql/tmp", ArchiveDir: "/var/lib/pgsql/pg_archive",
		PGUser: "postgres", PGBin: "/usr/lib/postgresql/15/bin", PSQL: "/usr/lib/postgresql/15/bin/psql",
		PGPort: "5432", SocketDir: "/run/postgresql", PGDB: "template1",
		MasterIP: "192.0.2.80", RepUser: "repuser", RewindUser: "postgres",
		CIBFile:        "/var/lib/pacemaker/cib/cib.xml",
		StartPacemaker: []string{"systemctl", "start", "pacemaker"},
		StopPacemaker:  []string{"systemctl", "stop", "pacemaker", "corosync"},
		SSHOptions:     DefaultSSHOptions,
		WaitTimeout:    300 * time.Second, RebuildTimeout: 2 * time.Hour, CommandTimeout: 30 * time.Second,
	}
}

// swapped is the same cluster seen from node2.
func swapped(s Settings) Settings {
	s.Node, s.Peer, s.PeerHost = "node2", "node1", "192.0.2.71"
	return s
}

func stepCodes(p Plan) []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, s.Code)
	}
	return out
}

func refusalCodes(rs []Refusal) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Code)
	}
	return out
}

func mustLSN(t *testing.T, s string) pg.LSN {
	t.Helper()
	lsn, err := pg.ParseLSN(s)
	if err != nil {
		t.Fatal(err)
	}
	return lsn
}
