// SPDX-License-Identifier: Apache-2.0

package status

import (
	"slices"
	"strconv"
	"strings"

	"github.com/pgrex/pgrex/attrd"
)

// Row identifies where the cluster is in the manual's fault tables (or
// which operating state it is in). Rows are stable identifiers: the CLI
// maps them to messages and scripts may match them in --json output.
type Row string

// Rows, in the order Diagnose tests them.
const (
	RowSplitBrain      Row = "split-brain"                            // two primaries: not in the manual (double fault)
	RowStopFailure     Row = "resource-failure-demote-stop"           // 5.10, table 5-7 No.5
	RowUnclean         Row = "node-unclean"                           // 5.4.1 UNCLEAN: fencing failed → 5.10/5.14/5.15 STEP1
	RowDisk            Row = "internal-disk-failure"                  // 5.14, table 5-7 No.9, table 5-5
	RowRouter          Row = "router-failure"                         // 5.6, table 5-7 No.1, table 5-5
	RowSLAN            Row = "s-lan-failure"                          // 5.7, table 5-7 No.2, table 5-5
	RowICLAN           Row = "ic-lan-failure"                         // 5.16, table 5-7 No.11, table 5-5
	RowSwitchover      Row = "switchover"                             // 6.3: a move/ban constraint is in place
	RowResourceFailure Row = "resource-failure-start-promote-monitor" // 5.9, table 5-7 No.4
	RowVIPMaster       Row = "vip-master-failure"                     // 5.11, table 5-7 No.6
	RowVIPRep          Row = "vip-rep-failure"                        // 5.12, table 5-7 No.7
	RowVIPSlave        Row = "vip-slave-failure"                      // 5.13, table 5-7 No.8
	RowOtherFailure    Row = "resource-failure-other"                 // 5.4.3: a failure of another resource
	RowFenced          Row = "node-fenced"                            // 5.4.1 OFFLINE after fencing → table 5-6 → 5.10/5.14/5.15/5.16
	RowNodeStopped     Row = "node-stopped"                           // 5.2 NONE: Pacemaker stopped on a node
	RowElection        Row = "election"                               // no primary, the agent is electing one
	RowNoPrimary       Row = "no-primary"                             // no primary and no election: 4.2 / 5.6.2
	RowDiverged        Row = "standby-diverged"                       // pgrex's own: the standby's WAL left the primary's history (DIVERGED)
	RowDLAN            Row = "d-lan-failure"                          // 5.8, table 5-7 No.3, table 5-5
	RowNotSync         Row = "replication-not-sync"                   // table 5-2: standby not (yet) HS:sync
	RowStandbyStopped  Row = "standby-stopped"                        // 4.3: a node in the cluster without pgsql
	RowHealthy         Row = "healthy"                                // 5.3.2, table 5-3
)

// Ref is where the manual describes a row.
type Ref struct {
	Section string `json:"section,omitempty"` // e.g. "5.8"
	Table   string `json:"table,omitempty"`   // e.g. "5-7 No.3"
}

// Docs names pgrex's own document for a row the manual does not have.
var Docs = map[Row]string{
	RowDiverged: "docs/rejoin.md",
}

// Refs maps every row to the manual.
var Refs = map[Row]Ref{
	RowSplitBrain:      {},
	RowStopFailure:     {"5.10", "5-7 No.5"},
	RowUnclean:         {"5.4.1", "5-7 No.5/9/10"},
	RowDisk:            {"5.14", "5-7 No.9, 5-5"},
	RowRouter:          {"5.6", "5-7 No.1, 5-5"},
	RowSLAN:            {"5.7", "5-7 No.2, 5-5"},
	RowICLAN:           {"5.16", "5-7 No.11, 5-5"},
	RowSwitchover:      {"6.3", ""},
	RowResourceFailure: {"5.9", "5-7 No.4"},
	RowVIPMaster:       {"5.11", "5-7 No.6"},
	RowVIPRep:          {"5.12", "5-7 No.7"},
	RowVIPSlave:        {"5.13", "5-7 No.8"},
	RowOtherFailure:    {"5.4.3", ""},
	RowFenced:          {"5.4.1", "5-6"},
	RowNodeStopped:     {"5.2", ""},
	RowElection:        {},
	RowNoPrimary:       {"4.2", ""},
	RowDiverged:        {},
	RowDLAN:            {"5.8", "5-7 No.3, 5-5"},
	RowNotSync:         {"5.3.2", "5-2"},
	RowStandbyStopped:  {"4.3", ""},
	RowHealthy:         {"5.3.2", "5-3"},
}

