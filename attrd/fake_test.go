// SPDX-License-Identifier: Apache-2.0

package attrd_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/pgrex/pgrex/attrd"
)

// attributeStore is what the agent will need from either implementation;
// both must satisfy it, so code tested against Fake runs against CRM.
type attributeStore interface {
	Get(ctx context.Context, node, name string, lt attrd.Lifetime) (string, bool, error)
	Set(ctx context.Context, node, name, value string, lt attrd.Lifetime) error
	Delete(ctx context.Context, node, name string, lt attrd.Lifetime) error
	SetPromotionScore(ctx context.Context, resource, node, score string) error
	DeletePromotionScore(ctx context.Context, resource, node string) error
	Snapshot(ctx context.Context) (*attrd.Cluster, error)
	LocalNode(ctx context.Context) (string, error)
}

var (
	_ attributeStore = (*attrd.CRM)(nil)
	_ attributeStore = (*attrd.Fake)(nil)
)

func TestFakeAttributes(t *testing.T) {
	ctx := t.Context()
	f := attrd.NewFake("node1", "node2")
	if n, _ := f.LocalNode(ctx); n != "node1" {
		t.Errorf("LocalNode = %q", n)
	}
	mustNil(t, f.Set(ctx, "node2", "pgsql-status", "HS:sync", attrd.Reboot))
	mustNil(t, f.Set(ctx, "node2", "pgsql-data-status", "STREAMING|SYNC", attrd.Forever))

	// Lifetimes are separate namespaces, as in the CIB.
	if v, ok, err := f.Get(ctx, "node2", "pgsql-data-status", attrd.Reboot); ok || err != nil {
		t.Errorf("forever attribute visible as reboot: %q, %v", v, err)
	}
	if v, ok, _ := f.Get(ctx, "node2", "pgsql-data-status", attrd.Forever); v != "STREAMING|SYNC" || !ok {
		t.Errorf("Get forever = %q, %v", v, ok)
	}
	mustNil(t, f.Delete(ctx, "node2", "pgsql-status", attrd.Reboot))
	mustNil(t, f.Delete(ctx, "node2", "pgsql-status", attrd.Reboot)) // idempotent
	if _, ok, _ := f.Get(ctx, "node2", "pgsql-status", attrd.Reboot); ok {
		t.Error("deleted attribute still there")
	}

	// Unknown nodes are errors, as with crm_attribute.
	if _, _, err := f.Get(ctx, "node9", "a", attrd.Reboot); !errors.Is(err, attrd.ErrUnknownNode) {
		t.Errorf("Get on unknown node: %v", err)
	}
	if err := f.Set(ctx, "node9", "a", "b", attrd.Forever); !errors.Is(err, attrd.ErrUnknownNode) {
		t.Errorf("Set on unknown node: %v", err)
	}
	if err := f.Set(ctx, "", "a", "b", attrd.Forever); err == nil {
		t.Error("Set without node accepted")
	}

	mustNil(t, f.SetPromotionScore(ctx, "pgsql:0", "node2", "-INFINITY"))
	if v, ok := f.Value("node2", "master-pgsql", attrd.Reboot); v != "-INFINITY" || !ok {
		t.Errorf("promotion score stored as %q, %v", v, ok)
	}
	if err := f.SetPromotionScore(ctx, "pgsql", "node2", "lots"); !errors.Is(err, attrd.ErrInvalidScore) {
		t.Errorf("bad score: %v", err)
	}
	mustNil(t, f.DeletePromotionScore(ctx, "pgsql", "node2"))
	if _, ok := f.Value("node2", "master-pgsql", attrd.Reboot); ok {
		t.Error("promotion score still there")
	}

	calls := f.Calls()
	ops := make([]attrd.Op, 0, len(calls))
	for _, c := range calls {
		ops = append(ops, c.Op)
	}
	want := []attrd.Op{attrd.OpLocalNode, attrd.OpSet, attrd.OpSet, attrd.OpGet, attrd.OpGet, attrd.OpDelete, attrd.OpDelete,
		attrd.OpGet, attrd.OpGet, attrd.OpSet, attrd.OpSet, attrd.OpSetPromotionScore, attrd.OpSetPromotionScore, attrd.OpDeletePromotionScore}
	if !slices.Equal(ops, want) {
		t.Errorf("calls = %v\nwant %v", ops, want)
	}
	if c := calls[11]; c.Resource != "pgsql" || c.Name != "master-pgsql" || c.Value != "-INFINITY" || c.Node != "node2" {
		t.Errorf("promotion call recorded as %+v", c)
	}
}

