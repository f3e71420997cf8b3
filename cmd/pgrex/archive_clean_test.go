// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/archive"
	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/test/fixtures"
)

// realArchive lays out the real PostgreSQL 15 archive (with a switch to
// timeline 2) as sparse files, and the oldest base backup's directory.
func realArchive(t *testing.T) (arc, backup string) {
	t.Helper()
	arc, backup = fixtures.Archive(t), t.TempDir()
	if err := os.WriteFile(filepath.Join(backup, "backup_label"), fixtures.Read(t, "backup_label"), 0o600); err != nil {
		t.Fatal(err)
	}
	return arc, backup
}

func TestArchiveClean(t *testing.T) {
	gone := []string{"000000010000000000000001", "000000010000000000000002"}
	tests := []struct {
		name   string
		args   []string // after the archive and backup flags
		stdin  string
		code   int
		gone   []string
		out    []string
		stderr []string
	}{
		{name: "dry run", args: []string{"--standby-redo", "2:0/8000028", "--dry-run"}, code: exitOK,
			out: []string{
				"WAL needed by base backup {backup}/backup_label: 000000010000000000000003",
				"WAL needed by checkpoint 2:0/8000028: 000000020000000000000008",
				"Oldest WAL needed: 000000010000000000000003 (base backup {backup}/backup_label).",
				"  delete 000000010000000000000001\n  delete 000000010000000000000002\n",
				"2 files to delete (32.0 MiB); 12 kept (128.0 MiB); 0 left untouched",
				"Dry run: nothing was deleted."}},
		{name: "confirmed", args: []string{"--standby-redo", "2:0/8000028"}, stdin: "y\n", code: exitOK, gone: gone,
			out:    []string{"Delete 2 files from {arc}? [y/N] ", " -- deleted 000000010000000000000001", "Deleted 2 files (32.0 MiB) from {arc}."},
			stderr: []string{"pgrex archive-clean: deleted 2 files (33554432 bytes) from {arc}, older than 000000010000000000000003"}},
		{name: "declined", args: []string{"--standby-redo", "2:0/8000028"}, stdin: "n\n", code: exitDeclined,
			out: []string{"Nothing was changed."}},
		{name: "only the backup", args: []string{"--yes"}, code: exitOK, gone: gone},
		{name: "a standby behind the backup sets the cutoff", args: []string{"--standby-redo", "1:0/2000060", "--yes"}, code: exitOK,
			gone: []string{"000000010000000000000001"}},
		{name: "a need beyond the archive does not matter when another is older", args: []string{"--standby-redo", "2:10/0", "--yes"},
			code: exitOK, gone: gone, stderr: []string{"warning: checkpoint 2:10/0 needs 000000020000000F000000FF, which is not in the archive"}},
		{name: "wrong segment size is refused", args: []string{"--wal-segsize", "64MB", "--standby-redo", "2:0/8000028", "--yes"},
			code: exitError, stderr: []string{"check the WAL segment size"}},
		{name: "bad checkpoint", args: []string{"--standby-redo", "0/8000028"}, code: exitError,
			stderr: []string{"expected TIMELINE:X/Y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			arc, backup := realArchive(t)
			before := fixtures.Names(t, arc)
			h := newHarness()
			h.stdin = tt.stdin
			r := h.cli(t, append([]string{"archive-clean", "--archive", arc, "--backup", backup}, tt.args...)...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\n%s%s", r.code, tt.code, r.stdout, r.stderr)
			}
			var want []string
			for _, n := range before {
				if !slices.Contains(tt.gone, n) {
					want = append(want, n)
				}
			}
			if got := fixtures.Names(t, arc); !slices.Equal(got, want) {
				t.Errorf("left %v\nwant %v", got, want)
			}
			repl := strings.NewReplacer("{arc}", arc, "{backup}", backup)
			for _, l := range tt.out {
				if l = repl.Replace(l); !strings.Contains(r.stdout, l) {
					t.Errorf("stdout lacks %q:\n%s", l, r.stdout)
				}
			}
			for _, l := range tt.stderr {
				if l = repl.Replace(l); !strings.Contains(r.stderr, l) {
					t.Errorf("stderr lacks %q:\n%s", l, r.stderr)
				}
			}
			if (len(tt.gone) > 0) != (len(h.syslog) == 1) {
				t.Errorf("syslog %q", h.syslog)
			}
		})
	}
}

