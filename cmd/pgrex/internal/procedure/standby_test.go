// SPDX-License-Identifier: Apache-2.0

package procedure

import (
	"slices"
	"strings"
	"testing"

	"github.com/pgrex/pgrex/ra/lockfile"
	"github.com/pgrex/pgrex/ra/pg"
)

const seg = 16 << 20

// standbyWorld is node2 rejoining node1 (primary on timeline 3 at
// 0/5000060). node2 stopped cleanly as a standby on timeline 3; its
// archive lacks the primary's segment 4.
func standbyWorld(t *testing.T) (Settings, LocalFacts, PeerFacts) {
	s := swapped(testSettings())
	l := LocalFacts{
		PGDataExists: true, PGDataDir: true, PGVersion: "15", PGRole: lockfile.PGStopped,
		PGDataDeletion: DeletionFacts{Path: "/var/lib/pgsql/data", Exists: true, Dir: true, PGVersion: "15", Control: true},
		Lock:           lockfile.Info{Path: "/var/lib/pgsql/tmp/PGSQL.lock"},
		Control: &pg.ControlData{SystemID: "7000", State: "shut down in recovery", TLI: 3,
			CheckpointLSN: mustLSN(t, "0/4000028"), RedoLSN: mustLSN(t, "0/4000028"), SegSize: seg},
		WALEnd: WALEnd{LastRecord: mustLSN(t, "0/40000A0"), Known: true},
		Archive: Listing{"00000002.history": 41, "00000003.history": 83,
			"000000030000000000000003": seg},
	}
	p := PeerFacts{Host: "192.0.2.71", PacemakerRunning: true, Cluster: model(t, "pgrex-standby-node-stopped.xml"),
		Control: &pg.ControlData{SystemID: "7000", State: "in production", TLI: 3},
		Primary: &PrimaryFacts{VersionNum: 150018, SystemID: "7000", TLI: 3, CurrentLSN: mustLSN(t, "0/5000060"),
			FullPageWrites: true, Port: "5432", SegSize: seg},
		History: []pg.HistoryEntry{{ParentTLI: 1, SwitchLSN: mustLSN(t, "0/2000000")}, {ParentTLI: 2, SwitchLSN: mustLSN(t, "0/3000180")}},
		Archive: Listing{"00000002.history": 41, "00000003.history": 83, "000000030000000000000003": seg,
			"000000030000000000000004": seg, "000000030000000000000005": 8192},
		PGWal: Listing{"000000030000000000000004": seg, "000000030000000000000005": seg},
	}
	return s, l, p
}

// oldPrimary turns node2 into the old primary after a failover: it was
// primary on timeline 2 and has the lock; node1 was promoted to 3 at
// 0/3000180.
func oldPrimary(t *testing.T, l *LocalFacts, lastRecord string) {
	l.Control.TLI = 2
	l.Control.State = "shut down"
	l.Control.CheckpointLSN = mustLSN(t, "0/3000028")
	l.Control.RedoLSN = mustLSN(t, "0/3000028")
	l.Control.WALLogHints = true
	l.WALEnd = WALEnd{LastRecord: mustLSN(t, lastRecord), Known: true}
	l.Lock.Exists = true
	l.Archive = Listing{"00000002.history": 41, "000000020000000000000003": seg}
}

