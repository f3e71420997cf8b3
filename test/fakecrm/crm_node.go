// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"strings"

	"github.com/pgrex/pgrex/test/fakecrm/state"
)

// crmNode impersonates crm_node's read-only commands: --name (the local
// node, $PGREX_FAKECRM_NODE), --cluster-id, --list ("<id> <name>
// member|lost" per node), --partition (the online nodes) and --quorum.
// The one-letter forms -n, -i, -l, -p and -q are accepted too: `crm_node
// -n` is how the shell agent and the PG-REX tools ask.
func crmNode(args []string, inv *invocation) (func(*state.State) reply, *reply) {
	if len(args) != 1 {
		return nil, usagep("crm_node: fakecrm: give exactly one of --name, --cluster-id, --list, --partition, --quorum")
	}
	cmd := map[string]string{"-n": "name", "--name": "name", "-i": "cluster-id", "--cluster-id": "cluster-id",
		"-l": "list", "--list": "list", "-p": "partition", "--partition": "partition", "-q": "quorum", "--quorum": "quorum"}[args[0]]
	if cmd == "" {
		return nil, usagep("crm_node: fakecrm: option %q not supported", args[0])
	}
	return func(s *state.State) reply {
		switch cmd {
		case "name", "cluster-id":
			n := s.Node(inv.node)
			if inv.node == "" || n == nil {
				return reply{stderr: "error: Could not connect to controller: Connection refused\n", exit: exitNotConn}
			}
			if cmd == "name" {
				return reply{stdout: n.Name + "\n"}
			}
			return reply{stdout: n.NodeID() + "\n"}
		case "list":
			var b strings.Builder
			for _, n := range s.Nodes {
				st := "lost"
				if n.Online {
					st = "member"
				}
				fmt.Fprintf(&b, "%d %s %s\n", n.ID, n.Name, st)
			}
			return reply{stdout: b.String()}
		case "partition":
			var names []string
			for _, n := range s.Nodes {
				if n.Online {
					names = append(names, n.Name)
				}
			}
			return reply{stdout: strings.Join(names, " ") + "\n"}
		default: // quorum: a strict majority of the nodes is online
			online := 0
			for _, n := range s.Nodes {
				if n.Online {
					online++
				}
			}
			if 2*online > len(s.Nodes) {
				return reply{stdout: "1\n"}
			}
			return reply{stdout: "0\n"}
		}
	}, nil
}
