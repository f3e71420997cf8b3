// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pgrex/pgrex/ra/cmdrun"
)

// standbyWorld: node2 rejoining node1, which is primary on timeline 3.
func standbyWorld(t *testing.T) *procWorld {
	w := newProcWorld(t, "node2", "node1", "192.0.2.71")
	w.write(filepath.Join(w.root, "cib.xml"), readFixture(t, "healthy-cib.xml"))
	w.write(filepath.Join(w.archive, "000000030000000000000003"), strings.Repeat("x", 16))
	w.on("@pgrep", func([]string) (cmdrun.Result, error) { return ok("311\n") })
	w.on("@crm_mon", func([]string) (cmdrun.Result, error) { return ok(readFixture(t, "pgrex-standby-node-stopped.xml")) })
	w.on("@pg_controldata", func([]string) (cmdrun.Result, error) {
		return ok(controlDataText("7000", "in production", 3, "0/5000028"))
	})
	w.on("@psql", func([]string) (cmdrun.Result, error) {
		return ok("150018|f|7000|000000030000000000000005|0/5000060|on|5432|16777216\n")
	})
	w.on("@cat", func([]string) (cmdrun.Result, error) {
		return ok("1\t0/2000000\tno recovery target specified\n2\t0/3000180\tno recovery target specified\n")
	})
	w.on("@find", func([]string) (cmdrun.Result, error) {
		return ok(w.archive + "\t16\t000000030000000000000003\n" + w.archive + "\t16777216\t000000030000000000000004\n" +
			w.pgdata + "/pg_wal\t16777216\t000000030000000000000005\n")
	})
	// scp: the copies appear in the staging directory, as scp -p leaves them.
	w.on("scp", func(args []string) (cmdrun.Result, error) {
		dst := args[len(args)-1]
		for _, src := range args[:len(args)-1] {
			if !strings.Contains(src, ":") {
				continue
			}
			name := filepath.Base(src)
			w.write(filepath.Join(dst, name), "")
			if err := os.Truncate(filepath.Join(dst, name), seg); err != nil {
				t.Fatal(err)
			}
		}
		return ok("")
	})
	w.crmMon = []string{"", "pgrex-standby-node-stopped.xml", "pgrex-healthy.xml"}
	return w
}

func TestStandbyStartReuse(t *testing.T) {
	w := standbyWorld(t)
	r := w.cli("standby-start", "--yes")
	wantLines(t, r.stdout,
		"Methods to start this node as standby:",
		"  n) start as it is: available",
		"  r) pg_rewind, then start: not available: this node is on the primary's timeline 3: pg_rewind has nothing to rewind",
		"  b) a new base backup from the primary: available",
		"Chosen: n) start as it is",
		"Fetch 1 archive files from the primary 192.0.2.71 (000000030000000000000004 … 000000030000000000000004)",
		"Wait until node2 is a synchronous standby",
		"node2: online, Unpromoted HS:sync/STREAMING|SYNC/100",
		"Standby has started on node2 (synchronous standby of node1).")
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	st, err := os.Stat(filepath.Join(w.archive, "000000030000000000000004"))
	if err != nil || st.Size() != seg {
		t.Errorf("fetched segment: %v %v", st, err)
	}
	changes := w.changes()
	if len(changes) != 2 || !strings.HasPrefix(changes[0], ": scp -p -q -o BatchMode=yes") ||
		!strings.Contains(changes[0], "192.0.2.71:"+w.archive+"/000000030000000000000004") || changes[1] != ": systemctl start pacemaker" {
		t.Errorf("changes %q", changes)
	}
	// The primary's facts came from psql as postgres over ssh, the
	// cluster from crm_mon over ssh: nothing was ever pushed to the primary.
	for _, c := range w.h.run.calls {
		if c.Path == "ssh" && (slices.Contains(c.Args, "scp") || slices.Contains(c.Args, "systemctl")) {
			t.Errorf("changed the primary: %v", c.Args)
		}
	}
}

