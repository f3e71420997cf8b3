// SPDX-License-Identifier: Apache-2.0

package crmgen

import (
	"sort"
	"strings"
)

// tableKind identifies the table a row belongs to (column B keywords).
type tableKind int

const (
	tableNone tableKind = iota
	// tableSkip means "ignore rows until the next table keyword": the state
	// pm_crmgen enters after an error inside a table.
	tableSkip
	tableNode
	tableProperty
	tableRscDefaults
	tableOpDefaults
	tableResources
	tableAttributes
	tablePrimitive
	tableLocation
	tableLocExpert
	tableColocation
	tableOrder
	tableFencingTopology
	tableTicket
	tableConfig
	tableAlert
)

// tableKeywords maps the lower-cased column-B keyword to its table.
var tableKeywords = map[string]tableKind{
	"node":              tableNode,
	"property":          tableProperty,
	"rsc_defaults":      tableRscDefaults,
	"op_defaults":       tableOpDefaults,
	"resources":         tableResources,
	"rsc_attributes":    tableAttributes,
	"primitive":         tablePrimitive,
	"location":          tableLocation,
	"location_expert":   tableLocExpert,
	"colocation":        tableColocation,
	"order":             tableOrder,
	"fencing_topology":  tableFencingTopology,
	"rsc_ticket":        tableTicket,
	"additional_config": tableConfig,
	"alert":             tableAlert,
}

// Sub-tables of PRIMITIVE (P, A, O) and ALERT (P, A, R), opened by a row
// whose column B holds the letter; that row is also the column header.
const (
	subNone      = 0
	subProperty  = 'p'
	subAttribute = 'a'
	subOperation = 'o'
	subRecipient = 'r'
)

// requiredColumns lists, per table and sub-table, the columns a header row
// must name, in the order pm_crmgen reports missing ones.
func requiredColumns(t tableKind, sub byte) []string {
	switch t {
	case tableNode:
		return []string{"uname", "ptype", "name", "value"}
	case tableProperty, tableRscDefaults, tableOpDefaults:
		return []string{"name", "value"}
	case tableResources:
		return []string{"resourceitem", "id"}
	case tableAttributes:
		return []string{"id", "type", "name", "value"}
	case tablePrimitive:
		switch sub {
		case subProperty:
			return []string{"id", "class", "provider", "type"}
		case subAttribute:
			return []string{"type", "name", "value"}
		case subOperation:
			return []string{"type"}
		}
	case tableLocation:
		return []string{"rsc"}
	case tableLocExpert:
		return []string{"rsc", "score", "bool_op", "attribute", "op", "value"}
	case tableColocation:
		return []string{"rsc", "with-rsc", "score"}
	case tableOrder:
		return []string{"first-rsc", "then-rsc", "score"}
	case tableFencingTopology:
		return []string{"node", "rsc", "index"}
	case tableTicket:
		return []string{"ticket", "rsc"}
	case tableConfig:
		return []string{"config"}
	case tableAlert:
		switch sub {
		case subProperty:
			return []string{"path"}
		case subAttribute:
			return []string{"type", "name", "value"}
		case subRecipient:
			return []string{"recipient"}
		}
	}
	return nil
}

// isOptionalColumn reports the known but optional columns of a table. The
// "rule" column is keyed on the sub-table letter alone, so ALERT's A
// sub-table accepts (and ignores) it too, as in pm_crmgen.
func isOptionalColumn(t tableKind, sub byte, name string) bool {
	switch {
	case t == tableNode:
		return name == "ntype"
	case sub == subAttribute && name == "rule":
		return true
	case t == tableLocExpert:
		return name == "role" || name == "id_spec"
	case t == tableColocation:
		return name == "rsc-role" || name == "with-rsc-role"
	case t == tableOrder:
		return name == "first-action" || name == "then-action" || name == "symmetrical"
	case t == tableTicket:
		return name == "role" || name == "loss-policy"
	}
	return false
}

// columns is the column header of the current (sub-)table.
type columns struct {
	pos map[string]int
	// names keeps the insertion order (header column order): the op
	// attribute order of an O sub-table is derived from it.
	names []string
	// ri holds the positions of RESOURCES' resourceItem columns.
	ri []int
}

