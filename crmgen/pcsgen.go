// SPDX-License-Identifier: Apache-2.0

package crmgen

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The pm_pcsgen environment sheet (format 1.1), the one PG-REX 12 and later
// ship: the same table layout as pm_crmgen's (keyword in column B, a column
// header row, data rows; PRIMITIVE and ALERT split into lettered
// sub-tables) with pcs's vocabulary — STONITH resources and levels,
// Promotable clones, location constraints by node or by rule, order kinds.
// docs/crmgen.md lists the tables and their columns. Messages are pgrex's
// own and name the file, the row, the column and what was expected.

// pcsTable identifies a table of the pcs sheet.
type pcsTable int

const (
	ptNone pcsTable = iota
	ptSkip          // an error in the table: ignore rows up to the next keyword
	ptNode
	ptProperty
	ptRscDefaults
	ptOpDefaults
	ptResources
	ptRscAttributes
	ptPrimitive
	ptStonith
	ptStonithLevel
	ptLocationNode
	ptLocationRule
	ptColocation
	ptOrder
	ptAlert
	ptConfig
)

// pcsTables maps the lower-cased keyword of column B to its table; the
// name is the keyword as messages spell it.
var pcsTables = map[string]pcsTable{
	"node":              ptNode,
	"property":          ptProperty,
	"rsc_defaults":      ptRscDefaults,
	"op_defaults":       ptOpDefaults,
	"resources":         ptResources,
	"rsc_attributes":    ptRscAttributes,
	"primitive":         ptPrimitive,
	"stonith":           ptStonith,
	"stonith_level":     ptStonithLevel,
	"location_node":     ptLocationNode,
	"location_rule":     ptLocationRule,
	"colocation":        ptColocation,
	"order":             ptOrder,
	"alert":             ptAlert,
	"additional_config": ptConfig,
}

func (t pcsTable) String() string {
	for k, v := range pcsTables {
		if v == t {
			return strings.ToUpper(k)
		}
	}
	return "?"
}

// pcsOnlyTables are the keywords that only a pm_pcsgen sheet has; a sheet
// naming one of them is read as a pcs sheet (isPcsSheet).
var pcsOnlyTables = []string{"stonith", "stonith_level", "location_node", "location_rule"}

// pcsColumns lists the columns each (sub-)table must have, in the order
// missing ones are reported. An O sub-table's other columns are operation
// attributes named as written.
func pcsColumns(t pcsTable, sub byte) []string {
	switch t {
	case ptNode:
		return []string{"uname", "type", "name", "value"}
	case ptProperty, ptRscDefaults, ptOpDefaults:
		return []string{"name", "value"}
	case ptResources:
		return []string{"resourceitem", "id"}
	case ptRscAttributes:
		return []string{"id", "name", "value"}
	case ptPrimitive, ptStonith:
		switch sub {
		case subProperty:
			if t == ptStonith {
				return []string{"id", "type"}
			}
			return []string{"id", "class", "provider", "type"}
		case subAttribute:
			return []string{"type", "name", "value"}
		case subOperation:
			return []string{"type"}
		}
	case ptStonithLevel:
		return []string{"node", "id", "level"}
	case ptLocationNode:
		return []string{"rsc", "prefers/avoids", "node", "score"}
	case ptLocationRule:
		return []string{"rsc", "score", "bool_op", "attribute", "op", "value", "role"}
	case ptColocation:
		return []string{"rsc", "with-rsc", "score", "rsc-role", "with-rsc-role"}
	case ptOrder:
		return []string{"first-rsc", "then-rsc", "kind", "first-action", "then-action", "symmetrical"}
	case ptAlert:
		switch sub {
		case subProperty:
			return []string{"path"}
		case subAttribute:
			return []string{"type", "name", "value"}
		case subRecipient:
			return []string{"recipient"}
		}
	case ptConfig:
		return []string{"config"}
	}
	return nil
}

// isPcsSheet tells a pm_pcsgen sheet from a pm_crmgen one: the generator
// named in a comment of column A before the first table, else a table that
// only pm_pcsgen has.
func isPcsSheet(recs []Record) bool {
	seenTable := false
	for _, r := range recs {
		if len(r.Fields) == 0 {
			continue
		}
		if a := r.Fields[0]; !seenTable && strings.HasPrefix(strings.TrimSpace(a), "#") {
			switch {
			case strings.Contains(a, "pm_pcsgen"):
				return true
			case strings.Contains(a, "pm_crmgen"):
				return false
			}
		}
		if len(r.Fields) > 1 {
			kw := strings.ToLower(normalizeCell(r.Fields[1]))
			if len(kw) > 1 {
				seenTable = true
			}
			if slices.Contains(pcsOnlyTables, kw) {
				return true
			}
		}
	}
	return false
}

