// SPDX-License-Identifier: Apache-2.0

package attrd_test

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/test/fakecrm/fakecrmtest"
	"github.com/pgrex/pgrex/test/fakecrm/state"
	"github.com/pgrex/pgrex/test/fixtures"
)

// TestCRMAgainstFakeTools runs CRM, through the real command runner,
// against the built test/fakecrm: what the agent's fast tests rely on is
// that the two agree on every argument form, output and exit code.
func TestCRMAgainstFakeTools(t *testing.T) {
	st := state.New("node1", "node2")
	st.AddResource("pgsql", "msPostgresql")
	st.SetRole("pgsql", "node1", state.RolePromoted)
	st.SetRole("pgsql", "node2", state.RoleUnpromoted)
	fc := fakecrmtest.New(t, st)

	opts := attrd.Options{CrmAttribute: fc.Path("crm_attribute"), CrmMon: fc.Path("crm_mon"),
		CrmNode: fc.Path("crm_node"), Env: fc.Vars("node2")}
	c := attrd.NewCRM(&cmdrun.Runner{}, opts)
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	if n, err := c.LocalNode(ctx); n != "node2" || err != nil {
		t.Errorf("LocalNode = %q, %v", n, err)
	}
	must(c.Set(ctx, "node1", "pgsql-status", "PRI", attrd.Reboot))
	must(c.Set(ctx, "node1", "pgsql-data-status", "LATEST", attrd.Forever))
	must(c.Set(ctx, "node2", "pgsql-status", "HS:sync", attrd.Reboot))
	must(c.Set(ctx, "node2", "pgsql-data-status", "STREAMING|SYNC", attrd.Forever))
	must(c.Set(ctx, "node2", "pgsql-receiver-status", "normal (master)", attrd.Reboot))
	must(c.SetPromotionScore(ctx, "pgsql", "node1", "1000"))
	must(c.SetPromotionScore(ctx, "pgsql:1", "node2", "-INFINITY"))

	if v, ok, err := c.Get(ctx, "node2", "pgsql-receiver-status", attrd.Reboot); v != "normal (master)" || !ok || err != nil {
		t.Errorf("Get = %q, %v, %v", v, ok, err)
	}
	if v, ok, err := c.Get(ctx, "node2", "master-pgsql", attrd.Reboot); v != "-INFINITY" || !ok || err != nil {
		t.Errorf("promotion score read back as %q, %v, %v", v, ok, err)
	}
	if _, ok, err := c.Get(ctx, "node1", "pgsql-data-status", attrd.Reboot); ok || err != nil {
		t.Errorf("forever attribute found as reboot (%v) or error %v", ok, err)
	}
	if _, _, err := c.Get(ctx, "node9", "pgsql-status", attrd.Reboot); !errors.Is(err, attrd.ErrUnknownNode) {
		t.Errorf("unknown node: %v", err)
	}

	snap, err := c.Snapshot(ctx)
	must(err)
	if p, _ := snap.PromotedNode("pgsql"); p != "node1" {
		t.Errorf("promoted = %q", p)
	}
	if p, _ := snap.PromotedNode("msPostgresql"); p != "node1" {
		t.Errorf("promoted by clone id = %q", p)
	}
	n2, _ := snap.Node("node2")
	want := map[string]string{"pgsql-status": "HS:sync", "pgsql-data-status": "STREAMING|SYNC",
		"pgsql-receiver-status": "normal (master)", "master-pgsql": "-INFINITY"}
	if !maps.Equal(n2.Attrs, want) {
		t.Errorf("node2 attributes = %v, want %v", n2.Attrs, want)
	}

	must(c.DeletePromotionScore(ctx, "pgsql", "node2"))
	must(c.DeletePromotionScore(ctx, "pgsql", "node2"))
	must(c.Delete(ctx, "node2", "pgsql-data-status", attrd.Forever))
	must(c.Delete(ctx, "node2", "pgsql-data-status", attrd.Forever))

	// node1 fails and is fenced; the state the test arranges is what the
	// next snapshot shows.
	fc.Update(t, func(s *state.State) {
		_ = s.SetOnline("node1", false)
		s.SetRole("pgsql", "node2", state.RolePromoted)
	})
	snap, err = c.Snapshot(ctx)
	must(err)
	if p, _ := snap.PromotedNode("pgsql"); p != "node2" || snap.Online("node1") || snap.AttrKnown("node1") {
		t.Errorf("after failover: promoted %q, node1 %+v", p, snap.Nodes[0])
	}
	if _, ok := snap.PromotionScore("pgsql", "node2"); ok {
		t.Error("deleted promotion score still in the snapshot")
	}
	// The forever attribute of the offline node is still readable.
	if v, ok, err := c.Get(ctx, "node1", "pgsql-data-status", attrd.Forever); v != "LATEST" || !ok || err != nil {
		t.Errorf("offline node's data-status = %q, %v, %v", v, ok, err)
	}

	// One crm_mon per snapshot, no more: the cost docs/compatibility.md
	// ("Cost") promises.
	if got := len(fc.State(t).CallsTo("crm_mon")); got != 2 {
		t.Errorf("%d crm_mon calls for 2 snapshots", got)
	}
}

