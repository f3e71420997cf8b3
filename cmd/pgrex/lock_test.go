// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/procedure"
	"github.com/pgrex/pgrex/ra/cmdrun"
)

// lockWorld is a node with a tmpdir, a data directory and a cluster whose
// crm_attribute answers data-status with dataStatus ("" = unset; "down" =
// Pacemaker not running).
type lockWorld struct {
	h      *harness
	tmpdir string
	pgdata string
	lock   string
}

const pgrexLock = "promoted=2026-11-22T04:49:16Z\nnode=node1\ntimeline=3\nlocation=0000000003000180\n"

func newLockWorld(t *testing.T, lockText *string, dataStatus string) *lockWorld {
	t.Helper()
	w := &lockWorld{h: newHarness(), tmpdir: t.TempDir(), pgdata: t.TempDir()}
	w.lock = filepath.Join(w.tmpdir, "PGSQL.lock")
	if lockText != nil {
		if err := os.WriteFile(w.lock, []byte(*lockText), 0o600); err != nil {
			t.Fatal(err)
		}
		old := time.Date(2026, 11, 22, 4, 49, 16, 0, time.UTC)
		if err := os.Chtimes(w.lock, old, old); err != nil {
			t.Fatal(err)
		}
	}
	w.h.run.respond = func(c cmdrun.Cmd) (cmdrun.Result, error) {
		switch c.Path {
		case "crm_node":
			return ok("node1\n")
		case "cibadmin":
			return ok(cibResources(w.tmpdir, w.pgdata))
		case "crm_attribute":
			switch dataStatus {
			case "down":
				return failed(102, "", "crm_attribute: Could not connect to the CIB: Transport endpoint is not connected")
			case "":
				return failed(105, "", "crm_attribute: Error performing operation: No such device or address")
			}
			return ok(dataStatus + "\n")
		}
		return failed(1, "", "unexpected "+c.Path)
	}
	return w
}

func ptr(s string) *string { return &s }

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

