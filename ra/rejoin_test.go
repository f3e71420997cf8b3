// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pgrex/pgrex/ra/lockfile"
	"github.com/pgrex/pgrex/ra/pg"
)

// goodRejoin is a crashed primary on timeline 2 whose synchronous standby
// node2 was promoted to timeline 3 at 0/5000000: every proof present.
func goodRejoin() rejoinFacts {
	return rejoinFacts{
		Self: "node1", Primary: "node2", MasterIP: "192.0.2.80", RepUser: "repuser", PgDB: "template1",
		Control: &pg.ControlData{SystemID: "7001", State: "in production", TLI: 2, WALLogHints: true, SegSize: 16 << 20},
		Source: &pg.Source{SystemID: "7001", TLI: 3, XLogPos: 0x5001000,
			History: []pg.HistoryEntry{{ParentTLI: 1, SwitchLSN: 0x3000000}, {ParentTLI: 2, SwitchLSN: 0x5000000}}},
		Settings: &pg.SourceSettings{FullPageWrites: true, CheckpointTLI: 3},
		Tail:     &pg.WALTail{Records: 3, First: 0x5000000, Last: 0x5000100, Commits: 1, Complete: true},
		Lock:     lockfile.Content{Node: "node1", Synchronous: "node2", SyncKnown: true},
	}
}

