// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/config"
	"github.com/pgrex/pgrex/ra/lockfile"
	"github.com/pgrex/pgrex/ra/ocf"
	"github.com/pgrex/pgrex/ra/pg"
)

func TestDecideStandby(t *testing.T) {
	cases := []struct {
		name                string
		mode                string
		nodes               int
		row                 pg.ReplRow
		found               bool
		data, score, status string
		wantSync, dropSync  bool
	}{
		{"disconnected", config.ModeSync, 2, pg.ReplRow{}, false, "DISCONNECT", "-INFINITY", "", false, true},
		{"sync", config.ModeSync, 2, pg.ReplRow{AppName: "node2", State: "STREAMING", SyncState: "SYNC"}, true, "STREAMING|SYNC", "100", "HS:sync", false, false},
		{"async in sync mode", config.ModeSync, 2, pg.ReplRow{AppName: "node2", State: "STREAMING", SyncState: "ASYNC"}, true, "STREAMING|ASYNC", "-INFINITY", "HS:async", true, false},
		{"async in async mode, 2 nodes", config.ModeAsync, 2, pg.ReplRow{AppName: "node2", State: "STREAMING", SyncState: "ASYNC"}, true, "STREAMING|ASYNC", "100", "HS:async", true, false},
		{"async in async mode, 3 nodes", config.ModeAsync, 3, pg.ReplRow{AppName: "node2", State: "STREAMING", SyncState: "ASYNC"}, true, "STREAMING|ASYNC", "-INFINITY", "HS:async", true, false},
		{"potential", config.ModeSync, 3, pg.ReplRow{AppName: "node3", State: "STREAMING", SyncState: "POTENTIAL"}, true, "STREAMING|POTENTIAL", "-INFINITY", "HS:potential", false, false},
		{"quorum", config.ModeSync, 3, pg.ReplRow{AppName: "node3", State: "STREAMING", SyncState: "QUORUM"}, true, "STREAMING|QUORUM", "-INFINITY", "HS:quorum", false, false},
		{"catchup", config.ModeSync, 2, pg.ReplRow{AppName: "node2", State: "CATCHUP", SyncState: "ASYNC"}, true, "CATCHUP|ASYNC", "-INFINITY", "HS:connected", false, true},
		{"backup", config.ModeSync, 2, pg.ReplRow{AppName: "node2", State: "BACKUP", SyncState: "ASYNC"}, true, "BACKUP|ASYNC", "-INFINITY", "HS:connected", false, true},
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

// TestDecidePrimary: the primary's bookkeeping, from facts alone.
func TestDecidePrimary(t *testing.T) {
	cfg := &config.Config{Resource: "pgsql", RepMode: config.ModeSync, NodeList: []string{"node1", "node2", "node3"}}
	streaming := func(sync string) pg.ReplRow { return pg.ReplRow{State: "STREAMING", SyncState: sync} }
	self := []attrWrite{
		{Node: "node1", Name: "pgsql-data-status", Value: attrd.DataLatest, Lifetime: attrd.Forever},
		{Node: "node1", Name: "pgsql-status", Value: attrd.StatusPrimary, Lifetime: attrd.Reboot},
	}
	score := func(node, v string) attrWrite {
		return attrWrite{Node: node, Name: "master-pgsql", Value: v, Lifetime: attrd.Reboot, Score: true}
	}
	data := func(node, v string) attrWrite {
		return attrWrite{Node: node, Name: "pgsql-data-status", Value: v, Lifetime: attrd.Forever}
	}
	status := func(node, v string) attrWrite {
		return attrWrite{Node: node, Name: "pgsql-status", Value: v, Lifetime: attrd.Reboot}
	}
	cases := []struct {
		name       string
		self       bool
		sync       string
		peers      []peerFacts
		writes     []attrWrite
		unreadable []string
		syncName   string
	}{
		{
			name: "a sync standby and a potential one", self: true, sync: "node2",
			peers: []peerFacts{
				{Node: "node2", Row: streaming("SYNC"), Found: true, InCluster: true, Online: true, Score: "-INFINITY", HasScore: true, Status: attrd.StatusAlone},
				{Node: "node3", Row: streaming("POTENTIAL"), Found: true, InCluster: true, Online: true, Score: "-INFINITY", HasScore: true, Status: attrd.StatusAlone},
			},
			writes: append(append([]attrWrite{}, self...),
				data("node2", "STREAMING|SYNC"), score("node2", attrd.ScoreCanPromote), status("node2", attrd.StatusSync),
				data("node3", "STREAMING|POTENTIAL"), status("node3", attrd.StatusPotential)),
			syncName: "node2",
		},
		{
			name: "the sync standby is gone, an async one takes over", sync: "node2",
			peers: []peerFacts{
				{Node: "node2", InCluster: true, Online: true, Score: "100", HasScore: true},
				{Node: "node3", Row: streaming("ASYNC"), Found: true, InCluster: true, Online: true, Status: attrd.StatusAsync},
			},
			writes: []attrWrite{
				data("node2", attrd.DataDisconnect), score("node2", attrd.ScoreCanNotPromote),
				data("node3", "STREAMING|ASYNC"), status("node3", attrd.StatusAsync)},
			syncName: "node3",
		},
		{
			name: "only the node itself leaves STOP, and a node without a score gets none",
			peers: []peerFacts{
				{Node: "node2", Row: streaming("ASYNC"), Found: true, InCluster: true, Online: true, Status: attrd.StatusStop},
				{Node: "node3", Row: streaming("ASYNC"), Found: true, InCluster: true, Online: true, Status: attrd.StatusUnknown},
			},
			writes:   []attrWrite{data("node2", "STREAMING|ASYNC"), data("node3", "STREAMING|ASYNC")},
			syncName: "node2",
		},
		{
			name: "an offline node keeps its score and status; one Pacemaker does not know gets nothing",
			peers: []peerFacts{
				{Node: "node2", InCluster: true, Score: "100", HasScore: true, Status: attrd.StatusSync},
				{Node: "node3"},
			},
			writes: []attrWrite{data("node2", attrd.DataDisconnect)},
		},
		{
			name: "only the standby lifts DIVERGED: a row, even a streaming one, keeps it unpromotable and out of sync", sync: "node3",
			peers: []peerFacts{
				{Node: "node2", InCluster: true, Online: true, Score: "-INFINITY", HasScore: true, Status: attrd.StatusAlone, Data: attrd.DataDiverged},
				{Node: "node3", Row: streaming("SYNC"), Found: true, InCluster: true, Online: true, Score: "100", HasScore: true, Status: attrd.StatusSync, Data: attrd.DataDiverged},
			},
			writes:   []attrWrite{data("node2", attrd.DataDiverged), data("node3", attrd.DataDiverged), score("node3", attrd.ScoreCanNotPromote)},
			syncName: "",
		},
		{
			name: "a state the session cannot see changes nothing", sync: "node2",
			peers: []peerFacts{
				{Node: "node2", Hidden: true},
				{Node: "node3", Row: streaming("ASYNC"), Found: true, InCluster: true, Online: true, Status: attrd.StatusAsync},
			},
			writes:     []attrWrite{data("node3", "STREAMING|ASYNC"), status("node3", attrd.StatusAsync)},
			unreadable: []string{"node2"},
			syncName:   "node2",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			plan := decidePrimary(cfg, primaryFacts{Self: tc.self, Me: "node1", Peers: tc.peers, SyncName: tc.sync})
			assert.Equal(t, ocf.RunningPromoted, plan.Status)
			assert.Equal(t, tc.writes, plan.Writes)
			assert.Equal(t, tc.unreadable, plan.Unreadable)
			assert.True(t, plan.ManageSync)
			assert.Equal(t, tc.syncName, plan.SyncName)
			assert.Equal(t, pg.RenderRepModeConf(tc.syncName), plan.RepModeConf)
		})
	}
	async := &config.Config{Resource: "pgsql", RepMode: config.ModeAsync, NodeList: []string{"node1", "node2"}}
	plan := decidePrimary(async, primaryFacts{Me: "node1", Peers: []peerFacts{
		{Node: "node2", Row: streaming("ASYNC"), Found: true, InCluster: true, Online: true, Score: "-INFINITY", HasScore: true, Status: attrd.StatusAlone}}})
	assert.False(t, plan.ManageSync, "rep_mode.conf is sync mode's")
	assert.Equal(t, []attrWrite{data("node2", "STREAMING|ASYNC"), score("node2", attrd.ScoreCanPromote), status("node2", attrd.StatusAsync)}, plan.Writes)
}

func TestFindRowIsExact(t *testing.T) {
	rows := []pg.ReplRow{{AppName: "pg-rex01x", State: "STREAMING", SyncState: "SYNC"}, {AppName: "PG-REX01", State: "STREAMING", SyncState: "ASYNC"}}
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

func TestDecidePlainMonitor(t *testing.T) {
	h := healthFacts{}
	rc, _ := decidePlainMonitor(h)
	assert.Equal(t, ocf.NotRunning, rc)

	h.Live.Running = true
	h.Live.PidFileOK = true
	h.Queried = true
	rc, reason := decidePlainMonitor(h)
	assert.Equal(t, ocf.Success, rc)
	assert.Empty(t, reason)

	h.QueryErr = assert.AnError
	rc, reason = decidePlainMonitor(h)
	assert.Equal(t, ocf.ErrGeneric, rc)
	assert.Contains(t, reason, "monitor failed")

	h.Live.Port, h.Port = 5433, 5432
	rc, reason = decidePlainMonitor(h)
	assert.Equal(t, ocf.ErrGeneric, rc)
	assert.Contains(t, reason, "PostgreSQL runs on port 5433 but pgport is 5432")

	// A postmaster that postmaster.pid does not name: a failure with the
	// reason, never "not running".
	h = healthFacts{Live: pgLiveness{Running: true, PID: 7, Reason: "postmaster.pid is unusable: x, but PostgreSQL (PID 7, found from /proc) runs"}}
	rc, reason = decidePlainMonitor(h)
	assert.Equal(t, ocf.ErrGeneric, rc)
	assert.Contains(t, reason, "found from /proc")
}

func TestDecideLivenessRC(t *testing.T) {
	rc, _ := decideLivenessRC(pgLiveness{}, nil)
	assert.Equal(t, ocf.NotRunning, rc)
	rc, _ = decideLivenessRC(livenessRunning(), nil)
	assert.Equal(t, ocf.Success, rc)
	rc, reason := decideLivenessRC(pgLiveness{Running: true, PID: 7, Reason: "no postmaster.pid, but PostgreSQL (PID 7, found from /proc) runs"}, nil)
	assert.Equal(t, ocf.ErrGeneric, rc)
	assert.Contains(t, reason, "PID 7")
	rc, reason = decideLivenessRC(pgLiveness{}, assert.AnError)
	assert.Equal(t, ocf.ErrGeneric, rc, "undecidable is never \"not running\"")
	assert.NotEmpty(t, reason)
}

// TestDecidePrimaryDegraded: with degraded_promoted the primary's monitor
// says 191 exactly when no standby holds every commit; without it, 8.
func TestDecidePrimaryDegraded(t *testing.T) {
	streaming := func(sync string) pg.ReplRow { return pg.ReplRow{State: "STREAMING", SyncState: sync} }
	peer := func(row pg.ReplRow, found bool) []peerFacts {
		return []peerFacts{{Node: "node2", Row: row, Found: found, InCluster: true, Online: true, Status: attrd.StatusAlone}}
	}
	cases := []struct {
		name     string
		mode     string
		degraded bool
		peers    []peerFacts
		want     ocf.Status
	}{
		{"off: no standby is still 8", config.ModeSync, false, peer(pg.ReplRow{}, false), ocf.RunningPromoted},
		{"sync standby streams", config.ModeSync, true, peer(streaming("SYNC"), true), ocf.RunningPromoted},
		{"no standby", config.ModeSync, true, peer(pg.ReplRow{}, false), ocf.DegradedPromoted},
		{"standby still async (catching up to be named)", config.ModeSync, true, peer(streaming("ASYNC"), true), ocf.DegradedPromoted},
		{"standby connected, not streaming", config.ModeSync, true, peer(pg.ReplRow{State: "CATCHUP", SyncState: "ASYNC"}, true), ocf.DegradedPromoted},
		{"async mode: an async streamer holds it", config.ModeAsync, true, peer(streaming("ASYNC"), true), ocf.RunningPromoted},
		{"async mode: none", config.ModeAsync, true, peer(pg.ReplRow{}, false), ocf.DegradedPromoted},
		{"unreadable standby: not claimed degraded", config.ModeSync, true, []peerFacts{{Node: "node2", Hidden: true}}, ocf.RunningPromoted},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &config.Config{Resource: "pgsql", RepMode: tc.mode, NodeList: []string{"node1", "node2"}, DegradedPromoted: tc.degraded}
			plan := decidePrimary(cfg, primaryFacts{Self: true, Me: "node1", Peers: tc.peers})
			if plan.Status != tc.want {
				t.Errorf("monitor status %d, want %d", plan.Status, tc.want)
			}
		})
	}
}

