// SPDX-License-Identifier: Apache-2.0

package procedure

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/ra/lockfile"
	"github.com/pgrex/pgrex/ra/pg"
	"github.com/pgrex/pgrex/test/fixtures"
)

// nodeDirs makes a data directory, tmpdir, archive and CIB file in a
// temporary root and points s at them.
func nodeDirs(t *testing.T, s *Settings) {
	root := t.TempDir()
	s.PGData, s.Tmpdir, s.ArchiveDir = filepath.Join(root, "data"), filepath.Join(root, "tmp"), filepath.Join(root, "arch")
	s.CIBFile = filepath.Join(root, "cib.xml")
	for _, d := range []string{s.PGData, s.Tmpdir, s.ArchiveDir, filepath.Join(s.PGData, "pg_wal")} {
		must(t, os.MkdirAll(d, 0o700))
	}
	must(t, os.WriteFile(filepath.Join(s.PGData, "PG_VERSION"), []byte("15\n"), 0o600))
	must(t, os.WriteFile(filepath.Join(s.PGData, "postgresql.conf"), []byte("port = 5432\n"), 0o600))
	must(t, os.WriteFile(filepath.Join(s.ArchiveDir, "000000010000000000000001"), make([]byte, 100), 0o600))
	must(t, os.Mkdir(filepath.Join(s.ArchiveDir, "old"), 0o700))
	must(t, os.WriteFile(s.CIBFile, fixtures.Read(t, "healthy-cib.xml"), 0o600))
}

func stopped(string) (pg.Liveness, error) { return pg.Liveness{}, nil }

func TestGatherLocal(t *testing.T) {
	s := testSettings()
	nodeDirs(t, &s)
	must(t, os.WriteFile(filepath.Join(s.PGData, "standby.signal"), nil, 0o600))
	must(t, os.WriteFile(s.LockPath(), []byte("promoted=2026-11-22T04:49:16Z\nnode=node1\n"), 0o600))
	for _, name := range []string{"00000002.history", "00000003.history", "0000000A.history.tmp", "xyz.history"} {
		must(t, os.WriteFile(filepath.Join(s.PGData, "pg_wal", name), nil, 0o600))
	}
	ex := &fakeExec{respond: func(c Command) (cmdrun.Result, error) {
		switch filepath.Base(c.Argv[0]) {
		case "pgrep":
			return exit(1, "")
		case "pg_controldata":
			return ok(string(fixture(t, "controldata-pg15-shutdown.txt")))
		case "pg_waldump":
			return exit(1, string(fixture(t, "waldump-end.txt")))
		}
		return exit(127, "unexpected")
	}}
	g := &Gatherer{Exec: ex, PGLiveness: stopped}
	l, err := g.Local(context.Background(), s, true)
	if err != nil {
		t.Fatal(err)
	}
	if l.PacemakerRunning || l.PostgresRunning || !l.PGDataExists || l.PGVersion != "15" || !l.PGDataDir || l.PGDataEmpty ||
		!l.Lock.Exists || l.Lock.Content.Node != "node1" || !slices.Equal(l.Signals, []string{"standby.signal"}) || l.RewindMarker {
		t.Errorf("%+v", l)
	}
	if l.Control == nil || l.Control.TLI != 1 || !l.WALEnd.Known || l.WALEnd.LastRecord != mustLSN(t, "0/1500718") {
		t.Errorf("control %+v wal end %+v (%s)", l.Control, l.WALEnd, l.ControlErr)
	}
	if l.HistoryTLI != 3 || l.Timeline() != 3 {
		t.Errorf("history timeline %d, timeline %d: want 3 (00000003.history in pg_wal)", l.HistoryTLI, l.Timeline())
	}
	if len(l.Archive) != 1 || l.Archive["000000010000000000000001"] != 100 {
		t.Errorf("archive %v: only regular files", l.Archive)
	}
	wantCalls := []string{
		"Run pgrep -x pacemakerd",
		"Run /usr/lib/postgresql/15/bin/pg_controldata " + s.PGData,
		"Run /usr/lib/postgresql/15/bin/pg_waldump --quiet --path=" + s.PGData + "/pg_wal --timeline=1 --start=0/1500718",
	}
	if got := ex.log(); !slices.Equal(got, wantCalls) {
		t.Errorf("calls %q", got)
	}

	// pg-rex's marker, a symbolic-linked pg_wal, no pgrep.
	must(t, os.WriteFile(filepath.Join(s.PGData, "postgresql.conf"), []byte("x = 1 "+rewindMarker+"\n"), 0o600))
	wal := filepath.Join(t.TempDir(), "wal")
	must(t, os.Mkdir(wal, 0o700))
	must(t, os.RemoveAll(filepath.Join(s.PGData, "pg_wal")))
	must(t, os.Symlink(wal, filepath.Join(s.PGData, "pg_wal")))
	l, err = g.Local(context.Background(), s, false)
	if err != nil || !l.RewindMarker || l.WALDir != wal {
		t.Errorf("%+v %v", l, err)
	}

	// the agent's rejoin marker in tmpdir: found, and a link is told apart
	marker := filepath.Join(s.Tmpdir, lockfile.RejoinMarker)
	must(t, os.WriteFile(marker, []byte("stamp=x\n"), 0o600))
	if l, err = g.Local(context.Background(), s, false); err != nil || l.AgentRejoin != marker || !l.AgentRejoinRegular {
		t.Errorf("rejoin marker: %q regular %v, err %v", l.AgentRejoin, l.AgentRejoinRegular, err)
	}
	must(t, os.Remove(marker))
	must(t, os.Symlink(filepath.Join(t.TempDir(), "elsewhere"), marker))
	if l, err = g.Local(context.Background(), s, false); err != nil || l.AgentRejoin != marker || l.AgentRejoinRegular {
		t.Errorf("rejoin marker link: %q regular %v, err %v", l.AgentRejoin, l.AgentRejoinRegular, err)
	}
	must(t, os.Remove(marker))
	ex.respond = func(Command) (cmdrun.Result, error) { return exit(-1, "exec: \"pgrep\": executable file not found") }
	if _, err := g.Local(context.Background(), s, false); err == nil {
		t.Error("a missing pgrep went unnoticed")
	}
}

