// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pgrex/pgrex/test/fakecrm/fakecrmtest"
	"github.com/pgrex/pgrex/test/fakecrm/state"
	"github.com/pgrex/pgrex/test/pgtest"
)

// vip stands in for the replication VIP (vip-rep): a TCP forwarder on its
// own loopback address that the test points at the current primary, and
// that can cut replication (drop every connection, refuse new ones).
type vip struct {
	ln     net.Listener
	mu     sync.Mutex
	target string
	cut    bool
	conns  map[net.Conn]bool
	wg     sync.WaitGroup
	// held: what the primary sends is kept in the forwarder (and the
	// kernel's socket buffers behind it) instead of reaching the standby;
	// the standby's replies still flow. released is closed on release.
	held     bool
	released chan struct{}
}

func newVIP(t testing.TB, addr string) *vip {
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	v := &vip{ln: ln, conns: map[net.Conn]bool{}}
	v.wg.Add(1)
	go v.serve()
	t.Cleanup(v.close)
	return v
}

func (v *vip) serve() {
	defer v.wg.Done()
	for {
		c, err := v.ln.Accept()
		if err != nil {
			return
		}
		v.mu.Lock()
		target, cut := v.target, v.cut
		v.mu.Unlock()
		if cut || target == "" {
			_ = c.Close()
			continue
		}
		v.wg.Add(1)
		go v.pipe(c, target)
	}
}

func (v *vip) pipe(c net.Conn, target string) {
	defer v.wg.Done()
	d := net.Dialer{Timeout: 5 * time.Second}
	up, err := d.Dial("tcp", target)
	if err != nil {
		_ = c.Close()
		return
	}
	v.mu.Lock()
	v.conns[c], v.conns[up] = true, true
	v.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { v.forward(c, up); done <- struct{}{} }()
	<-done
	_ = c.Close()
	_ = up.Close()
	<-done
	v.mu.Lock()
	delete(v.conns, c)
	delete(v.conns, up)
	v.mu.Unlock()
}

// forward copies what the primary sends to the standby, waiting while
// the VIP holds it.
func (v *vip) forward(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			v.mu.Lock()
			held, released := v.held, v.released
			v.mu.Unlock()
			if held {
				<-released
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// hold keeps what the primary sends from now on out of the standby's
// reach until release (or a cut, which drops it).
func (v *vip) hold() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.held {
		v.held, v.released = true, make(chan struct{})
	}
}

func (v *vip) release() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.held {
		v.held = false
		close(v.released)
	}
}

// point moves the VIP to a primary ("" = nowhere) and drops connections
// to the old one, like vip-rep moving to another node.
func (v *vip) point(target string) {
	v.mu.Lock()
	v.target = target
	for c := range v.conns {
		_ = c.Close()
	}
	v.mu.Unlock()
}

func (v *vip) setCut(cut bool) {
	v.mu.Lock()
	v.cut = cut
	if cut {
		for c := range v.conns {
			_ = c.Close()
		}
	}
	v.mu.Unlock()
}

func (v *vip) close() {
	_ = v.ln.Close()
	v.point("")
	v.release()
	v.wg.Wait()
}

// node is one simulated cluster node: its PostgreSQL, on its own loopback
// address, and its role as Pacemaker would record it.
type node struct {
	name string
	inst *pgtest.Instance
}

func (n *node) addr() string { return n.inst.Host + ":" + strconv.Itoa(n.inst.Port) }

// pair drives two nodes through the agent as Pacemaker drives a promotable
// clone with notify=true, sharing one fake attribute store.
type pair struct {
	t     testing.TB
	bin   string
	fc    *fakecrmtest.Cluster
	vip   *vip
	port  int
	nodes []*node
	extra []string // extra OCF variables for every call
}

const rsc = "pgsql"

// newPair makes node1 (initdb) and node2 (empty), both on the same port at
// 127.0.0.1 and 127.0.0.2, and a VIP at 127.0.0.3.
func newPair(t *testing.T) *pair { return newPairB(t) }

