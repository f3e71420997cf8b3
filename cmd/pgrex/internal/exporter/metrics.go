// SPDX-License-Identifier: Apache-2.0

package exporter

import (
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/status"
)

// Every metric is documented in docs/operations.md (`pgrex exporter`); a
// metric added here is added there, in both languages.

// Prefix starts every metric name.
const Prefix = "pgrex_"

// Enum-style gauges carry one series per known value, 1 for the current
// one, so a dashboard can graph every state and an alert can match one.
// The known values are the attrd vocabulary's; a value outside it (an
// agent newer than this exporter) gets its own series as well.
var (
	knownStatus     = []string{attrd.StatusStop, attrd.StatusUnknown, attrd.StatusPrimary, attrd.StatusAlone, attrd.StatusSync, attrd.StatusAsync, attrd.StatusPotential, attrd.StatusQuorum, attrd.StatusConnected}
	knownDataStatus = []string{attrd.DataLatest, attrd.DataDisconnect, attrd.DataDiverged, attrd.DataSync, attrd.DataAsync}
	knownRoles      = []string{string(attrd.RoleStopped), string(attrd.RoleStarted), string(attrd.RoleUnpromoted), string(attrd.RolePromoted)}
	knownStates     = []string{string(status.StateMaster), string(status.StateSlave), string(status.StateOUS), string(status.StateNone), string(status.StateUnclean)}
	// PostgreSQL's values of pg_stat_replication.sync_state.
	knownSyncStates = []string{"async", "potential", "sync", "quorum"}
)

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(Prefix+name, help, labels, nil)
}

// The metrics, by source.
var (
	descUp = desc("up", "1 when the last read of the source succeeded, 0 when it failed (sources not read are absent).", "source")

	descReadDuration  = desc("exporter_scrape_duration_seconds", "How long the last read of the cluster took.")
	descReadTimestamp = desc("exporter_last_read_timestamp_seconds", "When the last read of the cluster started (Unix time).")

	descOnline     = desc("node_online", "1 when the node is an online cluster member.", "node")
	descState      = desc("node_state", "The node's cluster state as the PG-REX manual (5.2) names it: 1 for the current one.", "node", "state")
	descRole       = desc("role", "pgsql's role on the node as Pacemaker reports it: 1 for the current one.", "node", "role")
	descStatus     = desc("pgsql_status", "The node's <rsc>-status attribute (pgsql-status): 1 for the current value.", "node", "status")
	descDataStatus = desc("pgsql_data_status", "The node's <rsc>-data-status attribute (pgsql-data-status): 1 for the current value.", "node", "data_status")
	descScore      = desc("promotion_score", "The node's promotion score (master-pgsql); -INFINITY is -1000000.", "node")
	descFailCount  = desc("resource_failures", "A resource's fail count on the node (INFINITY is 1000000).", "node", "resource")
	descThreshold  = desc("migration_threshold", "A resource's migration-threshold on the node.", "node", "resource")
	descDiagnosis  = desc("diagnosis", "Always 1: the row of the PG-REX manual's fault tables the cluster is in, as `pgrex status` diagnoses it.", "row", "severity", "node")

	descLockPresent   = desc("lock_present", "1 when this node's PGSQL.lock exists.", "node")
	descLockAge       = desc("lock_age_seconds", "How long ago this node's PGSQL.lock was created.", "node")
	descLastPromotion = desc("last_promotion_timestamp_seconds", "When pgrex's agent last promoted this node (PGSQL.lock's promoted=, Unix time).", "node")
	descSyncStandby   = desc("sync_standby_info", "Always 1: the synchronous standby rep_mode.conf names (\"\" for none).", "node", "standby")

	descInRecovery = desc("pg_in_recovery", "1 when this node's PostgreSQL is a standby (pg_is_in_recovery()).", "node")
	descTimeline   = desc("pg_timeline", "This node's PostgreSQL timeline.", "node")
	descCurrent    = desc("pg_current_lsn_bytes", "A primary's WAL insert position (pg_current_wal_lsn()), as a byte position.", "node")
	descFlushed    = desc("pg_flushed_lsn_bytes", "The WAL position flushed to disk: a primary's pg_current_wal_flush_lsn(), a standby's pg_last_wal_receive_lsn().", "node")
	descReceived   = desc("pg_received_lsn_bytes", "A standby's WAL position written by its WAL receiver (pg_stat_wal_receiver.written_lsn).", "node")
	descReplayed   = desc("pg_replayed_lsn_bytes", "A standby's replay position (pg_last_wal_replay_lsn()).", "node")
	descStandbyLag = desc("pg_standby_lag_bytes", "A standby's replay distance behind the primary's position as the WAL receiver last heard it (latest_end_lsn).", "node")
	descStreaming  = desc("pg_wal_receiver_streaming", "1 when a standby's WAL receiver streams.", "node")

	descReplStreaming = desc("replication_streaming", "1 when the standby's pg_stat_replication state is streaming, on the primary.", "node", "standby")
	descReplSync      = desc("replication_sync_state", "The standby's pg_stat_replication sync_state, on the primary: 1 for the current one.", "node", "standby", "sync_state")
	descReplLagBytes  = desc("replication_lag_bytes", "How far the standby's replay is behind the primary's insert position.", "node", "standby")
	descReplLagSecs   = desc("replication_lag_seconds", "The standby's replay_lag in pg_stat_replication (0 when PostgreSQL shows none).", "node", "standby")
)

// Counters are what the exporter counts across reads.
type Counters struct {
	errors *prometheus.CounterVec
	reads  prometheus.Counter
}

