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

// BenchmarkLabRejoin measures the time to redundancy — fault → both nodes
// PRI + HS:sync again — for a kill -9 of the primary, a node failure with
// fencing and a switchover, on databases of PGREX_BENCH_REJOIN_GB sizes
// (default "1,5"), by the way this lab brings the old primary back:
//   - LAB_REJOIN=rewind: by itself (the agent's rejoin, no operator step);
//   - the pgrex agent with rejoin off: `pgrex stop` + `pgrex standby-start
//     --basebackup --remove-old-data` on the old primary, run at once;
//   - the upstream agent: the lab's operator rebuild (remove PGSQL.lock,
//     pg_basebackup, start Pacemaker, cleanup), run at once.
//
// The operator's own reaction time is not counted. `make bench-rejoin` runs
// it in the three labs and writes docs/performance.md's rejoin section.
func BenchmarkLabRejoin(b *testing.B) {
	l := need(b)
	method := "pgrex standby-start -b"
	switch {
	case l.Heartbeat():
		method = "upstream agent, operator rebuild"
	case os.Getenv("LAB_REJOIN") == "rewind":
		method = "pgrex rejoin=rewind"
	}
	sizes := []int{1, 5}
	if v := os.Getenv("PGREX_BENCH_REJOIN_GB"); v != "" {
		sizes = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				b.Fatalf("PGREX_BENCH_REJOIN_GB=%q", v)
			}
			sizes = append(sizes, n)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Minute)
	defer cancel()
	var rows []string
	for _, gb := range sizes {
		p, _ := healthy(b, ctx)
		t0 := time.Now()
		size := growTo(b, ctx, l, p, gb)
		b.Logf("database grown to %.2f GB in %.0fs", float64(size)/(1<<30), time.Since(t0).Seconds())
		for _, f := range rejoinFaults(b, ctx, l) {
			name := fmt.Sprintf("%dGB/%s", gb, f.name)
			b.Run(name, func(b *testing.B) {
				p, s := healthy(b, ctx)
				t0 := time.Now()
				f.fault(p)
				if _, _, err := l.WaitFor(ctx, t0, faultTimeout, s, s+" PRI", func(c *Cluster) bool { return promotedOn(c, s) }); err != nil {
					b.Fatal(err)
				}
				failover := time.Since(t0)
				bringBack(b, ctx, l, method, f.name, p, s)
				if _, _, err := l.WaitFor(ctx, t0, 20*time.Minute, s, p+" HS:sync", func(c *Cluster) bool {
					pp, ss, ok := c.Healthy()
					return ok && pp == s && ss == p && c.Settled()
				}); err != nil {
					b.Fatal(err)
				}
				d := time.Since(t0)
				b.ReportMetric(d.Seconds(), "s-to-redundancy")
				b.ReportMetric(failover.Seconds(), "s-to-failover")
				rows = append(rows, fmt.Sprintf("| %s | %d GB | %s | %.1f s | %.1f s |", method, gb, f.name, failover.Seconds(), d.Seconds()))
			})
		}
	}
	if path := os.Getenv("PGREX_BENCH_REJOIN_REPORT"); path != "" && len(rows) > 0 {
		if err := os.WriteFile(path, []byte(strings.Join(rows, "\n")+"\n"), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

type rejoinFault struct {
	name  string
	fault func(p string)
}

func rejoinFaults(b testing.TB, ctx context.Context, l *Lab) []rejoinFault {
	return []rejoinFault{
		{"kill -9", func(p string) { killPostmaster(b, ctx, l, p) }},
		{"node failure", func(p string) { killCorosync(b, ctx, l, p) }},
		{"switchover", func(p string) {
			if out, err := l.Crm(ctx, p, "crm_resource", "--ban", "--promoted", "-r", "msPostgresql", "-N", p); err != nil {
				b.Fatalf("ban: %v\n%s", err, out)
			}
		}},
	}
}

// bringBack does what the method needs after the failover to make the old
// primary p a standby of s again.
func bringBack(b testing.TB, ctx context.Context, l *Lab, method, fault, p, s string) {
	if fault == "switchover" {
		if out, err := l.Crm(ctx, s, "crm_resource", "--clear", "-r", "msPostgresql"); err != nil {
			b.Fatalf("clear: %v\n%s", err, out)
		}
	}
	switch method {
	case "pgrex rejoin=rewind":
		if fault == "node failure" {
			if out, err := l.PowerOn(ctx, p); err != nil {
				b.Fatalf("power on %s: %v\n%s", p, err, out)
			}
			if out, err := l.PcmkStart(ctx, p); err != nil {
				b.Fatalf("starting Pacemaker on %s: %v\n%s", p, err, out)
			}
		}
	case "pgrex standby-start -b":
		if fault == "node failure" {
			if out, err := l.PowerOn(ctx, p); err != nil {
				b.Fatalf("power on %s: %v\n%s", p, err, out)
			}
		} else {
			pgrexRun(b, ctx, l, p, "", 0, "stop", "--yes")
		}
		pgrexRun(b, ctx, l, p, "", 0, "standby-start", "--yes", "--basebackup", "--remove-old-data")
	default:
		if out, err := l.Rebuild(ctx, p); err != nil {
			b.Fatalf("operator rebuild of %s: %v\n%s", p, err, out)
		}
	}
}

// growTo fills the database on the primary p with incompressible rows until
// it holds at least gb GiB, and returns its size in bytes.
func growTo(b testing.TB, ctx context.Context, l *Lab, p string, gb int) int64 {
	if _, err := l.PSQL(ctx, time.Minute, p, "CREATE TABLE IF NOT EXISTS bench_bulk (id bigint, pad text); ALTER TABLE bench_bulk ALTER pad SET STORAGE PLAIN"); err != nil {
		b.Fatal(err)
	}
	want := int64(gb) << 30
	for i := 0; ; i++ {
		out, err := l.PSQL(ctx, time.Minute, p, "SELECT sum(pg_database_size(oid)) FROM pg_database")
		if err != nil {
			b.Fatal(err)
		}
		size, err := strconv.ParseInt(strings.TrimSpace(out), 10, 64)
		if err != nil {
			b.Fatalf("database size %q: %v", out, err)
		}
		if size >= want {
			return size
		}
		if i > 10*gb+10 {
			b.Fatalf("the database does not grow: %d bytes after %d rounds", size, i)
		}
		// ~256 MiB a round: 250 000 rows of ~1 KB of md5 text, stored
		// uncompressed.
		if _, err := l.PSQL(ctx, 10*time.Minute, p, "INSERT INTO bench_bulk SELECT g, repeat(md5(g::text || random()::text), 31) FROM generate_series(1, 250000) g"); err != nil {
			b.Fatal(err)
		}
	}
}