func TestDecideStandbyStart(t *testing.T) {
	type world struct {
		s *Settings
		l *LocalFacts
		p *PeerFacts
		o *StandbyOptions
	}
	tests := []struct {
		name      string
		change    func(t *testing.T, w world)
		chosen    Method
		steps     []string
		refusals  []string
		noPrimary bool
		// unavailable reasons per method, when checked.
		reasons map[Method][]string
	}{
		{name: "clean standby: reuse, fetch the missing segment, start, wait", chosen: MethodReuse,
			steps: []string{"mkdir-staging", "fetch-archive", "install-archive", "start-pacemaker", "wait-standby"}},
		{name: "reuse removes leftover signal files before starting",
			change: func(_ *testing.T, w world) { w.l.Signals = []string{"standby.signal"} }, chosen: MethodReuse,
			steps: []string{"mkdir-staging", "fetch-archive", "install-archive", "remove-signal", "start-pacemaker", "wait-standby"}},
		{name: "shared archive: no sync", change: func(_ *testing.T, w world) { w.o.SharedArchive = true }, chosen: MethodReuse,
			steps: []string{"start-pacemaker", "wait-standby"}},
		{name: "shared archive, the primary's pg_wal starts later: the archive is not listed, so not \"too old\"",
			change: func(_ *testing.T, w world) {
				w.o.SharedArchive = true
				w.p.Archive = nil
				w.p.PGWal = Listing{"000000030000000000000009": seg}
			}, chosen: MethodReuse, steps: []string{"start-pacemaker", "wait-standby"}},
		{name: "lock on the same timeline: never plain reuse, nothing to rewind: base backup",
			change: func(_ *testing.T, w world) { w.l.Lock.Exists = true }, chosen: MethodBaseBackup,
			steps: []string{"move-data-aside", "mkdir", "pg-basebackup", "remove-lock", "mkdir-staging", "fetch-archive",
				"install-archive", "start-pacemaker", "wait-standby"},
			reasons: map[Method][]string{MethodReuse: {"lock-present-rebuild"}, MethodRewind: {"rewind-same-timeline", "no-wal-log-hints"}}},
		{name: "switchover: the lock goes when reuse is proven",
			change: func(_ *testing.T, w world) { w.l.Lock.Exists = true; w.o.Switchover = true }, chosen: MethodReuse,
			steps: []string{"remove-lock", "mkdir-staging", "fetch-archive", "install-archive", "start-pacemaker", "wait-standby"}},
		{name: "old primary whose WAL stops before the promote point: prefix, but the lock means rebuild: rewind",
			change: func(t *testing.T, w world) { oldPrimary(t, w.l, "0/3000100") }, chosen: MethodRewind,
			steps:   []string{"pg-rewind", "remove-lock", "mkdir-staging", "fetch-archive", "install-archive", "start-pacemaker", "wait-standby"},
			reasons: map[Method][]string{MethodReuse: {"lock-present-rebuild"}}},
		{name: "killed old primary (not shut down cleanly): its crash recovery first, keeping its WAL, then rewind",
			change: func(t *testing.T, w world) {
				oldPrimary(t, w.l, "0/3000100")
				w.l.Control.State = "in production"
				w.l.WALBytes = 3 * seg
			}, chosen: MethodRewind,
			steps:   []string{"crash-recovery", "pg-rewind", "remove-lock", "mkdir-staging", "fetch-archive", "install-archive", "start-pacemaker", "wait-standby"},
			reasons: map[Method][]string{MethodReuse: {"lock-present-rebuild"}}},
		{name: "crashed with standby.signal (a standby powered off): the signal goes before the crash recovery, which single-user mode would refuse",
			change: func(t *testing.T, w world) {
				oldPrimary(t, w.l, "0/3000100")
				w.l.Control.State = "in archive recovery"
				w.l.WALBytes = 3 * seg
				w.l.Signals = []string{"standby.signal"}
			}, chosen: MethodRewind,
			steps:   []string{"remove-signal", "crash-recovery", "pg-rewind", "remove-lock", "mkdir-staging", "fetch-archive", "install-archive", "start-pacemaker", "wait-standby"},
			reasons: map[Method][]string{MethodReuse: {"lock-present-rebuild"}}},
		{name: "old primary after a switchover, WAL a prefix of the new timeline: reuse, lock removed",
			change: func(t *testing.T, w world) { oldPrimary(t, w.l, "0/3000100"); w.o.Switchover = true }, chosen: MethodReuse,
			steps: []string{"remove-lock", "mkdir-staging", "fetch-archive", "install-archive", "start-pacemaker", "wait-standby"}},
		{name: "diverged old primary (WAL past the promote point), switchover or not: rewind",
			change: func(t *testing.T, w world) { oldPrimary(t, w.l, "0/3000200"); w.o.Switchover = true }, chosen: MethodRewind,
			steps:   []string{"pg-rewind", "remove-lock", "mkdir-staging", "fetch-archive", "install-archive", "start-pacemaker", "wait-standby"},
			reasons: map[Method][]string{MethodReuse: {"diverged"}}},
		{name: "diverged without wal_log_hints or checksums: base backup",
			change: func(t *testing.T, w world) {
				oldPrimary(t, w.l, "0/3000200")
				w.l.Control.WALLogHints = false
				w.l.Archive = Listing{}
			}, chosen: MethodBaseBackup,
			steps: []string{"move-data-aside", "mkdir", "pg-basebackup", "remove-lock", "mkdir-staging", "fetch-archive",
				"install-archive", "start-pacemaker", "wait-standby"},
			reasons: map[Method][]string{MethodReuse: {"lock-present-rebuild", "diverged"}, MethodRewind: {"no-wal-log-hints"}}},
		{name: "diverged, its checkpoint after the fork: no rewind",
			change: func(t *testing.T, w world) {
				oldPrimary(t, w.l, "0/3000400")
				w.l.Control.RedoLSN = mustLSN(t, "0/3000300")
			}, chosen: MethodBaseBackup,
			reasons: map[Method][]string{MethodRewind: {"checkpoint-after-fork"}},
			steps: []string{"move-data-aside", "mkdir", "pg-basebackup", "remove-lock", "mkdir-staging", "fetch-archive",
				"install-archive", "start-pacemaker", "wait-standby"}},
		{name: "the agent's rejoin did not finish: no reuse, no rewind; the base backup removes its marker",
			change: func(t *testing.T, w world) {
				oldPrimary(t, w.l, "0/3000200")
				w.l.AgentRejoin, w.l.AgentRejoinRegular = "/run/pgrex/"+lockfile.RejoinMarker, true
			}, chosen: MethodBaseBackup,
			reasons: map[Method][]string{MethodReuse: {"agent-rejoin-incomplete", "lock-present-rebuild", "diverged"}, MethodRewind: {"agent-rejoin-incomplete"}},
			steps: []string{"move-data-aside", "mkdir", "pg-basebackup", "remove-lock", "remove-rejoin-marker", "mkdir-staging", "fetch-archive",
				"install-archive", "start-pacemaker", "wait-standby"}},
		{name: "the agent's rejoin marker is not a regular file: the base backup leaves it alone",
			change: func(t *testing.T, w world) {
				oldPrimary(t, w.l, "0/3000200")
				w.l.AgentRejoin = "/run/pgrex/" + lockfile.RejoinMarker
			}, chosen: MethodBaseBackup,
			reasons: map[Method][]string{MethodRewind: {"agent-rejoin-incomplete"}},
			steps: []string{"move-data-aside", "mkdir", "pg-basebackup", "remove-lock", "mkdir-staging", "fetch-archive",
				"install-archive", "start-pacemaker", "wait-standby"}},
		{name: "full_page_writes off on the primary: no rewind",
			change: func(t *testing.T, w world) { oldPrimary(t, w.l, "0/3000200"); w.p.Primary.FullPageWrites = false },
			chosen: MethodBaseBackup, reasons: map[Method][]string{MethodRewind: {"full-page-writes-off"}},
			steps: []string{"move-data-aside", "mkdir", "pg-basebackup", "remove-lock", "mkdir-staging", "fetch-archive",
				"install-archive", "start-pacemaker", "wait-standby"}},
		{name: "ahead of the primary on the same timeline", chosen: MethodBaseBackup,
			change: func(t *testing.T, w world) { w.l.WALEnd.LastRecord = mustLSN(t, "0/5000060") },
			steps: []string{"move-data-aside", "mkdir", "pg-basebackup", "mkdir-staging", "fetch-archive", "install-archive",
				"start-pacemaker", "wait-standby"},
			reasons: map[Method][]string{MethodReuse: {"ahead-of-primary"}}},
		{name: "end of local WAL unknown: reuse cannot be proven", chosen: MethodBaseBackup,
			change:  func(_ *testing.T, w world) { w.l.WALEnd = WALEnd{} },
			reasons: map[Method][]string{MethodReuse: {"wal-end-unknown"}},
			steps: []string{"move-data-aside", "mkdir", "pg-basebackup", "mkdir-staging", "fetch-archive", "install-archive",
				"start-pacemaker", "wait-standby"}},
		{name: "too old: the WAL it needs is gone from the primary", chosen: MethodBaseBackup,
			change: func(_ *testing.T, w world) {
				w.p.Archive = Listing{"000000030000000000000005": seg, "00000003.history": 83}
				w.p.PGWal = Listing{"000000030000000000000005": seg}
			},
			reasons: map[Method][]string{MethodReuse: {"wal-gone"}},
			steps: []string{"move-data-aside", "mkdir", "pg-basebackup", "mkdir-staging", "fetch-archive", "install-archive",
				"start-pacemaker", "wait-standby"}},
		{name: "another database: no reuse, no rewind, and its archive must be emptied first",
			change: func(_ *testing.T, w world) { w.l.Control.SystemID = "6999" }, refusals: []string{"no-method"},
			reasons: map[Method][]string{MethodReuse: {"system-id"}, MethodRewind: {"system-id", "rewind-same-timeline", "no-wal-log-hints"},
				MethodBaseBackup: {"archive-not-empty"}}},
		{name: "no data directory at all, empty archive: base backup into a new directory", chosen: MethodBaseBackup,
			change: func(_ *testing.T, w world) {
				w.l.PGDataExists, w.l.PGDataDir, w.l.Control, w.l.WALEnd, w.l.Archive = false, false, nil, WALEnd{}, Listing{}
			},
			steps:   []string{"mkdir", "pg-basebackup", "mkdir-staging", "fetch-archive", "install-archive", "start-pacemaker", "wait-standby"},
			reasons: map[Method][]string{MethodReuse: {"no-data"}, MethodRewind: {"no-data"}}},
		{name: "base backup asked for: old data deleted when the operator says so",
			change: func(_ *testing.T, w world) { w.o.Methods = []Method{MethodBaseBackup}; w.o.RemoveOldData = true }, chosen: MethodBaseBackup,
			steps: []string{"remove-data", "mkdir", "pg-basebackup", "mkdir-staging", "fetch-archive", "install-archive",
				"start-pacemaker", "wait-standby"}},
		{name: "data directory is a mount point: base backup needs --remove-old-data",
			change:   func(_ *testing.T, w world) { w.o.Methods = []Method{MethodBaseBackup}; w.l.PGDataMount = true },
			refusals: []string{"no-method"}, reasons: map[Method][]string{MethodBaseBackup: {"pgdata-mountpoint"}}},
		{name: "symbolic-linked pg_wal moves aside too, and the backup writes there",
			change: func(_ *testing.T, w world) { w.o.Methods = []Method{MethodBaseBackup}; w.l.WALDir = "/wal/pg_wal" }, chosen: MethodBaseBackup,
			steps: []string{"move-data-aside", "move-data-aside", "mkdir", "mkdir", "pg-basebackup", "mkdir-staging", "fetch-archive",
				"install-archive", "start-pacemaker", "wait-standby"}},
		{name: "only reuse accepted, but the lock forbids it",
			change:   func(_ *testing.T, w world) { w.o.Methods = []Method{MethodReuse}; w.l.Lock.Exists = true },
			refusals: []string{"no-method"}},
		{name: "timeline above the primary's", chosen: MethodBaseBackup,
			change:  func(_ *testing.T, w world) { w.l.Control.TLI = 4; w.l.Archive = Listing{} },
			reasons: map[Method][]string{MethodReuse: {"timeline-ahead"}},
			steps: []string{"move-data-aside", "mkdir", "pg-basebackup", "mkdir-staging", "fetch-archive", "install-archive",
				"start-pacemaker", "wait-standby"}},
		{name: "a timeline the primary did not come from", chosen: MethodBaseBackup,
			change: func(t *testing.T, w world) {
				oldPrimary(t, w.l, "0/3000100")
				w.p.History = w.p.History[:1]
			},
			reasons: map[Method][]string{MethodReuse: {"timeline-not-in-history", "lock-present-rebuild"}, MethodRewind: {"timeline-not-in-history"}},
			steps: []string{"move-data-aside", "mkdir", "pg-basebackup", "remove-lock", "mkdir-staging", "fetch-archive",
				"install-archive", "start-pacemaker", "wait-standby"}},
		{name: "another major version", chosen: MethodBaseBackup,
			change:  func(_ *testing.T, w world) { w.l.PGVersion = "14" },
			reasons: map[Method][]string{MethodReuse: {"version-mismatch"}},
			steps: []string{"move-data-aside", "mkdir", "pg-basebackup", "mkdir-staging", "fetch-archive", "install-archive",
				"start-pacemaker", "wait-standby"}},
		{name: "this node's archive has a future timeline", change: func(_ *testing.T, w world) { w.l.Archive["00000004.history"] = 120 },
			refusals: []string{"future-archive"}},
		{name: "no archive directory configured", change: func(_ *testing.T, w world) { w.s.ArchiveDir = "" },
			refusals: []string{"no-archive-dir"}},
		{name: "Pacemaker runs here", change: func(_ *testing.T, w world) { w.l.PacemakerRunning = true },
			refusals: []string{"pacemaker-running-here"}},
		{name: "PostgreSQL runs here", change: func(_ *testing.T, w world) { w.l.PostgresRunning = true },
			refusals: []string{"postgres-running-here"}},
		{name: "peer unreachable", change: func(_ *testing.T, w world) { *w.p = PeerFacts{Host: "192.0.2.71", Err: "ssh: connect timed out"} },
			refusals: []string{"peer-unreachable"}},
		{name: "Pacemaker stopped on the peer: no primary",
			change:   func(_ *testing.T, w world) { w.p.PacemakerRunning = false; w.p.Cluster = nil },
			refusals: []string{"no-primary"}, noPrimary: true},
		{name: "the peer's cluster has no primary",
			change:   func(t *testing.T, w world) { w.p.Cluster = model(t, "pgrex-no-primary.xml") },
			refusals: []string{"no-primary"}, noPrimary: true},
		{name: "the primary's PostgreSQL cannot be asked",
			change:   func(_ *testing.T, w world) { w.p.Primary = nil; w.p.PrimaryErr = "psql: connection refused" },
			refusals: []string{"primary-facts"}},
		{name: "the peer's server is in recovery",
			change:   func(_ *testing.T, w world) { w.p.Primary.InRecovery = true },
			refusals: []string{"no-primary"}, noPrimary: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, l, p := standbyWorld(t)
			o := StandbyOptions{Stamp: "20261122T050000Z"}
			if tt.change != nil {
				tt.change(t, world{&s, &l, &p, &o})
			}
			d := DecideStandbyStart(s, l, p, o)
			if got := refusalCodes(d.Refusals); !slices.Equal(got, tt.refusals) {
				t.Errorf("refusals %v, want %v (%v)", got, tt.refusals, d.Refusals)
			}
			if d.NoPrimary != tt.noPrimary {
				t.Errorf("NoPrimary %v", d.NoPrimary)
			}
			if d.Chosen != tt.chosen {
				t.Errorf("chosen %q, want %q (%+v)", d.Chosen, tt.chosen, d.Methods)
			}
			if got := stepCodes(d.Plan); !slices.Equal(got, tt.steps) {
				t.Errorf("steps %v\nwant %v", got, tt.steps)
			}
			for m, want := range tt.reasons {
				for _, c := range d.Methods {
					if c.Method != m {
						continue
					}
					if got := refusalCodes(c.Reasons); !slices.Equal(got, want) {
						t.Errorf("%s: reasons %v, want %v", m, got, want)
					}
				}
			}
			for _, st := range d.Plan.Steps {
				switch st.Code {
				case "remove-lock", "move-data-aside", "remove-data", "pg-rewind":
					if !st.Destructive {
						t.Errorf("%s is not confirmed", st.Code)
					}
				case "remove-empty-data":
					t.Errorf("unexpected %s", st.Code)
				}
			}
		})
	}
}

