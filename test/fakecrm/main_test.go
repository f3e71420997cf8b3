// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/pgrex/pgrex/test/fakecrm/state"
)

// cluster writes a two-node state like the lab's healthy cluster and
// returns a function that runs a tool in-process as node1.
func cluster(t *testing.T) (string, func(argv ...string) reply) {
	t.Helper()
	s := state.New("node1", "node2")
	must(t, s.SetAttr("node1", "pgsql-status", "PRI", state.Reboot))
	must(t, s.SetAttr("node1", "master-pgsql", "1000", state.Reboot))
	must(t, s.SetAttr("node1", "pgsql-data-status", "LATEST", state.Forever))
	must(t, s.SetAttr("node2", "pgsql-status", "HS:sync", state.Reboot))
	must(t, s.SetAttr("node2", "pgsql-data-status", "STREAMING|SYNC", state.Forever))
	s.AddResource("pgsql", "msPostgresql")
	s.SetRole("pgsql", "node1", state.RolePromoted)
	s.SetRole("pgsql", "node2", state.RoleUnpromoted)
	path := filepath.Join(t.TempDir(), "state.json")
	must(t, s.Save(path))
	return path, func(argv ...string) reply {
		var out, errb bytes.Buffer
		env := map[string]string{envState: path, envNode: "node1"}
		code := run(argv, func(k string) string { return env[k] }, &out, &errb)
		return reply{stdout: out.String(), stderr: errb.String(), exit: code}
	}
}

func TestCrmAttribute(t *testing.T) {
	path, run := cluster(t)
	tests := []struct {
		argv []string
		want reply
	}{
		// The forms attrd.CRM produces.
		{[]string{"crm_attribute", "--query", "--quiet", "--node=node1", "--name=pgsql-status", "--lifetime=reboot"}, reply{stdout: "PRI\n"}},
		{[]string{"crm_attribute", "--query", "--quiet", "--node=node2", "--name=pgsql-data-status", "--lifetime=forever"}, reply{stdout: "STREAMING|SYNC\n"}},
		{[]string{"crm_attribute", "--query", "--quiet", "--node=node1", "--name=pgsql-data-status", "--lifetime=reboot"},
			reply{stderr: "crm_attribute: Error performing operation: No such device or address\n", exit: 105}},
		{[]string{"crm_attribute", "--query", "--quiet", "--node=nodeX", "--name=a", "--lifetime=reboot"},
			reply{stderr: "crm_attribute: Could not map name=nodeX to a UUID\n", exit: 105}},
		{[]string{"crm_attribute", "--node=node2", "--name=pgsql-status", "--lifetime=reboot", "--update=HS:alone"}, reply{}},
		{[]string{"crm_attribute", "--query", "--quiet", "--node=node2", "--name=pgsql-status", "--lifetime=reboot"}, reply{stdout: "HS:alone\n"}},
		{[]string{"crm_attribute", "--promotion=pgsql", "--node=node2", "--update=-INFINITY"}, reply{}},
		{[]string{"crm_attribute", "--query", "--quiet", "--node=node2", "--name=master-pgsql", "--lifetime=reboot"}, reply{stdout: "-INFINITY\n"}},
		{[]string{"crm_attribute", "--promotion=pgsql", "--node=node2", "--delete"}, reply{}},
		{[]string{"crm_attribute", "--promotion=pgsql", "--node=node2", "--delete"}, reply{}},
		{[]string{"crm_attribute", "--node=node2", "--name=pgsql-data-status", "--lifetime=forever", "--delete"},
			reply{stdout: "Deleted nodes attribute: id=nodes-2-pgsql-data-status name=pgsql-data-status\n"}},
		{[]string{"crm_attribute", "--node=node2", "--name=pgsql-data-status", "--lifetime=forever", "--delete"}, reply{}},
		// Other real forms: no --quiet, separated values, the PG-REX
		// tools' --type=status, the local node by default.
		{[]string{"crm_attribute", "--query", "--node", "node1", "--name", "pgsql-data-status", "--lifetime", "forever"},
			reply{stdout: "scope=nodes  name=pgsql-data-status value=LATEST\n"}},
		{[]string{"crm_attribute", "--type=status", "--name=pgsql-status", "--query", "--quiet"}, reply{stdout: "PRI\n"}},
		{[]string{"crm_attribute", "--promotion=pgsql", "--query"}, reply{stdout: "scope=status  name=master-pgsql value=1000\n"}},
		{[]string{"crm_attribute", "--node=node1", "--name=x", "--lifetime=bogus", "--query"},
			reply{stderr: "crm_attribute: Error performing operation: No message of desired type\n", exit: 76}},
	}
	for _, tt := range tests {
		if got := run(tt.argv...); got != tt.want {
			t.Errorf("%q\n got %+v\nwant %+v", tt.argv, got, tt.want)
		}
	}
	s, err := state.Load(path)
	must(t, err)
	// Every call but the bad lifetime (refused like a usage error, before
	// the cluster is touched) is logged.
	if got := len(s.CallsTo("crm_attribute")); got != len(tests)-1 {
		t.Errorf("logged %d calls, want %d", got, len(tests)-1)
	}
	if c := s.Calls[0]; c.Node != "node1" || c.Args[0] != "--query" {
		t.Errorf("first call logged as %+v", c)
	}
}

