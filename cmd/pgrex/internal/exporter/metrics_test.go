// SPDX-License-Identifier: Apache-2.0

package exporter

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/status"
	"github.com/pgrex/pgrex/ra/lockfile"
	"github.com/pgrex/pgrex/test/fixtures"
	"github.com/pgrex/pgrex/test/pgtest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.metrics from the fixtures")

// testNow is the frozen clock of the golden files: a read takes no time.
var testNow = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func frozen() time.Time { return testNow }

// goldenFixtures are the crm_mon captures the golden files are made from:
// every real capture (the upstream agent's lab, pgrex's lab).
func goldenFixtures(t *testing.T) []string {
	return fixtures.Glob(t, "pacemaker-2.1.5/crm_mon-*.xml", "pgrex-lab/crm_mon-*.xml", "pgrex-lab/pgrex-*.xml")
}

// text renders what one scrape of the snapshot shows, without the Go and
// process collectors (which change from run to run).
func text(t *testing.T, s *Snapshot) []byte {
	t.Helper()
	c := NewCounters()
	c.Count(s)
	mfs, err := Registry(s, c).Gather()
	require.NoError(t, err)
	var b bytes.Buffer
	enc := expfmt.NewEncoder(&b, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		require.NoError(t, enc.Encode(mf))
	}
	return b.Bytes()
}

func offline(t *testing.T, fixture, node string) *Snapshot {
	t.Helper()
	return Read(t.Context(), Config{XMLFile: fixture, Status: status.Options{LocalNode: node}, Timeout: time.Minute, Now: frozen})
}

func goldenPath(fixture string) string {
	return filepath.Join("testdata", strings.TrimSuffix(filepath.Base(fixture), ".xml")+".metrics")
}

// TestGoldenMetrics compares the offline metrics of every capture with
// testdata/<capture>.metrics (go test -update rewrites them): the
// attribute-derived series are there, the PostgreSQL-derived ones absent.
func TestGoldenMetrics(t *testing.T) {
	for _, fx := range goldenFixtures(t) {
		t.Run(filepath.Base(fx), func(t *testing.T) {
			got := text(t, offline(t, fx, "node1"))
			path := goldenPath(fx)
			if *update {
				require.NoError(t, os.WriteFile(path, got, 0o644))
				return
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test -update to create it")
			assert.Equal(t, string(want), string(got))
			assert.NotContains(t, string(got), "pgrex_pg_", "offline: no PostgreSQL series")
			assert.Contains(t, string(got), `pgrex_up{source="crm_mon"} 1`)
		})
	}
}

// TestGoldenMetricsPassPromtool runs Prometheus's own linter on every
// golden file. It needs promtool (Debian's prometheus package; make setup
// installs it) and fails without it, so a machine that lacks it does not
// pass by checking nothing.
func TestGoldenMetricsPassPromtool(t *testing.T) {
	if testing.Short() {
		t.Skip("runs promtool; not run with -short")
	}
	promtool, err := exec.LookPath("promtool")
	require.NoError(t, err, "promtool not found: install the Debian package prometheus (make setup does)")
	for _, fx := range goldenFixtures(t) {
		path := goldenPath(fx)
		t.Run(filepath.Base(path), func(t *testing.T) {
			f, err := os.Open(path)
			require.NoError(t, err)
			defer f.Close()
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, promtool, "check", "metrics")
			cmd.Stdin = f
			out, err := cmd.CombinedOutput()
			assert.NoError(t, err, "promtool check metrics %s:\n%s", path, out)
		})
	}
}

