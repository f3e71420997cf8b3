// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/pg"
)

// Replication slots (replication_slot_name). The agent owns exactly the
// physical slots named <base>_<member> for the members of node_list, and
// manages them so that none keeps WAL for a node that is not coming back
// (docs/compatibility.md, "Replication slots"):
//
//   - start (as a standby) drops every such slot left on this server from
//     a time it was primary: on a standby they only pin WAL;
//   - promote re-creates the slot of every other member, without reserving
//     WAL (restart_lsn stays empty until the member streams from it);
//   - the primary's monitor keeps a slot while its member streams or
//     Pacemaker still runs the member's instance (it is expected back),
//     and releases it — drop, then re-create without reserved WAL, so the
//     member can still connect — once the member is not streaming and its
//     instance is not running. A member that returns after its WAL was
//     recycled then needs restore_command (the archive) or a base backup.
//
// A slot in use (active) is never dropped, nor is any slot of another name
// or type.

// memberSlot is what the primary knows about one member's slot.
type memberSlot struct {
	Node, Slot string
	pg.SlotFact
	// Connected: a WAL sender serves the member (any state).
	Connected bool
	// Running: Pacemaker runs the member's instance on an online node
	// and the member has not said STOP.
	Running bool
}

// slotAction is what the primary does with a member's slot.
type slotAction int

const (
	slotKeep    slotAction = iota
	slotCreate             // missing: create it (no WAL reserved), so the member can connect
	slotRelease            // drop it and create it again without reserved WAL
)

func (s slotAction) String() string {
	return [...]string{"keep", "create", "release"}[s]
}

// decideMemberSlot is the primary's rule for one member's slot. Keeping
// the slot of a member Pacemaker still runs is the trade-off: a standby
// cut off from the primary but running pins WAL until it returns (bounded
// only by max_slot_wal_keep_size); a member that is stopped or whose node
// left the cluster does not.
func decideMemberSlot(m memberSlot) slotAction {
	switch {
	case !m.Exists:
		return slotCreate
	case m.Active || m.Connected:
		return slotKeep
	case m.Lost:
		// Unusable: a member connecting to it is refused for good.
		return slotRelease
	case m.Reserved && !m.Running:
		return slotRelease
	}
	return slotKeep
}

// needsRunning reports whether decideMemberSlot's answer for m depends on
// m.Running.
func needsRunning(m memberSlot) bool {
	m.Running = true
	kept := decideMemberSlot(m)
	m.Running = false
	return decideMemberSlot(m) != kept
}

// memberSlots maps the slot name of each of the given members to the
// member, and reads those slots on the invocation's session.
func (a *Agent) memberSlots(ctx context.Context, members []string) (map[string]string, map[string]pg.SlotFact, error) {
	byName := map[string]string{}
	for _, n := range members {
		byName[pg.SlotName(a.Cfg.ReplicationSlotName, n)] = n
	}
	c, err := a.conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	facts, err := c.Slots(ctx, sortedKeys(byName), a.pgVersion())
	return byName, facts, err
}

// dropLeftoverSlots runs at start, on the new standby: every member slot
// still on this server was left by a time it was primary, and nothing
// streams from a standby through them.
func (a *Agent) dropLeftoverSlots(ctx context.Context) error {
	if a.Cfg.ReplicationSlotName == "" {
		return nil
	}
	byName, facts, err := a.memberSlots(ctx, a.Cfg.NodeList)
	if err != nil {
		return err
	}
	for _, name := range sortedKeys(byName) {
		f := facts[name]
		if !f.Exists {
			continue
		}
		if f.Active {
			a.Log.Warnf("replication slot %s is in use; not dropping it", name)
			continue
		}
		dc, err := a.dbaConn(ctx)
		if err != nil {
			return err
		}
		dropped, err := dc.DropSlot(ctx, name)
		if err != nil {
			return err
		}
		if dropped {
			a.Log.Infof("dropped replication slot %s, left from when this node was primary", name)
		}
	}
	return nil
}

// ensureSlots runs after promote: one slot per other member, re-created
// so that no slot inherited from an earlier time as primary keeps old WAL.
func (a *Agent) ensureSlots(ctx context.Context) error {
	if a.Cfg.ReplicationSlotName == "" {
		return nil
	}
	byName, facts, err := a.memberSlots(ctx, a.others())
	if err != nil {
		return err
	}
	dc, err := a.dbaConn(ctx)
	if err != nil {
		return err
	}
	for _, name := range sortedKeys(byName) {
		f := facts[name]
		if f.Active {
			continue
		}
		if f.Exists {
			if dropped, err := dc.DropSlot(ctx, name); err != nil {
				return err
			} else if !dropped {
				continue // became active meanwhile
			}
		}
		if err := dc.CreateSlot(ctx, name); err != nil {
			return err
		}
		a.Log.Infof("created replication slot %s for %s", name, byName[name])
	}
	return nil
}

// manageSlots is the primary monitor's part: decideMemberSlot for every
// other member; rows are pg_stat_replication's. Whether a member runs is
// asked of the cluster (with roles: crm_mon) only for a slot that holds WAL
// for nobody connected, the one case where the answer decides. Failures
// are returned for the caller to log; they never decide the monitor's
// result.
func (a *Agent) manageSlots(ctx context.Context, rows []pg.ReplRow) error {
	if a.Cfg.ReplicationSlotName == "" {
		return nil
	}
	byName, facts, err := a.memberSlots(ctx, a.others())
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range sortedKeys(byName) {
		node := byName[name]
		_, connected := findRow(rows, node)
		m := memberSlot{Node: node, Slot: name, SlotFact: facts[name], Connected: connected, Running: true}
		if needsRunning(m) {
			cl, err := a.attrs.Cluster(ctx)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			status, _ := cl.Attr(node, attrNames(&a.Cfg).Status())
			m.Running = cl.Online(node) && cl.RoleOn(a.Cfg.Resource, node) != attrd.RoleStopped && status != attrd.StatusStop
		}
		act := decideMemberSlot(m)
		if act == slotKeep {
			continue
		}
		dc, err := a.dbaConn(ctx)
		if err != nil {
			return err
		}
		if act == slotRelease {
			dropped, err := dc.DropSlot(ctx, name)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if !dropped {
				continue
			}
		}
		if err := dc.CreateSlot(ctx, name); err != nil {
			errs = append(errs, err)
			continue
		}
		if act == slotRelease {
			a.Log.Warnf("released replication slot %s: %s is not streaming and its instance is not running, so the slot no longer keeps WAL for it (if that WAL is recycled before %s returns, it needs the archive or a base backup)", name, node, node)
		} else {
			a.Log.Infof("created replication slot %s for %s", name, node)
		}
	}
	return errors.Join(errs...)
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
