// SPDX-License-Identifier: Apache-2.0

package crmgen

import (
	"fmt"
	"slices"
	"strings"
)

// builder turns data rows into the model. It implements handler.
type builder struct {
	d    *diags
	opts Options
	cfg  *config

	// carry holds the values a table carries over to following rows when
	// their cell is empty (uname, id, type, rsc, …); it is cleared at every
	// table keyword and at the A sub-tables.
	carry map[string]string
	// stack is the chain of containers above the current RESOURCES row.
	stack []*resource
	// prim is the primitive the current PRIMITIVE table describes.
	prim *resource
	// primSeen is set once the P sub-table had a data row, even if its id
	// was unknown (the table is then skipped anyway).
	primSeen bool
	// alert and target are the current ALERT table's alert and the
	// attribute owner (the alert, or its latest recipient).
	alert        *alert
	target       *attrSets
	needRecipent bool
	// working is the LOCATION_EXPERT rule later rows add expressions to.
	working *exRule
}

func newBuilder(d *diags, opts Options) *builder {
	return &builder{d: d, opts: opts, cfg: &config{byID: map[string]*resource{}}, carry: map[string]string{}}
}

func (b *builder) startTable(tableKind) {
	b.carry = map[string]string{}
	b.stack = nil
	b.prim, b.primSeen = nil, false
	b.alert, b.target = nil, nil
	b.needRecipent = false
}

func (b *builder) startSub(_ tableKind, sub byte) {
	switch sub {
	case subAttribute:
		b.carry = map[string]string{}
	case subRecipient:
		b.needRecipent = true
	}
}

func (b *builder) dataRow(t tableKind, sub byte, r *row) action {
	errs0 := b.d.errors
	failed := func() bool { return b.d.errors > errs0 }
	switch t {
	case tableNode:
		b.nodeRow(r)
	case tableProperty:
		b.optionRow("property", r)
		return actContinue
	case tableRscDefaults:
		b.optionRow("rsc_defaults", r)
		return actContinue
	case tableOpDefaults:
		b.optionRow("op_defaults", r)
		return actContinue
	case tableResources:
		b.resourceRow(r)
		if failed() {
			return actStop
		}
		return actContinue
	case tableAttributes:
		b.attributeRow(r, nil)
	case tablePrimitive:
		b.primitiveRow(sub, r)
	case tableLocation:
		b.locationRow(r)
		return actContinue
	case tableLocExpert:
		b.locExpertRow(r)
	case tableColocation:
		b.colocationRow(r)
		return actContinue
	case tableOrder:
		b.orderRow(r)
		return actContinue
	case tableFencingTopology:
		b.fencingRow(r)
		return actContinue
	case tableTicket:
		b.ticketRow(r)
		return actContinue
	case tableConfig:
		b.configRow(r)
		return actContinue
	case tableAlert:
		b.alertRow(sub, r)
	}
	if failed() {
		return actSkipTable
	}
	return actContinue
}

// lookup finds a resource declared in RESOURCES; kind "" accepts any kind.
// An empty id is silently nil: the caller has reported the empty cell.
func (b *builder) lookup(id, kind string) *resource {
	if id == "" {
		return nil
	}
	if r := b.cfg.byID[id]; r != nil && (kind == "" || r.kind == kind) {
		return r
	}
	b.d.fmtErr("[id: %s] の%sリソースが「リソース構成表」に設定されていません。", id, kind)
	return nil
}

// checkPair validates a name/value pair about to be added to block typ of
// owner and warns about a name already present there. ownerID is the
// resource id quoted in the warning ("" for nodes, options and alerts).
func (b *builder) checkPair(owner *attrSets, ownerID, typ, name, value string) {
	if !b.checkNameValue(name, value) {
		return
	}
	if owner == nil || typ == "" {
		return
	}
	blk := owner.find(typ)
	if blk == nil {
		return
	}
	for _, it := range blk.items {
		if it.rule == nil && it.name == name {
			b.warnDuplicate(ownerID, typ, name, it.rec)
			return
		}
	}
}

