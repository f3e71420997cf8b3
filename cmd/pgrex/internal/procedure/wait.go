// SPDX-License-Identifier: Apache-2.0

package procedure

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/msg"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/status"
)

// Clock is time as a wait sees it; tests advance a fake one.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx ends.
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now implements Clock.
func (SystemClock) Now() time.Time { return time.Now() }

// Sleep implements Clock.
func (SystemClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// DefaultInterval is how often a wait polls (PG-REX: 2 s).
const DefaultInterval = 2 * time.Second

// failureGrace is how long a failure whose time cannot be read is taken
// for an old one (PG-REX sleeps 10 s before its first check for the same
// reason: a stale failure must not end a start).
const failureGrace = 10 * time.Second

// CrmMonArgv is the crm_mon command of the gathers and the waits: the
// report `pgrex status` reads, in the local Pacemaker's dialect.
func CrmMonArgv(d attrd.Dialect) []string {
	return append([]string{"crm_mon"}, d.ReportArgs()...)
}

// Waiter polls the cluster for a WaitSpec.
type Waiter struct {
	Exec     Executor
	Clock    Clock
	Interval time.Duration
	// Status says how to read crm_mon (resource, clone, VIPs).
	Status status.Options
	// CrmMon is the crm_mon command (nil = CrmMonArgv(attrd.Pacemaker2)).
	CrmMon []string
	// PGRunning tells whether PostgreSQL still runs on this node.
	PGRunning func() (bool, error)
	// CommandTimeout bounds each probe.
	CommandTimeout time.Duration
}

// WaitEvent is one poll's outcome, for the progress display.
type WaitEvent struct {
	Elapsed time.Duration
	State   string
	// Changed is set when State differs from the previous poll's.
	Changed bool
}

// TimeoutError is a wait that did not see its condition in time.
type TimeoutError struct {
	Spec    WaitSpec
	Elapsed time.Duration
	State   string
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("waiting for %s: not reached within %s; last seen: %s", e.Spec.Kind, e.Spec.Timeout, e.State)
}

// ResourceFailedError is a pgsql failure recorded while waiting (PG-REX:
// "Resource has failed while the startup of the Pacemaker").
type ResourceFailedError struct {
	Node, OpKey, Status, Reason string
}

func (e *ResourceFailedError) Error() string {
	s := fmt.Sprintf("%s failed on %s: %s", e.OpKey, e.Node, e.Status)
	if e.Reason != "" {
		s += " (" + e.Reason + ")"
	}
	return s
}

// Wait polls until spec holds, a pgsql failure on the node appears, ctx
// ends or spec.Timeout passes — whichever comes first.
func (w *Waiter) Wait(ctx context.Context, spec WaitSpec, progress func(WaitEvent)) error {
	interval := w.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	if spec.Timeout <= 0 {
		return fmt.Errorf("waiting for %s: no timeout set", spec.Kind)
	}
	start := w.Clock.Now()
	last := ""
	for {
		done, state, err := w.poll(ctx, spec, start)
		elapsed := w.Clock.Now().Sub(start)
		if progress != nil {
			progress(WaitEvent{Elapsed: elapsed, State: state, Changed: state != last})
		}
		last = state
		if err != nil || done {
			return err
		}
		if elapsed >= spec.Timeout {
			return &TimeoutError{Spec: spec, Elapsed: elapsed, State: state}
		}
		if err := w.Clock.Sleep(ctx, min(interval, spec.Timeout-elapsed)); err != nil {
			return fmt.Errorf("waiting for %s: %w", spec.Kind, err)
		}
	}
}

func (w *Waiter) poll(ctx context.Context, spec WaitSpec, start time.Time) (bool, string, error) {
	switch spec.Kind {
	case WaitStopped:
		return w.pollStopped(ctx, spec)
	case WaitPrimary, WaitStandby, WaitOffline:
		m, err := w.crmMon(ctx, "")
		if err != nil {
			return false, "cluster status not readable yet: " + firstLine(err.Error()), nil
		}
		return w.pollCluster(m, spec, start)
	}
	return false, "", fmt.Errorf("waiting: unknown condition %q", spec.Kind)
}

// PacemakerProbe is the command that tells whether Pacemaker runs on a
// node: exit 0 with PIDs when pacemakerd runs, 1 when it does not.
var PacemakerProbe = []string{"pgrep", "-x", "pacemakerd"}

// PacemakerRunning asks pgrep on host ("" = here). An answer other than
// "running" or "not running" is an error.
func PacemakerRunning(ctx context.Context, ex Executor, host string, timeout time.Duration) (bool, error) {
	res, err := ex.Run(ctx, Command{Host: host, Argv: PacemakerProbe, Timeout: timeout})
	switch exitCode(res, err) {
	case 0:
		return true, nil
	case 1:
		return false, nil
	}
	where := "this node"
	if host != "" {
		where = host
	}
	return false, fmt.Errorf("checking for pacemakerd on %s: %w", where, err)
}

func (w *Waiter) pollStopped(ctx context.Context, spec WaitSpec) (bool, string, error) {
	running, err := PacemakerRunning(ctx, w.Exec, spec.Host, w.CommandTimeout)
	node := orHost(spec.Node, spec.Host)
	switch {
	case err != nil:
		return false, firstLine(err.Error()), nil
	case running:
		return false, node + ": pacemakerd still runs", nil
	}
	if spec.Host == "" && w.PGRunning != nil {
		pgRuns, err := w.PGRunning()
		if err != nil {
			return false, node + ": " + firstLine(err.Error()), nil
		}
		if pgRuns {
			return false, node + ": Pacemaker stopped, PostgreSQL still runs", nil
		}
	}
	state := node + ": Pacemaker stopped"
	if spec.SettleHost == "" {
		return true, state, nil
	}
	// The rest of the cluster reacts to the stop (vip-slave moves to the
	// primary…): the procedure is complete when that has settled too.
	m, err := w.crmMon(ctx, spec.SettleHost)
	if err != nil {
		return false, state + "; the cluster on " + spec.SettleHost + " not readable: " + firstLine(err.Error()), nil
	}
	if n, ok := m.Node(spec.Node); ok && n.Online {
		return false, state + "; " + spec.Node + " still online in the cluster", nil
	}
	if busy := unsettled(m); busy != "" {
		return false, state + "; " + busy, nil
	}
	return true, state, nil
}

func (w *Waiter) crmMon(ctx context.Context, host string) (*status.Model, error) {
	argv := w.CrmMon
	if argv == nil {
		argv = CrmMonArgv(attrd.Pacemaker2)
	}
	res, err := w.Exec.Run(ctx, Command{Host: host, Argv: argv, Timeout: w.CommandTimeout})
	if err != nil && !strings.HasPrefix(strings.TrimSpace(string(res.Stdout)), "<") {
		return nil, err
	}
	return status.Parse(res.Stdout, w.Status)
}

func (w *Waiter) pollCluster(m *status.Model, spec WaitSpec, start time.Time) (bool, string, error) {
	n, ok := m.Node(spec.Node)
	if !ok {
		return false, spec.Node + ": not in the cluster yet", nil
	}
	state := fmt.Sprintf("%s: %s, %s %s/%s/%s", spec.Node, onlineWord(n), n.Role, msg.OrDash(n.PgsqlStatus),
		msg.OrDash(n.DataStatus), msg.OrDash(n.Score))
	if spec.Kind == WaitOffline {
		if n.Online {
			return false, state, nil
		}
		if busy := unsettled(m); busy != "" {
			return false, state + "; " + busy, nil
		}
		return true, state, nil
	}
	now := w.Clock.Now()
	for _, f := range m.Failures {
		if f.Resource == m.Resource && f.Node == spec.Node && freshFailure(f.LastChange, start, now) {
			return false, state, &ResourceFailedError{Node: f.Node, OpKey: f.OpKey, Status: f.ExitStatus, Reason: f.ExitReason}
		}
	}
	if !n.Online {
		return false, state, nil
	}
	var vips []string
	switch spec.Kind {
	case WaitPrimary:
		if n.Role != attrd.RolePromoted || n.PgsqlStatus != attrd.StatusPrimary || n.DataStatus != attrd.DataLatest {
			return false, state, nil
		}
		for _, other := range m.Nodes {
			if other.Name != n.Name && other.Role == attrd.RolePromoted {
				return false, state + "; " + other.Name + " still promoted", nil
			}
		}
		vips = []string{m.VIPPrimary, m.VIPReplication}
	case WaitStandby:
		if n.Role != attrd.RoleUnpromoted || n.PgsqlStatus != attrd.StatusSync || n.DataStatus != attrd.DataSync {
			return false, state, nil
		}
		vips = []string{m.VIPStandby}
	}
	for _, v := range vips {
		if v != "" && vipConfigured(m, v) && !slices.Contains(n.VIPs, v) {
			return false, state + "; " + v + " not running here yet", nil
		}
	}
	if busy := unsettled(m); busy != "" {
		return false, state + "; " + busy, nil
	}
	return true, state, nil
}

// unsettled says what keeps the cluster from having settled: an action
// under way on any resource (pgsql, the VIPs, and a rejoining node's ping
// and fencing resources; status.Model.Busy) or a node still joining. A wait ends only
// when there is none, so a procedure that reports completion leaves no
// VIP still starting or stopping behind (docs/operations.md). "" = settled.
func unsettled(m *status.Model) string {
	var parts []string
	for _, b := range m.Busy {
		p := b.Resource + " " + b.Action
		if b.Node != "" {
			p += " on " + b.Node
		}
		parts = append(parts, p)
	}
	for _, n := range m.Nodes {
		if n.Pending {
			parts = append(parts, n.Name+" joining")
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "not settled: " + strings.Join(parts, ", ")
}

func vipConfigured(m *status.Model, id string) bool {
	for _, r := range m.Resources {
		if r.ID == id {
			return true
		}
	}
	return false
}

// freshFailure tells a failure recorded since the wait began from an old
// one. Pacemaker 2 prints "2026-11-22 04:49:14Z"; 1.1 "Sun Nov 22
// 04:51:41 2026" in local time. A time that cannot be read counts as new
// once failureGrace has passed.
func freshFailure(lastChange string, start, now time.Time) bool {
	for _, layout := range []string{"2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05 -07:00", time.ANSIC} {
		if t, err := time.ParseInLocation(layout, lastChange, time.Local); err == nil {
			return !t.Before(start.Add(-2 * time.Second).Truncate(time.Second))
		}
	}
	return now.Sub(start) >= failureGrace
}

func onlineWord(n *status.Node) string {
	if n.Online {
		return "online"
	}
	return "offline"
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
