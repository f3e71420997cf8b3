// SPDX-License-Identifier: Apache-2.0

// Package status turns one crm_mon XML report into the PG-REX picture of a
// cluster — per node: the manual's cluster state (Master, Slave, OUS,
// NONE, UNCLEAN), pgsql-status, pgsql-data-status, promotion score, VIPs,
// fail counts; cluster-wide: failed actions, move/ban constraints, fencing
// history — and diagnoses it: which row of the PG-REX manual's fault tables
// (attribute table 5-5, fault list 5-7, the procedures of chapters 4–6)
// the cluster is in, and the documented next steps.
//
// The crm_mon XML is read once, by attrd.ParseCrmMon (the one crm_mon
// model); FromCluster builds the PG-REX view from it. Parse runs nothing
// and Diagnose is a pure function of the Model, so both are tested on
// captured crm_mon output (test/fixtures). text.go renders the report and
// the diagnosis for people (Report is the --json shape).
package status

import (
	"slices"
	"strings"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/lockfile"
	"github.com/pgrex/pgrex/ra/ocf"
)

// Options names the resources and attributes to look at. Zero values take
// the defaults of toolsconf (pgsql, vip-master, vip-rep, vip-slave,
// default_ping_set, diskcheck_status_internal/diskcheck_status).
type Options struct {
	// Resource is the pgsql primitive id. When the default "pgsql" is not
	// in the cluster but exactly one resource runs a pgsql agent, that one
	// is used (PG-REX 9.1 named it "postgresql").
	Resource string
	// Clone is the promotable clone; "" = the clone holding Resource.
	Clone string
	// The VIPs of PG-REX: service (primary), replication, read-only (standby).
	VIPPrimary, VIPReplication, VIPStandby string
	// PingAttribute is the ping resource's node attribute (0 = lost).
	PingAttribute string
	// DiskAttributes are diskd attributes (ERROR = failed).
	DiskAttributes []string
	// LocalNode is the node the command runs on ("" = unknown).
	LocalNode string
}

func (o *Options) defaults() {
	if o.Resource == "" {
		o.Resource = "pgsql"
	}
	if o.VIPPrimary == "" {
		o.VIPPrimary = "vip-master"
	}
	if o.VIPReplication == "" {
		o.VIPReplication = "vip-rep"
	}
	if o.VIPStandby == "" {
		o.VIPStandby = "vip-slave"
	}
	if o.PingAttribute == "" {
		o.PingAttribute = "default_ping_set"
	}
	if o.DiskAttributes == nil {
		o.DiskAttributes = []string{"diskcheck_status_internal", "diskcheck_status"}
	}
}

// State is a node's cluster state as the PG-REX manual (5.2) defines it.
type State string

// The manual's cluster states.
const (
	StateMaster  State = "Master"  // pgsql runs Promoted here
	StateSlave   State = "Slave"   // pgsql runs Unpromoted here
	StateOUS     State = "OUS"     // in the cluster, pgsql not running (failure detected)
	StateNone    State = "NONE"    // not in the cluster (Pacemaker stopped)
	StateUnclean State = "UNCLEAN" // left abnormally, or waiting to be fenced
)

// Model is the PG-REX view of one crm_mon report.
type Model struct {
	Resource string `json:"resource"`
	Clone    string `json:"clone,omitempty"`
	// VIP ids by PG-REX role, as configured.
	VIPPrimary     string   `json:"vip_primary"`
	VIPReplication string   `json:"vip_replication"`
	VIPStandby     string   `json:"vip_standby"`
	PingAttribute  string   `json:"-"`
	DiskAttributes []string `json:"-"`

	DC              string `json:"dc,omitempty"`
	StonithEnabled  *bool  `json:"stonith_enabled,omitempty"`
	MaintenanceMode bool   `json:"maintenance_mode"`
	// ResourceUnmanaged is set when the pgsql resource is not managed.
	ResourceUnmanaged bool `json:"resource_unmanaged,omitempty"`

	Nodes    []Node    `json:"nodes"`
	Failures []Failure `json:"failures,omitempty"`
	// Degraded are the results crm_mon lists among the failed actions
	// that are not failures: OCF 1.1's degraded (190) and degraded
	// promoted (191, the agent's degraded_promoted). Pacemaker recovers
	// nothing for them and keeps the record until a cleanup.
	Degraded []Failure    `json:"degraded,omitempty"`
	Bans     []Ban        `json:"bans,omitempty"`
	Fencing  []FenceEvent `json:"fencing,omitempty"`
	// Resources lists every other resource instance (VIPs, ping, STONITH…).
	Resources []Resource `json:"resources,omitempty"`
	// Busy lists the resources with an action under way (empty
	// once the cluster has settled).
	Busy []Busy `json:"busy,omitempty"`
}

