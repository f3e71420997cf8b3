// SPDX-License-Identifier: Apache-2.0

package status_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/status"
	"github.com/pgrex/pgrex/ra/lockfile"
	"github.com/pgrex/pgrex/test/fixtures"
)

func load(t testing.TB, name string, o status.Options) *status.Model {
	t.Helper()
	m, err := status.Parse(fixtures.Read(t, name), o)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

// steps renders steps as "code:node" (":node>peer" when a peer is named,
// "code:node/resource" for resource steps) for compact expectations.
func steps(ss []status.Step) []string {
	var out []string
	for _, s := range ss {
		x := string(s.Code)
		if s.Node != "" {
			x += ":" + s.Node
		}
		if s.Resource != "" {
			x += "/" + s.Resource
		}
		out = append(out, x)
	}
	return out
}

func notes(ns []status.Note) []string {
	var out []string
	for _, n := range ns {
		x := string(n.Code)
		if n.Node != "" {
			x += ":" + n.Node
		}
		if n.Resource != "" {
			x += "/" + n.Resource
		}
		out = append(out, x)
	}
	return out
}

// Every fixture maps to its row of the manual, with the documented steps.
func TestDiagnoseFixtures(t *testing.T) {
	rebuildNode1 := []string{"rebuild:node1", "clear-lock:node1", "start-standby:node1"}
	tests := []struct {
		file     string
		row      status.Row
		severity status.Severity
		node     string
		peer     string
		task     string
		steps    []string
		notes    []string
	}{
		// Real captures.
		{file: "crm_mon-healthy.xml", row: status.RowHealthy, severity: status.OK, node: "node1", peer: "node2",
			notes: []string{"stonith-disabled"}},
		{file: "crm_mon-healthy-fencing.xml", row: status.RowHealthy, severity: status.OK, node: "node1", peer: "node2"},
		{file: "crm_mon-after-kill9-primary.xml", row: status.RowResourceFailure, severity: status.Degraded,
			node: "node1", peer: "node2", task: "monitor",
			steps: append([]string{"stop-pacemaker:node1", "report:node1"}, rebuildNode1...),
			notes: []string{"stonith-disabled"}},
		{file: "crm_mon-replication-link-cut.xml", row: status.RowDLAN, severity: status.Degraded, node: "node2", peer: "node1",
			steps: []string{"check-walsender-log:node1", "stop-pacemaker:node2", "report:node2", "start-standby:node2"},
			notes: []string{"stonith-disabled"}},
		{file: "crm_mon-switchover-ban.xml", row: status.RowSwitchover, severity: status.Degraded, node: "node1", peer: "node2",
			steps: []string{"clear-constraint/msPostgresql", "rebuild:node1", "clear-lock:node1", "cleanup:node1/msPostgresql", "confirm-standby:node1"},
			notes: []string{"stonith-disabled"}},
		{file: "crm_mon-switchover-after-clear.xml", row: status.RowResourceFailure, severity: status.Degraded,
			node: "node1", peer: "node2", task: "monitor",
			steps: []string{"stop-pacemaker:node1", "report:node1", "start-standby:node1"},
			notes: []string{"stonith-disabled"}},
		{file: "crm_mon-after-fencing.xml", row: status.RowFenced, severity: status.Degraded, node: "node1", peer: "node2",
			steps: []string{"check-node-log:node1", "power-on:node1", "report:node1", "start-standby:node1"}},

		// Hand-made, one per row of the manual's fault list.
		{file: "pgrex-healthy.xml", row: status.RowHealthy, severity: status.OK, node: "node1", peer: "node2"},
		{file: "pgrex-s-lan.xml", row: status.RowSLAN, severity: status.Degraded, node: "node1", peer: "node2",
			steps: append([]string{"stop-pacemaker:node1", "report:node1"}, rebuildNode1...)},
		{file: "pgrex-router.xml", row: status.RowRouter, severity: status.Down, node: "node1", peer: "node2",
			steps: []string{"find-latest:node1", "stop-pacemaker:node2", "stop-pacemaker:node1", "report", "start-primary:node1", "start-standby:node2"}},
		{file: "pgrex-disk.xml", row: status.RowDisk, severity: status.Degraded, node: "node1", peer: "node2",
			steps: append([]string{"power-off:node1", "confirm-fencing:node1", "report:node1", "power-on:node1"}, rebuildNode1...)},
		{file: "pgrex-health-red.xml", row: status.RowDisk, severity: status.Degraded, node: "node1", peer: "node2",
			steps: []string{"power-off:node1", "confirm-fencing:node1", "report:node1", "power-on:node1", "start-standby:node1"}},
		{file: "pgrex-ic-lan-link.xml", row: status.RowICLAN, severity: status.Degraded, node: "node1", peer: "node2",
			steps: []string{"check-both-views", "report:node1"}},
		{file: "pgrex-vip-master.xml", row: status.RowVIPMaster, severity: status.Degraded, node: "node1", peer: "node2", task: "monitor",
			steps: append([]string{"stop-pacemaker:node1", "report:node1"}, rebuildNode1...)},
		{file: "pgrex-vip-rep.xml", row: status.RowVIPRep, severity: status.Degraded, node: "node1", peer: "node2", task: "monitor",
			steps: []string{"stop-pacemaker:node1", "report:node1", "rebuild:node1", "clear-lock:node1", "start-standby:node1"}},
		// As the lab shows it: the old primary's stop on demote also fails
		// its next pgsql monitor; the VIP is still the fault.
		{file: "pgrex-vip-rep-and-pgsql-monitor.xml", row: status.RowVIPRep, severity: status.Degraded, node: "node1", peer: "node2", task: "monitor",
			steps: []string{"stop-pacemaker:node1", "report:node1", "rebuild:node1", "clear-lock:node1", "start-standby:node1"}},
		{file: "pgrex-vip-slave.xml", row: status.RowVIPSlave, severity: status.Degraded, node: "node2", peer: "node1", task: "monitor",
			steps: []string{"report:node2", "cleanup:node2/vip-slave"}},
		{file: "pgrex-stop-failure.xml", row: status.RowStopFailure, severity: status.Down, node: "node1", peer: "node2", task: "stop",
			steps: []string{"power-off:node1", "confirm-fencing:node1", "power-on:node1", "report:node1", "start-standby:node1"},
			notes: []string{"no-primary"}},
		{file: "pgrex-unclean-offline.xml", row: status.RowUnclean, severity: status.Down, node: "node1", peer: "node2",
			steps: []string{"power-off:node1", "confirm-fencing:node1", "power-on:node1", "check-node-log:node1", "report:node1", "start-standby:node1"},
			notes: []string{"no-primary"}},
		{file: "pgrex-standby-node-stopped.xml", row: status.RowNodeStopped, severity: status.Degraded, node: "node2", peer: "node1",
			steps: []string{"start-standby:node2"}},
		{file: "pgrex-election.xml", row: status.RowElection, severity: status.Down, steps: []string{"wait"}},
		{file: "pgrex-no-primary.xml", row: status.RowNoPrimary, severity: status.Down, node: "node1", peer: "node2",
			steps: []string{"find-latest:node1", "stop-pacemaker:node2", "stop-pacemaker:node1", "start-primary:node1", "start-standby:node2"}},
		// Lab capture: the switchover's promote failed on node2 (lab-pg_ctl).
		{file: "pgrex-promote-failed-at-switchover.xml", row: status.RowResourceFailure, severity: status.Down, node: "node2", peer: "node1", task: "promote",
			steps: []string{"clear-constraint/msPostgresql", "stop-pacemaker:node1", "stop-pacemaker:node2", "report:node2",
				"start-primary:node2", "start-standby:node1"},
			notes: []string{"no-primary", "fail-count:node1/pgsql", "cli-constraint:node1/msPostgresql"}},
		{file: "pgrex-not-sync.xml", row: status.RowNotSync, severity: status.Degraded, node: "node2", peer: "node1",
			steps: []string{"wait", "check-replication:node2"}},
		{file: "pgrex-diverged.xml", row: status.RowDiverged, severity: status.Degraded, node: "node2", peer: "node1",
			steps: []string{"stop-pacemaker:node2", "rebuild:node2", "start-standby:node2"}},
		{file: "pgrex-standby-stopped.xml", row: status.RowStandbyStopped, severity: status.Degraded, node: "node2", peer: "node1",
			steps: []string{"stop-pacemaker:node2", "start-standby:node2"}, notes: []string{"node-standby-mode:node2"}},
		{file: "pgrex-split-brain.xml", row: status.RowSplitBrain, severity: status.Down, node: "node1", peer: "node2",
			steps: []string{"stop-second-primary:node1"}},
		{file: "pgrex-lock-start-failure.xml", row: status.RowResourceFailure, severity: status.Degraded, node: "node1", peer: "node2", task: "start",
			steps: []string{"stop-pacemaker:node1", "report:node1", "start-standby:node1"}, notes: []string{"lock-refused-start:node1"}},
		{file: "pgrex-maintenance.xml", row: status.RowHealthy, severity: status.OK, node: "node1", peer: "node2",
			notes: []string{"maintenance-mode"}},
		{file: "pgrex-other-failure.xml", row: status.RowOtherFailure, severity: status.Degraded, node: "node2", peer: "node1", task: "monitor",
			steps: []string{"report:node2", "cleanup:node2/prmPingd"}},

		// Pacemaker 1.1 shape.
		{file: "pcmk11-healthy.xml", row: status.RowHealthy, severity: status.OK, node: "pg-rex01", peer: "pg-rex02"},
		{file: "pcmk11-kill9-primary.xml", row: status.RowResourceFailure, severity: status.Degraded,
			node: "pg-rex01", peer: "pg-rex02", task: "monitor",
			steps: []string{"stop-pacemaker:pg-rex01", "report:pg-rex01", "start-standby:pg-rex01"}},
	}
	seen := map[status.Row]bool{}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			d := status.Diagnose(load(t, tt.file, status.Options{}))
			seen[d.Row] = true
			if d.Row != tt.row || d.Severity != tt.severity || d.Node != tt.node || d.Peer != tt.peer || d.Task != tt.task {
				t.Errorf("got row %s severity %s node %q peer %q task %q\nwant row %s severity %s node %q peer %q task %q",
					d.Row, d.Severity, d.Node, d.Peer, d.Task, tt.row, tt.severity, tt.node, tt.peer, tt.task)
			}
			if got := steps(d.Steps); !slices.Equal(got, tt.steps) {
				t.Errorf("steps %q\nwant  %q", got, tt.steps)
			}
			if got := notes(d.Notes); !slices.Equal(got, tt.notes) {
				t.Errorf("notes %q, want %q", got, tt.notes)
			}
			if _, ok := status.Refs[d.Row]; !ok {
				t.Errorf("row %s has no manual reference", d.Row)
			}
		})
	}
	// Every row is exercised by some fixture.
	for row := range status.Refs {
		if !seen[row] {
			t.Errorf("no fixture diagnoses %s", row)
		}
	}
}