// checkNameValue checks a row's name and value cells: an empty pair is
// skipped silently, a value without a name is an error, a name without a
// value is reported. It says whether the pair goes on to the duplicate
// check.
func (b *builder) checkNameValue(name, value string) bool {
	if name == "" && value == "" {
		return false
	}
	if name == "" {
		b.d.fmtErr("'name'列に値が設定されていません。")
		return false
	}
	if value == "" {
		b.d.info("'value'列に値が設定されていません。")
	}
	return true
}

func (b *builder) warnDuplicate(ownerID, typ, name string, rec int) {
	where := ""
	if ownerID != "" {
		where = fmt.Sprintf("。%sの%sパラメータ", ownerID, typ)
	}
	b.d.warn("項目 ('name'列%s) の値 [%s] は既に設定されています。(%d行目)", where, name, rec)
}

func (b *builder) optionRow(tag string, r *row) {
	errs0 := b.d.errors
	name, value := r.get("name"), r.get("value")
	b.checkPair(&b.cfg.options, "", tag, name, value)
	if b.d.errors > errs0 {
		return
	}
	b.cfg.options.get(tag).add(name, value, r.rec)
}

func (b *builder) nodeRow(r *row) {
	errs0 := b.d.errors
	changed := false
	uname := r.get("uname")
	if uname != "" {
		b.carry = map[string]string{"uname": uname}
		changed = true
	} else if uname = b.carry["uname"]; uname == "" {
		b.d.fmtErr("'uname'列に値が設定されていません。")
	}
	ntype := ""
	if r.has("ntype") {
		ntype = r.get("ntype")
		switch {
		case ntype != "" && changed:
			b.carry["ntype"] = ntype
		case ntype != "" && uname != "":
			b.d.warn("'ntype'列に値が設定されています。")
			ntype = b.carry["ntype"]
		case ntype == "" && !changed:
			ntype = b.carry["ntype"]
		}
	}
	ptype := strings.ToLower(r.get("ptype"))
	if ptype != "" && ptype != "attributes" && ptype != "utilization" {
		b.d.fmtErr("未定義のパラメータ種別 [ptype: %s] が設定されています。", r.get("ptype"))
	}
	if ptype == "" {
		ptype = b.carry["ptype"]
	}
	name, value := r.get("name"), r.get("value")
	if ptype == "" && (name != "" || value != "") {
		b.d.fmtErr("'ptype'列に値が設定されていません。")
	}
	b.carry["ptype"] = ptype
	var n *clusterNode
	for _, c := range b.cfg.nodes {
		if c.uname == uname && c.ntype == ntype {
			n = c
			break
		}
	}
	var owner *attrSets
	if n != nil {
		owner = &n.attrs
	}
	b.checkPair(owner, "", ptype, name, value)
	if b.d.errors > errs0 {
		return
	}
	if n == nil {
		n = &clusterNode{uname: uname, ntype: ntype}
		b.cfg.nodes = append(b.cfg.nodes, n)
	}
	if ptype != "" {
		n.attrs.get(ptype).add(name, value, r.rec)
	}
}

