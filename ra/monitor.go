// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"context"
	"fmt"
	"strings"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/ra/config"
	"github.com/pgrex/pgrex/ra/lockfile"
	"github.com/pgrex/pgrex/ra/ocf"
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
	conn, err := pg.Open(ctx, a.connParams())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, a.Cfg.MonitorSQL).ReadAll(); err != nil {
		return fmt.Errorf("running monitor_sql %q: %w", a.Cfg.MonitorSQL, err)
	}
	return nil
}

// decidePlainMonitor maps the facts to an OCF code and a reason.
func decidePlainMonitor(h healthFacts) (ocf.Status, string) {
	switch {
	case !h.Live.Running:
		return ocf.NotRunning, ""
	case !h.Live.PidFileOK:
		// It runs, but pg_ctl cannot manage it and PostgreSQL 10+ shuts
		// itself down within a minute of finding its pid file changed:
		// a failure, so that Pacemaker recovers the instance.
		return ocf.ErrGeneric, h.Live.Reason
	case h.QueryErr != nil && h.Live.Port != 0 && h.Port != 0 && h.Live.Port != h.Port:
		// The commonest misconfiguration: the server's port comes from
		// postgresql.conf or start_opt, the agent's from pgport.
		return ocf.ErrGeneric, fmt.Sprintf("PostgreSQL runs on port %d but pgport is %d (set the port in start_opt or postgresql.conf to match)", h.Live.Port, h.Port)
	case h.QueryErr != nil:
		return ocf.ErrGeneric, "monitor failed: " + cmdrun.OneLine(h.QueryErr.Error())
	}
	return ocf.Success, ""
}

func (a *Agent) monitor(ctx context.Context) (ocf.Status, error) {
	h, err := a.gatherHealth(ctx)
	if err != nil {
		return 0, err
	}
	rc, reason := decidePlainMonitor(h)
	switch {
	case reason != "":
		return 0, failf(rc, "%s", reason)
	case rc == ocf.NotRunning:
		a.Log.Infof("PostgreSQL is down (%s)", h.Live.Reason)
	}
	return rc, nil
}