// newPairB is newPair for tests and benchmarks alike.
func newPairB(t testing.TB) *pair {
	pgtest.Require(t)
	port := pgtest.FreePort(t)
	p := &pair{t: t, bin: pgtest.Binary(t, "pgsql"), port: port}
	st := state.New("node1", "node2")
	st.AddResource(rsc, "msPostgresql")
	p.fc = fakecrmtest.New(t, st)
	p.vip = newVIP(t, "127.0.0.3:"+strconv.Itoa(port))
	n1 := &node{name: "node1", inst: pgtest.InitDBAt(t, "127.0.0.1", port)}
	n1.inst.AppendConf(t, "wal_keep_size = '256MB'\nwal_receiver_status_interval = 1s\nwal_retrieve_retry_interval = 1s\nhot_standby_feedback = on\n")
	n2 := &node{name: "node2", inst: pgtest.NewInstanceAt(t, "127.0.0.2", port)}
	p.nodes = []*node{n1, n2}
	return p
}

func (p *pair) node(name string) *node {
	for _, n := range p.nodes {
		if n.name == name {
			return n
		}
	}
	p.t.Fatalf("no node %s", name)
	return nil
}

// pgctl runs pg_ctl on a node outside the agent (test set-up only).
func (p *pair) pgctl(name string, args ...string) {
	n := p.node(name)
	pgtest.Run(p.t, true, filepath.Join(pgtest.PgBin, "pg_ctl"), append([]string{"-D", n.inst.Data, "-l", filepath.Join(n.inst.Socket, "setup.log"), "-w", "-t", "60"}, args...)...)
}

// cloneNode2 copies node1's data to node2 with a base backup (node1 is
// started and stopped around it).
func (p *pair) cloneNode2() {
	p.pgctl("node1", "start")
	p.node("node2").inst.BaseBackup(p.t, p.node("node1").inst)
	p.pgctl("node1", "-m", "fast", "stop")
}

func (p *pair) env(name string, extra ...string) []string {
	n := p.node(name)
	env := append(n.inst.Env(), p.fc.Env(name)...)
	env = append(env,
		"OCF_RESKEY_rep_mode=sync",
		"OCF_RESKEY_node_list=node1 node2",
		"OCF_RESKEY_master_ip=127.0.0.3",
		"OCF_RESKEY_restore_command=",
		"OCF_RESKEY_repuser="+pgtest.OSUser,
		"OCF_RESKEY_primary_conninfo_opt=keepalives_idle=60 keepalives_interval=5 keepalives_count=5 connect_timeout=5",
		"OCF_RESKEY_stop_on_demote=yes",
		"OCF_RESKEY_xlog_check_count=3",
		"OCF_RESKEY_CRM_meta_promotable=true",
		"OCF_RESKEY_CRM_meta_promoted_max=1",
		"OCF_RESKEY_CRM_meta_clone_max=2",
		"OCF_RESKEY_CRM_meta_notify=true",
		"OCF_RESKEY_CRM_meta_on_node="+name,
		"OCF_RESKEY_CRM_meta_timeout=60000",
	)
	env = append(env, p.extra...)
	return append(env, extra...)
}

func (p *pair) run(name, action string, extra ...string) pgtest.Result {
	p.t.Helper()
	r := pgtest.Agent(p.t, p.bin, p.env(name, extra...), action, 90*time.Second)
	p.t.Logf("%s %s → rc=%d (%s) %s", name, action, r.RC, r.Duration.Round(time.Millisecond), r.ExitReason())
	return r
}

func (p *pair) role(name string) string {
	return p.fc.State(p.t).Role(rsc, name)
}

func (p *pair) setRole(name, role string) {
	p.fc.Update(p.t, func(s *state.State) { s.SetRole(rsc, name, role) })
}

// running lists nodes whose instance Pacemaker considers started.
func (p *pair) running() []string {
	var out []string
	for _, n := range p.nodes {
		if r := p.role(n.name); r == state.RolePromoted || r == state.RoleUnpromoted {
			out = append(out, n.name)
		}
	}
	return out
}

