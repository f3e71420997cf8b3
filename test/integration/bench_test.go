// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/pgrex/pgrex/test/pgtest"
)

// BenchmarkReplicationMonitor measures the steady-state monitors of a
// healthy pair (node1 PRI, node2 HS:sync) against the fake Pacemaker tools:
// wall time, CPU and child processes per call. The comparison with the
// upstream agent needs a real cluster (its crm_attribute calls use short
// options the fake refuses on purpose) and is made in the lab.
func BenchmarkReplicationMonitor(b *testing.B) {
	p := newPairB(b)
	p.cloneNode2()
	primary := p.coldStart()
	standby := "node2"
	if primary == "node2" {
		standby = "node1"
	}
	results := map[string]pgtest.Measured{}
	envFor := func(n, interval, role string) []string {
		return append([]string{"PATH=" + os.Getenv("PATH")}, p.env(n, "OCF_RESKEY_CRM_meta_interval="+interval, "OCF_RESKEY_CRM_meta_timeout=30000", "OCF_RESKEY_CRM_meta_role="+role)...)
	}
	b.Run("primary", func(b *testing.B) {
		results["primary"] = pgtest.Measure(b, "primary", p.bin, envFor(primary, "9000", "Promoted"), "monitor", 8)
	})
	b.Run("standby", func(b *testing.B) {
		results["standby"] = pgtest.Measure(b, "standby", p.bin, envFor(standby, "10000", "Unpromoted"), "monitor", 0)
	})
	if path := os.Getenv("PGREX_BENCH_REPORT_REPL"); path != "" && len(results) == 2 {
		var sb strings.Builder
		fmt.Fprintf(&sb, "\n## Replication-mode monitors, steady state (pgrex)\n\n")
		fmt.Fprintf(&sb, "Two PostgreSQL 15 servers on loopback, node attributes in the fake Pacemaker tools (test/fakecrm); %d samples each.\n\n", results["primary"].N)
		fmt.Fprintf(&sb, "| monitor | median wall | median CPU (agent + children) | child processes | programs run |\n|---|---|---|---|---|\n")
		for _, k := range []string{"primary", "standby"} {
			r := results[k]
			fmt.Fprintf(&sb, "| %s | %.1f ms | %.1f ms | %d | %d |\n", k, float64(r.Median.Microseconds())/1000, float64(r.CPU.Microseconds())/1000, r.Children, r.Programs)
		}
		sb.WriteString("\nThe one program run is the cluster read (one per invocation: `cibadmin --query` for the promoted monitor); the second process is Go's own pidfd probe before its first program start. Attribute writes happen only when a value changes, so none in steady state.\n")
		if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}
