// SPDX-License-Identifier: Apache-2.0

//go:build e2e

// Package e2e drives the pgrex lab (test/lab, docs/lab.md): two Pacemaker/Corosync
// nodes with PostgreSQL 15 in network namespaces on one machine, running the
// agent selected by LAB_AGENT in a PG-REX-style promotable clone. The tests
// inject the PG-REX fault scenarios and assert the end states of the manual's
// fault table, measuring fault → steady state.
//
// Every external command runs from an argument slice under a deadline
// (ra/cmdrun); a node is entered with nsenter, never through a shell.
package e2e

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/cmdrun"
)

// Lab addresses and paths (test/lab/lab has the same values).
const (
	VIPMaster = "192.0.2.140" // service VIP (S-LAN), with the promoted role
	VIPRep    = "192.0.2.80"  // replication VIP (D-LAN) = master_ip
	VIPSlave  = "192.0.2.141" // read-only VIP (S-LAN), with the sync standby
	PGBin     = "/usr/lib/postgresql/15/bin"
	PGHome    = "/var/lib/postgresql" // inside a node
	PGData    = PGHome + "/data"
	ClientNS  = "pgrex-client" // network namespace of the lab's client host
	SwitchNS  = "pgrex-sw"     // network namespace with the lab's bridges
)

// Lab is a handle on the lab of this checkout.
type Lab struct {
	Script string // test/lab/lab
	Run    string // $LAB_RUN, the lab's state directory on the host
	Agent  string // LAB_AGENT
	r      cmdrun.Runner
	logf   func(format string, args ...any)
	exp    labExporters
}

// NewLab finds the lab script from the working directory (the test package).
func NewLab(logf func(string, ...any)) (*Lab, error) {
	dir, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil, errors.New("cannot find the repository root (go.mod)")
		}
		dir = parent
	}
	l := &Lab{
		Script: filepath.Join(dir, "test", "lab", "lab"),
		Run:    envOr("LAB_RUN", "/var/tmp/pgrex-lab"),
		Agent:  envOr("LAB_AGENT", "ocf:pgrex:pgsql"),
		logf:   logf,
	}
	if _, err := os.Stat(l.Script); err != nil {
		return nil, fmt.Errorf("lab script: %w", err)
	}
	return l, nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// Heartbeat reports whether the lab runs Debian's upstream ocf:heartbeat:pgsql.
func (l *Lab) Heartbeat() bool { return l.Agent == "ocf:heartbeat:pgsql" }

// run runs a host command with a deadline and returns its stdout.
func (l *Lab) run(ctx context.Context, timeout time.Duration, path string, args ...string) (string, error) {
	res, err := l.r.Run(ctx, cmdrun.Cmd{Path: path, Args: args, Timeout: timeout})
	return string(res.Stdout), err
}

// script runs a lab script command (`lab up`, `lab rebuild node1`, …).
func (l *Lab) script(ctx context.Context, timeout time.Duration, args ...string) (string, error) {
	res, err := l.r.Run(ctx, cmdrun.Cmd{Path: l.Script, Args: args, Timeout: timeout,
		Env: []string{"LAB_AGENT=" + l.Agent, "LAB_RUN=" + l.Run}})
	out := strings.TrimSpace(string(res.Stdout) + string(res.Stderr))
	return out, err
}

// Up brings the lab to the healthy picture (cold start unless it is already up).
func (l *Lab) Up(ctx context.Context) (string, error) { return l.script(ctx, 6*time.Minute, "up") }

// Down powers everything off and removes namespaces and state.
func (l *Lab) Down(ctx context.Context) (string, error) {
	return l.script(ctx, 2*time.Minute, "down")
}

// Rebuild runs the operator procedure that makes node the sync standby again
// (power on if fenced, remove PGSQL.lock, fresh base backup, start Pacemaker,
// cleanup, wait HS:sync).
func (l *Lab) Rebuild(ctx context.Context, node string) (string, error) {
	return l.script(ctx, 4*time.Minute, "rebuild", node)
}

// PowerOff is what the BMC does when fencing: every process of node dies.
func (l *Lab) PowerOff(ctx context.Context, node string) (string, error) {
	return l.script(ctx, time.Minute, "power-off", node)
}

