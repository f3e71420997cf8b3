// SPDX-License-Identifier: Apache-2.0

// Package state is the cluster the fake Pacemaker tools (test/fakecrm)
// pretend to manage: nodes, node attributes in both lifetimes, resource
// roles, injected faults and a log of the tool calls. It lives in one JSON
// file named by $PGREX_FAKECRM_STATE, so separate agent processes see one
// cluster; tests arrange and inspect it with this package.
//
// Every change goes through Update, which holds an exclusive flock on a
// sibling lock file for the whole read-modify-write, because two agent
// processes (say, a monitor on each node) call the tools concurrently.
// Save replaces the file atomically (temp file, fsync, rename), so Load
// never sees a half-written file and needs no lock.
package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"golang.org/x/sys/unix"
)

// Lifetime is a node attribute lifetime, spelled as crm_attribute's
// --lifetime option spells it.
type Lifetime string

// The two lifetimes.
const (
	Reboot  Lifetime = "reboot"
	Forever Lifetime = "forever"
)

// Roles as Pacemaker 2.1 names them.
const (
	RolePromoted   = "Promoted"
	RoleUnpromoted = "Unpromoted"
	RoleStarted    = "Started"
	RoleStopped    = "Stopped"
)

// State is the whole fake cluster.
type State struct {
	Nodes     []*Node     `json:"nodes"`
	Resources []*Resource `json:"resources,omitempty"`
	// Faults make matching tool calls fail or hang; see Fault.
	Faults []*Fault `json:"faults,omitempty"`
	// Calls logs every tool invocation, in order, so a test can count
	// them (one crm_mon per agent invocation) or check the arguments.
	Calls []Call `json:"calls,omitempty"`
}

// Node is one cluster node.
type Node struct {
	Name string `json:"name"`
	// ID is the node id (corosync nodeid); AddNode numbers from 1.
	ID      int               `json:"id"`
	Online  bool              `json:"online"`
	Forever map[string]string `json:"forever,omitempty"`
	Reboot  map[string]string `json:"reboot,omitempty"`
}

// Resource is a resource and its role on each node.
type Resource struct {
	// ID is the primitive id, e.g. "pgsql".
	ID string `json:"id"`
	// Clone is the enclosing promotable clone, e.g. "msPostgresql"
	// ("" for a plain primitive).
	Clone string `json:"clone,omitempty"`
	// Agent is class:provider:type, e.g. "ocf:heartbeat:pgsql".
	Agent string `json:"agent,omitempty"`
	// Roles maps node name to role; nodes not listed run nothing.
	Roles map[string]string `json:"roles,omitempty"`
}

// Fault makes the fake tool fail instead of doing its work.
type Fault struct {
	// Tool is the tool the fault applies to ("crm_attribute", "crm_mon",
	// "cibadmin", "crm_node").
	Tool string `json:"tool"`
	// ArgContains, if set, restricts the fault to calls with an argument
	// equal to it (e.g. "--lifetime=forever" or "--name=pgsql-status").
	ArgContains string `json:"arg_contains,omitempty"`
	// Exit, Stdout and Stderr are what the tool answers.
	Exit   int    `json:"exit"`
	Stdout string `json:"stdout,omitempty"`
	Stderr string `json:"stderr,omitempty"`
	// DelayMS makes the tool sleep first (outside the lock), to test
	// callers' timeouts; with Exit 0 and no output, it then does its
	// normal work.
	DelayMS int `json:"delay_ms,omitempty"`
	// Times is how many more calls the fault applies to; 0 means all.
	Times int `json:"times,omitempty"`
}

// Call is one logged tool invocation.
type Call struct {
	Tool string   `json:"tool"`
	Args []string `json:"args"`
	// Node is $PGREX_FAKECRM_NODE of the caller: which "node" called.
	Node string `json:"node,omitempty"`
}

// New returns a state with the named nodes, all online, ids 1, 2, ….
func New(nodes ...string) *State {
	s := &State{}
	for _, n := range nodes {
		s.AddNode(n, true)
	}
	return s
}

// Load reads the state file. A missing file is an error wrapping
// fs.ErrNotExist, which the fake tools report as "cluster not running".
func Load(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading fake cluster state: %w", err)
	}
	s := &State{}
	if err := json.Unmarshal(b, s); err != nil {
		return nil, fmt.Errorf("parsing fake cluster state %s: %w", path, err)
	}
	return s, nil
}

