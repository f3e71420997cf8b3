// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/fsutil"
	"github.com/pgrex/pgrex/ra/pg"
)

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

// decideElection runs one round, comparing timeline first and
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

// electionRound is one round of the election among standbys when no
// primary exists.
func (a *Agent) electionRound(ctx context.Context, c *pg.Session) error {
	data, _, err := a.known(ctx, a.node, a.Cfg.names().DataStatus(), attrd.Forever)
	if err != nil {
		return err
	}
	if dataOutOfDate(a.Cfg.RepMode, data) {
		a.Log.Infof("not standing in the election: my data-status is %s", data)
		return nil
	}
	mine, err := a.location(ctx, c)
	if err != nil {
		return err
	}
	if err := a.setAttr(ctx, a.node, a.Cfg.names().XlogLoc(), pg.Hex16(mine.LSN), attrd.Reboot); err != nil {
		return err
	}
	if err := a.setAttr(ctx, a.node, a.Cfg.names().XlogTLI(), strconv.FormatUint(uint64(mine.TLI), 10), attrd.Reboot); err != nil {
		return err
	}
	entries := map[string]pg.Location{a.node: mine}
	for _, node := range a.others() {
		hex, ok, err := a.known(ctx, node, a.Cfg.names().XlogLoc(), attrd.Reboot)
		if err != nil || !ok || hex == "" {
			a.Log.Debugf("election: %s has published no location", node)
			continue
		}
		loc, err := pg.ParseHex16(hex)
		if err != nil {
			a.Log.Warnf("election: %s published %q: %v", node, hex, err)
			continue
		}
		if t, ok, _ := a.known(ctx, node, a.Cfg.names().XlogTLI(), attrd.Reboot); ok {
			if n, err := strconv.ParseUint(t, 10, 32); err == nil {
				loc.TLI = uint32(n)
			}
		}
		entries[node] = loc
	}
	prev := electionNote{}
	if b, err := os.ReadFile(a.noteFile()); err == nil {
		prev = parseNote(string(b))
	}
	outcome, next := decideElection(prev, entries, a.node, a.Cfg.XlogCheckCount)
	switch outcome {
	case electionClaim:
		a.Log.Infof("election: my data is the newest (timeline %d, %s); claiming promotion", mine.TLI, pg.Hex16(mine.LSN))
		if err := a.setScore(ctx, a.node, attrd.ScorePromoteMe); err != nil {
			return err
		}
		_, err := fsutil.Remove(a.noteFile())
		return err
	case electionLose:
		a.Log.Warnf("election: another node has newer data; marking myself %s", attrd.DataDisconnect)
		if err := a.setAttr(ctx, a.node, a.Cfg.names().DataStatus(), attrd.DataDisconnect, attrd.Forever); err != nil {
			return err
		}
	}
	if err := fsutil.EnsurePrivateDir(a.Cfg.TmpDir, a.owner()); err != nil {
		return err
	}
	if _, err := fsutil.WriteFileAtomic(a.noteFile(), []byte(renderNote(next)), 0o600, a.owner()); err != nil {
		return fmt.Errorf("recording the election round: %w", err)
	}
	return nil
}
