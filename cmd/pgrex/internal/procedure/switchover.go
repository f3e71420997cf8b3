// SPDX-License-Identifier: Apache-2.0

package procedure

import (
	"strings"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/status"
)

// ClusterFacts is what this node's own cluster view says (switchover and
// stop run where Pacemaker runs).
type ClusterFacts struct {
	PacemakerRunning bool `json:"pacemaker_running"`
	// Cluster is this node's crm_mon view; nil with ClusterErr when it
	// could not be read.
	Cluster    *status.Model `json:"cluster,omitempty"`
	ClusterErr string        `json:"cluster_error,omitempty"`
	// PostgresRunning and PGRole describe the local PostgreSQL.
	PostgresRunning bool `json:"postgres_running"`
	PGPrimary       bool `json:"pg_primary,omitempty"`
	// PeerPacemakerRunning is the peer's pacemakerd (asked over ssh by
	// stop --all); PeerErr when it could not be asked.
	PeerPacemakerRunning bool   `json:"peer_pacemaker_running,omitempty"`
	PeerErr              string `json:"peer_error,omitempty"`
}

// SwitchoverOptions are the operator's choices for switchover.
type SwitchoverOptions struct {
	// SharedArchive: one archive directory for both nodes (no sync).
	SharedArchive bool
}

// DecideSwitchover checks the conditions of pg-rex_switchover (see
// docs/operations.md, `pgrex switchover`: Pacemaker and PostgreSQL running
// on both nodes, one primary and one synchronous standby) plus what the manual's crm_resource procedure (6.3)
// needs — no maintenance mode, pgsql managed, no move/ban constraint left
// over — and plans the first half of the switchover, run on the primary:
//
//  1. crm_resource --ban --promoted: the promoted role leaves this node
//     (with two nodes it can only go to the standby; the agent's demote
//     stops PostgreSQL with a fast shutdown, which the synchronous
//     standby receives completely);
//  2. wait until the peer is PRI/LATEST with the primary's VIPs;
//  3. crm_resource --clear (manual 6.3 (3));
//  4. stop Pacemaker here and wait for it.
//
// The second half is standby-start on this node with
// StandbyOptions.Switchover, decided from the facts as they are then (the
// new primary's promote point is only known after step 2).
func DecideSwitchover(s Settings, c ClusterFacts, o SwitchoverOptions) Decision {
	d := Decision{Plan: Plan{Procedure: "switchover"}}
	// The second half needs the peer over ssh and the archive: a switchover
	// that could not rejoin this node would leave the cluster without a
	// standby, so both are checked before anything moves.
	switch {
	case s.PeerHost == "":
		d.refuse("no-peer-address")
	case c.PeerErr != "":
		d.refuse("peer-unreachable", orHost(s.Peer, s.PeerHost), c.PeerErr)
	}
	if !o.SharedArchive && s.ArchiveDir == "" {
		d.refuse("no-archive-dir")
	}
	if !c.PacemakerRunning {
		d.refuse("pacemaker-not-running-here", s.Node)
		return d
	}
	m := c.Cluster
	if m == nil {
		d.refuse("status-unreadable", c.ClusterErr)
		return d
	}
	if len(m.Nodes) != 2 {
		d.refuse("not-two-nodes", itoa(len(m.Nodes)))
	}
	me, ok := m.Node(s.Node)
	if !ok {
		d.refuse("node-unknown", s.Node)
		return d
	}
	peer := peerOf(m, s.Node)
	for _, n := range m.Nodes {
		if !n.Online || n.Standby || n.Unclean {
			d.refuse("node-not-online", n.Name)
		}
	}
	if len(promoted(m)) > 1 {
		d.refuse("two-primaries", strings.Join(promoted(m), ", "))
	}
	if me.Role != attrd.RolePromoted || me.PgsqlStatus != attrd.StatusPrimary || me.DataStatus != attrd.DataLatest {
		d.refuse("not-primary-here", s.Node, string(me.Role), me.PgsqlStatus, me.DataStatus)
	}
	if peer == nil {
		d.refuse("no-standby")
	} else if peer.Role != attrd.RoleUnpromoted || peer.PgsqlStatus != attrd.StatusSync || peer.DataStatus != attrd.DataSync {
		d.refuse("standby-not-sync", peer.Name, string(peer.Role), peer.PgsqlStatus, peer.DataStatus)
	}
	if m.MaintenanceMode {
		d.refuse("maintenance-mode")
	}
	if m.ResourceUnmanaged {
		d.refuse("unmanaged", m.Resource)
	}
	for _, b := range m.Bans {
		if strings.HasPrefix(b.ID, "cli-") {
			d.refuse("constraint-present", b.ID, b.Resource)
		}
	}
	clone := s.Clone
	if clone == "" {
		clone = m.Clone
	}
	if clone == "" {
		d.refuse("no-clone", m.Resource)
	}
	if d.Refused() {
		return d
	}
	d.add(Step{Kind: KindRun, Code: "ban-promoted", Args: []string{clone, s.Node, peer.Name}, Destructive: true,
		Cmd: &Command{Argv: append([]string{"crm_resource"}, s.Dialect.BanArgs(clone, s.Node, true)...),
			Timeout: s.CommandTimeout}})
	d.add(Step{Kind: KindWait, Code: "wait-primary", Args: []string{peer.Name, s.WaitTimeout.String()},
		Wait: &WaitSpec{Kind: WaitPrimary, Node: peer.Name, Timeout: s.WaitTimeout}})
	d.add(Step{Kind: KindRun, Code: "clear-constraint", Args: []string{clone},
		Cmd: &Command{Argv: append([]string{"crm_resource"}, attrd.ClearArgs(clone, "")...), Timeout: s.CommandTimeout}})
	d.add(stopPacemaker(s, "", s.Node, false, "stop-pacemaker"))
	d.add(Step{Kind: KindWait, Code: "wait-stopped", Args: []string{s.Node, s.WaitTimeout.String()},
		Wait: &WaitSpec{Kind: WaitStopped, Node: s.Node, Timeout: s.WaitTimeout}})
	return d
}

func peerOf(m *status.Model, me string) *status.Node {
	for i := range m.Nodes {
		if m.Nodes[i].Name != me {
			return &m.Nodes[i]
		}
	}
	return nil
}

func promoted(m *status.Model) []string {
	var out []string
	for _, n := range m.Nodes {
		if n.Role == attrd.RolePromoted {
			out = append(out, n.Name)
		}
	}
	return out
}
