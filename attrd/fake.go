// SPDX-License-Identifier: Apache-2.0

package attrd

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// Op names a CRM method, for Fake's call log and failure injection.
type Op string

// The operations a Fake records.
const (
	OpGet                  Op = "Get"
	OpSet                  Op = "Set"
	OpDelete               Op = "Delete"
	OpSetPromotionScore    Op = "SetPromotionScore"
	OpDeletePromotionScore Op = "DeletePromotionScore"
	OpSnapshot             Op = "Snapshot"
	OpCIBSnapshot          Op = "CIBSnapshot"
	OpLocalNode            Op = "LocalNode"
	OpBan                  Op = "Ban"
)

// Call is one recorded Fake method call. Promotion-score calls record the
// attribute they touch (Name "master-<rsc>", Lifetime Reboot) besides the
// resource, so tests can assert on either.
type Call struct {
	Op       Op
	Node     string
	Name     string
	Value    string
	Lifetime Lifetime
	Resource string
}

// Fake is an in-memory cluster with CRM's methods, for unit tests of code
// that reads and writes node attributes. It keeps Pacemaker's semantics
// where the agent depends on them:
//
//   - attributes of unknown nodes cannot be read or written (ErrUnknownNode);
//   - a node going offline loses its reboot attributes and its resource
//     roles, as when it leaves a real cluster; forever attributes stay;
//   - Snapshot shows attributes of online nodes only, reboot values win
//     over forever ones of the same name, and Pacemaker-internal names are
//     hidden, exactly like crm_mon.
//
// All methods are safe for concurrent use.
type Fake struct {
	mu    sync.Mutex
	local string
	nodes []*fakeNode
	roles map[string]map[string]Role // resource → node → role
	fail  map[Op]error
	calls []Call
}

type fakeNode struct {
	name    string
	online  bool
	reboot  map[string]string
	forever map[string]string
}

// NewFake returns a Fake whose local node is local, with the given nodes
// online. local is added to the nodes if missing.
func NewFake(local string, nodes ...string) *Fake {
	f := &Fake{local: local, roles: map[string]map[string]Role{}, fail: map[Op]error{}}
	if local != "" && !slices.Contains(nodes, local) {
		nodes = append([]string{local}, nodes...)
	}
	for _, n := range nodes {
		f.AddNode(n, true)
	}
	return f
}

// AddNode adds a node (or changes its online state if it exists).
func (f *Fake) AddNode(name string, online bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n := f.node(name); n != nil {
		f.setOnline(n, online)
		return
	}
	f.nodes = append(f.nodes, &fakeNode{name: name, online: online,
		reboot: map[string]string{}, forever: map[string]string{}})
}

// SetOnline changes a node's membership. Going offline erases the node's
// reboot attributes and its resource roles, as Pacemaker does.
func (f *Fake) SetOnline(name string, online bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n := f.node(name); n != nil {
		f.setOnline(n, online)
	}
}

func (f *Fake) setOnline(n *fakeNode, online bool) {
	if n.online && !online {
		clear(n.reboot)
		for _, byNode := range f.roles {
			delete(byNode, n.name)
		}
	}
	n.online = online
}

// SetRole sets the role resource rsc has on node (RoleStopped removes it).
func (f *Fake) SetRole(rsc, node string, role Role) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rsc = StripInstance(rsc)
	if role == RoleStopped || role == "" {
		delete(f.roles[rsc], node)
		return
	}
	if f.roles[rsc] == nil {
		f.roles[rsc] = map[string]Role{}
	}
	f.roles[rsc][node] = role
}

// Fail makes every later call of op return err (wrapped); a nil err
// clears it.
func (f *Fake) Fail(op Op, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil {
		delete(f.fail, op)
		return
	}
	f.fail[op] = err
}

// Calls returns a copy of the calls made so far, in order.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Value returns a stored attribute without recording a call, for test
// assertions.
func (f *Fake) Value(node, name string, lt Lifetime) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.node(node)
	if n == nil {
		return "", false
	}
	v, ok := n.attrs(lt)[name]
	return v, ok
}

// LocalNode returns the local node given to NewFake.
func (f *Fake) LocalNode(ctx context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(ctx, Call{Op: OpLocalNode}); err != nil {
		return "", fmt.Errorf("asking Pacemaker for the local node name: %w", err)
	}
	return f.local, nil
}

// Get behaves like CRM.Get.
func (f *Fake) Get(ctx context.Context, node, name string, lt Lifetime) (string, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	what := fmt.Sprintf("reading node attribute %s (%s) of %s", name, lt, node)
	if err := f.begin(ctx, Call{Op: OpGet, Node: node, Name: name, Lifetime: lt}); err != nil {
		return "", false, fmt.Errorf("%s: %w", what, err)
	}
	n, err := f.attrNode(node, name, lt)
	if err != nil {
		return "", false, fmt.Errorf("%s: %w", what, err)
	}
	v, ok := n.attrs(lt)[name]
	return v, ok, nil
}

// Set behaves like CRM.Set.
func (f *Fake) Set(ctx context.Context, node, name, value string, lt Lifetime) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	what := fmt.Sprintf("setting node attribute %s=%q (%s) on %s", name, value, lt, node)
	if err := f.begin(ctx, Call{Op: OpSet, Node: node, Name: name, Value: value, Lifetime: lt}); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	n, err := f.attrNode(node, name, lt)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	n.attrs(lt)[name] = value
	return nil
}

// Delete behaves like CRM.Delete.
func (f *Fake) Delete(ctx context.Context, node, name string, lt Lifetime) error {
	return f.delete(ctx, Call{Op: OpDelete, Node: node, Name: name, Lifetime: lt},
		fmt.Sprintf("deleting node attribute %s (%s) of %s", name, lt, node), nil)
}

