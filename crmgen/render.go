// SPDX-License-Identifier: Apache-2.0

package crmgen

import (
	"fmt"
	"sort"
	"strings"
)

// Section comments, printed before each part of the output.
const (
	commentNode       = "### Cluster Node ###"
	commentProperty   = "### Cluster Option ###"
	commentRscDefault = "### Resource Defaults ###"
	commentOpDefault  = "### Operations Defaults ###"
	commentPrimitive  = "### Primitive Configuration ###"
	commentGroup      = "### Group Configuration ###"
	commentClone      = "### Clone Configuration ###"
	commentMS         = "### Master/Slave Configuration ###"
	commentLocation   = "### Resource Location ###"
	commentColocation = "### Resource Colocation ###"
	commentOrder      = "### Resource Order ###"
	commentFencing    = "### Fencing Topology ###"
	commentTicket     = "### Resource Ticket ###"
	commentConfig     = "### Additional Config ###"
	commentAlert      = "### Alert Configuration ###"
)

// cont separates the parts of one crm command: " \", newline, TAB.
const cont = " \\\n\t"

// render prints the configuration in crmsh syntax. Sections come in a
// fixed order whatever the table order in the sheet, each followed by a
// blank line except the last; values are quoted but never escaped, like
// pm_crmgen does.
func render(c *config, alertBrackets bool) string {
	sections := []string{
		renderNodes(c),
		renderOption(c, "property", commentProperty),
		renderOption(c, "rsc_defaults", commentRscDefault),
		renderOption(c, "op_defaults", commentOpDefault),
		renderContainers(c),
		renderFencing(c),
		renderPrimitives(c),
		renderLocations(c),
		renderColocations(c),
		renderOrders(c),
		renderTickets(c),
		renderExtra(c),
		renderAlerts(c, alertBrackets),
	}
	var out []string
	for _, s := range sections {
		if s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, "\n")
}

// plainBlocks appends "typ" / "\tname=\"value\"" parts for the blocks of
// the given types that hold at least one pair, in creation order.
func plainBlocks(parts []string, a *attrSets, types ...string) []string {
	for _, b := range a.blocks {
		if !contains(types, b.typ) {
			continue
		}
		for i, it := range b.items {
			if i == 0 {
				parts = append(parts, b.typ)
			}
			// A rule set can only land here through a rule on "operations";
			// the reference prints it as an empty pair.
			parts = append(parts, fmt.Sprintf("\t%s=\"%s\"", it.name, it.value))
		}
	}
	return parts
}