// NewCounters starts every count at 0, with one errors series per source.
func NewCounters() *Counters {
	c := &Counters{
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: Prefix + "exporter_scrape_errors_total",
			Help: "Reads of a source that failed, since the exporter started."}, []string{"source"}),
		reads: prometheus.NewCounter(prometheus.CounterOpts{Name: Prefix + "exporter_reads_total",
			Help: "Reads of the cluster, since the exporter started (scrapes within the cache interval share one)."}),
	}
	for _, src := range Sources {
		c.errors.WithLabelValues(string(src))
	}
	return c
}

// Count adds one read and its errors.
func (c *Counters) Count(s *Snapshot) {
	c.reads.Inc()
	for src := range s.Errors {
		c.errors.WithLabelValues(string(src)).Inc()
	}
}

// Registry is what one scrape shows: the snapshot's metrics and the
// counters.
func Registry(s *Snapshot, c *Counters) *prometheus.Registry {
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(snapshotCollector{s}, c.errors, c.reads)
	return reg
}

// snapshotCollector emits one snapshot's metrics. It is unchecked (no
// Describe): which series exist depends on what the read found.
type snapshotCollector struct{ s *Snapshot }

func (snapshotCollector) Describe(chan<- *prometheus.Desc) {}

func (sc snapshotCollector) Collect(ch chan<- prometheus.Metric) {
	s := sc.s
	// A series appears once: the first wins when the cluster shows a name
	// twice (two pg_stat_replication rows with one application_name, a
	// resource's two clone instances on one node).
	seen := map[string]bool{}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		key := d.String() + "\xff" + strings.Join(labels, "\xff")
		if seen[key] {
			return
		}
		seen[key] = true
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	enum := func(d *prometheus.Desc, known []string, current string, labels ...string) {
		values := known
		if current != "" && !slices.Contains(known, current) {
			values = append(slices.Clip(known), current)
		}
		for _, v := range values {
			gauge(d, b2f(v == current), append(slices.Clip(labels), v)...)
		}
	}

	for _, src := range s.Tried {
		_, failed := s.Errors[src]
		gauge(descUp, b2f(!failed), string(src))
	}
	gauge(descReadDuration, s.Duration.Seconds())
	gauge(descReadTimestamp, float64(s.Time.UnixNano())/1e9)

	if m := s.Model; m != nil {
		for _, n := range m.Nodes {
			gauge(descOnline, b2f(n.Online), n.Name)
			enum(descState, knownStates, string(n.State), n.Name)
			enum(descRole, knownRoles, string(n.Role), n.Name)
			if n.AttrsKnown || n.PgsqlStatus != "" {
				enum(descStatus, knownStatus, n.PgsqlStatus, n.Name)
			}
			if n.AttrsKnown || n.DataStatus != "" {
				enum(descDataStatus, knownDataStatus, n.DataStatus, n.Name)
			}
			if v, ok := attrd.ScoreValue(n.Score); ok {
				gauge(descScore, v, n.Name)
			}
		}
		for _, h := range s.Cluster.History {
			// Clone instances of one resource on one node (Pacemaker
			// 1.1's pgsql:0, pgsql:1) are one series: the worst count.
			counts := map[string]float64{}
			var order []string
			for _, rh := range h.Resources {
				count, _ := attrd.ScoreValue(rh.FailCount)
				if prev, ok := counts[rh.Resource]; !ok || count > prev {
					if !ok {
						order = append(order, rh.Resource)
					}
					counts[rh.Resource] = count
				}
				if v, ok := attrd.ScoreValue(rh.MigrationThreshold); ok {
					gauge(descThreshold, v, h.Node, rh.Resource)
				}
			}
			for _, rsc := range order {
				gauge(descFailCount, counts[rsc], h.Node, rsc)
			}
		}
		d := s.Diagnosis
		gauge(descDiagnosis, 1, string(d.Row), string(d.Severity), d.Node)
	}

	if l := s.Lock; l != nil {
		gauge(descLockPresent, b2f(l.Exists), s.Node)
		if l.Exists {
			gauge(descLockAge, max(0, s.Time.Sub(l.Created).Seconds()), s.Node)
		}
		if !l.Content.Promoted.IsZero() {
			gauge(descLastPromotion, float64(l.Content.Promoted.Unix()), s.Node)
		}
	}
	if s.SyncStandby != nil {
		gauge(descSyncStandby, 1, s.Node, *s.SyncStandby)
	}

	if f := s.PG; f != nil {
		gauge(descInRecovery, b2f(f.InRecovery), s.Node)
		gauge(descTimeline, float64(f.Timeline), s.Node)
		gauge(descFlushed, float64(f.flushed()), s.Node)
		if !f.InRecovery {
			gauge(descCurrent, float64(f.Current), s.Node)
		} else {
			gauge(descReceived, float64(f.Received), s.Node)
			gauge(descReplayed, float64(f.Replayed), s.Node)
			gauge(descStandbyLag, f.StandbyLagBytes(), s.Node)
			gauge(descStreaming, b2f(f.Streaming), s.Node)
		}
		for _, sb := range f.Standbys {
			gauge(descReplStreaming, b2f(sb.State == "streaming"), s.Node, sb.Name)
			enum(descReplSync, knownSyncStates, sb.SyncState, s.Node, sb.Name)
			if !f.InRecovery {
				gauge(descReplLagBytes, f.LagBytes(sb), s.Node, sb.Name)
			}
			gauge(descReplLagSecs, sb.LagSeconds, s.Node, sb.Name)
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
