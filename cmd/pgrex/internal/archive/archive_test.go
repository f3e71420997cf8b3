// SPDX-License-Identifier: Apache-2.0

package archive_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/archive"
	"github.com/pgrex/pgrex/ra/pg"
	"github.com/pgrex/pgrex/test/fixtures"
)

const seg16 = 16 << 20

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		kind archive.Kind
		tli  uint32
		base string
	}{
		{"000000730000006A0000004E", archive.Segment, 0x73, "000000730000006A0000004E"},
		{"000000010000000000000007.partial", archive.Partial, 1, "000000010000000000000007"},
		{"000000730000006A0000004E.000013D8.backup", archive.BackupHistory, 0x73, "000000730000006A0000004E"},
		{"00000073.history", archive.TimelineHistory, 0x73, ""},
		{"000000730000006A0000004E.gz", archive.Compressed, 0x73, "000000730000006A0000004E"},
		{"000000730000006A0000004E.zst", archive.Compressed, 0x73, "000000730000006A0000004E"},
		{"00000073.history.bz2", archive.Compressed, 0x73, ""},
		{"000000730000006a0000004e", archive.Other, 0, ""},     // lower case: not PostgreSQL's
		{"000000000000006A0000004E", archive.Other, 0, ""},     // timeline 0
		{"000000730000006A0000004", archive.Other, 0, ""},      // 23 digits
		{"000000730000006A0000004E.tmp", archive.Other, 0, ""}, // archive_command's temp file
		{"00000000.history", archive.Other, 0, ""},
		{"README.gz", archive.Other, 0, ""},
		{"20240101_120000", archive.Other, 0, ""}, // PG-REX move-mode directory name
		{"000000730000006A0000004E.000013D8.backup.old", archive.Other, 0, ""},
	}
	for _, tt := range tests {
		kind, tli, base := archive.Classify(tt.name)
		if kind != tt.kind || tli != tt.tli || base != tt.base {
			t.Errorf("Classify(%q) = %s %x %q, want %s %x %q", tt.name, kind, tli, base, tt.kind, tt.tli, tt.base)
		}
	}
}

func FuzzClassify(f *testing.F) {
	for _, s := range []string{"000000730000006A0000004E", "00000073.history.gz", "000000010000000000000007.partial", "x.backup"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		kind, tli, base := archive.Classify(name)
		switch kind {
		case archive.Segment, archive.Partial, archive.BackupHistory:
			if !isWAL(base) || !strings.HasPrefix(name, base) || tli == 0 {
				t.Fatalf("%q: %s with base %q tli %d", name, kind, base, tli)
			}
		case archive.TimelineHistory:
			if tli == 0 || !strings.HasSuffix(name, ".history") {
				t.Fatalf("%q: history tli %d", name, tli)
			}
		case archive.Other:
			if tli != 0 || base != "" {
				t.Fatalf("%q: other with tli %d base %q", name, tli, base)
			}
		}
	})
}

// TestRedoSegmentName: the manual's rule next to the WAL file name of the
// same location (pg.WALFileName, tested with the LSN in ra/pg).
func TestRedoSegmentName(t *testing.T) {
	tests := []struct {
		tli      uint32
		lsn      string
		segSize  int64
		seg, red string
	}{
		// The manual's example (6.2 (2)): timeline 117, REDO 6A/51629270.
		{117, "6A/51629270", seg16, "000000750000006A00000051", "000000750000006A00000051"},
		// Exactly on a boundary: the manual's pg_xlogfile_name keeps the file before.
		{1, "0/7000000", seg16, "000000010000000000000007", "000000010000000000000006"},
		{1, "1/0", seg16, "000000010000000100000000", "0000000100000000000000FF"},
		{2, "0/7000028", 64 << 20, "000000020000000000000001", "000000020000000000000001"},
		{1, "0/0", seg16, "000000010000000000000000", "000000010000000000000000"},
	}
	for _, tt := range tests {
		lsn, err := pg.ParseLSN(tt.lsn)
		if err != nil {
			t.Fatal(err)
		}
		if got := pg.WALFileName(tt.tli, lsn, tt.segSize); got != tt.seg {
			t.Errorf("WALFileName(%d, %s) = %s, want %s", tt.tli, tt.lsn, got, tt.seg)
		}
		if got := archive.RedoSegmentName(tt.tli, lsn, tt.segSize); got != tt.red {
			t.Errorf("RedoSegmentName(%d, %s) = %s, want %s", tt.tli, tt.lsn, got, tt.red)
		}
	}
}

