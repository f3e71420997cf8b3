// SPDX-License-Identifier: Apache-2.0

package procedure

import (
	"github.com/pgrex/pgrex/attrd"
	"slices"
	"testing"
)

func TestDecideSwitchover(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		node    string
		running bool
		legacy  bool
		peerErr string
		// noPeerHost, noArchive: settings missing.
		noPeerHost, noArchive bool
		refusals              []string
		steps                 []string
	}{
		{name: "healthy, run on the primary", fixture: "pgrex-healthy.xml", node: "node1", running: true,
			steps: []string{"ban-promoted", "wait-primary", "clear-constraint", "stop-pacemaker", "wait-stopped"}},
		{name: "real lab capture, node2 primary", fixture: "crm_mon-healthy-node2-primary.xml", node: "node2", running: true,
			steps: []string{"ban-promoted", "wait-primary", "clear-constraint", "stop-pacemaker", "wait-stopped"}},
		{name: "Pacemaker 1.1 (Master/Slave)", fixture: "pcmk11-healthy.xml", node: "pg-rex01", running: true, legacy: true,
			steps: []string{"ban-promoted", "wait-primary", "clear-constraint", "stop-pacemaker", "wait-stopped"}},
		{name: "run on the standby", fixture: "pgrex-healthy.xml", node: "node2", running: true,
			refusals: []string{"not-primary-here", "standby-not-sync"}},
		{name: "Pacemaker not running here", fixture: "pgrex-healthy.xml", node: "node1", running: false,
			refusals: []string{"pacemaker-not-running-here"}},
		{name: "maintenance mode", fixture: "pgrex-maintenance.xml", node: "node1", running: true,
			refusals: []string{"maintenance-mode"}},
		{name: "standby not synchronous", fixture: "pgrex-not-sync.xml", node: "node1", running: true,
			refusals: []string{"standby-not-sync"}},
		{name: "standby node stopped", fixture: "pgrex-standby-node-stopped.xml", node: "node1", running: true,
			refusals: []string{"node-not-online", "standby-not-sync"}},
		{name: "a ban from an earlier switchover is still there", fixture: "crm_mon-switchover-ban.xml", node: "node2", running: true,
			refusals: []string{"standby-not-sync", "constraint-present"}},
		{name: "two primaries", fixture: "pgrex-split-brain.xml", node: "node1", running: true,
			refusals: []string{"two-primaries", "standby-not-sync"}},
		{name: "the peer cannot be reached over ssh: this node could not rejoin", fixture: "pgrex-healthy.xml", node: "node1", running: true,
			peerErr: "ssh: Permission denied (publickey)", refusals: []string{"peer-unreachable"}},
		{name: "the peer's address is unknown", fixture: "pgrex-healthy.xml", node: "node1", running: true, noPeerHost: true,
			refusals: []string{"no-peer-address"}},
		{name: "no archive directory", fixture: "pgrex-healthy.xml", node: "node1", running: true, noArchive: true,
			refusals: []string{"no-archive-dir"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testSettings()
			s.Node, s.Clone = tt.node, ""
			if tt.legacy {
				s.Dialect = attrd.Pacemaker11
			}
			if tt.noPeerHost {
				s.PeerHost = ""
			}
			if tt.noArchive {
				s.ArchiveDir = ""
			}
			c := ClusterFacts{PacemakerRunning: tt.running, Cluster: model(t, tt.fixture), PeerErr: tt.peerErr}
			d := DecideSwitchover(s, c, SwitchoverOptions{})
			if got := refusalCodes(d.Refusals); !slices.Equal(got, tt.refusals) {
				t.Errorf("refusals %v, want %v (%v)", got, tt.refusals, d.Refusals)
			}
			if got := stepCodes(d.Plan); !slices.Equal(got, tt.steps) {
				t.Errorf("steps %v, want %v", got, tt.steps)
			}
		})
	}
}