// Resource kinds of the pcs sheet's RESOURCES table.
const (
	pcsKindPrimitive  = "primitive"
	pcsKindStonith    = "stonith"
	pcsKindGroup      = "group"
	pcsKindClone      = "clone"
	pcsKindPromotable = "promotable"
)

var pcsKinds = []string{pcsKindPrimitive, pcsKindStonith, pcsKindGroup, pcsKindClone, pcsKindPromotable}

// pcsResource is one row of RESOURCES, completed by its PRIMITIVE or
// STONITH table and RSC_ATTRIBUTES rows.
type pcsResource struct {
	kind, id string
	rec      int // the RESOURCES row
	defined  int // the PRIMITIVE/STONITH table's P row; 0 = none
	parent   *pcsResource
	children []*pcsResource
	class    string
	provider string
	agent    string
	options  []nv // instance attributes
	meta     []nv
	util     []nv
	ops      []pcsOp
}

// pcsOp is one O row: the action and its attributes in column order.
type pcsOp struct {
	name  string
	attrs []nv
	rec   int
}

type pcsNodeAttrs struct {
	uname       string
	attrs, util []nv
	rec         int
}

type pcsLevel struct {
	node, id, level string
	rec             int
}

type pcsLocNode struct {
	rsc, node, score string
	avoids           bool
	rec              int
}

type pcsExpr struct {
	attribute, op, value string
}

type pcsRule struct {
	score, boolOp, role string
	exprs               []pcsExpr
	rec                 int
}

type pcsLocRule struct {
	rsc   string
	rules []*pcsRule
}

type pcsColocation struct {
	rsc, withRsc, score, rscRole, withRscRole string
	rec                                       int
}

type pcsOrder struct {
	first, then, kind, firstAction, thenAction, symmetrical string
	rec                                                     int
}

type pcsRecipient struct {
	value         string
	options, meta []nv
}

type pcsAlert struct {
	path          string
	options, meta []nv
	recipients    []*pcsRecipient
	rec           int
}

// pcsSheet is everything a pcs sheet describes, in sheet order.
type pcsSheet struct {
	nodes                             []*pcsNodeAttrs
	property, rscDefaults, opDefaults []nv
	resources                         []*pcsResource
	byID                              map[string]*pcsResource
	levels                            []pcsLevel
	locNodes                          []pcsLocNode
	locRules                          []*pcsLocRule
	colocations                       []pcsColocation
	orders                            []pcsOrder
	alerts                            []*pcsAlert
	extra                             []nv // ADDITIONAL_CONFIG: value = the pcs command, rec = its row
}

// pcsReader reads a pcs sheet row by row: the table state, the column
// header of the current (sub-)table and what earlier rows carry forward
// (a blank uname, id, type, rsc… means "the same as above").
type pcsReader struct {
	d     *diags
	s     *pcsSheet
	table pcsTable
	sub   byte
	cols  *columns
	// carried values of the current table
	carry map[string]string
	// path is the RESOURCES nesting: path[i] is the open resource at depth i.
	path []*pcsResource
	// cur is the resource of the current PRIMITIVE/STONITH table.
	cur *pcsResource
	// alert and recip are the ALERT table's current alert and recipient.
	alert *pcsAlert
	recip *pcsRecipient
	rule  *pcsRule
}

// readPcsSheet classifies the records and builds the sheet; errors and
// warnings go to d.
func readPcsSheet(recs []Record, d *diags) *pcsSheet {
	r := &pcsReader{d: d, s: &pcsSheet{byID: map[string]*pcsResource{}}}
	for _, rec := range recs {
		d.rec = rec.Num
		cells := normalizedCells(rec)
		if !worthReading(cells) {
			continue
		}
		if cells[1] != "" {
			if !r.keyword(cells[1]) {
				return r.s
			}
			if r.sub == subNone {
				continue
			}
		}
		if r.table == ptSkip {
			continue
		}
		if r.table == ptNone {
			d.errAt("row %d: data before any table: expected a table keyword such as RESOURCES in column B", rec.Num)
			return r.s
		}
		if r.cols == nil {
			r.header(cells)
			continue
		}
		for len(cells) <= r.cols.maxPos() {
			cells = append(cells, "")
		}
		row := &row{rec: rec.Num, cells: cells, raw: rec.Fields, cols: r.cols}
		if !r.hasData(row) {
			continue
		}
		if !r.data(row) {
			r.table = ptSkip
		}
	}
	r.finish()
	return r.s
}

