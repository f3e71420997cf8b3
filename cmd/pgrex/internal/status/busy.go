// SPDX-License-Identifier: Apache-2.0

package status

import (
	"slices"

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

// busy lists the resources with an action under way. Every resource
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
func busy(instances []attrd.Instance) []Busy {
	var out []Busy
	for _, in := range instances {
		action := ""
		switch {
		case !slices.Contains(settledRoles, in.Role):
			action = string(in.Role)
		case in.Pending != "" && (in.Active || len(in.Nodes) > 0):
			action = in.Pending
		}
		if action == "" {
			continue
		}
		if len(in.Nodes) == 0 {
			out = append(out, Busy{Resource: in.Resource, Action: action})
		}
		for _, n := range in.Nodes {
			out = append(out, Busy{Resource: in.Resource, Node: n, Action: action})
		}
	}
	return out
}
