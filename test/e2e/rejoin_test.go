// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// rejoinTimeout bounds fault → both nodes PRI + HS:sync again: the fail
// count's expiry (LAB_FAILURE_TIMEOUT, 20 s) plus a rewind and a start.
const rejoinTimeout = 4 * time.Minute

// evidence lists the rejoin evidence files in node's agent tmpdir.
func evidence(l *Lab, node string) []string {
	m, _ := filepath.Glob(filepath.Join(l.Run, node, "pg", "tmp", "rejoin-*.txt"))
	return m
}

// TestRejoin: with rejoin=rewind (make test-e2e runs this test in a lab of
// its own, LAB_REJOIN=rewind) every fault that leaves the old primary with
// PGSQL.lock ends with both nodes PRI + HS:sync and no operator step, while
// a writer commits through vip-master: kill -9 of the primary, Pacemaker
// stopped on it (and started again), a switchover (ban, clear) and a node
// failure with fencing (the node powered on again). Afterwards every
// acknowledged commit is on the primary.
func TestRejoin(t *testing.T) {
	if os.Getenv("LAB_REJOIN") != "rewind" {
		t.Skip("needs the lab with LAB_REJOIN=rewind: `make test-e2e` runs it so")
	}
	l := need(t)
	if l.Heartbeat() {
		t.Skip("rejoin is pgrex's: the upstream agent has no such parameter")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	p, _ := healthy(t, ctx)
	table := fmt.Sprintf("e2e_rejoin_%d", time.Now().Unix())
	if _, err := l.PSQL(ctx, 30*time.Second, p, "CREATE TABLE "+table+" (id bigint PRIMARY KEY, at timestamptz DEFAULT now())"); err != nil {
		t.Fatal(err)
	}
	w := &Writer{Table: table, Interval: 20 * time.Millisecond}
	w.Start(ctx)
	stopped := false
	defer func() {
		if !stopped {
			w.Stop()
		}
	}()
	waitProgress(t, w, "before the first fault")

	faults := []struct {
		name  string
		fault func(p string)
		// back brings the node back as its hardware or its operator would
		// after the fault (not a database step); nil when nothing is needed.
		back func(p string)
	}{
		{"kill -9 of the primary's postmaster", func(p string) { killPostmaster(t, ctx, l, p) }, nil},
		{"Pacemaker stopped on the primary", func(p string) {
			if out, err := l.PcmkStop(ctx, p); err != nil {
				t.Fatalf("stopping Pacemaker on %s: %v\n%s", p, err, out)
			}
		}, func(p string) {
			if out, err := l.PcmkStart(ctx, p); err != nil {
				t.Fatalf("starting Pacemaker on %s: %v\n%s", p, err, out)
			}
		}},
		{"switchover (ban the promoted role, clear it)", func(p string) {
			if out, err := l.Crm(ctx, p, "crm_resource", "--ban", "--promoted", "-r", "msPostgresql", "-N", p); err != nil {
				t.Fatalf("ban: %v\n%s", err, out)
			}
		}, func(p string) {
			if out, err := l.Crm(ctx, Other(p), "crm_resource", "--clear", "-r", "msPostgresql"); err != nil {
				t.Fatalf("clear: %v\n%s", err, out)
			}
		}},
		{"node failure with fencing", func(p string) { killCorosync(t, ctx, l, p) }, func(p string) {
			if out, err := l.PowerOn(ctx, p); err != nil {
				t.Fatalf("power on %s: %v\n%s", p, err, out)
			}
			if out, err := l.PcmkStart(ctx, p); err != nil {
				t.Fatalf("starting Pacemaker on %s: %v\n%s", p, err, out)
			}
		}},
	}
	for _, f := range faults {
		scenario := "rejoin: " + f.name
		p, s := healthy(t, ctx)
		before := len(evidence(l, p))
		t0 := time.Now()
		f.fault(p)
		_, d, err := l.WaitFor(ctx, t0, faultTimeout, s, s+" PRI", func(c *Cluster) bool { return promotedOn(c, s) })
		if err != nil {
			t.Fatalf("%s: %v", scenario, err)
		}
		record(scenario, "fault → "+s+" PRI", d, "")
		if f.back != nil {
			f.back(p)
		}
		c, d, err := l.WaitFor(ctx, t0, rejoinTimeout, s, p+" rejoined as HS:sync", func(c *Cluster) bool {
			pp, ss, ok := c.Healthy()
			return ok && pp == s && ss == p && c.Settled()
		})
		if err != nil {
			t.Fatalf("%s: no rejoin without an operator: %v (%s)", scenario, err, lockState(l))
		}
		record(scenario, "fault → "+p+" HS:sync again (time to redundancy)", d, c.String()+" "+lockState(l))
		if l.LockExists(p) {
			t.Errorf("%s: PGSQL.lock is still on %s after it rejoined", scenario, p)
		}
		if n := len(evidence(l, p)); n != before+1 {
			t.Errorf("%s: %d new rejoin evidence files on %s, want 1", scenario, n-before, p)
		}
		waitProgress(t, w, "after "+f.name)
	}
	w.Stop()
	stopped = true
	acked, inDoubt, errs, connects, _ := w.Result()
	p, _ = healthy(t, ctx)
	lost := lostIDs(acked, presentIDs(t, ctx, l, p, table))
	summary := fmt.Sprintf("acknowledged %d / lost %d (in doubt %d; %d errors, %d connections)", len(acked), len(lost), len(inDoubt), errs, connects)
	record("rejoin: zero-loss writer", "4 faults, each rejoined without an operator", 0, summary)
	t.Log(summary)
	reportLost(t, lost)
}