func (b *builder) resourceRow(r *row) {
	d := b.d
	errs0 := d.errors
	pos, kind := -1, ""
	var set []int
	for _, i := range r.cols.ri {
		if r.cells[i] != "" {
			set = append(set, i)
		}
	}
	switch {
	case len(set) == 0:
		d.fmtErr("'resourceItem'列に値が設定されていません。")
	case len(set) > 1:
		d.fmtErr("複数の'resourceItem'列に値が設定されています。")
	default:
		k := strings.ToLower(r.cells[set[0]])
		switch k {
		case "master":
			k = kindMS
			fallthrough
		case kindPrimitive, kindGroup, kindClone, kindMS:
			pos, kind = set[0], k
		default:
			d.fmtErr("未定義のリソース種別 [type: %s] が設定されています。", r.cells[set[0]])
		}
	}
	// The column of the kind cell is the depth: the first resourceItem
	// column is the top level, each further one a level deeper, and a row
	// may go at most one level below the previous row.
	depth := -1
	if pos >= 0 {
		limit := min(len(b.stack)+1, len(r.cols.ri))
		for i := 0; i < limit; i++ {
			if r.cols.ri[i] == pos {
				depth = i
			}
		}
	}
	var parent *resource
	switch {
	case pos >= 0 && depth == -1:
		d.fmtErr("'resourceItem'列 (リソース構成) の設定に誤りがあります。")
	case depth > 0:
		parent = b.stack[depth-1]
		if parent.kind == kindPrimitive ||
			parent.kind == kindGroup && kind != kindPrimitive ||
			(parent.kind == kindClone || parent.kind == kindMS) && kind != kindPrimitive && kind != kindGroup {
			d.fmtErr("リソース種別 ('resourceItem'列) の設定に誤りがあります。")
		}
	}
	id := r.get("id")
	if id == "" {
		d.fmtErr("'id'列に値が設定されていません。")
	} else if old := b.cfg.byID[id]; old != nil {
		d.fmtErr("[id: %s] のリソースは既に設定されています。(%d行目)", id, old.created)
	}
	if d.errors > errs0 {
		return
	}
	res := &resource{kind: kind, id: id, created: r.rec}
	b.cfg.resources = append(b.cfg.resources, res)
	b.cfg.byID[id] = res
	b.stack = append(b.stack[:depth], res)
	if parent != nil {
		parent.children = append(parent.children, res)
		res.parent = parent
	}
}

// attributeRow handles RSC_ATTRIBUTES rows (prim == nil) and the A
// sub-table of a PRIMITIVE table.
func (b *builder) attributeRow(r *row, prim *resource) {
	d := b.d
	errs0 := d.errors
	changed := false
	res := prim
	types := []string{"params", "meta", "utilization", "operations"}
	if prim == nil {
		var id string
		id, changed = b.carried(r, "id")
		res = b.lookup(id, "")
		types = types[:2]
	}
	atype := strings.ToLower(r.get("type"))
	if atype != "" {
		if slices.Contains(types, atype) {
			b.carry["type"] = atype
			if r.has("rule") {
				b.carry["rule"] = r.get("rule")
			}
		} else {
			d.fmtErr("未定義のパラメータ種別 [type: %s] が設定されています。", r.get("type"))
		}
	} else if changed || b.carry["type"] == "" {
		d.fmtErr("'type'列に値が設定されていません。")
	} else {
		atype = b.carry["type"]
	}
	name, value := r.get("name"), r.get("value")
	rule := b.carry["rule"]
	var set *ruleSet
	if rule != "" {
		if res != nil {
			if blk := res.attrs.find(atype); blk != nil {
				for _, it := range blk.items {
					if it.rule != nil && it.rule.data == rule {
						set = it.rule
						break
					}
				}
			}
		}
		b.checkRulePair(set, res, atype, name, value)
	} else {
		var owner *attrSets
		ownerID := ""
		if res != nil {
			owner, ownerID = &res.attrs, res.id
		}
		b.checkPair(owner, ownerID, atype, name, value)
	}
	if d.errors > errs0 || res == nil {
		return
	}
	blk := res.attrs.get(atype)
	if rule == "" {
		blk.add(name, value, r.rec)
		return
	}
	if set == nil {
		set = &ruleSet{data: rule}
		blk.items = append(blk.items, attrItem{rule: set})
	}
	if name != "" || value != "" {
		set.items = append(set.items, nv{name, value, r.rec})
	}
}

func (b *builder) checkRulePair(set *ruleSet, res *resource, typ, name, value string) {
	if !b.checkNameValue(name, value) {
		return
	}
	if set == nil {
		return
	}
	for _, it := range set.items {
		if it.name == name {
			id := ""
			if res != nil {
				id = res.id
			}
			b.d.warn("項目 ('name'列。%sの%sパラメータ) の値 [%s] は既に設定されています。(%d行目)", id, typ, name, it.rec)
			return
		}
	}
}