// keyword handles column B: a table keyword, or a sub-table letter of
// PRIMITIVE, STONITH or ALERT (whose row is also its column header). It
// returns false when the rest of the sheet cannot be read.
func (r *pcsReader) keyword(cell string) bool {
	kw := strings.ToLower(cell)
	if len(kw) == 1 {
		letter := kw[0]
		parent := r.table
		if parent == ptSkip {
			return true // the sub-tables of a table already in error
		}
		valid := map[pcsTable]string{ptPrimitive: "pao", ptStonith: "pao", ptAlert: "par"}[parent]
		if strings.IndexByte(valid, letter) >= 0 {
			switch {
			case r.sub != subNone && letter == subProperty:
				r.d.errAt("column B: a second P sub-table in one %s table: expected a new %s keyword row before it", parent, parent)
				r.table = ptSkip
			case r.sub == subNone && letter != subProperty:
				r.d.errAt("column B: sub-table %q of %s before its P sub-table: expected P first", cell, parent)
				r.table = ptSkip
			default:
				// Each sub-table carries its own values (an A table's type).
				r.sub, r.cols, r.carry = letter, nil, map[string]string{}
			}
			return true
		}
	}
	t, ok := pcsTables[kw]
	if !ok {
		r.d.errAt("column B: unknown table %q: expected one of NODE, PROPERTY, RSC_DEFAULTS, OP_DEFAULTS, RESOURCES, "+
			"RSC_ATTRIBUTES, PRIMITIVE, STONITH, STONITH_LEVEL, LOCATION_NODE, LOCATION_RULE, COLOCATION, ORDER, ALERT, "+
			"ADDITIONAL_CONFIG (or P/A/O, P/A/R inside PRIMITIVE, STONITH, ALERT)", cell)
		return false
	}
	r.table, r.sub, r.cols = t, subNone, nil
	r.carry, r.cur, r.alert, r.recip, r.rule = map[string]string{}, nil, nil, nil, nil
	return true
}

// header reads the column header of the current (sub-)table.
func (r *pcsReader) header(cells []string) {
	t, sub := r.table, r.sub
	if sub == subNone && (t == ptPrimitive || t == ptStonith || t == ptAlert) {
		r.d.errAt("column B: %s needs its P sub-table first: expected P in column B", t)
		r.table = ptSkip
		return
	}
	required := pcsColumns(t, sub)
	cols := &columns{pos: map[string]int{}}
	errs0 := r.d.errors
	for i := 2; i < len(cells); i++ {
		name := cells[i]
		if name == "" {
			continue
		}
		key := strings.ToLower(name)
		switch {
		case t == ptResources && key == "resourceitem":
			cols.ri = append(cols.ri, i)
			continue
		case sub == subOperation && key != "type":
			key = name // an operation attribute, as written
		case !slices.Contains(required, key):
			r.d.warn("column %s: unknown column %q in %s: ignored (expected %s)", columnLetter(i), name, r.tableName(), strings.Join(required, ", "))
			continue
		}
		if at, dup := cols.pos[key]; dup {
			r.d.errAt("column %s: column %q repeats column %s", columnLetter(i), name, columnLetter(at))
			continue
		}
		cols.pos[key] = i
		cols.names = append(cols.names, key)
	}
	for _, n := range required {
		if n == "resourceitem" {
			if len(cols.ri) == 0 {
				r.d.errAt("%s header: no resourceItem column: expected one per nesting level, left of id", r.tableName())
			}
			continue
		}
		if !cols.has(n) {
			r.d.errAt("%s header: no %q column", r.tableName(), n)
		}
	}
	if t == ptResources && len(cols.ri) > 0 && cols.has("id") && cols.pos["id"] < cols.ri[len(cols.ri)-1] {
		r.d.errAt("RESOURCES header: column %s (id) must be right of every resourceItem column", columnLetter(cols.pos["id"]))
	}
	if r.d.errors > errs0 {
		r.table = ptSkip
		return
	}
	r.cols = cols
}

func (r *pcsReader) tableName() string {
	if r.sub != subNone {
		return fmt.Sprintf("%s %c", r.table, r.sub-'a'+'A')
	}
	return r.table.String()
}

