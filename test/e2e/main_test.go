// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	theLab   *Lab
	labUp    bool
	setupErr error
	skipAll  = os.Getenv("PGREX_SKIP_E2E") == "1"
	upMu     sync.Mutex

	resMu   sync.Mutex
	results []measurement
)

type measurement struct {
	Scenario string
	Step     string
	Seconds  float64
	State    string
}

func TestMain(m *testing.M) {
	if !skipAll {
		theLab, setupErr = NewLab(log.Printf)
	}
	code := m.Run()
	if theLab != nil {
		theLab.StopExporters()
	}
	if labUp {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		out, err := theLab.Down(ctx)
		cancel()
		if err != nil {
			fmt.Fprintf(os.Stderr, "e2e: lab teardown failed: %v\n%s\n", err, out)
			code = 1
		}
	}
	report()
	os.Exit(code)
}

// need returns the lab, brought up on first use. Without what the lab needs
// (root, namespaces, packages) the test fails; PGREX_SKIP_E2E=1 skips.
func need(t testing.TB) *Lab {
	t.Helper()
	if skipAll {
		t.Skip("PGREX_SKIP_E2E=1: end-to-end tests skipped on request")
	}
	upMu.Lock()
	defer upMu.Unlock()
	if setupErr != nil {
		t.Fatalf("the lab is not usable on this machine: %v", setupErr)
	}
	if !labUp {
		ctx, cancel := context.WithTimeout(context.Background(), 7*time.Minute)
		defer cancel()
		t0 := time.Now()
		out, err := theLab.Up(ctx)
		labUp = true // whatever happened, tear down at the end
		if err != nil {
			setupErr = fmt.Errorf("lab up (%s): %v\n%s", theLab.Agent, err, out)
			t.Fatal(setupErr)
		}
		d := time.Since(t0)
		if strings.Contains(out, "lab already up") {
			t.Logf("lab was already up")
		} else {
			record("cold start", "lab up → node1 PRI + node2 HS:sync", d, "")
		}
		t.Logf("lab up in %.1fs with %s", d.Seconds(), theLab.Agent)
	}
	return theLab
}

// record keeps a timing for the final report.
func record(scenario, step string, d time.Duration, state string) {
	resMu.Lock()
	defer resMu.Unlock()
	results = append(results, measurement{scenario, step, d.Seconds(), state})
	log.Printf("RESULT %s | %s | %.1fs | %s", scenario, step, d.Seconds(), state)
}

// report prints the timings as a Markdown table and appends it to $E2E_RESULTS.
func report() {
	resMu.Lock()
	defer resMu.Unlock()
	if len(results) == 0 {
		return
	}
	var b strings.Builder
	agent := "?"
	if theLab != nil {
		agent = theLab.Agent
	}
	fmt.Fprintf(&b, "\n### e2e results, %s, %s\n\n", agent, time.Now().UTC().Format("2006-01-02 15:04Z"))
	b.WriteString("| scenario | step | seconds | end state |\n|---|---|---|---|\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %s | %s | %.1f | %s |\n", r.Scenario, r.Step, r.Seconds, strings.ReplaceAll(r.State, "|", `\|`))
	}
	fmt.Print(b.String())
	if p := os.Getenv("E2E_RESULTS"); p != "" {
		f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			_, err = f.WriteString(b.String())
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "e2e: writing the results to E2E_RESULTS=%s: %v\n", p, err)
		}
	}
}

// healthy waits (bounded) for the steady PG-REX picture and returns the
// primary and standby. A lab left unhealthy by an earlier test is repaired:
// the standby side is rebuilt, or the lab is restarted cold.
func healthy(t testing.TB, ctx context.Context) (primary, standby string) {
	t.Helper()
	l := need(t)
	isHealthy := func(c *Cluster) bool { _, _, ok := c.Healthy(); return ok }
	c, _, err := l.WaitFor(ctx, time.Now(), 30*time.Second, "", "the healthy picture", isHealthy)
	if err == nil {
		p, s, _ := c.Healthy()
		return p, s
	}
	t.Logf("lab not healthy (%v): repairing", err)
	repaired := false
	if c != nil && len(c.Promoted) == 1 && c.Triple(c.Promoted[0]) == "PRI/LATEST/1000" {
		p := c.Promoted[0]
		if out, err := l.Rebuild(ctx, Other(p)); err == nil {
			repaired = true
		} else {
			t.Logf("rebuild of %s failed: %v\n%s", Other(p), err, out)
		}
	}
	if !repaired {
		if out, err := l.Down(ctx); err != nil {
			t.Fatalf("lab down: %v\n%s", err, out)
		}
		if out, err := l.Up(ctx); err != nil {
			t.Fatalf("lab up: %v\n%s", err, out)
		}
	}
	c, _, err = l.WaitFor(ctx, time.Now(), 60*time.Second, "", "the healthy picture", isHealthy)
	if err != nil {
		t.Fatalf("lab could not be repaired: %v", err)
	}
	p, s, _ := c.Healthy()
	return p, s
}

// capture keeps what an operator would see at a step of a scenario in
// out/<name> at the repository root (next to test/lab), for the manual.
func capture(t testing.TB, name, text string) {
	t.Helper()
	dir := filepath.Join(filepath.Dir(filepath.Dir(filepath.Dir(need(t).Script))), "out")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("capture %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		t.Logf("capture %s: %v", name, err)
	}
}
