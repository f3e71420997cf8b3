// SPDX-License-Identifier: Apache-2.0

package crmgen

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// pcs versions a pcs script can be written for (Options.PcsVersion): their
// syntax differs in location rules only (docs/crmgen.md, "pcs script").
const (
	Pcs011 = "0.11" // RHEL 9, Debian 12 (PG-REX 17)
	Pcs012 = "0.12" // RHEL 10, Debian 13
)

// PcsVersions lists the pcs versions, for usage texts.
var PcsVersions = []string{Pcs011, Pcs012}

// pcsFile is how every command of the script names the CIB file it edits:
// the script's own name with .xml for .sh, as pm_pcsgen's scripts do, so
// `sh pgrex.sh` edits pgrex.xml next to it.
const pcsFile = `pcs -f "${xmlfile}"`

// Section comments of the script, pm_pcsgen's, so an operator's notes that
// point at them still match.
const (
	pcsCommentProperty   = "### Cluster Option"
	pcsCommentNode       = "### Cluster Node"
	pcsCommentRscDef     = "### Resource Defaults"
	pcsCommentOpDef      = "### Operation Defaults"
	pcsCommentPrimitive  = "### Primitive Configuration"
	pcsCommentStonith    = "### STONITH Configuration"
	pcsCommentGroup      = "### Group Configuration"
	pcsCommentClone      = "### Clone Configuration"
	pcsCommentPromotable = "### Promotable Clone Configuration"
	pcsCommentLevel      = "### STONITH Level"
	pcsCommentLocation   = "### Resource Location"
	pcsCommentColocation = "### Resource Colocation"
	pcsCommentOrder      = "### Resource Order"
	pcsCommentAlert      = "### Alert Configuration"
	pcsCommentConfig     = "### Additional Config"
)

// renderPcs writes a pcs sheet as the shell script pm_pcsgen leaves next to
// its CIB: it takes the running cluster's CIB into a file, edits it with
// `pcs -f` command by command, and leaves pushing it (pcs cluster cib-push)
// to the operator. The sections and their order are pm_pcsgen's; values
// are quoted for the shell wherever they need it, where pm_pcsgen pastes
// them as they are.
func renderPcs(s *pcsSheet, version string) []byte {
	sections := []string{
		"#!/bin/sh\n",
		`xmlfile=$(basename "$0" .sh).xml`,
		`pcs cluster cib "${xmlfile}"` + "\n",
	}
	add := func(comment string, lines []string) {
		if len(lines) > 0 {
			sections = append(sections, comment+"\n"+strings.Join(lines, "\n")+"\n")
		}
	}
	add(pcsCommentProperty, pcsPairs(pcsFile+" property set", s.property))
	var nodes []string
	for _, n := range s.nodes {
		for _, set := range []struct {
			kind  string
			pairs []nv
		}{{"attribute", n.attrs}, {"utilization", n.util}} {
			for _, p := range set.pairs {
				nodes = append(nodes, fmt.Sprintf("%s node %s %s %s", pcsFile, set.kind, shellWord(n.uname), shellWord(p.name+"="+p.value)))
			}
		}
	}
	add(pcsCommentNode, nodes)
	add(pcsCommentRscDef, pcsPairs(pcsFile+" resource defaults update", s.rscDefaults))
	add(pcsCommentOpDef, pcsPairs(pcsFile+" resource op defaults update", s.opDefaults))
	if res := pcsResources(s); res != "" {
		sections = append(sections, res)
	}

	var lv []string
	for _, l := range sortedLevels(s.levels) {
		lv = append(lv, fmt.Sprintf("%s stonith level add %s %s %s --force", pcsFile, l.level, shellWord(l.node), shellWord(l.id)))
	}
	add(pcsCommentLevel, lv)

	var loc []string
	for _, l := range s.locNodes {
		verb := "prefers"
		if l.avoids {
			verb = "avoids"
		}
		loc = append(loc, fmt.Sprintf("%s constraint location %s %s %s", pcsFile, shellWord(l.rsc), verb, shellWord(l.node+"="+l.score)))
	}
	for _, lr := range s.locRules {
		for _, rule := range lr.rules {
			loc = append(loc, pcsRuleCommand(lr.rsc, rule, version))
		}
	}
	add(pcsCommentLocation, loc)

	var col []string
	for _, c := range s.colocations {
		col = append(col, fmt.Sprintf("%s constraint colocation add %s with %s score=%s", pcsFile,
			withRole(c.rscRole, c.rsc), withRole(c.withRscRole, c.withRsc), c.score))
	}
	add(pcsCommentColocation, col)

	var ord []string
	for _, o := range s.orders {
		cmd := fmt.Sprintf("%s constraint order %s then %s", pcsFile, withRole(o.firstAction, o.first), withRole(o.thenAction, o.then))
		if o.kind != "" {
			cmd += " kind=" + o.kind
		}
		if o.symmetrical != "" {
			cmd += " symmetrical=" + o.symmetrical
		}
		ord = append(ord, cmd)
	}
	add(pcsCommentOrder, ord)

	if len(s.alerts) > 0 {
		var b strings.Builder
		for i, a := range s.alerts {
			id := "alert_" + strconv.Itoa(i+1)
			if i > 0 {
				b.WriteString("\n")
			}
			b.WriteString(pcsCommentAlert + "\n")
			parts := append([]string{fmt.Sprintf("%s alert create path=%s id=%s", pcsFile, quoted(a.path), id)}, pcsAlertSets(a.options, a.meta)...)
			b.WriteString(strings.Join(parts, " \\\n  ") + "\n")
			for _, r := range a.recipients {
				parts := append([]string{fmt.Sprintf("%s alert recipient add %s value=%s", pcsFile, id, shellWord(r.value))}, pcsAlertSets(r.options, r.meta)...)
				b.WriteString(strings.Join(parts, " \\\n  ") + "\n")
			}
		}
		sections = append(sections, b.String())
	}

	var extra []string
	for _, x := range s.extra {
		cmd := x.value
		if !strings.HasPrefix(cmd, "pcs -f ") {
			if rest, ok := strings.CutPrefix(cmd, "pcs "); ok {
				cmd = pcsFile + " " + rest
			}
		}
		extra = append(extra, strings.ReplaceAll(cmd, "\n", " \\\n"))
	}
	add(pcsCommentConfig, extra)
	return []byte(strings.Join(sections, "\n"))
}

