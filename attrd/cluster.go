// SPDX-License-Identifier: Apache-2.0

package attrd

import (
	"slices"
	"strings"
)

// Role is the role Pacemaker reports for a resource instance. Pacemaker 2.1
// says Promoted/Unpromoted where 1.1 and 2.0 said Master/Slave; ParseRole
// maps both spellings onto the same constants so callers never compare
// strings.
type Role string

// The roles the agent distinguishes. Pacemaker may report others
// (Starting, Migrating, Unknown, …); ParseRole keeps those verbatim.
const (
	RoleStopped    Role = "Stopped"
	RoleStarted    Role = "Started"
	RoleUnpromoted Role = "Unpromoted"
	RolePromoted   Role = "Promoted"
	// RoleUnknown is RoleOn's answer from a snapshot without roles
	// (Cluster.MembershipOnly): not Stopped, so a rule that frees what
	// a stopped member holds keeps it.
	RoleUnknown Role = "Unknown"
)

// ParseRole normalises a role name as crm_mon prints it. "Master" becomes
// RolePromoted and "Slave" RoleUnpromoted, because a cluster upgraded from
// Pacemaker 1.1 must not look master-less to the agent; matching is
// case-insensitive for the same reason. Unknown names are returned as given.
func ParseRole(s string) Role {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "promoted", "master":
		return RolePromoted
	case "unpromoted", "slave":
		return RoleUnpromoted
	case "started":
		return RoleStarted
	case "stopped", "":
		return RoleStopped
	default:
		return Role(s)
	}
}

// Cluster is what one Snapshot saw: the cluster's nodes and the resource
// instances with their roles. Its methods are safe on a nil *Cluster (they
// report "nothing known"), so a caller that failed to take a snapshot cannot
// panic by accident.
type Cluster struct {
	// Summary is crm_mon's <summary>: the DC and the cluster options.
	Summary Summary
	// Nodes in the order Pacemaker listed them.
	Nodes []Node
	// Instances are the resource instances (one per clone instance), in
	// the order Pacemaker listed them.
	Instances []Instance
	// History is crm_mon's <node_history>, per node in its order: fail
	// counts and the operations each resource ran there.
	History []NodeHistory
	// Failures are the failed actions (<failures>).
	Failures []Failure
	// Bans are the negative location constraints crm_mon lists (<bans>).
	Bans []Ban
	// Fencing is the fencing history (<fence_history>).
	Fencing []FenceEvent
	// MembershipOnly: read from the CIB (ParseCIB), which knows the
	// nodes, whether they are online and their attributes, but no roles,
	// history or failures. RoleOn then answers RoleUnknown and
	// PromotedNodes nothing; Cache.Cluster never returns such a snapshot.
	MembershipOnly bool
}

// Summary is what crm_mon's <summary> says about the cluster as a whole.
type Summary struct {
	// DC is the designated controller's node name; "" when there is none.
	DC string
	// StonithEnabled is the fencing-enabled cluster option (OptFencingEnabled,
	// or OptStonithEnabled when that is not set); nil when
	// crm_mon did not print it.
	StonithEnabled *bool
	// MaintenanceMode is the maintenance-mode cluster option.
	MaintenanceMode bool
}

// Node is one cluster node as Pacemaker sees it.
type Node struct {
	Name        string
	ID          string
	Online      bool
	Standby     bool
	Maintenance bool
	Unclean     bool
	// Pending: the node is joining the cluster and not yet a full member.
	Pending bool
	// Health is the node-health colour crm_mon prints ("green", "yellow",
	// "red"); "" when it prints none (Pacemaker 1.1).
	Health string
	// Type is "member", "remote" or "ping".
	Type string
	// AttrsKnown is false when the snapshot cannot tell this node's
	// attributes: crm_mon prints attributes of online nodes only, so an
	// offline node's forever attributes (its <rsc>-data-status) are unknown
	// here and must be read with CRM.Get if needed. Its reboot attributes
	// do not exist: Pacemaker erases them when a node leaves.
	AttrsKnown bool
	// Attrs maps attribute name to value, both lifetimes merged. When an
	// attribute exists in both lifetimes Pacemaker shows the reboot one
	// (the agent never uses one name in both). Pacemaker-internal
	// attributes (#…, fail-count-…, last-failure-…, standby, shutdown,
	// terminate) are hidden by crm_mon and therefore absent.
	Attrs map[string]string
}