func TestStandbyStartLockMeansRebuild(t *testing.T) {
	w := standbyWorld(t)
	lock := filepath.Join(w.tmpdir, "PGSQL.lock")
	w.write(lock, "")
	r := w.cli("standby-start", "--dry-run")
	wantLines(t, r.stdout,
		"  n) start as it is: not available: PGSQL.lock "+lock+" exists",
		"Chosen: b) a new base backup from the primary",
		"1. Move the old data "+w.pgdata+" aside to "+w.pgdata+".pgrex-old-20261122T050000Z [asks first]",
		"3. Take a fresh base backup into "+w.pgdata+" from the primary at 192.0.2.80",
		"4. Remove PGSQL.lock "+lock+" (rebuilt) [asks first]",
		"Dry run: nothing was changed.")
	if r.code != exitOK || len(w.changes()) != 0 || !exists(lock) || !exists(filepath.Join(w.pgdata, "PG_VERSION")) {
		t.Errorf("exit %d changes %v", r.code, w.changes())
	}

	// Declining the move aside leaves everything as it was.
	w.h.stdin = "\n"
	r = w.cli("standby-start")
	if r.code != exitDeclined || len(w.changes()) != 0 || !exists(filepath.Join(w.pgdata, "PG_VERSION")) {
		t.Errorf("exit %d changes %v", r.code, w.changes())
	}

	// Yes to everything: old data kept aside, backup taken as postgres.
	w.on("pg_basebackup", func([]string) (cmdrun.Result, error) {
		w.write(filepath.Join(w.pgdata, "PG_VERSION"), "15\n")
		return ok("")
	})
	w.h.stdin = "y\ny\n"
	r = w.cli("standby-start")
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !exists(filepath.Join(w.pgdata+".pgrex-old-20261122T050000Z", "PG_VERSION")) || exists(lock) {
		t.Errorf("old data aside: %v, lock gone: %v", exists(w.pgdata+".pgrex-old-20261122T050000Z"), !exists(lock))
	}
	var bb cmdrun.Cmd
	for _, c := range w.h.run.calls {
		if filepath.Base(c.Path) == "pg_basebackup" {
			bb = c
		}
	}
	wantArgs := []string{"--pgdata=" + w.pgdata, "--host=192.0.2.80", "--port=5432", "--username=repuser", "--no-password",
		"--wal-method=stream", "--checkpoint=fast", "--progress"}
	if bb.Path != "/usr/lib/postgresql/15/bin/pg_basebackup" || !slices.Equal(bb.Args, wantArgs) || bb.Timeout != defaultRebuildTimeout {
		t.Errorf("pg_basebackup %+v", bb)
	}
}

func TestStandbyStartNoPrimary(t *testing.T) {
	w := standbyWorld(t)
	w.on("@pgrep", func([]string) (cmdrun.Result, error) { return failed(1, "", "") })
	r := w.cli("standby-start", "--yes")
	wantLines(t, r.stdout, "no primary runs on node1")
	if r.code != exitDown || len(w.changes()) != 0 {
		t.Errorf("exit %d changes %v", r.code, w.changes())
	}
}

func TestStandbyStartCheckOnly(t *testing.T) {
	w := standbyWorld(t)
	r := w.cli("standby-start", "--check-only", "--basebackup")
	wantLines(t, r.stdout, "n) start as it is: available", "b) a new base backup from the primary: available")
	if r.code != exitOK || strings.Contains(r.stdout, "Plan:") || len(w.changes()) != 0 {
		t.Errorf("exit %d\n%s", r.code, r.stdout)
	}
}

func TestStandbyStartJSON(t *testing.T) {
	w := standbyWorld(t)
	r := w.cli("standby-start", "--dry-run", "--json", "--basebackup")
	if r.code != exitOK || !strings.Contains(r.stdout, `"chosen": "basebackup"`) || !strings.Contains(r.stdout, `"code": "pg-basebackup"`) {
		t.Errorf("exit %d\n%s", r.code, r.stdout)
	}
	// stdout is one JSON document and nothing else (scripts parse it)
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Errorf("--json output is not one JSON document: %v\n%s", err, r.stdout)
	}
}

func TestStandbyStartJapanese(t *testing.T) {
	w := standbyWorld(t)
	w.h.env["LANG"] = "ja_JP.UTF-8"
	r := w.cli("standby-start", "--dry-run")
	wantLines(t, r.stdout, "Standby として起動する方法:", "選択した方法: n) そのまま起動", "実施する手順:",
		"Primary 192.0.2.71 からアーカイブファイル 1 個を取得", "ドライラン: 何も変更していません。")
}

