// SPDX-License-Identifier: Apache-2.0

package main_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/test/fakecrm/fakecrmtest"
	"github.com/pgrex/pgrex/test/fakecrm/state"
)

// Two agents (one per node) write attributes at the same time through the
// built tools; the flock must keep every write. Also checks that the
// symlinked names dispatch.
func TestConcurrentProcesses(t *testing.T) {
	fc := fakecrmtest.New(t, state.New("node1", "node2"))
	r := &cmdrun.Runner{}
	var wg sync.WaitGroup
	for _, node := range []string{"node1", "node2"} {
		for w := range 3 {
			wg.Go(func() {
				for i := range 4 {
					_, err := r.Run(t.Context(), cmdrun.Cmd{Path: fc.Path("crm_attribute"), Env: fc.Vars(node),
						Args: []string{fmt.Sprintf("--name=w%d-%d", w, i), "--lifetime=reboot", "--update=" + node}})
					if err != nil {
						t.Error(err)
					}
				}
			})
		}
	}
	wg.Wait()
	s := fc.State(t)
	for _, node := range []string{"node1", "node2"} {
		if got := len(s.Node(node).Reboot); got != 12 {
			t.Errorf("%s has %d of 12 attributes", node, got)
		}
	}
	if got := len(s.CallsTo("crm_attribute")); got != 24 {
		t.Errorf("%d of 24 calls logged", got)
	}
	res, err := r.Run(t.Context(), cmdrun.Cmd{Path: fc.Path("crm_node"), Args: []string{"-n"}, Env: fc.Vars("node2")})
	if err != nil || strings.TrimSpace(string(res.Stdout)) != "node2" {
		t.Errorf("crm_node -n = %q, %v", res.Stdout, err)
	}
}
