// SPDX-License-Identifier: Apache-2.0

package procedure

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pgrex/pgrex/ra/lockfile"
	"github.com/pgrex/pgrex/ra/pg"
)

// primaryWorld is node1 about to start as primary: both nodes stopped in
// the manual's order (standby first), so node1 is LATEST and node2
// DISCONNECT in both CIBs, both on timeline 3.
func primaryWorld() (LocalFacts, PeerFacts) {
	l := LocalFacts{
		PGDataExists: true, PGDataDir: true, PGVersion: "15", PGRole: lockfile.PGStopped,
		Lock:    lockfile.Info{Path: "/var/lib/pgsql/tmp/PGSQL.lock"},
		Control: &pg.ControlData{SystemID: "7000", State: "shut down", TLI: 3},
		DataStatus: []Observation{{Source: "on-disk CIB of node1", Value: "LATEST", Found: true},
			{Source: "on-disk CIB of node2", Value: "LATEST", Found: true}},
		PeerDataStatus: []Observation{{Source: "on-disk CIB of node1", Value: "STREAMING|SYNC", Found: true},
			{Source: "on-disk CIB of node2", Value: "DISCONNECT", Found: true}},
	}
	p := PeerFacts{Host: "192.0.2.72", Control: &pg.ControlData{SystemID: "7000", State: "shut down in recovery", TLI: 3}}
	return l, p
}