// TestDecidePrimaryCatchUp: a standby named synchronous is promotable only
// once it has flushed everything committed before commits waited for it —
// the position PGSQL.lock records (sync_from=) the first time its row says
// SYNC.
func TestDecidePrimaryCatchUp(t *testing.T) {
	cfg := &config.Config{Resource: "pgsql", RepMode: config.ModeSync, NodeList: []string{"node1", "node2"}}
	row := func(sync string, flush, current pg.LSN) pg.ReplRow {
		return pg.ReplRow{AppName: "node2", State: "STREAMING", SyncState: sync, Flush: flush, Current: current}
	}
	lock := func(sync, from string) *lockfile.Content {
		return &lockfile.Content{Synchronous: sync, SyncKnown: true, SyncFrom: from}
	}
	cases := []struct {
		name       string
		lock       *lockfile.Content
		row        pg.ReplRow
		data       string
		score      string
		record     bool
		from       pg.LSN
		catchingUp bool
	}{
		{"first SYNC row, caught up: the bar is recorded", lock("", ""), row("SYNC", 0x5000000, 0x5000000),
			attrd.DataSync, attrd.ScoreCanPromote, true, 0x5000000, false},
		{"first SYNC row, behind: recorded, shown asynchronous", lock("", ""), row("SYNC", 0x4000000, 0x5000000),
			attrd.DataAsync, attrd.ScoreCanNotPromote, true, 0x5000000, true},
		{"behind the recorded bar", lock("node2", "0000000005000000"), row("SYNC", 0x4FFFFFF, 0x6000000),
			attrd.DataAsync, attrd.ScoreCanNotPromote, false, 0x5000000, true},
		{"past the recorded bar, though behind the current position", lock("node2", "0000000005000000"), row("SYNC", 0x5000000, 0x6000000),
			attrd.DataSync, attrd.ScoreCanPromote, false, 0, false},
		{"the lock names another standby: a new bar", lock("node3", "0000000001000000"), row("SYNC", 0x2000000, 0x3000000),
			attrd.DataAsync, attrd.ScoreCanNotPromote, true, 0x3000000, true},
		{"a lock from before sync_from: a bar now", lock("node2", ""), row("SYNC", 0x3000000, 0x3000000),
			attrd.DataSync, attrd.ScoreCanPromote, true, 0x3000000, false},
		{"no lock (removed by hand): the rule cannot hold, as upstream", nil, row("SYNC", 0x1000000, 0x3000000),
			attrd.DataSync, attrd.ScoreCanPromote, false, 0, false},
		{"not SYNC yet: nothing recorded", lock("", ""), row("ASYNC", 0x1000000, 0x3000000),
			attrd.DataAsync, attrd.ScoreCanNotPromote, false, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := primaryFacts{Me: "node1", SyncName: "node2", Lock: tc.lock, Current: tc.row.Current,
				Peers: []peerFacts{{Node: "node2", Row: tc.row, Found: true, InCluster: true, Online: true, Score: "-INFINITY", HasScore: true, Status: attrd.StatusAlone}}}
			plan := decidePrimary(cfg, f)
			var data, score string
			for _, w := range plan.Writes {
				switch {
				case w.Score:
					score = w.Value
				case w.Name == "pgsql-data-status":
					data = w.Value
				}
			}
			if score == "" {
				score = "-INFINITY"
			}
			assert.Equal(t, tc.data, data)
			assert.Equal(t, tc.score, score)
			assert.Equal(t, tc.record, plan.RecordSyncFrom)
			if tc.record || tc.catchingUp {
				assert.Equal(t, tc.from, plan.SyncFrom)
			}
			assert.Equal(t, tc.catchingUp, plan.CatchingUp == "node2")
			assert.Equal(t, "node2", plan.SyncName, "it stays the synchronous standby while it catches up")
		})
	}
}
