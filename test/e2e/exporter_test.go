// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// exporterInterval is the exporters' read interval in the lab test.
const exporterInterval = 2 * time.Second

// exporterAt is `pgrex exporter` running inside a node, on the node's own
// loopback, reached through a socket made in the node's network namespace.
type exporterAt struct {
	node string
	cmd  *exec.Cmd
	hc   *http.Client
}

func startExporter(t *testing.T, l *Lab, node string) *exporterAt {
	t.Helper()
	pid, err := l.nodePID(node)
	if err != nil {
		t.Fatal(err)
	}
	// A process that outlives one Exec: started here, killed at cleanup. It
	// runs as templates/pgrex-exporter.service has it: user and group
	// postgres, supplementary group haclient, no root.
	cmd := exec.Command("nsenter", "-t", strconv.Itoa(pid), "-m", "-u", "-i", "-n", "-p", "--wd=/", "--",
		"setpriv", "--reuid=postgres", "--regid=postgres", "--groups=haclient", "--",
		"/usr/bin/pgrex", "exporter", "--listen", "127.0.0.1:9633", "--interval", exporterInterval.String(), "--timeout", "5s")
	cmd.Env = []string{"LC_ALL=C", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	// nsenter -p forks the exporter: it is killed with its process group,
	// and Wait stops waiting for the output pipe after WaitDelay.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the exporter on %s: %v", node, err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("exporter on %s:\n%s", node, out.String())
		}
	})
	dial := dialInNetns("/proc/" + strconv.Itoa(pid) + "/ns/net")
	e := &exporterAt{node: node, cmd: cmd, hc: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext:       func(ctx context.Context, n, a string) (net.Conn, error) { return dial(ctx, n, a) },
		DisableKeepAlives: true,
	}}}
	return e
}

// get returns the status code and body of path ("" and -1 when the
// exporter does not answer).
func (e *exporterAt) get(ctx context.Context, path string) (int, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:9633"+path, nil)
	if err != nil {
		return -1, err.Error()
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		return -1, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(b)
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
	ep, es := startExporter(t, l, p), startExporter(t, l, s)
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
}
