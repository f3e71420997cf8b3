// SPDX-License-Identifier: Apache-2.0

package crmgen

import (
	"strconv"
	"strings"

	"github.com/beevik/etree"
)

// cibSchema is the validate-with of the written CIB: the schema of
// Pacemaker 2.1.0, the first with the Promoted/Unpromoted role names, which
// both 2.1 and 3.x load (3.x upgrades it on the first write).
const cibSchema = "pacemaker-3.7"

// renderCIB writes a pcs sheet as a whole CIB document with an empty status
// section, loadable with `cibadmin --replace --xml-file` or `pcs cluster
// cib-push`. Element ids are the ones pcs would give (a resource's sets are
// <id>-instance_attributes, its operations <id>-<action>-interval-<interval>,
// a location by node location-<rsc>-<node>-<score>, …), so that the
// operator's later pcs commands and the manual's procedures find them.
func renderCIB(s *pcsSheet) []byte {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	cib := doc.CreateElement("cib")
	cib.CreateAttr("validate-with", cibSchema)
	cib.CreateAttr("epoch", "1")
	cib.CreateAttr("num_updates", "0")
	cib.CreateAttr("admin_epoch", "0")
	conf := cib.CreateElement("configuration")
	ids := idSet{}

	cc := conf.CreateElement("crm_config")
	if len(s.property) > 0 {
		nvset(cc, "cluster_property_set", "cib-bootstrap-options", s.property, ids)
	}
	conf.CreateElement("nodes")
	resources := conf.CreateElement("resources")
	for _, top := range cibTopOrder(s) {
		cibResource(resources, top, ids)
	}
	constraints := conf.CreateElement("constraints")
	for _, l := range s.locNodes {
		score := l.score
		if l.avoids {
			score = negateScore(score)
		}
		el := constraints.CreateElement("rsc_location")
		el.CreateAttr("id", ids.unique(sanitizeID("location-"+l.rsc+"-"+l.node+"-"+score)))
		el.CreateAttr("rsc", l.rsc)
		el.CreateAttr("node", l.node)
		el.CreateAttr("score", score)
	}
	for _, lr := range s.locRules {
		for _, rule := range lr.rules {
			// One constraint per rule: Pacemaker 3 drops the second and
			// later top-level rules of a location constraint (field-2026.md
			// §3). The role goes on the constraint, where the schema
			// defines it; a rule's own role is kept only for compatibility.
			el := constraints.CreateElement("rsc_location")
			id := ids.unique(sanitizeID("location-" + lr.rsc))
			el.CreateAttr("id", id)
			el.CreateAttr("rsc", lr.rsc)
			if rule.role != "" {
				el.CreateAttr("role", rule.role)
			}
			re := el.CreateElement("rule")
			rid := ids.unique(id + "-rule")
			re.CreateAttr("id", rid)
			if len(rule.exprs) > 1 {
				re.CreateAttr("boolean-op", rule.boolOp)
			}
			re.CreateAttr("score", rule.score)
			for _, e := range rule.exprs {
				ee := re.CreateElement("expression")
				ee.CreateAttr("id", ids.unique(rid+"-expr"))
				ee.CreateAttr("attribute", e.attribute)
				ee.CreateAttr("operation", e.op)
				if e.op != "defined" && e.op != "not_defined" {
					ee.CreateAttr("value", e.value)
				}
			}
		}
	}
	for _, c := range s.colocations {
		el := constraints.CreateElement("rsc_colocation")
		el.CreateAttr("id", ids.unique(sanitizeID("colocation-"+c.rsc+"-"+c.withRsc+"-"+c.score)))
		el.CreateAttr("rsc", c.rsc)
		optAttr(el, "rsc-role", c.rscRole)
		el.CreateAttr("with-rsc", c.withRsc)
		optAttr(el, "with-rsc-role", c.withRscRole)
		el.CreateAttr("score", c.score)
	}
	for _, o := range s.orders {
		suffix := "mandatory"
		if o.kind != "" {
			suffix = o.kind
		}
		el := constraints.CreateElement("rsc_order")
		el.CreateAttr("id", ids.unique(sanitizeID("order-"+o.first+"-"+o.then+"-"+suffix)))
		el.CreateAttr("first", o.first)
		optAttr(el, "first-action", o.firstAction)
		el.CreateAttr("then", o.then)
		optAttr(el, "then-action", o.thenAction)
		optAttr(el, "kind", o.kind)
		optAttr(el, "symmetrical", o.symmetrical)
	}
	if len(s.levels) > 0 {
		ft := conf.CreateElement("fencing-topology")
		for _, l := range s.levels {
			el := ft.CreateElement("fencing-level")
			el.CreateAttr("id", ids.unique(sanitizeID("fl-"+l.node+"-"+l.level)))
			el.CreateAttr("target", l.node)
			el.CreateAttr("index", l.level)
			el.CreateAttr("devices", l.id)
		}
	}
	if len(s.rscDefaults) > 0 {
		nvset(conf.CreateElement("rsc_defaults"), "meta_attributes", "rsc_defaults-meta_attributes", s.rscDefaults, ids)
	}
	if len(s.opDefaults) > 0 {
		nvset(conf.CreateElement("op_defaults"), "meta_attributes", "op_defaults-meta_attributes", s.opDefaults, ids)
	}
	if len(s.alerts) > 0 {
		al := conf.CreateElement("alerts")
		for i, a := range s.alerts {
			id := "alert_" + strconv.Itoa(i+1)
			el := al.CreateElement("alert")
			el.CreateAttr("id", ids.unique(id))
			el.CreateAttr("path", a.path)
			alertSets(el, id, a.options, a.meta, ids)
			for _, r := range a.recipients {
				re := el.CreateElement("recipient")
				rid := ids.unique(id + "-recipient")
				re.CreateAttr("id", rid)
				re.CreateAttr("value", r.value)
				alertSets(re, rid, r.options, r.meta, ids)
			}
		}
	}
	cib.CreateElement("status")
	doc.Indent(2)
	out, _ := doc.WriteToBytes() // writing to memory cannot fail
	return out
}

