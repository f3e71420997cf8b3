// SPDX-License-Identifier: Apache-2.0

// Package status turns one crm_mon XML report into the PG-REX picture of a
// cluster — per node: the manual's cluster state (Master, Slave, OUS,
// NONE, UNCLEAN), pgsql-status, pgsql-data-status, promotion score, VIPs,
// fail counts; cluster-wide: failed actions, move/ban constraints, fencing
// history — and diagnoses it: which row of the PG-REX manual's fault tables
// (attribute table 5-5, fault list 5-7, the procedures of chapters 4–6)
// the cluster is in, and the documented next steps.
//
// Parse runs nothing and Diagnose is a pure function of the Model, so both
// are tested on captured crm_mon output (test/fixtures).
package status

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/beevik/etree"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/lockfile"
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

	Nodes    []Node       `json:"nodes"`
	Failures []Failure    `json:"failures,omitempty"`
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

// Failure is one failed action.
type Failure struct {
	OpKey      string `json:"op_key"`
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

// FailCount is a resource's fail count on a node.
type FailCount struct {
	Resource    string `json:"resource"`
	Count       string `json:"count"`
	LastFailure string `json:"last_failure,omitempty"`
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
// `--as-xml`) with node attributes and fail counts.
func Parse(xml []byte, o Options) (*Model, error) {
	o.defaults()
	c, err := attrd.ParseCrmMon(xml)
	if err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(xml); err != nil {
		return nil, fmt.Errorf("parsing crm_mon XML: %w", err)
	}
	root := doc.Root()

	m := &Model{Resource: o.Resource, Clone: o.Clone, VIPPrimary: o.VIPPrimary, VIPReplication: o.VIPReplication,
		VIPStandby: o.VIPStandby, PingAttribute: o.PingAttribute, DiskAttributes: o.DiskAttributes}
	m.pickResource(c)

	if sum := root.SelectElement("summary"); sum != nil {
		if dc := sum.SelectElement("current_dc"); dc != nil && isTrue(dc.SelectAttrValue("present", "true")) {
			m.DC = dc.SelectAttrValue("name", "")
		}
		if opts := sum.SelectElement("cluster_options"); opts != nil {
			if v := opts.SelectAttr("stonith-enabled"); v != nil {
				b := isTrue(v.Value)
				m.StonithEnabled = &b
			}
			m.MaintenanceMode = isTrue(opts.SelectAttrValue("maintenance-mode", ""))
		}
	}

	extra := map[string]*etree.Element{}
	if ns := root.SelectElement("nodes"); ns != nil {
		for _, el := range ns.SelectElements("node") {
			extra[el.SelectAttrValue("name", "")] = el
		}
	}
	for _, cn := range c.Nodes {
		n := Node{Name: cn.Name, Local: cn.Name == o.LocalNode, Online: cn.Online, Standby: cn.Standby,
			Maintenance: cn.Maintenance, Unclean: cn.Unclean, AttrsKnown: cn.AttrsKnown, Attrs: cn.Attrs}
		if el := extra[cn.Name]; el != nil {
			n.Pending = isTrue(el.SelectAttrValue("pending", ""))
			n.Health = el.SelectAttrValue("health", "")
		}
		n.Role = c.RoleOn(m.Resource, cn.Name)
		names := attrd.Names{Resource: m.Resource}
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

	m.parseHistory(root)
	m.parseFailures(root)
	m.parseBusy(root)
	if bans := root.SelectElement("bans"); bans != nil {
		for _, el := range bans.SelectElements("ban") {
			m.Bans = append(m.Bans, Ban{ID: el.SelectAttrValue("id", ""), Resource: el.SelectAttrValue("resource", ""),
				Node: el.SelectAttrValue("node", ""), Weight: el.SelectAttrValue("weight", ""),
				PromotedOnly: isTrue(el.SelectAttrValue("promoted-only", el.SelectAttrValue("master_only", "")))})
		}
	}
	if fh := root.SelectElement("fence_history"); fh != nil {
		for _, el := range fh.SelectElements("fence_event") {
			m.Fencing = append(m.Fencing, FenceEvent{Action: el.SelectAttrValue("action", ""), Target: el.SelectAttrValue("target", ""),
				Status: el.SelectAttrValue("status", ""), Origin: el.SelectAttrValue("origin", ""),
				Completed: el.SelectAttrValue("completed", "")})
		}
	}
	for i := range m.Nodes {
		m.Nodes[i].State = stateOf(&m.Nodes[i])
	}
	return m, nil
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

// parseHistory reads fail counts and whether pgsql was primary on a node.
func (m *Model) parseHistory(root *etree.Element) {
	nh := root.SelectElement("node_history")
	if nh == nil {
		return
	}
	for _, nel := range nh.SelectElements("node") {
		n, ok := m.Node(nel.SelectAttrValue("name", ""))
		if !ok {
			continue
		}
		for _, rh := range nel.SelectElements("resource_history") {
			rsc := attrd.StripInstance(rh.SelectAttrValue("id", ""))
			if fc := rh.SelectAttrValue("fail-count", ""); fc != "" && fc != "0" {
				n.FailCounts = append(n.FailCounts, FailCount{Resource: rsc, Count: fc,
					LastFailure: rh.SelectAttrValue("last-failure", "")})
			}
			if rsc != m.Resource {
				continue
			}
			for _, op := range rh.SelectElements("operation_history") {
				rc := op.SelectAttrValue("rc", "")
				if rc == "8" || (op.SelectAttrValue("task", "") == "promote" && rc == "0") {
					n.WasPrimary = true
				}
			}
		}
	}
}

func (m *Model) parseFailures(root *etree.Element) {
	fs := root.SelectElement("failures")
	if fs == nil {
		return
	}
	for _, el := range fs.SelectElements("failure") {
		f := Failure{OpKey: el.SelectAttrValue("op_key", ""), Task: el.SelectAttrValue("task", ""),
			Interval: el.SelectAttrValue("interval", ""), Node: el.SelectAttrValue("node", ""),
			ExitStatus: el.SelectAttrValue("exitstatus", ""), ExitReason: el.SelectAttrValue("exitreason", ""),
			Status: el.SelectAttrValue("status", ""), LastChange: el.SelectAttrValue("last-rc-change", "")}
		f.ExitCode, _ = strconv.Atoi(el.SelectAttrValue("exitcode", "-1"))
		f.Resource = resourceOfOpKey(f.OpKey, f.Task, f.Interval)
		m.Failures = append(m.Failures, f)
	}
}

// resourceOfOpKey strips "_<task>_<interval>" from an operation key
// ("vip-master_monitor_10000" → "vip-master"); resource ids may contain
// underscores, so the known task and interval are what is cut.
func resourceOfOpKey(key, task, interval string) string {
	if task != "" {
		if interval == "" {
			interval = "0"
		}
		if r, ok := strings.CutSuffix(key, "_"+task+"_"+interval); ok && r != "" {
			return attrd.StripInstance(r)
		}
	}
	parts := strings.Split(key, "_")
	if len(parts) >= 3 {
		return attrd.StripInstance(strings.Join(parts[:len(parts)-2], "_"))
	}
	return attrd.StripInstance(key)
}

func isTrue(s string) bool {
	switch strings.ToLower(s) {
	case "true", "yes", "1", "on":
		return true
	}
	return false
}