// Severity summarises a diagnosis (and sets `pgrex status`'s exit code).
type Severity string

// Severities.
const (
	OK       Severity = "ok"       // the manual's normal state
	Degraded Severity = "degraded" // a primary serves, something is wrong
	Down     Severity = "down"     // no (single) primary: service is down
)

// StepCode names one documented next step.
type StepCode string

// Steps of the manual's procedures.
const (
	StepStopPacemaker     StepCode = "stop-pacemaker"      // 4.5/4.6 on Node
	StepReport            StepCode = "report"              // report the fault, have it repaired (保守者へ報告)
	StepRebuild           StepCode = "rebuild"             // Node was primary: base backup or pg_rewind from Peer
	StepClearLock         StepCode = "clear-lock"          // pgrex lock clear on Node, after the rebuild
	StepStartStandby      StepCode = "start-standby"       // 4.3 on Node
	StepStartPrimary      StepCode = "start-primary"       // 4.2 on Node
	StepCleanup           StepCode = "cleanup"             // crm_resource --cleanup -r Resource -N Node
	StepClearConstraint   StepCode = "clear-constraint"    // crm_resource --clear -r Resource
	StepPowerOff          StepCode = "power-off"           // power Node off by hand
	StepConfirmFencing    StepCode = "confirm-fencing"     // stonith_admin --confirm=Node (meatclient in 9.1)
	StepPowerOn           StepCode = "power-on"            // boot Node
	StepCheckNodeLog      StepCode = "check-node-log"      // table 5-6 on Node's logs
	StepCheckWalsenderLog StepCode = "check-walsender-log" // 5.4.1 2.: "terminating walsender" in Node's server log
	StepCheckReplication  StepCode = "check-replication"   // why Node does not stream synchronously
	StepWait              StepCode = "wait"                // a transition is in progress
	StepFindLatest        StepCode = "find-latest"         // 5.6.2 STEP1: the node with LATEST data
	StepSplitBrain        StepCode = "stop-second-primary" // keep the primary with the committed data, stop the other
	StepCheckBothViews    StepCode = "check-both-views"    // 5.4.1 1.: compare crm_mon on both nodes
	StepConfirmStandby    StepCode = "confirm-standby"     // 6.3 (6): check the standby came up (4.3)
)

// Step is one next step; Node/Peer/Resource fill in the message.
type Step struct {
	Code     StepCode `json:"code"`
	Node     string   `json:"node,omitempty"`
	Peer     string   `json:"peer,omitempty"`
	Resource string   `json:"resource,omitempty"`
}

// NoteCode names an observation outside the main row.
type NoteCode string

// Notes.
const (
	NoteStonithDisabled NoteCode = "stonith-disabled" // PG-REX requires STONITH (manual 2.3 No.1)
	NoteMaintenance     NoteCode = "maintenance-mode"
	NoteUnmanaged       NoteCode = "resource-unmanaged"
	NoteLockPresent     NoteCode = "lock-present"       // PGSQL.lock on the local node, which is not primary
	NoteLockStart       NoteCode = "lock-refused-start" // a start failed on the lock (5.4.3 (1))
	NoteConstraint      NoteCode = "cli-constraint"     // a crm_resource --move/--ban constraint remains
	NoteFailCount       NoteCode = "fail-count"         // fail counts not explained by the row
	NoteNoPrimary       NoteCode = "no-primary"
	NoteVIPMisplaced    NoteCode = "vip-misplaced"
	NoteNodeStandbyMode NoteCode = "node-standby-mode"
	NoteDegradedRecord  NoteCode = "degraded-record" // a degraded result (190/191) crm_mon lists as failed
)

// Note is an extra observation.
type Note struct {
	Code     NoteCode `json:"code"`
	Node     string   `json:"node,omitempty"`
	Resource string   `json:"resource,omitempty"`
	Value    string   `json:"value,omitempty"`
}

// Diagnosis is Diagnose's answer.
type Diagnosis struct {
	Row      Row      `json:"row"`
	Ref      Ref      `json:"manual"`
	Severity Severity `json:"severity"`
	// Node is the node the fault is on; Peer the other one (the survivor).
	Node string `json:"node,omitempty"`
	Peer string `json:"peer,omitempty"`
	// Resource and Task identify the failed operation for failure rows.
	Resource string `json:"resource,omitempty"`
	Task     string `json:"task,omitempty"`
	Steps    []Step `json:"steps,omitempty"`
	Notes    []Note `json:"notes,omitempty"`
}

