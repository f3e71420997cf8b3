// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"

	"github.com/pgrex/pgrex/test/fakecrm/state"
)

// crmAttribute impersonates crm_attribute for node attributes: --query,
// --update and --delete of one attribute (--name, or --promotion for the
// promotion score master-<rsc>) on one node (--node, default the local
// node) in one lifetime (--lifetime, or the legacy --type=status|nodes;
// default forever, reboot with --promotion).
func crmAttribute(args []string, inv *invocation) (func(*state.State) reply, *reply) {
	opts, bad := parseLong("crm_attribute", args,
		map[string]bool{"node": true, "name": true, "lifetime": true, "update": true, "type": true},
		map[string]bool{"promotion": true})
	if bad != nil {
		return nil, bad
	}
	var (
		node, name, value, lifetime, mode string
		quiet, promotion                  bool
	)
	setMode := func(m string) *reply {
		if mode != "" && mode != m {
			return usagep("crm_attribute: only one of --query, --update and --delete may be given")
		}
		mode = m
		return nil
	}
	for _, o := range opts {
		var r *reply
		switch o.name {
		case "node":
			node = o.value
		case "name":
			name = o.value
		case "lifetime":
			lifetime = o.value
		case "type":
			switch o.value {
			case "status":
				lifetime = string(state.Reboot)
			case "nodes":
				lifetime = string(state.Forever)
			default:
				return nil, usagep("crm_attribute: fakecrm: --type=%s not supported (only node attributes are)", o.value)
			}
		case "promotion":
			promotion = true
			rsc := o.value
			if !o.hasValue {
				return nil, usagep("crm_attribute: fakecrm: give the resource as --promotion=<rsc>")
			}
			name = "master-" + rsc
		case "update":
			value = o.value
			r = setMode("update")
		case "query":
			r = setMode("query")
		case "delete":
			r = setMode("delete")
		case "quiet":
			quiet = true
		default:
			return nil, usagep("crm_attribute: fakecrm: option --%s not supported", o.name)
		}
		if r != nil {
			return nil, r
		}
	}
	if mode == "" {
		return nil, usagep("crm_attribute: fakecrm: one of --query, --update or --delete is required")
	}
	if name == "" {
		return nil, usagep("crm_attribute: fakecrm: --name (or --promotion) is required")
	}
	if lifetime == "" {
		lifetime = string(state.Forever)
		if promotion {
			lifetime = string(state.Reboot)
		}
	}
	lt := state.Lifetime(lifetime)
	if lt != state.Reboot && lt != state.Forever {
		r := reply{stderr: "crm_attribute: Error performing operation: No message of desired type\n", exit: exitType}
		return nil, &r
	}
	if node == "" {
		// Like the real tool, default to the local node.
		if inv.node == "" {
			r := reply{stderr: "crm_attribute: Could not connect to the controller: Connection refused\n", exit: exitNotConn}
			return nil, &r
		}
		node = inv.node
	}

	return func(s *state.State) reply {
		n := s.Node(node)
		if n == nil {
			return reply{stderr: fmt.Sprintf("crm_attribute: Could not map name=%s to a UUID\n", node), exit: exitNoSuch}
		}
		scope, setID := "nodes", "nodes-"+n.NodeID()
		if lt == state.Reboot {
			scope, setID = "status", "status-"+n.NodeID()
		}
		switch mode {
		case "query":
			v, ok := s.Attr(node, name, lt)
			if !ok {
				return reply{stderr: "crm_attribute: Error performing operation: No such device or address\n", exit: exitNoSuch}
			}
			if quiet {
				return reply{stdout: v + "\n"}
			}
			return reply{stdout: fmt.Sprintf("scope=%s  name=%s value=%s\n", scope, name, v)}
		case "update":
			if err := s.SetAttr(node, name, value, lt); err != nil {
				return reply{stderr: "crm_attribute: " + err.Error() + "\n", exit: exitError}
			}
			return reply{}
		default: // delete; deleting an absent attribute succeeds silently
			if s.DeleteAttr(node, name, lt) && !quiet && lt == state.Forever {
				// Forever deletes go to the CIB, which reports them;
				// reboot ones go through attrd, which does not.
				return reply{stdout: fmt.Sprintf("Deleted %s attribute: id=%s-%s name=%s\n", scope, setID, name, name)}
			}
			return reply{}
		}
	}, nil
}