func list(names ...string) string {
	if len(names) == 0 {
		return " " // Pacemaker's empty list
	}
	return strings.Join(names, " ")
}

// notifyVars are the clone notification variables for an operation.
func (p *pair) notifyVars(typ, op string, subject string) []string {
	var promoted, unpromoted []string
	for _, n := range p.nodes {
		switch p.role(n.name) {
		case state.RolePromoted:
			promoted = append(promoted, n.name)
		case state.RoleUnpromoted:
			unpromoted = append(unpromoted, n.name)
		}
	}
	v := []string{
		"OCF_RESKEY_CRM_meta_notify_type=" + typ,
		"OCF_RESKEY_CRM_meta_notify_operation=" + op,
		"OCF_RESKEY_CRM_meta_notify_promoted_uname=" + list(promoted...),
		"OCF_RESKEY_CRM_meta_notify_master_uname=" + list(promoted...),
		"OCF_RESKEY_CRM_meta_notify_unpromoted_uname=" + list(unpromoted...),
		"OCF_RESKEY_CRM_meta_notify_slave_uname=" + list(unpromoted...),
	}
	for _, o := range []string{"start", "stop", "promote", "demote"} {
		val := " "
		if o == op {
			val = subject
		}
		v = append(v, "OCF_RESKEY_CRM_meta_notify_"+o+"_uname="+val)
	}
	return v
}

// notifyAll sends a notification to every running instance.
func (p *pair) notifyAll(typ, op, subject string) {
	vars := p.notifyVars(typ, op, subject)
	for _, n := range p.running() {
		r := p.run(n, "notify", vars...)
		require.Equal(p.t, 0, r.RC, "notify %s-%s on %s: %s", typ, op, n, r.Stderr)
	}
}

// start is Pacemaker's start of an unpromoted instance.
func (p *pair) start(name string) pgtest.Result {
	p.notifyAll("pre", "start", name)
	r := p.run(name, "start", p.notifyVars("pre", "start", name)...)
	if r.RC == 0 {
		p.setRole(name, state.RoleUnpromoted)
		p.notifyAll("post", "start", name)
	} else {
		p.setRole(name, state.RoleStopped)
	}
	return r
}

func (p *pair) promote(name string) pgtest.Result {
	p.notifyAll("pre", "promote", name)
	r := p.run(name, "promote", p.notifyVars("pre", "promote", name)...)
	if r.RC == 0 {
		p.setRole(name, state.RolePromoted)
		p.vip.point(p.node(name).addr())
		p.notifyAll("post", "promote", name)
	}
	return r
}

func (p *pair) demote(name string) pgtest.Result {
	p.notifyAll("pre", "demote", name)
	r := p.run(name, "demote", p.notifyVars("pre", "demote", name)...)
	if r.RC == 0 {
		p.setRole(name, state.RoleUnpromoted)
		p.vip.point("")
		p.notifyAll("post", "demote", name)
	}
	return r
}

func (p *pair) stop(name string) pgtest.Result {
	p.notifyAll("pre", "stop", name)
	r := p.run(name, "stop", p.notifyVars("pre", "stop", name)...)
	if r.RC == 0 {
		p.setRole(name, state.RoleStopped)
		p.notifyAll("post", "stop", name)
	}
	return r
}

// monitor runs the recurring monitor of a node's current role, with the
// role meta attribute Pacemaker passes (the op's role).
func (p *pair) monitor(name string) pgtest.Result {
	interval, role := "10000", "Unpromoted"
	if p.role(name) == state.RolePromoted {
		interval, role = "9000", "Promoted"
	}
	return p.run(name, "monitor", "OCF_RESKEY_CRM_meta_interval="+interval, "OCF_RESKEY_CRM_meta_timeout=30000", "OCF_RESKEY_CRM_meta_role="+role)
}

// monitorAll runs one round of monitors on every running node and
// requires the expected codes (8 primary, 0 standby).
func (p *pair) monitorAll() {
	for _, n := range p.running() {
		want := 0
		if p.role(n) == state.RolePromoted {
			want = 8
		}
		r := p.monitor(n)
		require.Equal(p.t, want, r.RC, "monitor of %s: %s", n, r.Stderr)
	}
}