func (c *columns) has(name string) bool {
	_, ok := c.pos[name]
	return ok
}

// byPosition returns the column names sorted by position.
func (c *columns) byPosition() []string {
	out := make([]string, 0, len(c.pos))
	for _, n := range c.names {
		if _, ok := c.pos[n]; ok {
			out = append(out, n)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return c.pos[out[i]] < c.pos[out[j]] })
	return out
}

func (c *columns) maxPos() int {
	m := -1
	for _, p := range c.pos {
		m = max(m, p)
	}
	for _, p := range c.ri {
		m = max(m, p)
	}
	return m
}

// row is one data row handed to the model builder.
type row struct {
	rec   int
	cells []string // normalised cells, padded to the header's width
	raw   []string // the cells as read (ADDITIONAL_CONFIG keeps them verbatim)
	cols  *columns
}

func (r *row) has(name string) bool { return r.cols.has(name) }

// get returns the normalised cell under the named column, "" when the
// table has no such column.
func (r *row) get(name string) string {
	if i, ok := r.cols.pos[name]; ok {
		return r.cells[i]
	}
	return ""
}

func (r *row) set(name, v string) {
	if i, ok := r.cols.pos[name]; ok {
		r.cells[i] = v
	}
}

// rawCell returns the unnormalised cell under the named column.
func (r *row) rawCell(name string) string {
	if i, ok := r.cols.pos[name]; ok && i < len(r.raw) {
		return r.raw[i]
	}
	return ""
}

// action tells the parser how to go on after a data row.
type action int

const (
	actContinue action = iota
	actSkipTable
	actStop
)

// handler receives the parser's events; the model builder implements it.
// Keeping the two apart lets the table/column logic be tested without a
// model, and the model without CSV.
type handler interface {
	startTable(t tableKind)
	startSub(t tableKind, sub byte)
	dataRow(t tableKind, sub byte, r *row) action
}

// parser classifies records into table headers, column headers and data
// rows, and checks column headers.
type parser struct {
	d    *diags
	h    handler
	mode tableKind
	sub  byte
	cols *columns
}

// parse feeds the records to h. It returns false when reading stopped early
// because of an error that pm_crmgen treats as fatal for the rest of the
// file (unknown table keyword, broken RESOURCES header or row, data before
// any table).
func parse(recs []Record, d *diags, h handler) bool {
	p := &parser{d: d, h: h}
	for _, rec := range recs {
		d.rec = rec.Num
		cells := normalizedCells(rec)
		if !worthReading(cells) {
			continue
		}
		if cells[1] != "" {
			if !p.tableHeader(cells) {
				return false
			}
			p.cols = nil
			if p.sub == subNone {
				continue
			}
		}
		if p.mode == tableSkip {
			continue
		}
		if p.mode != tableNone && p.cols == nil {
			if !p.columnHeader(cells) {
				return false
			}
			continue
		}
		if p.mode == tableNone {
			d.fmtErr("表ヘッダが設定されていません。")
			return false
		}
		r := p.dataRow(rec, cells)
		if r == nil {
			continue
		}
		switch h.dataRow(p.mode, p.sub, r) {
		case actSkipTable:
			p.mode = tableSkip
		case actStop:
			return false
		}
	}
	return true
}

// normalizedCells is the record's fields through normalizeCell.
func normalizedCells(rec Record) []string {
	cells := make([]string, len(rec.Fields))
	for i, f := range rec.Fields {
		cells[i] = normalizeCell(f)
	}
	return cells
}

// worthReading drops blank records, comment rows (column A starting with
// "#") and rows without any non-blank cell.
func worthReading(cells []string) bool {
	if len(cells) == 0 {
		return false
	}
	if strings.HasPrefix(cells[0], "#") {
		return false
	}
	if len(cells) <= 1 {
		return false
	}
	for _, c := range cells {
		if c != "" {
			return true
		}
	}
	return false
}

