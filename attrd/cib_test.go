// SPDX-License-Identifier: Apache-2.0

package attrd_test

import (
	"errors"
	"maps"
	"os"
	"strings"
	"testing"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/test/fixtures"
)

// TestParseCIBMatchesCrmMon: for every pair of captures taken from the
// same CIB version (test/fixtures/README.md), the CIB alone gives the nodes,
// their online state and, where crm_mon prints them, their attributes
// exactly as crm_mon does.
func TestParseCIBMatchesCrmMon(t *testing.T) {
	for _, tt := range []struct {
		cib, crmMon string
		online      map[string]bool
	}{
		{"pair-healthy-cib.xml", "pair-healthy-crm_mon.xml", map[string]bool{"node1": true, "node2": true}},
		// Shutting down: the shutdown attribute set, the controller
		// still running.
		{"pair-node2-shutting-down-cib.xml", "pair-node2-shutting-down-crm_mon.xml", map[string]bool{"node1": true, "node2": true}},
		// Pacemaker stopped, Corosync running: still a member
		// (crm_mon: online, pending, standby).
		{"pair-node2-pacemaker-stopped-cib.xml", "pair-node2-pacemaker-stopped-crm_mon.xml", map[string]bool{"node1": true, "node2": true}},
		{"pair-node2-fenced-cib.xml", "pair-node2-fenced-crm_mon.xml", map[string]bool{"node1": true, "node2": false}},
		{"healthy-cib.xml", "crm_mon-healthy.xml", map[string]bool{"node1": true, "node2": true}},
	} {
		t.Run(tt.cib, func(t *testing.T) {
			fromCIB, err := attrd.ParseCIB(fixtures.Read(t, tt.cib))
			mustNil(t, err)
			fromMon, err := attrd.ParseCrmMon(fixtures.Read(t, tt.crmMon))
			mustNil(t, err)
			if !fromCIB.MembershipOnly {
				t.Error("a CIB snapshot claims to know roles")
			}
			if got, want := strings.Join(fromCIB.NodeNames(), ","), strings.Join(fromMon.NodeNames(), ","); got != want {
				t.Fatalf("nodes %s, crm_mon %s", got, want)
			}
			for _, want := range fromMon.Nodes {
				got, _ := fromCIB.Node(want.Name)
				if got.Online != want.Online || got.Online != tt.online[want.Name] {
					t.Errorf("%s: online %v from the CIB, %v from crm_mon, want %v", want.Name, got.Online, want.Online, tt.online[want.Name])
				}
				if got.ID != want.ID {
					t.Errorf("%s: id %q from the CIB, %q from crm_mon", want.Name, got.ID, want.ID)
				}
				if !got.AttrsKnown {
					t.Errorf("%s: the CIB holds every attribute, but they are marked unknown", want.Name)
				}
				if want.AttrsKnown && !maps.Equal(got.Attrs, want.Attrs) {
					t.Errorf("%s: attributes\n from the CIB %v\n from crm_mon %v", want.Name, got.Attrs, want.Attrs)
				}
			}
			if fromMon.Summary.DC != "" && fromCIB.Summary.DC != fromMon.Summary.DC {
				t.Errorf("DC %q from the CIB, %q from crm_mon", fromCIB.Summary.DC, fromMon.Summary.DC)
			}
		})
	}
}

// TestParseCIBFencedNodeAttrs: an offline node's forever attributes, which
// crm_mon does not print, come with the CIB snapshot (no extra read).
func TestParseCIBFencedNodeAttrs(t *testing.T) {
	c, err := attrd.ParseCIB(fixtures.Read(t, "pair-node2-fenced-cib.xml"))
	mustNil(t, err)
	if v, ok := c.Attr("node2", "pgsql-data-status"); !ok || v == "" {
		t.Errorf("node2's pgsql-data-status = %q, %v; want its forever value", v, ok)
	}
	if _, ok := c.Attr("node2", "pgsql-status"); ok {
		t.Error("a fenced node still shows a reboot attribute")
	}
	if r := c.RoleOn("pgsql", "node1"); r != attrd.RoleUnknown {
		t.Errorf("RoleOn from the CIB = %q, want %q", r, attrd.RoleUnknown)
	}
	if p := c.PromotedNodes("pgsql"); p != nil {
		t.Errorf("PromotedNodes from the CIB = %v, want none", p)
	}
}

// cibWith is a two-node CIB in which node2's node_state has the given
// attributes and, when shutdown is set, a shutdown attribute.
func cibWith(stonith, node2State, shutdown string) []byte {
	var opts string
	if stonith != "" {
		opts = `<nvpair id="o-s" name="stonith-enabled" value="` + stonith + `"/>`
	}
	return cibWithOptions(opts, node2State, shutdown)
}