// PowerOn powers node on (Corosync and sshd start, Pacemaker does not).
func (l *Lab) PowerOn(ctx context.Context, node string) (string, error) {
	return l.script(ctx, time.Minute, "power-on", node)
}

// Pgrex runs the operator tools inside node as the lab sets them up (`lab
// pgrex`: tools config, Pacemaker start/stop without systemd, ssh to the
// peer's sshd). It returns the combined output and the exit status; err is
// set only when the command could not run or did not exit on its own.
func (l *Lab) Pgrex(ctx context.Context, timeout time.Duration, node, stdin string, args ...string) (string, int, error) {
	c := cmdrun.Cmd{Path: l.Script, Args: append([]string{"pgrex", node}, args...), Timeout: timeout,
		Env: []string{"LAB_AGENT=" + l.Agent, "LAB_RUN=" + l.Run}}
	if stdin != "" {
		c.Stdin = []byte(stdin)
	}
	res, err := l.r.Run(ctx, c)
	out := strings.TrimSpace(string(res.Stdout) + string(res.Stderr))
	var ce *cmdrun.Error
	if errors.As(err, &ce) && ce.ExitCode >= 0 {
		return out, ce.ExitCode, nil
	}
	if err != nil {
		return out, -1, err
	}
	return out, 0, nil
}

// PcmkStart starts Pacemaker on node; PcmkStop stops it cleanly (SIGTERM to pacemakerd).
func (l *Lab) PcmkStart(ctx context.Context, node string) (string, error) {
	return l.script(ctx, time.Minute, "pcmk-start", node)
}

// PcmkStop stops Pacemaker on node cleanly and waits (bounded) until it exited.
func (l *Lab) PcmkStop(ctx context.Context, node string) (string, error) {
	return l.script(ctx, 3*time.Minute, "pcmk-stop", node)
}

// Powered reports whether node's namespaces have a running init.
func (l *Lab) Powered(node string) bool {
	pid, err := l.nodePID(node)
	if err != nil {
		return false
	}
	_, err = os.Stat(filepath.Join("/proc", strconv.Itoa(pid)))
	return err == nil
}