// Diagnose finds the manual's row for the model. It assumes, as the manual
// does (5.1), a single fault; the first rule that matches, in the order of
// rules, wins, and observations outside it become notes.
func Diagnose(m *Model) Diagnosis {
	d := diagnoseRow(m)
	d.Ref = Refs[d.Row]
	primaries := m.primaries()
	switch {
	case len(primaries) != 1:
		d.Severity = Down
	case d.Row == RowHealthy:
		d.Severity = OK
	default:
		d.Severity = Degraded
	}
	d.Notes = append(d.Notes, m.notes(d, primaries)...)
	return d
}

// primaries are the nodes where pgsql runs Promoted.
func (m *Model) primaries() []string {
	var out []string
	for _, n := range m.Nodes {
		if n.Role == attrd.RolePromoted {
			out = append(out, n.Name)
		}
	}
	return out
}

// primaryClaims are online nodes whose pgsql-status says PRI.
func (m *Model) primaryClaims() []string {
	var out []string
	for _, n := range m.Nodes {
		if n.Online && n.PgsqlStatus == attrd.StatusPrimary {
			out = append(out, n.Name)
		}
	}
	return out
}

// other returns the first node that is not name (PG-REX has two).
func (m *Model) other(name string) string {
	for _, n := range m.Nodes {
		if n.Name != name {
			return n.Name
		}
	}
	return ""
}

func (m *Model) pgsqlFailures(tasks ...string) []Failure {
	var out []Failure
	for _, f := range m.Failures {
		if f.Resource == m.Resource && slices.Contains(tasks, f.Task) {
			out = append(out, f)
		}
	}
	return out
}

// isCLI reports whether a constraint id was left by crm_resource
// --move/--ban (cli-ban-…, cli-prefer-…).
func isCLI(id string) bool { return strings.HasPrefix(id, "cli-") }

// startStandbySteps is how a node that failed rejoins: rebuilt first when
// it was primary (it holds PGSQL.lock and may have diverged), then started
// as standby (4.3).
func (m *Model) startStandbySteps(node, peer string) []Step {
	var steps []Step
	if n, ok := m.Node(node); ok && (n.WasPrimary || (n.Lock != nil && n.Lock.Exists)) {
		steps = append(steps, Step{Code: StepRebuild, Node: node, Peer: peer}, Step{Code: StepClearLock, Node: node})
	}
	return append(steps, Step{Code: StepStartStandby, Node: node, Peer: peer})
}

// rule is one row (or a group of rows a single fault splits into) of the
// manual's fault tables: match reports the diagnosis when the model is in
// it.
type rule struct {
	rows  []Row
	match func(*Model) (Diagnosis, bool)
}

// rules are tried in order; the first that matches wins. The order is the
// precedence: a fault before the consequences it causes (5.4.3), and the
// healthy row, which matches when nothing else does, last.
var rules = []rule{
	{[]Row{RowSplitBrain}, splitBrain},
	{[]Row{RowStopFailure}, stopFailure},
	{[]Row{RowUnclean}, uncleanNode},
	{[]Row{RowDisk}, diskFailure},
	{[]Row{RowRouter}, routerFailure},
	{[]Row{RowSLAN}, sLANFailure},
	{[]Row{RowICLAN}, icLANFailure},
	{[]Row{RowSwitchover}, switchover},
	{[]Row{RowVIPMaster, RowVIPRep}, vipFailure},
	{[]Row{RowResourceFailure}, resourceFailure},
	{[]Row{RowVIPSlave}, vipSlaveFailure},
	{[]Row{RowOtherFailure}, otherFailure},
	{[]Row{RowFenced, RowNodeStopped}, nodeOut},
	{[]Row{RowElection}, election},
	{[]Row{RowNoPrimary}, noPrimary},
	{[]Row{RowDiverged, RowDLAN, RowNotSync, RowStandbyStopped}, standbyFault},
	{[]Row{RowHealthy}, healthy},
}

func diagnoseRow(m *Model) Diagnosis {
	for _, r := range rules {
		if d, ok := r.match(m); ok {
			return d
		}
	}
	panic("status: the healthy rule always matches")
}