// TestMetricsLocalSources covers what only the node itself reads:
// PGSQL.lock, rep_mode.conf and PostgreSQL, on a primary.
func TestMetricsLocalSources(t *testing.T) {
	s := offline(t, fixtures.Path(t, "crm_mon-healthy.xml"), "node1")
	promoted := testNow.Add(-time.Hour)
	s.Lock = &lockfile.Info{Exists: true, Created: promoted, Content: lockfile.Content{Promoted: promoted}}
	name := "node2"
	s.SyncStandby = &name
	s.Tried = append(s.Tried, SourceLockFile, SourceRepMode, SourcePostgres)
	s.PG = &PGFacts{Timeline: 3, Current: 0x3000100, Flushed: 0x3000100, Standbys: []StandbyFacts{
		{Name: "node2", State: "streaming", SyncState: "sync", Replay: 0x3000000, ReplayKnown: true, LagSeconds: 0.5},
		{Name: "node2", State: "streaming", SyncState: "async"}, // a duplicate name shows once
	}}
	got := string(text(t, s))
	for _, want := range []string{
		`pgrex_lock_present{node="node1"} 1`,
		`pgrex_lock_age_seconds{node="node1"} 3600`,
		`pgrex_last_promotion_timestamp_seconds{node="node1"} 1.796112e+09`,
		`pgrex_sync_standby_info{node="node1",standby="node2"} 1`,
		`pgrex_pg_in_recovery{node="node1"} 0`,
		`pgrex_pg_timeline{node="node1"} 3`,
		`pgrex_pg_current_lsn_bytes{node="node1"} 5.0331904e+07`,
		`pgrex_replication_lag_bytes{node="node1",standby="node2"} 256`,
		`pgrex_replication_lag_seconds{node="node1",standby="node2"} 0.5`,
		`pgrex_replication_sync_state{node="node1",standby="node2",sync_state="sync"} 1`,
		`pgrex_replication_sync_state{node="node1",standby="node2",sync_state="async"} 0`,
		`pgrex_replication_streaming{node="node1",standby="node2"} 1`,
		`pgrex_up{source="postgresql"} 1`,
	} {
		assert.Contains(t, got, want+"\n")
	}
	assert.NotContains(t, got, "pgrex_pg_replayed_lsn_bytes", "a primary has no replay position")
}

// TestMetricsEnumOutsideVocabulary: a value the attrd vocabulary does not
// know gets its own series beside the known ones.
func TestMetricsEnumOutsideVocabulary(t *testing.T) {
	s := offline(t, fixtures.Path(t, "crm_mon-healthy.xml"), "node1")
	n, ok := s.Model.Node("node2")
	require.True(t, ok)
	n.DataStatus = "STREAMING|POTENTIAL"
	got := string(text(t, s))
	assert.Contains(t, got, `pgrex_pgsql_data_status{data_status="STREAMING|POTENTIAL",node="node2"} 1`)
	assert.Contains(t, got, `pgrex_pgsql_data_status{data_status="`+attrd.DataSync+`",node="node2"} 0`)
}

// TestMetricsDiverged: the agent's DIVERGED is a known data-status.
func TestMetricsDiverged(t *testing.T) {
	got := string(text(t, offline(t, fixtures.Path(t, "pgrex-diverged.xml"), "node1")))
	assert.Contains(t, got, `pgrex_pgsql_data_status{data_status="`+attrd.DataDiverged+`",node="node2"} 1`)
	assert.Contains(t, got, `pgrex_promotion_score{node="node2"} -1e+06`)
}

// TestMetricsFailCountOfInstances: two instances of a resource on one
// node show as one series with the worse count.
func TestMetricsFailCountOfInstances(t *testing.T) {
	s := offline(t, fixtures.Path(t, "crm_mon-healthy.xml"), "node1")
	s.Cluster.History = []attrd.NodeHistory{{Node: "node1", Resources: []attrd.ResourceHistory{
		{ID: "pgsql:0", Resource: "pgsql", FailCount: "0"},
		{ID: "pgsql:1", Resource: "pgsql", FailCount: "INFINITY"},
	}}}
	got := string(text(t, s))
	assert.Contains(t, got, `pgrex_resource_failures{node="node1",resource="pgsql"} 1e+06`+"\n")
	assert.Equal(t, 1, strings.Count(got, "pgrex_resource_failures{"))
}

// TestMetricsFailedSource: a source that fails is up 0 and counted.
func TestMetricsFailedSource(t *testing.T) {
	s := Read(t.Context(), Config{XMLFile: filepath.Join(t.TempDir(), "missing.xml"), Tmpdir: t.TempDir(),
		Timeout: time.Minute, Now: frozen})
	require.Error(t, s.Errors[SourceCrmMon])
	got := string(text(t, s))
	assert.Contains(t, got, `pgrex_up{source="crm_mon"} 0`)
	assert.Contains(t, got, `pgrex_exporter_scrape_errors_total{source="crm_mon"} 1`)
	assert.Contains(t, got, `pgrex_lock_present{node=""} 0`)
	assert.NotContains(t, got, "pgrex_sync_standby_info", "no rep_mode.conf")
	assert.NotContains(t, got, "pgrex_diagnosis")
}

