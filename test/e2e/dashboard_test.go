// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/pgrex/pgrex/test/dashboard"
)

// The nodes' S-LAN addresses (test/lab/lab), where Prometheus in the
// client namespace scrapes the suite-wide exporters.
var svcAddr = map[string]string{"node1": "192.0.2.131", "node2": "192.0.2.132"}

// prometheusAt is Debian's Prometheus server (the package make setup
// installs for promtool) running in the lab's client namespace, on its
// loopback, scraping both nodes' exporters every second.
type prometheusAt struct {
	api promv1.API
}

func startPrometheus(t *testing.T, ctx context.Context, l *Lab) *prometheusAt {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatalf("prometheus (Debian package prometheus, installed by make setup): %v", err)
	}
	for n := range svcAddr {
		if _, err := l.labExporter(n); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	var targets []string
	for _, n := range slices.Sorted(func(y func(string) bool) {
		for n := range svcAddr {
			if !y(n) {
				return
			}
		}
	}) {
		targets = append(targets, fmt.Sprintf("'%s:%s'", svcAddr[n], labExporterPort))
	}
	conf := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 900ms
  evaluation_interval: 1s
scrape_configs:
  - job_name: pgrex
    static_configs:
      - targets: [%s]
`, strings.Join(targets, ", "))
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", ClientNS, bin,
		"--config.file="+filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address=127.0.0.1:9090", "--log.level=warn")
	cmd.Env = []string{"LC_ALL=C", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting prometheus: %v", err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if t.Failed() {
			t.Logf("prometheus:\n%s", out.String())
		}
	})
	dial := dialInNetns("/run/netns/" + ClientNS)
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext:       func(ctx context.Context, n, a string) (net.Conn, error) { return dial(ctx, n, a) },
		DisableKeepAlives: true,
	}}
	client, err := api.NewClient(api.Config{Address: "http://127.0.0.1:9090", Client: hc})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := hc.Get("http://127.0.0.1:9090/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus not ready within 30s: %v\n%s", err, out.String())
		}
		time.Sleep(250 * time.Millisecond)
	}
	return &prometheusAt{api: promv1.NewAPI(client)}
}

// waitScraped waits (bounded) until Prometheus has scraped every exporter
// it knows successfully.
func (p *prometheusAt) waitScraped(t *testing.T, ctx context.Context) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		v, _, _, err := p.api.Query(ctx, `count(up{job="pgrex"} == 1)`, time.Now())
		if vec, ok := v.(model.Vector); err == nil && ok && len(vec) == 1 && int(vec[0].Value) == len(svcAddr) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus did not scrape both exporters within 30s: %v %v", v, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// queryRange is one query's answer over [from, to] at step.
func (p *prometheusAt) queryRange(ctx context.Context, expr string, from, to time.Time, step time.Duration) ([]dashboard.Series, error) {
	v, _, _, err := p.api.QueryRange(ctx, expr, promv1.Range{Start: from, End: to, Step: step})
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", expr, err)
	}
	m, ok := v.(model.Matrix)
	if !ok {
		return nil, fmt.Errorf("query %q: a %s, not a matrix", expr, v.Type())
	}
	var out []dashboard.Series
	for _, s := range m {
		ds := dashboard.Series{Labels: map[string]string{}}
		for k, v := range s.Metric {
			ds.Labels[string(k)] = string(v)
		}
		for _, sp := range s.Values {
			ds.Points = append(ds.Points, dashboard.Point{T: sp.Timestamp.Time().UTC(), V: float64(sp.Value)})
		}
		out = append(out, ds)
	}
	return out, nil
}

// dashboardPicture asks Prometheus every query of docs/grafana-pgrex.json
// over [from, to], checks that the answers show what the run did — the
// primary on both nodes in turn, each node PRI at some time, replication
// lag and WAL positions recorded — and draws the dashboard into
// out/dashboard.png (`make dashboard-picture` copies it into docs/).
func dashboardPicture(t *testing.T, ctx context.Context, l *Lab, prom *prometheusAt, from, to time.Time, what string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(l), "docs", "grafana-pgrex.json"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := dashboard.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	data := make(dashboard.Data, len(d.Panels))
	seen := map[string]map[string]bool{} // panel title -> legend -> seen
	for i, p := range d.Panels {
		seen[p.Title] = map[string]bool{}
		for _, tg := range p.Targets {
			series, err := prom.queryRange(ctx, tg.Query(".*"), from, to, time.Second)
			if err != nil {
				t.Fatalf("panel %q: %v", p.Title, err)
			}
			data[i] = append(data[i], series)
			for _, s := range series {
				seen[p.Title][dashboard.Legend(tg.LegendFormat, s.Labels)] = true
			}
		}
	}
	for panel, legends := range map[string][]string{
		"Primary":                    {"node1", "node2"},
		"pgsql-status":               {"node1 PRI", "node2 PRI", "node1 HS:sync", "node2 HS:sync"},
		"pgsql-data-status":          {"node1 LATEST", "node2 LATEST", "node1 STREAMING|SYNC", "node2 STREAMING|SYNC"},
		"Promotion score":            {"node1", "node2"},
		"Timeline and WAL positions": {"node1 current", "node2 current", "node1 replayed", "node2 replayed"},
	} {
		for _, lg := range legends {
			if !seen[panel][lg] {
				t.Errorf("dashboard panel %q never showed %q over the run (it showed %v)", panel, lg, seen[panel])
			}
		}
	}
	for _, p := range []string{"Replication lag (bytes)", "Diagnosis (pgrex status)", "Exporters up", "Synchronous standby", "PGSQL.lock"} {
		if len(seen[p]) == 0 {
			t.Errorf("dashboard panel %q had no data over the run", p)
		}
	}
	var png bytes.Buffer
	caption := fmt.Sprintf("a real lab run, %s–%s UTC: %s; Prometheus scraping both nodes every 1 s",
		from.UTC().Format("2006-01-02 15:04:05"), to.UTC().Format("15:04:05"), what)
	if err := dashboard.Render(&png, d, data, from, to, caption); err != nil {
		t.Fatal(err)
	}
	capture(t, "dashboard.png", png.String())
}

// repoRoot is the checkout the lab script is in.
func repoRoot(l *Lab) string { return filepath.Dir(filepath.Dir(filepath.Dir(l.Script))) }