// primary is the one node where pgsql runs Promoted ("" for none or two).
func (m *Model) primary() string {
	if primaries := m.primaries(); len(primaries) == 1 {
		return primaries[0]
	}
	return ""
}

// splitBrain: two primaries.
func splitBrain(m *Model) (Diagnosis, bool) {
	primaries, claims := m.primaries(), m.primaryClaims()
	if len(primaries) <= 1 && len(claims) <= 1 {
		return Diagnosis{}, false
	}
	nodes := primaries
	if len(claims) > len(nodes) {
		nodes = claims
	}
	return Diagnosis{Row: RowSplitBrain, Node: nodes[0], Peer: nodes[1],
		Steps: []Step{{Code: StepSplitBrain, Node: nodes[0], Peer: nodes[1]}}}, true
}

// stopFailure, 5.10: a failed stop or demote (takes precedence over a
// monitor failure on the same node, 5.4.3).
func stopFailure(m *Model) (Diagnosis, bool) {
	fs := m.pgsqlFailures("stop", "demote")
	if len(fs) == 0 {
		return Diagnosis{}, false
	}
	f := fs[0]
	peer := m.other(f.Node)
	d := Diagnosis{Row: RowStopFailure, Node: f.Node, Peer: peer, Resource: f.Resource, Task: f.Task}
	if n, ok := m.Node(f.Node); ok && (n.Online || n.Unclean) {
		d.Steps = append(d.Steps, Step{Code: StepPowerOff, Node: f.Node}, Step{Code: StepConfirmFencing, Node: f.Node, Peer: peer})
	}
	d.Steps = append(d.Steps, Step{Code: StepPowerOn, Node: f.Node}, Step{Code: StepReport, Node: f.Node})
	d.Steps = append(d.Steps, m.startStandbySteps(f.Node, peer)...)
	return d, true
}

// uncleanNode, 5.4.1: a node is UNCLEAN: fencing failed or is pending.
func uncleanNode(m *Model) (Diagnosis, bool) {
	for _, n := range m.Nodes {
		if n.Unclean {
			peer := m.other(n.Name)
			d := Diagnosis{Row: RowUnclean, Node: n.Name, Peer: peer,
				Steps: []Step{{Code: StepPowerOff, Node: n.Name}, {Code: StepConfirmFencing, Node: n.Name, Peer: peer},
					{Code: StepPowerOn, Node: n.Name}, {Code: StepCheckNodeLog, Node: n.Name}, {Code: StepReport, Node: n.Name}}}
			d.Steps = append(d.Steps, m.startStandbySteps(n.Name, peer)...)
			return d, true
		}
	}
	return Diagnosis{}, false
}

// diskFailure, 5.14 / table 5-5: disk failure (diskd attribute ERROR, or
// the node's health red, which is how storage_mon reports it).
func diskFailure(m *Model) (Diagnosis, bool) {
	for _, n := range m.Nodes {
		if !n.Online || !m.diskFailed(&n) {
			continue
		}
		peer := m.other(n.Name)
		d := Diagnosis{Row: RowDisk, Node: n.Name, Peer: peer,
			Steps: []Step{{Code: StepPowerOff, Node: n.Name}, {Code: StepConfirmFencing, Node: n.Name, Peer: peer},
				{Code: StepReport, Node: n.Name}, {Code: StepPowerOn, Node: n.Name}}}
		d.Steps = append(d.Steps, m.startStandbySteps(n.Name, peer)...)
		return d, true
	}
	return Diagnosis{}, false
}

// pingLostNodes are the online nodes whose ping attribute is 0, and how
// many nodes are online.
func (m *Model) pingLostNodes() (lost []string, online int) {
	for _, n := range m.Nodes {
		if n.Online {
			online++
			if m.pingLost(&n) {
				lost = append(lost, n.Name)
			}
		}
	}
	return lost, online
}

// routerFailure, table 5-5: default_ping_set 0 on every node (two or
// more).
func routerFailure(m *Model) (Diagnosis, bool) {
	if lost, online := m.pingLostNodes(); len(lost) < 2 || len(lost) != online {
		return Diagnosis{}, false
	}
	latest, other := m.latestAndOther()
	d := Diagnosis{Row: RowRouter, Node: latest, Peer: other, Steps: []Step{{Code: StepFindLatest, Node: latest}}}
	if other != "" {
		d.Steps = append(d.Steps, Step{Code: StepStopPacemaker, Node: other})
	}
	d.Steps = append(d.Steps, Step{Code: StepStopPacemaker, Node: latest}, Step{Code: StepReport},
		Step{Code: StepStartPrimary, Node: latest})
	if other != "" {
		d.Steps = append(d.Steps, Step{Code: StepStartStandby, Node: other, Peer: latest})
	}
	return d, true
}

