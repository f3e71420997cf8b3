// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Timeouts are generous: the machine is shared and has two cores.
const (
	faultTimeout   = 3 * time.Minute // fault → end state
	scenarioBudget = 12 * time.Minute
)

func scenarioCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), scenarioBudget)
	t.Cleanup(cancel)
	return ctx
}

// promotedOn: s is the only promoted node, PRI/LATEST/1000, with vip-master and vip-rep.
func promotedOn(c *Cluster, s string) bool {
	return len(c.Promoted) == 1 && c.Promoted[0] == s && c.Triple(s) == "PRI/LATEST/1000" &&
		c.On("vip-master", s) && c.On("vip-rep", s)
}

func lockState(l *Lab) string {
	var parts []string
	for _, n := range []string{"node1", "node2"} {
		if l.LockExists(n) {
			parts = append(parts, n+":PGSQL.lock")
		} else {
			parts = append(parts, n+":no-lock")
		}
	}
	return strings.Join(parts, " ")
}

func rebuild(t *testing.T, ctx context.Context, l *Lab, scenario, node string) {
	t.Helper()
	t0 := time.Now()
	out, err := l.Rebuild(ctx, node)
	if err != nil {
		t.Fatalf("operator rebuild of %s: %v\n%s", node, err, out)
	}
	c, _, err := l.WaitFor(ctx, t0, time.Minute, "", "healthy after the rebuild", func(c *Cluster) bool {
		_, s, ok := c.Healthy()
		return ok && s == node
	})
	if err != nil {
		t.Fatalf("after rebuilding %s: %v", node, err)
	}
	record(scenario, "operator rebuild of "+node+" → HS:sync", time.Since(t0), c.String())
}