func (b *builder) primitiveRow(sub byte, r *row) {
	d := b.d
	errs0 := d.errors
	switch {
	case sub == subProperty && !b.primSeen:
		b.primSeen = true
		if id := r.get("id"); id != "" {
			b.prim = b.lookup(id, kindPrimitive)
			if b.prim != nil && b.prim.updated != 0 {
				d.fmtErr("[id: %s] のPrimitiveリソース表は既に設定されています。(%d行目)", id, b.prim.updated)
			} else if b.prim != nil {
				b.prim.updated = r.rec
			}
		} else {
			d.fmtErr("'id'列に値が設定されていません。")
		}
		if r.get("type") == "" {
			d.fmtErr("'type'列に値が設定されていません。")
		}
		if r.get("class") == "" && r.get("provider") != "" {
			d.fmtErr("'class'列に値が設定されていません。")
		}
	case sub == subProperty:
		d.fmtErr("Primitiveリソース表の定義が正しくありません。")
	case b.prim == nil:
		d.fmtErr("表に「リソースID」('id'列に値) が設定されていません。")
	case sub == subAttribute:
		if r.has("rule") && r.get("rule") != "" && r.get("type") == "" {
			d.fmtErr("'type'列に値が設定されていません。")
		}
	case sub == subOperation:
		if r.get("type") == "" {
			d.fmtErr("'type'列に値が設定されていません。")
		}
	}
	if d.errors > errs0 {
		return
	}
	switch sub {
	case subProperty:
		b.prim.class, b.prim.provider, b.prim.raType = r.get("class"), r.get("provider"), r.get("type")
	case subAttribute:
		b.attributeRow(r, b.prim)
	case subOperation:
		op := &operation{name: r.get("type")}
		for _, k := range opAttributeOrder(r.cols.names) {
			if v := r.get(k); v != "" {
				op.attrs = append(op.attrs, nv{name: k, value: v})
			}
		}
		b.prim.ops = append(b.prim.ops, op)
	}
}

func (b *builder) locationRow(r *row) {
	d := b.d
	errs0 := d.errors
	rsc := r.get("rsc")
	if rsc != "" {
		b.lookup(rsc, "")
	} else {
		d.fmtErr("'rsc'列に値が設定されていません。")
	}
	if d.errors > errs0 {
		return
	}
	var loc *location
	at := -1
	for i, l := range b.cfg.locations {
		if l.rsc == rsc {
			loc, at = l, i
			break
		}
	}
	if loc == nil {
		loc = &location{rsc: rsc}
	}
	add := func(rule locRule) {
		for _, old := range loc.rules {
			if old.same(rule) {
				d.warn("%sの設定による制約は既に指定されています。(%d行目、%s)", colName(rule.col), old.rec, colName(old.col))
				break
			}
		}
		// pm_crmgen warns but still adds the repeated rule.
		loc.rules = append(loc.rules, rule)
	}
	for _, k := range r.cols.byPosition() {
		col := r.cols.pos[k]
		cell := r.cells[col]
		if cell == "" {
			continue
		}
		switch {
		case strings.HasPrefix(k, "score:"):
			for _, node := range strings.FieldsFunc(cell, isPySpace) {
				add(locRule{typ: "uname", score: strings.Split(k, ":")[1], node: node, rec: r.rec, col: col})
			}
		case strings.HasPrefix(k, "ping:"), strings.HasPrefix(k, "pingd:"), strings.HasPrefix(k, "diskd:"):
			if v, ok := b.flag(cell, col); !ok || v != "true" {
				continue
			}
			parts := strings.Split(k, ":")
			rule := locRule{typ: parts[0], score: "-INFINITY", attr: parts[1], rec: r.rec, col: col}
			if strings.HasPrefix(parts[0], "ping") {
				rule.value = parts[2]
			}
			add(rule)
			if b.opts.NoAutoColocation && b.opts.NoAutoOrder {
				continue
			}
			b.autoConstraints(rsc, parts[0], parts[1], r.rec)
		}
	}
	if len(loc.rules) == 0 {
		d.warn("配置制約対象のリソースID ('rsc'列) のみ設定されています。")
		return
	}
	// A location touched again moves to the end of the list (the reference
	// re-appends its XML element), which decides the numbering.
	if at >= 0 {
		b.cfg.locations = slices.Delete(b.cfg.locations, at, at+1)
	}
	b.cfg.locations = append(b.cfg.locations, loc)
}

