// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"context"
	"fmt"
	"strings"

	"github.com/pgrex/pgrex/attrd"
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
func decidePlainMonitor(h healthFacts) (Status, string) {
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

func (a *Agent) monitor(ctx context.Context) (Status, error) {
	h, err := a.gatherHealth(ctx)
	if err != nil {
		return 0, err
	}
	rc, reason := decidePlainMonitor(h)
	switch {
	case reason != "":
		return 0, failf(rc, "%s", reason)
	case rc == OCFNotRunning:
		a.Log.Infof("PostgreSQL is down (%s)", h.Live.Reason)
	}
	return rc, nil
}

// status is the shell agent's status action: the liveness check only.
func (a *Agent) status(context.Context) (Status, error) {
	rc, reason := decideLivenessRC(a.liveness())
	if reason != "" {
		return 0, failf(rc, "%s", reason)
	}
	return rc, nil
}

// decideLivenessRC maps the liveness check alone to an OCF code: running
// (0), not running (7), or a failure (1) when a postmaster runs that
// postmaster.pid does not name, or when whether one runs cannot be told —
// never "not running" while a postmaster of the data directory may live.
func decideLivenessRC(live pg.Liveness, err error) (Status, string) {
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

// standbyView is what the primary decides about one other node.
type standbyView struct {
	Node     string
	Data     string // pgsql-data-status to write
	Score    string // promotion score to write
	Status   string // pgsql-status to write; "" leaves it unchanged
	WantSync bool   // may become the synchronous standby
	DropSync bool   // must stop being the synchronous standby
}

// findRow matches a node to its pg_stat_replication row by exact
// application_name (the shell agent used a regular expression, in which a
// '.' in a node name matched anything).
func findRow(rows []pg.ReplRow, node string) (pg.ReplRow, bool) {
	for _, r := range rows {
		if strings.EqualFold(r.AppName, node) {
			return r, true
		}
	}
	return pg.ReplRow{}, false
}

// decideStandby maps a node's replication row to the attributes the primary
// publishes for it. nodes is the size of node_list.
func decideStandby(mode string, nodes int, node string, row pg.ReplRow, found bool) standbyView {
	v := standbyView{Node: node}
	if !found {
		v.Data, v.Score, v.DropSync = attrd.DataDisconnect, attrd.ScoreCanNotPromote, true
		return v
	}
	v.Data = row.State + "|" + row.SyncState
	v.Score = attrd.ScoreCanNotPromote
	switch {
	case row.State == "STREAMING" && row.SyncState == "SYNC":
		v.Score, v.Status = attrd.ScoreCanPromote, attrd.StatusSync
	case row.State == "STREAMING" && row.SyncState == "ASYNC":
		v.Status, v.WantSync = attrd.StatusAsync, true
		if mode == ModeAsync && nodes <= 2 {
			v.Score = attrd.ScoreCanPromote
		}
	case row.State == "STREAMING" && row.SyncState == "POTENTIAL":
		v.Status = attrd.StatusPotential
	case row.State == "STREAMING" && row.SyncState == "QUORUM":
		// PostgreSQL 10+ quorum commit (ANY n): a synchronous candidate,
		// but not one guaranteed to hold every commit.
		v.Status = attrd.StatusQuorum
	default:
		v.Status, v.DropSync = attrd.StatusConnected, true
	}
	return v
}

// decideSyncName keeps exactly one synchronous standby: the current one
// stays while it streams; when it is gone the file is emptied at once (so
// commits do not hang), and an asynchronous streamer is chosen only when the
// file names nobody — the shell agent's sticky rule.
func decideSyncName(current string, views []standbyView) string {
	for _, v := range views {
		if v.DropSync && v.Node == current {
			current = ""
		}
	}
	if current != "" {
		return current
	}
	for _, v := range views {
		if v.WantSync {
			return v.Node
		}
	}
	return ""
}

// monitorMember reports 8 for a primary, 0 for a standby, 7 when stopped,
// and keeps the replication attributes current: the primary publishes
// every standby's state and manages the synchronous standby; a standby
// without a primary takes part in the election.
func (a *Agent) monitorMember(ctx context.Context) (Status, error) {
	live, err := a.liveness()
	switch rc, reason := decideLivenessRC(live, err); {
	case rc == OCFNotRunning:
		a.Log.Infof("PostgreSQL is down (%s)", live.Reason)
		return rc, nil
	case rc != OCFSuccess:
		return 0, failf(rc, "%s", reason)
	}
	c, err := a.conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("monitor failed: %w", err)
	}
	rec, err := c.InRecovery(ctx)
	if err != nil {
		return 0, fmt.Errorf("monitor failed: %w", err)
	}
	probe := a.Meta.IsProbe(a.Action)
	if !rec {
		if probe {
			// A running primary found by a probe (cluster restart) is
			// re-adopted as the primary.
			if err := a.setScore(ctx, a.node, attrd.ScorePromoteMe); err != nil {
				return 0, err
			}
		}
		if a.Cfg.MonitorSQL != DefaultMonitorSQL {
			if err := c.Exec(ctx, a.Cfg.MonitorSQL); err != nil {
				return 0, fmt.Errorf("monitor failed: running monitor_sql: %w", err)
			}
		}
		if err := a.primaryBookkeeping(ctx, c); err != nil {
			return 0, err
		}
		a.publishReceiverState(ctx, false, true)
		return OCFRunningPromoted, nil
	}
	if probe {
		if err := a.setScore(ctx, a.node, attrd.ScoreCanNotPromote); err != nil {
			return 0, err
		}
	}
	streaming, err := false, error(nil)
	if v := a.pgVersion(); v == 0 || v >= 906 {
		streaming, err = c.ReceiverStreaming(ctx)
	}
	if err != nil {
		return 0, fmt.Errorf("monitor failed: %w", err)
	}
	if streaming && !probe {
		// A standby that streams from master_ip has a primary, and that
		// primary's monitor publishes this node's state: nothing for the
		// standby to read or write, so the steady-state standby monitor
		// costs one query and no cluster call.
		a.publishReceiverState(ctx, true, false)
		return OCFSuccess, nil
	}
	if err := a.standbyBookkeeping(ctx, c); err != nil {
		return 0, err
	}
	a.publishReceiverState(ctx, streaming, false)
	return OCFSuccess, nil
}

// publishReceiverState is check_wal_receiver: <rsc>-receiver-status is
// "normal" while the WAL receiver streams, "normal (master)" on the primary
// and "ERROR" otherwise. Read from pg_stat_wal_receiver instead of ps; it
// never changes the monitor's result.
func (a *Agent) publishReceiverState(ctx context.Context, streaming, primary bool) {
	if !a.Cfg.CheckWalReceiver {
		return
	}
	v := attrd.ReceiverNormalPrimary
	if !primary {
		v = attrd.ReceiverError
		if streaming {
			v = attrd.ReceiverNormal
		} else {
			a.Log.Warnf("check_wal_receiver: no WAL receiver is streaming")
		}
	}
	if err := a.setAttr(ctx, a.node, a.Cfg.names().ReceiverStatus(), v, attrd.Reboot); err != nil {
		a.Log.Warnf("%s", oneLine(err))
	}
}

// primaryBookkeeping: own LATEST/PRI, then every other node's state.
func (a *Agent) primaryBookkeeping(ctx context.Context, c *pg.Session) error {
	if err := a.setAttr(ctx, a.node, a.Cfg.names().DataStatus(), attrd.DataLatest, attrd.Forever); err != nil {
		return err
	}
	if err := a.setMyStatus(ctx, attrd.StatusPrimary); err != nil {
		return err
	}
	return a.controlStandbys(ctx, c)
}

// controlStandbys publishes each standby's replication state and keeps
// exactly one synchronous standby, with one query of
// pg_stat_replication, attribute writes only on change and a reload only
// when rep_mode.conf changes.
func (a *Agent) controlStandbys(ctx context.Context, c *pg.Session) error {
	rows, hidden, err := c.Replication(ctx)
	if err != nil {
		return err
	}
	cl, err := a.cluster(ctx)
	if err != nil {
		return err
	}
	var views []standbyView
	for _, node := range a.others() {
		if _, unknown := findRow(hidden, node); unknown {
			// Connected, in a state this session may not see: its
			// attributes and its place as synchronous standby stay
			// as they are (privilege.go).
			a.Log.Errorf("cannot read the replication state of %s: pg_stat_replication shows database user %s NULL (it needs pg_read_all_stats or pg_monitor); leaving %s's attributes and the synchronous standby unchanged", node, a.Cfg.DBUser(), node)
			continue
		}
		row, found := findRow(rows, node)
		v := decideStandby(a.Cfg.RepMode, len(a.Cfg.NodeList), node, row, found)
		views = append(views, v)
		if cl.HasNode(node) {
			if err := a.setAttr(ctx, node, a.Cfg.names().DataStatus(), v.Data, attrd.Forever); err != nil {
				return err
			}
		}
		if !cl.Online(node) {
			continue
		}
		// The score is only adjusted where the instance has set one
		// (it is running there); a stopped node keeps none.
		name := attrd.PromotionScoreName(a.Cfg.Resource)
		if cur, ok, _ := a.known(ctx, node, name, attrd.Reboot); ok && cur != "" && cur != v.Score {
			if err := a.setScore(ctx, node, v.Score); err != nil {
				return err
			}
		}
		// Only the node itself leaves STOP/UNKNOWN: a standby whose disk
		// broke must not be shown healthy by the primary.
		if v.Status != "" {
			cur, _, _ := a.known(ctx, node, a.Cfg.names().Status(), attrd.Reboot)
			if cur != attrd.StatusStop && cur != attrd.StatusUnknown && cur != "" {
				if err := a.setAttr(ctx, node, a.Cfg.names().Status(), v.Status, attrd.Reboot); err != nil {
					return err
				}
			}
		}
	}
	if err := a.manageSlots(ctx, append(rows, hidden...), cl); err != nil {
		a.Log.Errorf("managing replication slots: %s", oneLine(err))
	}
	if a.Cfg.RepMode != ModeSync {
		return nil
	}
	want := decideSyncName(a.currentSyncName(), views)
	changed, err := a.writeRepMode(want)
	if err != nil {
		return err
	}
	if changed {
		if want == "" {
			a.Log.Warnf("no synchronous standby: commits no longer wait for a standby")
		} else {
			a.Log.Infof("synchronous standby is now %s", want)
		}
		if err := a.ctl.Reload(ctx); err != nil {
			return err
		}
	}
	return nil
}

// standbyBookkeeping: HS:alone when no primary exists (and the election),
// or when the primary has marked this node DISCONNECT.
func (a *Agent) standbyBookkeeping(ctx context.Context, c *pg.Session) error {
	cl, err := a.cluster(ctx)
	if err != nil {
		return err
	}
	if _, ok := cl.PromotedNode(a.Cfg.Resource); ok {
		data, _, err := a.known(ctx, a.node, a.Cfg.names().DataStatus(), attrd.Forever)
		if err != nil {
			return err
		}
		if data == attrd.DataDisconnect {
			return a.setMyStatus(ctx, attrd.StatusAlone)
		}
		return nil
	}
	if err := a.setMyStatus(ctx, attrd.StatusAlone); err != nil {
		return err
	}
	return a.electionRound(ctx, c)
}