// allNames lists every metric name the exporter can show: a primary's and
// a standby's read with every source.
func allNames(t *testing.T) []string {
	t.Helper()
	names := map[string]bool{}
	for _, pgf := range []*PGFacts{
		{Current: 10, Standbys: []StandbyFacts{{Name: "node2", State: "streaming", SyncState: "sync", ReplayKnown: true}}},
		{InRecovery: true, Streaming: true},
	} {
		s := offline(t, fixtures.Path(t, "crm_mon-healthy.xml"), "node1")
		promoted := testNow.Add(-time.Minute)
		s.Lock = &lockfile.Info{Exists: true, Created: promoted, Content: lockfile.Content{Promoted: promoted}}
		sync := ""
		s.SyncStandby, s.PG = &sync, pgf
		for _, m := range regexp.MustCompile(`(?m)^(pgrex_[a-z_]+)[{ ]`).FindAllStringSubmatch(string(text(t, s)), -1) {
			names[m[1]] = true
		}
	}
	return slices.Sorted(maps.Keys(names))
}

// TestMetricsDocumented: docs/operations.md documents every metric in
// English and in Japanese, and the Grafana dashboard asks only for
// metrics that exist.
func TestMetricsDocumented(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(pgtest.RepoRoot(), "docs", "operations.md"))
	require.NoError(t, err)
	doc := string(b)
	ja := strings.Index(doc, `<a id="日本語"></a>`)
	end := strings.Index(doc, `<a id="procedures"></a>`)
	require.True(t, ja > 0 && end > ja, "docs/operations.md: the Japanese half is not where it was")
	names := allNames(t)
	require.Greater(t, len(names), 25)
	for _, n := range names {
		assert.Contains(t, doc[:ja], "| `"+n+"` |", "English")
		assert.Contains(t, doc[ja:end], "| `"+n+"` |", "Japanese")
	}

	dash, err := os.ReadFile(filepath.Join(pgtest.RepoRoot(), "docs", "grafana-pgrex.json"))
	require.NoError(t, err)
	var v any
	require.NoError(t, json.Unmarshal(dash, &v), "docs/grafana-pgrex.json is JSON")
	for _, m := range regexp.MustCompile(`pgrex_[a-z_]+`).FindAllString(string(dash), -1) {
		assert.Contains(t, names, m, "docs/grafana-pgrex.json")
	}
}

// TestDashboardQueriesParse gives promtool every query of the Grafana
// dashboard and of the alerts in docs/operations.md, as recording rules:
// a query that does not parse fails here rather than on an operator's
// screen.
func TestDashboardQueriesParse(t *testing.T) {
	if testing.Short() {
		t.Skip("runs promtool; not run with -short")
	}
	promtool, err := exec.LookPath("promtool")
	require.NoError(t, err, "promtool not found: install the Debian package prometheus (make setup does)")
	var exprs []string
	dash, err := os.ReadFile(filepath.Join(pgtest.RepoRoot(), "docs", "grafana-pgrex.json"))
	require.NoError(t, err)
	var d struct {
		Panels []struct {
			Targets []struct{ Expr string } `json:"targets"`
		} `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(dash, &d))
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			exprs = append(exprs, strings.ReplaceAll(tg.Expr, "$job", ".*"))
		}
	}
	doc, err := os.ReadFile(filepath.Join(pgtest.RepoRoot(), "docs", "operations.md"))
	require.NoError(t, err)
	for _, m := range regexp.MustCompile("(?m)^\\| [^|]+ \\| `([^`]+)`").FindAllStringSubmatch(string(doc), -1) {
		if strings.ContainsAny(m[1], "(=<>") {
			exprs = append(exprs, m[1])
		}
	}
	require.Greater(t, len(exprs), 20)
	var rules strings.Builder
	rules.WriteString("groups:\n- name: pgrex\n  rules:\n")
	for i, e := range exprs {
		b, _ := json.Marshal(e) // a JSON string is a YAML string
		fmt.Fprintf(&rules, "  - record: pgrex_query_%d\n    expr: %s\n", i, b)
	}
	path := filepath.Join(t.TempDir(), "rules.yml")
	require.NoError(t, os.WriteFile(path, []byte(rules.String()), 0o644))
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, promtool, "check", "rules", path).CombinedOutput()
	assert.NoError(t, err, "promtool check rules:\n%s\n%s", out, rules.String())
}