// flag reads a yes/no cell; an unknown spelling is a warning and counts
// as "no".
func (b *builder) flag(cell string, col int) (string, bool) {
	if v, ok := normalizeBool(cell); ok {
		return v, true
	}
	b.d.warn("無効な値 [%s](%s) が設定されています。", cell, colName(col))
	return "", false
}

// autoConstraints adds the colocation and order that a ping/pingd/diskd
// location rule implies: rsc must run with, and start after, the clone (or
// other top-level container) of every primitive of that agent type whose
// params set name=<attr>.
func (b *builder) autoConstraints(rsc, raType, attr string, rec int) {
	var ids []string
	for _, p := range b.cfg.resources {
		if p.kind != kindPrimitive || p.raType != raType {
			continue
		}
		blk := p.attrs.find("params")
		if blk == nil {
			continue
		}
		for _, it := range blk.items {
			if it.rule == nil && it.name == "name" && it.value == attr {
				top := p.topAncestor().id
				if !slices.Contains(ids, top) {
					ids = append(ids, top)
				}
				break
			}
		}
	}
	if len(ids) == 0 {
		b.d.fmtErr("パラメータ [(name=) %s] を設定した「%sリソース」が特定できません。", attr, raType)
		return
	}
	for _, id := range ids {
		if !b.opts.NoAutoColocation {
			b.addColocation(&colocation{rsc: rsc, withRsc: id, score: "INFINITY", auto: true, rec: rec})
		}
		if !b.opts.NoAutoOrder {
			b.addOrder(&order{first: id, then: rsc, score: "0", symmetrical: "false", auto: true, rec: rec})
		}
	}
}

// constraint is a colocation or an order, as addConstraint sees it.
type constraint[T any] interface {
	same(T) bool
	// from says whether the constraint was generated (auto) and on
	// which row of the sheet it was written or generated.
	from() (auto bool, rec int)
}

// addConstraint appends c to list unless it repeats an existing
// constraint: an automatic one is dropped when it repeats anything, an
// explicit one replaces a repeated automatic one and is kept (with a
// warning) when it repeats an explicit one.
func addConstraint[T constraint[T]](d *diags, list []T, c T) []T {
	auto, _ := c.from()
	for i, old := range list {
		if !old.same(c) {
			continue
		}
		oldAuto, oldRec := old.from()
		switch {
		case auto:
			return list
		case oldAuto:
			list = slices.Delete(list, i, i+1)
		default:
			d.warn("同じ設定値が既に指定されています。(%d行目)", oldRec)
		}
		break
	}
	return append(list, c)
}

func (b *builder) addColocation(c *colocation) {
	b.cfg.colocations = addConstraint(b.d, b.cfg.colocations, c)
}

func (b *builder) addOrder(o *order) { b.cfg.orders = addConstraint(b.d, b.cfg.orders, o) }

func (b *builder) requireCells(r *row, names ...string) {
	for _, n := range names {
		if r.get(n) == "" {
			b.d.fmtErr("'%s'列に値が設定されていません。", n)
		}
	}
}

func (b *builder) colocationRow(r *row) {
	errs0 := b.d.errors
	b.requireCells(r, "rsc", "with-rsc", "score")
	b.lookup(r.get("rsc"), "")
	b.lookup(r.get("with-rsc"), "")
	if b.d.errors > errs0 {
		return
	}
	b.addColocation(&colocation{
		rsc: r.get("rsc"), withRsc: r.get("with-rsc"), score: normalizeScore(r.get("score")),
		rscRole: r.get("rsc-role"), withRscRole: r.get("with-rsc-role"), rec: r.rec,
	})
}

func (b *builder) orderRow(r *row) {
	errs0 := b.d.errors
	b.requireCells(r, "first-rsc", "then-rsc", "score")
	b.lookup(r.get("first-rsc"), "")
	b.lookup(r.get("then-rsc"), "")
	sym := r.get("symmetrical")
	if sym != "" {
		if v, ok := b.flag(sym, r.cols.pos["symmetrical"]); ok {
			sym = v
		}
	}
	if b.d.errors > errs0 {
		return
	}
	b.addOrder(&order{
		first: r.get("first-rsc"), then: r.get("then-rsc"), score: normalizeScore(r.get("score")),
		firstAction: r.get("first-action"), thenAction: r.get("then-action"), symmetrical: sym, rec: r.rec,
	})
}