func alertSets(el *etree.Element, id string, options, meta []nv, ids idSet) {
	if len(meta) > 0 {
		nvset(el, "meta_attributes", ids.unique(id+"-meta_attributes"), meta, ids)
	}
	if len(options) > 0 {
		nvset(el, "instance_attributes", ids.unique(id+"-instance_attributes"), options, ids)
	}
}

// cibTopOrder lists the top-level resources in the order pcs leaves them
// when it runs pm_pcsgen's commands: primitives are created first in sheet
// order, stonith resources after them, and a group or clone takes its
// place once its last member has been created.
func cibTopOrder(s *pcsSheet) []*pcsResource {
	var leaves []*pcsResource
	for _, kind := range []string{pcsKindPrimitive, pcsKindStonith} {
		for _, r := range s.resources {
			if r.kind == kind {
				leaves = append(leaves, r)
			}
		}
	}
	last := map[*pcsResource]*pcsResource{} // top-level resource → its last leaf
	for _, l := range leaves {
		last[l.top()] = l
	}
	var out []*pcsResource
	for _, l := range leaves {
		if t := l.top(); last[t] == l {
			out = append(out, t)
		}
	}
	return out
}

func (r *pcsResource) top() *pcsResource {
	for r.parent != nil {
		r = r.parent
	}
	return r
}