func TestGatherPeer(t *testing.T) {
	s := swapped(testSettings())
	hist := "1\t0/2000000\tno recovery target specified\n\n2\t0/3000180\tno recovery target specified\n"
	find := s.ArchiveDir + "\t16777216\t000000030000000000000004\n" + s.PGData + "/pg_wal\t16777216\t000000030000000000000005\n"
	ex := &fakeExec{respond: func(c Command) (cmdrun.Result, error) {
		if c.Host != "192.0.2.71" {
			return exit(127, "local command in a peer gathering")
		}
		switch filepath.Base(c.Argv[0]) {
		case "pgrep":
			return ok("1234\n")
		case "crm_mon":
			return ok(string(fixtures.Read(t, "pgrex-standby-node-stopped.xml")))
		case "pg_controldata":
			return ok(strings.Replace(string(fixture(t, "controldata-pg15-shutdown.txt")), "shut down", "in production", 1))
		case "psql":
			return ok("150018|f|7710870832293168801|000000030000000000000005|0/5000060|on|5432|16777216\n")
		case "cat":
			return ok(hist)
		case "find":
			return ok(find)
		case "pg_ctl":
			return exit(3, "pg_ctl: no server running")
		}
		return exit(127, "unexpected")
	}}
	g := &Gatherer{Exec: ex}
	p := g.Peer(context.Background(), s, PeerOptions{Primary: true, Archive: true})
	if p.PGState != PeerPGStopped {
		t.Errorf("pg_ctl status exit 3: PGState %q, want stopped", p.PGState)
	}
	if p.Err != "" || !p.PacemakerRunning || p.Cluster == nil || p.Control == nil || !p.Control.InProduction() ||
		p.Primary == nil || p.Primary.TLI != 3 || len(p.History) != 2 || p.History[1].SwitchLSN != mustLSN(t, "0/3000180") ||
		len(p.Archive) != 1 || len(p.PGWal) != 1 {
		t.Errorf("%+v", p)
	}
	var psql, cat, pgctl Command
	for _, c := range ex.calls {
		switch filepath.Base(c.Cmd.Argv[0]) {
		case "pg_ctl":
			pgctl = c.Cmd
		case "psql":
			psql = c.Cmd
		case "cat":
			cat = c.Cmd
		}
	}
	if pgctl.User != "postgres" || !slices.Equal(pgctl.Argv[1:], []string{"-D", s.PGData, "status"}) {
		t.Errorf("pg_ctl %+v", pgctl)
	}
	if psql.User != "postgres" || psql.Argv[len(psql.Argv)-1] != PrimaryQuery {
		t.Errorf("psql %+v", psql)
	}
	if !slices.Equal(cat.Argv, []string{"cat", s.PGData + "/pg_wal/00000003.history"}) {
		t.Errorf("history %q", cat.Argv)
	}

	// Unreachable: one probe, then nothing.
	ex = &fakeExec{respond: func(Command) (cmdrun.Result, error) {
		return exit(255, "ssh: connect to host 192.0.2.71 port 22: No route to host")
	}}
	g.Exec = ex
	p = g.Peer(context.Background(), s, PeerOptions{Primary: true})
	if !strings.Contains(p.Err, "No route to host") || len(ex.calls) != 1 {
		t.Errorf("%+v after %v", p, ex.log())
	}
}

