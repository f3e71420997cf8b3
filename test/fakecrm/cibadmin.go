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

// cibadmin impersonates `cibadmin --query [--scope=<section>]`: it prints
// a CIB in Pacemaker 2.1.5's shape — forever attributes in
// configuration/nodes, reboot attributes in status/node_state/
// transient_attributes, and an operation history that matches each role
// (the last operation a promote or start, then a recurring monitor with
// rc 8 or 0). Writing the CIB is not supported.
func cibadmin(args []string, _ *invocation) (func(*state.State) reply, *reply) {
	opts, bad := parseLong("cibadmin", args, map[string]bool{"scope": true}, nil)
	if bad != nil {
		return nil, bad
	}
	query, scope := false, ""
	for _, o := range opts {
		switch o.name {
		case "query":
			query = true
		case "local", "sync-call":
		case "scope":
			scope = o.value
		default:
			return nil, usagep("cibadmin: fakecrm: option --%s not supported", o.name)
		}
	}
	if !query {
		return nil, usagep("cibadmin: fakecrm: only --query is supported")
	}
	switch scope {
	case "", "configuration", "nodes", "resources", "constraints", "crm_config", "status":
	default:
		r := reply{stderr: "Call cib_query failed (-6): No such device or address\n", exit: exitNoSuch}
		return nil, &r
	}
	return func(s *state.State) reply {
		cib := renderCIB(s, len(s.Calls))
		el := cib
		if scope != "" {
			el = cib.FindElement("//" + scope)
		}
		doc := etree.NewDocument()
		doc.SetRoot(el)
		doc.Indent(2)
		out, _ := doc.WriteToString()
		return reply{stdout: out}
	}, nil
}

func renderCIB(s *state.State, updates int) *etree.Element {
	cib := etree.NewElement("cib")
	dc := ""
	for _, n := range s.Nodes {
		if n.Online {
			dc = n.NodeID()
			break
		}
	}
	attrs(cib, "crm_feature_set", "3.16.1", "validate-with", "pacemaker-3.9", "epoch", "1",
		"num_updates", strconv.Itoa(updates), "admin_epoch", "0", "have-quorum", "1", "dc-uuid", dc)

	conf := cib.CreateElement("configuration")
	conf.CreateElement("crm_config")
	nodes := conf.CreateElement("nodes")
	for _, n := range s.Nodes {
		el := nodes.CreateElement("node")
		attrs(el, "id", n.NodeID(), "uname", n.Name)
		nvpairs(el, "instance_attributes", "nodes-"+n.NodeID(), n.Forever)
	}
	res := conf.CreateElement("resources")
	for _, r := range s.Resources {
		parent := res
		if r.Clone != "" {
			parent = res.CreateElement("clone")
			parent.CreateAttr("id", r.Clone)
			nvpairs(parent, "meta_attributes", r.Clone+"-meta_attributes",
				map[string]string{"promotable": "true", "notify": "true", "promoted-max": "1"})
		}
		class, provider, typ := splitAgent(r.Agent)
		p := parent.CreateElement("primitive")
		attrs(p, "id", r.ID, "class", class, "provider", provider, "type", typ)
	}
	conf.CreateElement("constraints")

	status := cib.CreateElement("status")
	for _, n := range s.Nodes {
		ns := status.CreateElement("node_state")
		if n.Online {
			attrs(ns, "id", n.NodeID(), "uname", n.Name, "in_ccm", "true", "crmd", "online",
				"join", "member", "expected", "member")
		} else {
			attrs(ns, "id", n.NodeID(), "uname", n.Name, "in_ccm", "false", "crmd", "offline",
				"join", "down", "expected", "down")
			continue
		}
		if len(n.Reboot) > 0 {
			ta := ns.CreateElement("transient_attributes")
			ta.CreateAttr("id", n.NodeID())
			nvpairs(ta, "instance_attributes", "status-"+n.NodeID(), n.Reboot)
		}
		lrm := ns.CreateElement("lrm")
		lrm.CreateAttr("id", n.NodeID())
		lrs := lrm.CreateElement("lrm_resources")
		call := 10
		for _, r := range s.Resources {
			role, ok := r.Roles[n.Name]
			if !ok {
				continue
			}
			class, provider, typ := splitAgent(r.Agent)
			lr := lrs.CreateElement("lrm_resource")
			attrs(lr, "id", r.ID, "type", typ, "class", class, "provider", provider)
			last, rc, interval := "start", "0", "4000"
			if role == state.RolePromoted {
				last, rc, interval = "promote", "8", "3000"
			}
			call++
			op(lr, r.ID+"_last_0", r.ID+"_"+last+"_0", last, "0", "0", n.Name, call)
			call++
			op(lr, r.ID+"_monitor_"+interval, r.ID+"_monitor_"+interval, "monitor", interval, rc, n.Name, call)
		}
	}
	return cib
}

func op(parent *etree.Element, id, key, operation, interval, rc, node string, call int) {
	attrs(parent.CreateElement("lrm_rsc_op"), "id", id, "operation_key", key, "operation", operation,
		"crm_feature_set", "3.16.1", "on_node", node, "call-id", strconv.Itoa(call), "rc-code", rc,
		"op-status", "0", "interval", interval)
}

// nvpairs adds <tag id=setID> with one nvpair per entry, ids as Pacemaker
// forms them (<set id>-<name>), in name order; nothing when m is empty.
func nvpairs(parent *etree.Element, tag, setID string, m map[string]string) {
	if len(m) == 0 {
		return
	}
	set := parent.CreateElement(tag)
	set.CreateAttr("id", setID)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		attrs(set.CreateElement("nvpair"), "id", setID+"-"+strings.TrimPrefix(k, "#"), "name", k, "value", m[k])
	}
}

func splitAgent(agent string) (class, provider, typ string) {
	parts := strings.Split(agent, ":")
	switch len(parts) {
	case 3:
		return parts[0], parts[1], parts[2]
	case 2:
		return parts[0], "", parts[1]
	default:
		return "ocf", "heartbeat", "pgsql"
	}
}