func TestSwitchoverCommands(t *testing.T) {
	s := testSettings()
	d := DecideSwitchover(s, ClusterFacts{PacemakerRunning: true, Cluster: model(t, "pgrex-healthy.xml")}, SwitchoverOptions{})
	ban := d.Plan.Steps[0]
	if !ban.Destructive || !slices.Equal(ban.Cmd.Argv, []string{"crm_resource", "--ban", "--promoted", "--resource", "msPostgresql", "--node", "node1"}) {
		t.Errorf("ban %+v %q", ban, ban.Cmd.Argv)
	}
	if w := d.Plan.Steps[1].Wait; w.Kind != WaitPrimary || w.Node != "node2" {
		t.Errorf("wait %+v", w)
	}
	if c := d.Plan.Steps[2].Cmd.Argv; !slices.Equal(c, []string{"crm_resource", "--clear", "--resource", "msPostgresql"}) {
		t.Errorf("clear %q", c)
	}
	if c := d.Plan.Steps[3].Cmd; c.Host != "" || !slices.Equal(c.Argv, s.StopPacemaker) {
		t.Errorf("stop %+v", c)
	}
	if w := d.Plan.Steps[4].Wait; w.Kind != WaitStopped || w.Host != "" {
		t.Errorf("wait %+v", w)
	}

	s.Dialect = attrd.Pacemaker11
	s.Node = "pg-rex01"
	d = DecideSwitchover(s, ClusterFacts{PacemakerRunning: true, Cluster: model(t, "pcmk11-healthy.xml")}, SwitchoverOptions{})
	if got := d.Plan.Steps[0].Cmd.Argv; len(got) < 3 || got[2] != "--master" {
		t.Errorf("Pacemaker 1.1 ban %q", got)
	}
}