// ruleBlocks is plainBlocks for primitives, whose sets may be scoped by a
// rule: each rule set gets its own "params <rule>" header, and plain pairs
// after a rule set get a fresh plain header.
func ruleBlocks(parts []string, a *attrSets, types ...string) []string {
	for _, b := range a.blocks {
		if !contains(types, b.typ) {
			continue
		}
		prevRule, first := false, true
		for _, it := range b.items {
			if it.rule != nil {
				parts = append(parts, b.typ+" "+it.rule.data)
				for _, p := range it.rule.items {
					parts = append(parts, fmt.Sprintf("\t%s=\"%s\"", p.name, p.value))
				}
				prevRule, first = true, false
				continue
			}
			if first || prevRule {
				parts = append(parts, b.typ)
			}
			prevRule, first = false, false
			parts = append(parts, fmt.Sprintf("\t%s=\"%s\"", it.name, it.value))
		}
	}
	return parts
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func renderNodes(c *config) string {
	if len(c.nodes) == 0 {
		return ""
	}
	var lines []string
	for _, n := range c.nodes {
		head := "node " + n.uname
		if n.ntype != "" {
			head += ":" + n.ntype
		}
		parts := plainBlocks([]string{head}, &n.attrs, "attributes", "utilization")
		lines = append(lines, strings.Join(parts, cont))
	}
	return commentNode + "\n" + strings.Join(lines, "\n") + "\n"
}

func renderOption(c *config, tag, comment string) string {
	b := c.options.find(tag)
	if b == nil || len(b.items) == 0 {
		return ""
	}
	var pairs []string
	for _, it := range b.items {
		pairs = append(pairs, fmt.Sprintf("%s=\"%s\"", it.name, it.value))
	}
	return comment + "\n" + tag + " " + strings.Join(pairs, cont) + "\n"
}

func renderContainers(c *config) string {
	var blocks []string
	prev := ""
	for _, r := range c.resources {
		if r.kind == kindPrimitive {
			continue
		}
		head := ""
		if r.kind != prev {
			head = map[string]string{kindGroup: commentGroup, kindClone: commentClone, kindMS: commentMS}[r.kind] + "\n"
			prev = r.kind
		}
		parts := []string{head + r.kind + " " + r.id}
		for _, ch := range r.children {
			parts = append(parts, ch.id)
		}
		parts = plainBlocks(parts, &r.attrs, "params", "meta")
		blocks = append(blocks, strings.Join(parts, cont))
	}
	if len(blocks) == 0 {
		return ""
	}
	return strings.Join(blocks, "\n\n") + "\n"
}

func renderFencing(c *config) string {
	if len(c.fencing) == 0 {
		return ""
	}
	levels := append([]fencingLevel(nil), c.fencing...)
	// By index (compared as text, as the reference did), then stably by node.
	sort.SliceStable(levels, func(i, j int) bool { return levels[i].index < levels[j].index })
	sort.SliceStable(levels, func(i, j int) bool { return levels[i].node < levels[j].node })
	var b strings.Builder
	b.WriteString("fencing_topology")
	node, idx := "", ""
	for _, l := range levels {
		if node != l.node || idx == "" {
			b.WriteString(cont)
		}
		if node != l.node {
			node, idx = l.node, ""
			b.WriteString(node + ": ")
		}
		if idx != l.index {
			if idx != "" {
				b.WriteString(" ")
			}
			idx = l.index
		} else {
			b.WriteString(",")
		}
		b.WriteString(l.rsc)
	}
	return commentFencing + "\n" + b.String() + "\n"
}

func renderPrimitives(c *config) string {
	var blocks []string
	for _, p := range c.resources {
		if p.kind != kindPrimitive {
			continue
		}
		var agent []string
		if p.class != "" {
			agent = append(agent, p.class)
		}
		if p.provider != "" {
			agent = append(agent, p.provider)
		}
		agent = append(agent, p.raType)
		parts := []string{"primitive " + p.id + " " + strings.Join(agent, ":")}
		parts = ruleBlocks(parts, &p.attrs, "params", "meta", "utilization")
		parts = plainBlocks(parts, &p.attrs, "operations")
		for _, op := range p.ops {
			if len(op.attrs) == 0 {
				continue
			}
			var b strings.Builder
			b.WriteString("op " + op.name)
			for _, a := range op.attrs {
				fmt.Fprintf(&b, " %s=\"%s\"", a.name, a.value)
			}
			parts = append(parts, b.String())
		}
		blocks = append(blocks, strings.Join(parts, cont))
	}
	if len(blocks) == 0 {
		return ""
	}
	return commentPrimitive + "\n" + strings.Join(blocks, "\n\n") + "\n"
}

func renderLocations(c *config) string {
	var b strings.Builder
	n := 0
	for _, l := range c.locations {
		n++
		fmt.Fprintf(&b, "location rsc_location-%s-%d %s", l.rsc, n, l.rsc)
		for _, r := range l.rules {
			fmt.Fprintf(&b, "%srule %s: ", cont, r.score)
			switch r.typ {
			case "uname":
				b.WriteString("#uname eq " + r.node)
			case "ping", "pingd":
				fmt.Fprintf(&b, "not_defined %s or %s lt %s", r.attr, r.attr, r.value)
			case "diskd":
				fmt.Fprintf(&b, "not_defined %s or %s eq ERROR", r.attr, r.attr)
			}
		}
		b.WriteString("\n")
	}
	for _, l := range c.locExperts {
		n++
		fmt.Fprintf(&b, "location rsc_location-%s-%d %s", l.rsc, n, l.rsc)
		for _, r := range l.rules {
			b.WriteString(cont + "rule")
			if r.idSpec != "" {
				b.WriteString(" " + r.idSpec)
			}
			if r.role != "" {
				fmt.Fprintf(&b, " $role=\"%s\"", r.role)
			}
			if r.score != "" {
				fmt.Fprintf(&b, " %s: ", r.score)
			}
			var exprs []string
			for _, e := range r.exprs {
				if isUnaryOp(e.op) {
					exprs = append(exprs, e.op+" "+e.attribute)
				} else {
					exprs = append(exprs, e.attribute+" "+e.op+" "+e.value)
				}
			}
			b.WriteString(strings.Join(exprs, " "+r.boolOp+" "))
		}
		b.WriteString("\n")
	}
	if n == 0 {
		return ""
	}
	return commentLocation + "\n" + b.String()
}

func renderColocations(c *config) string {
	if len(c.colocations) == 0 {
		return ""
	}
	var b strings.Builder
	for i, x := range c.colocations {
		fmt.Fprintf(&b, "colocation rsc_colocation-%s-%s-%d %s: %s", x.rsc, x.withRsc, i+1, x.score, x.rsc)
		if x.rscRole != "" {
			b.WriteString(":" + x.rscRole)
		}
		b.WriteString(" " + x.withRsc)
		if x.withRscRole != "" {
			b.WriteString(":" + x.withRscRole)
		}
		b.WriteString("\n")
	}
	return commentColocation + "\n" + b.String()
}

func renderOrders(c *config) string {
	if len(c.orders) == 0 {
		return ""
	}
	var b strings.Builder
	for i, x := range c.orders {
		fmt.Fprintf(&b, "order rsc_order-%s-%s-%d %s: %s", x.first, x.then, i+1, x.score, x.first)
		if x.firstAction != "" {
			b.WriteString(":" + x.firstAction)
		}
		b.WriteString(" " + x.then)
		if x.thenAction != "" {
			b.WriteString(":" + x.thenAction)
		}
		if x.symmetrical != "" {
			b.WriteString(" symmetrical=" + x.symmetrical)
		}
		b.WriteString("\n")
	}
	return commentOrder + "\n" + b.String()
}

func renderTickets(c *config) string {
	if len(c.tickets) == 0 {
		return ""
	}
	var b strings.Builder
	for i, t := range c.tickets {
		fmt.Fprintf(&b, "rsc_ticket rsc_ticket-%s-%d %s: %s", t.ticket, i+1, t.ticket, t.rsc)
		if t.role != "" {
			b.WriteString(":" + t.role)
		}
		if t.lossPolicy != "" {
			b.WriteString(" loss-policy=" + t.lossPolicy)
		}
		b.WriteString("\n")
	}
	return commentTicket + "\n" + b.String()
}

func renderExtra(c *config) string {
	if len(c.extra) == 0 {
		return ""
	}
	return commentConfig + "\n" + strings.Join(c.extra, "\n") + "\n"
}

func renderAlerts(c *config, brackets bool) string {
	if len(c.alerts) == 0 {
		return ""
	}
	var alerts []string
	for i, a := range c.alerts {
		parts := plainBlocks([]string{fmt.Sprintf("alert alert_%d %s", i+1, a.path)}, &a.attrs, "attributes", "meta")
		for _, r := range a.recipients {
			sub := plainBlocks(nil, &r.attrs, "attributes", "meta")
			var b strings.Builder
			b.WriteString("to ")
			if brackets {
				b.WriteString("{ ")
			}
			b.WriteString(r.value)
			if len(sub) > 0 {
				b.WriteString(" \\\n\t\t" + strings.Join(sub, " \\\n\t\t"))
			}
			if brackets {
				b.WriteString(" }")
			}
			parts = append(parts, b.String())
		}
		alerts = append(alerts, strings.Join(parts, cont))
	}
	return commentAlert + "\n" + strings.Join(alerts, "\n") + "\n"
}