func TestDataStatusViews(t *testing.T) {
	s := testSettings()
	nodeDirs(t, &s)
	peerCIB := `<nodes><node id="1" uname="node1"><instance_attributes id="n1"><nvpair id="a" name="pgsql-data-status" value="DISCONNECT"/></instance_attributes></node>` +
		`<node id="2" uname="node2"><instance_attributes id="n2"><nvpair id="b" name="pgsql-data-status" value="LATEST"/></instance_attributes></node></nodes>`
	ex := &fakeExec{respond: func(c Command) (cmdrun.Result, error) { return ok(peerCIB) }}
	g := &Gatherer{Exec: ex}
	mine, peers, notIn := g.DataStatusViews(context.Background(), s, PeerFacts{Host: "192.0.2.72", PacemakerRunning: true})
	want := []Observation{{Source: "on-disk CIB of node1", Value: "LATEST", Found: true}, {Source: "live CIB of node2", Value: "DISCONNECT", Found: true}}
	if !slices.Equal(mine, want) {
		t.Errorf("mine %+v", mine)
	}
	if len(peers) != 2 || peers[1].Value != "LATEST" || len(notIn) != 0 {
		t.Errorf("peers %+v, not in %v", peers, notIn)
	}
	if c := ex.calls[0].Cmd; c.Host != "192.0.2.72" || !slices.Equal(c.Argv, []string{"cibadmin", "--query", "--scope", "nodes"}) {
		t.Errorf("%+v", c)
	}
	// Pacemaker stopped on the peer: its file.
	ex.calls = nil
	mine, _, _ = g.DataStatusViews(context.Background(), s, PeerFacts{Host: "192.0.2.72"})
	if c := ex.calls[0].Cmd; !slices.Equal(c.Argv, []string{"cat", s.CIBFile}) || mine[1].Source != "on-disk CIB of node2" {
		t.Errorf("%+v %+v", c, mine)
	}
	// A wrong node name reads nothing: it must show.
	s.Node = "pg1.example.com"
	_, _, notIn = g.DataStatusViews(context.Background(), s, PeerFacts{Host: "192.0.2.72", PacemakerRunning: true})
	if len(notIn) != 2 {
		t.Errorf("not in CIB: %v", notIn)
	}
	if got := PeerNodeName(Settings{Node: "node1", CIBFile: s.CIBFile}, PeerFacts{}); got != "node2" {
		t.Errorf("peer name from the CIB file: %q", got)
	}
}

func TestGatherCluster(t *testing.T) {
	s := testSettings()
	nodeDirs(t, &s)
	ex := &fakeExec{respond: func(c Command) (cmdrun.Result, error) {
		switch c.Argv[0] {
		case "pgrep":
			if c.Host != "" {
				return exit(255, "ssh: timeout")
			}
			return ok("77\n")
		case "crm_mon":
			return ok(string(fixtures.Read(t, "pgrex-healthy.xml")))
		}
		return exit(127, "")
	}}
	g := &Gatherer{Exec: ex, PGLiveness: func(string) (pg.Liveness, error) { return pg.Liveness{Running: true}, nil }}
	c, err := g.Cluster(context.Background(), s, true)
	if err != nil {
		t.Fatal(err)
	}
	if !c.PacemakerRunning || c.Cluster == nil || !c.PostgresRunning || !c.PGPrimary || c.PeerErr == "" {
		t.Errorf("%+v", c)
	}
}

// TestWalDumpFrom: a standby that followed a promotion but has not made a
// restart point on the new timeline still names the old one in its
// control file; the end of its WAL is on the newest timeline it has
// segments of.
func TestWalDumpFrom(t *testing.T) {
	c := &pg.ControlData{TLI: 1, CheckpointLSN: 0x2000060}
	hist := []pg.HistoryEntry{{ParentTLI: 1, SwitchLSN: 0x3000000}}
	for _, tc := range []struct {
		name    string
		newest  uint32
		history []pg.HistoryEntry
		tli     uint32
		start   pg.LSN
	}{
		{"no newer timeline", 1, nil, 1, 0x2000060},
		{"followed a promotion", 2, hist, 2, 0x3000000},
		{"two promotions", 3, []pg.HistoryEntry{{ParentTLI: 1, SwitchLSN: 0x3000000}, {ParentTLI: 2, SwitchLSN: 0x4000000}}, 3, 0x4000000},
		{"newer segments, no history file", 2, nil, 1, 0x2000060},
		{"a history that is not this node's past", 3, []pg.HistoryEntry{{ParentTLI: 2, SwitchLSN: 0x4000000}}, 1, 0x2000060},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tli, start := walDumpFrom(c, tc.newest, tc.history)
			if tli != tc.tli || start != tc.start {
				t.Errorf("walDumpFrom = %d %s, want %d %s", tli, start, tc.tli, tc.start)
			}
		})
	}
}