// isWAL is pg.ParseWALFileName's yes or no.
func isWAL(name string) bool {
	_, ok := pg.ParseWALFileName(name)
	return ok
}

func TestParseLabel(t *testing.T) {
	manual := "START WAL LOCATION: 6A/4E0013D8 (file 000000730000006A0000004E)\nCHECKPOINT LOCATION: 6A/4E002740\nBACKUP METHOD: streamed\n"
	tests := []struct {
		name    string
		text    string
		segSize int64
		wal     string
		tli     uint32
		wantErr string
	}{
		{name: "real PG 15 backup_label", text: string(fixtures.Read(t, "backup_label")), segSize: seg16,
			wal: "000000010000000000000003", tli: 1},
		{name: "real PG 15 backup history file", text: string(fixtures.Read(t, "000000010000000000000005.00000028.backup")),
			segSize: seg16, wal: "000000010000000000000005", tli: 1},
		{name: "the manual's 9.1 label (no START TIMELINE)", text: manual, segSize: seg16,
			wal: "000000730000006A0000004E", tli: 0x73},
		{name: "CRLF", text: strings.ReplaceAll(manual, "\n", "\r\n"), segSize: seg16, wal: "000000730000006A0000004E", tli: 0x73},
		{name: "wrong segment size", text: manual, segSize: 64 << 20, wantErr: "check the WAL segment size"},
		{name: "timeline disagrees", text: manual + "START TIMELINE: 1\n", segSize: seg16, wantErr: "START TIMELINE 1"},
		{name: "not a label", text: "hello\n", segSize: seg16, wantErr: "no \"START WAL LOCATION"},
		{name: "lower-case file name", text: "START WAL LOCATION: 0/3000028 (file 00000001000000000000000a)\n", segSize: seg16,
			wantErr: "no \"START WAL LOCATION"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := archive.ParseLabel([]byte(tt.text), tt.segSize)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || l.StartWAL != tt.wal || l.Timeline != tt.tli {
				t.Fatalf("ParseLabel = %+v, %v; want %s tli %d", l, err, tt.wal, tt.tli)
			}
		})
	}
}

func FuzzParseLabel(f *testing.F) {
	f.Add(fixtures.Read(f, "backup_label"))
	f.Add(fixtures.Read(f, "000000010000000000000005.00000028.backup"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := archive.ParseLabel(data, seg16)
		if err == nil && (!isWAL(l.StartWAL) || pg.WALFileName(l.Timeline, l.StartLSN, seg16) != l.StartWAL) {
			t.Fatalf("inconsistent label accepted: %+v", l)
		}
	})
}