// cibWithOptions is cibWith with the cluster_property_set's nvpairs given.
func cibWithOptions(opts, node2State, shutdown string) []byte {
	var b strings.Builder
	b.WriteString(`<cib epoch="1" num_updates="1" admin_epoch="0" dc-uuid="1"><configuration><crm_config><cluster_property_set id="o">`)
	b.WriteString(opts)
	b.WriteString(`</cluster_property_set></crm_config><nodes>`)
	b.WriteString(`<node id="1" uname="node1"><instance_attributes id="n1"><nvpair id="n1-d" name="pgsql-data-status" value="LATEST"/><nvpair id="n1-s" name="standby" value="off"/></instance_attributes></node>`)
	b.WriteString(`<node id="2" uname="node2"><instance_attributes id="n2"><nvpair id="n2-d" name="pgsql-data-status" value="STREAMING|SYNC"/><nvpair id="n2-x" name="pgsql-status" value="forever-one"/></instance_attributes></node>`)
	b.WriteString(`</nodes><resources/><constraints/></configuration><status>`)
	b.WriteString(`<node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member"/>`)
	b.WriteString(`<node_state id="2" uname="node2" ` + node2State + `><transient_attributes id="2"><instance_attributes id="status-2">`)
	b.WriteString(`<nvpair id="s2-s" name="pgsql-status" value="HS:sync"/><nvpair id="s2-m" name="master-pgsql" value="100"/><nvpair id="s2-f" name="fail-count-pgsql#monitor_4000" value="1"/><nvpair id="s2-p" name="#health-disk" value="green"/>`)
	if shutdown != "" {
		b.WriteString(`<nvpair id="s2-sd" name="shutdown" value="` + shutdown + `"/>`)
	}
	b.WriteString(`</instance_attributes></transient_attributes></node_state></status></cib>`)
	return []byte(b.String())
}

// TestParseCIBOnline: the scheduler's online rule on both spellings of
// node_state (Pacemaker before 2.1.7: booleans; since: times or 0), with and
// without fencing (lib/pengine/unpack.c).
func TestParseCIBOnline(t *testing.T) {
	for _, tt := range []struct {
		name, stonith, state, shutdown string
		online                         bool
	}{
		{"2.1.5 member", "", `in_ccm="true" crmd="online" join="member" expected="member"`, "", true},
		{"2.1.5 controller down, corosync up", "", `in_ccm="true" crmd="offline" join="down" expected="down"`, "", true},
		{"2.1.5 left", "", `in_ccm="false" crmd="offline" join="down" expected="down"`, "", false},
		{"2.1.5 never seen", "", `crmd="offline" join="down"`, "", false},
		{"2.1.5 shutting down, controller up", "", `in_ccm="true" crmd="online" join="member" expected="down"`, "1796315812", true},
		{"2.1.5 shutting down, controller gone", "", `in_ccm="true" crmd="offline" join="down" expected="down"`, "1796315812", false},
		{"shutdown attribute 0 is no shutdown", "", `in_ccm="true" crmd="offline" join="down" expected="down"`, "0", true},
		{"3.0 member", "true", `in_ccm="1796315000" crmd="1796315001" join="member" expected="member"`, "", true},
		{"3.0 controller down", "true", `in_ccm="1796315000" crmd="0" join="down" expected="down"`, "", true},
		{"3.0 left", "true", `in_ccm="0" crmd="0" join="down" expected="down"`, "", false},
		{"3.0 pending (member, not joined)", "true", `in_ccm="1796315000" crmd="1796315001" join="pending" expected="member"`, "", true},
		{"3.0 unreadable in_ccm", "true", `in_ccm="soon" crmd="1796315001" join="member"`, "", false},
		{"no fencing: member", "false", `in_ccm="true" crmd="online" join="member" expected="member"`, "", true},
		{"no fencing: controller down", "false", `in_ccm="true" crmd="offline" join="down" expected="down"`, "", false},
		{"no fencing: pending", "false", `in_ccm="1796315000" crmd="1796315001" join="pending"`, "", false},
		{"no fencing 3.0: member", "false", `in_ccm="1796315000" crmd="1796315001" join="member"`, "", true},
		{"no fencing: left", "false", `in_ccm="0" crmd="1796315001" join="member"`, "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := attrd.ParseCIB(cibWith(tt.stonith, `id="2" uname="node2" `+tt.state, tt.shutdown))
			mustNil(t, err)
			if got := c.Online("node2"); got != tt.online {
				t.Errorf("node2 online = %v, want %v", got, tt.online)
			}
			if !c.Online("node1") {
				t.Error("node1 offline")
			}
		})
	}
}

