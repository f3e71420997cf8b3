// SPDX-License-Identifier: Apache-2.0

package exporter

import (
	"fmt"
	"slices"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/status"
)

// Check is what a health endpoint asks about this node (docs/operations.md,
// `pgrex exporter`). A load balancer sends traffic to the nodes that answer 200.
type Check string

// The health endpoints, by path.
const (
	// CheckPrimary: this node is the one primary (Promoted, PRI) and its
	// PostgreSQL, when the exporter reads it, is not in recovery.
	CheckPrimary Check = "primary"
	// CheckStandby: this node is a streaming standby (Unpromoted,
	// HS:sync/async/potential/quorum) and its WAL receiver streams.
	CheckStandby Check = "standby"
	// CheckSync: this node is the synchronous standby (HS:sync,
	// STREAMING|SYNC), streaming.
	CheckSync Check = "sync"
	// CheckHealthy: the cluster is in the manual's normal state (table
	// 5-3), whichever node asks.
	CheckHealthy Check = "healthy"
)

// Checks lists the endpoints.
var Checks = []Check{CheckPrimary, CheckStandby, CheckSync, CheckHealthy}

// streamingStatus are the pgsql-status values of a standby connected to
// the primary (HS:alone and HS:connected are not streaming).
var streamingStatus = []string{attrd.StatusSync, attrd.StatusAsync, attrd.StatusPotential, attrd.StatusQuorum}

// Verdict is a health endpoint's answer: 200 when OK, else 503, with the
// reason in the body.
type Verdict struct {
	OK     bool
	Reason string
}

func yes(format string, args ...any) Verdict { return Verdict{true, fmt.Sprintf(format, args...)} }
func no(format string, args ...any) Verdict  { return Verdict{false, fmt.Sprintf(format, args...)} }

// Decide answers check for the snapshot's node. maxLag (bytes, < 0 = no
// limit) bounds a standby's replay lag, which only PostgreSQL tells: with
// a limit and no PostgreSQL facts the answer is no.
func Decide(s *Snapshot, check Check, maxLag int64) Verdict {
	if err := s.Errors[SourceCrmMon]; err != nil {
		return no("the cluster status could not be read: %v", err)
	}
	if s.Model == nil {
		return no("the cluster status was not read")
	}
	if check == CheckHealthy {
		d := s.Diagnosis
		if d.Row == status.RowHealthy {
			return yes("the cluster is in the normal state")
		}
		return no("the cluster is not in the normal state: %s (%s)", d.Row, d.Severity)
	}
	n, ok := s.Model.Node(s.Node)
	if !ok {
		return no("this node (%q) is not in the cluster", s.Node)
	}
	if err := s.Errors[SourcePostgres]; err != nil {
		return no("%s: PostgreSQL could not be read: %v", n.Name, err)
	}
	switch check {
	case CheckPrimary:
		primaries := s.Cluster.PromotedNodes(s.Model.Resource)
		switch {
		case n.Role != attrd.RolePromoted || n.PgsqlStatus != attrd.StatusPrimary:
			return no("%s is not the primary (%s, %s)", n.Name, n.Role, orNone(n.PgsqlStatus))
		case len(slices.Compact(slices.Sorted(slices.Values(primaries)))) != 1:
			return no("%s is one of several primaries %v", n.Name, primaries)
		case s.PG != nil && s.PG.InRecovery:
			return no("%s: PostgreSQL is in recovery", n.Name)
		}
		return yes("%s is the primary", n.Name)
	case CheckStandby, CheckSync:
		if n.Role != attrd.RoleUnpromoted || !slices.Contains(streamingStatus, n.PgsqlStatus) {
			return no("%s is not a streaming standby (%s, %s)", n.Name, n.Role, orNone(n.PgsqlStatus))
		}
		if check == CheckSync && (n.PgsqlStatus != attrd.StatusSync || n.DataStatus != attrd.DataSync) {
			return no("%s is not the synchronous standby (%s, %s)", n.Name, n.PgsqlStatus, orNone(n.DataStatus))
		}
		if s.PG != nil && (!s.PG.InRecovery || !s.PG.Streaming) {
			return no("%s: PostgreSQL is not a streaming standby (in recovery %t, streaming %t)", n.Name,
				s.PG.InRecovery, s.PG.Streaming)
		}
		if maxLag >= 0 {
			if s.PG == nil {
				return no("%s: the replication lag is unknown (PostgreSQL not read)", n.Name)
			}
			if lag := s.PG.StandbyLagBytes(); lag > float64(maxLag) {
				return no("%s lags %.0f bytes behind the primary (more than %d)", n.Name, lag, maxLag)
			}
		}
		if check == CheckSync {
			return yes("%s is the synchronous standby", n.Name)
		}
		return yes("%s is a streaming standby (%s)", n.Name, n.PgsqlStatus)
	}
	return no("unknown check %q", check)
}

func orNone(s string) string {
	if s == "" {
		return "no status"
	}
	return s
}
