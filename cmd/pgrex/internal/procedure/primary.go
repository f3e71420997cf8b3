// SPDX-License-Identifier: Apache-2.0

package procedure

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/lockfile"
)

// PrimaryOptions are the operator's choices for primary-start.
type PrimaryOptions struct {
	// IgnorePeer: the peer is known to be down (powered off, fenced);
	// start although it cannot be asked.
	IgnorePeer bool
}

// DecidePrimaryStart applies pg-rex_primary_start's checks
// (docs/operations.md, primary-start), stricter, and plans the start:
//
//   - Pacemaker must not run here, nor PostgreSQL outside it;
//   - no second primary: the peer's cluster view shows no Promoted
//     instance and no PRI, and the peer's control file does not say "in
//     production" (a running primary outside Pacemaker, or one that crashed
//     as primary); a peer that cannot be asked refuses the start unless
//     the operator says it is down;
//   - this node's pgsql-data-status, in every CIB that can be read (the
//     peer's live or on-disk CIB knows about promotes this node missed),
//     is unset (first start), LATEST or STREAMING|SYNC; and STREAMING|SYNC
//     only while the peer is not LATEST (manual 4.2 (1): start the node
//     that was primary);
//   - the peer is not on a later timeline (it was promoted after this
//     node's last checkpoint);
//   - PGSQL.lock: removed, with confirmation, when ra/lockfile's rule
//     allows it (LATEST/STREAMING|SYNC, or rebuilt since); refused
//     otherwise — the manual's "remove the lock on the node with the
//     newest data" (4.2 (5)).
//
// The plan: remove the lock, remove standby.signal/recovery.signal (spec
// step 12), start Pacemaker, wait for PRI.
func DecidePrimaryStart(s Settings, l LocalFacts, p PeerFacts, o PrimaryOptions) Decision {
	d := Decision{Plan: Plan{Procedure: "primary-start"}}
	if l.PacemakerRunning {
		d.refuse("pacemaker-running-here", s.Node)
	}
	if l.PostgresRunning {
		d.refuse("postgres-running-here", s.PGData)
	}
	if !l.PGDataExists {
		d.refuse("no-data", s.PGData)
	}
	if l.RewindMarker {
		d.refuse("rewind-incomplete", s.PGData)
	}
	if l.AgentRejoin != "" {
		d.refuse("agent-rejoin-incomplete", s.PGData, l.AgentRejoin)
	}
	if l.PGDataExists && l.Control == nil {
		d.refuse("control-unreadable", s.PGData, l.ControlErr)
	}
	for _, src := range l.NotInCIB {
		d.refuse("node-not-in-cib", s.Node, src)
	}
	if l.LockErr != "" {
		d.refuse("lock-unreadable", l.LockErr)
	}

	peer := orHost(s.Peer, p.Host)
	switch {
	case p.Err != "" && o.IgnorePeer:
		d.note("peer-ignored", peer, p.Err)
	case p.Err != "":
		d.refuse("peer-unreachable", peer, p.Err)
	default:
		before := len(d.Refusals)
		checkNoPrimary(&d, s, p)
		if p.Control != nil && p.Control.InProduction() && len(d.Refusals) == before {
			// A primary that crashed (kill -9, an immediate stop) leaves
			// "in production" behind; whether this node may start is then
			// the data-status rule's question, as after any failover. Only
			// a server that still runs, or one that cannot be checked, is
			// a second primary.
			if p.PGState == PeerPGStopped {
				d.note("peer-crashed-primary", peer)
			} else {
				d.refuse("peer-in-production", peer)
			}
		}
		if p.Control != nil && l.Control != nil && p.Control.Timeline() > l.Timeline() {
			d.refuse("peer-newer-timeline", peer, fmt.Sprint(p.Control.Timeline()), fmt.Sprint(l.Timeline()))
		}
		if p.ControlErr != "" {
			d.note("peer-control-unknown", peer, p.ControlErr)
		}
	}

	// This node's data-status, in every CIB that knows it.
	var mine string
	found := false
	for _, ob := range l.DataStatus {
		if !ob.Found {
			continue
		}
		if ob.Value != attrd.DataLatest && ob.Value != attrd.DataSync {
			d.refuse("data-status", ob.Value, ob.Source)
			continue
		}
		if !found || ob.Value != attrd.DataLatest {
			mine = ob.Value // the weaker claim wins
		}
		found = true
	}
	if found && mine == attrd.DataSync {
		for _, ob := range l.PeerDataStatus {
			if ob.Found && ob.Value == attrd.DataLatest {
				d.refuse("peer-is-latest", peer, ob.Source)
				break
			}
		}
	}
	if !found {
		d.note("data-status-unset", s.Node)
	}

	if l.Lock.Exists {
		ld := lockfile.Decide(lockfile.Facts{Lock: l.Lock, PG: lockfile.PGStopped, DataStatus: mine,
			DataStatusFound: found, BackupLabel: l.BackupLabel}, false)
		if ld.Remove {
			d.add(Step{Kind: KindRemoveFile, Code: "remove-lock", Args: []string{l.Lock.Path, codes(ld.Grounds)},
				Path: l.Lock.Path, Destructive: true})
		} else {
			d.refuse("lock-present", l.Lock.Path, codes(ld.Refusals))
		}
	}
	if d.Refused() {
		d.Plan.Steps = nil
		return d
	}
	for _, name := range l.Signals {
		d.add(Step{Kind: KindRemoveFile, Code: "remove-signal", Args: []string{filepath.Join(s.PGData, name)},
			Path: filepath.Join(s.PGData, name)})
	}
	d.add(startPacemaker(s))
	d.add(Step{Kind: KindWait, Code: "wait-primary", Args: []string{s.Node, s.WaitTimeout.String()},
		Wait: &WaitSpec{Kind: WaitPrimary, Node: s.Node, Timeout: s.WaitTimeout}})
	return d
}

// checkNoPrimary refuses when the peer's cluster view shows a primary:
// pgsql Promoted on any node, or pgsql-status PRI anywhere.
func checkNoPrimary(d *Decision, s Settings, p PeerFacts) {
	if !p.PacemakerRunning {
		return
	}
	if p.Cluster == nil {
		d.refuse("peer-status-unknown", orHost(s.Peer, p.Host), p.ClusterErr)
		return
	}
	for _, n := range p.Cluster.Nodes {
		if n.Role == attrd.RolePromoted || n.PgsqlStatus == attrd.StatusPrimary {
			d.refuse("primary-running", n.Name)
		}
	}
}

func startPacemaker(s Settings) Step {
	return Step{Kind: KindRun, Code: "start-pacemaker", Args: []string{s.Node, quoteArgv(s.StartPacemaker)},
		Cmd: &Command{Argv: s.StartPacemaker, Detach: true, Timeout: s.WaitTimeout}}
}

func stopPacemaker(s Settings, host, node string, destructive bool, code string) Step {
	return Step{Kind: KindRun, Code: code, Args: []string{node, quoteArgv(s.StopPacemaker)}, Destructive: destructive,
		Cmd: &Command{Host: host, Argv: s.StopPacemaker, Timeout: s.WaitTimeout}}
}

func orHost(name, host string) string {
	if name != "" {
		return name
	}
	return host
}

func codes(cs []lockfile.Code) string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return strings.Join(out, ", ")
}