// SetPromotionScore behaves like CRM.SetPromotionScore.
func (f *Fake) SetPromotionScore(ctx context.Context, resource, node, score string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	rsc := StripInstance(resource)
	what := fmt.Sprintf("setting promotion score of %s on %s to %s", rsc, node, score)
	name := PromotionScoreName(rsc)
	if err := f.begin(ctx, Call{Op: OpSetPromotionScore, Node: node, Name: name, Value: score, Lifetime: Reboot, Resource: rsc}); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := checkScore(rsc, node, score); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	n, err := f.attrNode(node, name, Reboot)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	n.reboot[name] = score
	return nil
}

// DeletePromotionScore behaves like CRM.DeletePromotionScore: the reboot
// attribute master-<resource> goes.
func (f *Fake) DeletePromotionScore(ctx context.Context, resource, node string) error {
	rsc := StripInstance(resource)
	return f.delete(ctx, Call{Op: OpDeletePromotionScore, Node: node, Name: PromotionScoreName(rsc), Lifetime: Reboot, Resource: rsc},
		fmt.Sprintf("deleting promotion score of %s on %s", rsc, node), func() error { return checkScore(rsc, node, "0") })
}

// delete is the one delete path: the call c names the attribute; check,
// when set, refuses the request before anything changes.
func (f *Fake) delete(ctx context.Context, c Call, what string, check func() error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(ctx, c); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if check != nil {
		if err := check(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	n, err := f.attrNode(c.Node, c.Name, c.Lifetime)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	delete(n.attrs(c.Lifetime), c.Name)
	return nil
}

// Ban behaves like CRM.Ban as far as the log of calls goes: it records
// the ban (Resource, Node); Fake keeps no constraints.
func (f *Fake) Ban(ctx context.Context, resource, node string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(ctx, Call{Op: OpBan, Node: node, Resource: resource}); err != nil {
		return fmt.Errorf("banning %s from %s: %w", resource, node, err)
	}
	return nil
}

// Snapshot behaves like CRM.Snapshot: it returns a deep copy of the state
// as crm_mon would show it.
func (f *Fake) Snapshot(ctx context.Context) (*Cluster, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(ctx, Call{Op: OpSnapshot}); err != nil {
		return nil, fmt.Errorf("reading cluster status: %w", err)
	}
	c := &Cluster{}
	for i, n := range f.nodes {
		node := Node{Name: n.name, ID: fmt.Sprint(i + 1), Online: n.online, Type: "member", AttrsKnown: n.online}
		if n.online {
			node.Attrs = map[string]string{}
			for _, m := range []map[string]string{n.forever, n.reboot} {
				for k, v := range m {
					if !CrmMonHides(k) {
						node.Attrs[k] = v
					}
				}
			}
		}
		c.Nodes = append(c.Nodes, node)
	}
	for _, rsc := range slices.Sorted(maps.Keys(f.roles)) {
		for _, n := range f.nodes {
			role, ok := f.roles[rsc][n.name]
			if !ok || !n.online {
				continue
			}
			c.Instances = append(c.Instances, Instance{ID: rsc, Resource: rsc, Role: role,
				Active: true, Managed: true, Nodes: []string{n.name}})
		}
	}
	return c, nil
}

// CIBSnapshot behaves like CRM.CIBSnapshot: every node with both
// lifetimes of its attributes (a reboot one hiding a forever one), whether
// it is online, and no roles.
func (f *Fake) CIBSnapshot(ctx context.Context) (*Cluster, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(ctx, Call{Op: OpCIBSnapshot}); err != nil {
		return nil, fmt.Errorf("reading the CIB: %w", err)
	}
	c := &Cluster{MembershipOnly: true}
	for i, n := range f.nodes {
		node := Node{Name: n.name, ID: fmt.Sprint(i + 1), Online: n.online, Type: "member", AttrsKnown: true}
		for _, m := range []map[string]string{n.forever, n.reboot} {
			for k, v := range m {
				if CrmMonHides(k) {
					continue
				}
				if node.Attrs == nil {
					node.Attrs = map[string]string{}
				}
				node.Attrs[k] = v
			}
		}
		c.Nodes = append(c.Nodes, node)
	}
	return c, nil
}

// begin records the call and returns the injected failure or the context's
// error, so a test can check that its caller gives up on a dead context.
func (f *Fake) begin(ctx context.Context, c Call) error {
	f.calls = append(f.calls, c)
	if err := ctx.Err(); err != nil {
		return err
	}
	return f.fail[c.Op]
}

func (f *Fake) node(name string) *fakeNode {
	for _, n := range f.nodes {
		if n.name == name {
			return n
		}
	}
	return nil
}

func (f *Fake) attrNode(node, name string, lt Lifetime) (*fakeNode, error) {
	if err := checkAttr(node, name, lt); err != nil {
		return nil, err
	}
	n := f.node(node)
	if n == nil {
		return nil, fmt.Errorf("%w: %s", ErrUnknownNode, node)
	}
	return n, nil
}

func (n *fakeNode) attrs(lt Lifetime) map[string]string {
	if lt == Forever {
		return n.forever
	}
	return n.reboot
}

// CrmMonHides reports whether crm_mon leaves a node attribute out of its
// node_attributes section, so a Snapshot never shows it even though
// crm_attribute can read it. Pacemaker 2.1.5 hides every name starting
// with one of these prefixes (checked against the real crm_mon, see
// test/fixtures/pacemaker-2.1.5/snapshot-hidden-attrs.xml); none of the
// agent's names do.
func CrmMonHides(name string) bool {
	for _, p := range []string{"#", "fail-count", "last-failure", "shutdown", "terminate", "standby"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}
