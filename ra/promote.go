// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/atomicfile"
	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/ra/config"
	"github.com/pgrex/pgrex/ra/lockfile"
	"github.com/pgrex/pgrex/ra/ocf"
	"github.com/pgrex/pgrex/ra/pg"
)

// promote turns the local standby into the primary.
func (a *Agent) promote(ctx context.Context) (ocf.Status, error) {
	c, err := a.conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("promote failed: %w", err)
	}
	rec, err := c.InRecovery(ctx)
	if err != nil {
		return 0, fmt.Errorf("promote failed: %w", err)
	}
	if !rec {
		a.Log.Infof("PostgreSQL is already the primary")
		return ocf.Success, nil
	}
	f, err := a.gatherPromote(ctx, c)
	if err != nil {
		return 0, fmt.Errorf("promote failed: %w", err)
	}
	if why := decidePromote(f); why != "" {
		return 0, failf(ocf.ErrGeneric, "%s", why)
	}
	loc := f.Mine
	if _, err := atomicfile.Remove(a.noteFile()); err != nil {
		a.Log.Warnf("%s", cmdrun.OneLine(err.Error()))
	}
	cl, err := a.attrs.Cluster(ctx)
	if err != nil {
		return 0, err
	}
	// Until they are seen streaming from the new primary, the others may
	// lack its data.
	for _, node := range a.others() {
		dataName := attrNames(&a.Cfg).DataStatus()
		if cur, _, _ := a.attrs.Known(ctx, node, dataName, attrd.Forever); cl.HasNode(node) && cur != attrd.DataDiverged {
			if err := a.attrs.Set(ctx, node, dataName, attrd.DataDisconnect, attrd.Forever); err != nil {
				return 0, err
			}
		}
		name := attrd.PromotionScoreName(a.Cfg.Resource)
		if cur, ok, _ := a.attrs.Known(ctx, node, name, attrd.Reboot); cl.Online(node) && ok && cur != "" && cur != attrd.ScoreCanNotPromote {
			if err := a.attrs.SetScore(ctx, node, attrd.ScoreCanNotPromote); err != nil {
				return 0, err
			}
		}
	}
	if err := a.writeLock(loc); err != nil {
		return 0, fmt.Errorf("promote failed: %w", err)
	}
	if err := a.attrs.Set(ctx, a.node, attrNames(&a.Cfg).MasterBaseline(), pg.FormatXlogLoc(loc.LSN), attrd.Reboot); err != nil {
		return 0, err
	}
	if a.Cfg.RestartOnPromote {
		if err := a.promoteByRestart(ctx); err != nil {
			return 0, err
		}
	} else {
		deadline, _ := ctx.Deadline()
		if err := a.ctl.Promote(ctx, time.Until(deadline)-2*time.Second); err != nil {
			return 0, err
		}
	}
	if err := a.waitPrimary(ctx); err != nil {
		return 0, err
	}
	if err := a.ensureSlots(ctx); err != nil {
		return 0, err
	}
	if err := a.attrs.Set(ctx, a.node, attrNames(&a.Cfg).DataStatus(), attrd.DataLatest, attrd.Forever); err != nil {
		return 0, err
	}
	if err := a.attrs.SetScore(ctx, a.node, attrd.ScorePromoteMe); err != nil {
		return 0, err
	}
	if err := a.setMyStatus(ctx, attrd.StatusPrimary); err != nil {
		return 0, err
	}
	a.Log.Infof("PostgreSQL is promoted (from timeline %d at %s)", loc.TLI, pg.FormatXlogLoc(loc.LSN))
	if a.Cfg.Rejoin != config.RejoinOff && a.Cfg.Rejoin != "" {
		a.checkpointForRejoin(ctx)
	}
	return ocf.Success, nil
}

// promoteFacts is what promote re-checks before it changes anything: the
// promotion score that made Pacemaker choose this node was written
// earlier, and score writes reach the scheduler asynchronously, so the
// data-status and the timeline are read again now.
type promoteFacts struct {
	Mode     string
	DataName string      // <rsc>-data-status
	Data     string      // this node's data-status
	Mine     pg.Location // this node's timeline and WAL position
	// Published are the locations other members published in an
	// election that is still running.
	Published map[string]pg.Location
}

func (a *Agent) gatherPromote(ctx context.Context, c *pg.Session) (promoteFacts, error) {
	f := promoteFacts{Mode: a.Cfg.RepMode, DataName: attrNames(&a.Cfg).DataStatus()}
	data, _, err := a.attrs.Known(ctx, a.node, f.DataName, attrd.Forever)
	if err != nil {
		return f, err
	}
	f.Data = data
	if f.Mine, err = a.location(ctx, c); err != nil {
		return f, err
	}
	f.Published = a.publishedLocations(ctx)
	return f, nil
}

