// SPDX-License-Identifier: Apache-2.0

package crmgen

// The model is what the sheet describes, in the order the output needs.
// Several orders below look arbitrary; each reproduces how pm_crmgen stored
// the same data, because users diff generated files against ones made by
// the reference tool.

// nv is one name="value" pair; rec is the record that set it, quoted in
// duplicate warnings.
type nv struct {
	name, value string
	rec         int
}

// ruleSet is a rule-scoped attribute set of a primitive (A sub-table
// "rule" column): the rule text is printed verbatim after the keyword.
type ruleSet struct {
	data  string
	items []nv
}

// attrItem is either a plain pair or a rule-scoped set.
type attrItem struct {
	nv
	rule *ruleSet
}

// attrBlock is one attribute set (params, meta, utilization, attributes,
// operations). Blocks keep their creation order, and a block exists from
// the first row that names its type even if no pair lands in it.
type attrBlock struct {
	typ   string
	items []attrItem
}

type attrSets struct {
	blocks []*attrBlock
}

func (a *attrSets) find(typ string) *attrBlock {
	for _, b := range a.blocks {
		if b.typ == typ {
			return b
		}
	}
	return nil
}

func (a *attrSets) get(typ string) *attrBlock {
	if b := a.find(typ); b != nil {
		return b
	}
	b := &attrBlock{typ: typ}
	a.blocks = append(a.blocks, b)
	return b
}

// add appends a pair unless both name and value are empty.
func (b *attrBlock) add(name, value string, rec int) {
	if name == "" && value == "" {
		return
	}
	b.items = append(b.items, attrItem{nv: nv{name, value, rec}})
}

// Resource kinds as RESOURCES spells them (Master is stored as ms).
const (
	kindPrimitive = "primitive"
	kindGroup     = "group"
	kindClone     = "clone"
	kindMS        = "ms"
)

type resource struct {
	kind, id string
	created  int // record of the RESOURCES row
	updated  int // record of the PRIMITIVE table's P row; 0 = none yet
	children []*resource
	parent   *resource
	class    string
	provider string
	raType   string
	attrs    attrSets
	ops      []*operation
}

type operation struct {
	name  string
	attrs []nv
}

type clusterNode struct {
	uname, ntype string
	attrs        attrSets
}

// locRule is a rule of the simple LOCATION table.
type locRule struct {
	typ   string // uname, ping, pingd or diskd
	score string
	node  string
	attr  string
	value string
	rec   int
	col   int
}

func (r locRule) same(o locRule) bool {
	return r.typ == o.typ && r.score == o.score && r.node == o.node && r.attr == o.attr && r.value == o.value
}

type location struct {
	rsc   string
	rules []locRule
}

type expression struct {
	attribute, op, value string
}

type exRule struct {
	score, boolOp, role, idSpec string
	created                     int
	exprs                       []expression
}

type locExpert struct {
	rsc   string
	rules []*exRule
}

type colocation struct {
	rsc, withRsc, score, rscRole, withRscRole string
	auto                                      bool
	rec                                       int
}

func (c *colocation) same(o *colocation) bool {
	return c.rsc == o.rsc && c.withRsc == o.withRsc && c.score == o.score &&
		c.rscRole == o.rscRole && c.withRscRole == o.withRscRole
}

func (c *colocation) from() (auto bool, rec int) { return c.auto, c.rec }

type order struct {
	first, then, score, firstAction, thenAction, symmetrical string
	auto                                                     bool
	rec                                                      int
}

func (c *order) same(o *order) bool {
	return c.first == o.first && c.then == o.then && c.score == o.score &&
		c.firstAction == o.firstAction && c.thenAction == o.thenAction && c.symmetrical == o.symmetrical
}

func (c *order) from() (auto bool, rec int) { return c.auto, c.rec }

type fencingLevel struct {
	node, rsc, index string
}

type ticket struct {
	ticket, rsc, role, lossPolicy string
}

type recipient struct {
	value string
	attrs attrSets
}

type alert struct {
	path       string
	attrs      attrSets
	recipients []*recipient
}

// config is the whole generated configuration.
type config struct {
	nodes       []*clusterNode
	options     attrSets // property, rsc_defaults, op_defaults
	resources   []*resource
	byID        map[string]*resource
	locations   []*location
	locExperts  []*locExpert
	colocations []*colocation
	orders      []*order
	fencing     []fencingLevel
	tickets     []ticket
	extra       []string // ADDITIONAL_CONFIG
	alerts      []*alert
}

// topAncestor returns the outermost container of r (r itself at top level).
func (r *resource) topAncestor() *resource {
	for r.parent != nil {
		r = r.parent
	}
	return r
}