func TestLockStatus(t *testing.T) {
	t.Run("no lock", func(t *testing.T) {
		w := newLockWorld(t, nil, "LATEST")
		r := w.h.cli(t, "lock", "status")
		if r.code != exitOK || !strings.Contains(r.stdout, "No PGSQL.lock") || !strings.Contains(r.stdout, w.lock+" (from CIB)") {
			t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("upstream's empty lock", func(t *testing.T) {
		w := newLockWorld(t, ptr(""), "DISCONNECT")
		r := w.h.cli(t, "lock", "status")
		for _, l := range []string{
			"PGSQL.lock exists",
			"Created: 2026-11-22T04:49:16Z (file modification time; the upstream agent writes an empty file)",
			"This node: node1; PostgreSQL: stopped; pgsql-data-status: DISCONNECT (from cluster)",
			"Refusing to remove " + w.lock,
		} {
			if !strings.Contains(r.stdout, l) {
				t.Errorf("output lacks %q:\n%s", l, r.stdout)
			}
		}
		if r.code != exitAttn || !exists(w.lock) {
			t.Errorf("exit %d, lock there: %v", r.code, exists(w.lock))
		}
	})
	t.Run("pgrex lock, JSON", func(t *testing.T) {
		w := newLockWorld(t, ptr(pgrexLock), "LATEST")
		r := w.h.cli(t, "lock", "status", "--json")
		var out procedure.LockReport
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("%v\n%s", err, r.stdout)
		}
		if !out.Lock.Exists || out.Lock.Content.Node != "node1" || out.Lock.Content.Timeline != 3 || out.Source != "CIB" ||
			out.Clear == nil || !out.Clear.WouldRemove || out.Clear.DataStatus != "LATEST" {
			t.Errorf("%+v %+v", out, out.Clear)
		}
		if r.code != exitAttn {
			t.Errorf("exit %d", r.code)
		}
	})
}

func TestLockClear(t *testing.T) {
	tests := []struct {
		name       string
		lock       *string
		dataStatus string
		args       []string
		stdin      string
		code       int
		removed    bool
		out        []string
		syslog     string // substring of the one syslog line; "" = none
	}{
		{name: "nothing to remove", lock: nil, dataStatus: "LATEST", args: []string{"--yes"}, code: exitOK,
			out: []string{"Nothing to remove."}},
		{name: "LATEST with --yes", lock: ptr(pgrexLock), dataStatus: "LATEST", args: []string{"--yes"}, code: exitOK, removed: true,
			out:    []string{"pgsql-data-status is LATEST", "Removed " + "{lock}"},
			syslog: "pgrex lock clear: removed {lock} on node node1 (data-latest; data-status=\"LATEST\" from cluster)"},
		{name: "STREAMING|SYNC, confirmed", lock: ptr(pgrexLock), dataStatus: "STREAMING|SYNC", stdin: "y\n", code: exitOK, removed: true,
			out: []string{"Remove {lock}? [y/N] ", "Removed {lock}"}, syslog: "data-sync"},
		{name: "declined at the prompt", lock: ptr(pgrexLock), dataStatus: "LATEST", stdin: "n\n", code: exitDeclined,
			out: []string{"Nothing was changed."}},
		{name: "no answer is no", lock: ptr(pgrexLock), dataStatus: "LATEST", stdin: "", code: exitDeclined},
		{name: "dry run", lock: ptr(pgrexLock), dataStatus: "LATEST", args: []string{"--dry-run"}, code: exitOK,
			out: []string{"Dry run: would remove {lock}."}},
		{name: "DISCONNECT is refused", lock: ptr(pgrexLock), dataStatus: "DISCONNECT", args: []string{"--yes"}, code: exitAttn,
			out: []string{"pgsql-data-status is DISCONNECT: this node may lack committed data", "Use --force"}},
		{name: "DISCONNECT dry run is refused too", lock: ptr(pgrexLock), dataStatus: "DISCONNECT", args: []string{"--dry-run"}, code: exitAttn},
		{name: "unset data-status is refused", lock: ptr(""), dataStatus: "", args: []string{"--yes"}, code: exitAttn,
			out: []string{"pgsql-data-status: (unset)", "not set for this node"}},
		{name: "force overrides, and says so", lock: ptr(pgrexLock), dataStatus: "DISCONNECT", args: []string{"--force", "--yes"},
			code: exitOK, removed: true, out: []string{"--force: removing it despite:", "pgsql-data-status is DISCONNECT"},
			syslog: "forced; overrode data-behind"},
		{name: "forced but declined", lock: ptr(pgrexLock), dataStatus: "DISCONNECT", args: []string{"--force"}, stdin: "no\n",
			code: exitDeclined},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newLockWorld(t, tt.lock, tt.dataStatus)
			w.h.stdin = tt.stdin
			r := w.h.cli(t, append([]string{"lock", "clear"}, tt.args...)...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\n%s%s", r.code, tt.code, r.stdout, r.stderr)
			}
			if tt.lock != nil && exists(w.lock) == tt.removed {
				t.Errorf("lock removed: %v, want %v", !exists(w.lock), tt.removed)
			}
			for _, l := range tt.out {
				l = strings.ReplaceAll(l, "{lock}", w.lock)
				if !strings.Contains(r.stdout, l) {
					t.Errorf("output lacks %q:\n%s", l, r.stdout)
				}
			}
			switch {
			case tt.syslog == "" && len(w.h.syslog) > 0:
				t.Errorf("syslog %q", w.h.syslog)
			case tt.syslog != "":
				want := strings.ReplaceAll(tt.syslog, "{lock}", w.lock)
				if len(w.h.syslog) != 1 || !strings.Contains(w.h.syslog[0], want) || !strings.Contains(r.stderr, w.h.syslog[0]) {
					t.Errorf("syslog %q (stderr %q), want %q", w.h.syslog, r.stderr, want)
				}
			}
		})
	}
}

// With Pacemaker stopped here, the data-status comes from the on-disk CIB
// (crm_attribute with CIB_file), as PG-REX's tools read cib.xml — but that
// is this node's memory of when it left: it still says LATEST after the
// peer was promoted. With no peer to ask, the lock stays (exit 2) and the
// output says what would prove it; --force still removes it.
func TestLockClearOnDiskCIB(t *testing.T) {
	w := newLockWorld(t, ptr(pgrexLock), "down")
	cib := filepath.Join(t.TempDir(), "cib.xml")
	if err := os.WriteFile(cib, []byte("<cib/>"), 0o600); err != nil {
		t.Fatal(err)
	}
	w.h.conf = "CIB_file = " + cib + "\nTmpdir = " + w.tmpdir + "\nPGDATA = " + w.pgdata + "\nNode_name = node1\n"
	live := w.h.run.respond
	w.h.run.respond = func(c cmdrun.Cmd) (cmdrun.Result, error) {
		if c.Path == "crm_attribute" && slices.Contains(c.Env, "CIB_file="+cib) {
			return ok("LATEST\n")
		}
		return live(c)
	}
	r := w.h.cli(t, "lock", "clear", "--yes")
	if r.code != exitAttn || !exists(w.lock) {
		t.Fatalf("exit %d, lock there %v\n%s%s", r.code, exists(w.lock), r.stdout, r.stderr)
	}
	for _, l := range []string{"LATEST (from on-disk CIB " + cib + ")", w.lock + " (from config file)",
		"could not be asked", "What would prove it: ssh to the peer working"} {
		if !strings.Contains(r.stdout, l) {
			t.Errorf("output lacks %q:\n%s", l, r.stdout)
		}
	}
	if slices.Contains(w.h.run.paths(), "crm_node") || slices.Contains(w.h.run.paths(), "cibadmin") {
		t.Errorf("configured values were looked up anyway: %v", w.h.run.paths())
	}
	r = w.h.cli(t, "lock", "clear", "--yes", "--force")
	if r.code != exitOK || exists(w.lock) || !strings.Contains(r.stdout, "--force: removing it despite:") {
		t.Errorf("forced: exit %d, lock there %v\n%s%s", r.code, exists(w.lock), r.stdout, r.stderr)
	}
}