// decidePromote refuses ("" = go on) a node whose data-status says it may
// lack acknowledged commits (the election's rule, dataOutOfDate: DISCONNECT,
// DIVERGED, an asynchronous standby under rep_mode=sync) or that another
// member has newer data than. Pure.
func decidePromote(f promoteFacts) string {
	if dataOutOfDate(f.Mode, f.Data) {
		return fmt.Sprintf("promote refused: this node's %s is %s: it may lack commits the primary acknowledged (set it to %s by hand only once this node is known to hold every commit)",
			f.DataName, f.Data, attrd.DataLatest)
	}
	nodes := make([]string, 0, len(f.Published))
	for n := range f.Published {
		nodes = append(nodes, n)
	}
	sort.Strings(nodes)
	for _, n := range nodes {
		if l := f.Published[n]; l.Newer(f.Mine) {
			return fmt.Sprintf("promote refused: %s published newer data (timeline %d, %s) than this node's (timeline %d, %s)",
				n, l.TLI, l.LSN, f.Mine.TLI, f.Mine.LSN)
		}
	}
	return ""
}

// checkpointForRejoin: pg_rewind reads its source's timeline from the
// control file, which a promoted server updates only at its first
// checkpoint — by default a spread one that takes minutes. With rejoin on,
// the new primary checkpoints at once so that the old primary can rewind
// from it without waiting. A failure only delays that rejoin (rejoin.go
// refuses a stale control file): it is a warning, never a failed promote.
func (a *Agent) checkpointForRejoin(ctx context.Context) {
	deadline, _ := ctx.Deadline()
	cctx, cancel := context.WithDeadline(ctx, deadline.Add(-2*time.Second))
	defer cancel()
	c, err := a.dbaConn(cctx)
	if err == nil {
		err = c.Exec(cctx, "CHECKPOINT")
	}
	if err != nil {
		a.Log.Warnf("rejoin: the checkpoint after the promotion failed (a former primary can rewind from this node only after its next checkpoint): %s", cmdrun.OneLine(err.Error()))
		return
	}
	a.Log.Infof("rejoin: checkpoint done: a former primary can rewind from this node")
}

// writeLock creates PGSQL.lock, PG-REX's start-prohibition flag, before
// the promotion happens. Its content (ignored by PG-REX's tools, which
// only test that it exists) says when and from where this node was
// promoted, for `pgrex lock status`.
func (a *Agent) writeLock(loc pg.Location) error {
	if err := atomicfile.EnsurePrivateDir(a.Cfg.TmpDir, a.owner()); err != nil {
		return err
	}
	return lockfile.Write(a.Cfg.LockFile(), lockfile.Content{
		Promoted: time.Now(), Node: a.node, Timeline: loc.TLI, Location: pg.FormatXlogLoc(loc.LSN), SyncKnown: true}, a.owner())
}

// recordSyncInLock keeps PGSQL.lock's synchronous= line naming the standby
// commits wait for (rejoin.go reads it): written before commits stop
// waiting, and one monitor after they start to, so the file never claims
// a wait that was not there. from, when known, is sync_from=: this
// primary's WAL position once commits waited for that standby, before
// which lies every commit acknowledged without it (the catch-up rule,
// monitor.go); a new standby name forgets the old one's. A primary without
// its lock (removed by hand) is left so.
func (a *Agent) recordSyncInLock(name string, from *pg.LSN) error {
	info, err := lockfile.Read(a.Cfg.LockFile())
	if err != nil || !info.Exists {
		return err
	}
	c := info.Content
	next := c
	if !c.SyncKnown || c.Synchronous != name {
		next.Synchronous, next.SyncKnown, next.SyncFrom = name, true, ""
	}
	if from != nil && name != "" {
		next.SyncFrom = pg.FormatXlogLoc(*from)
	}
	if next.SyncKnown == c.SyncKnown && next.Synchronous == c.Synchronous && next.SyncFrom == c.SyncFrom {
		return nil
	}
	return lockfile.Write(a.Cfg.LockFile(), next, a.owner())
}

// promoteByRestart is restart_on_promote: stop the standby, drop the
// standby marker, start it as a primary.
func (a *Agent) promoteByRestart(ctx context.Context) error {
	a.closeDB()
	if err := a.stopServer(ctx, a.Cfg.StopEscalateInSlave); err != nil {
		_ = a.setMyStatus(ctx, attrd.StatusUnknown)
		return fmt.Errorf("promote (restart) failed: %w", err)
	}
	marker := filepath.Join(a.Cfg.PgData, "standby.signal")
	if v := a.pgVersion(); v != 0 && v < 1200 {
		marker = a.recoveryFile()
	}
	if _, err := atomicfile.Remove(marker); err != nil {
		return fmt.Errorf("promote (restart) failed: %w", err)
	}
	if err := a.launch(ctx); err != nil {
		_ = a.setMyStatus(ctx, attrd.StatusStop)
		return err
	}
	return nil
}

// waitPrimary waits until the server accepts writes.
func (a *Agent) waitPrimary(ctx context.Context) error {
	var last string
	for attempt := 0; ; attempt++ {
		c, err := a.conn(ctx)
		if err == nil {
			rec, qerr := c.InRecovery(ctx)
			if qerr == nil && !rec {
				return nil
			}
			if qerr != nil {
				a.dropConn()
				last = cmdrun.OneLine(qerr.Error())
			} else {
				last = "still in recovery"
			}
		} else {
			last = cmdrun.OneLine(err.Error())
		}
		select {
		case <-ctx.Done():
			return failf(ocf.ErrGeneric, "PostgreSQL did not leave recovery within the promote timeout: %s", last)
		case <-time.After(pollInterval(attempt)):
		}
	}
}
