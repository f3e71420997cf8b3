// SPDX-License-Identifier: Apache-2.0

package procedure

import (
	"strconv"

	"github.com/pgrex/pgrex/attrd"
)

// StopOptions are the operator's choices for stop.
type StopOptions struct {
	// All stops both nodes, the standby first (manual 4.4).
	All bool
	// Fast skips the CHECKPOINT before each stop (PG-REX -f).
	Fast bool
}

// DecideStop plans pg-rex_stop (docs/operations.md, stop) and the
// manual's whole cluster stop (4.4):
//
//   - single node: nothing to do when Pacemaker is not running here; a
//     CHECKPOINT (unless --fast: it shortens the shutdown checkpoint),
//     stop Pacemaker, wait until it and PostgreSQL are gone. Stopping the
//     primary is confirmed; while a standby runs it says that a failover
//     follows and that switchover is the way to move the primary;
//   - --all: the standby first, then the primary (stopping the primary
//     first would fail over), the peer over ssh; each stop is waited for
//     before the next.
func DecideStop(s Settings, c ClusterFacts, o StopOptions) Decision {
	d := Decision{Plan: Plan{Procedure: "stop"}}
	m := c.Cluster
	localPrimary := c.PGPrimary
	peerRuns := c.PeerPacemakerRunning
	peerStandby := false
	peerPrimary := false
	peerPG := true // whether PostgreSQL may run on the peer (unknown = yes)
	peerName := s.Peer
	if m != nil {
		if n, ok := m.Node(s.Node); ok {
			localPrimary = n.Role == attrd.RolePromoted || (n.Role == attrd.RoleStopped && c.PGPrimary)
		}
		if p := peerOf(m, s.Node); p != nil {
			peerName = p.Name
			peerRuns = peerRuns || p.Online
			peerStandby = p.Online && (p.Role == attrd.RoleUnpromoted || p.Role == attrd.RoleStarted)
			peerPrimary = p.Online && p.Role == attrd.RolePromoted
			peerPG = !p.Online || p.Role != attrd.RoleStopped
		}
	}
	if !o.All || s.PeerHost == "" {
		if o.All {
			d.note("peer-unknown")
		}
		if !c.PacemakerRunning {
			d.note("already-stopped", s.Node)
			return d
		}
		if localPrimary && peerStandby {
			d.note("failover-warning", s.Node, peerName)
		}
		stopNode(&d, s, "", s.Node, localPrimary, localPrimary && peerStandby, c.PostgresRunning, o)
		if peerRuns && s.PeerHost != "" {
			// The peer goes on: the stop is complete once its cluster
			// has settled (docs/operations.md).
			d.Plan.Steps[len(d.Plan.Steps)-1].Wait.SettleHost = s.PeerHost
		}
		return d
	}
	if !peerRuns && c.PeerErr != "" && m == nil {
		d.refuse("peer-unreachable", orHost(peerName, s.PeerHost), c.PeerErr)
		return d
	}
	local := func() {
		if c.PacemakerRunning {
			stopNode(&d, s, "", s.Node, localPrimary, false, c.PostgresRunning, o)
		} else {
			d.note("already-stopped", s.Node)
		}
	}
	remote := func(primary bool) {
		if peerRuns {
			node := orHost(peerName, s.PeerHost)
			if m == nil && !c.PacemakerRunning {
				// Nothing here tells the peer's role: it may be the primary.
				if !o.Fast {
					d.add(Step{Kind: KindRun, Code: "checkpoint", Args: []string{node}, IgnoreError: true,
						Cmd: &Command{Host: s.PeerHost, User: s.PGUser, Argv: psqlArgv(s, "CHECKPOINT"), Timeout: s.CommandTimeout}})
				}
				d.add(stopPacemaker(s, s.PeerHost, node, true, "stop-unknown-role"))
				d.add(Step{Kind: KindWait, Code: "wait-stopped", Args: []string{node, s.WaitTimeout.String()},
					Wait: &WaitSpec{Kind: WaitStopped, Node: node, Host: s.PeerHost, Timeout: s.WaitTimeout}})
				return
			}
			stopNode(&d, s, s.PeerHost, node, primary, false, peerPG, o)
		} else {
			d.note("already-stopped", orHost(peerName, s.PeerHost))
		}
	}
	switch {
	case localPrimary:
		remote(false)
		local()
	default:
		// This node is the standby, or its role is unknown (no cluster
		// view): it goes first, and the peer — the primary, or possibly
		// so — is stopped with confirmation.
		local()
		remote(peerPrimary || m == nil)
	}
	return d
}

// stopNode adds the steps that stop one node (host "" = this node).
func stopNode(d *Decision, s Settings, host, node string, primary, failover, pgRunning bool, o StopOptions) {
	if !o.Fast && pgRunning {
		d.add(Step{Kind: KindRun, Code: "checkpoint", Args: []string{node}, IgnoreError: true,
			Cmd: &Command{Host: host, User: s.PGUser, Argv: psqlArgv(s, "CHECKPOINT"), Timeout: s.CommandTimeout}})
	}
	code := "stop-standby"
	switch {
	case !primary && !pgRunning:
		code = "stop-node" // e.g. a failed primary: not a standby
	case failover:
		code = "stop-primary-failover"
	case primary:
		code = "stop-primary"
	}
	d.add(stopPacemaker(s, host, node, primary, code))
	d.add(Step{Kind: KindWait, Code: "wait-stopped", Args: []string{node, s.WaitTimeout.String()},
		Wait: &WaitSpec{Kind: WaitStopped, Node: node, Host: host, Timeout: s.WaitTimeout}})
}

// psqlArgv runs one SQL statement with psql on the local server.
func psqlArgv(s Settings, sql string) []string {
	argv := []string{orHost(s.PSQL, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"}
	if s.PGPort != "" {
		argv = append(argv, "-p", s.PGPort)
	}
	if s.SocketDir != "" {
		argv = append(argv, "-h", s.SocketDir)
	}
	return append(argv, "-d", orHost(s.PGDB, "template1"), "-c", sql)
}

func itoa(n int) string { return strconv.Itoa(n) }
