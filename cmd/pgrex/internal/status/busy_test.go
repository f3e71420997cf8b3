// SPDX-License-Identifier: Apache-2.0

package status_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/status"
	"github.com/pgrex/pgrex/test/fixtures"
)

// Busy lists what crm_mon shows under way on the resources; every
// fixture but the one captured mid-transition is settled.
func TestParseBusy(t *testing.T) {
	want := map[string][]status.Busy{
		// Real Pacemaker 2.1.5: vip-rep role="Starting" on node2 while
		// pgsql is already Promoted there, its first promoted monitor not
		// reported yet.
		"crm_mon-after-kill9-primary.xml": {{Resource: "vip-rep", Node: "node2", Action: "Starting"},
			{Resource: "pgsql", Node: "node2", Action: "Monitoring"}},
	}
	// The captures this package diagnoses (cmd/pgrex's msg_test.go too).
	files := fixtures.Glob(t, "pacemaker-2.1.5/crm_mon-*.xml", "handmade/pgrex-*.xml", "handmade/pcmk11-*.xml", "pgrex-lab/pgrex-*.xml")
	for _, f := range files {
		name := filepath.Base(f)
		m := load(t, name, status.Options{})
		if !slices.Equal(m.Busy, want[name]) {
			t.Errorf("%s: busy %+v, want %+v", name, m.Busy, want[name])
		}
	}
}

// Transitional roles and pending operations of every resource count, the
// first monitor after a start included.
func TestParseBusyCases(t *testing.T) {
	healthy := string(fixtures.Read(t, "pgrex-healthy.xml"))
	tests := []struct {
		name     string
		old, new string
		want     []status.Busy
	}{
		{"vip-slave starting", `id="vip-slave" resource_agent="ocf:heartbeat:IPaddr2" role="Started"`,
			`id="vip-slave" resource_agent="ocf:heartbeat:IPaddr2" role="Starting"`,
			[]status.Busy{{Resource: "vip-slave", Node: "node2", Action: "Starting"}}},
		{"pgsql promoting", `id="pgsql" resource_agent="ocf:heartbeat:pgsql" role="Unpromoted" active="true"`,
			`id="pgsql" resource_agent="ocf:heartbeat:pgsql" role="Unpromoted" pending="Promoting" active="true"`,
			[]status.Busy{{Resource: "pgsql", Node: "node2", Action: "Promoting"}}},
		// The lab's switchover once ended with vip-slave's first monitor
		// still pending: the VIP had not been seen running yet.
		{"pending first monitor", `id="vip-slave" resource_agent="ocf:heartbeat:IPaddr2" role="Started"`,
			`id="vip-slave" resource_agent="ocf:heartbeat:IPaddr2" role="Started" pending="Monitoring"`,
			[]status.Busy{{Resource: "vip-slave", Node: "node2", Action: "Monitoring"}}},
		// A rejoining node starts its ping too, and pgsql may not run there
		// before ping has reported.
		{"ping starting", `resource_agent="ocf:pacemaker:ping" role="Started"`,
			`resource_agent="ocf:pacemaker:ping" role="Starting"`,
			[]status.Busy{{Resource: "prmPingd", Node: "node1", Action: "Starting"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(healthy, tt.old) {
				t.Fatalf("fixture lacks %q", tt.old)
			}
			x := strings.Replace(healthy, tt.old, tt.new, 1)
			m, err := status.Parse([]byte(x), status.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(m.Busy, tt.want) {
				t.Errorf("busy %+v, want %+v", m.Busy, tt.want)
			}
		})
	}
}
