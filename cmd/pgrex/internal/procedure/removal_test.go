// SPDX-License-Identifier: Apache-2.0

package procedure

import (
	"github.com/pgrex/pgrex/ra/pg"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestProveDataDir(t *testing.T) {
	good := DeletionFacts{Path: "/var/lib/pgsql/data", Exists: true, Dir: true, PGVersion: "15", Control: true}
	ctl := &pg.ControlData{SystemID: "7000"}
	tests := []struct {
		name   string
		change func(f *DeletionFacts)
		ctl    *pg.ControlData
		sysid  string
		want   []string
	}{
		{name: "this cluster's data directory", want: nil},
		{name: "a mount point that is the data directory", change: func(f *DeletionFacts) { f.Mount = true }},
		{name: "/", change: func(f *DeletionFacts) { f.Path = "/" }, want: []string{"delete-system-dir"}},
		{name: "/etc", change: func(f *DeletionFacts) { f.Path = "/etc" }, want: []string{"delete-system-dir"}},
		{name: "/var/lib/postgresql", change: func(f *DeletionFacts) { f.Path = "/var/lib/postgresql" }, want: []string{"delete-system-dir"}},
		{name: "relative", change: func(f *DeletionFacts) { f.Path = "data" }, want: []string{"delete-path"}},
		{name: "not clean", change: func(f *DeletionFacts) { f.Path = "/var/lib/pgsql/data/../.." }, want: []string{"delete-path"}},
		{name: "not gathered", change: func(f *DeletionFacts) { *f = DeletionFacts{} }, want: []string{"delete-path"}},
		{name: "symbolic link", change: func(f *DeletionFacts) { f.Symlink, f.Dir = true, false }, want: []string{"delete-symlink"}},
		{name: "a file", change: func(f *DeletionFacts) { f.Dir = false }, want: []string{"delete-not-dir"}},
		{name: "user files: no PG_VERSION, no pg_control", change: func(f *DeletionFacts) { f.PGVersion, f.Control = "", false },
			ctl: nil, want: []string{"delete-no-pg-version", "delete-no-control", "delete-sysid-unknown"}},
		{name: "an unsupported major", change: func(f *DeletionFacts) { f.PGVersion = "9.6" }, want: []string{"delete-pg-version"}},
		{name: "garbage PG_VERSION", change: func(f *DeletionFacts) { f.PGVersion = "hello" }, want: []string{"delete-pg-version"}},
		{name: "another cluster", ctl: &pg.ControlData{SystemID: "6999"}, want: []string{"delete-sysid"}},
		{name: "primary's identifier unknown", sysid: "-", want: []string{"delete-sysid"}},
		{name: "a parent of a data directory", change: func(f *DeletionFacts) { f.Nested = "/var/lib/pgsql/data/old" },
			want: []string{"delete-nested"}},
		{name: "search incomplete", change: func(f *DeletionFacts) { f.NestedErr = "too many" }, want: []string{"delete-nested-unknown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := good
			if tt.change != nil {
				tt.change(&f)
			}
			c := ctl
			if tt.ctl != nil || tt.name == "user files: no PG_VERSION, no pg_control" {
				c = tt.ctl
			}
			sysid := "7000"
			if tt.sysid == "-" {
				sysid = ""
			}
			if got := refusalCodes(ProveDataDir(f, c, "", sysid)); !slices.Equal(got, tt.want) {
				t.Errorf("refusals %v, want %v", got, tt.want)
			}
		})
	}
}

func TestProveWALDir(t *testing.T) {
	good := DeletionFacts{Path: "/wal/pg_wal", Exists: true, Dir: true}
	tests := []struct {
		name   string
		change func(f *DeletionFacts)
		want   []string
	}{
		{name: "only WAL", want: nil},
		{name: "absent", change: func(f *DeletionFacts) { f.Exists, f.Dir = false, false }},
		{name: "foreign files", change: func(f *DeletionFacts) { f.Foreign = []string{"notes.txt"} }, want: []string{"delete-wal-not-wal"}},
		{name: "a data directory", change: func(f *DeletionFacts) { f.PGVersion = "15" }, want: []string{"delete-wal-not-wal"}},
		{name: "unlistable", change: func(f *DeletionFacts) { f.ListErr = "permission denied" }, want: []string{"delete-wal-unreadable"}},
		{name: "/var", change: func(f *DeletionFacts) { f.Path = "/var" }, want: []string{"delete-system-dir"}},
		{name: "holds a data directory", change: func(f *DeletionFacts) { f.Nested = "/wal/pg_wal/x" }, want: []string{"delete-nested"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := good
			if tt.change != nil {
				tt.change(&f)
			}
			if got := refusalCodes(ProveWALDir(f)); !slices.Equal(got, tt.want) {
				t.Errorf("refusals %v, want %v", got, tt.want)
			}
		})
	}
}

// gatherDeletion on real directories: a data directory, one with a data
// directory below it, a WAL directory with a stray file.
func TestGatherDeletion(t *testing.T) {
	root := t.TempDir()
	data := filepath.Join(root, "data")
	for _, d := range []string{filepath.Join(data, "global"), filepath.Join(data, "base", "1"), filepath.Join(root, "wal", "archive_status")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for name, text := range map[string]string{"data/PG_VERSION": "15\n", "data/global/pg_control": "x", "data/base/1/PG_VERSION": "15\n",
		"wal/000000010000000000000001": "", "wal/00000002.history": "", "wal/notes.txt": "mine"} {
		if err := os.WriteFile(filepath.Join(root, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f := gatherDeletion(data, false)
	if !f.Exists || !f.Dir || f.PGVersion != "15" || !f.Control || f.Nested != "" || f.NestedErr != "" {
		t.Errorf("data: %+v", f)
	}
	if f := gatherDeletion(root, false); f.Nested != data || f.PGVersion != "" {
		t.Errorf("parent: %+v", f)
	}
	if f := gatherDeletion(filepath.Join(root, "wal"), true); !slices.Equal(f.Foreign, []string{"notes.txt"}) {
		t.Errorf("wal: %+v", f)
	}
	link := filepath.Join(root, "link")
	if err := os.Symlink(data, link); err != nil {
		t.Fatal(err)
	}
	if f := gatherDeletion(link, false); !f.Symlink || f.Dir || f.PGVersion != "" {
		t.Errorf("link: %+v", f)
	}
}