// attr reads a node attribute from the fake store.
func (p *pair) attr(name, attr string) string {
	st := p.fc.State(p.t)
	if v, ok := st.Attr(name, attr, state.Reboot); ok {
		return v
	}
	v, _ := st.Attr(name, attr, state.Forever)
	return v
}

// forceLatest is the operator's forced failover: the node's data-status
// set to LATEST by hand, so that promote no longer refuses it.
func (p *pair) forceLatest(name string) {
	p.fc.Update(p.t, func(s *state.State) {
		require.NoError(p.t, s.SetAttr(name, "pgsql-data-status", "LATEST", state.Forever))
	})
}

func (p *pair) status(name string) string { return p.attr(name, "pgsql-status") }
func (p *pair) data(name string) string   { return p.attr(name, "pgsql-data-status") }
func (p *pair) score(name string) string  { return p.attr(name, "master-pgsql") }

// until runs monitor rounds until cond holds, at most rounds times.
func (p *pair) until(what string, rounds int, cond func() bool) {
	p.t.Helper()
	for i := 0; i < rounds; i++ {
		if cond() {
			return
		}
		p.monitorAll()
		time.Sleep(300 * time.Millisecond)
	}
	if !cond() {
		p.t.Fatalf("%s: not reached after %d monitor rounds; status %s/%s, data %s/%s, score %s/%s",
			what, rounds, p.status("node1"), p.status("node2"), p.data("node1"), p.data("node2"), p.score("node1"), p.score("node2"))
	}
}

// elect runs monitors until one node claims promotion, returns it.
func (p *pair) elect() string {
	var winner string
	p.until("an election winner", 12, func() bool {
		for _, n := range p.running() {
			if p.score(n) == "1000" {
				winner = n
				return true
			}
		}
		return false
	})
	return winner
}

func (p *pair) lockExists(name string) bool {
	_, err := os.Stat(filepath.Join(p.node(name).inst.Tmp, "PGSQL.lock"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		p.t.Fatal(err)
	}
	return err == nil
}

func (p *pair) repModeConf(name string) string {
	b, err := os.ReadFile(filepath.Join(p.node(name).inst.Tmp, "rep_mode.conf"))
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}

// exec runs SQL on a node over TCP with a statement timeout.
func (p *pair) exec(name, sql string) error {
	c := p.node(name).inst.Conn(p.t)
	defer c.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_, err := c.Exec(ctx, "set statement_timeout = '10s'; "+sql)
	return err
}

// query scans one row of sql on a node into dest.
func (p *pair) query(name, sql string, dest any) {
	c := p.node(name).inst.Conn(p.t)
	defer c.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	require.NoError(p.t, c.QueryRow(ctx, sql).Scan(dest))
}

func (p *pair) queryInt(name, sql string) (n int) {
	p.query(name, sql, &n)
	return n
}

func (p *pair) queryString(name, sql string) (s string) {
	p.query(name, sql, &s)
	return s
}

// coldStart: probes, both starts, the election, the promotion of the
// winner, until the standby is HS:sync. Returns the primary.
func (p *pair) coldStart() string {
	for _, n := range p.nodes {
		r := p.run(n.name, "monitor", "OCF_RESKEY_CRM_meta_interval=0")
		require.Equal(p.t, 7, r.RC, "probe of %s: %s", n.name, r.Stderr)
	}
	for _, n := range p.nodes {
		r := p.start(n.name)
		require.Equal(p.t, 0, r.RC, "start of %s: %s", n.name, r.Stderr)
		require.Equal(p.t, "HS:alone", p.status(n.name))
		require.Equal(p.t, "-INFINITY", p.score(n.name))
	}
	winner := p.elect()
	r := p.promote(winner)
	require.Equal(p.t, 0, r.RC, "promote of %s: %s", winner, r.Stderr)
	other := "node2"
	if winner == "node2" {
		other = "node1"
	}
	p.until(other+" HS:sync", 30, func() bool { return p.status(other) == "HS:sync" })
	return winner
}