// TestParseCIBFencingEnabled: Pacemaker 3.0.2's fencing-enabled wins over
// stonith-enabled, which counts only when fencing-enabled is not set; seen
// through the online rule of a member whose controller is down (online with
// fencing, offline without).
func TestParseCIBFencingEnabled(t *testing.T) {
	const down = `id="2" uname="node2" in_ccm="true" crmd="offline" join="down" expected="down"`
	pair := func(name, value string) string {
		return `<nvpair id="o-` + name + `" name="` + name + `" value="` + value + `"/>`
	}
	for _, tt := range []struct {
		name, opts string
		fencing    bool
	}{
		{"neither: default on", "", true},
		{"stonith-enabled=false alone", pair("stonith-enabled", "false"), false},
		{"fencing-enabled=false alone", pair("fencing-enabled", "false"), false},
		{"fencing-enabled=false beats stonith-enabled=true", pair("stonith-enabled", "true") + pair("fencing-enabled", "false"), false},
		{"fencing-enabled=true beats stonith-enabled=false", pair("stonith-enabled", "false") + pair("fencing-enabled", "true"), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := attrd.ParseCIB(cibWithOptions(tt.opts, down, ""))
			mustNil(t, err)
			if c.Summary.StonithEnabled == nil || *c.Summary.StonithEnabled != tt.fencing {
				t.Errorf("StonithEnabled = %v, want %v", c.Summary.StonithEnabled, tt.fencing)
			}
			if got := c.Online("node2"); got != tt.fencing {
				t.Errorf("node2 (controller down) online = %v, want %v", got, tt.fencing)
			}
		})
	}
}

// TestParseCIBAttrs: both lifetimes merged, the reboot one winning as in
// the scheduler; what crm_mon hides is hidden; the DC is named.
func TestParseCIBAttrs(t *testing.T) {
	c, err := attrd.ParseCIB(cibWith("", `in_ccm="true" crmd="online" join="member"`, "1"))
	mustNil(t, err)
	want := map[string]string{"pgsql-data-status": "STREAMING|SYNC", "pgsql-status": "HS:sync", "master-pgsql": "100"}
	n, _ := c.Node("node2")
	if !maps.Equal(n.Attrs, want) {
		t.Errorf("node2 attributes %v, want %v", n.Attrs, want)
	}
	if n1, _ := c.Node("node1"); !maps.Equal(n1.Attrs, map[string]string{"pgsql-data-status": "LATEST"}) {
		t.Errorf("node1 attributes %v: standby is hidden, as by crm_mon", n1.Attrs)
	}
	if c.Summary.DC != "node1" || c.Summary.StonithEnabled == nil || !*c.Summary.StonithEnabled {
		t.Errorf("summary %+v, want DC node1, stonith enabled by default", c.Summary)
	}
}

// TestParseCIBErrors: what is not a readable CIB is refused as crm_mon
// output without status is — as worth another read.
func TestParseCIBErrors(t *testing.T) {
	for name, in := range map[string]string{
		"empty":         "",
		"not XML":       "Could not connect to the CIB: Transport endpoint is not connected\n",
		"cut short":     `<cib epoch="1"><configuration><nodes><node id="1" uname="node1"/>`,
		"another root":  `<pacemaker-result/>`,
		"no status":     `<cib><configuration><nodes><node id="1" uname="node1"/></nodes></configuration></cib>`,
		"no node list":  `<cib><configuration/><status/></cib>`,
		"scope=status":  `<status><node_state id="1" uname="node1" in_ccm="true"/></status>`,
		"configuration": `<configuration><nodes/></configuration>`,
	} {
		t.Run(name, func(t *testing.T) {
			c, err := attrd.ParseCIB([]byte(in))
			if err == nil || c != nil {
				t.Fatalf("ParseCIB = %v, %v; want an error", c, err)
			}
			if !attrd.Transient(err) {
				t.Errorf("%v is not retried", err)
			}
			if name != "not XML" && name != "cut short" && name != "empty" && !errors.Is(err, attrd.ErrNoStatus) {
				t.Errorf("%v is not ErrNoStatus", err)
			}
		})
	}
}

// FuzzParseCIB: no input panics the parser, whatever it refuses is worth
// another read, and whatever it accepts is self-consistent.
func FuzzParseCIB(f *testing.F) {
	for _, file := range fixtures.Glob(f, "pgrex-lab/pair-*-cib.xml", "pacemaker-2.1.5/*-cib.xml") {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(cibWith("false", `in_ccm="1" crmd="1" join="member"`, "0"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := attrd.ParseCIB(b)
		if err != nil {
			if c != nil {
				t.Fatalf("error %v with a non-nil cluster", err)
			}
			if !attrd.Transient(err) {
				t.Fatalf("refused CIB is not retried: %v", err)
			}
			return
		}
		if !c.MembershipOnly {
			t.Fatal("a CIB snapshot claims to know roles")
		}
		seen := map[string]bool{}
		for _, n := range c.Nodes {
			if n.Name == "" || seen[n.Name] {
				t.Fatalf("empty or duplicate node name %q", n.Name)
			}
			seen[n.Name] = true
			if c.Online(n.Name) != n.Online || !c.AttrKnown(n.Name) {
				t.Fatalf("helpers disagree with node %+v", n)
			}
			for k := range n.Attrs {
				if attrd.CrmMonHides(k) {
					t.Fatalf("hidden attribute %q shown", k)
				}
			}
		}
	})
}
