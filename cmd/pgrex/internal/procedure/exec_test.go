// SPDX-License-Identifier: Apache-2.0

package procedure

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/ra/pg"
)

type recRunner struct{ cmds []cmdrun.Cmd }

func (r *recRunner) Run(_ context.Context, c cmdrun.Cmd) (cmdrun.Result, error) {
	r.cmds = append(r.cmds, c)
	return cmdrun.Result{}, nil
}

func TestSSHArgv(t *testing.T) {
	c := Command{Host: "192.0.2.72", User: "postgres", Env: []string{"CIB_file=/x y"},
		Argv: []string{"/usr/bin/psql", "-c", "SELECT current_setting('port')"}}
	got := SSH{}.Argv(c)
	want := []string{"ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "ServerAliveInterval=10", "192.0.2.72", "--",
		"cd", "/", "&&", "runuser", "-u", "postgres", "--", "env", "LC_ALL=C", "'CIB_file=/x y'", "/usr/bin/psql", "-c", `'SELECT current_setting('\''port'\'')'`}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	got = SSH{Path: "/usr/bin/ssh", Options: []string{"-p", "2222"}}.Argv(Command{Host: "n2", Argv: []string{"pgrep", "-x", "pacemakerd"}})
	if !slices.Equal(got, []string{"/usr/bin/ssh", "-p", "2222", "n2", "--", "env", "LC_ALL=C", "pgrep", "-x", "pacemakerd"}) {
		t.Errorf("%q", got)
	}
}

func TestRealRun(t *testing.T) {
	rr := &recRunner{}
	r := &Real{Runner: rr, Timeout: 7 * time.Second,
		LookupUser: func(name string) (*pg.User, error) {
			return &pg.User{Name: name, UID: 999, GID: 995, Home: "/var/lib/postgresql"}, nil
		}}
	ctx := context.Background()
	if _, err := r.Run(ctx, Command{Argv: []string{"pg_basebackup", "-D", "/d"}, User: "postgres", Timeout: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(ctx, Command{Host: "192.0.2.72", Argv: []string{"crm_mon", "--one-shot"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(ctx, Command{Argv: []string{"setsid", "-f", "pacemakerd"}, Detach: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(ctx, Command{}); err == nil {
		t.Error("an empty command ran")
	}
	local, remote, detached := rr.cmds[0], rr.cmds[1], rr.cmds[2]
	if local.Path != "pg_basebackup" || !slices.Equal(local.Args, []string{"-D", "/d"}) || local.Timeout != time.Hour ||
		!slices.Contains(local.Env, "HOME=/var/lib/postgresql") || local.Dir != "/" {
		t.Errorf("local %+v", local)
	}
	if os.Geteuid() == 0 && (local.Cred == nil || local.Cred.Uid != 999) {
		t.Errorf("as root, the command must switch to postgres: %+v", local.Cred)
	}
	if remote.Path != "ssh" || remote.Args[len(remote.Args)-5] != "--" || remote.Timeout != 7*time.Second || remote.Cred != nil {
		t.Errorf("remote %+v", remote)
	}
	if !detached.Detach {
		t.Errorf("detach lost: %+v", detached)
	}
}

func TestRealFiles(t *testing.T) {
	r := &Real{}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	must(t, os.MkdirAll(filepath.Join(data, "base"), 0o700))
	must(t, os.WriteFile(filepath.Join(data, "PG_VERSION"), []byte("15\n"), 0o600))

	// Move aside: never onto something that exists.
	must(t, os.Mkdir(filepath.Join(dir, "taken"), 0o700))
	if err := r.MoveAside(data, filepath.Join(dir, "taken")); err == nil {
		t.Error("moved onto an existing directory")
	}
	aside := filepath.Join(dir, "data.pgrex-old-T")
	must(t, r.MoveAside(data, aside))
	if _, err := os.Stat(filepath.Join(aside, "PG_VERSION")); err != nil {
		t.Errorf("old data gone: %v", err)
	}

	// Mkdir: new, or an empty existing one; never a non-empty one.
	must(t, r.Mkdir(data, "", 0o700))
	must(t, r.Mkdir(data, "", 0o700))
	if st, _ := os.Stat(data); st.Mode().Perm() != 0o700 {
		t.Errorf("mode %v", st.Mode())
	}
	if err := r.Mkdir(aside, "", 0o700); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("took over a non-empty directory: %v", err)
	}

	// RemoveTree: only absolute paths, contents and directory.
	if err := r.RemoveTree("relative/path"); err == nil {
		t.Error("removed a relative path")
	}
	must(t, r.RemoveTree(aside))
	if _, err := os.Stat(aside); !os.IsNotExist(err) {
		t.Errorf("still there: %v", err)
	}

	// RemoveFile: not a directory.
	if _, err := r.RemoveFile(data); err == nil {
		t.Error("removed a directory as a file")
	}
}

func TestRealInstallArchive(t *testing.T) {
	r := &Real{}
	arch := t.TempDir()
	staging := filepath.Join(arch, ".pgrex-fetch-T")
	must(t, os.Mkdir(staging, 0o700))
	write := func(path string, n int) { must(t, os.WriteFile(path, make([]byte, n), 0o600)) }
	write(filepath.Join(staging, "A"), 10)
	write(filepath.Join(staging, "B"), 5) // short copy
	write(filepath.Join(arch, "C"), 3)    // incomplete local copy
	write(filepath.Join(staging, "C"), 7)

	files := []ArchiveFile{{Name: "A", Size: 10}, {Name: "B", Size: 9}, {Name: "C", Size: 7, Replace: true}}
	if err := r.InstallArchive(staging, arch, files, ""); err == nil || !strings.Contains(err.Error(), "B") {
		t.Fatalf("a short copy was accepted: %v", err)
	}
	if _, err := os.Stat(filepath.Join(arch, "A")); !os.IsNotExist(err) {
		t.Error("something was installed although a copy was bad")
	}

	write(filepath.Join(staging, "B"), 9)
	must(t, r.InstallArchive(staging, arch, files, ""))
	for name, size := range map[string]int64{"A": 10, "B": 9, "C": 7} {
		if st, err := os.Stat(filepath.Join(arch, name)); err != nil || st.Size() != size {
			t.Errorf("%s: %v %v", name, st, err)
		}
	}
	replaced, _ := filepath.Glob(filepath.Join(arch, "pgrex-replaced-*", "C"))
	if len(replaced) != 1 {
		t.Errorf("the incomplete local C was not kept aside: %v", replaced)
	}
	if _, err := os.Stat(staging); !os.IsNotExist(err) {
		t.Error("staging directory left behind")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestGuard(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock", "pgrex-procedure.lock")
	release, err := AcquireGuard(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := AcquireGuard(path); !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), fmt.Sprintf("PID %d", os.Getpid())) {
		t.Errorf("second procedure: %v", err)
	}
	release()
	release2, err := AcquireGuard(path)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	release2()
}