// tree writes files (path relative to root → content) and returns a
// function that lists every file still there.
func tree(t *testing.T, root string, files map[string]string) func() []string {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return func() []string {
		var out []string
		for name := range files {
			if exists(filepath.Join(root, name)) {
				out = append(out, name)
			}
		}
		slices.Sort(out)
		return out
	}
}

// --basebackup --remove-old-data --yes with a wrong PGDATA deletes
// nothing and is refused (exit 2); this cluster's data directory is
// planned for deletion.
func TestStandbyStartRemoveOldDataProof(t *testing.T) {
	dataDir := map[string]string{"PG_VERSION": "15\n", "global/pg_control": "ctl", "base/1/PG_VERSION": "15\n", "base/1/1259": "rel"}
	tests := []struct {
		name  string
		files map[string]string
		sysid string // what pg_controldata says of it
		link  bool   // PGDATA is a symbolic link to the directory
		want  string
	}{
		{name: "a directory of user files", files: map[string]string{"report.txt": "mine", "photos/a.jpg": "jpg"},
			want: "has no PG_VERSION: it is not a data directory, nothing is deleted"},
		{name: "a parent of a data directory", files: map[string]string{"notes": "n", "15/main/PG_VERSION": "15\n",
			"15/main/global/pg_control": "ctl"}, want: "holds another data directory"},
		{name: "another cluster's data directory", files: dataDir, sysid: "6999",
			want: "belongs to another database cluster (system identifier 6999, the primary's is 7000)"},
		{name: "a symbolic link to this cluster's data", files: dataDir, sysid: "7000", link: true,
			want: "is a symbolic link: nothing is deleted through it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := standbyWorld(t)
			dir := filepath.Join(w.root, "wrong")
			left := tree(t, dir, tt.files)
			pgdata := dir
			if tt.link {
				pgdata = filepath.Join(w.root, "link")
				if err := os.Symlink(dir, pgdata); err != nil {
					t.Fatal(err)
				}
			}
			w.on("pg_controldata", func([]string) (cmdrun.Result, error) {
				if tt.sysid == "" {
					return failed(1, "", "pg_controldata: fatal: could not open file \"global/pg_control\"")
				}
				return ok(controlDataText(tt.sysid, "shut down", 3, "0/4000028"))
			})
			all := left()
			r := w.cli("standby-start", "--basebackup", "--remove-old-data", "--shared-archive", "--yes", "--pgdata", pgdata)
			if r.code != exitAttn {
				t.Errorf("exit %d, want %d\n%s%s", r.code, exitAttn, r.stdout, r.stderr)
			}
			wantLines(t, r.stdout, tt.want)
			if got := left(); !slices.Equal(got, all) || len(w.changes()) != 0 {
				t.Errorf("files left %v of %v; changes %v", got, all, w.changes())
			}
			if tt.link && !exists(pgdata) {
				t.Error("the link was removed")
			}
		})
	}

	t.Run("this cluster's data directory", func(t *testing.T) {
		w := standbyWorld(t)
		dir := filepath.Join(w.root, "data15")
		tree(t, dir, dataDir)
		r := w.cli("standby-start", "--basebackup", "--remove-old-data", "--shared-archive", "--dry-run", "--pgdata", dir)
		wantLines(t, r.stdout, "1. Delete "+dir+" (asked for with --remove-old-data) [asks first]")
		if r.code != exitOK {
			t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})

	t.Run("a pg_wal link to a directory with other files", func(t *testing.T) {
		w := standbyWorld(t)
		dir := filepath.Join(w.root, "data15")
		tree(t, dir, dataDir)
		wal := filepath.Join(w.root, "walfs")
		left := tree(t, wal, map[string]string{"000000030000000000000004": "", "backup.tar": "mine"})
		if err := os.Symlink(wal, filepath.Join(dir, "pg_wal")); err != nil {
			t.Fatal(err)
		}
		r := w.cli("standby-start", "--basebackup", "--remove-old-data", "--shared-archive", "--yes", "--pgdata", dir)
		wantLines(t, r.stdout, "the target of pg_wal, holds what is not WAL (backup.tar)")
		if r.code != exitAttn || len(left()) != 2 || !exists(filepath.Join(dir, "PG_VERSION")) {
			t.Errorf("exit %d, left %v\n%s", r.code, left(), r.stdout)
		}
	})
}