func (b *builder) fencingRow(r *row) {
	d := b.d
	errs0 := d.errors
	node := r.get("node")
	if node != "" {
		b.carry = map[string]string{"node": node}
	} else {
		node = b.carry["node"]
	}
	rsc := r.get("rsc")
	if rsc == "" {
		d.fmtErr("'rsc'列に値が設定されていません。")
	}
	idx := r.get("index")
	if idx == "" {
		d.fmtErr("'index'列に値が設定されていません。")
	} else if !isPositiveDecimal(idx) {
		d.fmtErr("無効な値 [%s](%s) が設定されています。", idx, colName(r.cols.pos["index"]))
	}
	b.lookup(rsc, kindPrimitive)
	if d.errors > errs0 {
		return
	}
	b.cfg.fencing = append(b.cfg.fencing, fencingLevel{node: node, rsc: rsc, index: idx})
}

// isPositiveDecimal accepts a number of at least 1 written with ASCII or
// full-width digits (what a Japanese IME types). The reference accepted
// digits of any script; others are rejected here as invalid values.
func isPositiveDecimal(s string) bool {
	nonZero := false
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			nonZero = nonZero || c != '0'
		case c >= '０' && c <= '９':
			nonZero = nonZero || c != '０'
		default:
			return false
		}
	}
	return nonZero
}

func (b *builder) ticketRow(r *row) {
	errs0 := b.d.errors
	b.requireCells(r, "ticket", "rsc")
	b.lookup(r.get("rsc"), "")
	if b.d.errors > errs0 {
		return
	}
	b.cfg.tickets = append(b.cfg.tickets, ticket{
		ticket: r.get("ticket"), rsc: r.get("rsc"), role: r.get("role"), lossPolicy: r.get("loss-policy"),
	})
}

// configRow copies an ADDITIONAL_CONFIG cell verbatim except that each
// line loses trailing blanks and continuation backslashes, and the lines
// are re-joined as one crm command continued with " \".
func (b *builder) configRow(r *row) {
	lines := strings.Split(r.rawCell("config"), "\n")
	for i, l := range lines {
		l = strings.TrimRightFunc(l, isPySpace)
		l = strings.TrimRight(l, "\\")
		lines[i] = strings.TrimRightFunc(l, isPySpace)
	}
	b.cfg.extra = append(b.cfg.extra, strings.Join(lines, " \\\n"))
}

func (b *builder) alertRow(sub byte, r *row) {
	d := b.d
	errs0 := d.errors
	var atype, name, value, to string
	switch sub {
	case subAttribute:
		if b.needRecipent {
			d.fmtErr("直前の'recipient'列に値が設定されていません。")
		}
		atype = strings.ToLower(r.get("type"))
		if atype != "" && atype != "attributes" && atype != "meta" {
			d.fmtErr("未定義のパラメータ種別 [type: %s] が設定されています。", r.get("type"))
		}
		if atype == "" {
			atype = b.carry["type"]
		}
		name, value = r.get("name"), r.get("value")
		if b.alert == nil && (atype != "" || name != "" || value != "") {
			d.fmtErr("本表の'path'列に値が設定されていません。")
		}
		if atype == "" && (name != "" || value != "") {
			d.fmtErr("'type'列に値が設定されていません。")
		}
		b.carry["type"] = atype
		b.checkPair(b.target, "", atype, name, value)
	case subRecipient:
		to = r.get("recipient")
		if b.alert == nil && to != "" {
			d.fmtErr("本表の'path'列に値が設定されていません。")
		}
	}
	if d.errors > errs0 {
		return
	}
	switch sub {
	case subProperty:
		a := &alert{path: r.get("path")}
		b.cfg.alerts = append(b.cfg.alerts, a)
		b.alert, b.target = a, &a.attrs
	case subAttribute:
		if b.target != nil && atype != "" {
			b.target.get(atype).add(name, value, r.rec)
		}
	case subRecipient:
		if to != "" {
			rc := &recipient{value: to}
			b.alert.recipients = append(b.alert.recipients, rc)
			b.target = &rc.attrs
			b.needRecipent = false
		}
	}
}