func TestDecidePrimaryStart(t *testing.T) {
	lockCreated := time.Date(2026, 11, 22, 4, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		change   func(t *testing.T, l *LocalFacts, p *PeerFacts)
		opts     PrimaryOptions
		steps    []string
		refusals []string
		notes    []string
	}{
		{name: "both stopped in order: start and wait", steps: []string{"start-pacemaker", "wait-primary"}},
		{name: "stray signal files are removed first",
			change: func(_ *testing.T, l *LocalFacts, _ *PeerFacts) {
				l.Signals = []string{"standby.signal", "recovery.signal"}
			},
			steps: []string{"remove-signal", "remove-signal", "start-pacemaker", "wait-primary"}},
		{name: "a lock on the LATEST node is removed, with confirmation",
			change: func(_ *testing.T, l *LocalFacts, _ *PeerFacts) {
				l.Lock = lockfile.Info{Path: "/var/lib/pgsql/tmp/PGSQL.lock", Exists: true, Created: lockCreated}
			},
			steps: []string{"remove-lock", "start-pacemaker", "wait-primary"}},
		{name: "a lock with no data-status anywhere is refused",
			change: func(_ *testing.T, l *LocalFacts, p *PeerFacts) {
				l.Lock = lockfile.Info{Path: "/var/lib/pgsql/tmp/PGSQL.lock", Exists: true, Created: lockCreated}
				l.DataStatus = []Observation{{Source: "on-disk CIB of node1"}}
			},
			refusals: []string{"lock-present"}, notes: []string{"data-status-unset"}},
		{name: "a lock older than a rebuild (backup_label) may go even without data-status",
			change: func(_ *testing.T, l *LocalFacts, _ *PeerFacts) {
				l.Lock = lockfile.Info{Path: "/var/lib/pgsql/tmp/PGSQL.lock", Exists: true, Created: lockCreated}
				l.DataStatus = nil
				l.BackupLabel = lockCreated.Add(time.Hour)
			},
			steps: []string{"remove-lock", "start-pacemaker", "wait-primary"}, notes: []string{"data-status-unset"}},
		{name: "first start: data-status unset is a note, not a refusal",
			change: func(_ *testing.T, l *LocalFacts, _ *PeerFacts) { l.DataStatus = nil; l.PeerDataStatus = nil },
			steps:  []string{"start-pacemaker", "wait-primary"}, notes: []string{"data-status-unset"}},
		{name: "Pacemaker already runs here",
			change:   func(_ *testing.T, l *LocalFacts, _ *PeerFacts) { l.PacemakerRunning = true },
			refusals: []string{"pacemaker-running-here"}},
		{name: "PostgreSQL runs here outside Pacemaker",
			change:   func(_ *testing.T, l *LocalFacts, _ *PeerFacts) { l.PostgresRunning = true },
			refusals: []string{"postgres-running-here"}},
		{name: "no data directory",
			change:   func(_ *testing.T, l *LocalFacts, _ *PeerFacts) { l.PGDataExists = false },
			refusals: []string{"no-data"}},
		{name: "PG-REX's half-done rewind",
			change:   func(_ *testing.T, l *LocalFacts, _ *PeerFacts) { l.RewindMarker = true },
			refusals: []string{"rewind-incomplete"}},
		{name: "the agent's half-done rejoin",
			change:   func(_ *testing.T, l *LocalFacts, _ *PeerFacts) { l.AgentRejoin = "/run/pgrex/" + lockfile.RejoinMarker },
			refusals: []string{"agent-rejoin-incomplete"}},
		{name: "peer cannot be asked",
			change:   func(_ *testing.T, _ *LocalFacts, p *PeerFacts) { p.Err = "ssh exited with status 255"; p.Control = nil },
			refusals: []string{"peer-unreachable"}},
		{name: "peer cannot be asked, operator says it is down",
			change: func(_ *testing.T, _ *LocalFacts, p *PeerFacts) { p.Err = "ssh exited with status 255"; p.Control = nil },
			opts:   PrimaryOptions{IgnorePeer: true}, steps: []string{"start-pacemaker", "wait-primary"}, notes: []string{"peer-ignored"}},
		{name: "second primary: node2 promoted in the peer's view",
			change: func(t *testing.T, _ *LocalFacts, p *PeerFacts) {
				p.PacemakerRunning = true
				p.Cluster = model(t, "crm_mon-healthy-node2-primary.xml")
				p.Control.State = "in production"
			},
			refusals: []string{"primary-running"}},
		{name: "peer's cluster status unreadable",
			change: func(_ *testing.T, _ *LocalFacts, p *PeerFacts) {
				p.PacemakerRunning = true
				p.ClusterErr = "crm_mon: not connected"
			},
			refusals: []string{"peer-status-unknown"}},
		{name: "peer runs (or crashed) as primary outside Pacemaker",
			change:   func(_ *testing.T, _ *LocalFacts, p *PeerFacts) { p.Control.State = "in production" },
			refusals: []string{"peer-in-production"}},
		{name: "peer runs as primary outside Pacemaker (pg_ctl status: running)",
			change: func(_ *testing.T, _ *LocalFacts, p *PeerFacts) {
				p.Control.State = "in production"
				p.PGState = PeerPGRunning
			},
			refusals: []string{"peer-in-production"}},
		{name: "peer crashed as primary and is stopped (fault a, then both stopped): data-status decides",
			change: func(_ *testing.T, _ *LocalFacts, p *PeerFacts) {
				p.Control.State = "in production"
				p.PGState = PeerPGStopped
			},
			steps: []string{"start-pacemaker", "wait-primary"}, notes: []string{"peer-crashed-primary"}},
		{name: "a crashed peer does not lift the data-status rule",
			change: func(_ *testing.T, l *LocalFacts, p *PeerFacts) {
				p.Control.State = "in production"
				p.PGState = PeerPGStopped
				l.DataStatus[1] = Observation{Source: "on-disk CIB of node2", Value: "DISCONNECT", Found: true}
			},
			refusals: []string{"data-status"}, notes: []string{"peer-crashed-primary"}},
		{name: "a streaming standby's timeline is its minimum recovery point's (no restartpoint yet)",
			change: func(_ *testing.T, l *LocalFacts, p *PeerFacts) {
				l.Control.TLI, l.Control.MinRecoveryTLI = 3, 4
				p.Control.TLI = 4
			},
			steps: []string{"start-pacemaker", "wait-primary"}},
		{name: "a standby stopped immediately: only the history file in its pg_wal shows the timeline it followed",
			change: func(_ *testing.T, l *LocalFacts, p *PeerFacts) {
				l.Control.State, l.Control.TLI, l.Control.MinRecoveryTLI = "in archive recovery", 1, 1
				l.HistoryTLI = 2
				p.Control.TLI = 2
			},
			steps: []string{"start-pacemaker", "wait-primary"}},
		{name: "the peer's newer timeline may show only in its minimum recovery point",
			change: func(_ *testing.T, l *LocalFacts, p *PeerFacts) {
				p.Control.MinRecoveryTLI = 5
				l.DataStatus = l.DataStatus[:1]
			},
			refusals: []string{"peer-newer-timeline"}},
		{name: "peer was promoted later (newer timeline)",
			change: func(_ *testing.T, l *LocalFacts, p *PeerFacts) {
				p.Control.TLI = 4
				// This node's own CIB file still says LATEST: only the
				// timeline shows the failover it missed.
				l.DataStatus = l.DataStatus[:1]
			},
			refusals: []string{"peer-newer-timeline"}},
		{name: "the peer's CIB says this node is DISCONNECT (stale LATEST in the local file)",
			change: func(_ *testing.T, l *LocalFacts, _ *PeerFacts) {
				l.DataStatus[1] = Observation{Source: "on-disk CIB of node2", Value: "DISCONNECT", Found: true}
			},
			refusals: []string{"data-status"}},
		{name: "STREAMING|SYNC while the peer is LATEST: start the peer instead",
			change: func(_ *testing.T, l *LocalFacts, _ *PeerFacts) {
				l.DataStatus = []Observation{{Source: "on-disk CIB of node1", Value: "STREAMING|SYNC", Found: true}}
				l.PeerDataStatus = []Observation{{Source: "on-disk CIB of node1", Value: "LATEST", Found: true}}
			},
			refusals: []string{"peer-is-latest"}},
		{name: "STREAMING|SYNC while the peer is DISCONNECT may start",
			change: func(_ *testing.T, l *LocalFacts, _ *PeerFacts) {
				l.DataStatus = []Observation{{Source: "on-disk CIB of node1", Value: "STREAMING|SYNC", Found: true}}
			},
			steps: []string{"start-pacemaker", "wait-primary"}},
		{name: "control file unreadable",
			change: func(_ *testing.T, l *LocalFacts, _ *PeerFacts) {
				l.Control = nil
				l.ControlErr = "pg_controldata: could not open file"
			},
			refusals: []string{"control-unreadable"}},
		{name: "this node's name is not in the CIBs (wrong Node_name): nothing would be read",
			change: func(_ *testing.T, l *LocalFacts, _ *PeerFacts) {
				l.DataStatus = nil
				l.NotInCIB = []string{"on-disk CIB of node1", "on-disk CIB of node2"}
			},
			refusals: []string{"node-not-in-cib", "node-not-in-cib"}, notes: []string{"data-status-unset"}},
		{name: "every refusal is listed at once",
			change: func(_ *testing.T, l *LocalFacts, p *PeerFacts) {
				l.PacemakerRunning = true
				l.PostgresRunning = true
				p.Control.TLI = 9
			},
			refusals: []string{"pacemaker-running-here", "postgres-running-here", "peer-newer-timeline"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, p := primaryWorld()
			if tt.change != nil {
				tt.change(t, &l, &p)
			}
			s := testSettings()
			d := DecidePrimaryStart(s, l, p, tt.opts)
			if got := refusalCodes(d.Refusals); !slices.Equal(got, tt.refusals) {
				t.Errorf("refusals %v, want %v (%v)", got, tt.refusals, d.Refusals)
			}
			if got := stepCodes(d.Plan); !slices.Equal(got, tt.steps) {
				t.Errorf("steps %v, want %v", got, tt.steps)
			}
			if got := refusalCodes(d.Notes); !slices.Equal(got, tt.notes) {
				t.Errorf("notes %v, want %v", got, tt.notes)
			}
			if d.Refused() && len(d.Plan.Steps) > 0 {
				t.Errorf("a refused decision has a plan: %v", stepCodes(d.Plan))
			}
			for _, st := range d.Plan.Steps {
				if st.Code == "remove-lock" && (!st.Destructive || st.Path != s.LockPath()) {
					t.Errorf("lock removal %+v: must be confirmed and name the lock", st)
				}
			}
		})
	}
}

func TestPrimaryStartCommands(t *testing.T) {
	l, p := primaryWorld()
	d := DecidePrimaryStart(testSettings(), l, p, PrimaryOptions{})
	start := d.Plan.Steps[0]
	if start.Cmd == nil || !slices.Equal(start.Cmd.Argv, []string{"systemctl", "start", "pacemaker"}) || start.Cmd.Host != "" || !start.Cmd.Detach {
		t.Errorf("start step %+v", start.Cmd)
	}
	w := d.Plan.Steps[1].Wait
	if w == nil || w.Kind != WaitPrimary || w.Node != "node1" || w.Timeout != 300*time.Second {
		t.Errorf("wait %+v", w)
	}
	if got := Describe(d.Plan.Steps[1]); !strings.Contains(got, "node1 is primary (PRI / LATEST), at most 5m0s") {
		t.Errorf("description %q", got)
	}
}