func TestArchiveCleanInputs(t *testing.T) {
	t.Run("no needs", func(t *testing.T) {
		arc, _ := realArchive(t)
		r := newHarness().cli(t, "archive-clean", "--archive", arc, "--yes")
		if r.code != exitAttn || !strings.Contains(r.stderr, "give --backup, --standby-redo or --pgdata") || len(fixtures.Names(t, arc)) != 14 {
			t.Errorf("exit %d\n%s", r.code, r.stderr)
		}
	})
	t.Run("a cutoff beyond the archive is refused", func(t *testing.T) {
		arc, _ := realArchive(t)
		r := newHarness().cli(t, "archive-clean", "--archive", arc, "--standby-redo", "2:10/0", "--yes")
		if r.code != exitAttn || !strings.Contains(r.stderr, "the oldest needed WAL file is newer than every WAL segment in the archive") ||
			len(fixtures.Names(t, arc)) != 14 {
			t.Errorf("exit %d\n%s", r.code, r.stderr)
		}
	})
	t.Run("no archive", func(t *testing.T) {
		r := newHarness().cli(t, "archive-clean", "--standby-redo", "1:0/1")
		if r.code != exitAttn || !strings.Contains(r.stderr, "give --archive or set Archive_dir") {
			t.Errorf("exit %d\n%s", r.code, r.stderr)
		}
	})
	t.Run("no backup warns", func(t *testing.T) {
		arc, _ := realArchive(t)
		r := newHarness().cli(t, "archive-clean", "--archive", arc, "--standby-redo", "2:0/8000028", "--dry-run")
		if r.code != exitOK || !strings.Contains(r.stderr, "No base backup given (--backup)") {
			t.Errorf("exit %d\n%s", r.code, r.stderr)
		}
	})
	t.Run("archive and PGPATH from the config, checkpoint from pg_controldata", func(t *testing.T) {
		arc, _ := realArchive(t)
		pgdata := t.TempDir()
		cd := fixtures.Read(t, "controldata-standby.txt")
		h := newHarness()
		h.conf = "Archive_dir = " + arc + "\nPGPATH = /usr/lib/postgresql/15/bin\n"
		var ran cmdrun.Cmd
		h.run.respond = func(c cmdrun.Cmd) (cmdrun.Result, error) {
			ran = c
			return ok(string(cd))
		}
		r := h.cli(t, "archive-clean", "--pgdata", pgdata, "--yes")
		if ran.Path != "/usr/lib/postgresql/15/bin/pg_controldata" || !slices.Equal(ran.Args, []string{pgdata}) {
			t.Errorf("ran %s %v", ran.Path, ran.Args)
		}
		// The standby's checkpoint (1:0/7000028) needs segment 7 of timeline 1.
		if !strings.Contains(r.stdout, "last checkpoint of "+pgdata+" (1:0/7000028): 000000010000000000000007") {
			t.Errorf("stdout:\n%s", r.stdout)
		}
		if got := fixtures.Names(t, arc); len(got) != 5 || got[0] != "000000010000000000000007" {
			t.Errorf("left %v", got)
		}
		if r.code != exitOK {
			t.Errorf("exit %d\n%s", r.code, r.stderr)
		}
	})
	t.Run("JSON", func(t *testing.T) {
		arc, backup := realArchive(t)
		r := newHarness().cli(t, "archive-clean", "--archive", arc, "--backup", backup, "--json", "--dry-run")
		var out archive.Report
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("%v\n%s", err, r.stdout)
		}
		if out.Plan.Cutoff != "000000010000000000000003" || len(out.Plan.Delete) != 2 || !out.DryRun || out.Result != nil {
			t.Errorf("%+v", out)
		}
		if len(fixtures.Names(t, arc)) != 14 {
			t.Error("dry run deleted files")
		}
	})
}