// sortedLevels are the stonith levels by node, then level (1–9, so the
// text order is the number order), as pm_pcsgen writes them.
func sortedLevels(levels []pcsLevel) []pcsLevel {
	out := append([]pcsLevel(nil), levels...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].node != out[j].node {
			return out[i].node < out[j].node
		}
		return out[i].level < out[j].level
	})
	return out
}

// pcsPairs is one "<cmd> name=value" line per pair.
func pcsPairs(cmd string, pairs []nv) []string {
	var out []string
	for _, p := range pairs {
		out = append(out, cmd+" "+shellWord(p.name+"="+p.value))
	}
	return out
}

// pcsResources is the resource part of the script: every primitive, then
// every stonith resource, in sheet order, each followed by the containers
// it completes (a group or clone is made once its last member exists, and
// a clone of a group once that group is made).
func pcsResources(s *pcsSheet) string {
	var parts []string
	for _, kind := range []string{pcsKindPrimitive, pcsKindStonith} {
		for _, r := range s.resources {
			if r.kind != kind {
				continue
			}
			parts = append(parts, pcsCreate(r))
			for c := r; c.parent != nil && c.parent.children[len(c.parent.children)-1] == c; c = c.parent {
				parts = append(parts, pcsContainer(c.parent))
			}
		}
	}
	return strings.Join(parts, "\n")
}

// pcsCreate is the `resource create` or `stonith create` of one resource,
// its parts continued over lines, and its utilization.
func pcsCreate(r *pcsResource) string {
	comment, head := pcsCommentPrimitive, fmt.Sprintf("%s resource create %s %s", pcsFile, shellWord(r.id), r.agentName())
	if r.kind == pcsKindStonith {
		comment, head = pcsCommentStonith, fmt.Sprintf("%s stonith create %s %s", pcsFile, shellWord(r.id), shellWord(r.agent))
	}
	parts := []string{head}
	if len(r.options) > 0 {
		parts = append(parts, quotedPairs(r.options))
	}
	if len(r.meta) > 0 {
		parts = append(parts, "meta "+quotedPairs(r.meta))
	}
	for i, o := range r.ops {
		words := []string{shellWord(o.name)}
		if i == 0 {
			words = append([]string{"op"}, words...)
		}
		for _, a := range o.attrs {
			value := a.value
			if a.name == "role" {
				if role, ok := pcsRole(value); ok {
					value = role
				}
			}
			words = append(words, shellWord(a.name+"="+value))
		}
		parts = append(parts, strings.Join(words, " "))
	}
	out := comment + "\n" + strings.Join(parts, " \\\n    ") + "\n"
	if len(r.util) > 0 {
		out += "\n" + strings.Join(pcsPairs(pcsFile+" resource utilization "+shellWord(r.id), r.util), "\n") + "\n"
	}
	return out
}