// pgrex must use long options; the fake refuses anything else, so a test
// catches a regression to "-p -v -INFINITY" before a real cluster does.
func TestUsageErrors(t *testing.T) {
	path, run := cluster(t)
	for _, argv := range [][]string{
		{"crm_attribute", "-p", "pgsql", "-v", "-INFINITY"},
		{"crm_attribute", "-N", "node1", "-n", "pgsql-status", "-G", "-q"},
		{"crm_attribute", "--node=node1", "--name=a"},                        // no command
		{"crm_attribute", "--node=node1", "--name=a", "--query", "--delete"}, // two commands
		{"crm_attribute", "--node=node1", "--query"},                         // no name
		{"crm_attribute", "--node=node1", "--name=a", "--query", "--frobnicate"},
		{"crm_attribute", "--promotion", "--update=1"}, // resource from the environment: unsupported
		{"crm_attribute", "--query=yes", "--name=a"},
		{"crm_mon", "-1"}, // text output
		{"crm_mon", "--output-as=text"},
		{"crm_mon", "--output-as=xml", "--group-by-node"},
		{"cibadmin", "--replace", "--xml-file=x"},
		{"crm_node", "--name", "--list"},
		{"crm_node", "-R", "node2"},
		{"crmsh"},
	} {
		got := run(argv...)
		if got.exit != exitUsage || got.stdout != "" || got.stderr == "" {
			t.Errorf("%q = %+v, want a usage error", argv, got)
		}
	}
	s, err := state.Load(path)
	must(t, err)
	if len(s.Calls) != 0 {
		t.Errorf("usage errors were logged as calls: %+v", s.Calls)
	}
}

func TestCrmMonXML(t *testing.T) {
	path, run := cluster(t)
	// node2 leaves: attributes and roles gone, forever data-status kept.
	must(t, state.Update(path, func(s *state.State) error { return s.SetOnline("node2", false) }))
	got := run("crm_mon", "--one-shot", "--output-as=xml", "--include=none,nodes,resources,attributes")
	if got.exit != 0 || got.stderr != "" {
		t.Fatalf("crm_mon = %+v", got)
	}
	doc := etree.NewDocument()
	must(t, doc.ReadFromString(got.stdout))
	root := doc.Root()
	if root.Tag != "pacemaker-result" || root.SelectAttrValue("request", "") != "crm_mon --one-shot --output-as=xml --include=none,nodes,resources,attributes" {
		t.Errorf("root = <%s request=%q>", root.Tag, root.SelectAttrValue("request", ""))
	}
	var nodes []string
	for _, n := range root.FindElements("nodes/node") {
		nodes = append(nodes, n.SelectAttrValue("name", "")+"="+n.SelectAttrValue("online", ""))
	}
	if want := []string{"node1=true", "node2=false"}; !slices.Equal(nodes, want) {
		t.Errorf("nodes = %v, want %v", nodes, want)
	}
	var roles []string
	for _, r := range root.FindElements("resources/clone[@id='msPostgresql']/resource[@id='pgsql']") {
		on := ""
		if n := r.SelectElement("node"); n != nil {
			on = n.SelectAttrValue("name", "")
		}
		roles = append(roles, r.SelectAttrValue("role", "")+"@"+on)
	}
	if want := []string{"Promoted@node1", "Stopped@"}; !slices.Equal(roles, want) {
		t.Errorf("pgsql instances = %v, want %v", roles, want)
	}
	var attrs []string
	for _, a := range root.FindElements("node_attributes/node/attribute") {
		attrs = append(attrs, a.Parent().SelectAttrValue("name", "")+":"+a.SelectAttrValue("name", "")+"="+a.SelectAttrValue("value", ""))
	}
	want := []string{"node1:master-pgsql=1000", "node1:pgsql-data-status=LATEST", "node1:pgsql-status=PRI"}
	if !slices.Equal(attrs, want) {
		t.Errorf("node_attributes = %v, want %v", attrs, want)
	}
	if st := root.SelectElement("status"); st == nil || st.SelectAttrValue("code", "") != "0" {
		t.Error("no status code 0")
	}

	// --include narrows the sections as with the real tool.
	only := run("crm_mon", "--output-as=xml", "--include=none,nodes")
	if !strings.Contains(only.stdout, "<nodes>") || strings.Contains(only.stdout, "<resources>") || strings.Contains(only.stdout, "<node_attributes>") {
		t.Errorf("--include=none,nodes printed:\n%s", only.stdout)
	}
}

