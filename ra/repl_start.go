// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"context"
	"time"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/fsutil"
	"github.com/pgrex/pgrex/ra/pg"
)

// replStart starts PostgreSQL as a hot standby of master_ip. A node whose
// PGSQL.lock exists was primary when it last stopped and may hold WAL the
// new primary lacks: it is refused until the operator has rebuilt it and
// removed the lock.
func (a *Agent) replStart(ctx context.Context) int {
	// The attributes say "stopped, not promotable" whatever happens next,
	// as with the shell agent (a refused start shows STOP in crm_mon).
	if err := a.setMyStatus(ctx, attrd.StatusStop); err != nil {
		a.Log.ExitReason("%s", oneLine(err))
		return OCFErrGeneric
	}
	if err := a.setScore(ctx, a.node, attrd.ScoreCanNotPromote); err != nil {
		a.Log.ExitReason("%s", oneLine(err))
		return OCFErrGeneric
	}
	for _, name := range []string{a.Cfg.names().MasterBaseline(), a.Cfg.names().XlogLoc(), a.Cfg.names().XlogTLI()} {
		if err := a.delAttr(ctx, a.node, name, attrd.Reboot); err != nil {
			a.Log.ExitReason("%s", oneLine(err))
			return OCFErrGeneric
		}
	}
	locked, err := a.lockExists()
	if err != nil {
		a.Log.ExitReason("%s", oneLine(err))
		return OCFErrGeneric
	}
	if locked {
		a.Log.ExitReason("My data may be inconsistent. You have to remove %s file to force start.", a.Cfg.LockFile())
		return OCFErrGeneric
	}
	live, err := pg.CheckLiveness(a.Cfg.PgData)
	if err != nil {
		a.Log.ExitReason("%s", oneLine(err))
		return OCFErrGeneric
	}
	if live.Running {
		// Upstream behaviour: an instance Pacemaker did not know to be
		// running is not adopted by start (a probe adopts it instead).
		a.Log.ExitReason("PostgreSQL is already running (PID %d) outside Pacemaker's control", live.PID)
		return OCFErrGeneric
	}
	if _, err := fsutil.Remove(a.noteFile()); err != nil {
		a.Log.ExitReason("%s", oneLine(err))
		return OCFErrGeneric
	}
	if err := a.prepareStandbyFiles(); err != nil {
		a.Log.ExitReason("%s", oneLine(err))
		return OCFErrGeneric
	}
	if _, err := a.writeRepMode(""); err != nil {
		a.Log.ExitReason("%s", oneLine(err))
		return OCFErrGeneric
	}
	if rc := a.prepareStart(); rc != OCFSuccess {
		return rc
	}
	if rc := a.launch(ctx); rc != OCFSuccess {
		return rc
	}
	if rc := a.waitStandby(ctx); rc != OCFSuccess {
		return rc
	}
	ce, err := a.checkPrivilege(ctx)
	if err != nil {
		a.Log.ExitReason("%s", oneLine(err))
		return OCFErrGeneric
	}
	if ce != nil {
		// PostgreSQL is left running, as after the
		// synchronous_standby_names check: Pacemaker stops it.
		a.Log.ExitReason("%s", ce.Reason)
		return ce.RC
	}
	c, err := a.conn(ctx)
	if err != nil {
		a.Log.ExitReason("%s", oneLine(err))
		return OCFErrGeneric
	}
	ssn, err := c.show(ctx, "synchronous_standby_names")
	if err != nil {
		a.Log.ExitReason("%s", oneLine(err))
		return OCFErrGeneric
	}
	if ssn != "" {
		a.Log.ExitReason("Invalid synchronous_standby_names is set in postgresql.conf.")
		return OCFErrConfigured
	}
	if err := a.dropLeftoverSlots(ctx); err != nil {
		a.Log.ExitReason("cleaning up replication slots: %s", oneLine(err))
		return OCFErrGeneric
	}
	if err := a.setMyStatus(ctx, attrd.StatusAlone); err != nil {
		a.Log.ExitReason("%s", oneLine(err))
		return OCFErrGeneric
	}
	a.Log.Infof("PostgreSQL started as a standby of %s", a.Cfg.MasterIP)
	return OCFSuccess
}