// TestSteadyState: after `make demo` the manual's healthy picture, synchronous
// replication seen from PostgreSQL, a lab network with no way out.
func TestSteadyState(t *testing.T) {
	ctx := scenarioCtx(t)
	l := need(t)
	p, s := healthy(t, ctx)
	c, err := l.Status(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("healthy: %s", c)
	if c.Attr(p, "pgsql-master-baseline") == "" {
		t.Errorf("primary %s has no pgsql-master-baseline", p)
	}
	out, err := l.PSQL(ctx, 30*time.Second, p, "SELECT application_name || ' ' || sync_state FROM pg_stat_replication")
	if err != nil {
		t.Fatal(err)
	}
	if out != s+" sync" {
		t.Errorf("pg_stat_replication on %s = %q, want %q", p, out, s+" sync")
	}
	for _, n := range []string{"node1", "node2"} {
		if out, err := l.Exec(ctx, 20*time.Second, n, "ip", "route", "show", "default"); err != nil || strings.TrimSpace(out) != "" {
			t.Errorf("%s has a default route (%q, %v): the lab must have no way out", n, out, err)
		}
	}
	// a write through the service VIP from the client namespace is on the standby
	w := &Writer{Table: "e2e_steady", Interval: 10 * time.Millisecond}
	if _, err := l.PSQL(ctx, 30*time.Second, p, "CREATE TABLE IF NOT EXISTS e2e_steady (id bigint PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	w.Start(ctx)
	time.Sleep(2 * time.Second)
	w.Stop()
	acked, _, _, _, lastErr := w.Result()
	if len(acked) == 0 {
		t.Fatalf("no commit acknowledged through vip-master %s: %s", VIPMaster, lastErr)
	}
	want := fmt.Sprint(acked[len(acked)-1])
	got, err := l.PSQL(ctx, 30*time.Second, s, "SELECT max(id) FROM e2e_steady")
	if err != nil || got != want {
		t.Errorf("standby %s: max(id) = %q (%v), want %s (synchronous commit)", s, got, err, want)
	}
	record("steady", fmt.Sprintf("%d commits through vip-master", len(acked)), 0, c.String()+" "+lockState(l))
	checkDiagnosis(t, ctx, l, "steady", p, "healthy")
}

// TestA_KillPrimaryPostmaster: kill -9 of the primary's postmaster. Manual:
// the standby is promoted (PRI/LATEST/1000, VIPs move), the old primary stays
// stopped (STOP/DISCONNECT/-INFINITY, fail-count) and keeps PGSQL.lock.
func TestA_KillPrimaryPostmaster(t *testing.T) {
	ctx := scenarioCtx(t)
	l := need(t)
	p, s := healthy(t, ctx)
	t0 := killPostmaster(t, ctx, l, p)
	c, d, err := l.WaitFor(ctx, t0, faultTimeout, s, "failover to "+s, func(c *Cluster) bool {
		return promotedOn(c, s) && c.On("vip-slave", s) && c.Triple(p) == "STOP/DISCONNECT/-INFINITY" &&
			c.FailCount[p]["pgsql"] > 0 && c.Settled()
	})
	if err != nil {
		t.Fatal(err)
	}
	if !l.LockExists(p) {
		t.Errorf("PGSQL.lock is not left on the old primary %s", p)
	}
	if l.PGRunning(ctx, p) {
		t.Errorf("PostgreSQL runs again on %s: a failed PostgreSQL must never be restarted automatically", p)
	}
	record("a: kill -9 primary postmaster", "fault → "+s+" PRI, "+p+" STOP", d, c.String()+" "+lockState(l))
	checkDiagnosis(t, ctx, l, "a: kill -9 primary postmaster", s, "resource-failure-start-promote-monitor")
	checkLockStatus(t, ctx, l, p)
	rebuild(t, ctx, l, "a: kill -9 primary postmaster", p)
}

// TestB_ReplicationLinkCut: the standby's replication link (D-LAN) is cut,
// then restored. Manual: the primary stays PRI/LATEST/1000 and keeps
// accepting writes (sync is dropped), the standby goes HS:alone/DISCONNECT/-INFINITY,
// vip-slave moves to the primary; after the repair it rejoins as HS:sync.
func TestB_ReplicationLinkCut(t *testing.T) {
	ctx := scenarioCtx(t)
	l := need(t)
	p, s := healthy(t, ctx)
	t.Cleanup(func() { _ = l.LinkUp(context.Background(), s, "rep") })
	t0 := time.Now()
	if err := l.LinkDown(ctx, s, "rep"); err != nil {
		t.Fatal(err)
	}
	c, d, err := l.WaitFor(ctx, t0, faultTimeout, p, s+" HS:alone", func(c *Cluster) bool {
		return promotedOn(c, p) && c.Triple(s) == "HS:alone/DISCONNECT/-INFINITY" && c.On("vip-slave", p) && c.Settled()
	})
	if err != nil {
		t.Fatal(err)
	}
	record("b: replication link cut", "fault → "+s+" HS:alone, primary async", d, c.String()+" "+lockState(l))
	checkDiagnosis(t, ctx, l, "b: replication link cut", p, "d-lan-failure")
	if _, err := l.PSQL(ctx, 20*time.Second, p,
		"CREATE TABLE IF NOT EXISTS e2e_b (i int); INSERT INTO e2e_b VALUES (1)"); err != nil {
		t.Errorf("a write on the primary %s blocks or fails with the standby cut off: %v", p, err)
	}
	t1 := time.Now()
	if err := l.LinkUp(ctx, s, "rep"); err != nil {
		t.Fatal(err)
	}
	c, d, err = l.WaitFor(ctx, t1, faultTimeout, p, s+" back to HS:sync", func(c *Cluster) bool {
		pp, ss, ok := c.Healthy()
		return ok && pp == p && ss == s
	})
	if err != nil {
		t.Fatal(err)
	}
	record("b: replication link cut", "link restored → "+s+" HS:sync", d, c.String())
}

// TestC_PacemakerStopOnPrimary: Pacemaker is stopped cleanly on the primary.
// The standby is promoted; the old primary's PostgreSQL is stopped, its
// PGSQL.lock stays (it was primary when it stopped), it rejoins only through
// the operator's standby procedure.
func TestC_PacemakerStopOnPrimary(t *testing.T) {
	ctx := scenarioCtx(t)
	l := need(t)
	p, s := healthy(t, ctx)
	t0 := time.Now()
	if out, err := l.PcmkStop(ctx, p); err != nil {
		t.Fatalf("stopping Pacemaker on %s: %v\n%s", p, err, out)
	}
	c, d, err := l.WaitFor(ctx, t0, faultTimeout, s, s+" PRI, "+p+" offline", func(c *Cluster) bool {
		return promotedOn(c, s) && c.On("vip-slave", s) && !c.Online[p] && c.Settled()
	})
	if err != nil {
		t.Fatal(err)
	}
	if l.PGRunning(ctx, p) {
		t.Errorf("PostgreSQL still runs on %s after Pacemaker stopped", p)
	}
	if !l.LockExists(p) {
		t.Errorf("PGSQL.lock is not left on %s, which was primary when it stopped", p)
	}
	ds, _ := l.Crm(ctx, s, "crm_attribute", "-l", "forever", "-N", p, "-n", "pgsql-data-status", "-G", "-q")
	record("c: Pacemaker stopped on the primary", "fault → "+s+" PRI, "+p+" offline", d,
		c.String()+" "+p+" forever pgsql-data-status="+strings.TrimSpace(ds)+" "+lockState(l))
	rebuild(t, ctx, l, "c: Pacemaker stopped on the primary", p)
}

// TestD_Switchover: the operator moves the primary role (ban the promoted
// role on the primary), clears the ban, rebuilds the old primary (manual 6.3).
func TestD_Switchover(t *testing.T) {
	ctx := scenarioCtx(t)
	l := need(t)
	p, s := healthy(t, ctx)
	t.Cleanup(func() {
		_, _ = l.Crm(context.Background(), s, "crm_resource", "--clear", "-r", "msPostgresql")
	})
	t0 := time.Now()
	if out, err := l.Crm(ctx, p, "crm_resource", "--ban", "--promoted", "-r", "msPostgresql", "-N", p); err != nil {
		t.Fatalf("ban: %v\n%s", err, out)
	}
	c, d, err := l.WaitFor(ctx, t0, faultTimeout, s, s+" PRI", func(c *Cluster) bool {
		return promotedOn(c, s) && c.Attr(p, "pgsql-status") != "PRI" && c.Settled()
	})
	if err != nil {
		t.Fatal(err)
	}
	record("d: switchover", "ban promoted on "+p+" → "+s+" PRI", d, c.String()+" "+lockState(l))
	checkDiagnosis(t, ctx, l, "d: switchover", s, "switchover")
	if out, err := l.Crm(ctx, s, "crm_resource", "--clear", "-r", "msPostgresql"); err != nil {
		t.Fatalf("clear: %v\n%s", err, out)
	}
	c, _, err = l.WaitFor(ctx, time.Now(), time.Minute, s, "ban cleared", func(c *Cluster) bool {
		return len(c.Bans) == 0 || !strings.Contains(strings.Join(c.Bans, " "), "msPostgresql")
	})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Second) // let a possible automatic rejoin show
	if c2, err := l.Status(ctx, s); err == nil {
		c = c2
	}
	if !promotedOn(c, s) {
		t.Errorf("after --clear the primary role moved again (no automatic failback): %s", c)
	}
	record("d: switchover", "after --clear (+5s), before the rebuild", 0, c.String())
	rebuild(t, ctx, l, "d: switchover", p)
	record("d: switchover", "whole procedure: ban → old primary HS:sync", time.Since(t0), "")
}

// killPostmaster kills node's postmaster with SIGKILL and returns when.
func killPostmaster(t testing.TB, ctx context.Context, l *Lab, node string) time.Time {
	t.Helper()
	pid, err := l.PostmasterPID(node)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	if _, err := l.Exec(ctx, 20*time.Second, node, "kill", "-9", pid); err != nil {
		t.Fatalf("kill -9 postmaster %s on %s: %v", pid, node, err)
	}
	return t0
}

// killCorosync kills corosync on node (a node failure: the peer fences it)
// and returns when.
func killCorosync(t testing.TB, ctx context.Context, l *Lab, node string) time.Time {
	t.Helper()
	pid, err := l.ProcPID(ctx, node, "corosync")
	if err != nil || pid == "" {
		t.Fatalf("corosync pid on %s: %q %v", node, pid, err)
	}
	t0 := time.Now()
	if _, err := l.Exec(ctx, 20*time.Second, node, "kill", "-9", pid); err != nil {
		t.Fatal(err)
	}
	return t0
}

// TestE_NodeFailureFencing: corosync is killed on the primary. The standby
// fences it (lab BMC powers it off) and is promoted.
func TestE_NodeFailureFencing(t *testing.T) {
	ctx := scenarioCtx(t)
	l := need(t)
	p, s := healthy(t, ctx)
	t0 := killCorosync(t, ctx, l, p)
	c, d, err := l.WaitFor(ctx, t0, faultTimeout, s, p+" fenced, "+s+" PRI", func(c *Cluster) bool {
		return promotedOn(c, s) && c.On("vip-slave", s) && !c.Online[p] && c.Settled()
	})
	if err != nil {
		t.Fatal(err)
	}
	if l.Powered(p) {
		t.Errorf("%s was not powered off by fencing", p)
	}
	fl, _ := os.ReadFile(filepath.Join(l.Run, "ctl", "fence.log"))
	if !strings.Contains(string(fl), "off "+p+" -> ok") {
		t.Errorf("no successful fencing of %s in fence.log:\n%s", p, fl)
	}
	record("e: node failure (corosync killed)", "fault → "+p+" fenced, "+s+" PRI", d, c.String()+" "+lockState(l))
	checkDiagnosis(t, ctx, l, "e: node failure (corosync killed)", s, "node-fenced")
	rebuild(t, ctx, l, "e: node failure (corosync killed)", p)
}

// TestF_StartRefusedByLock: a node whose PGSQL.lock was left behind (it was
// primary when it stopped) must refuse to start PostgreSQL — a start failure
// (manual 5.4.3 (1)); the operator procedure (remove the lock, rebuild from a
// base backup, cleanup) makes it rejoin as HS:sync.
func TestF_StartRefusedByLock(t *testing.T) {
	ctx := scenarioCtx(t)
	l := need(t)
	p, s := healthy(t, ctx)
	if out, err := l.PcmkStop(ctx, s); err != nil {
		t.Fatalf("stopping Pacemaker on %s: %v\n%s", s, err, out)
	}
	if _, _, err := l.WaitFor(ctx, time.Now(), faultTimeout, p, s+" offline", func(c *Cluster) bool {
		return promotedOn(c, p) && !c.Online[s] && c.Settled()
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ExecPG(ctx, 20*time.Second, s, "touch", PGHome+"/tmp/PGSQL.lock"); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	if out, err := l.PcmkStart(ctx, s); err != nil {
		t.Fatalf("starting Pacemaker on %s: %v\n%s", s, err, out)
	}
	c, d, err := l.WaitFor(ctx, t0, faultTimeout, p, "start refused on "+s, func(c *Cluster) bool {
		return promotedOn(c, p) && c.Online[s] && c.FailCount[s]["pgsql"] > 0 &&
			len(c.Unpromoted) == 0 && c.On("vip-slave", p) && c.Settled()
	})
	if err != nil {
		t.Fatal(err)
	}
	if l.PGRunning(ctx, s) {
		t.Errorf("PostgreSQL runs on %s although PGSQL.lock was there", s)
	}
	if !l.LockExists(s) {
		t.Errorf("PGSQL.lock disappeared from %s without the operator", s)
	}
	if got := c.Attr(s, "master-pgsql"); got != "" && got != "-INFINITY" {
		t.Errorf("%s master-pgsql = %s, want -INFINITY or absent", s, got)
	}
	record("f: start refused (PGSQL.lock left)", "pacemaker start → start failure on "+s, d,
		c.String()+" failures=["+strings.Join(c.Failures, "; ")+"]")
	if l.Heartbeat() {
		rebuild(t, ctx, l, "f: start refused (PGSQL.lock left)", s)
		return
	}
	// The operator procedure with the tools: stop, then standby-start,
	// which must rebuild (the lock) and remove the lock afterwards.
	t1 := time.Now()
	pgrexRun(t, ctx, l, s, "", 0, "stop", "--yes")
	out := pgrexRun(t, ctx, l, s, "", 0, "standby-start", "--yes")
	if !strings.Contains(out, "Chosen: b)") {
		t.Errorf("standby-start on %s with PGSQL.lock did not rebuild from a base backup:\n%s", s, out)
	}
	c, _, err = l.WaitFor(ctx, t1, time.Minute, p, "healthy after standby-start", func(c *Cluster) bool {
		pp, ss, ok := c.Healthy()
		return ok && pp == p && ss == s
	})
	if err != nil {
		t.Fatal(err)
	}
	if l.LockExists(s) {
		t.Errorf("PGSQL.lock still on %s after standby-start", s)
	}
	record("f: start refused (PGSQL.lock left)", "pgrex stop + standby-start on "+s+" → HS:sync", time.Since(t1), c.String()+" "+lockState(l))
}

// TestG_MonitorFailure: the primary's monitor fails (its PostgreSQL no longer
// answers on the Unix socket the agent monitors through). Manual: the old
// primary is stopped (STOP/DISCONNECT/-INFINITY, fail-count), the standby is
// promoted and takes the VIPs.
func TestG_MonitorFailure(t *testing.T) {
	ctx := scenarioCtx(t)
	l := need(t)
	p, s := healthy(t, ctx)
	t0 := time.Now()
	if _, err := l.Exec(ctx, 20*time.Second, p, "rm", "-f", "/run/postgresql/.s.PGSQL.5432"); err != nil {
		t.Fatal(err)
	}
	c, d, err := l.WaitFor(ctx, t0, faultTimeout, s, "failover to "+s, func(c *Cluster) bool {
		return promotedOn(c, s) && c.On("vip-slave", s) && c.Triple(p) == "STOP/DISCONNECT/-INFINITY" &&
			c.FailCount[p]["pgsql"] > 0 && c.Settled()
	})
	if err != nil {
		t.Fatal(err)
	}
	if l.PGRunning(ctx, p) {
		t.Errorf("PostgreSQL still runs on %s", p)
	}
	if !l.LockExists(p) {
		t.Errorf("PGSQL.lock is not left on the old primary %s", p)
	}
	record("g: monitor failure on the primary", "fault → "+s+" PRI, "+p+" STOP", d,
		c.String()+" failures=["+strings.Join(c.Failures, "; ")+"] "+lockState(l))
	checkDiagnosis(t, ctx, l, "g: monitor failure on the primary", s, "resource-failure-start-promote-monitor")
	rebuild(t, ctx, l, "g: monitor failure on the primary", p)
}

// TestG_PromoteFailure: the promote fails on the node that is to become
// primary. In a PG-REX pair a promote runs with the other node healthy in
// one situation only — the operator's switchover (the failover promote has
// a crashed peer, the start-up election a loser marked DISCONNECT) — so the
// fault is injected there: the lab's pg_ctl (test/lab/sbin/lab-pg_ctl)
// fails the first `pg_ctl promote` without signalling PostgreSQL.
//
// End state (both agents, docs/e2e.md): no primary and no service VIPs —
// the old primary is banned and stopped with PGSQL.lock, the failed node is
// stopped with a fail-count and PGSQL.lock (its agent marked it before
// promoting and cannot know whether a timed-out promote went through).
// Nothing is promoted that may lack data. With pgrex the operator then
// follows `pgrex status` (manual 5.9.2, then 4.2/4.3) with the tools.
func TestG_PromoteFailure(t *testing.T) {
	ctx := scenarioCtx(t)
	l := need(t)
	p, s := healthy(t, ctx)
	const sc = "g: promote failure (at a switchover)"
	flag := filepath.Join(l.Run, "ctl", "fault", "fail-promote")
	if err := os.WriteFile(flag, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	cleared := false
	t.Cleanup(func() {
		_ = os.Remove(flag)
		if !cleared {
			_, _ = l.Crm(context.Background(), s, "crm_resource", "--clear", "-r", "msPostgresql")
		}
	})
	t0 := time.Now()
	if out, err := l.Crm(ctx, p, "crm_resource", "--ban", "--promoted", "-r", "msPostgresql", "-N", p); err != nil {
		t.Fatalf("ban: %v\n%s", err, out)
	}
	c, d, err := l.WaitFor(ctx, t0, faultTimeout, s, "promote failure on "+s, func(c *Cluster) bool {
		// The VIPs stop in the transition after the failed promote: a
		// settled picture between the two still shows vip-master.
		return len(c.Promoted) == 0 && c.FailCount[s]["pgsql"] > 0 && c.Attr(s, "pgsql-status") == "STOP" &&
			c.Attr(p, "pgsql-status") == "STOP" && c.Where("vip-master") == "-" && c.Where("vip-rep") == "-" && c.Settled()
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(flag + "." + s); err != nil {
		t.Fatalf("the injected promote failure did not happen on %s: %v", s, err)
	}
	for _, n := range []string{p, s} {
		if l.PGRunning(ctx, n) {
			t.Errorf("PostgreSQL runs on %s with no primary in the cluster", n)
		}
		if got := c.Attr(n, "master-pgsql"); got != "" && got != "-INFINITY" {
			t.Errorf("%s master-pgsql = %s: a node may be promoted that was not asked for", n, got)
		}
	}
	for _, vip := range []string{"vip-master", "vip-rep"} {
		if w := c.Where(vip); w != "-" && w != "" {
			t.Errorf("%s runs on %s with no primary", vip, w)
		}
	}
	if !l.LockExists(p) {
		t.Errorf("PGSQL.lock is not left on the old primary %s", p)
	}
	record(sc, "ban on "+p+" → promote of "+s+" fails → no primary", d,
		c.String()+" failures=["+strings.Join(c.Failures, "; ")+"] "+lockState(l))
	if l.Heartbeat() {
		return // the next test's healthy() restores the lab
	}
	checkDiagnosis(t, ctx, l, sc, p, "resource-failure-start-promote-monitor")

	// The operator (pgrex status's steps): clear the constraint, stop both
	// nodes, start the synchronous standby as primary, rebuild the old one.
	t1 := time.Now()
	if out, err := l.Crm(ctx, p, "crm_resource", "--clear", "-r", "msPostgresql"); err != nil {
		t.Fatalf("clear: %v\n%s", err, out)
	}
	cleared = true
	pgrexRun(t, ctx, l, p, "", 0, "stop", "--all", "--yes")
	// the failed node is STREAMING|SYNC: its lock may go (primary-start removes it itself)
	if out := pgrexRun(t, ctx, l, s, "", 0, "lock", "clear", "--dry-run"); !l.LockExists(s) || !strings.Contains(out, "STREAMING|SYNC") {
		t.Errorf("pgrex lock clear --dry-run on %s (lock kept: %v):\n%s", s, l.LockExists(s), out)
	}
	c = startPairWithTools(t, ctx, l, s, p)
	record(sc, "operator: clear, pgrex stop --all, primary-start "+s+", standby-start "+p, time.Since(t1),
		c.String()+" "+lockState(l))
}

// startPairWithTools is the manual's start of a stopped pair with the
// tools: `pgrex primary-start` on primary (4.2), then — powered on again
// if the lone node's start-up fencing took it — `pgrex standby-start` on
// standby (4.3); it returns the healthy picture.
func startPairWithTools(t *testing.T, ctx context.Context, l *Lab, primary, standby string) *Cluster {
	t.Helper()
	out := pgrexRun(t, ctx, l, primary, "", 0, "primary-start", "--yes")
	if _, _, err := l.WaitFor(ctx, time.Now(), time.Minute, primary, primary+" PRI", func(c *Cluster) bool {
		return promotedOn(c, primary)
	}); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !l.Powered(standby) {
		if out, err := l.PowerOn(ctx, standby); err != nil {
			t.Fatalf("power-on %s: %v\n%s", standby, err, out)
		}
	}
	pgrexRun(t, ctx, l, standby, "", 0, "standby-start", "--yes")
	c, _, err := l.WaitFor(ctx, time.Now(), time.Minute, primary, "healthy", func(c *Cluster) bool {
		pp, ss, ok := c.Healthy()
		return ok && pp == primary && ss == standby
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestH_DemoteFailureFencing: the primary's PostgreSQL hangs (SIGSTOP of the
// postmaster): its monitor times out, the demote cannot complete and times
// out too, and on-fail=fence makes the standby fence it, then promote.
// Manual: resource failure demote/stop → fenced; the other node is promoted.
func TestH_DemoteFailureFencing(t *testing.T) {
	ctx := scenarioCtx(t)
	l := need(t)
	p, s := healthy(t, ctx)
	pid, err := l.PostmasterPID(p)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	if _, err := l.Exec(ctx, 20*time.Second, p, "kill", "-STOP", pid); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if l.Powered(p) {
			_, _ = l.Exec(context.Background(), 20*time.Second, p, "kill", "-CONT", pid)
		}
	})
	// monitor timeout (60 s) + demote timeout (60 s) + fencing
	c, d, err := l.WaitFor(ctx, t0, 6*time.Minute, s, p+" fenced, "+s+" PRI", func(c *Cluster) bool {
		return promotedOn(c, s) && c.On("vip-slave", s) && !c.Online[p] && c.Settled()
	})
	if err != nil {
		t.Fatal(err)
	}
	if l.Powered(p) {
		t.Errorf("%s was not powered off by fencing", p)
	}
	record("h: demote/stop failure (hung primary)", "fault → "+p+" fenced, "+s+" PRI", d, c.String()+" "+lockState(l))
	checkDiagnosis(t, ctx, l, "h: demote/stop failure (hung primary)", s, "node-fenced")
	rebuild(t, ctx, l, "h: demote/stop failure (hung primary)", p)
}

// TestI_VipRepFailure: the replication VIP disappears from the primary.
// Manual: the primary role moves away; the other node is promoted.
func TestI_VipRepFailure(t *testing.T) {
	vipOfPrimaryFails(t, "i: vip-rep failure", "vip-rep", VIPRep, "eth1", "vip-rep-failure", false)
}

// TestI3_VipMasterFailure: the service VIP fails on the primary. Manual
// (5.11, table 5-7 No.6): the primary role moves away with the VIPs; the
// old primary is stopped with PGSQL.lock and is rebuilt as the standby.
func TestI3_VipMasterFailure(t *testing.T) {
	vipOfPrimaryFails(t, "i3: vip-master failure", "vip-master", VIPMaster, "eth2", "vip-master-failure", true)
}

// vipOfPrimaryFails deletes one of the primary's VIPs (rsc, address addr on
// dev) and waits until the primary role has moved to the standby with the
// VIP's fail-count on the old primary; the diagnosis must be row; the old
// primary is then cleaned up and rebuilt. wantLock also requires the old
// primary's PGSQL.lock.
func vipOfPrimaryFails(t *testing.T, sc, rsc, addr, dev, row string, wantLock bool) {
	ctx := scenarioCtx(t)
	l := need(t)
	p, s := healthy(t, ctx)
	t0 := time.Now()
	if _, err := l.run(ctx, 20*time.Second, "ip", "-n", "pgrex-"+p, "addr", "del", addr+"/26", "dev", dev); err != nil {
		t.Fatal(err)
	}
	c, d, err := l.WaitFor(ctx, t0, faultTimeout, s, "primary role on "+s, func(c *Cluster) bool {
		return promotedOn(c, s) && c.Attr(p, "pgsql-status") != "PRI" && c.FailCount[p][rsc] > 0 && c.Settled()
	})
	if err != nil {
		t.Fatal(err)
	}
	if wantLock && !l.LockExists(p) {
		t.Errorf("PGSQL.lock is not left on the old primary %s", p)
	}
	record(sc, "fault → "+s+" PRI", d, c.String()+" "+lockState(l))
	checkDiagnosis(t, ctx, l, sc, s, row)
	if out, err := l.Crm(ctx, s, "crm_resource", "--cleanup", "-r", rsc, "-N", p); err != nil {
		t.Logf("cleanup of %s on %s: %v\n%s", rsc, p, err, out)
	}
	rebuild(t, ctx, l, sc, p)
}

// TestI2_VipSlaveFailure: the read-only VIP fails on the standby. Manual
// (table 5-7 No.8): nothing else changes, vip-slave moves to the primary;
// after the operator's cleanup it returns to the synchronous standby.
func TestI2_VipSlaveFailure(t *testing.T) {
	ctx := scenarioCtx(t)
	l := need(t)
	p, s := healthy(t, ctx)
	const sc = "i2: vip-slave failure"
	t0 := time.Now()
	if _, err := l.run(ctx, 20*time.Second, "ip", "-n", "pgrex-"+s, "addr", "del", VIPSlave+"/26", "dev", "eth2"); err != nil {
		t.Fatal(err)
	}
	c, d, err := l.WaitFor(ctx, t0, faultTimeout, p, "vip-slave on "+p, func(c *Cluster) bool {
		return c.On("vip-slave", p) && c.FailCount[s]["vip-slave"] > 0 && c.Settled()
	})
	if err != nil {
		t.Fatal(err)
	}
	if !promotedOn(c, p) || c.Triple(s) != "HS:sync/STREAMING|SYNC/100" {
		t.Errorf("a vip-slave failure changed the replication: %s", c)
	}
	record(sc, "fault → vip-slave on "+p+", replication unchanged", d, c.String()+" "+lockState(l))
	checkDiagnosis(t, ctx, l, sc, p, "vip-slave-failure")
	t1 := time.Now()
	if out, err := l.Crm(ctx, p, "crm_resource", "--cleanup", "-r", "vip-slave", "-N", s); err != nil {
		t.Fatalf("cleanup of vip-slave on %s: %v\n%s", s, err, out)
	}
	c, d, err = l.WaitFor(ctx, t1, faultTimeout, p, "healthy after the cleanup", func(c *Cluster) bool {
		pp, ss, ok := c.Healthy()
		return ok && pp == p && ss == s
	})
	if err != nil {
		t.Fatal(err)
	}
	record(sc, "operator cleanup → vip-slave back on "+s, d, c.String())
}

// TestJ_InterconnectFailure: the interconnect (IC-LAN) is lost, both nodes
// try to fence each other. Manual: a fencing race, one survives; the lab's
// priority-fencing-delay makes the primary win: it stays PRI with every VIP,
// the standby is powered off.
func TestJ_InterconnectFailure(t *testing.T) {
	ctx := scenarioCtx(t)
	l := need(t)
	p, s := healthy(t, ctx)
	t.Cleanup(func() { _ = l.LinkUp(context.Background(), s, "ic") })
	t0 := time.Now()
	if err := l.LinkDown(ctx, s, "ic"); err != nil {
		t.Fatal(err)
	}
	c, d, err := l.WaitFor(ctx, t0, faultTimeout, p, s+" fenced, "+p+" stays PRI", func(c *Cluster) bool {
		return promotedOn(c, p) && c.On("vip-slave", p) && !c.Online[s] && c.Settled() && !l.Powered(s)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !l.Powered(p) {
		t.Fatalf("the primary %s was powered off too", p)
	}
	record("j: interconnect lost (fencing race)", "fault → "+s+" fenced, "+p+" stays PRI", d, c.String()+" "+lockState(l))
	if err := l.LinkUp(ctx, s, "ic"); err != nil {
		t.Fatal(err)
	}
	rebuild(t, ctx, l, "j: interconnect lost (fencing race)", s)
}

// pingOf is a node's default_ping_set (clnPing pings the client host on the
// S-LAN, PG-REX's router).
func pingOf(c *Cluster, n string) string { return c.Attr(n, "default_ping_set") }

// TestK_SLANFailure: the primary's S-LAN port goes down, so its ping of the
// router fails. Manual (5.7, table 5-7 No.2): PostgreSQL is stopped there
// and the standby is promoted with the VIPs; the old primary keeps
// PGSQL.lock. The operator stops Pacemaker there, has the LAN repaired and
// rebuilds it as the standby (4.3).
func TestK_SLANFailure(t *testing.T) {
	ctx := scenarioCtx(t)
	l := need(t)
	p, s := healthy(t, ctx)
	const sc = "k: S-LAN failure on the primary"
	t.Cleanup(func() { _ = l.LinkUp(context.Background(), p, "svc") })
	t0 := time.Now()
	if err := l.LinkDown(ctx, p, "svc"); err != nil {
		t.Fatal(err)
	}
	c, d, err := l.WaitFor(ctx, t0, faultTimeout, s, "failover to "+s, func(c *Cluster) bool {
		return promotedOn(c, s) && c.On("vip-slave", s) && pingOf(c, p) == "0" && pingOf(c, s) == "100" &&
			c.Attr(p, "pgsql-status") == "STOP" && c.Settled()
	})
	if err != nil {
		t.Fatal(err)
	}
	if l.PGRunning(ctx, p) {
		t.Errorf("PostgreSQL still runs on %s without the S-LAN", p)
	}
	if !l.LockExists(p) {
		t.Errorf("PGSQL.lock is not left on the old primary %s", p)
	}
	record(sc, "link down → "+s+" PRI, "+p+" STOP", d, c.String()+" ping "+p+"="+pingOf(c, p)+" "+lockState(l))
	checkDiagnosis(t, ctx, l, sc, s, "s-lan-failure")
	t1 := time.Now()
	if l.Heartbeat() {
		if out, err := l.PcmkStop(ctx, p); err != nil {
			t.Fatalf("stopping Pacemaker on %s: %v\n%s", p, err, out)
		}
	} else {
		pgrexRun(t, ctx, l, p, "", 0, "stop", "--yes")
	}
	if err := l.LinkUp(ctx, p, "svc"); err != nil {
		t.Fatal(err)
	}
	if l.Heartbeat() {
		rebuild(t, ctx, l, sc, p)
		return
	}
	pgrexRun(t, ctx, l, p, "", 0, "standby-start", "--yes")
	c, _, err = l.WaitFor(ctx, t1, faultTimeout, s, "healthy", func(c *Cluster) bool {
		pp, ss, ok := c.Healthy()
		return ok && pp == s && ss == p && pingOf(c, p) == "100"
	})
	if err != nil {
		t.Fatal(err)
	}
	record(sc, "operator: pgrex stop, repair, pgrex standby-start → HS:sync", time.Since(t1), c.String())
}

// TestL_RouterFailure: the router (the client host both nodes ping) is
// lost. Manual (5.6, table 5-7 No.1): PostgreSQL stops on both nodes, the
// VIPs with it. The operator stops Pacemaker on both, has the router
// repaired, starts the node with LATEST data as primary (4.2) and the other
// as standby (4.3) — with pgrex, following `pgrex status` with the tools.
func TestL_RouterFailure(t *testing.T) {
	ctx := scenarioCtx(t)
	l := need(t)
	p, s := healthy(t, ctx)
	const sc = "l: router failure (both lose ping)"
	t.Cleanup(func() { _ = l.ClientLinkUp(context.Background()) })
	t0 := time.Now()
	if err := l.ClientLinkDown(ctx); err != nil {
		t.Fatal(err)
	}
	c, d, err := l.WaitFor(ctx, t0, faultTimeout, p, "pgsql stopped on both", func(c *Cluster) bool {
		return len(c.Promoted) == 0 && len(c.Unpromoted) == 0 && pingOf(c, p) == "0" && pingOf(c, s) == "0" &&
			c.Where("vip-master") == "-" && c.Settled()
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{p, s} {
		if l.PGRunning(ctx, n) {
			t.Errorf("PostgreSQL still runs on %s with the router lost", n)
		}
	}
	record(sc, "client link down → both stopped", d, c.String()+" "+lockState(l))
	if l.Heartbeat() {
		return // the next test's healthy() restarts the lab
	}
	checkDiagnosis(t, ctx, l, sc, p, "router-failure")
	// The node to start as primary is the one with LATEST data (5.6.2 STEP1):
	// the old primary when it stopped first and the standby with it, else
	// the standby, promoted in between and stopped last.
	latest := ""
	for _, n := range []string{p, s} {
		if c.Attr(n, "pgsql-data-status") == "LATEST" {
			latest = n
		}
	}
	if latest == "" {
		t.Fatalf("no node has LATEST data after the router failure: %s", c)
	}
	other := Other(latest)
	t1 := time.Now()
	pgrexRun(t, ctx, l, p, "", 0, "stop", "--all", "--yes")
	if err := l.ClientLinkUp(ctx); err != nil {
		t.Fatal(err)
	}
	// the other node may not start as primary (not LATEST, or the peer is)
	pgrexRun(t, ctx, l, other, "", 2, "primary-start", "--yes", "--dry-run")
	c = startPairWithTools(t, ctx, l, latest, other)
	record(sc, "operator: pgrex stop --all, repair, primary-start "+latest+" (LATEST), standby-start "+other, time.Since(t1),
		c.String()+" "+lockState(l))
}

// TestM_DivergedStandby: an operator's mistake builds a diverged standby
// for real — Pacemaker stopped on the standby, its PostgreSQL started by
// hand and promoted (a new timeline the primary never had), a row written,
// stopped again, Pacemaker started. pgrex: its first monitors find that
// its WAL left the primary's history — DIVERGED/-INFINITY, HS:alone, kept
// by the primary's monitor — `pgrex status` names it, and `pgrex stop` +
// `standby-start` rebuild it into HS:sync (DIVERGED lifted by the standby
// itself). Upstream shows the same standby DISCONNECT, like one that only
// restarts.
func TestM_DivergedStandby(t *testing.T) {
	ctx := scenarioCtx(t)
	l := need(t)
	p, s := healthy(t, ctx)
	const sc = "m: diverged standby (promoted by hand)"
	if out, err := l.PcmkStop(ctx, s); err != nil {
		t.Fatalf("stopping Pacemaker on %s: %v\n%s", s, err, out)
	}
	if _, _, err := l.WaitFor(ctx, time.Now(), faultTimeout, p, s+" offline", func(c *Cluster) bool {
		return promotedOn(c, p) && !c.Online[s] && c.Settled()
	}); err != nil {
		t.Fatal(err)
	}
	pgctl := func(args ...string) {
		t.Helper()
		argv := append([]string{PGBin + "/pg_ctl", "-D", PGData, "-w", "-t", "60", "-l", PGHome + "/tmp/by-hand.log"}, args...)
		if out, err := l.ExecPG(ctx, 90*time.Second, s, argv...); err != nil {
			t.Fatalf("pg_ctl %s on %s: %v\n%s", strings.Join(args, " "), s, err, out)
		}
	}
	pgctl("start")
	pgctl("promote")
	if _, err := l.PSQL(ctx, 30*time.Second, s, "CREATE TABLE e2e_diverged AS SELECT 1 AS id"); err != nil {
		t.Fatalf("writing on the hand-promoted %s: %v", s, err)
	}
	pgctl("-m", "fast", "stop")
	t0 := time.Now()
	if out, err := l.PcmkStart(ctx, s); err != nil {
		t.Fatalf("starting Pacemaker on %s: %v\n%s", s, err, out)
	}
	want := "HS:alone/DIVERGED/-INFINITY"
	if l.Heartbeat() {
		want = "HS:alone/DISCONNECT/-INFINITY"
	}
	c, d, err := l.WaitFor(ctx, t0, faultTimeout, p, s+" "+want, func(c *Cluster) bool {
		return promotedOn(c, p) && c.Online[s] && len(c.Unpromoted) == 1 && c.Unpromoted[0] == s &&
			c.Triple(s) == want && c.Settled()
	})
	if err != nil {
		t.Fatal(err)
	}
	record(sc, "pacemaker start → "+s+" "+want, d, c.String())
	if l.Heartbeat() {
		rebuild(t, ctx, l, sc, s)
		return
	}
	// Stable: the primary's monitors keep it.
	time.Sleep(25 * time.Second)
	if c, err = l.Status(ctx, p); err != nil {
		t.Fatal(err)
	}
	if got := c.Triple(s); got != want {
		t.Errorf("%s is %s after further monitors, want %s", s, got, want)
	}
	// What the operator sees, kept for docs/rejoin.md: crm_mon and pgrex status.
	mon, _ := l.Crm(ctx, p, "crm_mon", "-1", "-A", "-f")
	st, _, _ := l.Pgrex(ctx, 30*time.Second, p, "", "status")
	capture(t, "e2e-diverged.txt", "$ crm_mon -1 -A -f\n"+mon+"\n$ pgrex status\n"+st)
	if out, err := l.ExecPG(ctx, 20*time.Second, s, "cat", PGHome+"/tmp/diverged"); err != nil || !strings.Contains(out, "the primary on the older timeline") {
		t.Errorf("%s's tmpdir/diverged does not say why (%v):\n%s", s, err, out)
	}
	checkDiagnosis(t, ctx, l, sc, p, "standby-diverged")
	t1 := time.Now()
	pgrexRun(t, ctx, l, s, "", 0, "stop", "--yes")
	// The hand-promoted server archived WAL of its own timeline; the
	// tool refuses until the operator moves it away, and says which.
	out := pgrexRun(t, ctx, l, s, "", 2, "standby-start", "--yes")
	const said, till = "holds WAL the primary's history cannot have (a later timeline or beyond its position): ", "; move them away first"
	i, j := strings.Index(out, said), strings.Index(out, till)
	if i < 0 || j < i {
		t.Fatalf("standby-start on %s did not name the diverged archive files:\n%s", s, out)
	}
	aside := PGHome + "/pg_archive.diverged"
	if _, err := l.ExecPG(ctx, 20*time.Second, s, "mkdir", "-p", aside); err != nil {
		t.Fatal(err)
	}
	for _, f := range strings.Fields(out[i+len(said) : j]) {
		if _, err := l.ExecPG(ctx, 20*time.Second, s, "mv", PGHome+"/pg_archive/"+f, aside+"/"); err != nil {
			t.Fatalf("moving %s aside on %s: %v", f, s, err)
		}
	}
	out = pgrexRun(t, ctx, l, s, "", 0, "standby-start", "--yes")
	if strings.Contains(out, "Chosen: n)") {
		t.Errorf("standby-start reused the diverged data directory of %s:\n%s", s, out)
	}
	c, _, err = l.WaitFor(ctx, t1, 2*time.Minute, p, "healthy after standby-start", func(c *Cluster) bool {
		pp, ss, ok := c.Healthy()
		return ok && pp == p && ss == s
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.ExecPG(ctx, 20*time.Second, s, "test", "!", "-e", PGHome+"/tmp/diverged"); err != nil {
		t.Errorf("tmpdir/diverged is still on %s after the rebuild", s)
	}
	record(sc, "pgrex stop + standby-start on "+s+" → HS:sync", time.Since(t1), c.String()+" "+lockState(l))
}
