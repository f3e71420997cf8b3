// SPDX-License-Identifier: Apache-2.0

package procedure

import (
	"fmt"
	"strings"
	"time"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/msg"
	"github.com/pgrex/pgrex/ra/lockfile"
	"github.com/pgrex/pgrex/ra/pg"
)

// LockClearFacts is what DecideLockClear needs: this node's facts as
// lockfile.Decide reads them and, when they came from this node's own
// memory, the peer's.
type LockClearFacts struct {
	// Base are this node's facts (lock, PostgreSQL role, data-status,
	// backup_label).
	Base lockfile.Facts
	// LiveCIB: Base.DataStatus was read from the running cluster here.
	LiveCIB bool
	// Local is this node's control data (Timeline, position).
	Local LocalFacts
	// Peer is what the peer said over ssh; MineInPeer is this node's
	// data-status and PeerStatus the peer's own, as the peer's CIB (live,
	// else its file) tells them.
	Peer       PeerFacts
	MineInPeer []Observation
	PeerStatus []Observation
	// PeerNode is the peer's cluster name ("" = unknown).
	PeerNode string
}

// DecideLockClear applies the rule of `pgrex lock clear`
// (docs/operations.md):
//
//   - with Pacemaker running here the data-status comes from the live CIB,
//     which a promotion of the peer updates: lockfile.Decide alone;
//   - otherwise this node's data-status is its own memory of the time it
//     left (its on-disk CIB still says LATEST after the peer was
//     promoted), so the peer must be asked too, and every one of these
//     must hold: the peer answers; it does not run as primary; its CIB
//     says neither that it is LATEST/PRI nor that this node lacks data;
//     its timeline is not above this node's, and on the same timeline its
//     last checkpoint does not start beyond this node's end of WAL. Then lockfile.Decide's grounds
//     stand, with the peer's evidence added.
//
// force removes the lock despite the refusals (still listed).
func DecideLockClear(f LockClearFacts, force bool) lockfile.Decision {
	d := lockfile.Decide(f.Base, false)
	if !f.Base.Lock.Exists || f.LiveCIB {
		if force && !d.Remove {
			d.Remove = true
			d.Grounds = append(d.Grounds, lockfile.GroundForced)
		}
		return d
	}
	refuse := func(c lockfile.Code) { d.Refusals = append(d.Refusals, c) }
	p := f.Peer
	switch {
	case p.Err != "":
		refuse(lockfile.PeerUnreachable)
	default:
		if peerRunsPrimary(f) {
			refuse(lockfile.PeerPrimary)
		}
		for _, ob := range f.PeerStatus {
			if ob.Found && ob.Value == attrd.DataLatest {
				refuse(lockfile.PeerLatest)
				break
			}
		}
		for _, ob := range f.MineInPeer {
			if ob.Found && ob.Value != attrd.DataLatest && ob.Value != attrd.DataSync {
				refuse(lockfile.PeerSaysBehind)
				break
			}
		}
		lc := f.Local.Control
		switch {
		case p.Control == nil || lc == nil:
			refuse(lockfile.PeerUnknown)
		case p.Control.Timeline() > f.Local.Timeline():
			refuse(lockfile.PeerNewerTimeline)
		case p.Control.Timeline() == f.Local.Timeline() && p.Control.CheckpointLSN > localPosition(f.Local):
			refuse(lockfile.PeerAhead)
		}
	}
	d.Remove = len(d.Refusals) == 0
	if d.Remove {
		d.Grounds = append(d.Grounds, lockfile.GroundPeerBehind)
	} else if force {
		d.Remove = true
		d.Grounds = append(d.Grounds, lockfile.GroundForced)
	}
	return d
}

// peerRunsPrimary: the peer's cluster shows an online node promoted or
// PRI (this node is not in it: Pacemaker is stopped here), or its PostgreSQL runs with a control file "in production".
func peerRunsPrimary(f LockClearFacts) bool {
	p := f.Peer
	if p.Cluster != nil {
		for _, n := range p.Cluster.Nodes {
			if n.Online && (n.Role == attrd.RolePromoted || n.PgsqlStatus == attrd.StatusPrimary) {
				return true
			}
		}
	}
	return p.PGState != PeerPGStopped && p.Control != nil && p.Control.InProduction()
}

