// SPDX-License-Identifier: Apache-2.0

package attrd_test

import (
	"errors"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/test/fixtures"
)

// wantNode is the golden view of one node: attrs nil means "attributes
// unknown" (an offline node).
type wantNode struct {
	online bool
	attrs  map[string]string
}

// Attribute sets that recur in the lab captures.
var (
	priA0 = map[string]string{"master-pgsql": "1000", "pgsql-data-status": "LATEST",
		"pgsql-master-baseline": "00000000030000A0", "pgsql-status": "PRI"}
	syncStandby = map[string]string{"master-pgsql": "100", "pgsql-data-status": "STREAMING|SYNC",
		"pgsql-status": "HS:sync"}
	stoppedDisconnected = map[string]string{"master-pgsql": "-INFINITY", "pgsql-data-status": "DISCONNECT",
		"pgsql-status": "STOP"}
	pri180 = map[string]string{"master-pgsql": "1000", "pgsql-data-status": "LATEST",
		"pgsql-master-baseline": "0000000003000180", "pgsql-status": "PRI"}
)

func TestParseCrmMonFixtures(t *testing.T) {
	tests := []struct {
		file     string
		nodes    map[string]wantNode
		promoted []string                // nodes running pgsql as Promoted
		roles    map[string]attrd.Role   // pgsql's role per node
		other    map[string][]attrd.Role // other resources: roles in order
	}{
		{
			file:     "crm_mon-healthy.xml",
			nodes:    map[string]wantNode{"node1": {true, priA0}, "node2": {true, syncStandby}},
			promoted: []string{"node1"},
			roles:    map[string]attrd.Role{"node1": attrd.RolePromoted, "node2": attrd.RoleUnpromoted},
			other:    map[string][]attrd.Role{"vip-rep": {attrd.RoleStarted}},
		},
		{
			file:     "crm_mon-healthy-fencing.xml",
			nodes:    map[string]wantNode{"node1": {true, priA0}, "node2": {true, syncStandby}},
			promoted: []string{"node1"},
			roles:    map[string]attrd.Role{"node1": attrd.RolePromoted, "node2": attrd.RoleUnpromoted},
			other: map[string][]attrd.Role{"vip-rep": {attrd.RoleStarted},
				"fence-node1": {attrd.RoleStarted}, "fence-node2": {attrd.RoleStarted}},
		},
		{
			file:     "crm_mon-after-kill9-primary.xml",
			nodes:    map[string]wantNode{"node1": {true, stoppedDisconnected}, "node2": {true, pri180}},
			promoted: []string{"node2"},
			roles:    map[string]attrd.Role{"node1": attrd.RoleStopped, "node2": attrd.RolePromoted},
			// Pacemaker 2.1.5 really printed role="Starting" here.
			other: map[string][]attrd.Role{"vip-rep": {"Starting"}},
		},
		{
			file: "crm_mon-replication-link-cut.xml",
			nodes: map[string]wantNode{"node1": {true, priA0}, "node2": {true, map[string]string{
				"master-pgsql": "-INFINITY", "pgsql-data-status": "DISCONNECT", "pgsql-status": "HS:alone"}}},
			promoted: []string{"node1"},
			roles:    map[string]attrd.Role{"node1": attrd.RolePromoted, "node2": attrd.RoleUnpromoted},
		},
		{
			file:     "crm_mon-switchover-ban.xml",
			nodes:    map[string]wantNode{"node1": {true, stoppedDisconnected}, "node2": {true, pri180}},
			promoted: []string{"node2"},
			roles:    map[string]attrd.Role{"node1": attrd.RoleStopped, "node2": attrd.RolePromoted},
		},
		{
			file:     "crm_mon-switchover-after-clear.xml",
			nodes:    map[string]wantNode{"node1": {true, stoppedDisconnected}, "node2": {true, pri180}},
			promoted: []string{"node2"},
			roles:    map[string]attrd.Role{"node1": attrd.RoleStopped, "node2": attrd.RolePromoted},
		},
		{
			file: "crm_mon-after-fencing.xml",
			nodes: map[string]wantNode{"node1": {false, nil}, "node2": {true, map[string]string{
				"master-pgsql": "1000", "pgsql-data-status": "LATEST",
				"pgsql-master-baseline": "00000000030001B8", "pgsql-status": "PRI"}}},
			promoted: []string{"node2"},
			roles:    map[string]attrd.Role{"node1": attrd.RoleStopped, "node2": attrd.RolePromoted},
			other: map[string][]attrd.Role{"vip-rep": {attrd.RoleStarted},
				"fence-node1": {attrd.RoleStarted}, "fence-node2": {attrd.RoleStopped}},
		},
		{
			// The forever DISCONNECT of node2 is in the CIB but not here.
			file:     "snapshot-node2-offline.xml",
			nodes:    map[string]wantNode{"node1": {true, priA0}, "node2": {false, nil}},
			promoted: []string{"node1"},
			roles:    map[string]attrd.Role{"node1": attrd.RolePromoted, "node2": attrd.RoleStopped},
		},
		{
			// node1's forever pgsql-status=FOREVER-VALUE loses to the
			// reboot PRI; fail-count/last-failure/standby/shutdown/
			// terminate are hidden; empty values are kept.
			file: "snapshot-hidden-attrs.xml",
			nodes: map[string]wantNode{"node1": {true, priA0}, "node2": {true, map[string]string{
				"master-pgsql": "100", "pgsql-data-status": "STREAMING|SYNC", "pgsql-status": "HS:sync",
				"pgsql-receiver-status": "normal (master)", "pgsql-xlog-loc": ""}}},
			promoted: []string{"node1"},
			roles:    map[string]attrd.Role{"node1": attrd.RolePromoted, "node2": attrd.RoleUnpromoted},
		},
		{
			file: "snapshot-pacemaker11.xml",
			nodes: map[string]wantNode{
				"node1": {true, map[string]string{"default_ping_set": "100", "master-pgsql": "1000",
					"pgsql-data-status": "LATEST", "pgsql-master-baseline": "0000000005000098", "pgsql-status": "PRI"}},
				"node2": {true, map[string]string{"default_ping_set": "100", "master-pgsql": "100",
					"pgsql-data-status": "STREAMING|SYNC", "pgsql-status": "HS:sync"}},
				"node3": {false, nil},
			},
			promoted: []string{"node1"},
			roles: map[string]attrd.Role{"node1": attrd.RolePromoted, "node2": attrd.RoleUnpromoted,
				"node3": attrd.RoleStopped},
			other: map[string][]attrd.Role{"ping": {attrd.RoleStarted, attrd.RoleStarted}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c, err := attrd.ParseCrmMon(fixtures.Read(t, tt.file))
			if err != nil {
				t.Fatalf("ParseCrmMon: %v", err)
			}
			gotNames := c.NodeNames()
			if want := slices.Sorted(maps.Keys(tt.nodes)); !slices.Equal(slices.Sorted(slices.Values(gotNames)), want) {
				t.Errorf("nodes = %v, want %v", gotNames, want)
			}
			for name, want := range tt.nodes {
				if got := c.Online(name); got != want.online {
					t.Errorf("Online(%s) = %v, want %v", name, got, want.online)
				}
				if got := c.AttrKnown(name); got != (want.attrs != nil) {
					t.Errorf("AttrKnown(%s) = %v, want %v", name, got, want.attrs != nil)
				}
				n, _ := c.Node(name)
				if want.attrs != nil && !maps.Equal(n.Attrs, want.attrs) {
					t.Errorf("attributes of %s:\n got %v\nwant %v", name, n.Attrs, want.attrs)
				}
				if want.attrs == nil && len(n.Attrs) != 0 {
					t.Errorf("offline %s has attributes %v", name, n.Attrs)
				}
				for k, v := range want.attrs {
					if got, ok := c.Attr(name, k); !ok || got != v {
						t.Errorf("Attr(%s, %s) = %q, %v; want %q", name, k, got, ok, v)
					}
				}
				if score, ok := c.PromotionScore("pgsql", name); ok != (want.attrs["master-pgsql"] != "") || score != want.attrs["master-pgsql"] {
					t.Errorf("PromotionScore(pgsql, %s) = %q, %v", name, score, ok)
				}
			}
			if got := c.PromotedNodes("pgsql"); !slices.Equal(got, tt.promoted) {
				t.Errorf("PromotedNodes(pgsql) = %v, want %v", got, tt.promoted)
			}
			// The clone id and the instance-suffixed id name the same thing.
			for _, rsc := range []string{"pgsql", "pgsql:0", "msPostgresql"} {
				got, ok := c.PromotedNode(rsc)
				if !ok || got != tt.promoted[0] {
					t.Errorf("PromotedNode(%s) = %q, %v; want %q", rsc, got, ok, tt.promoted[0])
				}
			}
			for node, want := range tt.roles {
				if got := c.RoleOn("pgsql", node); got != want {
					t.Errorf("RoleOn(pgsql, %s) = %q, want %q", node, got, want)
				}
			}
			for rsc, want := range tt.other {
				var got []attrd.Role
				for _, in := range c.Instances {
					if in.Resource == rsc {
						got = append(got, in.Role)
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("roles of %s = %v, want %v", rsc, got, want)
				}
			}
			if _, ok := c.PromotedNode("vip-rep"); ok {
				t.Errorf("a primitive without roles reported as promoted")
			}
		})
	}
}

func TestParseCrmMonDetails(t *testing.T) {
	c, err := attrd.ParseCrmMon(fixtures.Read(t, "snapshot-pacemaker11.xml"))
	if err != nil {
		t.Fatal(err)
	}
	n3, _ := c.Node("node3")
	if n3.ID != "3" || !n3.Unclean || n3.Type != "member" {
		t.Errorf("node3 = %+v, want id 3, unclean member", n3)
	}
	var pings []attrd.Instance
	for _, in := range c.Instances {
		if in.Resource == "ping" {
			pings = append(pings, in)
		}
	}
	if len(pings) != 2 || pings[0].Clone != "clnPing" || !pings[1].Failed || pings[1].Managed || !pings[0].Managed {
		t.Errorf("ping instances in a group in a clone = %+v", pings)
	}
	for _, in := range c.Instances {
		if in.Resource == "pgsql" && (in.Clone != "msPostgresql" || in.Agent != "ocf::heartbeat:pgsql" || !in.Active) {
			t.Errorf("pgsql instance = %+v", in)
		}
	}

	h, err := attrd.ParseCrmMon(fixtures.Read(t, "snapshot-hidden-attrs.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if n2, _ := h.Node("node2"); !n2.Standby {
		t.Errorf("node2 with standby=1 not reported standby: %+v", n2)
	}
	if got := h.OnlineNodes(); !slices.Equal(got, []string{"node1", "node2"}) {
		t.Errorf("OnlineNodes = %v", got)
	}
	off, _ := attrd.ParseCrmMon(fixtures.Read(t, "crm_mon-after-fencing.xml"))
	if got := off.OnlineNodes(); !slices.Equal(got, []string{"node2"}) {
		t.Errorf("OnlineNodes after fencing = %v", got)
	}
	if !off.HasNode("node1") || off.HasNode("node9") || off.Online("node9") {
		t.Errorf("HasNode/Online wrong for a fenced or unknown node")
	}
}

// The sections the tools read besides nodes, resources and attributes:
// the summary, node pending/health, an instance's pending operation and
// group, the node history, failures, bans and fencing, from the captures
// (Pacemaker 2.1.5 and 1.1).
func TestParseCrmMonSections(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		file    string
		summary attrd.Summary
		check   func(t *testing.T, c *attrd.Cluster)
	}{
		{file: "crm_mon-switchover-ban.xml", summary: attrd.Summary{DC: "node1", StonithEnabled: &no},
			check: func(t *testing.T, c *attrd.Cluster) {
				want := []attrd.Failure{{OpKey: "pgsql_monitor_4000", Resource: "pgsql", Task: "monitor", Interval: "4000",
					Node: "node1", ExitCode: 7, ExitStatus: "not running", Status: "complete", LastChange: "2026-11-22 04:50:41Z"}}
				if !slices.Equal(c.Failures, want) {
					t.Errorf("Failures = %+v, want %+v", c.Failures, want)
				}
				if len(c.Bans) != 1 || c.Bans[0] != (attrd.Ban{ID: "cli-ban-msPostgresql-on-node1", Resource: "msPostgresql",
					Node: "node1", Weight: "-1000000", PromotedOnly: true}) {
					t.Errorf("Bans = %+v", c.Bans)
				}
				// pgsql stopped on node1 with a never-completed monitor.
				if in := instance(c, "pgsql", 0); in.Pending != "Monitoring" || in.Active {
					t.Errorf("pgsql instance = %+v, want a pending Monitoring, inactive", in)
				}
				h := history(c, "node1", "pgsql")
				if h.FailCount != "1" || h.LastFailure != "Sun Nov 22 04:50:41 2026" || h.MigrationThreshold != "1" || len(h.Ops) == 0 {
					t.Errorf("node1's pgsql history = %+v", h)
				}
			}},
		{file: "crm_mon-after-fencing.xml", summary: attrd.Summary{DC: "node2", StonithEnabled: &yes},
			check: func(t *testing.T, c *attrd.Cluster) {
				want := []attrd.FenceEvent{{Action: "reboot", Target: "node1", Status: "success", Origin: "node2",
					Completed: "2026-11-22 04:51:40Z"}}
				if !slices.Equal(c.Fencing, want) {
					t.Errorf("Fencing = %+v, want %+v", c.Fencing, want)
				}
				if n, _ := c.Node("node2"); n.Health != "green" || n.Pending {
					t.Errorf("node2 = %+v, want green, not pending", n)
				}
			}},
		{file: "crm_mon-pacemaker-stopped-on-node2.xml", summary: attrd.Summary{DC: "node1", StonithEnabled: &yes},
			check: func(t *testing.T, c *attrd.Cluster) {
				if n, _ := c.Node("node2"); !n.Pending || !n.Standby {
					t.Errorf("node2 = %+v, want pending and standby", n)
				}
				if in := instance(c, "vip-master", 0); in.Group != "master-group" || in.Clone != "" {
					t.Errorf("vip-master = %+v, want in master-group", in)
				}
			}},
		{file: "pcmk11-kill9-primary.xml", summary: attrd.Summary{DC: "pg-rex01", StonithEnabled: &yes},
			check: func(t *testing.T, c *attrd.Cluster) {
				h := history(c, "pg-rex02", "pgsql")
				if h.ID != "pgsql:1" || !slices.Equal(h.Ops, []attrd.Operation{{Task: "start", RC: "0"}, {Task: "promote", RC: "0"}}) {
					t.Errorf("pg-rex02's pgsql history = %+v", h)
				}
				if len(c.Failures) != 1 || c.Failures[0].Resource != "pgsql" || c.Failures[0].Node != "pg-rex01" {
					t.Errorf("Failures = %+v", c.Failures)
				}
				if in := instance(c, "vip-master", 0); in.Group != "master-group" {
					t.Errorf("vip-master = %+v, want in master-group", in)
				}
			}},
		{file: "pgrex-maintenance.xml", summary: attrd.Summary{DC: "node1", StonithEnabled: &yes, MaintenanceMode: true}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c, err := attrd.ParseCrmMon(fixtures.Read(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got := c.Summary
			if got.DC != tt.summary.DC || got.MaintenanceMode != tt.summary.MaintenanceMode ||
				(got.StonithEnabled == nil) != (tt.summary.StonithEnabled == nil) ||
				(got.StonithEnabled != nil && *got.StonithEnabled != *tt.summary.StonithEnabled) {
				t.Errorf("Summary = %+v, want %+v", got, tt.summary)
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
	// The agent's snapshot asks for nodes, resources and attributes only.
	c, err := attrd.ParseCrmMon(fixtures.Read(t, "snapshot-hidden-attrs.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Summary != (attrd.Summary{}) || c.History != nil || c.Failures != nil || c.Bans != nil || c.Fencing != nil {
		t.Errorf("a snapshot without the other sections has some: %+v", c)
	}
}

// instance returns the i-th instance of rsc.
func instance(c *attrd.Cluster, rsc string, i int) attrd.Instance {
	for _, in := range c.Instances {
		if in.Resource == rsc {
			if i == 0 {
				return in
			}
			i--
		}
	}
	return attrd.Instance{}
}

// history returns rsc's history on node.
func history(c *attrd.Cluster, node, rsc string) attrd.ResourceHistory {
	for _, h := range c.History {
		if h.Node != node {
			continue
		}
		for _, r := range h.Resources {
			if r.Resource == rsc {
				return r
			}
		}
	}
	return attrd.ResourceHistory{}
}

func TestIsTrue(t *testing.T) {
	for in, want := range map[string]bool{"true": true, "TRUE": true, "yes": true, "1": true, "on": true,
		"false": false, "0": false, "": false, "no": false, "y": false} {
		if got := attrd.IsTrue(in); got != want {
			t.Errorf("IsTrue(%q) = %v", in, got)
		}
	}
}

// A nil *Cluster (a snapshot that failed) answers "nothing known" rather
// than panicking.
func TestNilCluster(t *testing.T) {
	var c *attrd.Cluster
	if c.HasNode("a") || c.Online("a") || c.AttrKnown("a") || c.NodeNames() != nil || c.OnlineNodes() != nil ||
		c.PromotedNodes("r") != nil || c.RoleOn("r", "a") != attrd.RoleStopped {
		t.Error("nil Cluster reported something")
	}
	if _, ok := c.PromotedNode("r"); ok {
		t.Error("nil Cluster has a promoted node")
	}
	if _, ok := c.Attr("a", "b"); ok {
		t.Error("nil Cluster has an attribute")
	}
}

func TestParseCrmMonErrors(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		noStatus bool   // must wrap ErrNoStatus
		contains string // the error says why
	}{
		{name: "not connected (real)", in: string(fixtures.Read(t, "snapshot-not-connected.xml")), noStatus: true,
			contains: "crm_mon reported status 102 (Not connected): error: Could not connect to launcher: Connection refused"},
		{name: "no CIB, exit 0 (real)", in: string(fixtures.Read(t, "snapshot-no-cib.xml")), noStatus: true,
			contains: "no <nodes> section: Could not connect to the CIB"},
		{name: "empty", in: "", noStatus: true, contains: "parsing crm_mon XML"},
		{name: "truncated", in: `<pacemaker-result><nodes><node name="a" online="true"/>`, contains: "parsing crm_mon XML"},
		{name: "other XML", in: `<cib><configuration/></cib>`, noStatus: true, contains: "root element is <cib>"},
		{name: "not XML", in: "Connection to cluster failed", noStatus: true, contains: "empty document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := attrd.ParseCrmMon([]byte(tt.in))
			if err == nil {
				t.Fatalf("ParseCrmMon succeeded: %+v", c)
			}
			if tt.noStatus != errors.Is(err, attrd.ErrNoStatus) {
				t.Errorf("errors.Is(ErrNoStatus) = %v for %v", !tt.noStatus, err)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("error %q does not contain %q", err, tt.contains)
			}
		})
	}
}

func TestParseRole(t *testing.T) {
	for in, want := range map[string]attrd.Role{
		"Promoted": attrd.RolePromoted, "Master": attrd.RolePromoted, "master": attrd.RolePromoted,
		"Unpromoted": attrd.RoleUnpromoted, "Slave": attrd.RoleUnpromoted,
		"Started": attrd.RoleStarted, "Stopped": attrd.RoleStopped, "": attrd.RoleStopped,
		"Migrating": "Migrating",
	} {
		if got := attrd.ParseRole(in); got != want {
			t.Errorf("ParseRole(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStripInstance(t *testing.T) {
	for in, want := range map[string]string{
		"pgsql": "pgsql", "pgsql:0": "pgsql", "pgsql:12": "pgsql", "a:b": "a:b", "pgsql:": "pgsql:", "": "",
	} {
		if got := attrd.StripInstance(in); got != want {
			t.Errorf("StripInstance(%q) = %q, want %q", in, got, want)
		}
	}
	if got := attrd.PromotionScoreName("pgsql:1"); got != "master-pgsql" {
		t.Errorf("PromotionScoreName = %q", got)
	}
}

// FuzzParseCrmMon checks that no input makes the parser panic, that every
// output it refuses is worth another read (Transient: crm_mon printing no
// usable status is a passing condition), and that whatever it accepts is
// self-consistent: the helpers agree with the model, and a node whose
// attributes are unknown reports none.
func FuzzParseCrmMon(f *testing.F) {
	for _, file := range fixtures.Glob(f, "pacemaker-2.1.5/*.xml", "handmade/snapshot-*.xml") {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<pacemaker-result><nodes><node name="a" online="true"/></nodes><resources><clone id="c"><group id="g"><resource id="r:0" role="Master"><node name="a"/></resource></group></clone></resources></pacemaker-result>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := attrd.ParseCrmMon(b)
		if err != nil {
			if c != nil {
				t.Fatalf("error %v with a non-nil cluster", err)
			}
			if !attrd.Transient(err) {
				t.Fatalf("refused crm_mon output is not retried: %v", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, n := range c.Nodes {
			if n.Name == "" || seen[n.Name] {
				t.Fatalf("empty or duplicate node name %q", n.Name)
			}
			seen[n.Name] = true
			if c.Online(n.Name) != n.Online || c.AttrKnown(n.Name) != n.AttrsKnown {
				t.Fatalf("helpers disagree with node %+v", n)
			}
			if !n.AttrsKnown && len(n.Attrs) != 0 {
				t.Fatalf("node %q has attributes but AttrsKnown is false", n.Name)
			}
		}
		for _, in := range c.Instances {
			if in.Resource != attrd.StripInstance(in.ID) {
				t.Fatalf("instance %+v: Resource is not the stripped ID", in)
			}
		}
		for _, p := range c.PromotedNodes("r") {
			if c.RoleOn("r", p) != attrd.RolePromoted {
				t.Fatalf("PromotedNodes says %q but RoleOn disagrees", p)
			}
		}
		// The history names resources as the instances do.
		for _, h := range c.History {
			for _, r := range h.Resources {
				if r.Resource != attrd.StripInstance(r.ID) {
					t.Fatalf("history %+v: Resource is not the stripped ID", r)
				}
			}
		}
	})
}

// TestParseCrmMonFencingEnabled: crm_mon of Pacemaker 3.0.2 prints
// fencing-enabled beside the deprecated stonith-enabled; the new name wins.
func TestParseCrmMonFencingEnabled(t *testing.T) {
	for _, tt := range []struct {
		name, attrs string
		want        *bool
	}{
		{"2.1: stonith-enabled only", `stonith-enabled="false"`, ptr(false)},
		{"3.0.2: both, fencing-enabled wins", `stonith-enabled="true" fencing-enabled="false"`, ptr(false)},
		{"fencing-enabled only", `fencing-enabled="true"`, ptr(true)},
		{"neither", `maintenance-mode="false"`, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			doc := `<pacemaker-result><summary><cluster_options ` + tt.attrs + `/></summary><nodes><node name="node1" id="1" online="true"/></nodes></pacemaker-result>`
			c, err := attrd.ParseCrmMon([]byte(doc))
			if err != nil {
				t.Fatalf("ParseCrmMon: %v", err)
			}
			got := c.Summary.StonithEnabled
			if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
				t.Errorf("StonithEnabled = %v, want %v", got, tt.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