// agentName is class:provider:type, or class:type without a provider.
func (r *pcsResource) agentName() string {
	if r.provider == "" {
		return shellWord(r.class + ":" + r.agent)
	}
	return shellWord(r.class + ":" + r.provider + ":" + r.agent)
}

// pcsContainer makes a group, clone or promotable clone of its members and
// sets its meta attributes.
func pcsContainer(c *pcsResource) string {
	var cmd string
	switch c.kind {
	case pcsKindGroup:
		ids := []string{shellWord(c.id)}
		for _, m := range c.children {
			ids = append(ids, shellWord(m.id))
		}
		cmd = pcsCommentGroup + "\n" + pcsFile + " resource group add " + strings.Join(ids, " ")
	case pcsKindClone:
		cmd = fmt.Sprintf("%s\n%s resource clone %s %s", pcsCommentClone, pcsFile, shellWord(c.children[0].id), shellWord(c.id))
	case pcsKindPromotable:
		cmd = fmt.Sprintf("%s\n%s resource promotable %s %s", pcsCommentPromotable, pcsFile, shellWord(c.children[0].id), shellWord(c.id))
	}
	if len(c.meta) > 0 {
		var pairs []string
		for _, p := range c.meta {
			pairs = append(pairs, shellWord(p.name+"="+p.value))
		}
		cmd += fmt.Sprintf("\n%s resource meta %s %s", pcsFile, shellWord(c.id), strings.Join(pairs, " "))
	}
	return cmd + "\n"
}

// pcsRuleCommand is one location rule. pcs 0.11 takes the expression as
// separate words, where a '#' (of #uname) must be escaped from the shell;
// pcs 0.12 warns about that form and takes the whole rule as one word.
func pcsRuleCommand(rsc string, rule *pcsRule, version string) string {
	var exprs []string
	for _, e := range rule.exprs {
		attr := e.attribute
		if version != Pcs012 {
			attr = shellWord(attr)
		}
		var words []string
		if e.op == "defined" || e.op == "not_defined" {
			words = []string{e.op, attr}
		} else {
			value := e.value
			if version != Pcs012 {
				value = shellWord(value)
			}
			words = []string{attr, e.op, value}
		}
		exprs = append(exprs, strings.Join(words, " "))
	}
	expr := strings.Join(exprs, " "+rule.boolOp+" ")
	if version == Pcs012 {
		expr = singleQuoted(expr)
	}
	role := ""
	if rule.role != "" {
		role = " role=" + rule.role
	}
	return fmt.Sprintf("%s constraint location %s rule%s score=%s %s", pcsFile, shellWord(rsc), role, rule.score, expr)
}

// withRole puts an optional role or action before a resource id.
func withRole(role, id string) string {
	if role == "" {
		return shellWord(id)
	}
	return role + " " + shellWord(id)
}

// pcsAlertSets are the "options …" and "meta …" parts of an alert or a
// recipient.
func pcsAlertSets(options, meta []nv) []string {
	var out []string
	if len(options) > 0 {
		out = append(out, "options "+quotedPairs(options))
	}
	if len(meta) > 0 {
		out = append(out, "meta "+quotedPairs(meta))
	}
	return out
}

// quotedPairs is name="value" … with every value double-quoted, as
// pm_pcsgen writes resource options.
func quotedPairs(pairs []nv) string {
	var out []string
	for _, p := range pairs {
		out = append(out, shellWord(p.name)+"="+quoted(p.value))
	}
	return strings.Join(out, " ")
}

// shellWord is s as one shell word: as it is when it has nothing the shell
// would interpret, otherwise double-quoted.
func shellWord(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:/=,+@%", r))
	}) < 0 {
		return s
	}
	return quoted(s)
}

// quoted double-quotes s for the shell: inside the quotes only $ ` " \ are
// special, and each is escaped.
func quoted(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		if strings.ContainsRune("$`\"\\", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

// singleQuoted single-quotes s for the shell; a ' inside becomes '\”.
func singleQuoted(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