func TestParseModel(t *testing.T) {
	m := load(t, "crm_mon-after-kill9-primary.xml", status.Options{LocalNode: "node1"})
	if m.Resource != "pgsql" || m.Clone != "msPostgresql" || m.DC != "node1" || m.StonithEnabled == nil || *m.StonithEnabled {
		t.Errorf("cluster: resource %q clone %q dc %q stonith %v", m.Resource, m.Clone, m.DC, m.StonithEnabled)
	}
	n1, _ := m.Node("node1")
	n2, _ := m.Node("node2")
	if !n1.Local || n2.Local {
		t.Error("local node not marked")
	}
	if n1.State != status.StateOUS || n1.Role != attrd.RoleStopped || n1.PgsqlStatus != "STOP" ||
		n1.DataStatus != "DISCONNECT" || n1.Score != "-INFINITY" || !n1.WasPrimary {
		t.Errorf("node1: %+v", n1)
	}
	if len(n1.FailCounts) != 1 || n1.FailCounts[0] != (status.FailCount{Resource: "pgsql", Count: "1", LastFailure: "Sun Nov 22 04:49:14 2026"}) {
		t.Errorf("node1 fail counts %+v", n1.FailCounts)
	}
	if n2.State != status.StateMaster || n2.Baseline != "0000000003000180" || !slices.Equal(n2.VIPs, []string{"vip-rep"}) {
		t.Errorf("node2: %+v", n2)
	}
	want := status.Failure{OpKey: "pgsql_monitor_3000", Resource: "pgsql", Task: "monitor", Interval: "3000", Node: "node1",
		ExitCode: 7, ExitStatus: "not running", Status: "complete", LastChange: "2026-11-22 04:49:14Z"}
	if len(m.Failures) != 1 || m.Failures[0] != want {
		t.Errorf("failures %+v", m.Failures)
	}

	m = load(t, "crm_mon-after-fencing.xml", status.Options{})
	n1, _ = m.Node("node1")
	if n1.State != status.StateNone || n1.AttrsKnown || len(m.Fencing) != 1 || m.Fencing[0].Target != "node1" ||
		m.Fencing[0].Status != "success" {
		t.Errorf("after fencing: node1 %+v, fencing %+v", n1, m.Fencing)
	}
	if len(m.Bans) != 2 || m.Bans[0].ID != "loc-fence-node2" {
		t.Errorf("bans %+v", m.Bans)
	}

	m = load(t, "crm_mon-switchover-ban.xml", status.Options{})
	if len(m.Bans) != 1 || m.Bans[0] != (status.Ban{ID: "cli-ban-msPostgresql-on-node1", Resource: "msPostgresql", Node: "node1",
		Weight: "-1000000", PromotedOnly: true}) {
		t.Errorf("ban %+v", m.Bans)
	}

	m = load(t, "pcmk11-healthy.xml", status.Options{})
	p, _ := m.Node("pg-rex01")
	s, _ := m.Node("pg-rex02")
	if p.State != status.StateMaster || s.State != status.StateSlave || !slices.Equal(p.VIPs, []string{"vip-master", "vip-rep"}) ||
		!slices.Equal(s.VIPs, []string{"vip-slave"}) || p.Baseline != "27:00000001E7472E18" || !p.WasPrimary {
		t.Errorf("1.1: primary %+v standby %+v", p, s)
	}
}

