// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// The lab's own exporters: one `pgrex exporter` per powered node for the
// whole suite, so that every state an e2e test waits for is also a check
// that the exporter tells it (Lab.ExporterFollows). They listen on every
// address of the node (Prometheus scrapes them over the S-LAN in the
// exporter test) on a port apart from the exporter test's own.
const (
	labExporterPort     = "9634"
	labExporterInterval = time.Second
	labExporterTimeout  = 3 * time.Second
)

// exporterAt is `pgrex exporter` running inside a node, reached through
// sockets made in the node's network namespace.
type exporterAt struct {
	node   string
	pid    int // the node's init, in whose namespaces it runs
	listen string
	cmd    *exec.Cmd
	out    *strings.Builder
	exited chan struct{}
	hc     *http.Client
}

// launchExporter starts an exporter in node as templates/pgrex-exporter.service
// runs it: user and group postgres, supplementary group haclient, no root.
func (l *Lab) launchExporter(node, listen string, interval, timeout time.Duration) (*exporterAt, error) {
	pid, err := l.nodePID(node)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("nsenter", "-t", strconv.Itoa(pid), "-m", "-u", "-i", "-n", "-p", "--wd=/", "--",
		"setpriv", "--reuid=postgres", "--regid=postgres", "--groups=haclient", "--",
		"/usr/bin/pgrex", "exporter", "--listen", listen, "--interval", interval.String(), "--timeout", timeout.String())
	cmd.Env = []string{"LC_ALL=C", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	// nsenter -p forks the exporter: it is killed with its process group,
	// and Wait stops waiting for the output pipe after WaitDelay.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the exporter on %s: %w", node, err)
	}
	e := &exporterAt{node: node, pid: pid, listen: listen, cmd: cmd, out: out, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(e.exited) }()
	dial := dialInNetns("/proc/" + strconv.Itoa(pid) + "/ns/net")
	e.hc = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext:       func(ctx context.Context, n, a string) (net.Conn, error) { return dial(ctx, n, a) },
		DisableKeepAlives: true,
	}}
	return e, nil
}

// stop kills the exporter and its process group and waits for it.
func (e *exporterAt) stop() {
	_ = syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
	<-e.exited
}

// running reports whether the exporter process is still there.
func (e *exporterAt) running() bool {
	select {
	case <-e.exited:
		return false
	default:
		return true
	}
}

// get returns the status code and body of path (-1 and the error when the
// exporter does not answer).
func (e *exporterAt) get(ctx context.Context, path string) (int, string) {
	_, port, _ := net.SplitHostPort(e.listen)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+port+path, nil)
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

// labExporters are the suite-wide exporters, by node.
type labExporters struct {
	mu sync.Mutex
	m  map[string]*exporterAt
}

// labExporter returns node's suite-wide exporter, starting one when there
// is none or the one there was went with its node (a power-off, a rebuilt
// lab).
func (l *Lab) labExporter(node string) (*exporterAt, error) {
	l.exp.mu.Lock()
	defer l.exp.mu.Unlock()
	pid, err := l.nodePID(node)
	if err != nil {
		return nil, err
	}
	if e := l.exp.m[node]; e != nil {
		if e.pid == pid && e.running() {
			return e, nil
		}
		e.stop()
		delete(l.exp.m, node)
	}
	e, err := l.launchExporter(node, "0.0.0.0:"+labExporterPort, labExporterInterval, labExporterTimeout)
	if err != nil {
		return nil, err
	}
	if l.exp.m == nil {
		l.exp.m = map[string]*exporterAt{}
	}
	l.exp.m[node] = e
	return e, nil
}

// StopExporters stops the suite-wide exporters.
func (l *Lab) StopExporters() {
	l.exp.mu.Lock()
	defer l.exp.mu.Unlock()
	for n, e := range l.exp.m {
		e.stop()
		delete(l.exp.m, n)
	}
}

// The health endpoints compared, and what the exporter says of each.
var healthPaths = []string{"/primary", "/standby", "/sync"}

type health struct {
	OK     bool
	Reason string // the body
}

// exporterView is what an exporter's /metrics and health endpoints say of
// the cluster: each node's pgsql-status and pgsql-data-status, the nodes
// it names Promoted, and the answer of each health endpoint about this
// node.
type exporterView struct {
	Status, DataStatus map[string]string
	Promoted           []string
	Health             map[string]health
}

func (v exporterView) String() string {
	h := make([]string, 0, len(healthPaths))
	for _, p := range healthPaths {
		h = append(h, fmt.Sprintf("%s=%v", p, v.Health[p].OK))
	}
	return fmt.Sprintf("status=%v data-status=%v promoted=%v %s", v.Status, v.DataStatus, v.Promoted, strings.Join(h, " "))
}