// Save writes the state atomically: a temp file in the same directory,
// fsynced, renamed over path, and the directory fsynced. Concurrent writers
// must use Update instead.
func (s *State) Save(path string) (err error) {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding fake cluster state: %w", err)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("saving fake cluster state: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("saving fake cluster state: %w", err)
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("saving fake cluster state: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("saving fake cluster state: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("saving fake cluster state: %w", err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("saving fake cluster state: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("saving fake cluster state: %w", err)
	}
	defer func() { _ = d.Close() }()
	if err = d.Sync(); err != nil {
		return fmt.Errorf("saving fake cluster state: syncing %s: %w", dir, err)
	}
	return nil
}

// Update loads the state, applies fn and saves the result, holding an
// exclusive lock on path+".lock" throughout so concurrent tool calls and
// tests never lose each other's changes. If fn returns an error nothing is
// saved and the error is returned as is.
func Update(path string, fn func(*State) error) error {
	unlock, err := lock(path)
	if err != nil {
		return err
	}
	defer unlock()
	s, err := Load(path)
	if err != nil {
		return err
	}
	if err := fn(s); err != nil {
		return err
	}
	return s.Save(path)
}

// lock takes the exclusive flock. The lock lives on a separate file because
// Save replaces the state file's inode, and a flock on a replaced inode
// locks nothing.
func lock(path string) (func(), error) {
	f, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("locking fake cluster state: %w", err)
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("locking fake cluster state %s: %w", path, err)
	}
	// Closing the file releases the lock.
	return func() { _ = f.Close() }, nil
}

// NotRunning reports whether err means the state file does not exist, which
// the tools present as a cluster that is not running.
func NotRunning(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// Node returns the named node, or nil.
func (s *State) Node(name string) *Node {
	for _, n := range s.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// AddNode adds a node with the next free id, or sets the online state of an
// existing one (see SetOnline).
func (s *State) AddNode(name string, online bool) *Node {
	if n := s.Node(name); n != nil {
		s.setOnline(n, online)
		return n
	}
	id := 1
	for _, n := range s.Nodes {
		id = max(id, n.ID+1)
	}
	n := &Node{Name: name, ID: id, Online: online}
	s.Nodes = append(s.Nodes, n)
	return n
}

// SetOnline changes a node's membership. A node that goes offline loses its
// reboot attributes and no longer runs resources, as when it leaves a real
// cluster (or is fenced); its forever attributes stay.
func (s *State) SetOnline(name string, online bool) error {
	n := s.Node(name)
	if n == nil {
		return fmt.Errorf("no node %q in the fake cluster", name)
	}
	s.setOnline(n, online)
	return nil
}

func (s *State) setOnline(n *Node, online bool) {
	if n.Online && !online {
		n.Reboot = nil
		for _, r := range s.Resources {
			delete(r.Roles, n.Name)
		}
	}
	n.Online = online
}

// Attr returns a node attribute.
func (s *State) Attr(node, name string, lt Lifetime) (string, bool) {
	n := s.Node(node)
	if n == nil {
		return "", false
	}
	v, ok := n.attrs(lt)[name]
	return v, ok
}

// SetAttr sets a node attribute.
func (s *State) SetAttr(node, name, value string, lt Lifetime) error {
	n := s.Node(node)
	if n == nil {
		return fmt.Errorf("no node %q in the fake cluster", node)
	}
	switch lt {
	case Forever:
		if n.Forever == nil {
			n.Forever = map[string]string{}
		}
		n.Forever[name] = value
	case Reboot:
		if n.Reboot == nil {
			n.Reboot = map[string]string{}
		}
		n.Reboot[name] = value
	default:
		return fmt.Errorf("invalid lifetime %q", lt)
	}
	return nil
}

// DeleteAttr removes a node attribute and reports whether it existed.
func (s *State) DeleteAttr(node, name string, lt Lifetime) bool {
	n := s.Node(node)
	if n == nil {
		return false
	}
	m := n.attrs(lt)
	_, ok := m[name]
	delete(m, name)
	return ok
}

func (n *Node) attrs(lt Lifetime) map[string]string {
	if lt == Forever {
		return n.Forever
	}
	return n.Reboot
}

// AddResource declares a resource (and its promotable clone, if clone is
// not ""), or returns the existing one.
func (s *State) AddResource(id, clone string) *Resource {
	if r := s.Resource(id); r != nil {
		return r
	}
	r := &Resource{ID: id, Clone: clone, Agent: "ocf:heartbeat:pgsql"}
	s.Resources = append(s.Resources, r)
	return r
}

// Resource returns the named resource, or nil.
func (s *State) Resource(id string) *Resource {
	for _, r := range s.Resources {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// SetRole sets the role of resource rsc on node; RoleStopped or "" removes
// it. An undeclared resource is added as a primitive in the promotable
// clone "ms-<rsc>".
func (s *State) SetRole(rsc, node, role string) {
	r := s.AddResource(rsc, "ms-"+rsc)
	if role == "" || role == RoleStopped {
		delete(r.Roles, node)
		return
	}
	if r.Roles == nil {
		r.Roles = map[string]string{}
	}
	r.Roles[node] = role
}

// Role returns the role of rsc on node (RoleStopped when it is not there).
func (s *State) Role(rsc, node string) string {
	if r := s.Resource(rsc); r != nil {
		if role, ok := r.Roles[node]; ok {
			return role
		}
	}
	return RoleStopped
}

// PromotedNode returns the node running rsc as Promoted, if any.
func (s *State) PromotedNode(rsc string) (string, bool) {
	r := s.Resource(rsc)
	if r == nil {
		return "", false
	}
	for _, node := range slices.Sorted(maps.Keys(r.Roles)) {
		if r.Roles[node] == RolePromoted {
			return node, true
		}
	}
	return "", false
}

// AddFault registers a fault.
func (s *State) AddFault(f Fault) { s.Faults = append(s.Faults, &f) }

// TakeFault returns the first fault matching the call and uses up one of
// its Times; nil when none matches.
func (s *State) TakeFault(tool string, args []string) *Fault {
	for i, f := range s.Faults {
		if f.Tool != tool || (f.ArgContains != "" && !slices.Contains(args, f.ArgContains)) {
			continue
		}
		taken := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.Faults = slices.Delete(s.Faults, i, i+1)
			}
		}
		return &taken
	}
	return nil
}

// CallsTo returns the logged calls of one tool.
func (s *State) CallsTo(tool string) []Call {
	var out []Call
	for _, c := range s.Calls {
		if c.Tool == tool {
			out = append(out, c)
		}
	}
	return out
}

// NodeID returns the node's id as Pacemaker prints it.
func (n *Node) NodeID() string { return strconv.Itoa(n.ID) }
