// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/fsutil"
	"github.com/pgrex/pgrex/ra/pg"
)

// replMonitor reports 8 for a primary, 0 for a standby, 7 when stopped,
// and keeps the replication attributes current: the primary publishes
// every standby's state and manages the synchronous standby; a standby
// without a primary takes part in the election.
func (a *Agent) replMonitor(ctx context.Context) int {
	live, err := a.liveness()
	switch rc, reason := decideLivenessRC(live, err); {
	case rc == OCFNotRunning:
		a.Log.Infof("PostgreSQL is down (%s)", live.Reason)
		return rc
	case rc != OCFSuccess:
		a.Log.ExitReason("%s", reason)
		return rc
	}
	c, err := a.conn(ctx)
	if err != nil {
		a.Log.ExitReason("monitor failed: %s", oneLine(err))
		return OCFErrGeneric
	}
	rec, err := c.inRecovery(ctx)
	if err != nil {
		a.Log.ExitReason("monitor failed: %s", oneLine(err))
		return OCFErrGeneric
	}
	probe := a.Meta.IsProbe(a.Action)
	if !rec {
		if probe {
			// A running primary found by a probe (cluster restart) is
			// re-adopted as the primary.
			if err := a.setScore(ctx, a.node, attrd.ScorePromoteMe); err != nil {
				a.Log.ExitReason("%s", oneLine(err))
				return OCFErrGeneric
			}
		}
		if a.Cfg.MonitorSQL != DefaultMonitorSQL {
			if err := c.exec(ctx, a.Cfg.MonitorSQL); err != nil {
				a.Log.ExitReason("monitor failed: running monitor_sql: %s", oneLine(err))
				return OCFErrGeneric
			}
		}
		if err := a.primaryBookkeeping(ctx, c); err != nil {
			a.Log.ExitReason("%s", oneLine(err))
			return OCFErrGeneric
		}
		a.publishReceiverState(ctx, false, true)
		return OCFRunningPromoted
	}
	if probe {
		if err := a.setScore(ctx, a.node, attrd.ScoreCanNotPromote); err != nil {
			a.Log.ExitReason("%s", oneLine(err))
			return OCFErrGeneric
		}
	}
	streaming, err := false, error(nil)
	if v := a.pgVersion(); v == 0 || v >= 906 {
		streaming, err = c.receiverStreaming(ctx)
	}
	if err != nil {
		a.Log.ExitReason("monitor failed: %s", oneLine(err))
		return OCFErrGeneric
	}
	if streaming && !probe {
		// A standby that streams from master_ip has a primary, and that
		// primary's monitor publishes this node's state: nothing for the
		// standby to read or write, so the steady-state standby monitor
		// costs one query and no cluster call.
		a.publishReceiverState(ctx, true, false)
		return OCFSuccess
	}
	if err := a.standbyBookkeeping(ctx, c); err != nil {
		a.Log.ExitReason("%s", oneLine(err))
		return OCFErrGeneric
	}
	a.publishReceiverState(ctx, streaming, false)
	return OCFSuccess
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
func (a *Agent) primaryBookkeeping(ctx context.Context, c *pgConn) error {
	if err := a.setAttr(ctx, a.node, a.Cfg.names().DataStatus(), attrd.DataLatest, attrd.Forever); err != nil {
		return err
	}
	if err := a.setMyStatus(ctx, attrd.StatusPrimary); err != nil {
		return err
	}
	return a.controlStandbys(ctx, c)
}

// controlStandbys publishes each standby's replication state and keeps
// exactly one synchronous standby (spec §4.5.1–4.5.2), with one query of
// pg_stat_replication, attribute writes only on change and a reload only
// when rep_mode.conf changes.
func (a *Agent) controlStandbys(ctx context.Context, c *pgConn) error {
	rows, hidden, err := c.replication(ctx)
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
func (a *Agent) standbyBookkeeping(ctx context.Context, c *pgConn) error {
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

// electionRound is one round of the election among standbys when no
// primary exists.
func (a *Agent) electionRound(ctx context.Context, c *pgConn) error {
	data, _, err := a.known(ctx, a.node, a.Cfg.names().DataStatus(), attrd.Forever)
	if err != nil {
		return err
	}
	if dataOutOfDate(a.Cfg.RepMode, data) {
		a.Log.Infof("not standing in the election: my data-status is %s", data)
		return nil
	}
	mine, err := c.location(ctx, a.pgVersion())
	if err != nil {
		return err
	}
	if err := a.setAttr(ctx, a.node, a.Cfg.names().XlogLoc(), pg.Hex16(mine.LSN), attrd.Reboot); err != nil {
		return err
	}
	if err := a.setAttr(ctx, a.node, a.Cfg.names().XlogTLI(), strconv.FormatUint(uint64(mine.TLI), 10), attrd.Reboot); err != nil {
		return err
	}
	entries := map[string]pg.Location{a.node: mine}
	for _, node := range a.others() {
		hex, ok, err := a.known(ctx, node, a.Cfg.names().XlogLoc(), attrd.Reboot)
		if err != nil || !ok || hex == "" {
			a.Log.Debugf("election: %s has published no location", node)
			continue
		}
		loc, err := pg.ParseHex16(hex)
		if err != nil {
			a.Log.Warnf("election: %s published %q: %v", node, hex, err)
			continue
		}
		if t, ok, _ := a.known(ctx, node, a.Cfg.names().XlogTLI(), attrd.Reboot); ok {
			if n, err := strconv.ParseUint(t, 10, 32); err == nil {
				loc.TLI = uint32(n)
			}
		}
		entries[node] = loc
	}
	prev := electionNote{}
	if b, err := os.ReadFile(a.noteFile()); err == nil {
		prev = parseNote(string(b))
	}
	outcome, next := decideElection(prev, entries, a.node, a.Cfg.XlogCheckCount)
	switch outcome {
	case electionClaim:
		a.Log.Infof("election: my data is the newest (timeline %d, %s); claiming promotion", mine.TLI, pg.Hex16(mine.LSN))
		if err := a.setScore(ctx, a.node, attrd.ScorePromoteMe); err != nil {
			return err
		}
		_, err := fsutil.Remove(a.noteFile())
		return err
	case electionLose:
		a.Log.Warnf("election: another node has newer data; marking myself %s", attrd.DataDisconnect)
		if err := a.setAttr(ctx, a.node, a.Cfg.names().DataStatus(), attrd.DataDisconnect, attrd.Forever); err != nil {
			return err
		}
	}
	if err := fsutil.EnsurePrivateDir(a.Cfg.TmpDir, a.owner()); err != nil {
		return err
	}
	if _, err := fsutil.WriteFileAtomic(a.noteFile(), []byte(renderNote(next)), 0o600, a.owner()); err != nil {
		return fmt.Errorf("recording the election round: %w", err)
	}
	return nil
}
