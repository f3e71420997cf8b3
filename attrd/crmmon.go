// SPDX-License-Identifier: Apache-2.0

package attrd

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/beevik/etree"
)

// ErrNoStatus means crm_mon's output did not describe the cluster: it was
// not crm_mon XML, or crm_mon reported that it could not reach the cluster.
var ErrNoStatus = errors.New("no cluster status in crm_mon output")

// ParseCrmMon reads the XML of `crm_mon --output-as=xml` (Pacemaker 2.x,
// root <pacemaker-result>) or of `crm_mon -X` (Pacemaker 1.1, root
// <crm_mon>) into a Cluster. It runs nothing, so it can be tested on
// captured output.
//
// It reads every section the agent and the tools use, in one walk:
// <summary> (DC, cluster options), <nodes> (name, id, online, standby,
// pending, health, …), <resources> (every <resource> element, however
// deeply nested in clones, groups or bundles, with its role, pending
// operation and nodes), <node_attributes>, <node_history>, <failures>,
// <bans> and <fence_history>. The agent's Snapshot asks crm_mon for nodes,
// resources and attributes only; the other sections are then empty. A
// missing <nodes> section is an error rather than an empty cluster: crm_mon
// exits 0 with no sections when it could not read the CIB, and an agent
// that took that for "no master anywhere" would start an election.
func ParseCrmMon(b []byte) (*Cluster, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		return nil, fmt.Errorf("parsing crm_mon XML: %w: %w", errUnreadableStatus, err)
	}
	root := doc.Root()
	if root == nil {
		return nil, fmt.Errorf("parsing crm_mon XML: %w: empty document", ErrNoStatus)
	}
	if root.Tag != "pacemaker-result" && root.Tag != "crm_mon" {
		return nil, fmt.Errorf("parsing crm_mon XML: %w: root element is <%s>", ErrNoStatus, root.Tag)
	}
	if st := root.SelectElement("status"); st != nil {
		if code := st.SelectAttrValue("code", "0"); code != "0" {
			return nil, fmt.Errorf("crm_mon reported status %s (%s)%s: %w",
				code, st.SelectAttrValue("message", ""), statusErrors(st), ErrNoStatus)
		}
	}
	nodesEl := root.SelectElement("nodes")
	if nodesEl == nil {
		msg := "no <nodes> section"
		if st := root.SelectElement("status"); st != nil {
			msg += statusErrors(st)
		}
		return nil, fmt.Errorf("parsing crm_mon XML: %w: %s", ErrNoStatus, msg)
	}

	c := &Cluster{Summary: parseSummary(root.SelectElement("summary"))}
	index := map[string]int{}
	for _, el := range nodesEl.SelectElements("node") {
		name := el.SelectAttrValue("name", "")
		if name == "" {
			continue
		}
		n := Node{
			Name:        name,
			ID:          el.SelectAttrValue("id", ""),
			Online:      IsTrue(el.SelectAttrValue("online", "")),
			Standby:     IsTrue(el.SelectAttrValue("standby", "")),
			Maintenance: IsTrue(el.SelectAttrValue("maintenance", "")),
			Unclean:     IsTrue(el.SelectAttrValue("unclean", "")),
			Pending:     IsTrue(el.SelectAttrValue("pending", "")),
			Health:      el.SelectAttrValue("health", ""),
			Type:        el.SelectAttrValue("type", ""),
		}
		// crm_mon prints the attributes of every online node (even when
		// it has none), so for those a missing attribute is missing.
		n.AttrsKnown = n.Online
		if i, dup := index[name]; dup {
			c.Nodes[i] = n
			continue
		}
		index[name] = len(c.Nodes)
		c.Nodes = append(c.Nodes, n)
	}

	if attrs := root.SelectElement("node_attributes"); attrs != nil {
		for _, el := range attrs.SelectElements("node") {
			i, ok := index[el.SelectAttrValue("name", "")]
			if !ok {
				// Attributes of a node missing from <nodes>: we
				// cannot say whether it is online, so drop them
				// rather than invent a node.
				continue
			}
			n := &c.Nodes[i]
			n.AttrsKnown = true
			for _, a := range el.SelectElements("attribute") {
				name := a.SelectAttrValue("name", "")
				if name == "" {
					continue
				}
				if n.Attrs == nil {
					n.Attrs = map[string]string{}
				}
				n.Attrs[name] = a.SelectAttrValue("value", "")
			}
		}
	}

	if res := root.SelectElement("resources"); res != nil {
		collectInstances(res, "", "", &c.Instances)
	}
	c.History = section(root, "node_history", "node", readNodeHistory)
	c.Failures = section(root, "failures", "failure", readFailure)
	c.Bans = section(root, "bans", "ban", readBan)
	c.Fencing = section(root, "fence_history", "fence_event", readFenceEvent)
	return c, nil
}

// parseSummary reads the DC and the cluster options; sum may be nil.
func parseSummary(sum *etree.Element) Summary {
	var s Summary
	if sum == nil {
		return s
	}
	if dc := sum.SelectElement("current_dc"); dc != nil && IsTrue(dc.SelectAttrValue("present", "true")) {
		s.DC = dc.SelectAttrValue("name", "")
	}
	if opts := sum.SelectElement("cluster_options"); opts != nil {
		v := opts.SelectAttr(OptFencingEnabled)
		if v == nil {
			v = opts.SelectAttr(OptStonithEnabled)
		}
		if v != nil {
			b := IsTrue(v.Value)
			s.StonithEnabled = &b
		}
		s.MaintenanceMode = IsTrue(opts.SelectAttrValue("maintenance-mode", ""))
	}
	return s
}