func TestDecideRejoin(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(f *rejoinFacts)
		refuse string // "" = rewind
		// diverged is what the plan says when it rewinds.
		diverged bool
	}{
		{name: "every proof present, one unacknowledged commit", change: func(*rejoinFacts) {}, diverged: true},
		{name: "nothing beyond the fork (clean switchover)", change: func(f *rejoinFacts) {
			f.Tail = &pg.WALTail{Complete: true}
			f.Lock = lockfile.Content{SyncKnown: true}
		}},
		{name: "records beyond the fork but no commit, asynchronous", change: func(f *rejoinFacts) {
			f.Tail = &pg.WALTail{Records: 2, First: 0x5000000, Last: 0x5000040, Complete: true}
			f.Lock.Synchronous = ""
		}, diverged: true},
		{name: "the fork's segment never made (pg_wal full at the switch)", change: func(f *rejoinFacts) {
			f.Tail = &pg.WALTail{Stop: `pg_waldump: error: could not find file "000000020000000000000005"`, Missing: "000000020000000000000005"}
		}},
		{name: "PostgreSQL runs", change: func(f *rejoinFacts) { f.Running = "PID 42" }, refuse: "PostgreSQL runs here (PID 42)"},
		{name: "an earlier rewind did not finish, rewind only", change: func(f *rejoinFacts) {
			f.Marker = &rejoinMarkerContent{Method: "rewind", Stamp: "X", Primary: "node2", SystemID: "7001"}
		}, refuse: "an earlier rewind did not finish (began X); rebuild this node with a base backup (pgrex standby-start -b), or set rejoin=rewind,basebackup"},
		{name: "unreadable marker", change: func(f *rejoinFacts) { f.MarkerErr = "rejoin-in-progress: expected method=" },
			refuse: "the marker of an earlier rebuild cannot be read: rejoin-in-progress: expected method="},
		{name: "no primary", change: func(f *rejoinFacts) { f.Primary, f.NoPrimary = "", "no node runs pgsql promoted" },
			refuse: "no other node is the primary (no node runs pgsql promoted)"},
		{name: "primary unreachable", change: func(f *rejoinFacts) { f.Source, f.SourceErr = nil, "connection refused" },
			refuse: "the primary node2 does not answer for replication at master_ip 192.0.2.80 as repuser: connection refused"},
		{name: "control data unreadable", change: func(f *rejoinFacts) { f.Control, f.ControlErr = nil, "no pg_control" },
			refuse: "this node's control data cannot be read: no pg_control"},
		{name: "another database cluster", change: func(f *rejoinFacts) { f.Source.SystemID = "9999" },
			refuse: "is another database cluster (system identifier 9999, here 7001)"},
		{name: "same timeline", change: func(f *rejoinFacts) { f.Control.TLI = 3 },
			refuse: "this node's timeline 3 is not older than the primary's timeline 3"},
		{name: "a standby that followed to the new timeline counts as on it", change: func(f *rejoinFacts) {
			f.Control.MinRecoveryTLI = 3
		}, refuse: "this node's timeline 3 is not older"},
		{name: "not on the primary's history", change: func(f *rejoinFacts) {
			f.Source.History = []pg.HistoryEntry{{ParentTLI: 1, SwitchLSN: 0x3000000}}
		}, refuse: "timeline 2 is not in the history of the primary's timeline 3"},
		{name: "pg_rewind's session fails", change: func(f *rejoinFacts) { f.Settings, f.SettingsErr = nil, "no pg_hba.conf entry" },
			refuse: "pg_rewind cannot open its session to the primary at master_ip 192.0.2.80 as repuser (database template1): no pg_hba.conf entry"},
		{name: "source in recovery", change: func(f *rejoinFacts) { f.Settings.InRecovery = true },
			refuse: "is in recovery, not a primary"},
		{name: "full_page_writes off", change: func(f *rejoinFacts) { f.Settings.FullPageWrites = false },
			refuse: "full_page_writes is off on the primary"},
		{name: "primary not checkpointed since its promotion", change: func(f *rejoinFacts) { f.Settings.CheckpointTLI = 2 },
			refuse: "the primary has not completed a checkpoint on its timeline 3 yet (its control file still says 2)"},
		{name: "no wal_log_hints, no checksums", change: func(f *rejoinFacts) { f.Control.WALLogHints = false },
			refuse: "neither wal_log_hints nor data checksums"},
		{name: "checksums instead of wal_log_hints", change: func(f *rejoinFacts) {
			f.Control.WALLogHints, f.Control.DataChecksums = false, 1
		}, diverged: true},
		{name: "WAL after the fork unreadable", change: func(f *rejoinFacts) { f.Tail, f.TailErr = nil, "pg_waldump: killed" },
			refuse: "this node's WAL after the fork at 0/5000000 cannot be read: pg_waldump: killed"},
		{name: "end of WAL unknown", change: func(f *rejoinFacts) { f.Tail.Complete, f.Tail.Stop = false, "could not find file" },
			refuse: "the end of this node's WAL after the fork at 0/5000000 is unknown (could not find file)"},
		{name: "commits while asynchronous may have been acknowledged", change: func(f *rejoinFacts) {
			f.Tail.LastCommit = "2026-12-02 10:00:00 UTC"
			f.Lock.Synchronous = ""
		}, refuse: `committed 1 transaction(s) after the fork at 0/5000000 (the last at 2026-12-02 10:00:00 UTC) with synchronous standby "", not waiting for node2: a client may have been told they committed`},
		{name: "commits waiting for another standby", change: func(f *rejoinFacts) { f.Lock.Synchronous = "node3" },
			refuse: `with synchronous standby "node3", not waiting for node2`},
		{name: "the upstream agent's empty lock records no standby", change: func(f *rejoinFacts) { f.Lock = lockfile.Content{} },
			refuse: "with no record of its synchronous standby in PGSQL.lock, not waiting for node2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := goodRejoin()
			tc.change(&f)
			p := decideRejoin(f)
			if tc.refuse == "" {
				assert.Empty(t, p.Refuse)
				assert.Equal(t, "rewind", p.Method)
				assert.Equal(t, pg.LSN(0x5000000), p.Fork)
				assert.Equal(t, tc.diverged, p.Diverged)
				return
			}
			assert.True(t, strings.HasPrefix(p.Refuse, "rejoin refused: "), p.Refuse)
			assert.Contains(t, p.Refuse, tc.refuse)
			assert.NotContains(t, p.Refuse, "\n", "an exit reason is one line")
		})
	}
}

