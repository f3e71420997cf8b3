// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// degradedFailure reports whether crm_mon lists a degraded-promoted result
// (191) of node's recurring monitor.
func degradedFailure(c *Cluster, node string) bool {
	for _, f := range c.Failures {
		if strings.HasPrefix(f, node+" pgsql_monitor_") && strings.HasSuffix(f, " rc=191") {
			return true
		}
	}
	return false
}

// TestDegradedPromoted: with degraded_promoted=true (the rejoin lab sets
// it, so TestRejoin's faults run with it too) the primary's monitor returns
// 191 while no standby is synchronous. crm_mon shows it, and Pacemaker
// keeps the primary running where it is — no fail count, no recovery, the
// same postmaster — while writes go on. With the standby back and the
// record cleaned up, the monitor returns 8 again.
func TestDegradedPromoted(t *testing.T) {
	if os.Getenv("LAB_REJOIN") != "rewind" {
		t.Skip("needs the lab with LAB_REJOIN=rewind (degraded_promoted=true): `make test-e2e` runs it so")
	}
	l := need(t)
	if l.Heartbeat() {
		t.Skip("degraded_promoted is pgrex's")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	p, s := healthy(t, ctx)
	if out, err := l.Crm(ctx, p, "crm_resource", "--cleanup", "-r", "msPostgresql"); err != nil {
		t.Fatalf("cleanup: %v\n%s", err, out)
	}
	pid, err := l.PostmasterPID(p)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	if out, err := l.PcmkStop(ctx, s); err != nil {
		t.Fatalf("stopping Pacemaker on %s: %v\n%s", s, err, out)
	}
	c, d, err := l.WaitFor(ctx, t0, time.Minute, p, p+"'s monitor reports degraded (191)", func(c *Cluster) bool {
		return degradedFailure(c, p) && c.Settled()
	})
	if err != nil {
		t.Fatal(err)
	}
	record("degraded_promoted", "standby's Pacemaker stopped → crm_mon shows "+p+" promoted (degraded)", d, c.String())
	// Three promoted monitor intervals (3 s): time for a wrong recovery.
	time.Sleep(10 * time.Second)
	c, err = l.Status(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Promoted) != 1 || c.Promoted[0] != p || c.Attr(p, "pgsql-status") != "PRI" {
		t.Fatalf("191 was not treated as running promoted: %s", c)
	}
	for rsc, n := range c.FailCount[p] {
		if strings.HasPrefix(rsc, "pgsql") && n > 0 {
			t.Errorf("191 counted as a failure: %s fail-count=%d on %s", rsc, n, p)
		}
	}
	if now, err := l.PostmasterPID(p); err != nil || now != pid {
		t.Errorf("the primary's postmaster changed while degraded: %s → %s (%v)", pid, now, err)
	}
	if _, err := l.PSQL(ctx, 30*time.Second, p, "CREATE TABLE IF NOT EXISTS e2e_degraded (id int); INSERT INTO e2e_degraded VALUES (1)"); err != nil {
		t.Errorf("a write on the degraded primary: %v", err)
	}

	if out, err := l.PcmkStart(ctx, s); err != nil {
		t.Fatalf("starting Pacemaker on %s: %v\n%s", s, err, out)
	}
	healthy(t, ctx)
	if out, err := l.Crm(ctx, p, "crm_resource", "--cleanup", "-r", "msPostgresql"); err != nil {
		t.Fatalf("cleanup: %v\n%s", err, out)
	}
	t1 := time.Now()
	if _, _, err := l.WaitFor(ctx, t1, time.Minute, p, "no degraded record after the cleanup", func(c *Cluster) bool {
		_, _, ok := c.Healthy()
		return ok && !degradedFailure(c, p)
	}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Second)
	if c, err := l.Status(ctx, p); err != nil || degradedFailure(c, p) {
		t.Errorf("the primary's monitor still reports degraded with HS:sync back (%v): %v", err, c)
	}
}
