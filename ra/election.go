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
	"github.com/pgrex/pgrex/ra/atomicfile"
	"github.com/pgrex/pgrex/ra/config"
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
		return mode != config.ModeAsync
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
		fmt.Fprintf(&b, "%s %d %s\n", k, l.TLI, pg.FormatXlogLoc(l.LSN))
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
		loc, err2 := pg.ParseXlogLoc(f[2])
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

// electionFacts is what one round of the election is decided from.
type electionFacts struct {
	Mode string
	Me   string
	// Data is this node's data-status; when it rules the node out
	// (dataOutOfDate) nothing else is read.
	Data string
	Mine pg.Location
	// Entries are the locations the members published, this node's
	// current one included.
	Entries map[string]pg.Location
	Prev    electionNote
	// CheckCount is xlog_check_count: the rounds the entries must stay
	// the same before anyone claims.
	CheckCount int
}

// electionPlan is what one round does.
type electionPlan struct {
	Abstain bool        // the node does not stand: its data may be out of date
	Publish []attrWrite // this node's location, for the others
	Outcome electionOutcome
	Next    electionNote // recorded unless the node claims
}

// gatherElection reads this node's data-status, its location, what the
// others published and the note of the previous round.
func (a *Agent) gatherElection(ctx context.Context, c *pg.Session) (electionFacts, error) {
	f := electionFacts{Mode: a.Cfg.RepMode, Me: a.node, CheckCount: a.Cfg.XlogCheckCount}
	data, _, err := a.attrs.Known(ctx, a.node, attrNames(&a.Cfg).DataStatus(), attrd.Forever)
	if err != nil {
		return f, err
	}
	f.Data = data
	if dataOutOfDate(f.Mode, data) {
		return f, nil
	}
	if f.Mine, err = a.location(ctx, c); err != nil {
		return f, err
	}
	f.Entries = a.publishedLocations(ctx)
	f.Entries[a.node] = f.Mine
	if b, err := os.ReadFile(a.noteFile()); err == nil {
		f.Prev = parseNote(string(b))
	}
	return f, nil
}

// publishedLocations are the locations the other members published for
// the election (none outside one: start, stop and notify remove them).
func (a *Agent) publishedLocations(ctx context.Context) map[string]pg.Location {
	out := map[string]pg.Location{}
	for _, node := range a.others() {
		hex, ok, err := a.attrs.Known(ctx, node, attrNames(&a.Cfg).XlogLoc(), attrd.Reboot)
		if err != nil || !ok || hex == "" {
			a.Log.Debugf("election: %s has published no location", node)
			continue
		}
		loc, err := pg.ParseXlogLoc(hex)
		if err != nil {
			a.Log.Warnf("election: %s published %q: %v", node, hex, err)
			continue
		}
		if t, ok, _ := a.attrs.Known(ctx, node, attrNames(&a.Cfg).XlogTLI(), attrd.Reboot); ok {
			if n, err := strconv.ParseUint(t, 10, 32); err == nil {
				loc.TLI = uint32(n)
			}
		}
		out[node] = loc
	}
	return out
}

// decideElectionRound is one round: stand (publishing this node's
// location) unless the data may be out of date, then decideElection. Pure.
func decideElectionRound(c *config.Config, f electionFacts) electionPlan {
	if dataOutOfDate(f.Mode, f.Data) {
		return electionPlan{Abstain: true}
	}
	names := attrNames(c)
	plan := electionPlan{Publish: []attrWrite{
		{Node: f.Me, Name: names.XlogLoc(), Value: pg.FormatXlogLoc(f.Mine.LSN), Lifetime: attrd.Reboot},
		{Node: f.Me, Name: names.XlogTLI(), Value: strconv.FormatUint(uint64(f.Mine.TLI), 10), Lifetime: attrd.Reboot},
	}}
	plan.Outcome, plan.Next = decideElection(f.Prev, f.Entries, f.Me, f.CheckCount)
	return plan
}

// applyElection publishes the location and acts on the outcome: a claim
// sets this node's promotion score and forgets the note, a loss marks the
// node DISCONNECT; otherwise the round is recorded for the next.
func (a *Agent) applyElection(ctx context.Context, f electionFacts, plan electionPlan) error {
	if plan.Abstain {
		a.Log.Infof("not standing in the election: my data-status is %s", f.Data)
		return nil
	}
	for _, w := range plan.Publish {
		if err := a.write(ctx, w); err != nil {
			return err
		}
	}
	switch plan.Outcome {
	case electionClaim:
		a.Log.Infof("election: my data is the newest (timeline %d, %s); claiming promotion", f.Mine.TLI, pg.FormatXlogLoc(f.Mine.LSN))
		if err := a.attrs.SetScore(ctx, a.node, attrd.ScorePromoteMe); err != nil {
			return err
		}
		_, err := atomicfile.Remove(a.noteFile())
		return err
	case electionLose:
		a.Log.Warnf("election: another node has newer data; marking myself %s", attrd.DataDisconnect)
		if err := a.attrs.Set(ctx, a.node, attrNames(&a.Cfg).DataStatus(), attrd.DataDisconnect, attrd.Forever); err != nil {
			return err
		}
	}
	if err := atomicfile.EnsurePrivateDir(a.Cfg.TmpDir, a.owner()); err != nil {
		return err
	}
	if _, err := atomicfile.WriteFileAtomic(a.noteFile(), []byte(renderNote(plan.Next)), 0o600, a.owner()); err != nil {
		return fmt.Errorf("recording the election round: %w", err)
	}
	return nil
}

// electionRound is one round of the election among standbys when no
// primary exists.
func (a *Agent) electionRound(ctx context.Context, c *pg.Session) error {
	f, err := a.gatherElection(ctx, c)
	if err != nil {
		return err
	}
	return a.applyElection(ctx, f, decideElectionRound(&a.Cfg, f))
}