// TestDecideRejoinBaseBackup: with rejoin=rewind,basebackup what blocks
// pg_rewind alone makes a base backup instead; what guards the data still
// refuses; an interrupted rebuild is redone from the primary it began from.
func TestDecideRejoinBaseBackup(t *testing.T) {
	for _, tc := range []struct {
		name      string
		change    func(f *rejoinFacts)
		refuse    string
		method    string
		notRewind string
		resume    bool
	}{
		{name: "rewind when it can", change: func(*rejoinFacts) {}, method: "rewind"},
		{name: "no wal_log_hints", change: func(f *rejoinFacts) { f.Control.WALLogHints = false },
			method: "basebackup", notRewind: "neither wal_log_hints nor data checksums"},
		{name: "pg_rewind's session fails", change: func(f *rejoinFacts) { f.Settings, f.SettingsErr = nil, "no pg_hba.conf entry" },
			method: "basebackup", notRewind: "pg_rewind cannot open its session"},
		{name: "stale control file on the primary", change: func(f *rejoinFacts) { f.Settings.CheckpointTLI = 2 },
			method: "basebackup", notRewind: "has not completed a checkpoint"},
		{name: "acknowledged commits still refuse", change: func(f *rejoinFacts) {
			f.Control.WALLogHints = false
			f.Lock.Synchronous = ""
		}, refuse: "a client may have been told they committed"},
		{name: "source in recovery refuses", change: func(f *rejoinFacts) { f.Settings.InRecovery = true }, refuse: "is in recovery"},
		{name: "interrupted rewind: base backup", change: func(f *rejoinFacts) {
			f.Marker = &rejoinMarkerContent{Method: "rewind", Stamp: "S", Primary: "node2", SystemID: "7001"}
			f.Control, f.Tail = nil, nil // a half-rewound directory proves nothing
		}, method: "basebackup", resume: true, notRewind: "an earlier rewind did not finish (began S)"},
		{name: "interrupted base backup: redone", change: func(f *rejoinFacts) {
			f.Marker = &rejoinMarkerContent{Method: "basebackup", Stamp: "S", Primary: "node2", SystemID: "7001", DataIno: 9}
			f.Control, f.ControlErr = nil, "no pg_control"
		}, method: "basebackup", resume: true},
		{name: "interrupted rebuild from another primary", change: func(f *rejoinFacts) {
			f.Marker = &rejoinMarkerContent{Method: "basebackup", Stamp: "S", Primary: "node3", SystemID: "7001"}
		}, refuse: "an earlier basebackup from node3 (system identifier 7001) did not finish, and the primary is now node2"},
		{name: "interrupted rebuild, no primary", change: func(f *rejoinFacts) {
			f.Marker = &rejoinMarkerContent{Method: "rewind", Stamp: "S", Primary: "node2", SystemID: "7001"}
			f.Primary, f.NoPrimary = "", "no node runs pgsql promoted"
		}, refuse: "no other node is the primary"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := goodRejoin()
			f.BaseBackup = true
			tc.change(&f)
			p := decideRejoin(f)
			if tc.refuse != "" {
				assert.Contains(t, p.Refuse, tc.refuse)
				return
			}
			assert.Empty(t, p.Refuse)
			assert.Equal(t, tc.method, p.Method)
			assert.Equal(t, tc.resume, p.Resume)
			assert.Contains(t, p.NotRewind, tc.notRewind)
		})
	}
}

func TestRejoinMarker(t *testing.T) {
	m := rejoinMarkerContent{Method: "basebackup", Stamp: "20261202T100001Z", Primary: "node2", SystemID: "7001", DataIno: 1234}
	got, err := parseRejoinMarker(formatRejoinMarker(m))
	assert.NoError(t, err)
	assert.Equal(t, m, got)
	for _, bad := range []string{"", "pg_rewind of /data from node2 began at X\n", "method=copy\nstamp=S\nprimary=n\n", "method=rewind\nstamp=S\nprimary=n\npgdata_ino=x\n"} {
		_, err := parseRejoinMarker([]byte(bad))
		assert.Error(t, err, "%q", bad)
	}
}

func TestRenderEvidence(t *testing.T) {
	f := goodRejoin()
	f.Tail.FirstCommit, f.Tail.LastCommit = "2026-12-02 10:00:00 UTC", "2026-12-02 10:00:00 UTC"
	text := renderEvidence(f, decideRejoin(f), "20261202T100001Z", "/tmp/x.wal (1 segment file(s))")
	for _, want := range []string{
		"node: node1\n",
		"primary: node2 (master_ip 192.0.2.80, timeline 3, WAL at 0/5001000)\n",
		"fork: timeline 2 left at 0/5000000 (the primary's history)\n",
		`synchronous standby of this node (PGSQL.lock): "node2"` + "\n",
		"beyond the fork: 3 record(s) from 0/5000000 to 0/5000100, 1 commit(s), 0 abort(s), commit times 2026-12-02 10:00:00 UTC to 2026-12-02 10:00:00 UTC\n",
		"WAL kept: /tmp/x.wal (1 segment file(s))\n",
	} {
		assert.Contains(t, text, want)
	}
}

