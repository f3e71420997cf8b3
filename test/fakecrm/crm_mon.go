// SPDX-License-Identifier: Apache-2.0

package main

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/beevik/etree"

	"github.com/pgrex/pgrex/test/fakecrm/state"
)

// crmMon impersonates `crm_mon --one-shot --output-as=xml`: it prints the
// nodes, resources and node_attributes sections in the shape Pacemaker
// 2.1.5 prints them (see test/fixtures), honouring --include/--exclude
// for those three sections. Only XML output exists here.
func crmMon(args []string, inv *invocation) (func(*state.State) reply, *reply) {
	// crm_mon accepts -1 and -A, the forms in PG-REX documentation;
	// translate them before the long-option parser sees them.
	norm := make([]string, 0, len(args))
	for _, a := range args {
		switch a {
		case "-1":
			a = "--one-shot"
		case "-A":
			a = "--show-node-attributes"
		case "-r":
			a = "--inactive"
		case "-f":
			a = "--failcounts"
		}
		norm = append(norm, a)
	}
	opts, bad := parseLong("crm_mon", norm,
		map[string]bool{"output-as": true, "include": true, "exclude": true}, nil)
	if bad != nil {
		return nil, bad
	}
	sections := map[string]bool{"nodes": true, "resources": true, "attributes": true}
	xml := false
	for _, o := range opts {
		switch o.name {
		case "one-shot", "show-node-attributes", "inactive", "failcounts":
		case "output-as":
			if o.value != "xml" {
				return nil, usagep("crm_mon: fakecrm: only --output-as=xml is supported")
			}
			xml = true
		case "include", "exclude":
			for _, sec := range strings.Split(o.value, ",") {
				switch {
				case o.name == "include" && sec == "none":
					clear(sections)
				case o.name == "include" && (sec == "all" || sec == "default"):
					sections = map[string]bool{"nodes": true, "resources": true, "attributes": true}
				default:
					sections[sec] = o.name == "include"
				}
			}
		default:
			return nil, usagep("crm_mon: fakecrm: option --%s not supported", o.name)
		}
	}
	if !xml {
		return nil, usagep("crm_mon: fakecrm: only --output-as=xml is supported")
	}
	request := strings.Join(append([]string{"crm_mon"}, args...), " ")
	return func(s *state.State) reply {
		return reply{stdout: renderCrmMon(s, request, sections)}
	}, nil
}

func renderCrmMon(s *state.State, request string, sections map[string]bool) string {
	doc := etree.NewDocument()
	root := doc.CreateElement("pacemaker-result")
	root.CreateAttr("api-version", "2.25")
	root.CreateAttr("request", request)

	running := map[string]int{}
	for _, r := range s.Resources {
		for node := range r.Roles {
			running[node]++
		}
	}
	if sections["nodes"] {
		nodes := root.CreateElement("nodes")
		dc := ""
		for _, n := range s.Nodes {
			if n.Online {
				dc = n.Name
				break
			}
		}
		for _, n := range s.Nodes {
			el := nodes.CreateElement("node")
			attrs(el, "name", n.Name, "id", n.NodeID(), "online", b(n.Online), "standby", b(standby(n)),
				"standby_onfail", "false", "maintenance", "false", "pending", "false", "unclean", "false",
				"health", "green")
			if n.Online {
				el.CreateAttr("feature_set", "3.16.1")
			}
			attrs(el, "shutdown", "false", "expected_up", b(n.Online), "is_dc", b(n.Name == dc),
				"resources_running", strconv.Itoa(running[n.Name]), "type", "member")
		}
	}
	if sections["resources"] {
		res := root.CreateElement("resources")
		for _, r := range s.Resources {
			parent := res
			if r.Clone != "" {
				parent = res.CreateElement("clone")
				attrs(parent, "id", r.Clone, "multi_state", "true", "unique", "false", "managed", "true",
					"disabled", "false", "failed", "false", "failure_ignored", "false")
			}
			for _, n := range s.Nodes {
				role, ok := r.Roles[n.Name]
				if !ok || !n.Online {
					continue
				}
				el := resource(parent, r, role, true)
				attrs(el.CreateElement("node"), "name", n.Name, "id", n.NodeID(), "cached", "true")
			}
			if r.Clone != "" {
				// A clone has one instance per node (clone-max
				// defaults to the node count); the rest are Stopped.
				for range len(s.Nodes) - countRunning(s, r) {
					resource(parent, r, state.RoleStopped, false)
				}
			} else if countRunning(s, r) == 0 {
				resource(parent, r, state.RoleStopped, false)
			}
		}
	}
	if sections["attributes"] {
		na := root.CreateElement("node_attributes")
		for _, n := range s.Nodes {
			if !n.Online {
				continue // crm_mon shows online nodes only
			}
			merged := map[string]string{}
			maps.Copy(merged, n.Forever)
			maps.Copy(merged, n.Reboot) // the status section wins
			for k := range merged {
				if hidden(k) {
					delete(merged, k)
				}
			}
			if len(merged) == 0 {
				continue
			}
			el := na.CreateElement("node")
			el.CreateAttr("name", n.Name)
			for _, k := range slices.Sorted(maps.Keys(merged)) {
				attrs(el.CreateElement("attribute"), "name", k, "value", merged[k])
			}
		}
	}
	attrs(root.CreateElement("status"), "code", "0", "message", "OK")
	doc.Indent(2)
	out, _ := doc.WriteToString()
	return out
}

func resource(parent *etree.Element, r *state.Resource, role string, active bool) *etree.Element {
	el := parent.CreateElement("resource")
	agent := r.Agent
	if agent == "" {
		agent = "ocf:heartbeat:pgsql"
	}
	running := "0"
	if active {
		running = "1"
	}
	attrs(el, "id", r.ID, "resource_agent", agent, "role", role, "active", b(active), "orphaned", "false",
		"blocked", "false", "managed", "true", "failed", "false", "failure_ignored", "false",
		"nodes_running_on", running)
	return el
}

func countRunning(s *state.State, r *state.Resource) int {
	n := 0
	for _, node := range s.Nodes {
		if _, ok := r.Roles[node.Name]; ok && node.Online {
			n++
		}
	}
	return n
}

// standby: a node is in standby when its standby attribute is on.
func standby(n *state.Node) bool {
	v, ok := n.Reboot["standby"]
	if !ok {
		v = n.Forever["standby"]
	}
	switch strings.ToLower(v) {
	case "on", "true", "yes", "1":
		return true
	}
	return false
}

// hidden reports whether crm_mon 2.1.5 leaves the attribute out of
// node_attributes (verified against the real tool; see
// test/fixtures/pacemaker-2.1.5/snapshot-hidden-attrs.xml).
func hidden(name string) bool {
	for _, p := range []string{"#", "fail-count", "last-failure", "shutdown", "terminate", "standby"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func crmMonNotConnected() string {
	doc := etree.NewDocument()
	root := doc.CreateElement("pacemaker-result")
	attrs(root, "api-version", "2.25", "request", "crm_mon")
	st := root.CreateElement("status")
	attrs(st, "code", "102", "message", "Not connected")
	errs := st.CreateElement("errors")
	errs.CreateElement("error").SetText("crm_mon: Connection to cluster failed: Connection refused")
	doc.Indent(2)
	out, _ := doc.WriteToString()
	return out
}

// attrs sets name/value pairs in order, as Pacemaker prints them.
func attrs(el *etree.Element, kv ...string) {
	for i := 0; i+1 < len(kv); i += 2 {
		el.CreateAttr(kv[i], kv[i+1])
	}
}

func b(v bool) string { return strconv.FormatBool(v) }