// The commands a base backup and a rewind run, exactly.
func TestStandbyCommands(t *testing.T) {
	s, l, p := standbyWorld(t)
	l.Lock.Exists = true
	d := DecideStandbyStart(s, l, p, StandbyOptions{Stamp: "20261122T050000Z"})
	byCode := map[string]Step{}
	for _, st := range d.Plan.Steps {
		byCode[st.Code] = st
	}
	mv := byCode["move-data-aside"]
	if mv.Path != "/var/lib/pgsql/data" || mv.To != "/var/lib/pgsql/data.pgrex-old-20261122T050000Z" {
		t.Errorf("move aside %+v", mv)
	}
	mk := byCode["mkdir"]
	if mk.Path != "/var/lib/pgsql/data" || mk.User != "postgres" || mk.Mode != 0o700 {
		t.Errorf("mkdir %+v", mk)
	}
	bb := byCode["pg-basebackup"].Cmd
	want := []string{"/usr/lib/postgresql/15/bin/pg_basebackup", "--pgdata=/var/lib/pgsql/data", "--host=192.0.2.80",
		"--port=5432", "--username=repuser", "--no-password", "--wal-method=stream", "--checkpoint=fast", "--progress"}
	if bb == nil || !slices.Equal(bb.Argv, want) || bb.User != "postgres" || bb.Host != "" {
		t.Errorf("pg_basebackup %+v\nwant %q", bb, want)
	}
	fetch := byCode["fetch-archive"].Cmd
	wantScp := append(append([]string{"scp", "-p", "-q"}, DefaultSSHOptions...),
		"192.0.2.71:/var/lib/pgsql/pg_archive/000000030000000000000004",
		"/var/lib/pgsql/pg_archive/.pgrex-fetch-20261122T050000Z/")
	if fetch == nil || !slices.Equal(fetch.Argv, wantScp) {
		t.Errorf("scp %q\nwant %q", fetch.Argv, wantScp)
	}
	inst := byCode["install-archive"]
	if inst.Path != "/var/lib/pgsql/pg_archive/.pgrex-fetch-20261122T050000Z" || inst.To != "/var/lib/pgsql/pg_archive" ||
		len(inst.Files) != 1 || inst.Files[0] != (ArchiveFile{Name: "000000030000000000000004", Size: seg}) || inst.User != "postgres" {
		t.Errorf("install %+v", inst)
	}
	if !slices.Contains(refusalCodes(d.Notes), "archive-incomplete-skipped") {
		t.Errorf("notes %v: the primary's half-written segment 5 must be reported as skipped", d.Notes)
	}

	s, l, p = standbyWorld(t)
	oldPrimary(t, &l, "0/3000200")
	d = DecideStandbyStart(s, l, p, StandbyOptions{Stamp: "x"})
	rw := d.Plan.Steps[0].Cmd
	wantRw := []string{"/usr/lib/postgresql/15/bin/pg_rewind", "--target-pgdata=/var/lib/pgsql/data",
		"--source-server=host=192.0.2.80 port=5432 user=postgres dbname=template1", "--progress"}
	if rw == nil || !slices.Equal(rw.Argv, wantRw) || rw.User != "postgres" || rw.Timeout != s.RebuildTimeout {
		t.Errorf("pg_rewind %+v\nwant %q", rw, wantRw)
	}
	if got := Describe(d.Plan.Steps[0]); !strings.Contains(got, "pg_rewind from 192.0.2.80") {
		t.Errorf("description %q", got)
	}

	// A killed old primary: single-user crash recovery keeping its 3
	// segments, as postgres, before pg_rewind.
	s, l, p = standbyWorld(t)
	oldPrimary(t, &l, "0/3000200")
	l.Control.State, l.WALBytes = "in production", 3*seg
	d = DecideStandbyStart(s, l, p, StandbyOptions{Stamp: "x"})
	cr := d.Plan.Steps[0]
	wantCr := []string{"/usr/lib/postgresql/15/bin/postgres", "--single", "-F", "-D", "/var/lib/pgsql/data", "-c", "wal_keep_size=48MB", "template1"}
	if cr.Code != "crash-recovery" || cr.Cmd == nil || !slices.Equal(cr.Cmd.Argv, wantCr) || cr.Cmd.User != "postgres" || cr.Destructive {
		t.Errorf("crash recovery %+v\nwant %q", cr.Cmd, wantCr)
	}
	if d.Plan.Steps[1].Code != "pg-rewind" {
		t.Errorf("after the crash recovery: %s", d.Plan.Steps[1].Code)
	}
	if got := Describe(cr); !strings.Contains(got, "crash recovery of /var/lib/pgsql/data") {
		t.Errorf("description %q", got)
	}
}

