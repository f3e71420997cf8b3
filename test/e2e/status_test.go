// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"testing"

	"github.com/pgrex/pgrex/test/fixtures"
)

// The parser on crm_mon output captured from this lab (heartbeat agent). No lab needed.
func TestParseCrmMon(t *testing.T) {
	load := func(name string) *Cluster {
		t.Helper()
		b := fixtures.Read(t, name)
		c, err := ParseCrmMon(b)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	c := load("crm_mon-healthy-node2-primary.xml")
	p, s, ok := c.Healthy()
	if !ok || p != "node2" || s != "node1" {
		t.Errorf("healthy: got %q %q %v; state %s", p, s, ok, c)
	}
	if c.Where("vip-slave") != "node1" || c.Attr("node2", "pgsql-master-baseline") == "" {
		t.Errorf("healthy: %s", c)
	}

	// node1 being rebuilt: cleaned up, its start still running
	c = load("crm_mon-rebuild-starting-node1.xml")
	if _, _, ok := c.Healthy(); ok || c.Settled() {
		t.Errorf("a start in progress is not the steady state: %s", c)
	}
	if c.Triple("node1") != "STOP/DISCONNECT/-INFINITY" || !promotedOn(c, "node2") || c.Where("vip-slave") != "node2" {
		t.Errorf("rebuild in progress: %s", c)
	}

	c = load("crm_mon-pacemaker-stopped-on-node2.xml")
	if c.Online["node2"] || !c.Online["node1"] {
		t.Errorf("a Corosync member without Pacemaker (pending) is not online: %v", c.Online)
	}
	if c.Triple("node2") != "-/DISCONNECT/-" || !promotedOn(c, "node1") {
		t.Errorf("pacemaker stopped on node2: %s", c)
	}
}