// carried is column col of row r, or, when the row leaves it empty, the
// value last given in that column (a sheet writes a resource id once for
// a run of rows); given says the row itself gave it. Empty both times is
// an error.
func (b *builder) carried(r *row, col string) (v string, given bool) {
	if v = r.get(col); v != "" {
		b.carry[col] = v
		return v, true
	}
	if v = b.carry[col]; v == "" {
		b.d.fmtErr("'%s'列に値が設定されていません。", col)
	}
	return v, false
}

func (b *builder) locExpertRow(r *row) {
	d := b.d
	errs0 := d.errors
	rsc, changed := b.carried(r, "rsc")
	b.lookup(rsc, "")
	idSpec := r.get("id_spec")
	var rule *exRule
	// A row with only rsc and "$id-ref=…" refers to a rule defined elsewhere.
	if strings.HasPrefix(idSpec, "$id-ref=") || strings.HasPrefix(idSpec, "id-ref=") {
		only := true
		for k, i := range r.cols.pos {
			if k != "rsc" && k != "id_spec" && r.cells[i] != "" {
				only = false
			}
		}
		if only {
			rule = &exRule{}
		}
	}
	if rule == nil {
		if score := normalizeScore(r.get("score")); score != "" {
			r.set("score", score)
			b.carry["score"] = score
			rule = &exRule{}
		} else if changed || rsc == "" || b.carry["score"] == "" {
			// (An empty carried score can only follow a reference-only rule;
			// the reference tool crashes there.)
			d.fmtErr("'score'列に値が設定されていません。")
		} else {
			if r.get("bool_op") != "" {
				d.warn("'bool_op'列に値が設定されています。")
			}
			if r.get("role") != "" {
				d.warn("'role'列に値が設定されています。")
			}
			if idSpec != "" {
				d.warn("'id_spec'列に値が設定されています。")
			}
		}
		if r.get("attribute") == "" {
			d.fmtErr("'attribute'列に値が設定されていません。")
		}
		if op := r.get("op"); op == "" {
			d.fmtErr("'op'列に値が設定されていません。")
		} else if isUnaryOp(op) {
			if r.get("value") != "" {
				d.warn("'value'列に値が設定されています。")
			}
		} else if r.get("value") == "" {
			d.fmtErr("'value'列に値が設定されていません。")
		}
	}
	if d.errors > errs0 {
		return
	}
	var le *locExpert
	for _, l := range b.cfg.locExperts {
		if l.rsc == rsc {
			le = l
			break
		}
	}
	if le == nil {
		le = &locExpert{rsc: rsc}
		b.cfg.locExperts = append(b.cfg.locExperts, le)
	}
	if rule != nil {
		rule.score, rule.boolOp, rule.role, rule.idSpec = r.get("score"), r.get("bool_op"), r.get("role"), idSpec
		rule.created = r.rec
		b.working = rule
		le.rules = append(le.rules, rule)
	}
	x := b.working
	if x == nil || !slices.Contains(le.rules, x) {
		return
	}
	if len(x.exprs) > 0 && x.boolOp == "" {
		d.fmtErr("'bool_op'列に値が設定されていません。(%d行目)", x.created)
		return
	}
	e := expression{attribute: r.get("attribute"), op: r.get("op"), value: r.get("value")}
	if e != (expression{}) {
		x.exprs = append(x.exprs, e)
	}
}

func isUnaryOp(op string) bool {
	op = strings.ToLower(op)
	return op == "defined" || op == "not_defined"
}

// checkResources runs after the whole file: every primitive needs its
// PRIMITIVE table and every container at least one member.
func (b *builder) checkResources() {
	for _, r := range b.cfg.resources {
		switch {
		case r.kind == kindPrimitive && r.updated == 0:
			b.d.fmtErrFile("[id: %s] の「Primitiveリソース表」が設定されていません。(%d行目)", r.id, r.created)
		case r.kind != kindPrimitive && len(r.children) == 0:
			b.d.fmtErrFile("%sリソース [id: %s] にリソースが設定されていません。(%d行目)", r.kind, r.id, r.created)
		}
	}
}
