// SPDX-License-Identifier: Apache-2.0

// Package bench measures the agent against the upstream shell agent on the
// same machine in the same run: wall time, CPU time and child processes per
// operation. `make bench` runs it and writes docs/performance.md.
package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pgrex/pgrex/test/pgtest"
)

const upstreamAgent = "/usr/lib/ocf/resource.d/heartbeat/pgsql"

// sample is one agent invocation.
type sample struct {
	wall, cpu time.Duration
}

type result struct {
	Name     string
	Median   time.Duration
	CPU      time.Duration // median user+system of the agent and its waited-for children
	Children int           // processes (not threads) forked per invocation
	N        int
}

var (
	mu      sync.Mutex
	results = map[string]result{}
)

// invoke runs one agent action and returns wall and CPU time.
func invoke(b *testing.B, wrap []string, bin string, env []string, action string, wantRC int) sample {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := append(append([]string{}, wrap...), bin, action)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	wall := time.Since(start)
	rc := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			b.Fatalf("%s %s: %v", bin, action, err)
		}
		rc = ee.ExitCode()
	}
	if rc != wantRC {
		b.Fatalf("%s %s: rc %d, want %d\n%s", bin, action, rc, wantRC, out)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return sample{wall: wall, cpu: cpu}
}

var cloneRE = regexp.MustCompile(`^\d+\s+(clone|clone3|fork|vfork)\(`)

// countChildren runs the action once under strace and counts the
// process-creating calls that are not threads.
func countChildren(b *testing.B, bin string, env []string, action string) int {
	b.Helper()
	strace, err := exec.LookPath("strace")
	if err != nil {
		b.Fatal("strace missing: run `make setup`")
	}
	trace := filepath.Join(b.TempDir(), "trace")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, strace, "-f", "-qq", "-e", "trace=clone,clone3,fork,vfork", "-o", trace, bin, action)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("strace %s %s: %v\n%s", bin, action, err, out)
	}
	f, err := os.Open(trace)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if cloneRE.MatchString(line) && !strings.Contains(line, "CLONE_THREAD") && !strings.Contains(line, "<unfinished") {
			n++
		} else if strings.Contains(line, "<... clone") && !strings.Contains(line, "CLONE_THREAD") {
			n++
		}
	}
	return n
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration{}, d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func measure(b *testing.B, name, bin string, env []string, action string, wantRC int) {
	var walls, cpus []time.Duration
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		s := invoke(b, nil, bin, env, action, wantRC)
		walls = append(walls, s.wall)
		cpus = append(cpus, s.cpu)
	}
	b.StopTimer()
	r := result{Name: name, Median: median(walls), CPU: median(cpus), N: b.N, Children: countChildren(b, bin, env, action)}
	b.ReportMetric(float64(r.Median.Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(r.CPU.Microseconds())/1000, "cpu-ms")
	b.ReportMetric(float64(r.Children), "children/op")
	mu.Lock()
	results[name] = r
	mu.Unlock()
}

// BenchmarkPlainMonitor: recurring monitor of a running plain-mode
// instance, pgrex vs upstream, same cluster, same run.
func BenchmarkPlainMonitor(b *testing.B) {
	i := pgtest.InitDB(b)
	pgrex := pgtest.Binary(b, "pgsql")
	if _, err := os.Stat(upstreamAgent); err != nil {
		b.Fatal("the upstream agent is missing: run `make setup` (package resource-agents)")
	}
	env := append([]string{"PATH=" + os.Getenv("PATH")}, i.Env(
		"OCF_RESKEY_psql="+filepath.Join(pgtest.PgBin, "psql"),
		"OCF_RESKEY_CRM_meta_interval=10000",
		"OCF_RESKEY_CRM_meta_timeout=30000",
	)...)
	start := append(env[:len(env):len(env)], "OCF_RESKEY_CRM_meta_timeout=60000")
	invoke(b, nil, pgrex, start, "start", 0)
	b.Cleanup(func() { invoke(b, nil, pgrex, start, "stop", 0) })

	b.Run("pgrex", func(b *testing.B) { measure(b, "pgrex", pgrex, env, "monitor", 0) })
	b.Run("upstream", func(b *testing.B) { measure(b, "upstream", upstreamAgent, env, "monitor", 0) })
	writeReport(b)
}

// writeReport writes the Markdown table to $PGREX_BENCH_REPORT when set.
func writeReport(b *testing.B) {
	path := os.Getenv("PGREX_BENCH_REPORT")
	p, okp := results["pgrex"]
	u, oku := results["upstream"]
	if path == "" || !okp || !oku {
		return
	}
	host, _ := os.Hostname()
	var sb strings.Builder
	fmt.Fprintf(&sb, "# Performance\n\nGenerated by `make bench` (test/bench); numbers from one machine, same run for both agents.\n")
	fmt.Fprintf(&sb, "Child processes are counted with strace (fork/clone calls that are not threads).\n\n")
	fmt.Fprintf(&sb, "## Plain-mode monitor of a running instance\n\n")
	fmt.Fprintf(&sb, "Measured %s on %s (%d samples each, same PostgreSQL 15 cluster, same run).\n\n", time.Now().UTC().Format("2006-01-02"), host, p.N)
	fmt.Fprintf(&sb, "| agent | median wall | median CPU (agent + children) | child processes |\n|---|---|---|---|\n")
	for _, r := range []result{p, u} {
		fmt.Fprintf(&sb, "| %s | %.1f ms | %.1f ms | %d |\n", r.Name, ms(r.Median), ms(r.CPU), r.Children)
	}
	fmt.Fprintf(&sb, "\nRatio upstream / pgrex: wall **%.0f×**, CPU **%.0f×**.\n", ms(u.Median)/ms(p.Median), ms(u.CPU)/ms(p.CPU))
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