// section reads every <tag> element of root's <name> section; none when
// crm_mon printed no such section (the agent's Snapshot asks for few).
func section[T any](root *etree.Element, name, tag string, read func(*etree.Element) T) []T {
	sec := root.SelectElement(name)
	if sec == nil {
		return nil
	}
	var out []T
	for _, el := range sec.SelectElements(tag) {
		out = append(out, read(el))
	}
	return out
}

// readNodeHistory reads one node of <node_history>.
func readNodeHistory(el *etree.Element) NodeHistory {
	h := NodeHistory{Node: el.SelectAttrValue("name", "")}
	for _, rh := range el.SelectElements("resource_history") {
		id := rh.SelectAttrValue("id", "")
		r := ResourceHistory{ID: id, Resource: StripInstance(id), FailCount: rh.SelectAttrValue("fail-count", ""),
			LastFailure:        rh.SelectAttrValue("last-failure", ""),
			MigrationThreshold: rh.SelectAttrValue("migration-threshold", "")}
		for _, op := range rh.SelectElements("operation_history") {
			r.Ops = append(r.Ops, Operation{Task: op.SelectAttrValue("task", ""), RC: op.SelectAttrValue("rc", "")})
		}
		h.Resources = append(h.Resources, r)
	}
	return h
}

// readFailure reads one <failure>.
func readFailure(el *etree.Element) Failure {
	f := Failure{OpKey: el.SelectAttrValue("op_key", ""), Task: el.SelectAttrValue("task", ""),
		Interval: el.SelectAttrValue("interval", ""), Node: el.SelectAttrValue("node", ""),
		ExitStatus: el.SelectAttrValue("exitstatus", ""), ExitReason: el.SelectAttrValue("exitreason", ""),
		Status: el.SelectAttrValue("status", ""), LastChange: el.SelectAttrValue("last-rc-change", "")}
	f.ExitCode, _ = strconv.Atoi(el.SelectAttrValue("exitcode", "-1"))
	f.Resource = resourceOfOpKey(f.OpKey, f.Task, f.Interval)
	return f
}

// readBan reads one <ban>.
func readBan(el *etree.Element) Ban {
	return Ban{ID: el.SelectAttrValue("id", ""), Resource: el.SelectAttrValue("resource", ""),
		Node: el.SelectAttrValue("node", ""), Weight: el.SelectAttrValue("weight", ""),
		// Pacemaker 1.1 spells it master_only.
		PromotedOnly: IsTrue(el.SelectAttrValue("promoted-only", el.SelectAttrValue("master_only", "")))}
}

// readFenceEvent reads one <fence_event>.
func readFenceEvent(el *etree.Element) FenceEvent {
	return FenceEvent{Action: el.SelectAttrValue("action", ""), Target: el.SelectAttrValue("target", ""),
		Status: el.SelectAttrValue("status", ""), Origin: el.SelectAttrValue("origin", ""),
		Completed: el.SelectAttrValue("completed", "")}
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
			return StripInstance(r)
		}
	}
	parts := strings.Split(key, "_")
	if len(parts) >= 3 {
		return StripInstance(strings.Join(parts[:len(parts)-2], "_"))
	}
	return StripInstance(key)
}

// collectInstances walks the resource tree depth-first. Clones, groups,
// bundles and bundle replicas are containers; every <resource> is an
// instance. clone and group are the ids of the nearest enclosing clone and
// group.
func collectInstances(parent *etree.Element, clone, group string, out *[]Instance) {
	for _, el := range parent.ChildElements() {
		switch el.Tag {
		case "clone":
			collectInstances(el, el.SelectAttrValue("id", ""), group, out)
		case "group":
			collectInstances(el, clone, el.SelectAttrValue("id", ""), out)
		case "bundle", "replica":
			collectInstances(el, clone, group, out)
		case "resource":
			id := el.SelectAttrValue("id", "")
			in := Instance{
				ID:       id,
				Resource: StripInstance(id),
				Clone:    clone,
				Agent:    el.SelectAttrValue("resource_agent", ""),
				Role:     ParseRole(el.SelectAttrValue("role", "")),
				Active:   IsTrue(el.SelectAttrValue("active", "")),
				Failed:   IsTrue(el.SelectAttrValue("failed", "")),
				Managed:  IsTrue(el.SelectAttrValue("managed", "true")),
				Pending:  el.SelectAttrValue("pending", ""),
				Group:    group,
			}
			for _, n := range el.SelectElements("node") {
				if name := n.SelectAttrValue("name", ""); name != "" {
					in.Nodes = append(in.Nodes, name)
				}
			}
			*out = append(*out, in)
		}
	}
}

// statusErrors renders the <errors> crm_mon attaches to its <status>, so the
// caller's log says why crm_mon could not report ("Connection refused").
func statusErrors(st *etree.Element) string {
	var msgs []string
	for _, e := range st.FindElements("errors/error") {
		if t := strings.TrimSpace(e.Text()); t != "" {
			msgs = append(msgs, t)
		}
	}
	if len(msgs) == 0 {
		return ""
	}
	return ": " + strings.Join(msgs, "; ")
}

// IsTrue reads a Pacemaker boolean as crm_mon prints it (crm_is_true's
// spellings, any case).
func IsTrue(s string) bool {
	switch strings.ToLower(s) {
	case "true", "yes", "1", "on":
		return true
	}
	return false
}
