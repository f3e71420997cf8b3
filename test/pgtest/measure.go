// SPDX-License-Identifier: Apache-2.0

package pgtest

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Sample is one measured agent invocation.
type Sample struct {
	Wall, CPU time.Duration
}

// Invoke runs bin action with exactly env and returns wall time and the
// CPU time of the process and its waited-for children. The exit code must
// be wantRC.
func Invoke(tb testing.TB, bin string, env []string, action string, wantRC int) Sample {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, action)
	cmd.Env = env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	wall := time.Since(start)
	rc := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			tb.Fatalf("%s %s: %v", bin, action, err)
		}
		rc = ee.ExitCode()
	}
	if rc != wantRC {
		tb.Fatalf("%s %s: rc %d, want %d\n%s", bin, action, rc, wantRC, out)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return Sample{Wall: wall, CPU: time.Duration(ru.Utime.Nano() + ru.Stime.Nano())}
}

var cloneRE = regexp.MustCompile(`^\d+\s+(clone|clone3|fork|vfork)\(`)

// CountChildren runs the action once under strace and counts the process
// creations that are not threads (Go's runtime threads do not count; every
// fork of the shell agent does), and the programs executed besides the
// agent itself. Go's os/exec forks one short-lived child of its own the
// first time it starts a program (a pidfd support probe), so a pgrex call
// that runs one program creates two processes.
func CountChildren(tb testing.TB, bin string, env []string, action string) (children, programs int) {
	tb.Helper()
	strace, err := exec.LookPath("strace")
	if err != nil {
		tb.Fatal("strace missing: run `make setup`")
	}
	trace := filepath.Join(tb.TempDir(), "trace")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, strace, "-f", "-qq", "-e", "trace=clone,clone3,fork,vfork,execve", "-o", trace, bin, action)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			tb.Fatalf("strace %s %s: %v\n%s", bin, action, err, out)
		}
	}
	f, err := os.Open(trace)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	n, execs := 0, 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if os.Getenv("PGREX_TRACE_DEBUG") != "" {
			tb.Log(line)
		}
		if strings.Contains(line, "CLONE_THREAD") {
			continue
		}
		if strings.Contains(line, " execve(") && !strings.Contains(line, "= -1") && !strings.Contains(line, "<unfinished") || strings.Contains(line, "<... execve resumed>) ") && strings.HasSuffix(line, "= 0") {
			execs++
		}
		if (cloneRE.MatchString(line) && !strings.Contains(line, "<unfinished")) || strings.Contains(line, "<... clone") || strings.Contains(line, "<... fork") || strings.Contains(line, "<... vfork") {
			n++
		}
	}
	if execs > 0 {
		execs-- // the agent itself
	}
	return n, execs
}

// Median of durations.
func Median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration{}, d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// Measured is a benchmark result for the report.
type Measured struct {
	Name     string
	Median   time.Duration
	CPU      time.Duration
	Children int
	Programs int
	N        int
}

// Measure runs the action b.N times and reports median wall, median CPU and
// children per call as benchmark metrics.
func Measure(b *testing.B, name, bin string, env []string, action string, wantRC int) Measured {
	var walls, cpus []time.Duration
	// Untimed first calls: whichever agent runs first after the server's
	// start would otherwise be timed while the server settles (the
	// checkpointer, autovacuum's launcher), and the page cache would hold
	// the agent's binary for the second only.
	for range 5 {
		Invoke(b, bin, env, action, wantRC)
	}
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		s := Invoke(b, bin, env, action, wantRC)
		walls = append(walls, s.Wall)
		cpus = append(cpus, s.CPU)
	}
	b.StopTimer()
	r := Measured{Name: name, Median: Median(walls), CPU: Median(cpus), N: b.N}
	r.Children, r.Programs = CountChildren(b, bin, env, action)
	b.ReportMetric(float64(r.Median.Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(r.CPU.Microseconds())/1000, "cpu-ms")
	b.ReportMetric(float64(r.Children), "children/op")
	b.ReportMetric(float64(r.Programs), "programs/op")
	return r
}