// Instance is one instance of a resource and where it runs.
type Instance struct {
	// ID is the id crm_mon printed: "pgsql", or "pgsql:0" for unique
	// clones and for Pacemaker 1.1.
	ID string
	// Resource is ID without the clone instance suffix (":0").
	Resource string
	// Clone is the id of the enclosing clone (e.g. "msPostgresql"), or "".
	Clone string
	// Agent is the resource agent, e.g. "ocf:heartbeat:pgsql".
	Agent   string
	Role    Role
	Active  bool
	Failed  bool
	Managed bool
	// Pending is the operation crm_mon reports under way on the instance
	// ("Promoting", "Monitoring", …); "" when none.
	Pending string
	// Group is the id of the enclosing group, or "".
	Group string
	// Nodes the instance runs on: one normally, none when stopped, several
	// when Pacemaker found it active in more than one place.
	Nodes []string
}

// StripInstance removes a clone instance suffix (":0", ":12") from a
// resource id. OCF_RESOURCE_INSTANCE carries such a suffix for clone
// instances on some Pacemaker versions, while the promotion score and the
// crm_mon resource id use the bare primitive id.
func StripInstance(rsc string) string {
	i := strings.LastIndexByte(rsc, ':')
	if i < 0 || i == len(rsc)-1 {
		return rsc
	}
	for _, c := range rsc[i+1:] {
		if c < '0' || c > '9' {
			return rsc
		}
	}
	return rsc[:i]
}

// Node returns the named node.
func (c *Cluster) Node(name string) (Node, bool) {
	if c == nil {
		return Node{}, false
	}
	for _, n := range c.Nodes {
		if n.Name == name {
			return n, true
		}
	}
	return Node{}, false
}

// HasNode reports whether Pacemaker knows the node, online or not. The agent
// writes a forever data-status only for such nodes: crm_attribute would
// refuse a node it cannot map to an id, and a misspelt node_list entry
// must not fail every monitor.
func (c *Cluster) HasNode(name string) bool {
	_, ok := c.Node(name)
	return ok
}

// Online reports whether the node is a cluster member right now. Unknown
// nodes are not online.
func (c *Cluster) Online(name string) bool {
	n, ok := c.Node(name)
	return ok && n.Online
}

// NodeNames returns the names of all known nodes, in Pacemaker's order.
func (c *Cluster) NodeNames() []string {
	if c == nil {
		return nil
	}
	out := make([]string, 0, len(c.Nodes))
	for _, n := range c.Nodes {
		out = append(out, n.Name)
	}
	return out
}

// OnlineNodes returns the names of the online nodes, in Pacemaker's order.
func (c *Cluster) OnlineNodes() []string {
	if c == nil {
		return nil
	}
	var out []string
	for _, n := range c.Nodes {
		if n.Online {
			out = append(out, n.Name)
		}
	}
	return out
}

// Attr returns a node attribute's value. found is false when the node has
// no such attribute — or when the snapshot cannot know (see
// Node.AttrsKnown); use AttrKnown to tell the two apart.
func (c *Cluster) Attr(node, name string) (value string, found bool) {
	n, ok := c.Node(node)
	if !ok {
		return "", false
	}
	value, found = n.Attrs[name]
	return value, found
}

// AttrKnown reports whether the snapshot knows the node's attributes, i.e.
// whether a missing attribute really is missing.
func (c *Cluster) AttrKnown(node string) bool {
	n, ok := c.Node(node)
	return ok && n.AttrsKnown
}

// PromotionScore returns the node's promotion score for rsc (the
// master-<rsc> attribute), e.g. "1000", "100" or "-INFINITY".
func (c *Cluster) PromotionScore(rsc, node string) (string, bool) {
	return c.Attr(node, PromotionScoreName(rsc))
}

