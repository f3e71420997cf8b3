// SPDX-License-Identifier: Apache-2.0

package lockfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pgrex/pgrex/ra/lockfile"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		text string
		want lockfile.Content
	}{
		{"upstream empty file", "", lockfile.Content{}},
		{"pgrex agent", "promoted=2026-11-22T04:49:16Z\nnode=node2\ntimeline=3\nlocation=0000000003000180\n",
			lockfile.Content{Promoted: time.Date(2026, 11, 22, 4, 49, 16, 0, time.UTC), Node: "node2", Timeline: 3, Location: "0000000003000180"}},
		{"offset time is kept as UTC", "promoted=2026-11-22T13:49:16+09:00\n",
			lockfile.Content{Promoted: time.Date(2026, 11, 22, 4, 49, 16, 0, time.UTC)}},
		{"garbage is kept, not fatal", "hello\ntimeline=x\nlocation=123\nnode=\nnode=n1\n",
			lockfile.Content{Node: "n1", Unknown: []string{"hello", "timeline=x", "location=123", "node="}}},
		{"second value of a key is unknown", "node=a\nnode=b\n",
			lockfile.Content{Node: "a", Unknown: []string{"node=b"}}},
		{"synchronous standby recorded", "node=n1\nsynchronous=node2\n",
			lockfile.Content{Node: "n1", Synchronous: "node2", SyncKnown: true}},
		{"no synchronous standby recorded", "synchronous=\n",
			lockfile.Content{SyncKnown: true}},
		{"a quoted or second synchronous= is unknown", "synchronous='x'\nsynchronous=a\nsynchronous=b\n",
			lockfile.Content{Synchronous: "a", SyncKnown: true, Unknown: []string{"synchronous='x'", "synchronous=b"}}},
		{"where the synchronous standby's wait began", "synchronous=node2\nsync_from=0000000003000180\n",
			lockfile.Content{Synchronous: "node2", SyncKnown: true, SyncFrom: "0000000003000180"}},
		{"a bad or second sync_from= is unknown", "sync_from=0/3000180\nsync_from=0000000003000180\nsync_from=0000000003000200\n",
			lockfile.Content{SyncFrom: "0000000003000180", Unknown: []string{"sync_from=0/3000180", "sync_from=0000000003000200"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := lockfile.Parse([]byte(tt.text))
			if !got.Promoted.Equal(tt.want.Promoted) || got.Node != tt.want.Node || got.Timeline != tt.want.Timeline ||
				got.Location != tt.want.Location || !slices.Equal(got.Unknown, tt.want.Unknown) ||
				got.Synchronous != tt.want.Synchronous || got.SyncKnown != tt.want.SyncKnown || got.SyncFrom != tt.want.SyncFrom {
				t.Errorf("Parse = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestFormatParse: what the agent writes, the tools read back unchanged,
// in the form they have always read (the "pgrex agent" case of TestParse).
func TestFormatParse(t *testing.T) {
	want := lockfile.Content{Promoted: time.Date(2026, 11, 22, 13, 49, 16, 0, time.FixedZone("JST", 9*3600)),
		Node: "node2", Timeline: 3, Location: "0000000003000180"}
	text := lockfile.Format(want)
	if got := string(text); got != "promoted=2026-11-22T04:49:16Z\nnode=node2\ntimeline=3\nlocation=0000000003000180\n" {
		t.Errorf("Format = %q", got)
	}
	got := lockfile.Parse(text)
	if !got.Promoted.Equal(want.Promoted) || got.Node != want.Node || got.Timeline != want.Timeline ||
		got.Location != want.Location || len(got.Unknown) != 0 {
		t.Errorf("Parse(Format(c)) = %+v, want %+v", got, want)
	}
	// The primary records which standby its commits wait for (rejoin).
	want.Synchronous, want.SyncKnown = "node1", true
	text = lockfile.Format(want)
	if got := string(text); got != "promoted=2026-11-22T04:49:16Z\nnode=node2\ntimeline=3\nlocation=0000000003000180\nsynchronous=node1\n" {
		t.Errorf("Format = %q", got)
	}
	if got := lockfile.Parse(text); got.Synchronous != "node1" || !got.SyncKnown || len(got.Unknown) != 0 {
		t.Errorf("Parse(Format(c)) = %+v", got)
	}
	// ... and from where it waits for it (the catch-up rule).
	want.SyncFrom = "0000000003000200"
	if got := lockfile.Parse(lockfile.Format(want)); got.SyncFrom != want.SyncFrom || len(got.Unknown) != 0 {
		t.Errorf("Parse(Format(c)) = %+v", got)
	}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := lockfile.Path(dir)
	c := lockfile.Content{Promoted: time.Date(2026, 11, 22, 4, 49, 16, 0, time.UTC), Node: "node1", Timeline: 2, Location: "0000000002000060"}
	if err := lockfile.Write(path, c, nil); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	info, err := lockfile.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Content; !info.Exists || !got.Promoted.Equal(c.Promoted) || got.Node != c.Node ||
		got.Timeline != c.Timeline || got.Location != c.Location {
		t.Errorf("Read after Write = %+v, want %+v", info, c)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("promoted=2026-11-22T04:49:16Z\nnode=node2\ntimeline=3\nlocation=0000000003000180\n"))
	f.Add([]byte(""))
	f.Add([]byte("=\n==\nnode"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := lockfile.Parse(data)
		if c.Location != "" && len(c.Location) != 16 {
			t.Fatalf("location %q", c.Location)
		}
		if !c.Promoted.IsZero() && c.Promoted.Location() != time.UTC {
			t.Fatalf("promoted not UTC: %v", c.Promoted)
		}
	})
}

func TestReadAndRemove(t *testing.T) {
	dir := t.TempDir()
	path := lockfile.Path(dir)

	info, err := lockfile.Read(path)
	if err != nil || info.Exists {
		t.Fatalf("missing lock: %+v, %v", info, err)
	}

	// Upstream's empty file: the creation time is the file's mtime.
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	mtime := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	info, err = lockfile.Read(path)
	if err != nil || !info.Exists || info.CreatedFrom != "mtime" || !info.Created.Equal(mtime) {
		t.Fatalf("empty lock: %+v, %v", info, err)
	}

	// pgrex's file: the creation time is its content.
	if err := os.WriteFile(path, []byte("promoted=2026-11-22T04:49:16Z\nnode=node1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	info, err = lockfile.Read(path)
	if err != nil || info.CreatedFrom != "content" || info.Content.Node != "node1" ||
		!info.Created.Equal(time.Date(2026, 11, 22, 4, 49, 16, 0, time.UTC)) {
		t.Fatalf("pgrex lock: %+v, %v", info, err)
	}

	removed, err := lockfile.Remove(path)
	if err != nil || !removed {
		t.Fatalf("Remove: %v, %v", removed, err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("lock still there: %v", err)
	}
	if removed, err := lockfile.Remove(path); err != nil || removed {
		t.Errorf("second Remove: %v, %v", removed, err)
	}
}

func TestReadRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere")
	if err := os.WriteFile(target, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := lockfile.Path(dir)
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	if _, err := lockfile.Read(path); err == nil {
		t.Error("Read followed a symbolic link")
	}
}

func TestRemoveOnlyLockFiles(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "rep_mode.conf")
	if err := os.WriteFile(other, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := lockfile.Remove(other); err == nil {
		t.Error("Remove deleted a file that is not PGSQL.lock")
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("other file gone: %v", err)
	}
}

func TestRoleFromDataDir(t *testing.T) {
	has := func(names ...string) func(string) bool {
		return func(n string) bool { return slices.Contains(names, n) }
	}
	tests := []struct {
		running bool
		files   []string
		want    lockfile.PGRole
	}{
		{false, []string{"standby.signal"}, lockfile.PGStopped},
		{true, nil, lockfile.PGPrimary},
		{true, []string{"standby.signal"}, lockfile.PGStandby},
		{true, []string{"recovery.signal"}, lockfile.PGStandby},
		{true, []string{"recovery.conf"}, lockfile.PGStandby},
		{true, []string{"recovery.done"}, lockfile.PGPrimary},
	}
	for _, tt := range tests {
		if got := lockfile.RoleFromDataDir(tt.running, has(tt.files...)); got != tt.want {
			t.Errorf("running=%v files=%v: %s, want %s", tt.running, tt.files, got, tt.want)
		}
	}
}

func TestDecide(t *testing.T) {
	promoted := time.Date(2026, 11, 22, 4, 49, 16, 0, time.UTC)
	lock := lockfile.Info{Exists: true, Created: promoted}
	readErr := errors.New("crm_attribute: connection refused")
	tests := []struct {
		name     string
		f        lockfile.Facts
		force    bool
		remove   bool
		refusals []lockfile.Code
		grounds  []lockfile.Code
	}{
		{name: "no lock", f: lockfile.Facts{PG: lockfile.PGPrimary},
			grounds: []lockfile.Code{lockfile.NoLock}},
		{name: "LATEST, stopped: the manual's primary start",
			f:      lockfile.Facts{Lock: lock, PG: lockfile.PGStopped, DataStatus: "LATEST", DataStatusFound: true},
			remove: true, grounds: []lockfile.Code{lockfile.GroundLatest}},
		{name: "STREAMING|SYNC, stopped",
			f:      lockfile.Facts{Lock: lock, PG: lockfile.PGStopped, DataStatus: "STREAMING|SYNC", DataStatusFound: true},
			remove: true, grounds: []lockfile.Code{lockfile.GroundSync}},
		{name: "DISCONNECT: the old primary after a failover",
			f:        lockfile.Facts{Lock: lock, PG: lockfile.PGStopped, DataStatus: "DISCONNECT", DataStatusFound: true},
			refusals: []lockfile.Code{lockfile.DataBehind}},
		{name: "STREAMING|ASYNC may lack commits",
			f:        lockfile.Facts{Lock: lock, PG: lockfile.PGStopped, DataStatus: "STREAMING|ASYNC", DataStatusFound: true},
			refusals: []lockfile.Code{lockfile.DataBehind}},
		{name: "DISCONNECT but rebuilt after the promote",
			f: lockfile.Facts{Lock: lock, PG: lockfile.PGStopped, DataStatus: "DISCONNECT", DataStatusFound: true,
				BackupLabel: promoted.Add(time.Hour)},
			remove: true, grounds: []lockfile.Code{lockfile.GroundRebuilt}},
		{name: "backup_label older than the lock proves nothing",
			f: lockfile.Facts{Lock: lock, PG: lockfile.PGStopped, DataStatus: "DISCONNECT", DataStatusFound: true,
				BackupLabel: promoted.Add(-time.Hour)},
			refusals: []lockfile.Code{lockfile.DataBehind}},
		{name: "unset data-status",
			f:        lockfile.Facts{Lock: lock, PG: lockfile.PGStopped},
			refusals: []lockfile.Code{lockfile.DataUnset}},
		{name: "unset data-status, rebuilt",
			f:      lockfile.Facts{Lock: lock, PG: lockfile.PGStopped, BackupLabel: promoted.Add(time.Minute)},
			remove: true, grounds: []lockfile.Code{lockfile.GroundRebuilt}},
		{name: "unreadable data-status",
			f:        lockfile.Facts{Lock: lock, PG: lockfile.PGStopped, DataStatusErr: readErr},
			refusals: []lockfile.Code{lockfile.DataUnreadable}},
		{name: "running primary with LATEST",
			f:        lockfile.Facts{Lock: lock, PG: lockfile.PGPrimary, DataStatus: "LATEST", DataStatusFound: true},
			refusals: []lockfile.Code{lockfile.PrimaryRunning}, grounds: []lockfile.Code{lockfile.GroundLatest}},
		{name: "running, role unknown",
			f:        lockfile.Facts{Lock: lock, PG: lockfile.PGUnknown, DataStatus: "LATEST", DataStatusFound: true},
			refusals: []lockfile.Code{lockfile.RoleUnknown}, grounds: []lockfile.Code{lockfile.GroundLatest}},
		{name: "running standby, LATEST",
			f:      lockfile.Facts{Lock: lock, PG: lockfile.PGStandby, DataStatus: "LATEST", DataStatusFound: true},
			remove: true, grounds: []lockfile.Code{lockfile.GroundLatest}},
		{name: "every refusal is listed",
			f:        lockfile.Facts{Lock: lock, PG: lockfile.PGPrimary, DataStatus: "DISCONNECT", DataStatusFound: true},
			refusals: []lockfile.Code{lockfile.PrimaryRunning, lockfile.DataBehind}},
		{name: "force overrides, refusals stay listed", force: true,
			f:        lockfile.Facts{Lock: lock, PG: lockfile.PGPrimary, DataStatus: "DISCONNECT", DataStatusFound: true},
			remove:   true,
			refusals: []lockfile.Code{lockfile.PrimaryRunning, lockfile.DataBehind}, grounds: []lockfile.Code{lockfile.GroundForced}},
		{name: "force without refusals is not reported as forced", force: true,
			f:      lockfile.Facts{Lock: lock, PG: lockfile.PGStopped, DataStatus: "LATEST", DataStatusFound: true},
			remove: true, grounds: []lockfile.Code{lockfile.GroundLatest}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := lockfile.Decide(tt.f, tt.force)
			if d.Remove != tt.remove || !slices.Equal(d.Refusals, tt.refusals) || !slices.Equal(d.Grounds, tt.grounds) {
				t.Errorf("Decide = %+v, want remove=%v refusals=%v grounds=%v", d, tt.remove, tt.refusals, tt.grounds)
			}
		})
	}
}