// sLANFailure, table 5-5: default_ping_set 0 on one node.
func sLANFailure(m *Model) (Diagnosis, bool) {
	lost, _ := m.pingLostNodes()
	if len(lost) != 1 {
		return Diagnosis{}, false
	}
	x := lost[0]
	peer := m.other(x)
	d := Diagnosis{Row: RowSLAN, Node: x, Peer: peer,
		Steps: []Step{{Code: StepStopPacemaker, Node: x}, {Code: StepReport, Node: x}}}
	d.Steps = append(d.Steps, m.startStandbySteps(x, peer)...)
	return d, true
}

// icLANFailure, table 5-5: an interconnect link attribute shows "dead".
func icLANFailure(m *Model) (Diagnosis, bool) {
	for _, n := range m.Nodes {
		for k, v := range n.Attrs {
			if strings.EqualFold(v, "dead") {
				return Diagnosis{Row: RowICLAN, Node: n.Name, Peer: m.other(n.Name), Resource: k,
					Steps: []Step{{Code: StepCheckBothViews}, {Code: StepReport, Node: n.Name}}}, true
			}
		}
	}
	return Diagnosis{}, false
}

// switchover, 6.3: a crm_resource --move/--ban constraint on pgsql or a
// VIP means a planned switchover is under way — unless the promote it
// asked for failed and no primary is left: that is the 5.9 fault
// (resourceFailure), and the constraint one of its notes.
func switchover(m *Model) (Diagnosis, bool) {
	if m.primary() == "" && len(m.pgsqlFailures("promote")) > 0 {
		return Diagnosis{}, false
	}
	for _, b := range m.Bans {
		if !isCLI(b.ID) || !m.isPgsqlOrVIP(b.Resource) {
			continue
		}
		old := b.Node
		peer := m.other(old)
		d := Diagnosis{Row: RowSwitchover, Node: old, Peer: peer, Resource: b.Resource,
			Steps: []Step{{Code: StepClearConstraint, Resource: b.Resource}}}
		if n, ok := m.Node(old); ok && n.Role != attrd.RolePromoted {
			d.Steps = append(d.Steps, Step{Code: StepRebuild, Node: old, Peer: peer}, Step{Code: StepClearLock, Node: old},
				Step{Code: StepCleanup, Node: old, Resource: m.cloneOrResource()},
				Step{Code: StepConfirmStandby, Node: old})
		}
		return d, true
	}
	return Diagnosis{}, false
}

// vipFailure, 5.11, 5.12: vip-master or vip-rep failed (the first
// failure of either). Checked before pgsql's own failures: the primary
// role then moves away, and the old primary's stop on demote makes its
// next pgsql monitor fail too — a consequence, not the fault. The old
// primary keeps PGSQL.lock and must be rebuilt.
func vipFailure(m *Model) (Diagnosis, bool) {
	for _, f := range m.Failures {
		var row Row
		switch f.Resource {
		case m.VIPPrimary:
			row = RowVIPMaster
		case m.VIPReplication:
			row = RowVIPRep
		default:
			continue
		}
		peer := m.other(f.Node)
		d := Diagnosis{Row: row, Node: f.Node, Peer: peer, Resource: f.Resource, Task: f.Task}
		if n, ok := m.Node(f.Node); ok && n.Online {
			d.Steps = append(d.Steps, Step{Code: StepStopPacemaker, Node: f.Node})
		}
		d.Steps = append(d.Steps, Step{Code: StepReport, Node: f.Node})
		d.Steps = append(d.Steps, m.startStandbySteps(f.Node, peer)...)
		return d, true
	}
	return Diagnosis{}, false
}

