// SPDX-License-Identifier: Apache-2.0

package status

import (
	"slices"
	"strings"

	"github.com/beevik/etree"

	"github.com/pgrex/pgrex/attrd"
)

// Busy is an action under way on a resource of the PG-REX set: the cluster
// has not settled while one is listed.
type Busy struct {
	Resource string `json:"resource"`
	Node     string `json:"node,omitempty"`
	// Action is the transitional role crm_mon prints ("Starting",
	// "Stopping", "Promoting", …) or the pending operation ("Promoting").
	Action string `json:"action"`
}

// settledRoles are the roles a resource instance rests in.
var settledRoles = []attrd.Role{attrd.RoleStopped, attrd.RoleStarted, attrd.RoleUnpromoted, attrd.RolePromoted}

// rscEl is one <resource> element of crm_mon's report with its containers.
type rscEl struct {
	id, group, clone, agent string
	role                    attrd.Role
	pending                 string
	active                  bool
	nodes                   []string
}

func walkResources(parent *etree.Element, group, clone string, out *[]rscEl) {
	for _, el := range parent.ChildElements() {
		switch el.Tag {
		case "clone":
			walkResources(el, group, el.SelectAttrValue("id", ""), out)
		case "group":
			walkResources(el, el.SelectAttrValue("id", ""), clone, out)
		case "bundle", "replica":
			walkResources(el, group, clone, out)
		case "resource":
			r := rscEl{id: attrd.StripInstance(el.SelectAttrValue("id", "")), group: group, clone: clone,
				agent: el.SelectAttrValue("resource_agent", ""), role: attrd.ParseRole(el.SelectAttrValue("role", "")),
				pending: el.SelectAttrValue("pending", ""), active: isTrue(el.SelectAttrValue("active", ""))}
			for _, n := range el.SelectElements("node") {
				if name := n.SelectAttrValue("name", ""); name != "" {
					r.nodes = append(r.nodes, name)
				}
			}
			*out = append(*out, r)
		}
	}
}

// parseBusy lists the PG-REX resources with an action under way. The
// PG-REX set is the pgsql primitive and its clone, every VIP (by the
// configured ids or an IPaddr agent), and every resource sharing a group
// with one of those (PG-REX's master-group). An instance is busy when
// crm_mon prints a transitional role for it (Pacemaker 2.1 prints
// role="Starting" while a start runs) or a pending operation on a node it
// is active on. A pending "Monitoring" is not counted: a monitor changes
// nothing, and Pacemaker leaves a never-completed recurring monitor
// recorded as pending after the resource stopped (the switchover
// captures in test/fixtures show one), which would never clear.
func (m *Model) parseBusy(root *etree.Element) {
	res := root.SelectElement("resources")
	if res == nil {
		return
	}
	var all []rscEl
	walkResources(res, "", "", &all)
	core := func(r rscEl) bool {
		return r.id == m.Resource || (m.Clone != "" && r.clone == m.Clone) || strings.Contains(r.agent, "IPaddr") ||
			r.id == m.VIPPrimary || r.id == m.VIPReplication || r.id == m.VIPStandby
	}
	var groups []string
	for _, r := range all {
		if r.group != "" && core(r) && !slices.Contains(groups, r.group) {
			groups = append(groups, r.group)
		}
	}
	for _, r := range all {
		if !core(r) && (r.group == "" || !slices.Contains(groups, r.group)) {
			continue
		}
		action := ""
		switch {
		case !slices.Contains(settledRoles, r.role):
			action = string(r.role)
		case r.pending != "" && r.pending != "Monitoring" && (r.active || len(r.nodes) > 0):
			action = r.pending
		}
		if action == "" {
			continue
		}
		if len(r.nodes) == 0 {
			m.Busy = append(m.Busy, Busy{Resource: r.id, Action: action})
		}
		for _, n := range r.nodes {
			m.Busy = append(m.Busy, Busy{Resource: r.id, Node: n, Action: action})
		}
	}
}
