// SPDX-License-Identifier: Apache-2.0

// Package fakecrmtest installs the fake Pacemaker tools (test/fakecrm) for
// a test: it builds the program, links it as crm_attribute, crm_mon,
// cibadmin and crm_node in a temp directory, and writes the initial cluster
// state.
//
//	fc := fakecrmtest.New(t, state.New("node1", "node2"))
//	agent := cmdrun.Cmd{Path: agentBin, Args: []string{"monitor"},
//		Env: append(fc.Env("node1"), ocfEnv...)} // PATH, state, node
//	…
//	st := fc.State(t) // inspect what the agent did
//
// In-process code (attrd.CRM) takes the tools by full path instead:
// attrd.Options{CrmAttribute: fc.Path("crm_attribute"), …, Env: fc.Vars("node1")}.
package fakecrmtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/test/fakecrm/state"
)

// Tools are the names the fake answers to.
func Tools() []string { return []string{"crm_attribute", "crm_mon", "cibadmin", "crm_node"} }

// Cluster is an installed fake: Bin holds the tools, StatePath the state.
type Cluster struct {
	Bin       string
	StatePath string
}

// New builds and installs the fake in a temp directory of t and saves st as
// its state (a nil st leaves no state file: the cluster is "not running").
func New(t testing.TB, st *state.State) *Cluster {
	t.Helper()
	dir := t.TempDir()
	c := &Cluster{Bin: Install(t), StatePath: filepath.Join(dir, "cluster.json")}
	if st != nil {
		if err := st.Save(c.StatePath); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// Install builds test/fakecrm into a temp directory of t and returns the
// directory, which holds the binary and one symlink per tool. The go build
// cache makes every build after the first a link step.
func Install(t testing.TB) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go tool not in PATH, cannot build the fake Pacemaker tools: %v", err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "fakecrm")
	r := &cmdrun.Runner{}
	if _, err := r.Run(t.Context(), cmdrun.Cmd{Path: goTool, Args: []string{"build", "-o", bin, "github.com/pgrex/pgrex/test/fakecrm"},
		Timeout: 3 * time.Minute}); err != nil {
		t.Fatalf("building the fake Pacemaker tools: %v", err)
	}
	for _, tool := range Tools() {
		if err := os.Symlink("fakecrm", filepath.Join(dir, tool)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Path returns the full path of one tool.
func (c *Cluster) Path(tool string) string { return filepath.Join(c.Bin, tool) }

// Env returns the variables a child process acting as node needs — PATH
// with the fake tools first, the state file and the node name — for a
// program (the agent binary) that looks the tools up in its own PATH. A Go
// test that runs a tool itself must name it with Path: os/exec resolves a
// bare name against the test process's PATH, not the child's.
func (c *Cluster) Env(node string) []string {
	return append([]string{"PATH=" + c.Bin + string(os.PathListSeparator) + os.Getenv("PATH")}, c.Vars(node)...)
}

// Vars returns only the fake's own variables (state file and node), for a
// caller that names the tools by full path.
func (c *Cluster) Vars(node string) []string {
	return []string{"PGREX_FAKECRM_STATE=" + c.StatePath, "PGREX_FAKECRM_NODE=" + node}
}

// State loads the current state.
func (c *Cluster) State(t testing.TB) *state.State {
	t.Helper()
	s, err := state.Load(c.StatePath)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Update changes the state under the same lock the tools take.
func (c *Cluster) Update(t testing.TB, fn func(*state.State)) {
	t.Helper()
	if err := state.Update(c.StatePath, func(s *state.State) error { fn(s); return nil }); err != nil {
		t.Fatal(err)
	}
}