// resourceFailure, 5.9: start, promote or monitor of pgsql failed.
func resourceFailure(m *Model) (Diagnosis, bool) {
	fs := m.pgsqlFailures("start", "promote", "monitor")
	if len(fs) == 0 {
		return Diagnosis{}, false
	}
	primary := m.primary()
	f := fs[0]
	if pf := m.pgsqlFailures("promote"); primary == "" && len(pf) > 0 {
		// With no primary left, a failed promote is the fault; the old
		// primary's failed monitor after its stop on demote is a
		// consequence.
		f = pf[0]
	}
	peer := m.other(f.Node)
	d := Diagnosis{Row: RowResourceFailure, Node: f.Node, Peer: peer, Resource: f.Resource, Task: f.Task}
	if primary == "" {
		d.Steps = m.noPrimaryAfterFailure(f.Node)
		return d, true
	}
	if n, ok := m.Node(f.Node); ok && n.Online {
		d.Steps = append(d.Steps, Step{Code: StepStopPacemaker, Node: f.Node})
	}
	d.Steps = append(d.Steps, Step{Code: StepReport, Node: f.Node})
	d.Steps = append(d.Steps, m.startStandbySteps(f.Node, peer)...)
	return d, true
}

// vipSlaveFailure, 5.13: vip-slave failed.
func vipSlaveFailure(m *Model) (Diagnosis, bool) {
	for _, f := range m.Failures {
		if f.Resource == m.VIPStandby {
			return Diagnosis{Row: RowVIPSlave, Node: f.Node, Peer: m.other(f.Node), Resource: f.Resource, Task: f.Task,
				Steps: []Step{{Code: StepReport, Node: f.Node}, {Code: StepCleanup, Node: f.Node, Resource: f.Resource}}}, true
		}
	}
	return Diagnosis{}, false
}

// otherFailure: any other failed action.
func otherFailure(m *Model) (Diagnosis, bool) {
	if len(m.Failures) == 0 {
		return Diagnosis{}, false
	}
	f := m.Failures[0]
	return Diagnosis{Row: RowOtherFailure, Node: f.Node, Peer: m.other(f.Node), Resource: f.Resource, Task: f.Task,
		Steps: []Step{{Code: StepReport, Node: f.Node}, {Code: StepCleanup, Node: f.Node, Resource: f.Resource}}}, true
}

// nodeOut, 5.4.1: a node is out of the cluster — fenced, or Pacemaker
// stopped (the first node out decides which).
func nodeOut(m *Model) (Diagnosis, bool) {
	primary := m.primary()
	for _, n := range m.Nodes {
		if n.Online {
			continue
		}
		peer := m.other(n.Name)
		if m.fenced(n.Name) {
			d := Diagnosis{Row: RowFenced, Node: n.Name, Peer: peer,
				Steps: []Step{{Code: StepCheckNodeLog, Node: n.Name}, {Code: StepPowerOn, Node: n.Name}, {Code: StepReport, Node: n.Name}}}
			d.Steps = append(d.Steps, m.startStandbySteps(n.Name, primaryOr(primary, peer))...)
			return d, true
		}
		d := Diagnosis{Row: RowNodeStopped, Node: n.Name, Peer: peer}
		if primary == "" {
			latest, _ := m.latestAndOther()
			if latest != "" && latest != n.Name {
				d.Steps = append(d.Steps, Step{Code: StepFindLatest, Node: latest})
			}
		}
		d.Steps = append(d.Steps, m.startStandbySteps(n.Name, primaryOr(primary, peer))...)
		return d, true
	}
	return Diagnosis{}, false
}

// election: no primary, every node online, and a node shows the
// election's attributes (xlog-loc, tli): the agent is electing one.
func election(m *Model) (Diagnosis, bool) {
	if m.primary() != "" {
		return Diagnosis{}, false
	}
	for _, n := range m.Nodes {
		if n.XlogLoc != "" || n.XlogTLI != "" {
			return Diagnosis{Row: RowElection, Steps: []Step{{Code: StepWait}}}, true
		}
	}
	return Diagnosis{}, false
}

// noPrimary: no primary at all, every node online, no election.
func noPrimary(m *Model) (Diagnosis, bool) {
	if m.primary() != "" {
		return Diagnosis{}, false
	}
	latest, other := m.latestAndOther()
	d := Diagnosis{Row: RowNoPrimary, Node: latest, Peer: other, Steps: []Step{{Code: StepFindLatest, Node: latest}}}
	for _, n := range m.Nodes {
		if n.Name != latest {
			d.Steps = append(d.Steps, Step{Code: StepStopPacemaker, Node: n.Name})
		}
	}
	if latest != "" {
		d.Steps = append(d.Steps, Step{Code: StepStopPacemaker, Node: latest}, Step{Code: StepStartPrimary, Node: latest})
	}
	for _, n := range m.Nodes {
		if n.Name != latest {
			d.Steps = append(d.Steps, Step{Code: StepStartStandby, Node: n.Name, Peer: latest})
		}
	}
	return d, true
}

