//go:build e2e

// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/beevik/etree"
)

// BenchmarkLabMonitor measures the steady-state monitors of the healthy lab
// cluster with the environment Pacemaker's executor gives the agent: the
// instance parameters from the CIB and the clone/operation meta. Each call
// runs inside the node (nsenter); the wrapper's own cost is measured with
// /bin/true and subtracted. Child processes are counted with strace inside
// the node. `make bench-lab` runs it for both agents and writes
// docs/performance.md's lab section.
func BenchmarkLabMonitor(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	primary, standby := healthy(b, ctx)
	l := need(b)
	params, err := instanceParams(ctx, l, primary)
	if err != nil {
		b.Fatal(err)
	}
	provider := strings.Split(l.Agent, ":")[1]
	agent := "/usr/lib/ocf/resource.d/" + provider + "/pgsql"
	results := map[string]labMeasure{}
	for _, tc := range []struct {
		name, node, role, interval string
		rc                         int
	}{
		{"primary", primary, "Promoted", "3000", 8},
		{"standby", standby, "Unpromoted", "4000", 0},
	} {
		env := monitorEnv(params, provider, tc.node, tc.role, tc.interval)
		b.Run(tc.name, func(b *testing.B) {
			m := measureInNode(b, ctx, l, tc.node, env, agent, tc.rc)
			results[tc.name] = m
			b.ReportMetric(m.wall.Seconds()*1000, "median-ms")
			b.ReportMetric(m.cpu.Seconds()*1000, "cpu-ms")
			b.ReportMetric(float64(m.children), "children/op")
		})
	}
	if path := os.Getenv("PGREX_BENCH_LAB_REPORT"); path != "" && len(results) == 2 {
		var sb strings.Builder
		for _, k := range []string{"primary", "standby"} {
			r := results[k]
			fmt.Fprintf(&sb, "| %s | %s | %.1f ms | %.1f ms | %d | %d |\n", l.Agent, k, r.wall.Seconds()*1000, r.cpu.Seconds()*1000, r.children, r.n)
		}
		if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

type labMeasure struct {
	wall, cpu time.Duration
	children  int
	n         int
}

// instanceParams reads the pgsql primitive's parameters from the CIB.
func instanceParams(ctx context.Context, l *Lab, via string) (map[string]string, error) {
	out, err := l.Crm(ctx, via, "cibadmin", "--query", "--scope", "resources")
	if err != nil {
		return nil, fmt.Errorf("reading the resources section: %w", err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromString(out); err != nil {
		return nil, fmt.Errorf("parsing the resources section: %w", err)
	}
	prim := doc.FindElement("//primitive[@id='pgsql']")
	if prim == nil {
		return nil, fmt.Errorf("no pgsql primitive in the CIB")
	}
	params := map[string]string{}
	for _, nv := range prim.FindElements("./instance_attributes/nvpair") {
		params[nv.SelectAttrValue("name", "")] = nv.SelectAttrValue("value", "")
	}
	return params, nil
}

// monitorEnv is what pacemaker-execd passes to a recurring monitor of a
// promotable clone instance (Pacemaker 2.1).
func monitorEnv(params map[string]string, provider, node, role, interval string) []string {
	env := []string{
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "OCF_ROOT=/usr/lib/ocf", "OCF_RA_VERSION_MAJOR=1", "OCF_RA_VERSION_MINOR=1",
		"OCF_RESOURCE_INSTANCE=pgsql", "OCF_RESOURCE_TYPE=pgsql", "OCF_RESOURCE_PROVIDER=" + provider,
		"OCF_RESKEY_crm_feature_set=3.16.2", "HA_LOGFACILITY=daemon", "HA_LOGD=no", "PCMK_service=pacemaker-execd",
		"OCF_RESKEY_CRM_meta_interval=" + interval, "OCF_RESKEY_CRM_meta_timeout=60000", "OCF_RESKEY_CRM_meta_role=" + role,
		"OCF_RESKEY_CRM_meta_on_node=" + node, "OCF_RESKEY_CRM_meta_clone_max=2", "OCF_RESKEY_CRM_meta_clone_node_max=1",
		"OCF_RESKEY_CRM_meta_globally_unique=false", "OCF_RESKEY_CRM_meta_notify=true", "OCF_RESKEY_CRM_meta_promotable=true",
		"OCF_RESKEY_CRM_meta_promoted_max=1", "OCF_RESKEY_CRM_meta_promoted_node_max=1",
		"OCF_RESKEY_CRM_meta_master_max=1", "OCF_RESKEY_CRM_meta_master_node_max=1", "OCF_RESKEY_CRM_meta_name=monitor",
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, "OCF_RESKEY_"+k+"="+params[k])
	}
	return env
}

// measureInNode times `env -i <env> agent monitor` inside node against the
// same wrapper around /bin/true, and counts the agent's child processes.
func measureInNode(b *testing.B, ctx context.Context, l *Lab, node string, env []string, agent string, wantRC int) labMeasure {
	run := func(prog string, want int) (time.Duration, time.Duration) {
		pid, err := l.nodePID(node)
		if err != nil {
			b.Fatal(err)
		}
		argv := append([]string{"-t", fmt.Sprint(pid), "-m", "-u", "-i", "-n", "-p", "--wd=/", "--", "env", "-i"}, env...)
		argv = append(argv, prog, "monitor")
		cctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		cmd := execCommand(cctx, "nsenter", argv...)
		start := time.Now()
		out, err := cmd.CombinedOutput()
		wall := time.Since(start)
		rc := 0
		if err != nil {
			rc = cmd.ProcessState.ExitCode()
		}
		if rc != want {
			b.Fatalf("%s monitor on %s: rc %d, want %d\n%s", prog, node, rc, want, out)
		}
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		return wall, time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	var walls, cpus, bwalls, bcpus []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w, c := run(agent, wantRC)
		walls, cpus = append(walls, w), append(cpus, c)
		w, c = run("/bin/true", 0)
		bwalls, bcpus = append(bwalls, w), append(bcpus, c)
	}
	b.StopTimer()
	m := labMeasure{wall: median(walls) - median(bwalls), cpu: median(cpus) - median(bcpus), n: b.N}
	trace := "/tmp/pgrex-bench-trace"
	args := append([]string{"strace", "-f", "-qq", "-e", "trace=clone,clone3,fork,vfork", "-o", trace, "env", "-i"}, env...)
	args = append(args, agent, "monitor")
	_, _ = l.Exec(ctx, time.Minute, node, args...)
	out, err := l.Exec(ctx, time.Minute, node, "cat", trace)
	if err != nil {
		b.Fatalf("reading the trace: %v", err)
	}
	_, _ = l.Exec(ctx, time.Minute, node, "rm", "-f", trace)
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "CLONE_THREAD") || !(strings.Contains(line, "clone") || strings.Contains(line, "fork")) {
			continue
		}
		if doneRE.MatchString(line) {
			m.children++
		}
	}
	// env itself is one exec, not a fork: nothing to subtract.
	return m
}

// doneRE matches a completed process-creating call ("… = 1234").
var doneRE = regexp.MustCompile(`= [0-9]+$`)

// execCommand runs a program from an argument slice with LC_ALL=C.
func execCommand(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	return cmd
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration{}, d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