// status is the shell agent's status action: the liveness check only.
func (a *Agent) status(context.Context) (ocf.Status, error) {
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
func decideLivenessRC(live pg.Liveness, err error) (ocf.Status, string) {
	switch {
	case err != nil:
		return ocf.ErrGeneric, cmdrun.OneLine(err.Error())
	case !live.Running:
		return ocf.NotRunning, ""
	case !live.PidFileOK:
		return ocf.ErrGeneric, live.Reason
	}
	return ocf.Success, ""
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
		if mode == config.ModeAsync && nodes <= 2 {
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
func (a *Agent) monitorMember(ctx context.Context) (ocf.Status, error) {
	live, err := a.liveness()
	switch rc, reason := decideLivenessRC(live, err); {
	case rc == ocf.NotRunning:
		a.Log.Infof("PostgreSQL is down (%s)", live.Reason)
		return rc, nil
	case rc != ocf.Success:
		return 0, failf(rc, "%s", reason)
	}
	c, err := a.conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("monitor failed: %w", err)
	}
	rec, streaming, err := c.RecoveryState(ctx, a.pgVersion())
	if err != nil {
		return 0, fmt.Errorf("monitor failed: %w", err)
	}
	probe := a.Meta.IsProbe(a.Action)
	if !rec {
		if probe {
			// A running primary found by a probe (cluster restart) is
			// re-adopted as the primary.
			if err := a.attrs.SetScore(ctx, a.node, attrd.ScorePromoteMe); err != nil {
				return 0, err
			}
		}
		if a.Cfg.MonitorSQL != config.DefaultMonitorSQL {
			if err := c.Exec(ctx, a.Cfg.MonitorSQL); err != nil {
				return 0, fmt.Errorf("monitor failed: running monitor_sql: %w", err)
			}
		}
		f, err := a.gatherPrimary(ctx, c, true)
		if err != nil {
			return 0, err
		}
		plan := decidePrimary(&a.Cfg, f)
		if err := a.applyPrimary(ctx, f, plan); err != nil {
			return 0, err
		}
		a.publishReceiverState(ctx, false, true)
		return plan.Status, nil
	}
	if probe {
		if err := a.attrs.SetScore(ctx, a.node, attrd.ScoreCanNotPromote); err != nil {
			return 0, err
		}
	}
	if streaming && !probe && !a.divergedMarked() {
		// A standby that streams from master_ip has a primary, and that
		// primary's monitor publishes this node's state: nothing for the
		// standby to read or write, so the steady-state standby monitor
		// costs one query and no cluster call.
		a.publishReceiverState(ctx, true, false)
		return ocf.Success, nil
	}
	if err := a.standbyBookkeeping(ctx, c, streaming); err != nil {
		return 0, err
	}
	a.publishReceiverState(ctx, streaming, false)
	return ocf.Success, nil
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
	if err := a.attrs.Set(ctx, a.node, attrNames(&a.Cfg).ReceiverStatus(), v, attrd.Reboot); err != nil {
		a.Log.Warnf("%s", cmdrun.OneLine(err.Error()))
	}
}

// peerFacts is what the primary knows about another member of node_list.
type peerFacts struct {
	Node string
	// Hidden: connected, in a state this session may not see (NULL in
	// pg_stat_replication, see privilege.go).
	Hidden    bool
	Row       pg.ReplRow
	Found     bool // it has a pg_stat_replication row
	InCluster bool // Pacemaker knows the node
	Online    bool
	// Its promotion score and pgsql-status, as far as the invocation knows
	// them: the score is read when the node is online, the status when it
	// is online and connected (the only case decideStandby gives it one).
	Score, Status string
	HasScore      bool
	// Data is its pgsql-data-status now: a standby that found itself
	// diverged says so, and the primary keeps it.
	Data string
}

// primaryFacts is what the primary's bookkeeping is decided from.
type primaryFacts struct {
	// Self: the monitor, which also publishes this node's own state (a
	// notification only looks after the others).
	Self  bool
	Me    string
	Peers []peerFacts
	// SyncName is the standby rep_mode.conf names now (rep_mode=sync).
	SyncName string
	// Lock is this node's PGSQL.lock (nil: none); its synchronous= and
	// sync_from= lines say since where commits wait for SyncName.
	Lock *lockfile.Content
	// Current is this primary's WAL position, read with the rows.
	Current pg.LSN
	// Rows (hidden ones included) are for the slots.
	Rows []pg.ReplRow
}

// attrWrite is one node attribute the agent sets (through the invocation's
// cache, so only a change is written).
type attrWrite struct {
	Node, Name, Value string
	Lifetime          attrd.Lifetime
	Score             bool // the promotion score (Name is its attribute name)
}

// primaryPlan is what the primary's bookkeeping does.
type primaryPlan struct {
	// Unreadable are the members whose state this session cannot see:
	// their attributes and their place as synchronous standby stay.
	Unreadable []string
	Writes     []attrWrite
	// ManageSync: rep_mode=sync, rep_mode.conf is kept naming SyncName
	// (RepModeConf is its text); a change reloads the server.
	ManageSync  bool
	SyncName    string
	RepModeConf string
	// SyncFrom is the position from which commits wait for SyncName (the
	// catch-up rule), to be recorded in PGSQL.lock when RecordSyncFrom;
	// CatchingUp names the synchronous standby still short of it.
	SyncFrom       pg.LSN
	RecordSyncFrom bool
	CatchingUp     string
	Status         ocf.Status
}

// gatherPrimary reads what decidePrimary needs: pg_stat_replication (one
// query), the cluster snapshot, the others' current attributes, and the
// current synchronous standby.
func (a *Agent) gatherPrimary(ctx context.Context, c *pg.Session, self bool) (primaryFacts, error) {
	f := primaryFacts{Self: self, Me: a.node}
	rows, hidden, err := c.Replication(ctx, a.pgVersion())
	if err != nil {
		return f, err
	}
	for _, r := range append(rows, hidden...) {
		f.Current = max(f.Current, r.Current)
	}
	cl, err := a.attrs.Members(ctx)
	if err != nil {
		return f, err
	}
	f.Rows = append(rows, hidden...)
	for _, node := range a.others() {
		p := peerFacts{Node: node}
		if _, p.Hidden = findRow(hidden, node); p.Hidden {
			f.Peers = append(f.Peers, p)
			continue
		}
		p.Row, p.Found = findRow(rows, node)
		p.InCluster, p.Online = cl.HasNode(node), cl.Online(node)
		if p.InCluster {
			p.Data, _, _ = a.attrs.Known(ctx, node, attrNames(&a.Cfg).DataStatus(), attrd.Forever)
		}
		if p.Online {
			p.Score, p.HasScore, _ = a.attrs.Known(ctx, node, attrd.PromotionScoreName(a.Cfg.Resource), attrd.Reboot)
			if p.Found {
				p.Status, _, _ = a.attrs.Known(ctx, node, attrNames(&a.Cfg).Status(), attrd.Reboot)
			}
		}
		f.Peers = append(f.Peers, p)
	}
	if a.Cfg.RepMode == config.ModeSync {
		f.SyncName = a.currentSyncName()
		if info, err := lockfile.Read(a.Cfg.LockFile()); err == nil && info.Exists {
			f.Lock = &info.Content
		}
	}
	return f, nil
}

// syncThreshold is the catch-up rule's bar (docs/rejoin.md): the position
// PGSQL.lock records for the synchronous standby (recorded), or — when the
// lock does not record it yet — the current one, which this monitor
// records once the standby streams as synchronous. ok is false without a
// lock (removed by hand), where the rule cannot hold.
func syncThreshold(f primaryFacts) (bar pg.LSN, recorded, ok bool) {
	l := f.Lock
	if l == nil || f.SyncName == "" {
		return 0, false, false
	}
	if l.SyncKnown && l.Synchronous == f.SyncName && l.SyncFrom != "" {
		if loc, err := pg.ParseXlogLoc(l.SyncFrom); err == nil {
			return loc.LSN, true, true
		}
	}
	return f.Current, false, true
}

// decidePrimary publishes each standby's replication state and keeps
// exactly one synchronous standby. Pure.
func decidePrimary(c *config.Config, f primaryFacts) primaryPlan {
	names := attrNames(c)
	plan := primaryPlan{Status: ocf.RunningPromoted}
	if f.Self {
		plan.Writes = append(plan.Writes,
			attrWrite{Node: f.Me, Name: names.DataStatus(), Value: attrd.DataLatest, Lifetime: attrd.Forever},
			attrWrite{Node: f.Me, Name: names.Status(), Value: attrd.StatusPrimary, Lifetime: attrd.Reboot})
	}
	var views []standbyView
	bar, recorded, rule := syncThreshold(f)
	for _, p := range f.Peers {
		if p.Hidden {
			plan.Unreadable = append(plan.Unreadable, p.Node)
			continue
		}
		v := decideStandby(c.RepMode, len(c.NodeList), p.Node, p.Row, p.Found)
		if p.Data == attrd.DataDiverged {
			// Only the standby can tell it diverged, and only it lifts
			// that (diverged.go): its WAL receiver reconnects again and
			// again and may show a row, even a streaming one, for a
			// moment.
			v = standbyView{Node: p.Node, Data: attrd.DataDiverged, Score: attrd.ScoreCanNotPromote, DropSync: true}
		}
		if v.Status == attrd.StatusSync && rule && p.Node == f.SyncName {
			if !recorded {
				// Commits wait for it from now on (its row says
				// SYNC): everything acknowledged without it lies
				// before the current position.
				plan.SyncFrom, plan.RecordSyncFrom = bar, true
			}
			if p.Row.Flush < bar {
				// Named synchronous, but commits acknowledged before
				// it was are not all on its disk yet: promoting it
				// now could lose them. It shows as what it holds —
				// asynchronous — until it has flushed up to the bar.
				v.Data, v.Status, v.Score = attrd.DataAsync, attrd.StatusAsync, attrd.ScoreCanNotPromote
				plan.CatchingUp, plan.SyncFrom = p.Node, bar
			}
		}
		views = append(views, v)
		if p.InCluster {
			plan.Writes = append(plan.Writes, attrWrite{Node: p.Node, Name: names.DataStatus(), Value: v.Data, Lifetime: attrd.Forever})
		}
		if !p.Online {
			continue
		}
		// The score is only adjusted where the instance has set one
		// (it is running there); a stopped node keeps none.
		if p.HasScore && p.Score != "" && p.Score != v.Score {
			plan.Writes = append(plan.Writes, attrWrite{Node: p.Node, Name: attrd.PromotionScoreName(c.Resource), Value: v.Score, Lifetime: attrd.Reboot, Score: true})
		}
		// Only the node itself leaves STOP/UNKNOWN: a standby whose disk
		// broke must not be shown healthy by the primary.
		if v.Status != "" && p.Status != attrd.StatusStop && p.Status != attrd.StatusUnknown && p.Status != "" {
			plan.Writes = append(plan.Writes, attrWrite{Node: p.Node, Name: names.Status(), Value: v.Status, Lifetime: attrd.Reboot})
		}
	}
	if c.RepMode == config.ModeSync {
		plan.ManageSync = true
		plan.SyncName = decideSyncName(f.SyncName, views)
		plan.RepModeConf = pg.RenderRepModeConf(plan.SyncName)
	}
	if c.DegradedPromoted && c.Replicating() && len(plan.Unreadable) == 0 && !holdsCommits(c.RepMode, views) {
		plan.Status = ocf.DegradedPromoted
	}
	return plan
}

// holdsCommits: some standby holds every commit — with rep_mode=sync one
// streams as the synchronous standby, with async one streams at all.
func holdsCommits(mode string, views []standbyView) bool {
	for _, v := range views {
		if v.Status == attrd.StatusSync || (mode == config.ModeAsync && v.Status == attrd.StatusAsync) {
			return true
		}
	}
	return false
}

// applyPrimary carries the plan out: the attribute writes in order (the
// first failure ends it), the slots (a failure is logged, it never decides
// the monitor's result), then rep_mode.conf and a reload when it changed.
func (a *Agent) applyPrimary(ctx context.Context, f primaryFacts, plan primaryPlan) error {
	for _, node := range plan.Unreadable {
		a.Log.Errorf("cannot read the replication state of %s: pg_stat_replication shows database user %s NULL (it needs pg_read_all_stats or pg_monitor); leaving %s's attributes and the synchronous standby unchanged", node, a.Cfg.DBUser(), node)
	}
	if plan.CatchingUp != "" {
		a.Log.Infof("%s is the synchronous standby but has not yet flushed every commit acknowledged before it was (up to %s): shown as %s until it has", plan.CatchingUp, plan.SyncFrom, attrd.DataAsync)
	}
	for _, w := range plan.Writes {
		if err := a.write(ctx, w); err != nil {
			return err
		}
	}
	if err := a.manageSlots(ctx, f.Rows); err != nil {
		a.Log.Errorf("managing replication slots: %s", cmdrun.OneLine(err.Error()))
	}
	if !plan.ManageSync {
		return nil
	}
	if plan.SyncName == "" && f.SyncName != "" {
		if err := a.recordSyncInLock("", nil); err != nil {
			return err
		}
	}
	changed, err := a.writeRepModeConf(plan.RepModeConf)
	if err != nil {
		return err
	}
	if changed {
		if plan.SyncName == "" {
			a.Log.Warnf("no synchronous standby: commits no longer wait for a standby")
		} else {
			a.Log.Infof("synchronous standby is now %s", plan.SyncName)
		}
		if err := a.ctl.Reload(ctx); err != nil {
			return err
		}
		return nil
	}
	// The reload takes effect a moment after pg_ctl returns: a standby
	// already named at the previous monitor is waited for now.
	if plan.SyncName != "" && f.SyncName == plan.SyncName {
		var from *pg.LSN
		if plan.RecordSyncFrom {
			from = &plan.SyncFrom
		}
		return a.recordSyncInLock(plan.SyncName, from)
	}
	return nil
}

// controlStandbys is the primary's bookkeeping of the others alone (after
// a start or stop elsewhere).
func (a *Agent) controlStandbys(ctx context.Context, c *pg.Session) error {
	f, err := a.gatherPrimary(ctx, c, false)
	if err != nil {
		return err
	}
	return a.applyPrimary(ctx, f, decidePrimary(&a.Cfg, f))
}

// standbyBookkeeping: HS:alone when no primary exists (and the election),
// or when the primary has marked this node DISCONNECT; a standby that does
// not stream from an existing primary checks whether it diverged.
func (a *Agent) standbyBookkeeping(ctx context.Context, c *pg.Session, streaming bool) error {
	cl, err := a.attrs.Cluster(ctx)
	if err != nil {
		return err
	}
	if p, ok := cl.PromotedNode(a.Cfg.Resource); ok {
		data, _, err := a.attrs.Known(ctx, a.node, attrNames(&a.Cfg).DataStatus(), attrd.Forever)
		if err != nil {
			return err
		}
		if (!streaming || a.divergedMarked()) && p != a.node {
			if data, err = a.checkDiverged(ctx, c, data); err != nil {
				return err
			}
		}
		if data == attrd.DataDisconnect || data == attrd.DataDiverged {
			return a.setMyStatus(ctx, attrd.StatusAlone)
		}
		return nil
	}
	if err := a.setMyStatus(ctx, attrd.StatusAlone); err != nil {
		return err
	}
	return a.electionRound(ctx, c)
}