// standbyFault: a primary serves and another node is not its synchronous
// standby (the first such node decides the row).
func standbyFault(m *Model) (Diagnosis, bool) {
	primary := m.primary()
	for _, n := range m.Nodes {
		if n.Name == primary {
			continue
		}
		switch {
		case n.DataStatus == attrd.DataDiverged:
			// The standby proved its WAL left the primary's history
			// (docs/rejoin.md): it can never
			// stream again as it is; only a rebuild brings it back.
			return Diagnosis{Row: RowDiverged, Node: n.Name, Peer: primary,
				Steps: []Step{{Code: StepStopPacemaker, Node: n.Name}, {Code: StepRebuild, Node: n.Name, Peer: primary},
					{Code: StepStartStandby, Node: n.Name, Peer: primary}}}, true
		case n.Role == attrd.RoleUnpromoted && n.DataStatus == attrd.DataDisconnect && n.PgsqlStatus == attrd.StatusAlone:
			// 5.8 / table 5-5: HS:alone / DISCONNECT / -INFINITY. A
			// standby that has just started shows the same for a
			// few monitor intervals, until the primary sees it.
			return Diagnosis{Row: RowDLAN, Node: n.Name, Peer: primary,
				Steps: []Step{{Code: StepCheckWalsenderLog, Node: primary, Peer: n.Name}, {Code: StepStopPacemaker, Node: n.Name},
					{Code: StepReport, Node: n.Name}, {Code: StepStartStandby, Node: n.Name, Peer: primary}}}, true
		case n.Role == attrd.RoleUnpromoted && (n.PgsqlStatus != attrd.StatusSync || n.DataStatus != attrd.DataSync):
			return Diagnosis{Row: RowNotSync, Node: n.Name, Peer: primary,
				Steps: []Step{{Code: StepWait}, {Code: StepCheckReplication, Node: n.Name, Peer: primary}}}, true
		case n.Role != attrd.RoleUnpromoted:
			d := Diagnosis{Row: RowStandbyStopped, Node: n.Name, Peer: primary, Steps: []Step{{Code: StepStopPacemaker, Node: n.Name}}}
			d.Steps = append(d.Steps, m.startStandbySteps(n.Name, primary)...)
			return d, true
		}
	}
	return Diagnosis{}, false
}

// healthy: the normal state, when nothing else matches.
func healthy(m *Model) (Diagnosis, bool) {
	primary := m.primary()
	return Diagnosis{Row: RowHealthy, Node: primary, Peer: m.other(primary)}, true
}

func primaryOr(primary, peer string) string {
	if primary != "" {
		return primary
	}
	return peer
}

func (m *Model) cloneOrResource() string {
	if m.Clone != "" {
		return m.Clone
	}
	return m.Resource
}

func (m *Model) isPgsqlOrVIP(rsc string) bool {
	rsc = attrd.StripInstance(rsc)
	return rsc == m.Resource || (m.Clone != "" && rsc == m.Clone) ||
		rsc == m.VIPPrimary || rsc == m.VIPReplication || rsc == m.VIPStandby
}

func (m *Model) diskFailed(n *Node) bool {
	if strings.EqualFold(n.Health, "red") {
		return true
	}
	for _, a := range m.DiskAttributes {
		if strings.EqualFold(n.Attrs[a], "ERROR") {
			return true
		}
	}
	return false
}

// pingLost: the ping attribute is present and not positive (PG-REX's
// default_ping_set is 100 when the router answers, 0 when not).
func (m *Model) pingLost(n *Node) bool {
	v, ok := n.Attrs[m.PingAttribute]
	if !ok {
		return false
	}
	i, err := strconv.Atoi(strings.TrimSpace(v))
	return err != nil || i <= 0
}

// fenced reports whether the fencing history has a successful fencing of
// node.
func (m *Model) fenced(node string) bool {
	for _, e := range m.Fencing {
		if e.Target == node && e.Status == "success" {
			return true
		}
	}
	return false
}

