// SPDX-License-Identifier: Apache-2.0

package state_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pgrex/pgrex/test/fakecrm/state"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.json")
	s := state.New("node1", "node2")
	must(t, s.SetAttr("node2", "pgsql-data-status", "STREAMING|SYNC", state.Forever))
	must(t, s.SetAttr("node2", "pgsql-status", "HS:sync", state.Reboot))
	s.SetRole("pgsql", "node1", state.RolePromoted)
	must(t, s.Save(path))
	must(t, s.Save(path)) // overwrite

	got, err := state.Load(path)
	must(t, err)
	if v, ok := got.Attr("node2", "pgsql-data-status", state.Forever); v != "STREAMING|SYNC" || !ok {
		t.Errorf("forever attribute = %q, %v", v, ok)
	}
	if p, ok := got.PromotedNode("pgsql"); p != "node1" || !ok {
		t.Errorf("promoted = %q, %v", p, ok)
	}
	if r := got.Resource("pgsql"); r == nil || r.Clone != "ms-pgsql" {
		t.Errorf("implicit resource = %+v", r)
	}
	if n := got.Node("node2"); n == nil || n.ID != 2 {
		t.Errorf("node2 = %+v", n)
	}
	// Atomic replacement leaves nothing but the file behind.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the state file", len(entries))
	}
	if _, err := state.Load(filepath.Join(dir, "missing.json")); !state.NotRunning(err) {
		t.Errorf("missing state: %v", err)
	}
	if err := state.Update(filepath.Join(dir, "missing.json"), func(*state.State) error { return nil }); !state.NotRunning(err) {
		t.Errorf("Update of a missing state: %v", err)
	}
}

func TestLeavingTheCluster(t *testing.T) {
	s := state.New("node1", "node2")
	must(t, s.SetAttr("node2", "pgsql-data-status", "STREAMING|SYNC", state.Forever))
	must(t, s.SetAttr("node2", "pgsql-status", "HS:sync", state.Reboot))
	s.SetRole("pgsql", "node2", state.RolePromoted)
	must(t, s.SetOnline("node2", false))
	if _, ok := s.Attr("node2", "pgsql-status", state.Reboot); ok {
		t.Error("reboot attribute survived")
	}
	if _, ok := s.Attr("node2", "pgsql-data-status", state.Forever); !ok {
		t.Error("forever attribute lost")
	}
	if r := s.Role("pgsql", "node2"); r != state.RoleStopped {
		t.Errorf("offline node runs pgsql as %s", r)
	}
	if err := s.SetOnline("node9", true); err == nil {
		t.Error("unknown node accepted")
	}
	if err := s.SetAttr("node9", "a", "b", state.Reboot); err == nil {
		t.Error("attribute on unknown node accepted")
	}
	if n := s.AddNode("node3", false); n.ID != 3 || n.Online {
		t.Errorf("node3 = %+v", n)
	}
}

func TestTakeFault(t *testing.T) {
	s := state.New("n")
	s.AddFault(state.Fault{Tool: "crm_mon", Exit: 1, Times: 2})
	s.AddFault(state.Fault{Tool: "crm_attribute", ArgContains: "--lifetime=forever", Exit: 1})
	if f := s.TakeFault("crm_attribute", []string{"--lifetime=reboot"}); f != nil {
		t.Errorf("fault matched other arguments: %+v", f)
	}
	for range 5 {
		if f := s.TakeFault("crm_attribute", []string{"--lifetime=forever"}); f == nil {
			t.Fatal("a fault without Times stopped matching")
		}
	}
	for i := range 3 {
		f := s.TakeFault("crm_mon", nil)
		if (f != nil) != (i < 2) {
			t.Errorf("crm_mon call %d: fault %+v", i, f)
		}
	}
}

// Concurrent updates, as from two agent processes, must not lose each
// other's writes: the flock serialises the read-modify-write cycles.
func TestUpdateConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	must(t, state.New("node1").Save(path))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 10 {
				err := state.Update(path, func(s *state.State) error {
					return s.SetAttr("node1", fmt.Sprintf("a%d-%d", i, j), "x", state.Reboot)
				})
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	s, err := state.Load(path)
	must(t, err)
	if got := len(s.Node("node1").Reboot); got != 80 {
		t.Errorf("%d attributes survived 80 concurrent updates", got)
	}
	// A failing fn saves nothing.
	boom := errors.New("boom")
	if err := state.Update(path, func(s *state.State) error {
		s.Nodes = nil
		return boom
	}); !errors.Is(err, boom) {
		t.Errorf("Update returned %v", err)
	}
	if s, _ := state.Load(path); len(s.Nodes) != 1 {
		t.Error("a failed update was saved")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