// Node is one node's PG-REX picture.
type Node struct {
	Name        string `json:"name"`
	Local       bool   `json:"local,omitempty"`
	Online      bool   `json:"online"`
	Standby     bool   `json:"standby,omitempty"`
	Maintenance bool   `json:"maintenance,omitempty"`
	Unclean     bool   `json:"unclean,omitempty"`
	Pending     bool   `json:"pending,omitempty"`
	Health      string `json:"health,omitempty"`
	State       State  `json:"state"`
	// Role is pgsql's role here (Promoted, Unpromoted, Stopped, …).
	Role attrd.Role `json:"role"`
	// AttrsKnown is false for an offline node: crm_mon shows no
	// attributes for it (DataStatus may still come from the CIB).
	AttrsKnown  bool   `json:"attrs_known"`
	PgsqlStatus string `json:"pgsql_status,omitempty"`
	DataStatus  string `json:"data_status,omitempty"`
	// DataStatusFrom says where DataStatus came from when it was not in
	// crm_mon's report ("cib" for an offline node's forever attribute).
	DataStatusFrom string `json:"data_status_from,omitempty"`
	Score          string `json:"score,omitempty"`
	Baseline       string `json:"master_baseline,omitempty"`
	XlogLoc        string `json:"xlog_loc,omitempty"`
	XlogTLI        string `json:"xlog_tli,omitempty"`
	// VIPs are the IP address resources running here.
	VIPs       []string    `json:"vips,omitempty"`
	FailCounts []FailCount `json:"fail_counts,omitempty"`
	// WasPrimary: the operation history shows pgsql promoted (or
	// reported promoted) here, so it holds PGSQL.lock.
	WasPrimary bool `json:"was_primary,omitempty"`
	// Lock is PGSQL.lock on the local node, when the caller read it.
	Lock *lockfile.Info `json:"lock,omitempty"`
	// Attrs are all node attributes crm_mon showed.
	Attrs map[string]string `json:"attributes,omitempty"`
}

// Failure is one failed action, as attrd reads it from crm_mon.
type Failure = attrd.Failure

// FailCount is a resource's fail count on a node.
type FailCount struct {
	Resource    string `json:"resource"`
	Count       string `json:"count"`
	LastFailure string `json:"last_failure,omitempty"`
}

// Ban is a negative location constraint crm_mon lists (crm_resource
// --ban/--move leave "cli-ban-…" ones).
type Ban = attrd.Ban

// FenceEvent is one entry of the fencing history.
type FenceEvent = attrd.FenceEvent

// Resource is a resource instance other than pgsql.
type Resource struct {
	ID     string     `json:"id"`
	Agent  string     `json:"agent"`
	Role   attrd.Role `json:"role"`
	Nodes  []string   `json:"nodes,omitempty"`
	Failed bool       `json:"failed,omitempty"`
	VIP    bool       `json:"vip,omitempty"`
}

// Node returns the named node.
func (m *Model) Node(name string) (*Node, bool) {
	for i := range m.Nodes {
		if m.Nodes[i].Name == name {
			return &m.Nodes[i], true
		}
	}
	return nil, false
}

// LocalNode returns the node the command runs on, if known.
func (m *Model) LocalNode() (*Node, bool) {
	for i := range m.Nodes {
		if m.Nodes[i].Local {
			return &m.Nodes[i], true
		}
	}
	return nil, false
}

// Parse reads crm_mon XML (Pacemaker 2.x `--output-as=xml`, or 1.1
// `--as-xml`) with node attributes and fail counts: attrd.ParseCrmMon
// reads it, once, and FromCluster builds the PG-REX view.
func Parse(xml []byte, o Options) (*Model, error) {
	c, err := attrd.ParseCrmMon(xml)
	if err != nil {
		return nil, err
	}
	return FromCluster(c, o), nil
}