// Without a cluster or a CIB file, nothing tells whether the data is
// complete: refused.
func TestLockClearNoCluster(t *testing.T) {
	w := newLockWorld(t, ptr(pgrexLock), "down")
	w.h.conf = "CIB_file = /nonexistent/cib.xml\n"
	r := w.h.cli(t, "lock", "clear", "--yes", "--tmpdir", w.tmpdir, "--pgdata", w.pgdata)
	if r.code != exitAttn || !exists(w.lock) || !strings.Contains(r.stdout, "pgsql-data-status could not be read") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// A data directory rebuilt after the promote (backup_label newer than the
// lock) may be unlocked even though it is marked DISCONNECT.
func TestLockClearRebuilt(t *testing.T) {
	w := newLockWorld(t, ptr(pgrexLock), "DISCONNECT")
	if err := os.WriteFile(filepath.Join(w.pgdata, "backup_label"), []byte("START WAL LOCATION: 0/5000028 (file 000000030000000000000005)\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := w.h.cli(t, "lock", "clear", "--yes")
	if r.code != exitOK || exists(w.lock) || !strings.Contains(r.stdout, "the data directory was rebuilt after the lock was made") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// fakePostmaster starts a process that looks like this data directory's
// postmaster to pg.CheckLiveness: named "postgres", working directory
// pgdata, its PID in postmaster.pid.
func fakePostmaster(t *testing.T, pgdata string) {
	t.Helper()
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary")
	}
	bin := filepath.Join(t.TempDir(), "postgres")
	b, err := os.ReadFile(sleep)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "60")
	cmd.Dir = pgdata
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	pid := strconv.Itoa(cmd.Process.Pid)
	content := pid + "\n" + pgdata + "\n1732248556\n5432\n/tmp\n*\n  5432001         0\nready   \n"
	if err := os.WriteFile(filepath.Join(pgdata, "postmaster.pid"), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if l, err := os.Readlink("/proc/" + pid + "/cwd"); err != nil || l != pgdata {
		t.Skipf("cannot see the fake postmaster's cwd: %v", err)
	}
}

func TestLockClearPostgresRunning(t *testing.T) {
	t.Run("as primary: refused", func(t *testing.T) {
		w := newLockWorld(t, ptr(pgrexLock), "LATEST")
		fakePostmaster(t, w.pgdata)
		r := w.h.cli(t, "lock", "clear", "--yes")
		if r.code != exitAttn || !exists(w.lock) || !strings.Contains(r.stdout, "PostgreSQL: running as primary") ||
			!strings.Contains(r.stdout, "PostgreSQL runs here as primary") {
			t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("as standby: allowed", func(t *testing.T) {
		w := newLockWorld(t, ptr(pgrexLock), "LATEST")
		fakePostmaster(t, w.pgdata)
		if err := os.WriteFile(filepath.Join(w.pgdata, "standby.signal"), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		r := w.h.cli(t, "lock", "clear", "--yes")
		if r.code != exitOK || exists(w.lock) || !strings.Contains(r.stdout, "PostgreSQL: running as standby") {
			t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}

// A symbolic link where the lock should be is an error, not followed.
func TestLockSymlink(t *testing.T) {
	w := newLockWorld(t, nil, "LATEST")
	target := filepath.Join(t.TempDir(), "precious")
	if err := os.WriteFile(target, []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, w.lock); err != nil {
		t.Fatal(err)
	}
	r := w.h.cli(t, "lock", "clear", "--yes", "--force")
	if r.code != exitError || !exists(target) || !strings.Contains(r.stderr, "not a regular file") {
		t.Errorf("exit %d, target there %v\n%s%s", r.code, exists(target), r.stdout, r.stderr)
	}
}

// lockPeerWorld: node1 left the cluster as primary (PGSQL.lock, its
// on-disk CIB says LATEST, Pacemaker stopped here); node2 answers over ssh.
func lockPeerWorld(t *testing.T) *procWorld {
	w := newProcWorld(t, "node1", "node2", "192.0.2.72")
	w.write(filepath.Join(w.tmpdir, "PGSQL.lock"), pgrexLock)
	cib := readFixture(t, "healthy-cib.xml")
	w.write(filepath.Join(w.root, "cib.xml"), cib)
	inner := w.h.run.respond
	w.h.run.respond = func(c cmdrun.Cmd) (cmdrun.Result, error) {
		if c.Path == "crm_attribute" {
			if slices.Contains(c.Env, "CIB_file="+filepath.Join(w.root, "cib.xml")) {
				return ok("LATEST\n")
			}
			return failed(102, "", "crm_attribute: Could not connect to the CIB: Transport endpoint is not connected")
		}
		return inner(c)
	}
	return w
}

// The failover case: node2 was promoted after node1 left. node1's own CIB
// still says LATEST, but node2 runs as primary on timeline 4 and its CIB
// marks node1 DISCONNECT: the lock stays.
func TestLockClearPeerPromoted(t *testing.T) {
	w := lockPeerWorld(t)
	promotedCIB := strings.ReplaceAll(strings.ReplaceAll(readFixture(t, "healthy-cib.xml"), `value="LATEST"`, `value="DISCONNECT"`),
		`value="STREAMING|SYNC"`, `value="LATEST"`)
	w.on("@pgrep", func([]string) (cmdrun.Result, error) { return ok("4242\n") })
	w.on("@crm_mon", func([]string) (cmdrun.Result, error) { return ok(readFixture(t, "crm_mon-healthy-node2-primary.xml")) })
	w.on("@cibadmin", func([]string) (cmdrun.Result, error) { return ok(promotedCIB) })
	w.on("@pg_ctl", func([]string) (cmdrun.Result, error) { return ok("pg_ctl: server is running (PID: 4243)\n") })
	w.on("@pg_controldata", func([]string) (cmdrun.Result, error) {
		return ok(controlDataText("7000", "in production", 4, "0/6000028"))
	})
	r := w.cli("lock", "clear", "--yes")
	if r.code != exitAttn || !exists(filepath.Join(w.tmpdir, "PGSQL.lock")) {
		t.Fatalf("exit %d, lock there %v\n%s%s", r.code, exists(filepath.Join(w.tmpdir, "PGSQL.lock")), r.stdout, r.stderr)
	}
	wantLines(t, r.stdout, "node2 runs as primary", "the peer's CIB says node2 is LATEST",
		"says this node is DISCONNECT (live CIB of node2)", "node2 is on timeline 4 (0/6000028), this node on 3 (0/4000028)")
}

// The peer is a stopped standby on the same timeline, not further than
// this node: the peer's evidence confirms this node's LATEST.
func TestLockClearPeerBehind(t *testing.T) {
	w := lockPeerWorld(t)
	w.on("@cat", func([]string) (cmdrun.Result, error) { return ok(readFixture(t, "healthy-cib.xml")) })
	w.on("@pg_ctl", func([]string) (cmdrun.Result, error) { return failed(3, "pg_ctl: no server running\n", "") })
	w.on("@pg_controldata", func([]string) (cmdrun.Result, error) {
		return ok(controlDataText("7000", "shut down in recovery", 3, "0/4000028"))
	})
	r := w.cli("lock", "clear", "--yes")
	if r.code != exitOK || exists(filepath.Join(w.tmpdir, "PGSQL.lock")) {
		t.Fatalf("exit %d, lock there %v\n%s%s", r.code, exists(filepath.Join(w.tmpdir, "PGSQL.lock")), r.stdout, r.stderr)
	}
	wantLines(t, r.stdout, "pgsql-data-status is LATEST", "the peer node2 was asked", "timeline 3 (0/4000028) is not ahead of this node's 3 (0/4000028)")
	if len(w.h.syslog) != 1 || !strings.Contains(w.h.syslog[0], "data-latest; peer-not-ahead") {
		t.Errorf("syslog %q", w.h.syslog)
	}
}
