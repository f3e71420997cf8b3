// SPDX-License-Identifier: Apache-2.0

package crmgen

import (
	"fmt"
	"strings"
)

// Targets of the crm output (Options.Target).
const (
	// TargetCrmsh4 is pm_crmgen's output, byte for byte: crmsh 4.x on
	// Pacemaker 2.1 (Debian 12).
	TargetCrmsh4 = "crmsh4"
	// TargetCrmsh5 is what crmsh 5 and Pacemaker 3 load (Debian 13,
	// RHEL 10 era): no `ms`, no Master/Slave, one rule per location
	// constraint (docs/crmgen.md, "--target crmsh5").
	TargetCrmsh5 = "crmsh5"
)

// Targets lists the crm targets, for usage texts.
var Targets = []string{TargetCrmsh4, TargetCrmsh5}

// forCrmsh5 rewrites the model into what crmsh 5 and Pacemaker 3 accept:
//   - an ms resource becomes `clone … meta promotable=true`, with
//     master-max/master-node-max as promoted-max/promoted-node-max (crmsh 5
//     has no `configure ms`, Pacemaker 3 no <master>);
//   - the Master/Slave roles become Promoted/Unpromoted everywhere;
//   - a location constraint with several rules becomes one constraint per
//     rule, since Pacemaker 3 drops all but the first top-level rule.
func forCrmsh5(c *config) {
	for _, r := range c.resources {
		if r.kind == kindMS {
			r.kind = kindClone
			meta := r.attrs.get("meta")
			hasPromotable := false
			for i := range meta.items {
				switch meta.items[i].name {
				case "master-max":
					meta.items[i].name = "promoted-max"
				case "master-node-max":
					meta.items[i].name = "promoted-node-max"
				case "promotable":
					hasPromotable = true
				}
			}
			if !hasPromotable {
				meta.items = append([]attrItem{{nv: nv{name: "promotable", value: "true", rec: r.created}}}, meta.items...)
			}
		}
		for _, op := range r.ops {
			for i := range op.attrs {
				if op.attrs[i].name == "role" {
					op.attrs[i].value = newRole(op.attrs[i].value)
				}
			}
		}
	}
	for _, x := range c.colocations {
		x.rscRole, x.withRscRole = newRole(x.rscRole), newRole(x.withRscRole)
	}
	for i := range c.tickets {
		c.tickets[i].role = newRole(c.tickets[i].role)
	}
	var locs []*location
	for _, l := range c.locations {
		for _, r := range l.rules {
			locs = append(locs, &location{rsc: l.rsc, rules: []locRule{r}})
		}
	}
	c.locations = locs
	var experts []*locExpert
	for _, l := range c.locExperts {
		for _, r := range l.rules {
			r.role = newRole(r.role)
			experts = append(experts, &locExpert{rsc: l.rsc, rules: []*exRule{r}})
		}
	}
	c.locExperts = experts
}

// newRole spells a legacy role the Pacemaker 2.1+ way; other values are
// left for the lint to judge.
func newRole(role string) string {
	switch strings.ToLower(role) {
	case "master":
		return "Promoted"
	case "slave":
		return "Unpromoted"
	}
	return role
}

// lintConstraints reports what Pacemaker 3 would silently ignore: a
// constraint whose score, role or boolean operator is invalid (Pacemaker
// 2.1 defaulted them; 3.0 drops the constraint), and, for target crmsh4,
// a location constraint with several top-level rules (3.0 keeps only the
// first; crmsh5 output splits them) as a notice. Each finding is at the sheet row.
func lintConstraints(c *config, d *diags, target string) {
	badScore := func(rec int, what, s string) {
		if s == "" {
			return
		}
		if _, ok := pcsScore(s); !ok {
			d.rec = rec
			d.errAt("%s: score %q: Pacemaker 3 ignores the whole constraint: expected an integer or [+-]INFINITY", what, s)
		}
	}
	badRole := func(rec int, what, r string) {
		if r == "" {
			return
		}
		if _, ok := pcsRole(r); !ok {
			d.rec = rec
			d.errAt("%s: role %q: Pacemaker 3 ignores the whole constraint: expected Promoted, Unpromoted, Started or Stopped", what, r)
		}
	}
	for _, x := range c.colocations {
		if x.auto {
			continue
		}
		what := "COLOCATION " + x.rsc + " with " + x.withRsc
		badScore(x.rec, what, x.score)
		badRole(x.rec, what, x.rscRole)
		badRole(x.rec, what, x.withRscRole)
	}
	for _, l := range c.locations {
		for _, r := range l.rules {
			badScore(r.rec, "LOCATION "+l.rsc, r.score)
		}
	}
	for _, l := range c.locExperts {
		for _, r := range l.rules {
			what := "LOCATION_EXPERT " + l.rsc
			badScore(r.created, what, r.score)
			badRole(r.created, what, r.role)
			if b := strings.ToLower(r.boolOp); b != "" && b != "and" && b != "or" {
				d.rec = r.created
				d.errAt("%s: bool_op %q: Pacemaker 3 treats the rule as not passing: expected and or or", what, r.boolOp)
			}
		}
		if target != TargetCrmsh5 && len(l.rules) > 1 {
			// Right for the crmsh4 target (Pacemaker 2.1 reads every rule,
			// and the PG-REX template relies on it), so a notice, not a
			// warning: the exit status stays 0.
			d.add(LevelNotice, l.rules[1].created, d.file, fmt.Sprintf(
				"LOCATION_EXPERT %s: %d rules in one location constraint: Pacemaker 3 uses only the first; --target crmsh5 writes one constraint per rule",
				l.rsc, len(l.rules)))
		}
	}
}
