// SPDX-License-Identifier: Apache-2.0

package crmgen

import (
	"strconv"
	"strings"
)

// crmFromPcs turns a pcs sheet into the crm model, so that crmsh users get
// the configuration of a PG-REX 12+ sheet in the layout pm_crmgen's output
// has always had. A promotable clone is written `clone … meta
// promotable=true`, which crmsh 4.4 and 5 both load (crmsh 5 has no `ms`).
// What crm cannot say is a warning: ADDITIONAL_CONFIG holds pcs commands,
// and crmsh numbers fencing levels itself.
func crmFromPcs(s *pcsSheet, d *diags) *config {
	c := &config{byID: map[string]*resource{}}
	for _, n := range s.nodes {
		cn := &clusterNode{uname: n.uname}
		addPairs(cn.attrs.get("attributes"), n.attrs)
		addPairs(cn.attrs.get("utilization"), n.util)
		c.nodes = append(c.nodes, cn)
	}
	addPairs(c.options.get("property"), s.property)
	addPairs(c.options.get("rsc_defaults"), s.rscDefaults)
	addPairs(c.options.get("op_defaults"), s.opDefaults)

	made := map[*pcsResource]*resource{}
	for _, p := range s.resources {
		r := &resource{id: p.id, created: p.rec}
		switch p.kind {
		case pcsKindPrimitive, pcsKindStonith:
			r.kind, r.class, r.provider, r.raType = kindPrimitive, p.class, p.provider, p.agent
			if p.kind == pcsKindStonith {
				r.class, r.provider = "stonith", ""
			}
			addPairs(r.attrs.get("params"), p.options)
			addPairs(r.attrs.get("meta"), p.meta)
			addPairs(r.attrs.get("utilization"), p.util)
			for _, o := range p.ops {
				op := &operation{name: o.name}
				for _, a := range o.attrs {
					if a.name == "role" {
						if role, ok := pcsRole(a.value); ok {
							a.value = role
						}
					}
					op.attrs = append(op.attrs, a)
				}
				if o.attr("interval") == "" && o.name == "monitor" {
					// pcs's default, as in the CIB output.
					op.attrs = append(op.attrs, nv{name: "interval", value: "60s"})
				}
				r.ops = append(r.ops, op)
			}
		case pcsKindGroup:
			r.kind = kindGroup
			addPairs(r.attrs.get("meta"), p.meta)
		case pcsKindClone, pcsKindPromotable:
			r.kind = kindClone
			meta := r.attrs.get("meta")
			if p.kind == pcsKindPromotable && !hasNV(p.meta, "promotable") {
				meta.add("promotable", "true", p.rec)
			}
			addPairs(meta, p.meta)
		}
		if p.parent != nil {
			r.parent = made[p.parent]
			r.parent.children = append(r.parent.children, r)
		}
		made[p] = r
		c.resources = append(c.resources, r)
		c.byID[r.id] = r
	}

	// crmsh reads a rule's value and a node name as one bare word: a
	// value with white space in it cannot be said in crm at all.
	bare := func(rec int, what, v string) {
		if strings.ContainsAny(v, " \t\n") {
			d.rec = rec
			d.errAt("%s %q: crm cannot hold a value with white space here (crmsh reads one bare word): use --format cib or pcs", what, v)
		}
	}
	for _, l := range s.locNodes {
		bare(l.rec, "LOCATION_NODE node", l.node)
		score := l.score
		if l.avoids {
			score = negateScore(score)
		}
		c.locExperts = append(c.locExperts, &locExpert{rsc: l.rsc, rules: []*exRule{{
			score: score, created: l.rec, exprs: []expression{{attribute: "#uname", op: "eq", value: l.node}},
		}}})
	}
	for _, lr := range s.locRules {
		// One constraint per rule, as in the CIB: Pacemaker 3 drops a
		// constraint's second top-level rule.
		for _, rule := range lr.rules {
			x := &exRule{score: rule.score, boolOp: rule.boolOp, role: rule.role, created: rule.rec}
			for _, e := range rule.exprs {
				bare(rule.rec, "LOCATION_RULE attribute", e.attribute)
				bare(rule.rec, "LOCATION_RULE value", e.value)
				x.exprs = append(x.exprs, expression(e))
			}
			c.locExperts = append(c.locExperts, &locExpert{rsc: lr.rsc, rules: []*exRule{x}})
		}
	}
	for _, x := range s.colocations {
		c.colocations = append(c.colocations, &colocation{rsc: x.rsc, withRsc: x.withRsc, score: x.score,
			rscRole: x.rscRole, withRscRole: x.withRscRole, rec: x.rec})
	}
	for _, x := range s.orders {
		kind := x.kind
		if kind == "" {
			kind = "Mandatory"
		}
		c.orders = append(c.orders, &order{first: x.first, then: x.then, score: kind,
			firstAction: x.firstAction, thenAction: x.thenAction, symmetrical: x.symmetrical, rec: x.rec})
	}
	// crmsh's fencing_topology numbers a node's levels 1, 2, … in order;
	// a sheet that skips a number gets renumbered, which is said.
	next := map[string]int{}
	seen := map[string]string{}
	for _, l := range sortedLevels(s.levels) {
		if seen[l.node] != l.level {
			next[l.node]++
			seen[l.node] = l.level
		}
		if want := strconv.Itoa(next[l.node]); want != l.level {
			d.rec = l.rec
			d.warn("STONITH_LEVEL %s level %s: crm numbers a node's levels from 1 without gaps: it becomes level %s", l.node, l.level, want)
		}
		c.fencing = append(c.fencing, fencingLevel{node: l.node, rsc: l.id, index: strconv.Itoa(next[l.node])})
	}
	for _, a := range s.alerts {
		al := &alert{path: a.path}
		addPairs(al.attrs.get("attributes"), a.options)
		addPairs(al.attrs.get("meta"), a.meta)
		for _, r := range a.recipients {
			rc := &recipient{value: r.value}
			addPairs(rc.attrs.get("attributes"), r.options)
			addPairs(rc.attrs.get("meta"), r.meta)
			al.recipients = append(al.recipients, rc)
		}
		c.alerts = append(c.alerts, al)
	}
	for _, x := range s.extra {
		d.rec = x.rec
		d.warn("ADDITIONAL_CONFIG: not in the crm output: it holds pcs commands; say the same in crm syntax, or use --format pcs: %s", x.value)
	}
	return c
}

func addPairs(b *attrBlock, pairs []nv) {
	for _, p := range pairs {
		b.add(p.name, p.value, p.rec)
	}
}