// Configured names win; the pgsql primitive is found by its agent when
// the configured id is absent (PG-REX 9.1 called it "postgresql").
func TestParseOptions(t *testing.T) {
	b := fixtures.Read(t, "crm_mon-healthy.xml")
	renamed := strings.ReplaceAll(string(b), `resource id="pgsql"`, `resource id="postgresql"`)
	renamed = strings.ReplaceAll(renamed, `"master-pgsql"`, `"master-postgresql"`)
	renamed = strings.ReplaceAll(renamed, `"pgsql-`, `"postgresql-`)
	m, err := status.Parse([]byte(renamed), status.Options{})
	if err != nil {
		t.Fatal(err)
	}
	n1, _ := m.Node("node1")
	if m.Resource != "postgresql" || n1.Role != attrd.RolePromoted || n1.PgsqlStatus != "PRI" || n1.Score != "1000" {
		t.Errorf("auto-detected resource %q, node1 %+v", m.Resource, n1)
	}
	if d := status.Diagnose(m); d.Row != status.RowHealthy {
		t.Errorf("renamed resource: %s", d.Row)
	}

	// vip-rep configured as the standby VIP: on the primary it is
	// misplaced (a note, not a fault).
	m, err = status.Parse(b, status.Options{VIPReplication: "none", VIPPrimary: "none", VIPStandby: "vip-rep"})
	if err != nil {
		t.Fatal(err)
	}
	if n1, _ := m.Node("node1"); !slices.Equal(n1.VIPs, []string{"vip-rep"}) {
		t.Errorf("VIPs %v", n1.VIPs)
	}
}