// cibResource writes r and what it holds under parent.
func cibResource(parent *etree.Element, r *pcsResource, ids idSet) {
	switch r.kind {
	case pcsKindPrimitive, pcsKindStonith:
		el := parent.CreateElement("primitive")
		el.CreateAttr("id", ids.unique(r.id))
		if r.kind == pcsKindStonith {
			el.CreateAttr("class", "stonith")
		} else {
			el.CreateAttr("class", r.class)
			if r.provider != "" {
				el.CreateAttr("provider", r.provider)
			}
		}
		el.CreateAttr("type", r.agent)
		if len(r.options) > 0 {
			nvset(el, "instance_attributes", ids.unique(r.id+"-instance_attributes"), r.options, ids)
		}
		if len(r.meta) > 0 {
			nvset(el, "meta_attributes", ids.unique(r.id+"-meta_attributes"), r.meta, ids)
		}
		if len(r.util) > 0 {
			nvset(el, "utilization", ids.unique(r.id+"-utilization"), r.util, ids)
		}
		if len(r.ops) > 0 {
			ops := el.CreateElement("operations")
			for _, o := range r.ops {
				oe := ops.CreateElement("op")
				interval := o.attr("interval")
				if interval == "" {
					// pcs's default: a monitor without an interval is
					// every 60 s, anything else is not recurring.
					interval = "0s"
					if o.name == "monitor" {
						interval = "60s"
					}
				}
				oe.CreateAttr("id", ids.unique(sanitizeID(r.id+"-"+o.name+"-interval-"+interval)))
				oe.CreateAttr("name", o.name)
				oe.CreateAttr("interval", interval)
				for _, a := range o.attrs {
					switch a.name {
					case "interval":
					case "role":
						role, _ := pcsRole(a.value)
						if role == "" {
							role = a.value
						}
						oe.CreateAttr("role", role)
					default:
						oe.CreateAttr(a.name, a.value)
					}
				}
			}
		}
	case pcsKindGroup:
		el := parent.CreateElement("group")
		el.CreateAttr("id", ids.unique(r.id))
		for _, c := range r.children {
			cibResource(el, c, ids)
		}
		if len(r.meta) > 0 {
			nvset(el, "meta_attributes", ids.unique(r.id+"-meta_attributes"), r.meta, ids)
		}
	case pcsKindClone, pcsKindPromotable:
		el := parent.CreateElement("clone")
		el.CreateAttr("id", ids.unique(r.id))
		for _, c := range r.children {
			cibResource(el, c, ids)
		}
		meta := r.meta
		if r.kind == pcsKindPromotable && !hasNV(meta, "promotable") {
			meta = append([]nv{{name: "promotable", value: "true"}}, meta...)
		}
		if len(meta) > 0 {
			nvset(el, "meta_attributes", ids.unique(r.id+"-meta_attributes"), meta, ids)
		}
	}
}

// optAttr sets an attribute the sheet may leave empty, only when it is set.
func optAttr(el *etree.Element, name, value string) {
	if value != "" {
		el.CreateAttr(name, value)
	}
}

func hasNV(list []nv, name string) bool {
	for _, p := range list {
		if p.name == name {
			return true
		}
	}
	return false
}

// nvset writes <tag id=id> with one nvpair per pair, ids <set id>-<name>.
func nvset(parent *etree.Element, tag, id string, pairs []nv, ids idSet) {
	set := parent.CreateElement(tag)
	set.CreateAttr("id", id)
	for _, p := range pairs {
		e := set.CreateElement("nvpair")
		e.CreateAttr("id", ids.unique(sanitizeID(id+"-"+p.name)))
		e.CreateAttr("name", p.name)
		e.CreateAttr("value", p.value)
	}
}

// idSet hands out unique XML ids the way pcs does: a taken id gets "-1",
// "-2", … appended.
type idSet map[string]bool

func (s idSet) unique(id string) string {
	cand := id
	for n := 1; s[cand]; n++ {
		cand = id + "-" + strconv.Itoa(n)
	}
	s[cand] = true
	return cand
}

// sanitizeID makes an XML id the way pcs does: the first character is
// dropped when it cannot start a name, and characters that cannot appear
// in one are removed.
func sanitizeID(id string) string {
	var b strings.Builder
	for i, r := range id {
		letter := r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r > 0x7f
		if letter || i > 0 && (r == '-' || r == '.' || r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// negateScore is the score of "avoids" for a "prefers" score.
func negateScore(s string) string {
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		return rest
	}
	return "-" + strings.TrimPrefix(s, "+")
}
