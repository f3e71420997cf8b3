// SPDX-License-Identifier: Apache-2.0

package attrd

import (
	"errors"
	"fmt"
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
// It reads three sections: <nodes> (name, id, online, standby, …),
// <resources> (every <resource> element, however deeply nested in clones,
// groups or bundles, with its role and nodes) and <node_attributes>. A
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

	c := &Cluster{}
	index := map[string]int{}
	for _, el := range nodesEl.SelectElements("node") {
		name := el.SelectAttrValue("name", "")
		if name == "" {
			continue
		}
		n := Node{
			Name:        name,
			ID:          el.SelectAttrValue("id", ""),
			Online:      isTrue(el.SelectAttrValue("online", "")),
			Standby:     isTrue(el.SelectAttrValue("standby", "")),
			Maintenance: isTrue(el.SelectAttrValue("maintenance", "")),
			Unclean:     isTrue(el.SelectAttrValue("unclean", "")),
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
		collectInstances(res, "", &c.Instances)
	}
	return c, nil
}

// collectInstances walks the resource tree depth-first. Clones, groups,
// bundles and bundle replicas are containers; every <resource> is an
// instance. clone is the id of the nearest enclosing clone.
func collectInstances(parent *etree.Element, clone string, out *[]Instance) {
	for _, el := range parent.ChildElements() {
		switch el.Tag {
		case "clone":
			collectInstances(el, el.SelectAttrValue("id", ""), out)
		case "group", "bundle", "replica":
			collectInstances(el, clone, out)
		case "resource":
			id := el.SelectAttrValue("id", "")
			in := Instance{
				ID:       id,
				Resource: StripInstance(id),
				Clone:    clone,
				Agent:    el.SelectAttrValue("resource_agent", ""),
				Role:     ParseRole(el.SelectAttrValue("role", "")),
				Active:   isTrue(el.SelectAttrValue("active", "")),
				Failed:   isTrue(el.SelectAttrValue("failed", "")),
				Managed:  isTrue(el.SelectAttrValue("managed", "true")),
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

func isTrue(s string) bool {
	switch strings.ToLower(s) {
	case "true", "yes", "1", "on":
		return true
	}
	return false
}