// FromCluster builds the PG-REX view of one crm_mon report.
func FromCluster(c *attrd.Cluster, o Options) *Model {
	o.defaults()
	m := &Model{Resource: o.Resource, Clone: o.Clone, VIPPrimary: o.VIPPrimary, VIPReplication: o.VIPReplication,
		VIPStandby: o.VIPStandby, PingAttribute: o.PingAttribute, DiskAttributes: o.DiskAttributes,
		DC: c.Summary.DC, StonithEnabled: c.Summary.StonithEnabled, MaintenanceMode: c.Summary.MaintenanceMode,
		Bans: c.Bans, Fencing: c.Fencing}
	for _, f := range c.Failures {
		if rc := ocf.Status(f.ExitCode); rc == ocf.Degraded || rc == ocf.DegradedPromoted {
			m.Degraded = append(m.Degraded, f)
		} else {
			m.Failures = append(m.Failures, f)
		}
	}
	m.pickResource(c)

	names := attrd.Names{Resource: m.Resource}
	for _, cn := range c.Nodes {
		n := Node{Name: cn.Name, Local: cn.Name == o.LocalNode, Online: cn.Online, Standby: cn.Standby,
			Maintenance: cn.Maintenance, Unclean: cn.Unclean, Pending: cn.Pending, Health: cn.Health,
			AttrsKnown: cn.AttrsKnown, Attrs: cn.Attrs}
		n.Role = c.RoleOn(m.Resource, cn.Name)
		n.PgsqlStatus = cn.Attrs[names.Status()]
		n.DataStatus = cn.Attrs[names.DataStatus()]
		n.Baseline = cn.Attrs[names.MasterBaseline()]
		n.XlogLoc = cn.Attrs[names.XlogLoc()]
		n.XlogTLI = cn.Attrs[names.XlogTLI()]
		n.Score, _ = c.PromotionScore(m.Resource, cn.Name)
		if n.Score == "" {
			// Pacemaker 1.1 names the score after the instance
			// (master-pgsql:0) for anonymous clones in some versions.
			for k, v := range cn.Attrs {
				if strings.HasPrefix(k, attrd.PromotionScoreName(m.Resource)+":") {
					n.Score = v
				}
			}
		}
		m.Nodes = append(m.Nodes, n)
	}

	for _, in := range c.Instances {
		if in.Resource == m.Resource || (m.Clone != "" && in.Clone == m.Clone) {
			if !in.Managed {
				m.ResourceUnmanaged = true
			}
			continue
		}
		r := Resource{ID: in.Resource, Agent: in.Agent, Role: in.Role, Nodes: in.Nodes, Failed: in.Failed,
			VIP: strings.Contains(in.Agent, "IPaddr") || in.Resource == m.VIPPrimary ||
				in.Resource == m.VIPReplication || in.Resource == m.VIPStandby}
		m.Resources = append(m.Resources, r)
		if !r.VIP || !in.Active {
			continue
		}
		for _, name := range in.Nodes {
			if n, ok := m.Node(name); ok && !slices.Contains(n.VIPs, r.ID) {
				n.VIPs = append(n.VIPs, r.ID)
			}
		}
	}

	m.readHistory(c.History)
	m.Busy = busy(c.Instances)
	for i := range m.Nodes {
		m.Nodes[i].State = stateOf(&m.Nodes[i])
	}
	return m
}

// pickResource settles the pgsql primitive and its clone.
func (m *Model) pickResource(c *attrd.Cluster) {
	has := func(rsc string) bool {
		for _, in := range c.Instances {
			if in.Resource == rsc {
				return true
			}
		}
		return false
	}
	if !has(m.Resource) {
		var found []string
		for _, in := range c.Instances {
			if strings.HasSuffix(in.Agent, ":pgsql") && !slices.Contains(found, in.Resource) {
				found = append(found, in.Resource)
			}
		}
		if len(found) == 1 {
			m.Resource = found[0]
		}
	}
	if m.Clone == "" {
		for _, in := range c.Instances {
			if in.Resource == m.Resource && in.Clone != "" {
				m.Clone = in.Clone
				break
			}
		}
	}
}

func stateOf(n *Node) State {
	switch {
	case n.Unclean:
		return StateUnclean
	case !n.Online:
		return StateNone
	case n.Role == attrd.RolePromoted:
		return StateMaster
	case n.Role == attrd.RoleUnpromoted || n.Role == attrd.RoleStarted:
		return StateSlave
	}
	return StateOUS
}

// readHistory takes the fail counts and whether pgsql was primary on a
// node from the operation history.
func (m *Model) readHistory(hist []attrd.NodeHistory) {
	for _, h := range hist {
		n, ok := m.Node(h.Node)
		if !ok {
			continue
		}
		for _, rh := range h.Resources {
			if rh.FailCount != "" && rh.FailCount != "0" {
				n.FailCounts = append(n.FailCounts, FailCount{Resource: rh.Resource, Count: rh.FailCount,
					LastFailure: rh.LastFailure})
			}
			if rh.Resource != m.Resource {
				continue
			}
			for _, op := range rh.Ops {
				if op.RC == "8" || (op.Task == "promote" && op.RC == "0") {
					n.WasPrimary = true
				}
			}
		}
	}
}
