// SPDX-License-Identifier: Apache-2.0

package attrd_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/test/fixtures"
)

// TestCRMRealPacemakerTools runs CRM against the real Pacemaker tools
// installed on this machine, pointed at a copy of a captured CIB with
// CIB_file, so no cluster is needed. It proves that the argument forms,
// exit codes and messages CRM relies on are the real ones — the scripted
// runner tests only prove that CRM does what we think the tools do.
func TestCRMRealPacemakerTools(t *testing.T) {
	for _, tool := range []string{"crm_attribute", "crm_mon"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	cib := filepath.Join(t.TempDir(), "cib.xml")
	if err := os.WriteFile(cib, fixtures.Read(t, "healthy-cib.xml"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := attrd.NewCRM(&cmdrun.Runner{}, attrd.Options{Env: []string{"CIB_file=" + cib}})
	ctx := t.Context()

	get := func(node, name string, lt attrd.Lifetime) (string, bool) {
		t.Helper()
		v, ok, err := c.Get(ctx, node, name, lt)
		if err != nil {
			t.Fatalf("Get(%s, %s, %v): %v", node, name, lt, err)
		}
		return v, ok
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	if v, ok := get("node1", "pgsql-data-status", attrd.Forever); v != "LATEST" || !ok {
		t.Errorf("forever data-status = %q, %v", v, ok)
	}
	if v, ok := get("node2", "pgsql-status", attrd.Reboot); v != "HS:sync" || !ok {
		t.Errorf("reboot status = %q, %v", v, ok)
	}
	// The lifetime selects the CIB section: data-status is not a reboot attribute.
	if v, ok := get("node1", "pgsql-data-status", attrd.Reboot); ok {
		t.Errorf("forever attribute read as reboot: %q", v)
	}
	if _, ok := get("node1", "pgsql-xlog-loc", attrd.Reboot); ok {
		t.Error("absent attribute found")
	}
	if _, _, err := c.Get(ctx, "nodeX", "pgsql-status", attrd.Reboot); !errors.Is(err, attrd.ErrUnknownNode) {
		t.Errorf("unknown node: %v", err)
	}

	must(c.Set(ctx, "node2", "pgsql-data-status", "DISCONNECT", attrd.Forever))
	must(c.Set(ctx, "node2", "pgsql-receiver-status", "normal (master)", attrd.Reboot))
	must(c.Set(ctx, "node2", "pgsql-xlog-loc", "", attrd.Reboot))
	if v, _ := get("node2", "pgsql-data-status", attrd.Forever); v != "DISCONNECT" {
		t.Errorf("after Set: %q", v)
	}
	if v, _ := get("node2", "pgsql-receiver-status", attrd.Reboot); v != "normal (master)" {
		t.Errorf("value with spaces: %q", v)
	}
	if v, ok := get("node2", "pgsql-xlog-loc", attrd.Reboot); v != "" || !ok {
		t.Errorf("empty value = %q, %v", v, ok)
	}
	if err := c.Set(ctx, "nodeX", "a", "b", attrd.Forever); !errors.Is(err, attrd.ErrUnknownNode) || attrd.Transient(err) {
		t.Errorf("Set on unknown node: %v (transient %v)", err, attrd.Transient(err))
	}
	// A CIB_file that is not there: crm_attribute exits 105 ("No such
	// device or address"), an answer a retry cannot change.
	down := attrd.NewCRM(&cmdrun.Runner{}, attrd.Options{Env: []string{"CIB_file=" + cib + ".missing"}})
	if err := down.Set(ctx, "node1", "a", "b", attrd.Forever); err == nil || attrd.Transient(err) {
		t.Errorf("Set with a missing CIB file: %v (transient %v)", err, attrd.Transient(err))
	}

	// The Pacemaker 2.1.5 bug: "-p -v -INFINITY" fails; the long form works.
	must(c.SetPromotionScore(ctx, "pgsql", "node2", "-INFINITY"))
	if v, _ := get("node2", "master-pgsql", attrd.Reboot); v != "-INFINITY" {
		t.Errorf("promotion score = %q", v)
	}
	must(c.DeletePromotionScore(ctx, "pgsql", "node2"))
	must(c.DeletePromotionScore(ctx, "pgsql", "node2")) // idempotent
	if _, ok := get("node2", "master-pgsql", attrd.Reboot); ok {
		t.Error("promotion score still there after delete")
	}
	must(c.Delete(ctx, "node1", "pgsql-data-status", attrd.Forever))
	must(c.Delete(ctx, "node1", "pgsql-data-status", attrd.Forever)) // idempotent
	if _, ok := get("node1", "pgsql-data-status", attrd.Forever); ok {
		t.Error("forever attribute still there after delete")
	}

	snap, err := c.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := snap.PromotedNode("pgsql"); p != "node1" {
		t.Errorf("promoted = %q", p)
	}
	if v, _ := snap.Attr("node2", "pgsql-data-status"); v != "DISCONNECT" {
		t.Errorf("snapshot sees data-status %q", v)
	}
	if v, _ := snap.Attr("node2", "pgsql-receiver-status"); v != "normal (master)" {
		t.Errorf("snapshot sees receiver-status %q", v)
	}
	if _, ok := snap.PromotionScore("pgsql", "node2"); ok {
		t.Error("snapshot sees the deleted promotion score")
	}
}