// hasData reports whether any headed column of the row holds a value
// (remarks in unheaded columns are free text).
func (r *pcsReader) hasData(w *row) bool {
	for _, i := range w.cols.pos {
		if w.cells[i] != "" {
			return true
		}
	}
	for _, i := range w.cols.ri {
		if w.cells[i] != "" {
			return true
		}
	}
	return false
}

// need returns the cell of a required column, or the value carried from
// the rows above when carry is set; an empty result is reported.
func (r *pcsReader) need(w *row, name string, carry bool) (string, bool) {
	v := w.get(name)
	if v == "" && carry {
		v = r.carry[name]
	}
	if v == "" {
		r.d.errAt("column %s (%s): empty: expected a value", columnLetter(w.cols.pos[name]), name)
		return "", false
	}
	if carry {
		r.carry[name] = v
	}
	return v, true
}

// typedPair reads an A row: its type (carried from the rows above), name
// and value.
func (r *pcsReader) typedPair(w *row) (typ, name, value string, ok bool) {
	typ, okT := r.need(w, "type", true)
	name, okN := r.need(w, "name", false)
	value, okV := r.need(w, "value", false)
	return typ, name, value, okT && okN && okV
}

func (r *pcsReader) bad(w *row, name, got, expected string) {
	r.d.errAt("column %s (%s): %q: expected %s", columnLetter(w.cols.pos[name]), name, got, expected)
}

// data handles one data row of the current table; false means the table
// is in error and its remaining rows are skipped.
func (r *pcsReader) data(w *row) bool {
	errs0 := r.d.errors
	switch r.table {
	case ptNode:
		r.nodeRow(w)
	case ptProperty:
		r.s.property = r.nvRow(w, r.s.property)
	case ptRscDefaults:
		r.s.rscDefaults = r.nvRow(w, r.s.rscDefaults)
	case ptOpDefaults:
		r.s.opDefaults = r.nvRow(w, r.s.opDefaults)
	case ptResources:
		r.resourceRow(w)
	case ptRscAttributes:
		r.rscAttributeRow(w)
	case ptPrimitive, ptStonith:
		r.primitiveRow(w)
	case ptStonithLevel:
		r.levelRow(w)
	case ptLocationNode:
		r.locNodeRow(w)
	case ptLocationRule:
		r.locRuleRow(w)
	case ptColocation:
		r.colocationRow(w)
	case ptOrder:
		r.orderRow(w)
	case ptAlert:
		r.alertRow(w)
	case ptConfig:
		if v := strings.TrimSpace(w.rawCell("config")); v != "" {
			r.s.extra = append(r.s.extra, nv{name: "config", value: v, rec: w.rec})
		}
	}
	return r.d.errors == errs0
}

// nvRow reads a name/value pair; a name set twice in one list is warned
// about and the later value wins, as pcs's own update does.
func (r *pcsReader) nvRow(w *row, list []nv) []nv {
	name, okN := r.need(w, "name", false)
	value, okV := r.need(w, "value", false)
	if !okN || !okV {
		return list
	}
	return r.setNV(w, list, name, value)
}

func (r *pcsReader) setNV(w *row, list []nv, name, value string) []nv {
	for i, p := range list {
		if p.name == name {
			r.d.warn("%q is already set in row %d: this row's value %q replaces %q", name, p.rec, value, p.value)
			list[i] = nv{name, value, w.rec}
			return list
		}
	}
	return append(list, nv{name, value, w.rec})
}

func (r *pcsReader) nodeRow(w *row) {
	if w.get("uname") != "" {
		delete(r.carry, "type") // a new node names its type again
	}
	uname, ok := r.need(w, "uname", true)
	typ, okT := r.need(w, "type", true)
	name, okN := r.need(w, "name", false)
	value, okV := r.need(w, "value", false)
	if !ok || !okT || !okN || !okV {
		return
	}
	typ = strings.ToLower(typ)
	if typ != "attribute" && typ != "utilization" {
		r.bad(w, "type", typ, "attribute or utilization")
		return
	}
	var n *pcsNodeAttrs
	for _, x := range r.s.nodes {
		if x.uname == uname {
			n = x
		}
	}
	if n == nil {
		n = &pcsNodeAttrs{uname: uname, rec: w.rec}
		r.s.nodes = append(r.s.nodes, n)
	}
	if typ == "attribute" {
		n.attrs = r.setNV(w, n.attrs, name, value)
	} else {
		n.util = r.setNV(w, n.util, name, value)
	}
}