func TestDecideStop(t *testing.T) {
	tests := []struct {
		name    string
		node    string
		fixture string
		facts   ClusterFacts
		opts    StopOptions
		peer    string
		steps   []string
		hosts   []string // Host of each step's command or wait
		notes   []string
		destr   []bool
	}{
		{name: "already stopped", node: "node1", facts: ClusterFacts{}, notes: []string{"already-stopped"}},
		{name: "the standby", node: "node2", fixture: "pgrex-healthy.xml", facts: ClusterFacts{PacemakerRunning: true, PostgresRunning: true},
			steps: []string{"checkpoint", "stop-standby", "wait-stopped"}, hosts: []string{"", "", ""}, destr: []bool{false, false, false}},
		{name: "the primary while the standby runs: failover warned and confirmed", node: "node1", fixture: "pgrex-healthy.xml",
			facts: ClusterFacts{PacemakerRunning: true, PostgresRunning: true},
			steps: []string{"checkpoint", "stop-primary-failover", "wait-stopped"}, hosts: []string{"", "", ""},
			notes: []string{"failover-warning"}, destr: []bool{false, true, false}},
		{name: "the last primary, --fast", node: "node1", fixture: "pgrex-standby-node-stopped.xml",
			facts: ClusterFacts{PacemakerRunning: true, PostgresRunning: true}, opts: StopOptions{Fast: true},
			steps: []string{"stop-primary", "wait-stopped"}, hosts: []string{"", ""}, destr: []bool{true, false}},
		{name: "whole cluster from the primary: the standby first, over ssh", node: "node1", fixture: "pgrex-healthy.xml",
			facts: ClusterFacts{PacemakerRunning: true, PostgresRunning: true, PeerPacemakerRunning: true}, opts: StopOptions{All: true},
			peer:  "192.0.2.72",
			steps: []string{"checkpoint", "stop-standby", "wait-stopped", "checkpoint", "stop-primary", "wait-stopped"},
			hosts: []string{"192.0.2.72", "192.0.2.72", "192.0.2.72", "", "", ""},
			destr: []bool{false, false, false, false, true, false}},
		{name: "whole cluster from the standby: this node first", node: "node2", fixture: "pgrex-healthy.xml",
			facts: ClusterFacts{PacemakerRunning: true, PostgresRunning: true, PeerPacemakerRunning: true}, opts: StopOptions{All: true, Fast: true},
			peer:  "192.0.2.71",
			steps: []string{"stop-standby", "wait-stopped", "stop-primary", "wait-stopped"},
			hosts: []string{"", "", "192.0.2.71", "192.0.2.71"}, destr: []bool{false, false, true, false}},
		{name: "whole cluster, peer already stopped", node: "node1", fixture: "pgrex-standby-node-stopped.xml",
			facts: ClusterFacts{PacemakerRunning: true, PostgresRunning: true}, opts: StopOptions{All: true, Fast: true},
			peer:  "192.0.2.72",
			steps: []string{"stop-primary", "wait-stopped"}, hosts: []string{"", ""}, notes: []string{"already-stopped"}, destr: []bool{true, false}},
		{name: "whole cluster, Pacemaker stopped here: the peer's role is unknown, so its stop asks first", node: "node1",
			facts: ClusterFacts{PeerPacemakerRunning: true}, opts: StopOptions{All: true, Fast: true}, peer: "192.0.2.72",
			steps: []string{"stop-unknown-role", "wait-stopped"}, hosts: []string{"192.0.2.72", "192.0.2.72"},
			notes: []string{"already-stopped"}, destr: []bool{true, false}},
		{name: "the failed primary after a failover: not called a standby, no CHECKPOINT", node: "node1",
			fixture: "crm_mon-after-kill9-primary.xml", facts: ClusterFacts{PacemakerRunning: true},
			steps: []string{"stop-node", "wait-stopped"}, hosts: []string{"", ""}, destr: []bool{false, false}},
		{name: "whole cluster without the peer's address: this node only", node: "node2", fixture: "pgrex-healthy.xml",
			facts: ClusterFacts{PacemakerRunning: true, PostgresRunning: true}, opts: StopOptions{All: true, Fast: true},
			steps: []string{"stop-standby", "wait-stopped"}, hosts: []string{"", ""}, notes: []string{"peer-unknown"}, destr: []bool{false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testSettings()
			s.Node, s.PeerHost = tt.node, tt.peer
			c := tt.facts
			if tt.fixture != "" {
				c.Cluster = model(t, tt.fixture)
			}
			d := DecideStop(s, c, tt.opts)
			if got := stepCodes(d.Plan); !slices.Equal(got, tt.steps) {
				t.Fatalf("steps %v, want %v", got, tt.steps)
			}
			if got := refusalCodes(d.Notes); !slices.Equal(got, tt.notes) {
				t.Errorf("notes %v, want %v", got, tt.notes)
			}
			for i, st := range d.Plan.Steps {
				host := ""
				if st.Cmd != nil {
					host = st.Cmd.Host
				} else if st.Wait != nil {
					host = st.Wait.Host
				}
				if host != tt.hosts[i] || st.Destructive != tt.destr[i] {
					t.Errorf("step %d %s: host %q destructive %v, want %q %v", i, st.Code, host, st.Destructive, tt.hosts[i], tt.destr[i])
				}
			}
		})
	}
}

func TestStopCheckpointCommand(t *testing.T) {
	s := testSettings()
	d := DecideStop(s, ClusterFacts{PacemakerRunning: true, PostgresRunning: true, Cluster: model(t, "pgrex-healthy.xml")}, StopOptions{})
	cp := d.Plan.Steps[0]
	want := []string{"/usr/lib/postgresql/15/bin/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-p", "5432",
		"-h", "/run/postgresql", "-d", "template1", "-c", "CHECKPOINT"}
	if !cp.IgnoreError || cp.Cmd.User != "postgres" || !slices.Equal(cp.Cmd.Argv, want) {
		t.Errorf("checkpoint %+v %q", cp, cp.Cmd.Argv)
	}
}