// localPosition is the start of the last record this node is known to
// have: its last checkpoint, or the end of its WAL as pg_waldump found it.
// A peer that replayed a checkpoint record starting beyond it has WAL this
// node lacks. (On this node's own timeline — the lock says it was the
// primary that created it — every record the peer has came from this
// node, so this is a consistency check on top of the timelines.)
func localPosition(l LocalFacts) pg.LSN {
	pos := l.Control.CheckpointLSN
	if l.WALEnd.Known {
		pos = max(pos, l.WALEnd.LastRecord, l.WALEnd.Bound)
	}
	return pos
}

// Reason is the message of a lockfile.Decide or DecideLockClear code: its
// catalogue key and arguments ("" for a code without one).
func (pf LockClearFacts) Reason(code lockfile.Code) (key string, args []string) {
	f := pf.Base
	switch code {
	case lockfile.PrimaryRunning:
		return "lk.primary-running", nil
	case lockfile.RoleUnknown:
		return "lk.role-unknown", nil
	case lockfile.DataBehind:
		return "lk.data-behind", []string{f.DataStatus}
	case lockfile.DataUnset:
		return "lk.data-unset", nil
	case lockfile.DataUnreadable:
		return "lk.data-unreadable", []string{f.DataStatusErr.Error()}
	case lockfile.GroundLatest:
		return "lk.data-latest", nil
	case lockfile.GroundSync:
		return "lk.data-sync", nil
	case lockfile.GroundRebuilt:
		return "lk.rebuilt", []string{f.BackupLabel.UTC().Format(time.RFC3339)}
	case lockfile.GroundForced:
		return "lk.forced-ground", nil
	}
	peer := msg.OrDash(pf.PeerNode)
	if pf.PeerNode == "" {
		peer = msg.OrDash(pf.Peer.Host)
	}
	tl := func(c *pg.ControlData, t uint32) string {
		if c == nil {
			return "?"
		}
		return fmt.Sprintf("%d (%s)", t, c.CheckpointLSN.String())
	}
	var peerTL, myTL string
	if pf.Peer.Control != nil {
		peerTL = tl(pf.Peer.Control, pf.Peer.Control.Timeline())
	}
	myTL = tl(pf.Local.Control, pf.Local.Timeline())
	switch code {
	case lockfile.PeerUnreachable:
		return "lk.peer-unreachable", []string{peer, pf.Peer.Err}
	case lockfile.PeerPrimary:
		return "lk.peer-primary", []string{peer}
	case lockfile.PeerLatest:
		return "lk.peer-latest", []string{peer, observationSources(pf.PeerStatus)}
	case lockfile.PeerSaysBehind:
		return "lk.peer-says-behind", []string{peer, observationValues(pf.MineInPeer)}
	case lockfile.PeerNewerTimeline:
		return "lk.peer-newer-timeline", []string{peer, peerTL, myTL}
	case lockfile.PeerAhead:
		return "lk.peer-ahead", []string{peer, peerTL, myTL}
	case lockfile.PeerUnknown:
		why := pf.Peer.ControlErr
		if pf.Local.Control == nil {
			why = pf.Local.ControlErr
		}
		return "lk.peer-unknown", []string{peer, msg.OrDash(why)}
	case lockfile.GroundPeerBehind:
		return "lk.peer-not-ahead", []string{peer, msg.OrDash(peerTL), myTL}
	}
	return "", nil
}

// observationSources names the CIBs that hold a value; observationValues
// renders "value (source)" for each.
func observationSources(obs []Observation) string {
	var out []string
	for _, ob := range obs {
		if ob.Found {
			out = append(out, ob.Source)
		}
	}
	return strings.Join(out, ", ")
}

func observationValues(obs []Observation) string {
	var out []string
	for _, ob := range obs {
		if ob.Found {
			out = append(out, ob.Value+" ("+ob.Source+")")
		}
	}
	return strings.Join(out, ", ")
}
