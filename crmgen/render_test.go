// SPDX-License-Identifier: Apache-2.0

package crmgen

import "testing"

// The renderer works on a model built by hand, without CSV.
func TestRenderModel(t *testing.T) {
	pg := &resource{kind: kindPrimitive, id: "pg", class: "ocf", provider: "pgrex", raType: "pgsql",
		ops: []*operation{{name: "start", attrs: []nv{{name: "timeout", value: "60s"}}}, {name: "stop"}}}
	pg.attrs.get("params").add("rep_mode", "sync", 1)
	ms := &resource{kind: kindMS, id: "ms", children: []*resource{pg}}
	ms.attrs.get("meta").add("notify", "true", 1)
	stonith := &resource{kind: kindPrimitive, id: "st", class: "stonith", raType: "fence_ipmilan"}
	c := &config{
		resources: []*resource{ms, pg, stonith},
		fencing:   []fencingLevel{{"n2", "st", "1"}, {"n1", "st", "2"}, {"n1", "pg", "1"}, {"n1", "ms", "1"}},
		tickets:   []ticket{{ticket: "t", rsc: "ms", role: "Promoted", lossPolicy: "demote"}},
	}
	want := "### Master/Slave Configuration ###\n" +
		"ms ms \\\n\tpg \\\n\tmeta \\\n\t\tnotify=\"true\"\n\n" +
		"### Fencing Topology ###\n" +
		"fencing_topology \\\n\tn1: pg,ms st \\\n\tn2: st\n\n" +
		"### Primitive Configuration ###\n" +
		"primitive pg ocf:pgrex:pgsql \\\n\tparams \\\n\t\trep_mode=\"sync\" \\\n\top start timeout=\"60s\"\n\n" +
		"primitive st stonith:fence_ipmilan\n\n" +
		"### Resource Ticket ###\n" +
		"rsc_ticket rsc_ticket-t-1 t: ms:Promoted loss-policy=demote\n"
	if got := render(c, false); got != want {
		t.Errorf("render: %s", firstDiff(got, want))
	}
}