// A hanging forever write is cut off at ForeverWriteTimeout, and the error
// says it was a timeout — the agent's crm_attr_timeout.
func TestCRMForeverWriteTimeoutAgainstFakeTools(t *testing.T) {
	st := state.New("node1")
	st.AddFault(state.Fault{Tool: "crm_attribute", ArgContains: "--lifetime=forever", DelayMS: 5000})
	fc := fakecrmtest.New(t, st)
	c := attrd.NewCRM(&cmdrun.Runner{}, attrd.Options{CrmAttribute: fc.Path("crm_attribute"),
		Env: fc.Vars("node1"), ForeverWriteTimeout: 300 * time.Millisecond})
	start := time.Now()
	err := c.Set(t.Context(), "node1", "pgsql-data-status", "DISCONNECT", attrd.Forever)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hung forever write: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("timeout took %v", d)
	}
	// Reboot writes are not subject to the fault nor to that timeout.
	if err := c.Set(t.Context(), "node1", "pgsql-status", "PRI", attrd.Reboot); err != nil {
		t.Error(err)
	}
}

// With no cluster, Snapshot fails with crm_mon's reason rather than
// returning an empty cluster (which the agent would read as "no master").
func TestCRMClusterDownAgainstFakeTools(t *testing.T) {
	fc := fakecrmtest.New(t, nil)
	c := attrd.NewCRM(&cmdrun.Runner{}, attrd.Options{CrmMon: fc.Path("crm_mon"),
		CrmAttribute: fc.Path("crm_attribute"), Env: fc.Vars("node1")})
	if cl, err := c.Snapshot(t.Context()); err == nil {
		t.Errorf("snapshot of a stopped cluster = %+v", cl)
	}
	var ce *cmdrun.Error
	if _, _, err := c.Get(t.Context(), "node1", "a", attrd.Reboot); !errors.As(err, &ce) || ce.ExitCode != 102 {
		t.Errorf("Get on a stopped cluster: %v", err)
	}
}

// The fake's crm_mon output, set up like the lab's healthy cluster, reads
// back the same as the real capture: nodes, attributes and roles.
func TestFakeCrmMonMatchesRealCapture(t *testing.T) {
	real, err := attrd.ParseCrmMon(fixtures.Read(t, "crm_mon-healthy.xml"))
	if err != nil {
		t.Fatal(err)
	}
	st := state.New("node1", "node2")
	st.AddResource("pgsql", "msPostgresql")
	for _, n := range real.Nodes {
		for k, v := range n.Attrs {
			lt := state.Reboot
			if k == "pgsql-data-status" {
				lt = state.Forever
			}
			if err := st.SetAttr(n.Name, k, v, lt); err != nil {
				t.Fatal(err)
			}
		}
		st.SetRole("pgsql", n.Name, string(real.RoleOn("pgsql", n.Name)))
	}
	fc := fakecrmtest.New(t, st)
	fake, err := attrd.NewCRM(&cmdrun.Runner{}, attrd.Options{CrmMon: fc.Path("crm_mon"), Env: fc.Vars("node1")}).Snapshot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, rn := range real.Nodes {
		fn, ok := fake.Node(rn.Name)
		if !ok || fn.Online != rn.Online || fn.AttrsKnown != rn.AttrsKnown || !maps.Equal(fn.Attrs, rn.Attrs) {
			t.Errorf("node %s: fake %+v, real %+v", rn.Name, fn, rn)
		}
		if f, r := fake.RoleOn("pgsql", rn.Name), real.RoleOn("pgsql", rn.Name); f != r {
			t.Errorf("role on %s: fake %s, real %s", rn.Name, f, r)
		}
	}
}
