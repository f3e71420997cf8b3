// SPDX-License-Identifier: Apache-2.0

package procedure

import (
	"slices"
	"testing"
	"time"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/status"
	"github.com/pgrex/pgrex/ra/lockfile"
	"github.com/pgrex/pgrex/ra/pg"
)

func TestDecideLockClear(t *testing.T) {
	created := time.Date(2026, 11, 22, 4, 49, 16, 0, time.UTC)
	lock := lockfile.Info{Exists: true, Path: "/t/PGSQL.lock", Created: created}
	latest := lockfile.Facts{Lock: lock, PG: lockfile.PGStopped, DataStatus: "LATEST", DataStatusFound: true}
	ctl := func(state string, tli uint32, lsn pg.LSN) *pg.ControlData {
		return &pg.ControlData{SystemID: "7000", State: state, TLI: tli, CheckpointLSN: lsn, RedoLSN: lsn}
	}
	// This node: the old primary, shut down on timeline 3 at 0/5000028.
	me := LocalFacts{Control: ctl("shut down", 3, 0x5000028)}
	stoppedStandby := PeerFacts{Host: "192.0.2.72", PGState: PeerPGStopped, Control: ctl("shut down in recovery", 3, 0x5000028)}
	promoted := PeerFacts{Host: "192.0.2.72", PacemakerRunning: true, PGState: PeerPGRunning, Control: ctl("in production", 4, 0x6000000),
		Cluster: &status.Model{Nodes: []status.Node{{Name: "node1"}, {Name: "node2", Online: true, Role: attrd.RolePromoted, PgsqlStatus: "PRI"}}}}
	peerCIB := func(mine, peers string) ([]Observation, []Observation) {
		return []Observation{{Source: "live CIB of node2", Value: mine, Found: true}},
			[]Observation{{Source: "live CIB of node2", Value: peers, Found: true}}
	}
	mineDisc, peerLatest := peerCIB("DISCONNECT", "LATEST")
	mineLatest, peerDisc := peerCIB("LATEST", "DISCONNECT")
	tests := []struct {
		name     string
		f        LockClearFacts
		force    bool
		remove   bool
		refusals []lockfile.Code
		grounds  []lockfile.Code
	}{
		{name: "live CIB: lockfile.Decide alone", f: LockClearFacts{Base: latest, LiveCIB: true, Peer: PeerFacts{Err: "no route"}},
			remove: true, grounds: []lockfile.Code{lockfile.GroundLatest}},
		{name: "live CIB DISCONNECT: refused", f: LockClearFacts{Base: lockfile.Facts{Lock: lock, PG: lockfile.PGStopped, DataStatus: "DISCONNECT", DataStatusFound: true}, LiveCIB: true},
			refusals: []lockfile.Code{lockfile.DataBehind}},
		{name: "peer promoted on a newer timeline", f: LockClearFacts{Base: latest, Local: me, Peer: promoted, MineInPeer: mineDisc, PeerStatus: peerLatest},
			refusals: []lockfile.Code{lockfile.PeerPrimary, lockfile.PeerLatest, lockfile.PeerSaysBehind, lockfile.PeerNewerTimeline}},
		{name: "peer stopped, newer timeline only", f: LockClearFacts{Base: latest, Local: me,
			Peer: PeerFacts{Host: "h", PGState: PeerPGStopped, Control: ctl("shut down", 4, 0x6000000)}},
			refusals: []lockfile.Code{lockfile.PeerNewerTimeline}},
		{name: "peer's CIB says it is LATEST", f: LockClearFacts{Base: latest, Local: me, Peer: stoppedStandby, MineInPeer: mineLatest, PeerStatus: []Observation{{Value: "LATEST", Found: true}}},
			refusals: []lockfile.Code{lockfile.PeerLatest}},
		{name: "peer's CIB says PRI: it runs as primary", f: LockClearFacts{Base: latest, Local: me,
			Peer: PeerFacts{Host: "h", PacemakerRunning: true, PGState: PeerPGRunning, Control: ctl("in production", 3, 0x5000028),
				Cluster: &status.Model{Nodes: []status.Node{{Name: "node2", Online: true, Role: attrd.RoleStopped, PgsqlStatus: "PRI"}}}}},
			refusals: []lockfile.Code{lockfile.PeerPrimary}},
		{name: "peer stopped standby, same timeline, behind: allowed", f: LockClearFacts{Base: latest, Local: me,
			Peer: PeerFacts{Host: "h", PGState: PeerPGStopped, Control: ctl("shut down in recovery", 3, 0x4000028)}, MineInPeer: mineLatest, PeerStatus: peerDisc},
			remove: true, grounds: []lockfile.Code{lockfile.GroundLatest, lockfile.GroundPeerBehind}},
		{name: "peer stopped standby, same position: allowed", f: LockClearFacts{Base: latest, Local: me, Peer: stoppedStandby},
			remove: true, grounds: []lockfile.Code{lockfile.GroundLatest, lockfile.GroundPeerBehind}},
		{name: "peer on an older timeline: allowed", f: LockClearFacts{Base: latest, Local: me,
			Peer: PeerFacts{Host: "h", PGState: PeerPGStopped, Control: ctl("shut down in recovery", 2, 0x9000000)}},
			remove: true, grounds: []lockfile.Code{lockfile.GroundLatest, lockfile.GroundPeerBehind}},
		{name: "peer same timeline but further", f: LockClearFacts{Base: latest, Local: me,
			Peer: PeerFacts{Host: "h", PGState: PeerPGStopped, Control: &pg.ControlData{State: "shut down in recovery", TLI: 3, CheckpointLSN: 0x5000100, MinRecoveryLSN: 0x5000200, MinRecoveryTLI: 3}}},
			refusals: []lockfile.Code{lockfile.PeerAhead}},
		{name: "this node crashed: its WAL end, not its checkpoint, counts", f: LockClearFacts{Base: latest,
			Local: LocalFacts{Control: ctl("in production", 3, 0x5000028), WALEnd: WALEnd{LastRecord: 0x5000300, Known: true}},
			Peer:  PeerFacts{Host: "h", PGState: PeerPGStopped, Control: &pg.ControlData{State: "shut down in recovery", TLI: 3, CheckpointLSN: 0x5000100, MinRecoveryLSN: 0x5000350, MinRecoveryTLI: 3}}},
			remove: true, grounds: []lockfile.Code{lockfile.GroundLatest, lockfile.GroundPeerBehind}},
		{name: "peer unreachable: refused", f: LockClearFacts{Base: latest, Local: me, Peer: PeerFacts{Host: "h", Err: "ssh: No route to host"}},
			refusals: []lockfile.Code{lockfile.PeerUnreachable}},
		{name: "peer unreachable, forced", force: true, f: LockClearFacts{Base: latest, Local: me, Peer: PeerFacts{Host: "h", Err: "ssh: No route to host"}},
			remove: true, refusals: []lockfile.Code{lockfile.PeerUnreachable}, grounds: []lockfile.Code{lockfile.GroundLatest, lockfile.GroundForced}},
		{name: "peer's control file unreadable", f: LockClearFacts{Base: latest, Local: me, Peer: PeerFacts{Host: "h", PGState: PeerPGUnknown, ControlErr: "x"}},
			refusals: []lockfile.Code{lockfile.PeerUnknown}},
		{name: "local refusals stay", f: LockClearFacts{Base: lockfile.Facts{Lock: lock, PG: lockfile.PGStopped, DataStatusErr: errString("x")}, Local: me, Peer: stoppedStandby},
			refusals: []lockfile.Code{lockfile.DataUnreadable}},
		{name: "no lock", f: LockClearFacts{Base: lockfile.Facts{}}, grounds: []lockfile.Code{lockfile.NoLock}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := DecideLockClear(tt.f, tt.force)
			// Grounds matter only when the lock goes (refused decisions
			// keep lockfile.Decide's, unprinted).
			if d.Remove != tt.remove || !slices.Equal(d.Refusals, tt.refusals) || (d.Remove && !slices.Equal(d.Grounds, tt.grounds)) {
				t.Errorf("got remove %v refusals %v grounds %v; want %v %v %v", d.Remove, d.Refusals, d.Grounds, tt.remove, tt.refusals, tt.grounds)
			}
		})
	}
}

type errString string

func (e errString) Error() string { return string(e) }
