// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/beevik/etree"
)

// Cluster is what `crm_mon -1 -A -f --output-as=xml` says about the lab.
//
// It is deliberately a second reading of crm_mon, apart from the one model
// in attrd (docs/design.md, "test/e2e"): the cluster suite judges the agent
// and the tools, and a judge that shared their parser would share its
// mistakes.
type Cluster struct {
	DC         string
	Online     map[string]bool
	Attrs      map[string]map[string]string // node -> attribute -> value
	Promoted   []string                     // nodes where the pgsql clone is promoted
	Unpromoted []string                     // nodes where it runs unpromoted
	Started    map[string][]string          // primitive id -> nodes where it is Started
	Pending    []string                     // "rsc@node: pending action" or transitional roles
	FailCount  map[string]map[string]int    // node -> resource -> fail-count
	Failures   []string                     // "node op_key rc=…"
	Bans       []string                     // ban constraint ids
}

// ParseCrmMon reads crm_mon's XML output.
func ParseCrmMon(xml []byte) (*Cluster, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(xml); err != nil {
		return nil, fmt.Errorf("crm_mon XML: %w", err)
	}
	root := doc.SelectElement("pacemaker-result")
	if root == nil {
		return nil, fmt.Errorf("crm_mon XML: no pacemaker-result element")
	}
	c := &Cluster{
		Online:    map[string]bool{},
		Attrs:     map[string]map[string]string{},
		Started:   map[string][]string{},
		FailCount: map[string]map[string]int{},
	}
	if dc := root.FindElement("summary/current_dc"); dc != nil && dc.SelectAttrValue("present", "") == "true" {
		c.DC = dc.SelectAttrValue("name", "")
	}
	for _, n := range root.FindElements("nodes/node") {
		// a Corosync member whose Pacemaker is not running is "online" but "pending"
		c.Online[n.SelectAttrValue("name", "")] = n.SelectAttrValue("online", "") == "true" &&
			n.SelectAttrValue("pending", "") != "true"
	}
	// resources: primitives at top level, in groups and in clones
	for _, r := range root.FindElements("resources//resource") {
		id := r.SelectAttrValue("id", "")
		role := r.SelectAttrValue("role", "")
		nodes := []string{}
		for _, n := range r.SelectElements("node") {
			nodes = append(nodes, n.SelectAttrValue("name", ""))
		}
		// A stopped instance can keep a stale recorded-pending monitor
		// (record-pending); only what runs somewhere counts as pending.
		if p := r.SelectAttrValue("pending", ""); p != "" && len(nodes) > 0 {
			c.Pending = append(c.Pending, fmt.Sprintf("%s@%s: %s", id, strings.Join(nodes, ","), p))
		}
		switch role {
		case "Starting", "Stopping", "Promoting", "Demoting", "Migrating":
			c.Pending = append(c.Pending, fmt.Sprintf("%s@%s: %s", id, strings.Join(nodes, ","), role))
		}
		if id == "pgsql" {
			switch role {
			case "Promoted":
				c.Promoted = append(c.Promoted, nodes...)
			case "Unpromoted":
				c.Unpromoted = append(c.Unpromoted, nodes...)
			}
			continue
		}
		if role == "Started" && r.SelectAttrValue("failed", "") != "true" {
			c.Started[id] = append(c.Started[id], nodes...)
		}
	}
	for _, n := range root.FindElements("node_attributes/node") {
		m := map[string]string{}
		for _, a := range n.SelectElements("attribute") {
			m[a.SelectAttrValue("name", "")] = a.SelectAttrValue("value", "")
		}
		c.Attrs[n.SelectAttrValue("name", "")] = m
	}
	for _, n := range root.FindElements("node_history/node") {
		node := n.SelectAttrValue("name", "")
		for _, rh := range n.SelectElements("resource_history") {
			fc := rh.SelectAttrValue("fail-count", "")
			if fc == "" {
				continue
			}
			v, err := strconv.Atoi(fc)
			if fc == "INFINITY" {
				v, err = 1000000, nil
			}
			if err != nil {
				continue
			}
			if c.FailCount[node] == nil {
				c.FailCount[node] = map[string]int{}
			}
			c.FailCount[node][rh.SelectAttrValue("id", "")] = v
		}
	}
	for _, f := range root.FindElements("failures/failure") {
		c.Failures = append(c.Failures, fmt.Sprintf("%s %s rc=%s", f.SelectAttrValue("node", ""),
			f.SelectAttrValue("op_key", ""), f.SelectAttrValue("exitcode", "")))
	}
	for _, b := range root.FindElements("bans/ban") {
		c.Bans = append(c.Bans, b.SelectAttrValue("id", ""))
	}
	return c, nil
}