// follows reports whether the exporter's view v tells the cluster's view
// w. The exporter also reads PostgreSQL, which attributes only follow at
// the next monitor: a primary or standby whose PostgreSQL it cannot read
// (hung, frozen) or that does not stream (yet, any more) is none for a
// load balancer, and a 503 that says so is right whatever the attributes
// say. A 200 the attributes do not back never is.
func (v exporterView) follows(w exporterView) bool {
	for _, p := range healthPaths {
		got, want := v.Health[p], w.Health[p]
		if got.OK != want.OK && !(want.OK && strings.Contains(got.Reason, "PostgreSQL")) {
			return false
		}
	}
	return maps.Equal(v.Status, w.Status) && maps.Equal(v.DataStatus, w.DataStatus) &&
		slices.Equal(v.Promoted, w.Promoted)
}

// viewOfCluster is what node's exporter should say, from crm_mon's picture
// read on node: /primary answers 200 on the one promoted node whose
// pgsql-status is PRI.
func viewOfCluster(c *Cluster, node string) exporterView {
	v := exporterView{Status: map[string]string{}, DataStatus: map[string]string{}}
	for n, a := range c.Attrs {
		// an attribute with no value is no value in an enum gauge
		if s := a["pgsql-status"]; s != "" {
			v.Status[n] = s
		}
		if s := a["pgsql-data-status"]; s != "" {
			v.DataStatus[n] = s
		}
	}
	v.Promoted = slices.Sorted(slices.Values(c.Promoted))
	status := c.Attr(node, "pgsql-status")
	standby := slices.Contains(c.Unpromoted, node) && slices.Contains([]string{"HS:sync", "HS:async", "HS:potential", "HS:quorum"}, status)
	v.Health = map[string]health{
		"/primary": {OK: len(c.Promoted) == 1 && c.Promoted[0] == node && status == "PRI"},
		"/standby": {OK: standby},
		"/sync":    {OK: standby && status == "HS:sync" && c.Attr(node, "pgsql-data-status") == "STREAMING|SYNC"},
	}
	return v
}

// readExporterView scrapes e's /metrics and /primary.
func readExporterView(ctx context.Context, e *exporterAt) (exporterView, error) {
	v := exporterView{Status: map[string]string{}, DataStatus: map[string]string{}, Health: map[string]health{}}
	code, body := e.get(ctx, "/metrics")
	if code != http.StatusOK {
		return v, fmt.Errorf("/metrics on %s answered %d: %.300s", e.node, code, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		return v, fmt.Errorf("/metrics on %s: %w", e.node, err)
	}
	// Enum-style gauges: the label value whose sample is 1.
	set := func(family, label string, into func(node, value string)) {
		f := fams[family]
		if f == nil {
			return
		}
		for _, m := range f.GetMetric() {
			if m.GetGauge().GetValue() != 1 {
				continue
			}
			var node, value string
			for _, lp := range m.GetLabel() {
				switch lp.GetName() {
				case "node":
					node = lp.GetValue()
				case label:
					value = lp.GetValue()
				}
			}
			into(node, value)
		}
	}
	set("pgrex_pgsql_status", "status", func(n, s string) { v.Status[n] = s })
	set("pgrex_pgsql_data_status", "data_status", func(n, s string) { v.DataStatus[n] = s })
	set("pgrex_role", "role", func(n, r string) {
		if r == "Promoted" {
			v.Promoted = append(v.Promoted, n)
		}
	})
	slices.Sort(v.Promoted)
	for _, path := range healthPaths {
		code, body := e.get(ctx, path)
		if code != http.StatusOK && code != http.StatusServiceUnavailable {
			return v, fmt.Errorf("%s on %s answered %d: %.300s", path, e.node, code, body)
		}
		v.Health[path] = health{OK: code == http.StatusOK, Reason: strings.TrimSpace(body)}
	}
	return v, nil
}

// ExporterFollows checks that node's exporter tells what crm_mon on node
// tells: every node's pgsql-status and pgsql-data-status, the promoted
// node, and /primary, /standby and /sync answering 200 only when this
// node is the primary, a streaming standby, the synchronous standby. Its reads
// are cached for labExporterInterval and bounded by labExporterTimeout, so
// it must agree with a crm_mon read right after its scrape within two
// intervals and a timeout of the state; a cluster that changes meanwhile is
// compared again.
func (l *Lab) ExporterFollows(ctx context.Context, node string) error {
	if l.Heartbeat() {
		return nil // the exporter reads pgrex's attributes
	}
	e, err := l.labExporter(node)
	if err != nil {
		return err
	}
	within := 2*labExporterInterval + labExporterTimeout + 3*time.Second
	deadline := time.Now().Add(within)
	var last string
	for {
		got, err := readExporterView(ctx, e)
		if err == nil {
			var c *Cluster
			c, _, err = l.status(ctx, node)
			if err == nil {
				want := viewOfCluster(c, node)
				if got.follows(want) {
					return nil
				}
				last = fmt.Sprintf("exporter: %s; crm_mon: %s", got, want)
			}
		}
		if err != nil {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			if !e.running() {
				last += "; the exporter exited: " + e.out.String()
			}
			return fmt.Errorf("the exporter on %s does not follow the cluster within %s: %s", node, within, last)
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), errors.New(last))
		case <-time.After(250 * time.Millisecond):
		}
	}
}