func TestArchiveFetch(t *testing.T) {
	tests := []struct {
		name       string
		local      Listing
		primary    Listing
		files      []ArchiveFile
		skipWAL    bool
		incomplete []string
	}{
		{name: "missing files are fetched, present ones not",
			local:   Listing{"000000010000000000000001": seg, "00000002.history": 41},
			primary: Listing{"000000010000000000000001": seg, "000000010000000000000002": seg, "00000002.history": 41, "000000020000000000000002": seg},
			files:   []ArchiveFile{{Name: "000000010000000000000002", Size: seg}, {Name: "000000020000000000000002", Size: seg}}},
		{name: "an incomplete local copy is replaced (moved aside), not overwritten",
			local:   Listing{"000000010000000000000002": 4096},
			primary: Listing{"000000010000000000000002": seg},
			files:   []ArchiveFile{{Name: "000000010000000000000002", Size: seg, Replace: true}}},
		{name: "a segment still being written on the primary, and empty files, are left alone",
			local:      Listing{},
			primary:    Listing{"000000010000000000000003": 8192, "00000002.history": 0, "000000010000000000000002.partial": seg},
			files:      []ArchiveFile{{Name: "000000010000000000000002.partial", Size: seg}},
			incomplete: []string{"000000010000000000000003", "00000002.history"}},
		{name: "local archive ahead: history files only",
			local:   Listing{"000000010000000000000009": seg},
			primary: Listing{"000000010000000000000005": seg, "00000002.history": 41, "000000010000000000000004.00000028.backup": 300},
			files:   []ArchiveFile{{Name: "000000010000000000000004.00000028.backup", Size: 300}, {Name: "00000002.history", Size: 41}},
			skipWAL: true},
		{name: "compressed segments count as WAL; unknown names are ignored",
			local:   Listing{},
			primary: Listing{"000000010000000000000001.gz": 1000, "notes.txt": 10, "00000002.history.gz": 50},
			files:   []ArchiveFile{{Name: "000000010000000000000001.gz", Size: 1000}, {Name: "00000002.history.gz", Size: 50}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files, skip, inc := ArchiveFetch(tt.local, tt.primary, seg)
			if !slices.Equal(files, tt.files) || skip != tt.skipWAL || !slices.Equal(inc, tt.incomplete) {
				t.Errorf("got %v %v %v\nwant %v %v %v", files, skip, inc, tt.files, tt.skipWAL, tt.incomplete)
			}
		})
	}
}

// More files than one scp takes: chunks, in name order, one install.
func TestArchiveFetchChunks(t *testing.T) {
	s := testSettings()
	primary := Listing{}
	for i := range 450 {
		primary[pg.WALFileName(1, pg.LSN(i)*seg, seg)] = seg
	}
	var d Decision
	planArchiveFetch(&d, s, Listing{}, primary, seg, "st")
	if got := stepCodes(d.Plan); !slices.Equal(got, []string{"mkdir-staging", "fetch-archive", "fetch-archive", "fetch-archive", "install-archive"}) {
		t.Fatalf("steps %v", got)
	}
	n := 0
	for _, st := range d.Plan.Steps[1:4] {
		n += len(st.Cmd.Argv) - 3 - len(s.SSHOptions) - 1
	}
	if n != 450 || len(d.Plan.Steps[4].Files) != 450 {
		t.Errorf("fetched %d, installed %d", n, len(d.Plan.Steps[4].Files))
	}
	if last := d.Plan.Steps[3].Cmd.Argv; !strings.HasSuffix(last[len(last)-2], pg.WALFileName(1, 449*seg, seg)) {
		t.Errorf("last chunk ends with %s", last[len(last)-2])
	}
}