func TestReadLabel(t *testing.T) {
	label := fixtures.Read(t, "backup_label")
	dir := t.TempDir()

	plain := filepath.Join(dir, "plain")
	mustWrite(t, filepath.Join(plain, "backup_label"), label)
	manual := filepath.Join(dir, "manual")
	mustWrite(t, filepath.Join(manual, "pgdata", "backup_label"), label)
	tarred := filepath.Join(dir, "tarred")
	mustWrite(t, filepath.Join(tarred, "base.tar.gz"), tarGz(t, map[string][]byte{"PG_VERSION": []byte("15\n"), "backup_label": label}))
	empty := filepath.Join(dir, "empty")
	if err := os.MkdirAll(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{plain, manual, tarred, filepath.Join(plain, "backup_label")} {
		b, where, err := archive.ReadLabel(p)
		if err != nil || !bytes.Equal(b, label) {
			t.Errorf("ReadLabel(%s) = %q from %s, %v", p, b, where, err)
		}
	}
	if _, _, err := archive.ReadLabel(empty); err == nil || !strings.Contains(err.Error(), "no backup_label") {
		t.Errorf("empty backup dir: %v", err)
	}
	if _, _, err := archive.ReadLabel(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing backup accepted")
	}
}

func mustWrite(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// mustTruncate makes a sparse file of the given size.
func mustTruncate(t *testing.T, path string, size int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
}

func tarGz(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, name := range []string{"PG_VERSION", "backup_label"} {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(files[name]))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(files[name]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestCheckpointOf: the checkpoint archive-clean takes from real
// pg_controldata output (the parser and its edge cases: ra/pg).
func TestCheckpointOf(t *testing.T) {
	read := func(name string) archive.Checkpoint {
		cd, err := pg.ParseControlData(fixtures.Read(t, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return archive.CheckpointOf(cd)
	}
	if c := read("controldata-standby.txt"); c.TLI != 1 || c.Redo.String() != "0/7000028" || c.SegSize != seg16 {
		t.Fatalf("standby: %+v", c)
	}
	if c := read("controldata-shutdown.txt"); c.TLI != 1 || c.Redo.String() != "0/1500708" {
		t.Fatalf("shutdown: %+v", c)
	}
	// No "Bytes per WAL segment" line: the size stays unknown, so the
	// operator's --wal-segsize is kept.
	noSize := strings.Replace(string(fixtures.Read(t, "controldata-standby.txt")), "Bytes per WAL segment:", "Bytes per segment:", 1)
	cd, err := pg.ParseControlData([]byte(noSize))
	if err != nil || archive.CheckpointOf(cd).SegSize != 0 {
		t.Fatalf("without the segment size: %+v, %v", cd, err)
	}
}

func TestParseRedo(t *testing.T) {
	c, err := archive.ParseRedo("117:6A/51629270")
	if err != nil || c.TLI != 117 || c.Redo.String() != "6A/51629270" {
		t.Fatalf("%+v %v", c, err)
	}
	for _, bad := range []string{"6A/51629270", "0:0/1", "x:0/1", "1:zz", "-1:0/1"} {
		if _, err := archive.ParseRedo(bad); err == nil {
			t.Errorf("ParseRedo(%q) accepted", bad)
		}
	}
}

// The history file itself is read by ra/pg (ParseHistory, with its own
// table and fuzz tests); the archive only derives ancestors from it.
func TestAncestorsFromHistory(t *testing.T) {
	e, err := pg.ParseHistory(fixtures.Read(t, "00000002.history"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := archive.AncestorsFromHistory(2, e); err != nil || len(got) == 0 {
		t.Errorf("AncestorsFromHistory(2, real history) = %v, %v", got, err)
	}
	if _, err := archive.AncestorsFromHistory(2, []pg.HistoryEntry{{ParentTLI: 3}}); err == nil {
		t.Error("a parent newer than the child accepted")
	}
}

// files builds File values: "name" (a full segment) or "name:size".
func files(specs ...string) []archive.File {
	var out []archive.File
	for _, s := range specs {
		name, size := s, int64(seg16)
		if n, sz, ok := strings.Cut(s, ":"); ok {
			name = n
			size, _ = strconv.ParseInt(sz, 10, 64)
		}
		out = append(out, archive.NewFile(name, size, true))
	}
	return out
}

// manualArchive is the listing of the manual's 6.2 example.
var manualArchive = files(
	"000000710000006A0000004B",
	"000000710000006A0000004B.00000020.backup:300",
	"00000072.history:42",
	"000000720000006A0000004C",
	"000000720000006A0000004D",
	"000000720000006A0000004E",
	"000000720000006A0000004F",
	"00000073.history:84",
	"000000730000006A0000004C",
	"000000730000006A0000004D",
	"000000730000006A0000004E",
	"000000730000006A0000004E.000013D8.backup:300",
	"000000730000006A0000004F",
	"000000730000006A00000050",
	"00000074.history:126",
	"000000740000006A00000050",
	"000000740000006A00000051",
	"00000075.history:168",
	"000000750000006A00000051",
)

// linear is the ancestry of the manual's timelines: one line of descent.
var linear = map[uint32][]uint32{0x72: {1, 0x71}, 0x73: {1, 0x71, 0x72}, 0x74: {1, 0x71, 0x72, 0x73}, 0x75: {1, 0x71, 0x72, 0x73, 0x74}}

func names(fs []archive.File) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Name)
	}
	return out
}

func TestMakePlan(t *testing.T) {
	backup := archive.Need{Source: "backup", WAL: "000000730000006A0000004E"}
	standby := archive.Need{Source: "standby", WAL: "000000750000006A00000051"}
	manualDeleted := []string{
		"000000710000006A0000004B", "000000710000006A0000004B.00000020.backup",
		"000000720000006A0000004C", "000000720000006A0000004D", "000000720000006A0000004E", "000000720000006A0000004F",
		"000000730000006A0000004C", "000000730000006A0000004D",
	}
	tests := []struct {
		name      string
		in        archive.Input
		cutoff    string
		deleted   []string
		untouched []string
		warnings  int
		wantErr   error
	}{
		{
			// The manual deletes 00000072.history too; pgrex keeps it,
			// because timeline 0x72 leads to the kept timeline 0x73.
			name:    "the manual's example, linear history",
			in:      archive.Input{Files: manualArchive, Needs: []archive.Need{backup, standby}, Ancestors: linear, SegSize: seg16},
			cutoff:  backup.WAL,
			deleted: manualDeleted,
		},
		{
			name: "abandoned branch: 0x72 does not lead to 0x73, its history goes",
			in: archive.Input{Files: manualArchive, Needs: []archive.Need{backup, standby}, SegSize: seg16,
				Ancestors: map[uint32][]uint32{0x72: {1, 0x71}, 0x73: {1, 0x71}, 0x74: {1, 0x71, 0x73}, 0x75: {1, 0x71, 0x73, 0x74}}},
			cutoff:  backup.WAL,
			deleted: append([]string{"00000072.history"}, manualDeleted...),
		},
		{
			name: "unknown ancestry of a kept timeline keeps every older history",
			in: archive.Input{Files: manualArchive, Needs: []archive.Need{backup, standby}, SegSize: seg16,
				Ancestors: map[uint32][]uint32{0x72: {1, 0x71}, 0x74: {1, 0x71, 0x73}, 0x75: {1, 0x71, 0x73, 0x74}}},
			cutoff:  backup.WAL,
			deleted: manualDeleted,
		},
		{
			name: "the standby is the older need",
			in: archive.Input{Files: manualArchive, SegSize: seg16, Ancestors: linear,
				Needs: []archive.Need{{Source: "backup", WAL: "000000750000006A00000051"}, {Source: "standby", WAL: "000000730000006A0000004D"}}},
			cutoff: "000000730000006A0000004D",
			deleted: []string{"000000710000006A0000004B", "000000710000006A0000004B.00000020.backup",
				"000000720000006A0000004C", "000000720000006A0000004D", "000000720000006A0000004E", "000000720000006A0000004F",
				"000000730000006A0000004C"},
		},
		{
			name: "compressed and unrecognised files are never touched",
			in: archive.Input{SegSize: seg16, Needs: []archive.Need{{Source: "standby", WAL: "000000010000000000000005"}},
				Files: files("000000010000000000000001.gz:100", "000000010000000000000002", "00000001.history.bz2:10",
					"000000010000000000000003.tmp:5", "notes.txt:9", "000000010000000000000005")},
			cutoff:    "000000010000000000000005",
			deleted:   []string{"000000010000000000000002"},
			untouched: []string{"00000001.history.bz2", "000000010000000000000001.gz", "000000010000000000000003.tmp", "notes.txt"},
		},
		{
			name: "partial segments: the old timeline's go, the cutoff's stays",
			in: archive.Input{SegSize: seg16, Needs: []archive.Need{{Source: "backup", WAL: "000000020000000000000007"}},
				Ancestors: map[uint32][]uint32{2: {1}},
				Files: files("000000010000000000000007.partial", "00000002.history:41", "000000020000000000000007.partial",
					"000000020000000000000007", "000000020000000000000008")},
			cutoff:  "000000020000000000000007",
			deleted: []string{"000000010000000000000007.partial"},
		},
		{
			name: "the needed file is missing: a warning",
			in: archive.Input{SegSize: seg16, Needs: []archive.Need{{Source: "backup /b", WAL: "000000010000000000000003"}},
				Files: files("000000010000000000000001", "000000010000000000000004")},
			cutoff: "000000010000000000000003", deleted: []string{"000000010000000000000001"}, warnings: 1,
		},
		{
			name: "nothing to delete",
			in: archive.Input{SegSize: seg16, Needs: []archive.Need{{Source: "s", WAL: "000000010000000000000001"}},
				Files: files("000000010000000000000001", "000000010000000000000002")},
			cutoff: "000000010000000000000001",
		},
		{
			name: "a cutoff beyond the archive is refused",
			in: archive.Input{SegSize: seg16, Needs: []archive.Need{{Source: "standby", WAL: "000000010000000A00000001"}},
				Files: files("000000010000000000000001", "000000010000000000000002")},
			wantErr: archive.ErrCutoffBeyondArchive,
		},
		{
			name: "a cutoff beyond a compressed archive is refused",
			in: archive.Input{SegSize: seg16, Needs: []archive.Need{{Source: "standby", WAL: "000000010000000A00000001"}},
				Files: files("000000010000000000000001.gz:10", "000000010000000000000002.gz:10")},
			wantErr: archive.ErrCutoffBeyondArchive,
		},
		{
			name:    "no needs",
			in:      archive.Input{SegSize: seg16, Files: files("000000010000000000000001")},
			wantErr: archive.ErrNoNeeds,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := archive.MakePlan(tt.in)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Cutoff != tt.cutoff {
				t.Errorf("cutoff %s, want %s", p.Cutoff, tt.cutoff)
			}
			want := slices.Clone(tt.deleted)
			slices.Sort(want)
			if got := names(p.Delete); !slices.Equal(got, want) {
				t.Errorf("delete %v\nwant   %v", got, want)
			}
			if got := names(p.Untouched); !slices.Equal(got, tt.untouched) {
				t.Errorf("untouched %v, want %v", got, tt.untouched)
			}
			if len(p.Warnings) != tt.warnings {
				t.Errorf("warnings %v", p.Warnings)
			}
			var bytes int64
			for _, f := range p.Delete {
				bytes += f.Size
			}
			if p.DeleteBytes != bytes || p.KeepCount+len(p.Delete)+len(p.Untouched) != len(tt.in.Files) {
				t.Errorf("accounting: %d bytes (want %d), keep %d + delete %d + untouched %d != %d files",
					p.DeleteBytes, bytes, p.KeepCount, len(p.Delete), len(p.Untouched), len(tt.in.Files))
			}
		})
	}
}

func TestMakePlanSegmentSize(t *testing.T) {
	in := archive.Input{SegSize: 64 << 20, Needs: []archive.Need{{Source: "s", WAL: "000000010000000000000002"}},
		Files: files("000000010000000000000001", "000000010000000000000002", "000000010000000000000003:100")}
	if _, err := archive.MakePlan(in); err == nil || !strings.Contains(err.Error(), "are 16777216 bytes, not 67108864") {
		t.Errorf("segment size mismatch: %v", err)
	}
}

// scenario lays the real PostgreSQL 15 archive (test/fixtures) out as
// sparse files (full size, no disk use) plus what a real archive may hold
// besides: a compressed copy, a sub-directory and a symbolic link.
func scenario(t *testing.T) string {
	t.Helper()
	dir := fixtures.Archive(t)
	mustWrite(t, filepath.Join(dir, "000000010000000000000000.gz"), []byte("compressed"))
	if err := os.Mkdir(filepath.Join(dir, "20260101_000000"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "000000010000000000000002"), filepath.Join(dir, "000000010000000000000000")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// End to end on the real archive with a timeline switch: the oldest backup
// started in segment 3, the new primary (after the switch to timeline 2)
// last checkpointed in segment 8 of timeline 2.
func TestScanPlanExecute(t *testing.T) {
	dir := scenario(t)
	before := fixtures.Names(t, dir)

	fs, anc, warns, err := archive.Scan(dir)
	if err != nil || len(warns) != 0 {
		t.Fatalf("Scan: %v %v", err, warns)
	}
	if !slices.Equal(anc[2], []uint32{1}) {
		t.Errorf("ancestors of timeline 2: %v", anc[2])
	}
	label, err := archive.ParseLabel(fixtures.Read(t, "backup_label"), seg16)
	if err != nil {
		t.Fatal(err)
	}
	redo, _ := archive.ParseRedo("2:0/8000028")
	p, err := archive.MakePlan(archive.Input{Files: fs, Ancestors: anc, SegSize: seg16, Needs: []archive.Need{
		{Source: "backup", WAL: label.StartWAL},
		{Source: "standby", WAL: archive.RedoSegmentName(redo.TLI, redo.Redo, seg16)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"000000010000000000000001", "000000010000000000000002"}
	if !slices.Equal(names(p.Delete), want) || p.DeleteBytes != 2*seg16 {
		t.Fatalf("plan deletes %v (%d bytes), want %v", names(p.Delete), p.DeleteBytes, want)
	}
	if got := names(p.Untouched); !slices.Equal(got, []string{"000000010000000000000000", "000000010000000000000000.gz", "20260101_000000"}) {
		t.Errorf("untouched %v", got)
	}

	var progress []string
	r, err := archive.Execute(dir, p, func(n string) { progress = append(progress, n) })
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Deleted, want) || !slices.Equal(progress, want) || r.DeletedBytes != 2*seg16 {
		t.Errorf("Execute: %+v, progress %v", r, progress)
	}
	after := fixtures.Names(t, dir)
	var wantAfter []string
	for _, n := range before {
		if !slices.Contains(want, n) {
			wantAfter = append(wantAfter, n)
		}
	}
	if !slices.Equal(after, wantAfter) {
		t.Errorf("left on disk %v\nwant         %v", after, wantAfter)
	}
	// The dangling symlink's target went, the link did not.
	if _, err := os.Lstat(filepath.Join(dir, "000000010000000000000000")); err != nil {
		t.Errorf("symlink removed: %v", err)
	}
}

// Files that changed between planning and execution are skipped, not
// deleted.
func TestExecuteRechecks(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"000000010000000000000001", "000000010000000000000002", "000000010000000000000003"} {
		mustTruncate(t, filepath.Join(dir, n), 1<<20)
	}
	fs, anc, _, err := archive.Scan(dir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := archive.MakePlan(archive.Input{Files: fs, Ancestors: anc, SegSize: 1 << 20,
		Needs: []archive.Need{{Source: "s", WAL: "000000010000000000000003"}}})
	if err != nil {
		t.Fatalf("%v", err)
	}
	// Segment 1 grew (rewritten), segment 2 vanished.
	mustTruncate(t, filepath.Join(dir, "000000010000000000000001"), 2<<20)
	if err := os.Remove(filepath.Join(dir, "000000010000000000000002")); err != nil {
		t.Fatal(err)
	}
	r, err := archive.Execute(dir, p, nil)
	if err != nil || len(r.Deleted) != 0 || len(r.Skipped) != 2 {
		t.Fatalf("Execute: %+v, %v", r, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "000000010000000000000001")); err != nil {
		t.Errorf("changed file deleted: %v", err)
	}
}

func TestScanBadHistory(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "00000003.history"), []byte("garbage\n"))
	mustWrite(t, filepath.Join(dir, "00000002.history"), []byte("1\t0/3000000\tx\n"))
	_, anc, warns, err := archive.Scan(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, known := anc[3]; known || len(warns) != 1 || !strings.Contains(warns[0], "00000003.history") {
		t.Errorf("ancestors %v, warnings %v", anc, warns)
	}
	if _, _, _, err := archive.Scan(filepath.Join(dir, "nope")); err == nil {
		t.Error("missing directory accepted")
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 16 << 20: "16.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := archive.HumanBytes(n); got != want {
			t.Errorf("HumanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
