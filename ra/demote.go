// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"context"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/atomicfile"
	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/ra/ocf"
)

// demote stops the primary (PG-REX's stop_on_demote): a former primary
// never turns into a standby by itself. The lock is removed only when no
// standby existed when the transition was computed — the last node standing
// stopped cleanly, so its data is the newest.
//
// As in stopMember, cluster writes are single attempts until the server is
// down.
func (a *Agent) demote(ctx context.Context) (ocf.Status, error) {
	a.attrs.Once = true
	defer func() { a.attrs.Once = false }()
	if err := a.attrs.SetScore(ctx, a.node, attrd.ScoreCanNotPromote); err != nil {
		a.Log.Warnf("%s", cmdrun.OneLine(err.Error()))
	}
	if err := a.attrs.Delete(ctx, a.node, attrNames(&a.Cfg).MasterBaseline(), attrd.Reboot); err != nil {
		a.Log.Warnf("%s", cmdrun.OneLine(err.Error()))
	}
	live, err := a.liveness()
	if err != nil || live.Running {
		if err := a.stopServer(ctx, a.Cfg.StopEscalate); err != nil {
			_ = a.setMyStatus(ctx, attrd.StatusUnknown)
			return 0, err
		}
		if decideLockRemoval(a.Meta.Notify) {
			if removed, err := atomicfile.Remove(a.Cfg.LockFile()); err != nil {
				a.Log.Warnf("%s", cmdrun.OneLine(err.Error()))
			} else if removed {
				a.Log.Infof("removed %s: no standby was running, this node's data is the newest", a.Cfg.LockFile())
			}
		}
	} else {
		a.Log.Infof("PostgreSQL was already stopped at demote; %s is left as it is", a.Cfg.LockFile())
	}
	a.attrs.Once = false
	if err := a.setMyStatus(ctx, attrd.StatusStop); err != nil {
		a.Log.Warnf("%s", cmdrun.OneLine(err.Error()))
	}
	return ocf.Success, nil
}

// decideLockRemoval is the shell agent's rule: remove PGSQL.lock at demote
// only when the notify data is present and lists no unpromoted instance.
// Without notify=true the data is absent and the lock always stays.
func decideLockRemoval(n ocf.Notify) bool {
	return n.Unpromoted.Present && len(n.Unpromoted.Uname) == 0
}
