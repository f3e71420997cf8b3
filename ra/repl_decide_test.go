// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/pg"
)

func TestDecideStandby(t *testing.T) {
	cases := []struct {
		name                string
		mode                string
		nodes               int
		row                 ReplRow
		found               bool
		data, score, status string
		wantSync, dropSync  bool
	}{
		{"disconnected", ModeSync, 2, ReplRow{}, false, "DISCONNECT", "-INFINITY", "", false, true},
		{"sync", ModeSync, 2, ReplRow{"node2", "STREAMING", "SYNC"}, true, "STREAMING|SYNC", "100", "HS:sync", false, false},
		{"async in sync mode", ModeSync, 2, ReplRow{"node2", "STREAMING", "ASYNC"}, true, "STREAMING|ASYNC", "-INFINITY", "HS:async", true, false},
		{"async in async mode, 2 nodes", ModeAsync, 2, ReplRow{"node2", "STREAMING", "ASYNC"}, true, "STREAMING|ASYNC", "100", "HS:async", true, false},
		{"async in async mode, 3 nodes", ModeAsync, 3, ReplRow{"node2", "STREAMING", "ASYNC"}, true, "STREAMING|ASYNC", "-INFINITY", "HS:async", true, false},
		{"potential", ModeSync, 3, ReplRow{"node3", "STREAMING", "POTENTIAL"}, true, "STREAMING|POTENTIAL", "-INFINITY", "HS:potential", false, false},
		{"quorum", ModeSync, 3, ReplRow{"node3", "STREAMING", "QUORUM"}, true, "STREAMING|QUORUM", "-INFINITY", "HS:quorum", false, false},
		{"catchup", ModeSync, 2, ReplRow{"node2", "CATCHUP", "ASYNC"}, true, "CATCHUP|ASYNC", "-INFINITY", "HS:connected", false, true},
		{"backup", ModeSync, 2, ReplRow{"node2", "BACKUP", "ASYNC"}, true, "BACKUP|ASYNC", "-INFINITY", "HS:connected", false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := decideStandby(tc.mode, tc.nodes, "node2", tc.row, tc.found)
			assert.Equal(t, tc.data, v.Data)
			assert.Equal(t, tc.score, v.Score)
			assert.Equal(t, tc.status, v.Status)
			assert.Equal(t, tc.wantSync, v.WantSync)
			assert.Equal(t, tc.dropSync, v.DropSync)
		})
	}
}

func TestFindRowIsExact(t *testing.T) {
	rows := []ReplRow{{"pg-rex01x", "STREAMING", "SYNC"}, {"PG-REX01", "STREAMING", "ASYNC"}}
	r, ok := findRow(rows, "pg-rex01")
	assert.True(t, ok)
	assert.Equal(t, "ASYNC", r.SyncState, "a node name is matched exactly, case-insensitively, not as a prefix")
	_, ok = findRow(rows, "pg.rex01")
	assert.False(t, ok, "'.' is not a wildcard")
}

func TestDecideSyncName(t *testing.T) {
	sync := standbyView{Node: "node2", Data: attrd.DataSync}
	async2 := standbyView{Node: "node2", WantSync: true}
	async3 := standbyView{Node: "node3", WantSync: true}
	gone2 := standbyView{Node: "node2", DropSync: true}
	assert.Equal(t, "node2", decideSyncName("node2", []standbyView{sync}), "the sync standby stays")
	assert.Equal(t, "", decideSyncName("node2", []standbyView{gone2}), "a lost sync standby is dropped at once")
	assert.Equal(t, "node2", decideSyncName("", []standbyView{async2}), "an async streamer is made sync")
	assert.Equal(t, "node3", decideSyncName("node2", []standbyView{gone2, async3}), "a lost sync standby is replaced in the same round")
	assert.Equal(t, "node2", decideSyncName("node2", []standbyView{sync, async3}), "sticky: a second streamer does not take over")
	assert.Equal(t, "", decideSyncName("", nil))
}

func TestRepModeConfRoundTrip(t *testing.T) {
	assert.Equal(t, "synchronous_standby_names = ''\n", RenderRepModeConf(""))
	assert.Equal(t, "synchronous_standby_names = '\"pg-rex02\"'\n", RenderRepModeConf("pg-rex02"))
	for _, n := range []string{"", "pg-rex02", "node1"} {
		assert.Equal(t, n, ParseRepModeConf(RenderRepModeConf(n)))
	}
	assert.Equal(t, "pg-rex02", ParseRepModeConf("# comment\nsynchronous_standby_names = 'pg-rex02'\n"), "the unquoted form of old agents")
	assert.Equal(t, "", ParseRepModeConf("garbage"))
}

func TestDataOutOfDate(t *testing.T) {
	assert.False(t, dataOutOfDate(ModeSync, ""), "a first cold start stands")
	assert.False(t, dataOutOfDate(ModeSync, attrd.DataLatest))
	assert.False(t, dataOutOfDate(ModeSync, attrd.DataSync))
	assert.True(t, dataOutOfDate(ModeSync, attrd.DataAsync))
	assert.False(t, dataOutOfDate(ModeAsync, attrd.DataAsync))
	assert.True(t, dataOutOfDate(ModeSync, attrd.DataDisconnect))
	assert.True(t, dataOutOfDate(ModeAsync, "STREAMING|POTENTIAL"))
}

func TestDecideElection(t *testing.T) {
	l := func(tli uint32, lsn uint64) pg.Location { return pg.Location{TLI: tli, LSN: lsn} }
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

func TestDecideLockRemoval(t *testing.T) {
	assert.False(t, decideLockRemoval(Notify{}), "no notify data: the lock stays")
	assert.True(t, decideLockRemoval(Notify{Unpromoted: NotifyList{Present: true}}), "no standby: last node standing")
	assert.False(t, decideLockRemoval(Notify{Unpromoted: NotifyList{Present: true, Uname: []string{"node2"}}}), "a standby runs: switchover or failover")
}

func TestNewerThanBaseline(t *testing.T) {
	assert.True(t, newerThanBaseline(pg.Location{TLI: 1, LSN: 0x20}, "0000000000000010"))
	assert.False(t, newerThanBaseline(pg.Location{TLI: 1, LSN: 0x10}, "0000000000000010"))
	assert.False(t, newerThanBaseline(pg.Location{TLI: 1, LSN: 0x90}, "2:0000000000000010"), "PG-REX 9.1 form: a later timeline is newer")
	assert.False(t, newerThanBaseline(pg.Location{LSN: 0x90}, "junk"))
}