// resourceRow places a resource in the hierarchy: the resourceItem column
// that holds its kind is its depth.
func (r *pcsReader) resourceRow(w *row) {
	var filled []int
	for _, i := range w.cols.ri {
		if w.cells[i] != "" {
			filled = append(filled, i)
		}
	}
	if len(filled) != 1 {
		r.d.errAt("RESOURCES: %d resourceItem columns filled: expected exactly one, the kind of the resource at its nesting level", len(filled))
		return
	}
	at := filled[0]
	depth := slices.Index(w.cols.ri, at)
	kind := strings.ToLower(w.cells[at])
	if !slices.Contains(pcsKinds, kind) {
		r.d.errAt("column %s (resourceItem): %q: expected one of %s", columnLetter(at), w.cells[at], strings.Join(pcsKinds, ", "))
		return
	}
	if depth > len(r.path) {
		r.d.errAt("column %s (resourceItem): nested deeper than the row above: expected a column no more than one right of its parent's", columnLetter(at))
		return
	}
	var parent *pcsResource
	if depth > 0 {
		parent = r.path[depth-1]
		ok := false
		switch parent.kind {
		case pcsKindGroup:
			ok = kind == pcsKindPrimitive || kind == pcsKindStonith
		case pcsKindClone, pcsKindPromotable:
			ok = kind == pcsKindPrimitive || kind == pcsKindStonith || kind == pcsKindGroup
		}
		if !ok {
			r.d.errAt("column %s (resourceItem): a %s cannot be inside %s %q: a group holds primitives and stonith "+
				"resources, a clone or promotable one primitive, stonith resource or group", columnLetter(at), kind, parent.kind, parent.id)
			return
		}
		if (parent.kind == pcsKindClone || parent.kind == pcsKindPromotable) && len(parent.children) > 0 {
			r.d.errAt("column %s (resourceItem): %s %q already holds %q: expected one resource per clone", columnLetter(at), parent.kind, parent.id, parent.children[0].id)
			return
		}
	}
	id, ok := r.need(w, "id", false)
	if !ok {
		return
	}
	if prev := r.s.byID[id]; prev != nil {
		r.d.errAt("column %s (id): %q is already a resource in row %d: expected a unique id", columnLetter(w.cols.pos["id"]), id, prev.rec)
		return
	}
	res := &pcsResource{kind: kind, id: id, rec: w.rec, parent: parent}
	if parent != nil {
		parent.children = append(parent.children, res)
	}
	r.s.resources = append(r.s.resources, res)
	r.s.byID[id] = res
	r.path = append(r.path[:depth], res)
}

// resource finds id among RESOURCES (of the given kinds, when any).
func (r *pcsReader) resource(w *row, col, id string, kinds ...string) *pcsResource {
	res := r.s.byID[id]
	if res == nil || (len(kinds) > 0 && !slices.Contains(kinds, res.kind)) {
		what := "resource"
		if len(kinds) > 0 {
			what = strings.Join(kinds, " or ") + " resource"
		}
		r.d.errAt("column %s (%s): %q is not a %s of the RESOURCES table: expected its id there first", columnLetter(w.cols.pos[col]), col, id, what)
		return nil
	}
	return res
}

func (r *pcsReader) rscAttributeRow(w *row) {
	id, ok := r.need(w, "id", true)
	name, okN := r.need(w, "name", false)
	value, okV := r.need(w, "value", false)
	if !ok || !okN || !okV {
		return
	}
	if res := r.resource(w, "id", id); res != nil {
		res.meta = r.setNV(w, res.meta, name, value)
	}
}