// The local node's PGSQL.lock, when the caller attached it, becomes a
// note on a node that is not primary and a rebuild step when it rejoins.
func TestDiagnoseLocalLock(t *testing.T) {
	m := load(t, "pgrex-standby-node-stopped.xml", status.Options{LocalNode: "node2"})
	n2, _ := m.LocalNode()
	n2.Lock = &lockfile.Info{Path: "/var/lib/pgsql/tmp/PGSQL.lock", Exists: true}
	d := status.Diagnose(m)
	if got := steps(d.Steps); !slices.Equal(got, []string{"rebuild:node2", "clear-lock:node2", "start-standby:node2"}) {
		t.Errorf("steps %q", got)
	}
	if got := notes(d.Notes); !slices.Equal(got, []string{"lock-present:node2"}) {
		t.Errorf("notes %q", got)
	}

	// On the primary the lock is normal.
	m = load(t, "pgrex-healthy.xml", status.Options{LocalNode: "node1"})
	n1, _ := m.LocalNode()
	n1.Lock = &lockfile.Info{Exists: true}
	if d := status.Diagnose(m); d.Row != status.RowHealthy || len(d.Notes) != 0 {
		t.Errorf("primary with its lock: %s %v", d.Row, d.Notes)
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"", "<html/>", `<pacemaker-result><status code="102" message="Not connected"/></pacemaker-result>`} {
		if _, err := status.Parse([]byte(in), status.Options{}); err == nil {
			t.Errorf("Parse(%q) accepted", in)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"crm_mon-after-kill9-primary.xml", "pcmk11-kill9-primary.xml", "pgrex-stop-failure.xml"} {
		f.Add(fixtures.Read(f, name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := status.Parse(data, status.Options{})
		if err != nil {
			return
		}
		d := status.Diagnose(m) // must not panic on any parsed model
		if _, ok := status.Refs[d.Row]; !ok {
			t.Fatalf("unknown row %q", d.Row)
		}
	})
}

// D-LAN needs all of table 5-5's values; HS:alone alone (a standby that
// has just started and still carries an earlier data-status) is "not in
// sync yet".
func TestDiagnoseDLANNeedsAllValues(t *testing.T) {
	b := fixtures.Read(t, "crm_mon-replication-link-cut.xml")
	s := strings.Replace(string(b), `<attribute name="pgsql-data-status" value="DISCONNECT"/>`,
		`<attribute name="pgsql-data-status" value="STREAMING|SYNC"/>`, 1)
	if s == string(b) {
		t.Fatal("fixture edit did not apply")
	}
	m, err := status.Parse([]byte(s), status.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d := status.Diagnose(m); d.Row != status.RowNotSync || d.Node != "node2" {
		t.Errorf("row %s node %s", d.Row, d.Node)
	}
}