// Attr returns a node attribute ("" when absent).
func (c *Cluster) Attr(node, name string) string { return c.Attrs[node][name] }

// Triple is the manual's view of a node: pgsql-status/pgsql-data-status/master-pgsql,
// with "-" for an absent attribute (e.g. "PRI/LATEST/1000").
func (c *Cluster) Triple(node string) string {
	v := func(n string) string {
		if s, ok := c.Attrs[node][n]; ok {
			return s
		}
		return "-"
	}
	return v("pgsql-status") + "/" + v("pgsql-data-status") + "/" + v("master-pgsql")
}

// On reports whether primitive rsc is Started on node (and only there).
func (c *Cluster) On(rsc, node string) bool {
	n := c.Started[rsc]
	return len(n) == 1 && n[0] == node
}

// Where is the comma-separated list of nodes rsc is Started on ("-" if none).
func (c *Cluster) Where(rsc string) string {
	if len(c.Started[rsc]) == 0 {
		return "-"
	}
	return strings.Join(c.Started[rsc], ",")
}

// Settled is true when no action is pending.
func (c *Cluster) Settled() bool { return len(c.Pending) == 0 }

// Healthy reports the PG-REX steady state: one primary PRI/LATEST/1000 with
// vip-master and vip-rep, one sync standby HS:sync/STREAMING|SYNC/100 with
// vip-slave, both online, nothing pending.
func (c *Cluster) Healthy() (primary, standby string, ok bool) {
	if len(c.Promoted) != 1 || len(c.Unpromoted) != 1 || !c.Settled() {
		return "", "", false
	}
	p, s := c.Promoted[0], c.Unpromoted[0]
	ok = c.Online[p] && c.Online[s] &&
		c.Triple(p) == "PRI/LATEST/1000" && c.Triple(s) == "HS:sync/STREAMING|SYNC/100" &&
		c.On("vip-master", p) && c.On("vip-rep", p) && c.On("vip-slave", s)
	return p, s, ok
}

// String is a one-line summary for logs and failure messages.
func (c *Cluster) String() string {
	var b strings.Builder
	nodes := make([]string, 0, len(c.Online))
	for n := range c.Online {
		nodes = append(nodes, n)
	}
	sort.Strings(nodes)
	for _, n := range nodes {
		on := "online"
		if !c.Online[n] {
			on = "OFFLINE"
		}
		fmt.Fprintf(&b, "%s(%s)=%s ", n, on, c.Triple(n))
	}
	fmt.Fprintf(&b, "promoted=%s vip-master=%s vip-rep=%s vip-slave=%s",
		strings.Join(c.Promoted, ","), c.Where("vip-master"), c.Where("vip-rep"), c.Where("vip-slave"))
	for _, n := range nodes {
		if fc := c.FailCount[n]["pgsql"]; fc > 0 {
			fmt.Fprintf(&b, " fail-count(%s)=%d", n, fc)
		}
	}
	if len(c.Pending) > 0 {
		fmt.Fprintf(&b, " pending=[%s]", strings.Join(c.Pending, "; "))
	}
	return b.String()
}
