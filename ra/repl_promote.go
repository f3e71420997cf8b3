// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/ra/fsutil"
	"github.com/pgrex/pgrex/ra/lockfile"
	"github.com/pgrex/pgrex/ra/pg"
)

// replPromote turns the local standby into the primary.
func (a *Agent) replPromote(ctx context.Context) int {
	c, err := a.conn(ctx)
	if err != nil {
		a.Log.ExitReason("promote failed: %s", oneLine(err))
		return OCFErrGeneric
	}
	rec, err := c.inRecovery(ctx)
	if err != nil {
		a.Log.ExitReason("promote failed: %s", oneLine(err))
		return OCFErrGeneric
	}
	if !rec {
		a.Log.Infof("PostgreSQL is already the primary")
		return OCFSuccess
	}
	if _, err := fsutil.Remove(a.noteFile()); err != nil {
		a.Log.Warnf("%s", oneLine(err))
	}
	cl, err := a.cluster(ctx)
	if err != nil {
		a.Log.ExitReason("%s", oneLine(err))
		return OCFErrGeneric
	}
	// Until they are seen streaming from the new primary, the others may
	// lack its data.
	for _, node := range a.others() {
		if cl.HasNode(node) {
			if err := a.setAttr(ctx, node, a.Cfg.names().DataStatus(), attrd.DataDisconnect, attrd.Forever); err != nil {
				a.Log.ExitReason("%s", oneLine(err))
				return OCFErrGeneric
			}
		}
		name := attrd.PromotionScoreName(a.Cfg.Resource)
		if cur, ok, _ := a.known(ctx, node, name, attrd.Reboot); cl.Online(node) && ok && cur != "" && cur != attrd.ScoreCanNotPromote {
			if err := a.setScore(ctx, node, attrd.ScoreCanNotPromote); err != nil {
				a.Log.ExitReason("%s", oneLine(err))
				return OCFErrGeneric
			}
		}
	}
	loc, err := c.location(ctx, a.pgVersion())
	if err != nil {
		a.Log.ExitReason("promote failed: %s", oneLine(err))
		return OCFErrGeneric
	}
	if err := a.writeLock(loc); err != nil {
		a.Log.ExitReason("promote failed: %s", oneLine(err))
		return OCFErrGeneric
	}
	if err := a.setAttr(ctx, a.node, a.Cfg.names().MasterBaseline(), pg.Hex16(loc.LSN), attrd.Reboot); err != nil {
		a.Log.ExitReason("%s", oneLine(err))
		return OCFErrGeneric
	}
	if a.Cfg.RestartOnPromote {
		if rc := a.promoteByRestart(ctx); rc != OCFSuccess {
			return rc
		}
	} else {
		deadline, _ := ctx.Deadline()
		if err := a.ctl.Promote(ctx, time.Until(deadline)-2*time.Second); err != nil {
			a.Log.ExitReason("%s", oneLine(err))
			return OCFErrGeneric
		}
	}
	if rc := a.waitPrimary(ctx); rc != OCFSuccess {
		return rc
	}
	if err := a.ensureSlots(ctx); err != nil {
		a.Log.ExitReason("%s", oneLine(err))
		return OCFErrGeneric
	}
	if err := a.setAttr(ctx, a.node, a.Cfg.names().DataStatus(), attrd.DataLatest, attrd.Forever); err != nil {
		a.Log.ExitReason("%s", oneLine(err))
		return OCFErrGeneric
	}
	if err := a.setScore(ctx, a.node, attrd.ScorePromoteMe); err != nil {
		a.Log.ExitReason("%s", oneLine(err))
		return OCFErrGeneric
	}
	if err := a.setMyStatus(ctx, attrd.StatusPrimary); err != nil {
		a.Log.ExitReason("%s", oneLine(err))
		return OCFErrGeneric
	}
	a.Log.Infof("PostgreSQL is promoted (from timeline %d at %s)", loc.TLI, pg.Hex16(loc.LSN))
	return OCFSuccess
}

// writeLock creates PGSQL.lock, PG-REX's start-prohibition flag, before
// the promotion happens. Its content (ignored by PG-REX's tools, which
// only test that it exists) says when and from where this node was
// promoted, for `pgrex lock status`.
func (a *Agent) writeLock(loc pg.Location) error {
	if err := fsutil.EnsurePrivateDir(a.Cfg.TmpDir, a.owner()); err != nil {
		return err
	}
	return lockfile.Write(a.Cfg.LockFile(), lockfile.Content{
		Promoted: time.Now(), Node: a.node, Timeline: loc.TLI, Location: pg.Hex16(loc.LSN)})
}

// promoteByRestart is restart_on_promote: stop the standby, drop the
// standby marker, start it as a primary.
func (a *Agent) promoteByRestart(ctx context.Context) int {
	a.closeDB()
	if err := a.stopServer(ctx, a.Cfg.StopEscalateInSlave); err != nil {
		_ = a.setMyStatus(ctx, attrd.StatusUnknown)
		a.Log.ExitReason("promote (restart) failed: %s", oneLine(err))
		return OCFErrGeneric
	}
	marker := filepath.Join(a.Cfg.PgData, "standby.signal")
	if v := a.pgVersion(); v != 0 && v < 1200 {
		marker = a.recoveryFile()
	}
	if _, err := fsutil.Remove(marker); err != nil {
		a.Log.ExitReason("promote (restart) failed: %s", oneLine(err))
		return OCFErrGeneric
	}
	if rc := a.launch(ctx); rc != OCFSuccess {
		_ = a.setMyStatus(ctx, attrd.StatusStop)
		return rc
	}
	return OCFSuccess
}

// waitPrimary waits until the server accepts writes.
func (a *Agent) waitPrimary(ctx context.Context) int {
	var last string
	for attempt := 0; ; attempt++ {
		c, err := a.conn(ctx)
		if err == nil {
			rec, qerr := c.inRecovery(ctx)
			if qerr == nil && !rec {
				return OCFSuccess
			}
			if qerr != nil {
				a.dropConn()
				last = oneLine(qerr)
			} else {
				last = "still in recovery"
			}
		} else {
			last = oneLine(err)
		}
		select {
		case <-ctx.Done():
			a.Log.ExitReason("PostgreSQL did not leave recovery within the promote timeout: %s", last)
			return OCFErrGeneric
		case <-time.After(pollInterval(attempt)):
		}
	}
}

// banSelf keeps this node from being promoted (pre-promote notify found
// its data newer than the promotee's).
func (a *Agent) banSelf(ctx context.Context) error {
	_, err := a.Runner.Run(ctx, cmdrun.Cmd{Path: "crm_resource", Args: []string{"--ban", "--resource", a.Cfg.Instance, "--node", a.node, "--quiet"}, Timeout: 30 * time.Second})
	if err != nil {
		return fmt.Errorf("banning %s from %s: %w", a.Cfg.Instance, a.node, err)
	}
	return nil
}