// Pacemaker semantics the agent relies on: a node that leaves loses its
// reboot attributes and resources but keeps forever attributes, and the
// snapshot cannot see an offline node's attributes.
func TestFakeSnapshot(t *testing.T) {
	ctx := t.Context()
	f := attrd.NewFake("node1", "node2", "node3")
	mustNil(t, f.Set(ctx, "node1", "pgsql-status", "PRI", attrd.Reboot))
	mustNil(t, f.Set(ctx, "node1", "pgsql-status", "OLD", attrd.Forever)) // collision: reboot wins
	mustNil(t, f.Set(ctx, "node1", "fail-count-pgsql#monitor_3000", "1", attrd.Reboot))
	mustNil(t, f.SetPromotionScore(ctx, "pgsql", "node1", "1000"))
	mustNil(t, f.Set(ctx, "node2", "pgsql-status", "HS:sync", attrd.Reboot))
	mustNil(t, f.Set(ctx, "node2", "pgsql-data-status", "STREAMING|SYNC", attrd.Forever))
	f.SetRole("pgsql", "node1", attrd.RolePromoted)
	f.SetRole("pgsql", "node2", attrd.RoleUnpromoted)

	c, err := f.Snapshot(ctx)
	mustNil(t, err)
	if p, _ := c.PromotedNode("pgsql"); p != "node1" {
		t.Errorf("promoted = %q", p)
	}
	n1, _ := c.Node("node1")
	if want := map[string]string{"pgsql-status": "PRI", "master-pgsql": "1000"}; !maps.Equal(n1.Attrs, want) {
		t.Errorf("node1 attrs = %v, want %v", n1.Attrs, want)
	}
	if !c.AttrKnown("node3") || len(c.OnlineNodes()) != 3 {
		t.Errorf("online node3 without attributes must still be known: %+v", c.Nodes)
	}

	f.SetOnline("node2", false)
	c, err = f.Snapshot(ctx)
	mustNil(t, err)
	if c.Online("node2") || c.AttrKnown("node2") || !c.HasNode("node2") {
		t.Errorf("offline node2 = %+v", c.Nodes[1])
	}
	if r := c.RoleOn("pgsql", "node2"); r != attrd.RoleStopped {
		t.Errorf("offline node still runs pgsql as %q", r)
	}
	if v, ok := f.Value("node2", "pgsql-data-status", attrd.Forever); v != "STREAMING|SYNC" || !ok {
		t.Errorf("forever attribute lost when going offline: %q, %v", v, ok)
	}
	if _, ok := f.Value("node2", "pgsql-status", attrd.Reboot); ok {
		t.Error("reboot attribute survived leaving the cluster")
	}

	// A snapshot is a copy: later changes do not leak into it.
	mustNil(t, f.Set(ctx, "node1", "pgsql-status", "STOP", attrd.Reboot))
	f.SetRole("pgsql", "node1", attrd.RoleStopped)
	if v, _ := c.Attr("node1", "pgsql-status"); v != "PRI" {
		t.Errorf("snapshot changed under the caller: %q", v)
	}
	c2, _ := f.Snapshot(ctx)
	if _, ok := c2.PromotedNode("pgsql"); ok {
		t.Error("stopped resource still promoted")
	}
}

func TestFakeFailures(t *testing.T) {
	f := attrd.NewFake("node1")
	boom := errors.New("boom")
	f.Fail(attrd.OpSnapshot, boom)
	if _, err := f.Snapshot(t.Context()); !errors.Is(err, boom) {
		t.Errorf("injected failure not returned: %v", err)
	}
	if err := f.Set(t.Context(), "node1", "a", "b", attrd.Reboot); err != nil {
		t.Errorf("failure leaked to another op: %v", err)
	}
	f.Fail(attrd.OpSnapshot, nil)
	if _, err := f.Snapshot(t.Context()); err != nil {
		t.Errorf("cleared failure still returned: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := f.Set(ctx, "node1", "a", "c", attrd.Reboot); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	if v, _ := f.Value("node1", "a", attrd.Reboot); v != "b" {
		t.Errorf("a failed Set changed the value to %q", v)
	}
}

func TestFakeConcurrent(t *testing.T) {
	f := attrd.NewFake("node1", "node2")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			node := []string{"node1", "node2"}[i%2]
			for j := range 50 {
				name := fmt.Sprintf("a%d", i)
				_ = f.Set(t.Context(), node, name, fmt.Sprint(j), attrd.Reboot)
				_, _, _ = f.Get(t.Context(), node, name, attrd.Reboot)
				_, _ = f.Snapshot(t.Context())
				f.SetRole("pgsql", node, attrd.RolePromoted)
			}
		})
	}
	wg.Wait()
	for i := range 8 {
		node := []string{"node1", "node2"}[i%2]
		if v, _ := f.Value(node, fmt.Sprintf("a%d", i), attrd.Reboot); v != "49" {
			t.Errorf("a%d on %s = %q, want 49", i, node, v)
		}
	}
	if got := len(f.Calls()); got != 8*50*3 {
		t.Errorf("recorded %d calls, want %d", got, 8*50*3)
	}
}

func mustNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// The names below were set on a real CIB and shown to crm_mon 2.1.5 (see
// test/fixtures/pacemaker-2.1.5/snapshot-hidden-attrs.xml and its README
// line): Fake must hide exactly what crm_mon hides.
func TestCrmMonHides(t *testing.T) {
	for _, name := range []string{"#feature-set", "fail-count-pgsql#monitor_3000", "fail-countx",
		"last-failure-pgsql#monitor_3000", "last-failurex", "standby", "standbyx", "shutdown", "terminate"} {
		if !attrd.CrmMonHides(name) {
			t.Errorf("crm_mon hides %q, CrmMonHides does not", name)
		}
	}
	for _, name := range []string{"probe_complete", "x#", "master-pgsql", "pgsql-status", "pgsql-data-status",
		"pgsql-xlog-loc", "pgsql-master-baseline", "pgsql-receiver-status", "default_ping_set"} {
		if attrd.CrmMonHides(name) {
			t.Errorf("crm_mon shows %q, CrmMonHides hides it", name)
		}
	}
}