// tableHeader handles a row with a keyword in column B. It returns false
// when reading must stop (unknown keyword).
func (p *parser) tableHeader(cells []string) bool {
	kw := strings.ToLower(cells[1])
	letter := byte(0)
	if len(kw) == 1 {
		letter = kw[0]
	}
	isPrim := letter == subProperty || letter == subAttribute || letter == subOperation
	isAlert := letter == subProperty || letter == subAttribute || letter == subRecipient
	switch {
	case p.mode == tablePrimitive && isPrim:
		if (p.sub == subNone) != (letter == subProperty) {
			p.d.fmtErr("Primitiveリソース表の定義が正しくありません。")
			p.mode = tableSkip
			return true
		}
		p.sub = letter
		p.h.startSub(p.mode, letter)
		return true
	case p.mode == tableAlert && isAlert:
		if (p.sub == subNone) != (letter == subProperty) {
			p.d.fmtErr("Alert設定表の定義が正しくありません。")
			p.mode = tableSkip
			return true
		}
		p.sub = letter
		p.h.startSub(p.mode, letter)
		return true
	case p.mode == tableSkip && (isPrim || isAlert):
		return true
	}
	t, ok := tableKeywords[kw]
	if !ok {
		p.d.fmtErr("未定義の表ヘッダ [%s](%s) が設定されています。", cells[1], colName(1))
		return false
	}
	p.mode, p.sub = t, subNone
	p.h.startTable(t)
	return true
}

// columnHeader reads the header row of the current (sub-)table and reports
// missing, duplicated and unknown columns. It returns false when reading
// must stop (a broken RESOURCES header).
func (p *parser) columnHeader(cells []string) bool {
	d := p.d
	if p.sub == subNone && p.mode == tablePrimitive {
		d.fmtErr("Primitiveリソース表の定義が正しくありません。")
		p.mode = tableSkip
		return true
	}
	if p.sub == subNone && p.mode == tableAlert {
		d.fmtErr("Alert設定表の定義が正しくありません。")
		p.mode = tableSkip
		return true
	}
	errs0 := d.errors
	required := requiredColumns(p.mode, p.sub)
	known := map[string]bool{}
	for _, n := range required {
		known[n] = true
	}
	cols := &columns{pos: map[string]int{}}
	keys := make([]string, len(cells)) // the key each header cell maps to
	for i := 2; i < len(cells); i++ {
		data := cells[i]
		if data == "" {
			continue
		}
		key := strings.ToLower(data)
		switch {
		case p.mode == tableResources && key == "resourceitem":
			cols.ri = append(cols.ri, i)
		case p.mode == tablePrimitive && p.sub == subOperation && key != "type":
			// Every extra O column is an op attribute, spelled as written.
			key = data
			known[key] = true
		case p.mode == tableLocation && key != "rsc":
			if k, ok := locationColumn(data); ok {
				key = k
				known[key] = true
			}
		case isOptionalColumn(p.mode, p.sub, key):
			known[key] = true
		}
		if _, dup := cols.pos[key]; !dup {
			cols.pos[key] = i
			cols.names = append(cols.names, key)
		}
		keys[i] = key
	}
	for _, n := range required {
		if !cols.has(n) {
			d.fmtErr("'%s'列が設定されていません。", n)
		}
	}
	ordered := cols.byPosition()
	occurrences := func(key string) []int {
		var at []int
		for i, k := range keys {
			if k == key {
				at = append(at, i)
			}
		}
		return at
	}
	for _, k := range ordered {
		at := occurrences(k)
		if len(at) > 1 && known[k] && (p.mode != tableResources || k != "resourceitem") {
			for _, later := range at[1:] {
				d.fmtErr("'%s'列が複数設定されています。(%sと%s)", k, colName(at[0]), colName(later))
			}
		}
	}
	for _, k := range ordered {
		if known[k] {
			continue
		}
		for _, i := range occurrences(k) {
			msg := "未定義の列 [%s](%s) が設定されています。"
			if p.mode == tableLocation {
				d.fmtErr(msg, cells[i], colName(i))
			} else {
				d.warn(msg, cells[i], colName(i))
			}
		}
		delete(cols.pos, k)
	}
	for _, k := range cols.byPosition() {
		if hasNonASCII(k) {
			d.warn("列定義に全角文字が含まれています。[%s](%s)", cells[cols.pos[k]], colName(cols.pos[k]))
		}
	}
	failed := d.errors > errs0
	if p.mode == tableResources {
		if failed {
			return false
		}
		id := cols.pos["id"]
		if cols.ri[0] < id && id < cols.ri[len(cols.ri)-1] {
			d.fmtErr("リソース構成表の定義が正しくありません。")
			return false
		}
		delete(cols.pos, "resourceitem")
	}
	p.cols = cols
	if failed {
		p.mode = tableSkip
	}
	return true
}