func (r *pcsReader) primitiveRow(w *row) {
	kind := pcsKindPrimitive
	if r.table == ptStonith {
		kind = pcsKindStonith
	}
	switch r.sub {
	case subProperty:
		if r.cur != nil {
			r.d.errAt("%s P: a second resource in one table: expected a new %s keyword row before it", r.table, r.table)
			return
		}
		id, ok := r.need(w, "id", false)
		typ, okT := r.need(w, "type", false)
		if !ok || !okT {
			return
		}
		res := r.resource(w, "id", id, kind)
		if res == nil {
			return
		}
		if res.defined > 0 {
			r.d.errAt("column %s (id): %q is already defined by the %s table in row %d", columnLetter(w.cols.pos["id"]), id, r.table, res.defined)
			return
		}
		res.defined, res.agent = w.rec, typ
		if kind == pcsKindPrimitive {
			res.class, res.provider = w.get("class"), w.get("provider")
			if res.class == "" {
				r.bad(w, "class", "", "the agent's class: ocf, systemd, lsb, service")
			}
			if res.class == "ocf" && res.provider == "" {
				r.bad(w, "provider", "", "the provider of an ocf agent, e.g. heartbeat")
			}
		}
		r.cur = res
	case subAttribute:
		if r.cur == nil {
			r.d.errAt("%s A: no resource: expected a P row with its id first", r.table)
			return
		}
		typ, name, value, ok := r.typedPair(w)
		if !ok {
			return
		}
		switch strings.ToLower(typ) {
		case "options":
			r.cur.options = r.setNV(w, r.cur.options, name, value)
		case "meta":
			r.cur.meta = r.setNV(w, r.cur.meta, name, value)
		case "utilization":
			r.cur.util = r.setNV(w, r.cur.util, name, value)
		default:
			r.bad(w, "type", typ, "options, meta or utilization")
		}
	case subOperation:
		if r.cur == nil {
			r.d.errAt("%s O: no resource: expected a P row with its id first", r.table)
			return
		}
		name, ok := r.need(w, "type", false)
		if !ok {
			return
		}
		op := pcsOp{name: name, rec: w.rec}
		for _, k := range w.cols.byPosition() {
			if k == "type" || w.get(k) == "" {
				continue
			}
			op.attrs = append(op.attrs, nv{k, w.get(k), w.rec})
		}
		interval := op.attr("interval")
		for _, o := range r.cur.ops {
			if o.name == op.name && o.attr("interval") == interval && o.attr("role") == op.attr("role") {
				r.d.errAt("%s O: operation %s with interval %q is already in row %d: expected one per action and interval", r.table, name, interval, o.rec)
				return
			}
		}
		r.cur.ops = append(r.cur.ops, op)
	}
}

// attr returns the operation attribute name ("" when unset).
func (o pcsOp) attr(name string) string {
	for _, a := range o.attrs {
		if a.name == name {
			return a.value
		}
	}
	return ""
}

func (r *pcsReader) levelRow(w *row) {
	node, ok := r.need(w, "node", true)
	id, okI := r.need(w, "id", false)
	level, okL := r.need(w, "level", false)
	if !ok || !okI || !okL {
		return
	}
	if n, err := strconv.Atoi(level); err != nil || n < 1 || n > 9 {
		r.bad(w, "level", level, "an integer from 1 to 9")
		return
	}
	for _, dev := range strings.Split(id, ",") {
		if r.resource(w, "id", dev, pcsKindStonith) == nil {
			return
		}
	}
	r.s.levels = append(r.s.levels, pcsLevel{node: node, id: id, level: level, rec: w.rec})
}

func (r *pcsReader) locNodeRow(w *row) {
	rsc, ok := r.need(w, "rsc", true)
	pa, okP := r.need(w, "prefers/avoids", true)
	node, okN := r.need(w, "node", false)
	if !ok || !okP || !okN {
		return
	}
	pa = strings.ToLower(pa)
	if pa != "prefers" && pa != "avoids" {
		r.bad(w, "prefers/avoids", pa, "prefers or avoids")
		return
	}
	score := "INFINITY"
	if v := w.get("score"); v != "" {
		s, good := pcsScore(v)
		if !good {
			r.bad(w, "score", v, "an integer or [+-]INFINITY")
			return
		}
		score = s
	}
	if r.resource(w, "rsc", rsc) == nil {
		return
	}
	for _, l := range r.s.locNodes {
		if l.rsc == rsc && l.node == node && l.avoids == (pa == "avoids") {
			r.d.warn("%s %s %s is already in row %d: this row's score %s replaces it", rsc, pa, node, l.rec, score)
		}
	}
	r.s.locNodes = append(r.s.locNodes, pcsLocNode{rsc: rsc, node: node, score: score, avoids: pa == "avoids", rec: w.rec})
}

// pcsRuleOps are the operators of a location rule expression.
var pcsRuleOps = []string{"lt", "gt", "lte", "gte", "eq", "ne", "defined", "not_defined"}

