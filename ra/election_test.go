// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"testing"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/config"
	"github.com/pgrex/pgrex/ra/pg"
	"github.com/stretchr/testify/assert"
)

func TestDataOutOfDate(t *testing.T) {
	assert.False(t, dataOutOfDate(config.ModeSync, ""), "a first cold start stands")
	assert.False(t, dataOutOfDate(config.ModeSync, attrd.DataLatest))
	assert.False(t, dataOutOfDate(config.ModeSync, attrd.DataSync))
	assert.True(t, dataOutOfDate(config.ModeSync, attrd.DataAsync))
	assert.False(t, dataOutOfDate(config.ModeAsync, attrd.DataAsync))
	assert.True(t, dataOutOfDate(config.ModeSync, attrd.DataDisconnect))
	assert.True(t, dataOutOfDate(config.ModeAsync, "STREAMING|POTENTIAL"))
}

func TestDecideElection(t *testing.T) {
	l := func(tli uint32, lsn pg.LSN) pg.Location { return pg.Location{TLI: tli, LSN: lsn} }
	entries := map[string]pg.Location{"node1": l(1, 100), "node2": l(1, 90)}

	// Round 1 is a baseline; rounds 2-4 must see the same picture.
	out, note := decideElection(electionNote{}, entries, "node1", 3)
	assert.Equal(t, electionWait, out)
	assert.Equal(t, 0, note.Rounds)
	for round := 1; round <= 2; round++ {
		out, note = decideElection(note, entries, "node1", 3)
		assert.Equal(t, electionWait, out)
		assert.Equal(t, round, note.Rounds)
	}
	claim, _ := decideElection(note, entries, "node1", 3)
	assert.Equal(t, electionClaim, claim, "the newest node claims on the 4th stable round")
	lose, after := decideElection(note, entries, "node2", 3)
	assert.Equal(t, electionLose, lose)
	assert.Equal(t, 0, after.Rounds)

	// A change restarts the count.
	moved := map[string]pg.Location{"node1": l(1, 101), "node2": l(1, 90)}
	out, note2 := decideElection(note, moved, "node1", 3)
	assert.Equal(t, electionWait, out)
	assert.Equal(t, 0, note2.Rounds)

	// Timeline first: node1's larger LSN on timeline 1 loses to timeline 2.
	forked := map[string]pg.Location{"node1": l(1, 900), "node2": l(2, 300)}
	n := electionNote{Rounds: 2, Entries: forked}
	out, _ = decideElection(n, forked, "node1", 3)
	assert.Equal(t, electionLose, out)
	out, _ = decideElection(n, forked, "node2", 3)
	assert.Equal(t, electionClaim, out)

	// Ties: both claim, Pacemaker picks one.
	tie := map[string]pg.Location{"node1": l(1, 5), "node2": l(1, 5)}
	n = electionNote{Rounds: 2, Entries: tie}
	out, _ = decideElection(n, tie, "node1", 3)
	assert.Equal(t, electionClaim, out)
	out, _ = decideElection(n, tie, "node2", 3)
	assert.Equal(t, electionClaim, out)
}

func TestElectionNoteRoundTrip(t *testing.T) {
	n := electionNote{Rounds: 2, Entries: map[string]pg.Location{"node2": {TLI: 3, LSN: 0x1E7472E18}, "node1": {TLI: 1, LSN: 7}}}
	text := renderNote(n)
	assert.Equal(t, "pgrex-election 1\nrounds 2\nnode1 1 0000000000000007\nnode2 3 00000001E7472E18\n", text)
	back := parseNote(text)
	assert.Equal(t, n.Rounds, back.Rounds)
	assert.True(t, sameEntries(n.Entries, back.Entries))
	assert.Equal(t, 0, parseNote("garbage").Rounds)
	assert.Empty(t, parseNote("").Entries)
}

func TestDecideElectionRound(t *testing.T) {
	cfg := &config.Config{Resource: "pgsql", RepMode: config.ModeSync}
	mine := pg.Location{TLI: 2, LSN: 0x300000060}
	plan := decideElectionRound(cfg, electionFacts{Mode: config.ModeSync, Me: "node1", Data: attrd.DataAsync})
	assert.Equal(t, electionPlan{Abstain: true}, plan, "an async standby of a sync cluster does not stand")

	entries := map[string]pg.Location{"node1": mine, "node2": {TLI: 2, LSN: 0x300000000}}
	f := electionFacts{Mode: config.ModeSync, Me: "node1", Data: attrd.DataSync, Mine: mine, Entries: entries,
		Prev: electionNote{Rounds: 1, Entries: entries}, CheckCount: 2}
	plan = decideElectionRound(cfg, f)
	assert.False(t, plan.Abstain)
	assert.Equal(t, []attrWrite{
		{Node: "node1", Name: "pgsql-xlog-loc", Value: "0000000300000060", Lifetime: attrd.Reboot},
		{Node: "node1", Name: "pgsql-xlog-tli", Value: "2", Lifetime: attrd.Reboot},
	}, plan.Publish)
	assert.Equal(t, electionClaim, plan.Outcome)

	f.Prev = electionNote{}
	plan = decideElectionRound(cfg, f)
	assert.Equal(t, electionWait, plan.Outcome, "a new picture is a new baseline")
	assert.Equal(t, electionNote{Entries: entries}, plan.Next)
}