// dataRow pads the row to the header's width and returns nil when no
// recognised column holds a value (remarks in unheaded columns are free
// text). It warns about non-ASCII values, which crmsh would reject or
// mangle.
func (p *parser) dataRow(rec Record, cells []string) *row {
	for len(cells) <= p.cols.maxPos() {
		cells = append(cells, "")
	}
	found := false
	for _, i := range p.cols.pos {
		found = found || cells[i] != ""
	}
	for _, i := range p.cols.ri {
		found = found || cells[i] != ""
	}
	if !found {
		return nil
	}
	for _, i := range p.cols.ri {
		if hasNonASCII(cells[i]) {
			p.d.warn("設定値に全角文字が含まれています。[%s](%s)", cells[i], colName(i))
		}
	}
	for _, k := range p.cols.byPosition() {
		i := p.cols.pos[k]
		if hasNonASCII(cells[i]) {
			p.d.warn("設定値に全角文字が含まれています。[%s](%s)", cells[i], colName(i))
		}
	}
	return &row{rec: rec.Num, cells: cells, raw: rec.Fields, cols: p.cols}
}

// locationColumn recognises the rule columns of the simple LOCATION table
// and returns their canonical key ("score:-INFINITY", "ping:attr:100",
// "pingd:attr:100", "diskd:attr").
func locationColumn(h string) (string, bool) {
	parts := strings.Split(h, ":")
	lower := strings.ToLower(h)
	switch {
	case strings.HasPrefix(lower, "score:") && len(parts) == 2 && parts[1] != "":
		return "score:" + normalizeScore(parts[1]), true
	case strings.HasPrefix(lower, "ping:") && len(parts) == 3 && parts[1] != "" && parts[2] != "":
		return "ping:" + parts[1] + ":" + parts[2], true
	case strings.HasPrefix(lower, "pingd:") && len(parts) == 3 && parts[1] != "" && parts[2] != "":
		return "pingd:" + parts[1] + ":" + parts[2], true
	case strings.HasPrefix(lower, "diskd:") && len(parts) == 2 && parts[1] != "":
		return "diskd:" + parts[1], true
	}
	return "", false
}

// normalizeCell prepares a cell for use: blank lines inside it collapse,
// newlines become spaces and surrounding white space (including the
// full-width space) is trimmed.
func normalizeCell(s string) string {
	for strings.Contains(s, "\n\n") {
		s = strings.ReplaceAll(s, "\n\n", "\n")
	}
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.TrimFunc(s, isPySpace)
}

// isPySpace is the white-space set of the reference tool's string
// functions (Python 2 unicode): Go's unicode.IsSpace plus the ASCII
// information separators and U+180E.
func isPySpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0x1c, 0x1d, 0x1e, 0x1f, 0x85, 0xa0, 0x1680, 0x180e,
		0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

// hasNonASCII reports characters outside printable ASCII (TAB included),
// which is what pm_crmgen calls "全角文字".
func hasNonASCII(s string) bool {
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			return true
		}
	}
	return false
}

// normalizeScore spells INFINITY the way crmsh prints it; other scores pass
// through untouched (pm_crmgen does not validate them either).
func normalizeScore(s string) string {
	l := strings.ToLower(s)
	body := strings.TrimLeft(l, "+-")
	if len(l)-len(body) <= 1 && (body == "inf" || body == "infinity") {
		return l[:len(l)-len(body)] + "INFINITY"
	}
	return s
}

// normalizeBool maps pm_crmgen's yes/no spellings to crm's true/false;
// ok is false for anything else.
func normalizeBool(s string) (string, bool) {
	switch strings.ToLower(s) {
	case "yes", "y", "true":
		return "true", true
	case "no", "n", "false":
		return "false", true
	}
	return "", false
}
