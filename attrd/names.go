// SPDX-License-Identifier: Apache-2.0

package attrd

import (
	"strconv"
	"strings"
)

// The PG-REX attribute vocabulary. The shell agent's attribute names and
// values are an external API — PG-REX's tools, its manual's procedures and
// operators read them — so they are spelled here and nowhere else; the
// agent writes them and the operator tools read them through these names.

// Values of <rsc>-status: what PostgreSQL is on the node.
const (
	StatusStop      = "STOP"
	StatusUnknown   = "UNKNOWN"
	StatusPrimary   = "PRI"
	StatusAlone     = "HS:alone"
	StatusSync      = "HS:sync"
	StatusAsync     = "HS:async"
	StatusPotential = "HS:potential"
	StatusQuorum    = "HS:quorum"
	StatusConnected = "HS:connected"
)

// Values of <rsc>-data-status: how complete the node's data is. A standby
// that streams carries its pg_stat_replication state and sync_state joined
// by '|', of which DataSync and DataAsync are the two the tools test.
// DataDiverged is pgrex's own (docs/compatibility.md): the standby's WAL
// has left the primary's history, so it can never stream from it without a
// rewind or a base backup; like DISCONNECT it is never promotable.
const (
	DataLatest     = "LATEST"
	DataDisconnect = "DISCONNECT"
	DataDiverged   = "DIVERGED"
	DataSync       = "STREAMING|SYNC"
	DataAsync      = "STREAMING|ASYNC"
)

// The cluster option that says whether nodes may be fenced. Pacemaker
// 3.0.2 renamed stonith-enabled to fencing-enabled and reads the old name
// only when the new one is not set (field-2026.md §3), and its crm_mon
// prints both; the readers follow the same rule.
const (
	OptFencingEnabled = "fencing-enabled"
	OptStonithEnabled = "stonith-enabled"
)

// Promotion scores (the value of PromotionScoreName).
const (
	ScoreCanNotPromote = "-INFINITY"
	ScoreCanPromote    = "100"
	ScorePromoteMe     = "1000"
)

// Values of <rsc>-receiver-status (check_wal_receiver).
const (
	ReceiverNormal        = "normal"
	ReceiverNormalPrimary = "normal (master)"
	ReceiverError         = "ERROR"
)

// Names spells the node attributes of one pgsql resource; every name
// derives from the resource name, as in the shell agent.
type Names struct {
	Resource string
}

// Status is <rsc>-status (lifetime reboot): one of the Status* values.
func (n Names) Status() string { return n.Resource + "-status" }

// DataStatus is <rsc>-data-status (lifetime forever): one of the Data*
// values, or a standby's replication state.
func (n Names) DataStatus() string { return n.Resource + "-data-status" }

// XlogLoc is <rsc>-xlog-loc: a standby's replay location while no primary
// exists, in pg.FormatXlogLoc form, for the election.
func (n Names) XlogLoc() string { return n.Resource + "-xlog-loc" }

// XlogTLI is <rsc>-xlog-tli: the timeline of XlogLoc.
func (n Names) XlogTLI() string { return n.Resource + "-xlog-tli" }

// MasterBaseline is <rsc>-master-baseline: the location this node was
// promoted at.
func (n Names) MasterBaseline() string { return n.Resource + "-master-baseline" }

// ReceiverStatus is <rsc>-receiver-status: one of the Receiver* values.
func (n Names) ReceiverStatus() string { return n.Resource + "-receiver-status" }

// PromotionScoreName is the node attribute Pacemaker uses as the promotion
// score of rsc ("master-pgsql"); crm_attribute --promotion writes it with
// lifetime reboot.
func PromotionScoreName(rsc string) string { return "master-" + StripInstance(rsc) }

// Infinity is the number Pacemaker means by INFINITY in scores and fail
// counts: it clamps every score to ±1,000,000.
const Infinity = 1000000

// ScoreValue reads a score or fail count as Pacemaker prints it ("100",
// "-INFINITY", "+INFINITY") as a number, INFINITY as ±Infinity; ok is
// false for anything else.
func ScoreValue(s string) (v float64, ok bool) {
	s = strings.TrimSpace(s)
	if !scoreOK(s) {
		return 0, false
	}
	sign := 1.0
	if s[0] == '-' {
		sign = -1
	}
	digits := strings.TrimLeft(s, "+-")
	if digits == "INFINITY" {
		return sign * Infinity, true
	}
	n, err := strconv.ParseFloat(digits, 64)
	if err != nil {
		return 0, false
	}
	return max(-Infinity, min(Infinity, sign*n)), true
}