func TestCibadmin(t *testing.T) {
	_, run := cluster(t)
	got := run("cibadmin", "--query")
	if got.exit != 0 {
		t.Fatalf("cibadmin = %+v", got)
	}
	doc := etree.NewDocument()
	must(t, doc.ReadFromString(got.stdout))
	checks := map[string]string{
		"configuration/nodes/node[@uname='node1']/instance_attributes/nvpair[@name='pgsql-data-status']":          "LATEST",
		"configuration/nodes/node[@uname='node2']/instance_attributes/nvpair[@name='pgsql-data-status']":          "STREAMING|SYNC",
		"status/node_state[@uname='node1']/transient_attributes/instance_attributes/nvpair[@name='pgsql-status']": "PRI",
		"status/node_state[@uname='node1']/transient_attributes/instance_attributes/nvpair[@name='master-pgsql']": "1000",
	}
	for path, want := range checks {
		el := doc.Root().FindElement(path)
		if el == nil || el.SelectAttrValue("value", "") != want {
			t.Errorf("%s: want %q in\n%s", path, want, got.stdout)
		}
	}
	if op := doc.Root().FindElement("status/node_state[@uname='node1']/lrm/lrm_resources/lrm_resource[@id='pgsql']/lrm_rsc_op[@operation='promote']"); op == nil {
		t.Error("the promoted node has no promote in its history")
	}
	nodes := run("cibadmin", "--query", "--scope=nodes")
	if !strings.HasPrefix(nodes.stdout, "<nodes>") || strings.Contains(nodes.stdout, "<status>") {
		t.Errorf("--scope=nodes printed:\n%s", nodes.stdout)
	}
}

func TestCrmNode(t *testing.T) {
	path, run := cluster(t)
	for argv, want := range map[string]reply{
		"crm_node -n":           {stdout: "node1\n"},
		"crm_node --name":       {stdout: "node1\n"},
		"crm_node --cluster-id": {stdout: "1\n"},
		"crm_node --list":       {stdout: "1 node1 member\n2 node2 member\n"},
		"crm_node --partition":  {stdout: "node1 node2\n"},
		"crm_node --quorum":     {stdout: "1\n"},
		"fakecrm crm_node -n":   {stdout: "node1\n"},
	} {
		if got := run(strings.Fields(argv)...); got != want {
			t.Errorf("%s = %+v, want %+v", argv, got, want)
		}
	}
	must(t, state.Update(path, func(s *state.State) error { return s.SetOnline("node2", false) }))
	if got := run("crm_node", "--partition"); got.stdout != "node1\n" {
		t.Errorf("partition with node2 down = %q", got.stdout)
	}
	if got := run("crm_node", "--quorum"); got.stdout != "0\n" {
		t.Errorf("quorum with 1 of 2 nodes = %q", got.stdout)
	}
}

// A missing state file is a cluster that is not running, with each real
// tool's answer to that.
func TestClusterNotRunning(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.json")
	env := map[string]string{envState: missing, envNode: "node1"}
	for _, argv := range [][]string{
		{"crm_attribute", "--query", "--quiet", "--node=node1", "--name=a", "--lifetime=reboot"},
		{"crm_mon", "--output-as=xml"},
		{"cibadmin", "--query"},
		{"crm_node", "-n"},
	} {
		var out, errb bytes.Buffer
		code := run(argv, func(k string) string { return env[k] }, &out, &errb)
		if code != exitNotConn {
			t.Errorf("%q exited %d, want %d", argv, code, exitNotConn)
		}
		if argv[0] == "crm_mon" && !strings.Contains(out.String(), `<status code="102" message="Not connected">`) {
			t.Errorf("crm_mon printed %q", out.String())
		}
	}
}

func TestFaults(t *testing.T) {
	path, run := cluster(t)
	must(t, state.Update(path, func(s *state.State) error {
		s.AddFault(state.Fault{Tool: "crm_attribute", ArgContains: "--lifetime=forever", Exit: 1,
			Stderr: "crm_attribute: Update failed: Timer expired\n", Times: 1})
		return nil
	}))
	set := []string{"crm_attribute", "--node=node2", "--name=pgsql-data-status", "--lifetime=forever", "--update=DISCONNECT"}
	if got := run(set...); got.exit != 1 || !strings.Contains(got.stderr, "Timer expired") {
		t.Errorf("faulted call = %+v", got)
	}
	// Reboot calls do not match; the fault was used up after one call.
	if got := run("crm_attribute", "--node=node2", "--name=x", "--lifetime=reboot", "--update=1"); got.exit != 0 {
		t.Errorf("unmatched call = %+v", got)
	}
	if got := run(set...); got.exit != 0 {
		t.Errorf("call after the fault was used up = %+v", got)
	}
	s, err := state.Load(path)
	must(t, err)
	if v, _ := s.Attr("node2", "pgsql-data-status", state.Forever); v != "DISCONNECT" || len(s.Faults) != 0 {
		t.Errorf("data-status %q, faults left %d", v, len(s.Faults))
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