// locRuleRow reads LOCATION_RULE: a row with a score starts a rule, rows
// below without one add expressions joined by the rule's bool_op.
func (r *pcsReader) locRuleRow(w *row) {
	rsc, ok := r.need(w, "rsc", true)
	if !ok {
		return
	}
	if v := w.get("score"); v != "" || w.get("rsc") != "" {
		if v == "" {
			r.bad(w, "score", "", "the score of the rule this row starts")
			return
		}
		score, good := pcsScore(v)
		if !good {
			r.bad(w, "score", v, "an integer or [+-]INFINITY")
			return
		}
		res := r.resource(w, "rsc", rsc)
		if res == nil {
			return
		}
		rule := &pcsRule{score: score, rec: w.rec}
		if b := strings.ToLower(w.get("bool_op")); b != "" {
			if b != "and" && b != "or" {
				r.bad(w, "bool_op", w.get("bool_op"), "and or or")
				return
			}
			rule.boolOp = b
		}
		if v := w.get("role"); v != "" {
			role, good := pcsRole(v)
			if !good {
				r.bad(w, "role", v, "Promoted, Unpromoted, Started or Stopped")
				return
			}
			rule.role = role
		}
		var lr *pcsLocRule
		for _, x := range r.s.locRules {
			if x.rsc == rsc {
				lr = x
			}
		}
		if lr == nil {
			lr = &pcsLocRule{rsc: rsc}
			r.s.locRules = append(r.s.locRules, lr)
		}
		lr.rules = append(lr.rules, rule)
		r.rule = rule
	} else {
		for _, c := range []string{"bool_op", "role"} {
			if w.get(c) != "" {
				r.d.warn("column %s (%s): %q on a row without a score is ignored: it belongs on the rule's first row", columnLetter(w.cols.pos[c]), c, w.get(c))
			}
		}
	}
	if r.rule == nil {
		r.bad(w, "score", "", "a score: the first row of a rule has one")
		return
	}
	attr, okA := r.need(w, "attribute", false)
	op, okO := r.need(w, "op", false)
	if !okA || !okO {
		return
	}
	op = strings.ToLower(op)
	if !slices.Contains(pcsRuleOps, op) {
		r.bad(w, "op", op, strings.Join(pcsRuleOps, ", "))
		return
	}
	e := pcsExpr{attribute: attr, op: op}
	if op == "defined" || op == "not_defined" {
		if v := w.get("value"); v != "" {
			r.d.warn("column %s (value): %q is ignored: %s takes no value", columnLetter(w.cols.pos["value"]), v, op)
		}
	} else if e.value, ok = r.need(w, "value", false); !ok {
		return
	}
	if len(r.rule.exprs) == 1 && r.rule.boolOp == "" {
		r.d.errAt("LOCATION_RULE: a second expression in the rule of row %d, which has no bool_op: expected and or or there", r.rule.rec)
		return
	}
	r.rule.exprs = append(r.rule.exprs, e)
}

func (r *pcsReader) colocationRow(w *row) {
	rsc, ok := r.need(w, "rsc", false)
	with, okW := r.need(w, "with-rsc", false)
	v, okS := r.need(w, "score", false)
	if !ok || !okW || !okS {
		return
	}
	score, good := pcsScore(v)
	if !good {
		r.bad(w, "score", v, "an integer or [+-]INFINITY")
		return
	}
	c := pcsColocation{rsc: rsc, withRsc: with, score: score, rec: w.rec}
	for _, x := range []struct {
		col string
		dst *string
	}{{"rsc-role", &c.rscRole}, {"with-rsc-role", &c.withRscRole}} {
		if v := w.get(x.col); v != "" {
			role, good := pcsRole(v)
			if !good {
				r.bad(w, x.col, v, "Promoted, Unpromoted, Started or Stopped")
				return
			}
			*x.dst = role
		}
	}
	if r.resource(w, "rsc", rsc) == nil || r.resource(w, "with-rsc", with) == nil {
		return
	}
	r.s.colocations = append(r.s.colocations, c)
}

// pcsActions are the actions an order constraint can name.
var pcsActions = []string{"start", "promote", "demote", "stop"}

