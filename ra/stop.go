// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"context"
	"fmt"
	"time"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/ra/ocf"
)

// stopPhase is one step of the shutdown escalation.
type stopPhase struct {
	Mode string
	Wait time.Duration
}

// planStop splits the time available into smart → fast → immediate. Smart
// gets a short grace (it waits for clients, which a pooled application never
// closes), fast gets stop_escalate but never so much that immediate would
// not fit, and immediate gets the rest; stop_escalate=0 means immediate at
// once. Pure, so the arithmetic is tested.
func planStop(budget, escalate time.Duration) []stopPhase {
	const minImmediate = 10 * time.Second
	if escalate <= 0 {
		// stop_escalate=0 asks for an immediate shutdown, as upstream.
		return []stopPhase{{"immediate", budget}}
	}
	smart := budget / 10
	if smart > 5*time.Second {
		smart = 5 * time.Second
	}
	if smart < time.Second {
		smart = time.Second
	}
	fast := escalate
	if max := budget - smart - minImmediate; fast > max {
		fast = max
	}
	var plan []stopPhase
	plan = append(plan, stopPhase{"smart", smart})
	if fast >= time.Second {
		plan = append(plan, stopPhase{"fast", fast})
	}
	rest := budget - smart - fast
	if fast < time.Second {
		rest = budget - smart
	}
	if rest < time.Second {
		rest = time.Second
	}
	return append(plan, stopPhase{"immediate", rest})
}

// stopServer shuts PostgreSQL down with escalation inside the operation's
// budget. It returns nil once the postmaster is gone; an error only when it
// still runs after an immediate shutdown, or when whether it runs cannot be
// told (Pacemaker will then fence, which is right: a server we cannot stop
// must not keep the data). A postmaster that postmaster.pid does not name
// (the file is unreadable, garbled or names another process) is beyond
// pg_ctl; it is signalled directly, after /proc proves it is this data
// directory's postmaster, with the signal pg_ctl would send. The pid file
// itself is never deleted.
func (a *Agent) stopServer(ctx context.Context, escalate time.Duration) error {
	err := a.stopEscalating(ctx, escalate)
	if err == nil {
		a.logControlData(ctx, afterStop)
	}
	return err
}

func (a *Agent) stopEscalating(ctx context.Context, escalate time.Duration) error {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(a.budget())
	}
	for _, ph := range planStop(time.Until(deadline), escalate) {
		live, err := a.liveness()
		if err == nil && !live.Running {
			return nil
		}
		if !live.Running {
			// Nothing provable to signal, and no proof that nothing runs.
			return fmt.Errorf("cannot stop PostgreSQL: %w", err)
		}
		if live.PidFileOK {
			a.Log.Infof("stopping PostgreSQL (%s mode, waiting up to %s)", ph.Mode, ph.Wait.Round(time.Second))
			err = a.ctl.Stop(ctx, ph.Mode, ph.Wait)
		} else {
			a.Log.Warnf("%s; pg_ctl cannot stop it, signalling it directly", live.Reason)
			a.Log.Infof("stopping PostgreSQL PID %d (%s mode, waiting up to %s)", live.PID, ph.Mode, ph.Wait.Round(time.Second))
			err = a.ctl.SignalStop(ctx, live.PID, ph.Mode, ph.Wait)
		}
		if err == nil {
			continue // the next round's check confirms it is gone
		}
		a.Log.Warnf("%s shutdown did not finish: %s", ph.Mode, cmdrun.OneLine(err.Error()))
		if ctx.Err() != nil {
			break
		}
	}
	live, err := a.liveness()
	if err != nil {
		return fmt.Errorf("cannot tell whether PostgreSQL stopped: %w", err)
	}
	if !live.Running {
		return nil
	}
	return errStillRunning
}

type stopError string

func (e stopError) Error() string { return string(e) }

const errStillRunning = stopError("PostgreSQL is still running after an immediate shutdown")

func (a *Agent) stop(ctx context.Context) (ocf.Status, error) {
	live, err := a.liveness()
	if err == nil && !live.Running {
		a.Log.Infof("PostgreSQL is already stopped")
		return ocf.Success, nil
	}
	if err := a.stopServer(ctx, a.Cfg.StopEscalate); err != nil {
		return 0, err
	}
	a.Log.Infof("PostgreSQL is stopped")
	return ocf.Success, nil
}

// stopMember stops PostgreSQL and leaves the attributes saying so. It never
// removes PGSQL.lock.
//
// The cluster writes before the server is down are single attempts
// (failures are warnings): a stop that ran out of time retrying a busy CIB
// would fail, and a failed stop means fencing. Once the server is down the
// remaining writes are retried within what is left of the budget.
func (a *Agent) stopMember(ctx context.Context) (ocf.Status, error) {
	a.attrs.Once = true
	defer func() { a.attrs.Once = false }()
	if err := a.attrs.SetScore(ctx, a.node, attrd.ScoreCanNotPromote); err != nil {
		a.Log.Warnf("%s", cmdrun.OneLine(err.Error()))
	}
	for _, name := range []string{attrNames(&a.Cfg).XlogLoc(), attrNames(&a.Cfg).XlogTLI()} {
		if err := a.attrs.Delete(ctx, a.node, name, attrd.Reboot); err != nil {
			a.Log.Warnf("%s", cmdrun.OneLine(err.Error()))
		}
	}
	live, err := a.liveness()
	if err != nil || live.Running {
		if err := a.stopServer(ctx, a.Cfg.StopEscalateInSlave); err != nil {
			_ = a.setMyStatus(ctx, attrd.StatusUnknown)
			return 0, err
		}
	}
	a.attrs.Once = false
	if err := a.setMyStatus(ctx, attrd.StatusStop); err != nil {
		a.Log.Warnf("%s", cmdrun.OneLine(err.Error()))
	}
	if a.Cfg.CheckWalReceiver {
		if err := a.attrs.Delete(ctx, a.node, attrNames(&a.Cfg).ReceiverStatus(), attrd.Reboot); err != nil {
			a.Log.Warnf("%s", cmdrun.OneLine(err.Error()))
		}
	}
	if _, err := a.writeRepMode(""); err != nil {
		a.Log.Warnf("%s", cmdrun.OneLine(err.Error()))
	}
	if err := a.attrs.Delete(ctx, a.node, attrNames(&a.Cfg).MasterBaseline(), attrd.Reboot); err != nil {
		a.Log.Warnf("%s", cmdrun.OneLine(err.Error()))
	}
	a.Log.Infof("PostgreSQL is stopped")
	return ocf.Success, nil
}