// latestAndOther returns the node whose data-status is LATEST (5.6.2
// STEP1: the node with the newest data) and another node.
func (m *Model) latestAndOther() (latest, other string) {
	for _, n := range m.Nodes {
		if n.DataStatus == attrd.DataLatest && latest == "" {
			latest = n.Name
		}
	}
	for _, n := range m.Nodes {
		if n.Name != latest {
			other = n.Name
			break
		}
	}
	return latest, other
}

// noPrimaryAfterFailure are the steps when a pgsql failure left no primary
// (a promote that failed at a switchover or a failover): 5.9.2's stop and
// report, then the primary start (4.2) of the node the data-status names
// — LATEST, else the synchronous standby — and the other's standby start
// (4.3), rebuilt if it was primary.
func (m *Model) noPrimaryAfterFailure(failed string) []Step {
	var steps []Step
	for _, b := range m.Bans {
		if isCLI(b.ID) && m.isPgsqlOrVIP(b.Resource) {
			steps = append(steps, Step{Code: StepClearConstraint, Resource: b.Resource})
			break
		}
	}
	for _, n := range m.Nodes {
		if n.Online {
			steps = append(steps, Step{Code: StepStopPacemaker, Node: n.Name})
		}
	}
	steps = append(steps, Step{Code: StepReport, Node: failed})
	start, _ := m.latestAndOther()
	if start == "" {
		for _, n := range m.Nodes {
			if n.DataStatus == attrd.DataSync {
				start = n.Name
				break
			}
		}
	}
	if start == "" {
		return append(steps, Step{Code: StepFindLatest})
	}
	steps = append(steps, Step{Code: StepStartPrimary, Node: start})
	for _, n := range m.Nodes {
		if n.Name != start {
			steps = append(steps, m.startStandbySteps(n.Name, start)...)
		}
	}
	return steps
}

// notes collects observations outside the row.
func (m *Model) notes(d Diagnosis, primaries []string) []Note {
	var out []Note
	if m.StonithEnabled != nil && !*m.StonithEnabled {
		out = append(out, Note{Code: NoteStonithDisabled})
	}
	if m.MaintenanceMode {
		out = append(out, Note{Code: NoteMaintenance})
	}
	if m.ResourceUnmanaged {
		out = append(out, Note{Code: NoteUnmanaged, Resource: m.Resource})
	}
	if len(primaries) == 0 && d.Row != RowNoPrimary && d.Row != RowElection && d.Row != RowRouter {
		out = append(out, Note{Code: NoteNoPrimary})
	}
	for _, n := range m.Nodes {
		if n.Lock != nil && n.Lock.Exists && n.Role != attrd.RolePromoted {
			out = append(out, Note{Code: NoteLockPresent, Node: n.Name, Value: n.Lock.Path})
		}
		if n.Standby {
			out = append(out, Note{Code: NoteNodeStandbyMode, Node: n.Name})
		}
		for _, fc := range n.FailCounts {
			if n.Name == d.Node && (fc.Resource == d.Resource || fc.Resource == m.Resource) {
				continue // the row's steps deal with it
			}
			out = append(out, Note{Code: NoteFailCount, Node: n.Name, Resource: fc.Resource, Value: fc.Count})
		}
	}
	for _, f := range m.Degraded {
		out = append(out, Note{Code: NoteDegradedRecord, Node: f.Node, Resource: f.Resource, Value: f.LastChange})
	}
	for _, f := range m.Failures {
		if f.Resource == m.Resource && f.Task == "start" && strings.Contains(f.ExitReason, lockNameInReason) {
			out = append(out, Note{Code: NoteLockStart, Node: f.Node, Value: f.ExitReason})
		}
	}
	for _, b := range m.Bans {
		if isCLI(b.ID) && !(d.Row == RowSwitchover && b.Resource == d.Resource) {
			out = append(out, Note{Code: NoteConstraint, Node: b.Node, Resource: b.Resource, Value: b.ID})
		}
	}
	if len(primaries) == 1 {
		p, _ := m.Node(primaries[0])
		for _, vip := range []string{m.VIPPrimary, m.VIPReplication} {
			if m.vipExists(vip) && !slices.Contains(p.VIPs, vip) {
				out = append(out, Note{Code: NoteVIPMisplaced, Node: p.Name, Resource: vip})
			}
		}
	}
	return out
}

// lockNameInReason is how the agent's start refusal names the lock.
const lockNameInReason = "PGSQL.lock"

func (m *Model) vipExists(id string) bool {
	for _, r := range m.Resources {
		if r.ID == id {
			return true
		}
	}
	return false
}
