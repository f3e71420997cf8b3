// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestZeroLoss: a writer commits numbered rows through vip-master from the
// client namespace while the lab fails over (kill -9 of the primary's
// postmaster) and switches over (ban/clear), each followed by the operator
// rebuild. Afterwards every acknowledged id must be on the surviving primary.
// E2E_SOAK_CYCLES sets the number of cycles (default 2: one of each).
func TestZeroLoss(t *testing.T) {
	cycles := 2
	if v := os.Getenv("E2E_SOAK_CYCLES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("E2E_SOAK_CYCLES=%q", v)
		}
		cycles = n
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(cycles)*4*time.Minute+5*time.Minute)
	defer cancel()
	l := need(t)
	p, _ := healthy(t, ctx)
	table := fmt.Sprintf("e2e_zero_loss_%d", time.Now().Unix())
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
	progress := func(what string) { t.Helper(); waitProgress(t, w, what) }
	progress("before the first fault")
	tAll := time.Now()
	for i := 1; i <= cycles; i++ {
		p, s := healthy(t, ctx)
		t0 := time.Now()
		kind := "failover"
		if i%2 == 1 {
			pid, err := l.PostmasterPID(p)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := l.Exec(ctx, 20*time.Second, p, "kill", "-9", pid); err != nil {
				t.Fatal(err)
			}
		} else {
			kind = "switchover"
			if out, err := l.Crm(ctx, p, "crm_resource", "--ban", "--promoted", "-r", "msPostgresql", "-N", p); err != nil {
				t.Fatalf("ban: %v\n%s", err, out)
			}
		}
		_, d, err := l.WaitFor(ctx, t0, faultTimeout, s, s+" PRI", func(c *Cluster) bool { return promotedOn(c, s) && c.Settled() })
		if kind == "switchover" {
			if out, err := l.Crm(ctx, s, "crm_resource", "--clear", "-r", "msPostgresql"); err != nil {
				t.Fatalf("clear: %v\n%s", err, out)
			}
		}
		if err != nil {
			t.Fatalf("cycle %d (%s): %v", i, kind, err)
		}
		progress(fmt.Sprintf("after the %s of cycle %d", kind, i))
		t.Logf("cycle %d: %s %s → %s in %.1fs", i, kind, p, s, d.Seconds())
		if out, err := l.Rebuild(ctx, p); err != nil {
			t.Fatalf("cycle %d: rebuild %s: %v\n%s", i, p, err, out)
		}
	}
	progress("after the last cycle")
	w.Stop()
	stopped = true
	acked, inDoubt, errs, connects, _ := w.Result()
	p, _ = healthy(t, ctx)
	present := presentIDs(t, ctx, l, p, table)
	lost := lostIDs(acked, present)
	committedInDoubt := 0
	for _, id := range inDoubt {
		if present[id] {
			committedInDoubt++
		}
	}
	summary := fmt.Sprintf("acknowledged %d / lost %d (in doubt %d, of which committed %d; %d errors, %d connections)",
		len(acked), len(lost), len(inDoubt), committedInDoubt, errs, connects)
	record("zero-loss writer", fmt.Sprintf("%d cycles (failover/switchover + rebuild)", cycles), time.Since(tAll), summary)
	t.Log(summary)
	reportLost(t, lost)
}

// waitProgress waits (bounded, 60 s) until the writer has 20 more
// acknowledged commits than now.
func waitProgress(t *testing.T, w *Writer, what string) {
	t.Helper()
	a0, _, _, _, _ := w.Result()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if a, _, _, _, _ := w.Result(); len(a) >= len(a0)+20 {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	_, _, _, _, lastErr := w.Result()
	t.Fatalf("the writer made no progress %s: %s", what, lastErr)
}

// presentIDs reads the writer's table on node.
func presentIDs(t *testing.T, ctx context.Context, l *Lab, node, table string) map[int64]bool {
	t.Helper()
	out, err := l.PSQL(ctx, time.Minute, node, "SELECT id FROM "+table)
	if err != nil {
		t.Fatal(err)
	}
	present := map[int64]bool{}
	for _, f := range strings.Fields(out) {
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			t.Fatalf("bad id %q", f)
		}
		present[v] = true
	}
	return present
}

// lostIDs are the acknowledged ids that are not present.
func lostIDs(acked []int64, present map[int64]bool) []int64 {
	var lost []int64
	for _, id := range acked {
		if !present[id] {
			lost = append(lost, id)
		}
	}
	return lost
}

// reportLost fails the test with (at most 20 of) the lost ids.
func reportLost(t *testing.T, lost []int64) {
	t.Helper()
	if len(lost) > 0 {
		if len(lost) > 20 {
			lost = lost[:20]
		}
		t.Errorf("acknowledged commits lost: %v", lost)
	}
}