func TestReasonLine(t *testing.T) {
	fail := errors.New("/usr/bin/pg_rewind --target-pgdata=/d exited with status 1: …")
	for _, tc := range []struct{ name, out, want string }{
		{"pg_rewind error", "pg_rewind: servers diverged at WAL location 1/62E09910 on timeline 2\npg_rewind: error: could not open file \"/d/pg_wal/00000002000000010000005A\": No such file or directory\npg_rewind: error: could not find previous WAL record at 1/5AFFF7E0\n",
			`pg_rewind: error: could not open file "/d/pg_wal/00000002000000010000005A": No such file or directory`},
		{"server FATAL", "2026-12-03 12:30:40.841 UTC [3610] LOG:  redo starts at 1/2D0E7048\n2026-12-03 12:30:40.9 UTC [3610] FATAL:  standby mode is not supported by single-user servers\n",
			"2026-12-03 12:30:40.9 UTC [3610] FATAL: standby mode is not supported by single-user servers"},
		{"no error line: the last one", "one\ntwo\n", "two"},
		{"no output: the command's error", "", fail.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, reasonLine(tc.out, fail)) })
	}
}

func TestRewindArgs(t *testing.T) {
	base := []string{"--target-pgdata=/d", "--source-server=host=m"}
	for _, tc := range []struct {
		name    string
		version int
		restore string
		conf    string
		want    []string
	}{
		{"no restore_command: pg_wal only", 1500, "", "", base},
		{"15 with restore_command and its file", 1500, "cp /a/%f %p", "/t/rejoin-rewind.conf", append(base[:2:2], "--restore-target-wal", "--config-file=/t/rejoin-rewind.conf")},
		{"13: from the data directory's configuration", 1300, "cp /a/%f %p", "", append(base[:2:2], "--restore-target-wal")},
		{"12 has no --restore-target-wal", 1200, "cp /a/%f %p", "", base},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, rewindArgs("/d", "host=m", tc.version, tc.restore, tc.conf))
		})
	}
	assert.Equal(t, "# written by pgrex for one pg_rewind (rejoin); removed after it\ninclude '/etc/pg/it''s.conf'\nrestore_command = 'cp /a/%f \"%p\"'\n",
		renderRewindConf("/etc/pg/it's.conf", `cp /a/%f "%p"`))
}

func TestKeptEvidence(t *testing.T) {
	d := t.TempDir()
	a := &Agent{}
	a.Cfg.TmpDir = d
	f, plan := goodRejoin(), decideRejoin(goodRejoin())
	text := renderEvidence(f, plan, "20261203T124724Z", "")
	assert.Equal(t, "", a.keptEvidence(text), "no earlier evidence")

	require.NoError(t, os.WriteFile(filepath.Join(d, "rejoin-20261203T124724Z.txt"), []byte(text), 0o600))
	assert.Equal(t, "", a.keptEvidence(text), "evidence without its configuration copies is not reused")
	require.NoError(t, os.Mkdir(filepath.Join(d, "rejoin-20261203T124724Z.conf"), 0o700))
	assert.Equal(t, "20261203T124724Z", a.keptEvidence(renderEvidence(f, plan, "later", "")), "the same fork and tail: reused")

	more := f
	tail := *f.Tail
	tail.Records++
	more.Tail = &tail
	assert.Equal(t, "20261203T124724Z", a.keptEvidence(renderEvidence(more, plan, "later", "")),
		"one more record (the checkpoint of the crash recovery before pg_rewind), the same transactions: reused")
	other := f
	tail2 := *f.Tail
	tail2.Commits++
	other.Tail = &tail2
	assert.Equal(t, "", a.keptEvidence(renderEvidence(other, plan, "later", "")), "another transaction beyond the fork: new evidence")
	forked := plan
	forked.Fork++
	assert.Equal(t, "", a.keptEvidence(renderEvidence(f, forked, "later", "")), "another fork: new evidence")

	require.NoError(t, os.WriteFile(filepath.Join(d, "rejoin-20261203T130000Z.txt"), []byte("not evidence\n"), 0o600))
	assert.Equal(t, "", a.keptEvidence(text), "only the newest file counts")
}

func TestNewStamp(t *testing.T) {
	d := t.TempDir()
	a := &Agent{}
	a.Cfg.TmpDir = d
	now := time.Date(2026, 12, 3, 12, 47, 24, 0, time.UTC)
	assert.Equal(t, "20261203T124724Z", a.newStamp(now))
	require.NoError(t, os.Mkdir(filepath.Join(d, "rejoin-20261203T124724Z.wal"), 0o700))
	assert.Equal(t, "20261203T124724Z-1", a.newStamp(now), "a second start within the same second")
	require.NoError(t, os.WriteFile(filepath.Join(d, "rejoin-20261203T124724Z-1.txt"), nil, 0o600))
	assert.Equal(t, "20261203T124724Z-2", a.newStamp(now))
}
