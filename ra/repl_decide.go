// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/pg"
)

// ReplRow is one pg_stat_replication row as the agent reads it.
type ReplRow struct {
	AppName   string
	State     string // upper-cased
	SyncState string // upper-cased
}

// standbyView is what the primary decides about one other node.
type standbyView struct {
	Node     string
	Data     string // pgsql-data-status to write
	Score    string // promotion score to write
	Status   string // pgsql-status to write; "" leaves it unchanged
	WantSync bool   // may become the synchronous standby
	DropSync bool   // must stop being the synchronous standby
}

// findRow matches a node to its pg_stat_replication row by exact
// application_name (the shell agent used a regular expression, in which a
// '.' in a node name matched anything).
func findRow(rows []ReplRow, node string) (ReplRow, bool) {
	for _, r := range rows {
		if strings.EqualFold(r.AppName, node) {
			return r, true
		}
	}
	return ReplRow{}, false
}

// decideStandby maps a node's replication row to the attributes the primary
// publishes for it (spec §4.5.1). nodes is the size of node_list.
func decideStandby(mode string, nodes int, node string, row ReplRow, found bool) standbyView {
	v := standbyView{Node: node}
	if !found {
		v.Data, v.Score, v.DropSync = attrd.DataDisconnect, attrd.ScoreCanNotPromote, true
		return v
	}
	v.Data = row.State + "|" + row.SyncState
	v.Score = attrd.ScoreCanNotPromote
	switch {
	case row.State == "STREAMING" && row.SyncState == "SYNC":
		v.Score, v.Status = attrd.ScoreCanPromote, attrd.StatusSync
	case row.State == "STREAMING" && row.SyncState == "ASYNC":
		v.Status, v.WantSync = attrd.StatusAsync, true
		if mode == ModeAsync && nodes <= 2 {
			v.Score = attrd.ScoreCanPromote
		}
	case row.State == "STREAMING" && row.SyncState == "POTENTIAL":
		v.Status = attrd.StatusPotential
	case row.State == "STREAMING" && row.SyncState == "QUORUM":
		// PostgreSQL 10+ quorum commit (ANY n): a synchronous candidate,
		// but not one guaranteed to hold every commit.
		v.Status = attrd.StatusQuorum
	default:
		v.Status, v.DropSync = attrd.StatusConnected, true
	}
	return v
}

// decideSyncName keeps exactly one synchronous standby: the current one
// stays while it streams; when it is gone the file is emptied at once (so
// commits do not hang), and an asynchronous streamer is chosen only when the
// file names nobody — the shell agent's sticky rule.
func decideSyncName(current string, views []standbyView) string {
	for _, v := range views {
		if v.DropSync && v.Node == current {
			current = ""
		}
	}
	if current != "" {
		return current
	}
	for _, v := range views {
		if v.WantSync {
			return v.Node
		}
	}
	return ""
}

var syncNameRE = regexp.MustCompile(`^\s*synchronous_standby_names\s*=\s*'"?([^"']*)"?'\s*$`)

// RenderRepModeConf is rep_mode.conf for one synchronous standby (or none).
func RenderRepModeConf(name string) string {
	if name == "" {
		return "synchronous_standby_names = ''\n"
	}
	return fmt.Sprintf("synchronous_standby_names = '\"%s\"'\n", name)
}

// ParseRepModeConf returns the standby rep_mode.conf names ("" for none or
// for a file it cannot read: the agent then rewrites it).
func ParseRepModeConf(data string) string {
	for _, l := range strings.Split(data, "\n") {
		if m := syncNameRE.FindStringSubmatch(l); m != nil {
			return strings.ToLower(m[1])
		}
	}
	return ""
}

// dataOutOfDate is the election's first rule: a node whose last known
// replication state says it may lack data does not stand.
func dataOutOfDate(mode, data string) bool {
	if data == "" {
		return false // never replicated under the agent: first cold start
	}
	switch data {
	case attrd.DataSync, attrd.DataLatest:
		return false
	case attrd.DataAsync:
		return mode != ModeAsync
	}
	return true
}

// electionNote is the agent's memory between election rounds
// (<tmpdir>/xlog_note): how many consecutive rounds saw the same set of
// (node, location) pairs.
type electionNote struct {
	Rounds  int
	Entries map[string]pg.Location
}

// renderNote serialises the note (sorted, so equal notes are equal bytes).
func renderNote(n electionNote) string {
	var b strings.Builder
	fmt.Fprintf(&b, "pgrex-election 1\nrounds %d\n", n.Rounds)
	names := make([]string, 0, len(n.Entries))
	for k := range n.Entries {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		l := n.Entries[k]
		fmt.Fprintf(&b, "%s %d %s\n", k, l.TLI, pg.Hex16(l.LSN))
	}
	return b.String()
}

// parseNote reads a note; anything unreadable is an empty note, which only
// restarts the count.
func parseNote(s string) electionNote {
	n := electionNote{Entries: map[string]pg.Location{}}
	lines := strings.Split(s, "\n")
	if len(lines) < 2 || lines[0] != "pgrex-election 1" {
		return n
	}
	if r, ok := strings.CutPrefix(lines[1], "rounds "); ok {
		n.Rounds, _ = strconv.Atoi(r)
	}
	for _, l := range lines[2:] {
		f := strings.Fields(l)
		if len(f) != 3 {
			continue
		}
		tli, err1 := strconv.ParseUint(f[1], 10, 32)
		loc, err2 := pg.ParseHex16(f[2])
		if err1 != nil || err2 != nil {
			continue
		}
		n.Entries[f[0]] = pg.Location{TLI: uint32(tli), LSN: loc.LSN}
	}
	return n
}

func sameEntries(a, b map[string]pg.Location) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// electionOutcome is what one round decides.
type electionOutcome int

const (
	electionWait  electionOutcome = iota // keep observing
	electionClaim                        // this node is (one of) the newest: score 1000
	electionLose                         // another node is newer: this node marks itself DISCONNECT
)

// decideElection runs one round (spec §5.4), comparing timeline first and
// then location. entries are the published locations of node_list members
// (this node's own current location included).
func decideElection(prev electionNote, entries map[string]pg.Location, me string, checkCount int) (electionOutcome, electionNote) {
	next := electionNote{Entries: entries}
	if !sameEntries(prev.Entries, entries) {
		return electionWait, next // a new baseline
	}
	next.Rounds = prev.Rounds + 1
	if next.Rounds < checkCount {
		return electionWait, next
	}
	mine, ok := entries[me]
	if !ok {
		return electionWait, electionNote{Entries: entries}
	}
	for node, l := range entries {
		if node != me && l.Newer(mine) {
			return electionLose, electionNote{Entries: entries}
		}
	}
	return electionClaim, electionNote{Entries: entries}
}
