// SPDX-License-Identifier: Apache-2.0

package status

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/test/fixtures"
)

// Every row of the manual's tables has exactly one rule, and the healthy
// row, which always matches, comes last.
func TestRulesCoverRows(t *testing.T) {
	seen := map[Row]int{}
	for _, r := range rules {
		for _, row := range r.rows {
			seen[row]++
		}
	}
	for row := range Refs {
		if seen[row] != 1 {
			t.Errorf("row %s is in %d rules", row, seen[row])
		}
	}
	if last := rules[len(rules)-1]; !slices.Equal(last.rows, []Row{RowHealthy}) {
		t.Errorf("last rule %v", last.rows)
	}
}

// On every fixture, a rule that matches reports one of its own rows, and
// the first that matches is the diagnosis.
func TestRulesOnFixtures(t *testing.T) {
	// The captures busy_test.go walks.
	files := fixtures.Glob(t, "pacemaker-2.1.5/crm_mon-*.xml", "handmade/pgrex-*.xml", "handmade/pcmk11-*.xml", "pgrex-lab/pgrex-*.xml")
	if len(files) < 20 {
		t.Fatalf("fixtures: %v", files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Parse(b, Options{})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		first := Row("")
		for _, r := range rules {
			d, ok := r.match(m)
			if !ok {
				continue
			}
			if !slices.Contains(r.rows, d.Row) {
				t.Errorf("%s: rule %v reports %s", filepath.Base(f), r.rows, d.Row)
			}
			if first == "" {
				first = d.Row
			}
		}
		if got := diagnoseRow(m).Row; got != first {
			t.Errorf("%s: diagnosis %s, first matching rule %s", filepath.Base(f), got, first)
		}
	}
}

// One small model per rule that is cheap to build by hand.
func TestRules(t *testing.T) {
	node := func(name string, role attrd.Role, pgsql, data string) Node {
		return Node{Name: name, Online: true, AttrsKnown: true, Role: role, PgsqlStatus: pgsql, DataStatus: data}
	}
	primary := node("n1", attrd.RolePromoted, attrd.StatusPrimary, attrd.DataLatest)
	standby := node("n2", attrd.RoleUnpromoted, attrd.StatusSync, attrd.DataSync)
	stopped := node("n2", attrd.RoleStopped, attrd.StatusStop, attrd.DataDisconnect)
	electing := node("n2", attrd.RoleUnpromoted, attrd.StatusStop, attrd.DataLatest)
	electing.XlogLoc = "0000000005000060"
	offline := Node{Name: "n2"}
	unclean := Node{Name: "n2", Unclean: true}
	dead := standby
	dead.Attrs = map[string]string{"ringnumber_0": "dead"}
	for _, tt := range []struct {
		name  string
		match func(*Model) (Diagnosis, bool)
		m     Model
		want  Row // "" = no match
	}{
		{"split brain", splitBrain, Model{Nodes: []Node{primary, {Name: "n2", Role: attrd.RolePromoted}}}, RowSplitBrain},
		{"split brain: one primary", splitBrain, Model{Nodes: []Node{primary, standby}}, ""},
		{"stop failure", stopFailure, Model{Resource: "pgsql", Nodes: []Node{primary, standby},
			Failures: []Failure{{Node: "n2", Resource: "pgsql", Task: "stop"}}}, RowStopFailure},
		{"unclean", uncleanNode, Model{Nodes: []Node{primary, unclean}}, RowUnclean},
		{"unclean: none", uncleanNode, Model{Nodes: []Node{primary, standby}}, ""},
		{"ic-lan", icLANFailure, Model{Nodes: []Node{primary, dead}}, RowICLAN},
		{"switchover", switchover, Model{Resource: "pgsql", Nodes: []Node{primary, standby},
			Bans: []Ban{{ID: "cli-ban-pgsql-clone-on-n1", Resource: "pgsql", Node: "n1"}}}, RowSwitchover},
		{"switchover: not a cli constraint", switchover, Model{Resource: "pgsql", Nodes: []Node{primary, standby},
			Bans: []Ban{{ID: "location-x", Resource: "pgsql", Node: "n1"}}}, ""},
		{"vip-master", vipFailure, Model{VIPPrimary: "vip-master", Nodes: []Node{primary, standby},
			Failures: []Failure{{Node: "n1", Resource: "vip-master", Task: "monitor"}}}, RowVIPMaster},
		{"resource failure", resourceFailure, Model{Resource: "pgsql", Nodes: []Node{primary, standby},
			Failures: []Failure{{Node: "n2", Resource: "pgsql", Task: "monitor"}}}, RowResourceFailure},
		{"vip-slave", vipSlaveFailure, Model{VIPStandby: "vip-slave", Nodes: []Node{primary, standby},
			Failures: []Failure{{Node: "n2", Resource: "vip-slave", Task: "monitor"}}}, RowVIPSlave},
		{"other failure", otherFailure, Model{Nodes: []Node{primary, standby},
			Failures: []Failure{{Node: "n2", Resource: "ping", Task: "monitor"}}}, RowOtherFailure},
		{"node stopped", nodeOut, Model{Nodes: []Node{primary, offline}}, RowNodeStopped},
		{"election", election, Model{Nodes: []Node{node("n1", attrd.RoleUnpromoted, attrd.StatusStop, attrd.DataLatest), electing}}, RowElection},
		{"election: a primary serves", election, Model{Nodes: []Node{primary, electing}}, ""},
		{"no primary", noPrimary, Model{Nodes: []Node{node("n1", attrd.RoleUnpromoted, attrd.StatusStop, attrd.DataLatest), stopped}}, RowNoPrimary},
		{"not sync", standbyFault, Model{Nodes: []Node{primary, node("n2", attrd.RoleUnpromoted, attrd.StatusPotential, attrd.DataAsync)}}, RowNotSync},
		{"diverged", standbyFault, Model{Nodes: []Node{primary, node("n2", attrd.RoleUnpromoted, attrd.StatusAlone, attrd.DataDiverged)}}, RowDiverged},
		{"diverged and stopped", standbyFault, Model{Nodes: []Node{primary, node("n2", attrd.RoleStopped, attrd.StatusStop, attrd.DataDiverged)}}, RowDiverged},
		{"standby stopped", standbyFault, Model{Nodes: []Node{primary, stopped}}, RowStandbyStopped},
		{"standby healthy", standbyFault, Model{Nodes: []Node{primary, standby}}, ""},
		{"healthy", healthy, Model{Nodes: []Node{primary, standby}}, RowHealthy},
	} {
		d, ok := tt.match(&tt.m)
		switch {
		case tt.want == "" && ok:
			t.Errorf("%s: matched %s", tt.name, d.Row)
		case tt.want != "" && (!ok || d.Row != tt.want):
			t.Errorf("%s: %s %v, want %s", tt.name, d.Row, ok, tt.want)
		}
	}
}

// A real capture (docs/operations.md, degraded_promoted): the primary's
// monitor said 191 while the standby was away and 8 again once it was
// back; crm_mon still lists the 191 among the failed actions. That is no
// resource failure: the cluster is healthy, with a note.
func TestDegradedRecordIsNoFailure(t *testing.T) {
	m, err := Parse(fixtures.Read(t, "pgrex-degraded-promoted-record.xml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Failures) != 0 || len(m.Degraded) != 1 || m.Degraded[0].ExitCode != 191 || m.Degraded[0].Node != "node1" {
		t.Fatalf("failures %v, degraded %v", m.Failures, m.Degraded)
	}
	d := Diagnose(m)
	if d.Row != RowHealthy {
		t.Errorf("diagnosis %s, want %s", d.Row, RowHealthy)
	}
	found := false
	for _, n := range d.Notes {
		found = found || (n.Code == NoteDegradedRecord && n.Node == "node1" && n.Resource == "pgsql")
	}
	if !found {
		t.Errorf("no degraded-record note for node1: %+v", d.Notes)
	}
}
