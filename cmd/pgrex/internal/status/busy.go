// SPDX-License-Identifier: Apache-2.0

package status

import (
	"slices"

	"github.com/beevik/etree"

	"github.com/pgrex/pgrex/attrd"
)

// Busy is an action under way on a resource: the cluster has not settled
// while one is listed.
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
	id      string
	role    attrd.Role
	pending string
	active  bool
	nodes   []string
}

func walkResources(parent *etree.Element, out *[]rscEl) {
	for _, el := range parent.ChildElements() {
		switch el.Tag {
		case "clone", "group", "bundle", "replica":
			walkResources(el, out)
		case "resource":
			r := rscEl{id: attrd.StripInstance(el.SelectAttrValue("id", "")), role: attrd.ParseRole(el.SelectAttrValue("role", "")),
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

// parseBusy lists the resources with an action under way. Every resource
// counts, not only the PG-REX set (pgsql, its clone, the VIPs): a node that
// has just rejoined starts its ping, disk-check and fencing resources too,
// and PG-REX's location rule keeps pgsql off a node until its ping has
// reported, so the cluster has not settled while any of them starts. An
// instance is busy when crm_mon prints a transitional role for it
// (Pacemaker 2.1 prints role="Starting" while a start runs) or a pending
// operation on a node it is active on, the first recurring monitor after
// a start included: until it reports, Pacemaker has not seen the resource
// run, and a check made then can still see the monitor pending. A pending
// operation of an instance that is active nowhere is not counted:
// Pacemaker leaves a never-completed recurring monitor recorded as pending
// after the resource stopped (the switchover captures in test/fixtures show one), and it
// would never clear.
func (m *Model) parseBusy(root *etree.Element) {
	res := root.SelectElement("resources")
	if res == nil {
		return
	}
	var all []rscEl
	walkResources(res, &all)
	for _, r := range all {
		action := ""
		switch {
		case !slices.Contains(settledRoles, r.role):
			action = string(r.role)
		case r.pending != "" && (r.active || len(r.nodes) > 0):
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