func (l *Lab) nodePID(node string) (int, error) {
	b, err := os.ReadFile(filepath.Join(l.Run, "ctl", node+".pid"))
	if err != nil {
		return 0, fmt.Errorf("%s is not powered on: %w", node, err)
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// Exec runs a command inside all namespaces of node (as root) and returns its stdout.
func (l *Lab) Exec(ctx context.Context, timeout time.Duration, node string, argv ...string) (string, error) {
	pid, err := l.nodePID(node)
	if err != nil {
		return "", err
	}
	args := append([]string{"-t", strconv.Itoa(pid), "-m", "-u", "-i", "-n", "-p", "--wd=/", "--"}, argv...)
	return l.run(ctx, timeout, "nsenter", args...)
}

// ExecPG runs a command as postgres inside node.
func (l *Lab) ExecPG(ctx context.Context, timeout time.Duration, node string, argv ...string) (string, error) {
	return l.Exec(ctx, timeout, node, append([]string{"runuser", "-u", "postgres", "--"}, argv...)...)
}

// PSQL runs one SQL command on node's local PostgreSQL (Unix socket) and
// returns the unaligned, tuples-only output.
func (l *Lab) PSQL(ctx context.Context, timeout time.Duration, node, sql string) (string, error) {
	out, err := l.ExecPG(ctx, timeout, node, PGBin+"/psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql)
	return strings.TrimSpace(out), err
}

// Status reads crm_mon from via (or from the first node that answers when via is "").
func (l *Lab) Status(ctx context.Context, via string) (*Cluster, error) {
	c, _, err := l.status(ctx, via)
	return c, err
}

// status is Status and the node that answered.
func (l *Lab) status(ctx context.Context, via string) (*Cluster, string, error) {
	nodes := []string{"node1", "node2"}
	if via != "" {
		nodes = []string{via}
	}
	var lastErr error
	for _, n := range nodes {
		if !l.Powered(n) {
			lastErr = fmt.Errorf("%s is powered off", n)
			continue
		}
		out, err := l.Exec(ctx, 20*time.Second, n, "crm_mon", "-1", "-A", "-f", "--output-as=xml")
		if err != nil {
			lastErr = err
			continue
		}
		c, err := ParseCrmMon([]byte(out))
		return c, n, err
	}
	return nil, "", fmt.Errorf("no node answered crm_mon: %w", lastErr)
}

// CIBAgrees checks on node that the agent's CIB-only snapshot (what the
// primary's monitor reads: attrd.ParseCIB of cibadmin --query) says what
// the agent's crm_mon snapshot says of every node: online or not, and the
// attributes crm_mon prints. Both come from one CIB version — cibadmin,
// crm_mon, cibadmin again, compared by the CIB's version — and a CIB that
// changed in between is read again (ten times at most; then nothing is
// compared, since nothing consistent was seen).
func (l *Lab) CIBAgrees(ctx context.Context, node string) error {
	version := func(cib string) string {
		head, _, _ := strings.Cut(cib, ">")
		var v []string
		for _, a := range []string{"admin_epoch", "epoch", "num_updates"} {
			_, rest, _ := strings.Cut(head, " "+a+`="`)
			val, _, _ := strings.Cut(rest, `"`)
			v = append(v, val)
		}
		return strings.Join(v, ".")
	}
	for range 10 {
		before, err := l.Exec(ctx, 20*time.Second, node, append([]string{"cibadmin"}, attrd.CIBSnapshotArgs()...)...)
		if err != nil {
			return fmt.Errorf("cibadmin on %s: %w", node, err)
		}
		mon, err := l.Exec(ctx, 20*time.Second, node, append([]string{"crm_mon"}, attrd.SnapshotArgs()...)...)
		if err != nil {
			return fmt.Errorf("crm_mon on %s: %w", node, err)
		}
		after, err := l.Exec(ctx, 20*time.Second, node, append([]string{"cibadmin"}, attrd.CIBSnapshotArgs()...)...)
		if err != nil {
			return fmt.Errorf("cibadmin on %s: %w", node, err)
		}
		if version(before) != version(after) || version(after) == ".." {
			continue
		}
		fromCIB, err := attrd.ParseCIB([]byte(after))
		if err != nil {
			return fmt.Errorf("the CIB on %s: %w", node, err)
		}
		fromMon, err := attrd.ParseCrmMon([]byte(mon))
		if err != nil {
			return fmt.Errorf("crm_mon on %s: %w", node, err)
		}
		var diffs []string
		for _, m := range fromMon.Nodes {
			c, ok := fromCIB.Node(m.Name)
			switch {
			case !ok:
				diffs = append(diffs, m.Name+" missing from the CIB")
			case c.Online != m.Online:
				diffs = append(diffs, fmt.Sprintf("%s online %v in the CIB, %v in crm_mon", m.Name, c.Online, m.Online))
			case m.AttrsKnown && !maps.Equal(c.Attrs, m.Attrs):
				diffs = append(diffs, fmt.Sprintf("%s attributes %v in the CIB, %v in crm_mon", m.Name, c.Attrs, m.Attrs))
			}
		}
		if len(fromCIB.Nodes) != len(fromMon.Nodes) {
			diffs = append(diffs, fmt.Sprintf("nodes %v in the CIB, %v in crm_mon", fromCIB.NodeNames(), fromMon.NodeNames()))
		}
		if len(diffs) > 0 {
			return fmt.Errorf("the CIB snapshot disagrees with crm_mon on %s (CIB %s): %s", node, version(after), strings.Join(diffs, "; "))
		}
		return nil
	}
	return nil
}

// WaitFor polls the cluster (every 500 ms, bounded by timeout) until cond
// holds, and returns the state and how long it took from start.
func (l *Lab) WaitFor(ctx context.Context, start time.Time, timeout time.Duration, via, what string,
	cond func(*Cluster) bool) (*Cluster, time.Duration, error) {
	deadline := time.Now().Add(timeout)
	var last *Cluster
	var lastErr error
	for {
		c, node, err := l.status(ctx, via)
		if err == nil {
			last = c
			if cond(c) {
				// Every awaited state is also a check of the
				// primary monitor's CIB read (attrd.ParseCIB).
				if err := l.CIBAgrees(ctx, node); err != nil {
					return c, time.Since(start), err
				}
				// ... and of the exporter, whose health checks
				// and metrics must follow the cluster.
				if err := l.ExporterFollows(ctx, node); err != nil {
					return c, time.Since(start), err
				}
				return c, time.Since(start), nil
			}
		} else {
			lastErr = err
		}
		if time.Now().After(deadline) {
			if last == nil {
				return nil, time.Since(start), fmt.Errorf("timeout after %s waiting for %s: %v", timeout, what, lastErr)
			}
			return last, time.Since(start), fmt.Errorf("timeout after %s waiting for %s; last state: %s", timeout, what, last)
		}
		select {
		case <-ctx.Done():
			return last, time.Since(start), ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// LockExists reports whether PGSQL.lock is in node's agent tmpdir.
func (l *Lab) LockExists(node string) bool {
	_, err := os.Stat(filepath.Join(l.Run, node, "pg", "tmp", "PGSQL.lock"))
	return err == nil
}

// PostmasterPID is the PID (in node's PID namespace) of its postmaster.
func (l *Lab) PostmasterPID(node string) (string, error) {
	b, err := os.ReadFile(filepath.Join(l.Run, node, "pg", "data", "postmaster.pid"))
	if err != nil {
		return "", err
	}
	pid, _, _ := strings.Cut(string(b), "\n")
	if _, err := strconv.Atoi(pid); err != nil {
		return "", fmt.Errorf("postmaster.pid of %s: %q", node, pid)
	}
	return pid, nil
}

// PGRunning reports whether node's PostgreSQL runs (pg_ctl status).
func (l *Lab) PGRunning(ctx context.Context, node string) bool {
	if !l.Powered(node) {
		return false
	}
	_, err := l.ExecPG(ctx, 20*time.Second, node, PGBin+"/pg_ctl", "-D", PGData, "status")
	return err == nil
}

// ProcPID finds a process by its command name inside node ("" when none).
func (l *Lab) ProcPID(ctx context.Context, node, comm string) (string, error) {
	out, err := l.Exec(ctx, 20*time.Second, node, "pgrep", "-x", comm)
	if err != nil {
		var ce *cmdrun.Error
		if errors.As(err, &ce) && ce.ExitCode == 1 {
			return "", nil
		}
		return "", err
	}
	f := strings.Fields(out)
	if len(f) == 0 {
		return "", nil
	}
	return f[0], nil
}

// LinkDown cuts node's port on a lab LAN at the switch ("rep" = D-LAN,
// "svc" = S-LAN, "ic" = interconnect); LinkUp restores it.
func (l *Lab) LinkDown(ctx context.Context, node, lan string) error {
	_, err := l.run(ctx, 20*time.Second, "ip", "-n", SwitchNS, "link", "set", "n"+strings.TrimPrefix(node, "node")+"-"+lan, "down")
	return err
}

// LinkUp restores node's port on a lab LAN.
func (l *Lab) LinkUp(ctx context.Context, node, lan string) error {
	_, err := l.run(ctx, 20*time.Second, "ip", "-n", SwitchNS, "link", "set", "n"+strings.TrimPrefix(node, "node")+"-"+lan, "up")
	return err
}

// ClientLinkDown cuts the client host (the lab's "router", which clnPing
// pings from both nodes) off the S-LAN; ClientLinkUp restores it.
func (l *Lab) ClientLinkDown(ctx context.Context) error {
	_, err := l.run(ctx, 20*time.Second, "ip", "-n", SwitchNS, "link", "set", "c-svc", "down")
	return err
}

// ClientLinkUp reconnects the client host.
func (l *Lab) ClientLinkUp(ctx context.Context) error {
	_, err := l.run(ctx, 20*time.Second, "ip", "-n", SwitchNS, "link", "set", "c-svc", "up")
	return err
}

// Crm runs a Pacemaker CLI command (crm_resource, crm_attribute, …) on via.
func (l *Lab) Crm(ctx context.Context, via string, argv ...string) (string, error) {
	return l.Exec(ctx, time.Minute, via, argv...)
}

// Other returns the other lab node.
func Other(node string) string {
	if node == "node1" {
		return "node2"
	}
	return "node1"
}