// matches reports whether the instance belongs to rsc, which may be the
// primitive id (with or without an instance suffix) or the clone id: the
// agent knows the former from OCF_RESOURCE_INSTANCE, operators the latter.
func (in Instance) matches(rsc string) bool {
	rsc = StripInstance(rsc)
	return rsc != "" && (in.Resource == rsc || in.Clone == rsc)
}

// PromotedNodes returns every node on which rsc runs as Promoted (or
// Master). More than one means Pacemaker found it active twice.
func (c *Cluster) PromotedNodes(rsc string) []string {
	if c == nil {
		return nil
	}
	var out []string
	for _, in := range c.Instances {
		if in.matches(rsc) && in.Role == RolePromoted {
			out = append(out, in.Nodes...)
		}
	}
	return out
}

// PromotedNode returns the node running rsc as Promoted, if any. This is the
// "does a primary exist" question of the standby monitor: without one, the
// standbys elect (ra/election.go).
func (c *Cluster) PromotedNode(rsc string) (string, bool) {
	nodes := c.PromotedNodes(rsc)
	if len(nodes) == 0 {
		return "", false
	}
	return nodes[0], true
}

// RoleOn returns the role of rsc on node: RoleStopped when no instance runs
// there, RolePromoted when any instance is promoted there (a node listed
// under two instances is a multi-active mess in which the promoted one is
// what matters).
func (c *Cluster) RoleOn(rsc, node string) Role {
	if c == nil {
		return RoleStopped
	}
	if c.MembershipOnly {
		return RoleUnknown
	}
	role := RoleStopped
	for _, in := range c.Instances {
		if !in.matches(rsc) || !slices.Contains(in.Nodes, node) {
			continue
		}
		if in.Role == RolePromoted {
			return RolePromoted
		}
		if role == RoleStopped {
			role = in.Role
		}
	}
	return role
}

// NodeHistory is one node's part of crm_mon's <node_history>.
type NodeHistory struct {
	Node      string
	Resources []ResourceHistory
}

// ResourceHistory is one resource's history on a node.
type ResourceHistory struct {
	// ID is the id crm_mon printed ("pgsql:0" on Pacemaker 1.1);
	// Resource is ID without the clone instance suffix.
	ID       string
	Resource string
	// FailCount is "fail-count" ("" or "0" when the resource never
	// failed there), LastFailure "last-failure".
	FailCount   string
	LastFailure string
	// MigrationThreshold is "migration-threshold" ("" when not printed).
	MigrationThreshold string
	// Ops are the operations recorded, in crm_mon's order.
	Ops []Operation
}

// Operation is one entry of a resource's operation history.
type Operation struct {
	Task string
	// RC is the OCF exit code as crm_mon printed it ("0", "8", …).
	RC string
}

// Failure is one failed action of crm_mon's <failures>. The JSON names are
// `pgrex status --json`'s (docs/operations.md).
type Failure struct {
	OpKey string `json:"op_key"`
	// Resource is OpKey without "_<task>_<interval>" and without a clone
	// instance suffix.
	Resource   string `json:"resource"`
	Task       string `json:"task"`
	Interval   string `json:"interval,omitempty"`
	Node       string `json:"node"`
	ExitCode   int    `json:"exit_code"`
	ExitStatus string `json:"exit_status,omitempty"`
	ExitReason string `json:"exit_reason,omitempty"`
	Status     string `json:"status,omitempty"`
	LastChange string `json:"last_change,omitempty"`
}

// Ban is a negative location constraint crm_mon lists (crm_resource
// --ban/--move leave "cli-ban-…" ones).
type Ban struct {
	ID           string `json:"id"`
	Resource     string `json:"resource"`
	Node         string `json:"node"`
	Weight       string `json:"weight"`
	PromotedOnly bool   `json:"promoted_only,omitempty"`
}

// FenceEvent is one entry of the fencing history.
type FenceEvent struct {
	Action    string `json:"action"`
	Target    string `json:"target"`
	Status    string `json:"status"`
	Origin    string `json:"origin,omitempty"`
	Completed string `json:"completed,omitempty"`
}