func (r *pcsReader) orderRow(w *row) {
	first, ok := r.need(w, "first-rsc", false)
	then, okT := r.need(w, "then-rsc", false)
	if !ok || !okT {
		return
	}
	o := pcsOrder{first: first, then: then, rec: w.rec}
	if v := w.get("kind"); v != "" {
		switch strings.ToLower(v) {
		case "optional", "mandatory", "serialize":
			o.kind = strings.ToUpper(v[:1]) + strings.ToLower(v[1:])
		default:
			r.bad(w, "kind", v, "Optional, Mandatory or Serialize")
			return
		}
	}
	for _, x := range []struct {
		col string
		dst *string
	}{{"first-action", &o.firstAction}, {"then-action", &o.thenAction}} {
		if v := w.get(x.col); v != "" {
			if !slices.Contains(pcsActions, strings.ToLower(v)) {
				r.bad(w, x.col, v, strings.Join(pcsActions, ", "))
				return
			}
			*x.dst = strings.ToLower(v)
		}
	}
	if v := w.get("symmetrical"); v != "" {
		b, good := normalizeBool(v)
		if !good {
			r.bad(w, "symmetrical", v, "true or false")
			return
		}
		o.symmetrical = b
	}
	if r.resource(w, "first-rsc", first) == nil || r.resource(w, "then-rsc", then) == nil {
		return
	}
	r.s.orders = append(r.s.orders, o)
}

func (r *pcsReader) alertRow(w *row) {
	switch r.sub {
	case subProperty:
		path, ok := r.need(w, "path", false)
		if !ok {
			return
		}
		for _, a := range r.s.alerts {
			if a.path == path {
				r.d.errAt("column %s (path): alert %q is already in row %d", columnLetter(w.cols.pos["path"]), path, a.rec)
				return
			}
		}
		r.alert, r.recip = &pcsAlert{path: path, rec: w.rec}, nil
		r.s.alerts = append(r.s.alerts, r.alert)
	case subRecipient:
		if r.alert == nil {
			r.d.errAt("ALERT R: no alert: expected a P row with its path first")
			return
		}
		v, ok := r.need(w, "recipient", false)
		if !ok {
			return
		}
		r.recip = &pcsRecipient{value: v}
		r.alert.recipients = append(r.alert.recipients, r.recip)
	case subAttribute:
		if r.alert == nil {
			r.d.errAt("ALERT A: no alert: expected a P row with its path first")
			return
		}
		typ, name, value, ok := r.typedPair(w)
		if !ok {
			return
		}
		opts, meta := &r.alert.options, &r.alert.meta
		if r.recip != nil {
			opts, meta = &r.recip.options, &r.recip.meta
		}
		switch strings.ToLower(typ) {
		case "options":
			*opts = r.setNV(w, *opts, name, value)
		case "meta":
			*meta = r.setNV(w, *meta, name, value)
		default:
			r.bad(w, "type", typ, "options or meta")
		}
	}
}

// finish checks what only the whole sheet can tell: every primitive and
// stonith resource defined by its table, every group and clone holding a
// resource.
func (r *pcsReader) finish() {
	for _, res := range r.s.resources {
		r.d.rec = res.rec
		switch res.kind {
		case pcsKindPrimitive, pcsKindStonith:
			if res.defined == 0 {
				table := "PRIMITIVE"
				if res.kind == pcsKindStonith {
					table = "STONITH"
				}
				r.d.errAt("RESOURCES: %s %q has no %s table: expected one with P row id %s", res.kind, res.id, table, res.id)
			}
		default:
			if len(res.children) == 0 {
				r.d.errAt("RESOURCES: %s %q holds no resource: expected rows one resourceItem column to its right below it", res.kind, res.id)
			}
		}
	}
}

// pcsScore spells a score as pcs and the CIB want: an integer, or
// INFINITY with an optional sign ("inf" and any case accepted).
func pcsScore(s string) (string, bool) {
	l := strings.ToLower(s)
	body := strings.TrimLeft(l, "+-")
	if len(l)-len(body) > 1 {
		return "", false
	}
	if body == "inf" || body == "infinity" {
		return strings.ToUpper(l[:len(l)-len(body)]) + "INFINITY", true
	}
	if _, err := strconv.Atoi(s); err == nil {
		return s, true
	}
	return "", false
}

// pcsRole spells a role the Pacemaker 2.1 and 3 way; the legacy Master and
// Slave are read as Promoted and Unpromoted.
func pcsRole(s string) (string, bool) {
	switch strings.ToLower(s) {
	case "promoted", "master":
		return "Promoted", true
	case "unpromoted", "slave":
		return "Unpromoted", true
	case "started":
		return "Started", true
	case "stopped":
		return "Stopped", true
	}
	return "", false
}

// columnLetter is a 0-based column index as a spreadsheet shows it: A, B, …, AA.
func columnLetter(i int) string {
	return strings.TrimPrefix(colName(i), "列")
}
