// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"context"
	"fmt"

	"github.com/pgrex/pgrex/ra/pg"
)

// healthFacts is what a plain monitor learns: is the postmaster alive, and
// does the server answer monitor_sql.
type healthFacts struct {
	Live     pg.Liveness
	QueryErr error // nil when the query succeeded; unset when not tried
	Queried  bool
	Port     int // the port the agent connects to (pgport)
}

// gatherHealth checks the pid file, then runs monitor_sql in one session.
func (a *Agent) gatherHealth(ctx context.Context) (healthFacts, error) {
	var h healthFacts
	live, err := a.liveness()
	if err != nil {
		return h, fmt.Errorf("checking whether PostgreSQL runs in %s: %w", a.Cfg.PgData, err)
	}
	h.Live = live
	if !live.Running || !live.PidFileOK {
		return h, nil
	}
	h.Port = a.Cfg.PgPort
	h.Queried = true
	h.QueryErr = a.runMonitorSQL(ctx)
	return h, nil
}

// runMonitorSQL runs monitor_sql with the simple query protocol, like
// psql -c: the operator's text may hold several statements.
func (a *Agent) runMonitorSQL(ctx context.Context) error {
	conn, err := pg.Connect(ctx, a.connParams())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.PgConn().Exec(ctx, a.Cfg.MonitorSQL).ReadAll(); err != nil {
		return fmt.Errorf("running monitor_sql %q: %w", a.Cfg.MonitorSQL, err)
	}
	return nil
}

// decidePlainMonitor maps the facts to an OCF code and a reason.
func decidePlainMonitor(h healthFacts) (int, string) {
	switch {
	case !h.Live.Running:
		return OCFNotRunning, ""
	case !h.Live.PidFileOK:
		// It runs, but pg_ctl cannot manage it and PostgreSQL 10+ shuts
		// itself down within a minute of finding its pid file changed:
		// a failure, so that Pacemaker recovers the instance.
		return OCFErrGeneric, h.Live.Reason
	case h.QueryErr != nil && h.Live.Port != 0 && h.Port != 0 && h.Live.Port != h.Port:
		// The commonest misconfiguration: the server's port comes from
		// postgresql.conf or start_opt, the agent's from pgport.
		return OCFErrGeneric, fmt.Sprintf("PostgreSQL runs on port %d but pgport is %d (set the port in start_opt or postgresql.conf to match)", h.Live.Port, h.Port)
	case h.QueryErr != nil:
		return OCFErrGeneric, "monitor failed: " + oneLine(h.QueryErr)
	}
	return OCFSuccess, ""
}

func (a *Agent) monitor(ctx context.Context) int {
	h, err := a.gatherHealth(ctx)
	if err != nil {
		a.Log.ExitReason("%s", oneLine(err))
		return OCFErrGeneric
	}
	rc, reason := decidePlainMonitor(h)
	switch {
	case reason != "":
		a.Log.ExitReason("%s", reason)
	case rc == OCFNotRunning:
		a.Log.Infof("PostgreSQL is down (%s)", h.Live.Reason)
	}
	return rc
}

// status is the shell agent's status action: the liveness check only.
func (a *Agent) status() int {
	rc, reason := decideLivenessRC(a.liveness())
	if reason != "" {
		a.Log.ExitReason("%s", reason)
	}
	return rc
}

// decideLivenessRC maps the liveness check alone to an OCF code: running
// (0), not running (7), or a failure (1) when a postmaster runs that
// postmaster.pid does not name, or when whether one runs cannot be told —
// never "not running" while a postmaster of the data directory may live.
func decideLivenessRC(live pg.Liveness, err error) (int, string) {
	switch {
	case err != nil:
		return OCFErrGeneric, oneLine(err)
	case !live.Running:
		return OCFNotRunning, ""
	case !live.PidFileOK:
		return OCFErrGeneric, live.Reason
	}
	return OCFSuccess, ""
}
