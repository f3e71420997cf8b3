// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"context"
	"time"

	"github.com/pgrex/pgrex/ra/pg"
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
// still runs after an immediate shutdown (Pacemaker will then fence, which
// is right: a server we cannot stop must not keep the data).
func (a *Agent) stopServer(ctx context.Context, escalate time.Duration) error {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(a.budget())
	}
	for _, ph := range planStop(time.Until(deadline), escalate) {
		live, _ := pg.CheckLiveness(a.Cfg.PgData)
		if !live.Running {
			return nil
		}
		a.Log.Infof("stopping PostgreSQL (%s mode, waiting up to %s)", ph.Mode, ph.Wait.Round(time.Second))
		err := a.ctl.Stop(ctx, ph.Mode, ph.Wait)
		if err == nil {
			return nil
		}
		a.Log.Warnf("%s shutdown did not finish: %s", ph.Mode, oneLine(err))
		if ctx.Err() != nil {
			break
		}
	}
	live, _ := pg.CheckLiveness(a.Cfg.PgData)
	if !live.Running {
		return nil
	}
	return errStillRunning
}

type stopError string

func (e stopError) Error() string { return string(e) }

const errStillRunning = stopError("PostgreSQL is still running after an immediate shutdown")

func (a *Agent) stop(ctx context.Context) int {
	live, err := pg.CheckLiveness(a.Cfg.PgData)
	if err == nil && !live.Running {
		a.Log.Infof("PostgreSQL is already stopped")
		return OCFSuccess
	}
	if err := a.stopServer(ctx, a.Cfg.StopEscalate); err != nil {
		a.Log.ExitReason("%s", oneLine(err))
		return OCFErrGeneric
	}
	a.Log.Infof("PostgreSQL is stopped")
	return OCFSuccess
}