// waitStandby waits, within the budget, until the server answers as a
// standby. Coming up as a primary is a failure: two primaries must never
// run.
func (a *Agent) waitStandby(ctx context.Context) int {
	var last string
	for attempt := 0; ; attempt++ {
		c, err := a.conn(ctx)
		if err == nil {
			rec, qerr := c.inRecovery(ctx)
			switch {
			case qerr == nil && rec:
				return OCFSuccess
			case qerr == nil:
				a.Log.ExitReason("PostgreSQL came up as a primary, not as a standby")
				return OCFErrGeneric
			default:
				a.dropConn()
				last = oneLine(qerr)
			}
		} else {
			last = oneLine(err)
		}
		select {
		case <-ctx.Done():
			a.Log.ExitReason("PostgreSQL did not become a ready standby within the start timeout: %s", last)
			return OCFErrGeneric
		case <-time.After(pollInterval(attempt)):
		}
	}
}

// replStop stops PostgreSQL and leaves the attributes saying so. It never
// removes PGSQL.lock.
//
// The cluster writes before the server is down are single attempts
// (failures are warnings): a stop that ran out of time retrying a busy CIB
// would fail, and a failed stop means fencing. Once the server is down the
// remaining writes are retried within what is left of the budget.
func (a *Agent) replStop(ctx context.Context) int {
	a.clusterOnce = true
	defer func() { a.clusterOnce = false }()
	if err := a.setScore(ctx, a.node, attrd.ScoreCanNotPromote); err != nil {
		a.Log.Warnf("%s", oneLine(err))
	}
	for _, name := range []string{a.Cfg.names().XlogLoc(), a.Cfg.names().XlogTLI()} {
		if err := a.delAttr(ctx, a.node, name, attrd.Reboot); err != nil {
			a.Log.Warnf("%s", oneLine(err))
		}
	}
	live, err := a.liveness()
	if err != nil || live.Running {
		if err := a.stopServer(ctx, a.Cfg.StopEscalateInSlave); err != nil {
			_ = a.setMyStatus(ctx, attrd.StatusUnknown)
			a.Log.ExitReason("%s", oneLine(err))
			return OCFErrGeneric
		}
	}
	a.clusterOnce = false
	if err := a.setMyStatus(ctx, attrd.StatusStop); err != nil {
		a.Log.Warnf("%s", oneLine(err))
	}
	if a.Cfg.CheckWalReceiver {
		if err := a.delAttr(ctx, a.node, a.Cfg.names().ReceiverStatus(), attrd.Reboot); err != nil {
			a.Log.Warnf("%s", oneLine(err))
		}
	}
	if _, err := a.writeRepMode(""); err != nil {
		a.Log.Warnf("%s", oneLine(err))
	}
	if err := a.delAttr(ctx, a.node, a.Cfg.names().MasterBaseline(), attrd.Reboot); err != nil {
		a.Log.Warnf("%s", oneLine(err))
	}
	a.Log.Infof("PostgreSQL is stopped")
	return OCFSuccess
}

// replDemote stops the primary (PG-REX's stop_on_demote): a former primary
// never turns into a standby by itself. The lock is removed only when no
// standby existed when the transition was computed — the last node standing
// stopped cleanly, so its data is the newest.
//
// As in replStop, cluster writes are single attempts until the server is
// down.
func (a *Agent) replDemote(ctx context.Context) int {
	a.clusterOnce = true
	defer func() { a.clusterOnce = false }()
	if err := a.setScore(ctx, a.node, attrd.ScoreCanNotPromote); err != nil {
		a.Log.Warnf("%s", oneLine(err))
	}
	if err := a.delAttr(ctx, a.node, a.Cfg.names().MasterBaseline(), attrd.Reboot); err != nil {
		a.Log.Warnf("%s", oneLine(err))
	}
	live, err := a.liveness()
	if err != nil || live.Running {
		if err := a.stopServer(ctx, a.Cfg.StopEscalate); err != nil {
			_ = a.setMyStatus(ctx, attrd.StatusUnknown)
			a.Log.ExitReason("%s", oneLine(err))
			return OCFErrGeneric
		}
		if decideLockRemoval(a.Meta.Notify) {
			if removed, err := fsutil.Remove(a.Cfg.LockFile()); err != nil {
				a.Log.Warnf("%s", oneLine(err))
			} else if removed {
				a.Log.Infof("removed %s: no standby was running, this node's data is the newest", a.Cfg.LockFile())
			}
		}
	} else {
		a.Log.Infof("PostgreSQL was already stopped at demote; %s is left as it is", a.Cfg.LockFile())
	}
	a.clusterOnce = false
	if err := a.setMyStatus(ctx, attrd.StatusStop); err != nil {
		a.Log.Warnf("%s", oneLine(err))
	}
	return OCFSuccess
}

// decideLockRemoval is the shell agent's rule: remove PGSQL.lock at demote
// only when the notify data is present and lists no unpromoted instance.
// Without notify=true the data is absent and the lock always stays.
func decideLockRemoval(n Notify) bool {
	return n.Unpromoted.Present && len(n.Unpromoted.Uname) == 0
}
