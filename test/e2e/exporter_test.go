// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// exporterInterval is the exporters' read interval in the lab test.
const exporterInterval = 2 * time.Second

func startExporter(t *testing.T, l *Lab, node string) *exporterAt {
	t.Helper()
	e, err := l.launchExporter(node, "127.0.0.1:9633", exporterInterval, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.stop()
		if t.Failed() {
			t.Logf("exporter on %s:\n%s", node, e.out.String())
		}
	})
	return e
}

// waitCodes polls until every path answers its code on its exporter, and
// returns how long that took.
func waitCodes(t *testing.T, ctx context.Context, within time.Duration, what string, want map[*exporterAt]map[string]int) time.Duration {
	t.Helper()
	t0 := time.Now()
	var last string
	for time.Since(t0) < within {
		last = ""
		for e, paths := range want {
			for path, code := range paths {
				if got, body := e.get(ctx, path); got != code {
					last += fmt.Sprintf(" %s%s=%d (%s)", e.node, path, got, strings.TrimSpace(body))
				}
			}
		}
		if last == "" {
			return time.Since(t0)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s:%s", what, within, last)
	return 0
}

// TestExporterFollowsFailover: `pgrex exporter` runs on both nodes; its
// health checks name the primary, the standby and the synchronous standby,
// /metrics carries the diagnosis. After each fault — kill -9 of the primary,
// a switchover, a node failure with fencing — /primary moves to the new
// primary within one read interval (plus one read) of the promotion, and
// after the rebuild the old primary answers /standby and /sync.
func TestExporterFollowsFailover(t *testing.T) {
	ctx := scenarioCtx(t)
	l := need(t)
	if l.Heartbeat() {
		t.Skip("the exporter reads pgrex's attributes; the lab runs the upstream agent")
	}
	p, s := healthy(t, ctx)
	const sc = "exporter: health checks follow a failover"
	// Prometheus records the run for the dashboard picture, while a writer
	// commits through vip-master (so lag and WAL positions move); the
	// writer must lose nothing.
	prom := startPrometheus(t, ctx, l)
	prom.waitScraped(t, ctx)
	from := time.Now()
	w := startWriter(t, ctx, l, p, "e2e_exporter")
	waitProgress(t, w, "before the first fault")
	ep, es := startExporter(t, l, p), startExporter(t, l, s)
	time.Sleep(5 * time.Second) // the healthy start, on the dashboard
	waitCodes(t, ctx, time.Minute, "healthy cluster", map[*exporterAt]map[string]int{
		ep: {"/primary": 200, "/standby": 503, "/sync": 503, "/healthy": 200},
		es: {"/primary": 503, "/standby": 200, "/sync": 200, "/healthy": 200, "/standby?max_lag=1073741824": 200},
	})
	code, body := ep.get(ctx, "/metrics")
	if code != 200 || !strings.Contains(body, `pgrex_diagnosis{`) || !strings.Contains(body, `row="healthy"`) {
		t.Errorf("/metrics on %s (%d) lacks the healthy diagnosis:\n%.2000s", p, code, body)
	}
	for _, m := range []string{"pgrex_exporter_reads_total", "pgrex_promotion_score", "pgrex_lock_present", "pgrex_replication_lag_bytes"} {
		if !strings.Contains(body, m) {
			t.Errorf("/metrics on %s lacks %s", p, m)
		}
	}

	t0 := killPostmaster(t, ctx, l, p)
	if _, _, err := l.WaitFor(ctx, t0, faultTimeout, s, "failover to "+s, func(c *Cluster) bool { return promotedOn(c, s) }); err != nil {
		t.Fatal(err)
	}
	promoted := time.Since(t0)
	d := waitCodes(t, ctx, 2*exporterInterval+5*time.Second, "/primary moves to "+s, map[*exporterAt]map[string]int{
		es: {"/primary": 200, "/standby": 503},
		ep: {"/primary": 503, "/healthy": 503},
	})
	record(sc, fmt.Sprintf("kill -9 → %s promoted, then /primary 200 on %s (interval %s)", s, s, exporterInterval), promoted+d,
		fmt.Sprintf("after the promotion: %.1fs", d.Seconds()))
	rebuild(t, ctx, l, sc, p)
	waitCodes(t, ctx, time.Minute, "the rebuilt node is the synchronous standby", map[*exporterAt]map[string]int{
		ep: {"/standby": 200, "/sync": 200, "/healthy": 200, "/primary": 503},
		es: {"/primary": 200, "/healthy": 200},
	})

	// Switchover back: the promoted role banned from s, then cleared.
	t.Cleanup(func() { _, _ = l.Crm(context.Background(), p, "crm_resource", "--clear", "-r", "msPostgresql") })
	t0 = time.Now()
	if out, err := l.Crm(ctx, s, "crm_resource", "--ban", "--promoted", "-r", "msPostgresql", "-N", s); err != nil {
		t.Fatalf("ban: %v\n%s", err, out)
	}
	if _, _, err := l.WaitFor(ctx, t0, faultTimeout, p, "switchover to "+p, func(c *Cluster) bool { return promotedOn(c, p) }); err != nil {
		t.Fatal(err)
	}
	promoted = time.Since(t0)
	d = waitCodes(t, ctx, 2*exporterInterval+5*time.Second, "/primary moves back to "+p, map[*exporterAt]map[string]int{
		ep: {"/primary": 200, "/standby": 503},
		es: {"/primary": 503, "/healthy": 503},
	})
	record(sc, fmt.Sprintf("switchover → %s promoted, then /primary 200 on %s", p, p), promoted+d, fmt.Sprintf("after the promotion: %.1fs", d.Seconds()))
	if out, err := l.Crm(ctx, p, "crm_resource", "--clear", "-r", "msPostgresql"); err != nil {
		t.Fatalf("clear: %v\n%s", err, out)
	}
	rebuild(t, ctx, l, sc, s)
	waitCodes(t, ctx, time.Minute, "after the switchover the old primary is the synchronous standby", map[*exporterAt]map[string]int{
		es: {"/standby": 200, "/sync": 200, "/healthy": 200, "/primary": 503},
		ep: {"/primary": 200, "/healthy": 200},
	})

	// Node failure: corosync killed on the primary p, which is fenced; its
	// exporter goes with the node. s's exporter follows, and a new one on the
	// rebuilt p does.
	t0 = killCorosync(t, ctx, l, p)
	if _, _, err := l.WaitFor(ctx, t0, faultTimeout, s, p+" fenced, "+s+" PRI", func(c *Cluster) bool { return promotedOn(c, s) }); err != nil {
		t.Fatal(err)
	}
	promoted = time.Since(t0)
	d = waitCodes(t, ctx, 2*exporterInterval+5*time.Second, "/primary moves to "+s+" after the fencing", map[*exporterAt]map[string]int{
		es: {"/primary": 200, "/standby": 503, "/healthy": 503},
	})
	record(sc, fmt.Sprintf("node failure of %s → %s promoted, then /primary 200 on %s", p, s, s), promoted+d, fmt.Sprintf("after the promotion: %.1fs", d.Seconds()))
	rebuild(t, ctx, l, sc, p)
	ep = startExporter(t, l, p)
	waitCodes(t, ctx, time.Minute, "the fenced node, rebuilt, is the synchronous standby", map[*exporterAt]map[string]int{
		ep: {"/standby": 200, "/sync": 200, "/healthy": 200, "/primary": 503},
		es: {"/primary": 200, "/healthy": 200},
	})

	waitProgress(t, w, "after the last fault")
	w.Stop()
	acked, inDoubt, errs, _, _ := w.Result()
	present := presentIDs(t, ctx, l, s, w.Table)
	lost := lostIDs(acked, present)
	record(sc, "writer through the three faults", time.Since(from),
		fmt.Sprintf("acknowledged %d / lost %d (in doubt %d; %d errors)", len(acked), len(lost), len(inDoubt), errs))
	reportLost(t, lost)
	time.Sleep(3 * time.Second) // the last scrapes of the healthy end state
	dashboardPicture(t, ctx, l, prom, from, time.Now(), "kill -9 of the primary, switchover, node failure with fencing, each rebuilt; a writer throughout")
}
