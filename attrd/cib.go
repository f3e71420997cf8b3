// SPDX-License-Identifier: Apache-2.0

package attrd

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/beevik/etree"
)

// ParseCIB reads `cibadmin --query` (the whole CIB) into a Cluster that
// knows membership and attributes only (Cluster.MembershipOnly): every node
// of <configuration><nodes> with its forever attributes, and from <status>
// whether it is online and its reboot attributes. Resource roles are not
// read: they are the scheduler's conclusions from the operation history,
// and only crm_mon (Snapshot) gives them.
//
// Online is the scheduler's own rule for a cluster node (Pacemaker's
// lib/pengine/unpack.c, determine_online_status), which reads four
// node_state fields and two attributes; the CIB spells them two ways:
//   - in_ccm: "true"/"false" before Pacemaker 2.1.7, since then the time the
//     node became a member or "0"; missing: never seen;
//   - crmd: "online"/"offline" before 2.1.7, since then a time or "0";
//   - join: member, pending, down, banned, nack;
//   - the shutdown attribute (a shutdown is under way when it is set and
//     not "0") and the fencing-enabled cluster option (stonith-enabled before
//     Pacemaker 3.0.2; default true).
//
// With fencing a member is online even while the scheduler is about to
// fence it (crm_mon then prints online="true" unclean="true"); a node
// shutting down is online while its controller runs. Without fencing a node
// is online when it is a member, its controller runs and it has joined.
// Unclean, Pending and Standby are crm_mon's and stay unset here.
func ParseCIB(b []byte) (*Cluster, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		return nil, fmt.Errorf("parsing the CIB: %w: %w", errUnreadableStatus, err)
	}
	root := doc.Root()
	if root == nil || root.Tag != "cib" {
		return nil, fmt.Errorf("parsing the CIB: %w: no <cib> element", ErrNoStatus)
	}
	conf := root.SelectElement("configuration")
	var nodesEl *etree.Element
	if conf != nil {
		nodesEl = conf.SelectElement("nodes")
	}
	status := root.SelectElement("status")
	if nodesEl == nil || status == nil {
		// The same guard as ParseCrmMon's: an answer without nodes is a
		// CIB that could not be read, not a cluster without members.
		return nil, fmt.Errorf("parsing the CIB: %w: no <configuration><nodes> or <status> section", ErrNoStatus)
	}

	c := &Cluster{MembershipOnly: true}
	stonith := true
	if conf != nil {
		if cc := conf.SelectElement("crm_config"); cc != nil {
			if v, ok := nvpair(cc, "cluster_property_set", OptFencingEnabled); ok {
				stonith = IsTrue(v)
			} else if v, ok := nvpair(cc, "cluster_property_set", OptStonithEnabled); ok {
				stonith = IsTrue(v)
			}
			if v, ok := nvpair(cc, "cluster_property_set", "maintenance-mode"); ok {
				c.Summary.MaintenanceMode = IsTrue(v)
			}
		}
	}
	c.Summary.StonithEnabled = &stonith

	byID, byName := map[string]int{}, map[string]int{}
	for _, el := range nodesEl.SelectElements("node") {
		id, name := el.SelectAttrValue("id", ""), el.SelectAttrValue("uname", "")
		if id == "" || name == "" {
			continue
		}
		typ := el.SelectAttrValue("type", "member")
		if typ == "normal" {
			typ = "member" // Pacemaker 1.1's spelling
		}
		n := Node{Name: name, ID: id, Type: typ, AttrsKnown: true}
		for _, set := range el.SelectElements("instance_attributes") {
			readNVPairs(set, &n.Attrs)
		}
		i, dup := byID[id]
		if !dup {
			i, dup = byName[name]
		}
		if dup {
			// The last entry wins, as in crm_mon's listing.
			delete(byName, c.Nodes[i].Name)
			delete(byID, c.Nodes[i].ID)
			c.Nodes[i] = n
		} else {
			i = len(c.Nodes)
			c.Nodes = append(c.Nodes, n)
		}
		byID[id], byName[name] = i, i
	}
	if dc := root.SelectAttrValue("dc-uuid", ""); dc != "" {
		if i, ok := byID[dc]; ok {
			c.Summary.DC = c.Nodes[i].Name
		}
	}

	for _, st := range status.SelectElements("node_state") {
		i, ok := byID[st.SelectAttrValue("id", "")]
		if !ok {
			continue // a node not in the configuration: crm_mon lists none either
		}
		n := &c.Nodes[i]
		var transient map[string]string
		if ta := st.SelectElement("transient_attributes"); ta != nil {
			for _, set := range ta.SelectElements("instance_attributes") {
				readNVPairs(set, &transient)
			}
		}
		for k, v := range transient {
			// A reboot attribute hides a forever one of the same name,
			// as in the scheduler.
			if n.Attrs == nil {
				n.Attrs = map[string]string{}
			}
			n.Attrs[k] = v
		}
		shutdown := transient["shutdown"]
		n.Online = cibOnline(st, stonith, shutdown != "" && shutdown != "0")
	}
	for i := range c.Nodes {
		hideInternalAttrs(c.Nodes[i].Attrs)
	}
	return c, nil
}

// cibOnline is the scheduler's online rule for one node_state (see
// ParseCIB).
func cibOnline(st *etree.Element, stonith, shuttingDown bool) bool {
	member := cibMemberSince(st.SelectAttr("in_ccm"))
	online := cibOnlineSince(st.SelectAttrValue("crmd", ""))
	if !stonith {
		return member > 0 && online > 0 && strings.EqualFold(st.SelectAttrValue("join", ""), "member")
	}
	if shuttingDown {
		return online > 0
	}
	return member > 0
}

// cibMemberSince reads in_ccm: -1 when missing or unreadable, 0 when not a
// member, else positive.
func cibMemberSince(a *etree.Attr) int64 {
	if a == nil {
		return -1
	}
	switch strings.ToLower(a.Value) {
	case "true", "yes", "on", "y", "1":
		return 1
	case "false", "no", "off", "n", "0":
		return 0
	}
	v, err := strconv.ParseInt(a.Value, 10, 64)
	if err != nil || v < 0 {
		return -1
	}
	return v
}

// cibOnlineSince reads crmd: 0 when offline, missing or unreadable, else
// positive.
func cibOnlineSince(s string) int64 {
	switch strings.ToLower(s) {
	case "", "offline":
		return 0
	case "online":
		return 1
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return 0
	}
	return v
}

// readNVPairs adds the set's nvpairs to *m.
func readNVPairs(set *etree.Element, m *map[string]string) {
	for _, p := range set.SelectElements("nvpair") {
		name := p.SelectAttrValue("name", "")
		if name == "" {
			continue
		}
		if *m == nil {
			*m = map[string]string{}
		}
		(*m)[name] = p.SelectAttrValue("value", "")
	}
}

// nvpair finds the first nvpair called name in parent's sets of the given
// tag.
func nvpair(parent *etree.Element, tag, name string) (string, bool) {
	for _, set := range parent.SelectElements(tag) {
		for _, p := range set.SelectElements("nvpair") {
			if p.SelectAttrValue("name", "") == name {
				return p.SelectAttrValue("value", ""), true
			}
		}
	}
	return "", false
}

// hideInternalAttrs drops what crm_mon does not print either (see
// Node.Attrs), so both snapshots answer Attr alike.
func hideInternalAttrs(m map[string]string) {
	for k := range m {
		if CrmMonHides(k) {
			delete(m, k)
		}
	}
}
