// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/atomicfile"
	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/ra/lockfile"
	"github.com/pgrex/pgrex/ra/pg"
)

// A standby that does not stream while another node is the primary is
// either waiting (the primary restarts, the network is down) or can never
// stream again: its WAL has left the primary's history — an old primary
// started by hand without its lock, a rejoin gone wrong, a restore. The
// primary only sees "no row" (DISCONNECT) in both cases; the standby finds
// out which by asking the primary's walsender, as its WAL receiver does,
// and names the second DIVERGED (docs/rejoin.md, "Diverged standbys").

// divergeCheckTimeout bounds the question to the primary: a primary that
// does not answer in time proves nothing either way.
const divergeCheckTimeout = 5 * time.Second

// divergedFacts is what the check is decided from.
type divergedFacts struct {
	SystemID string      // this node's database system identifier
	Mine     pg.Location // this node's timeline and its WAL position
	// Source is the primary's walsender's word (nil: no answer, SourceErr).
	Source    *pg.Source
	SourceErr string
	MasterIP  string
}

// decideDiverged says whether this node's WAL has left the primary's
// history, and why (known is false when the primary did not answer). A
// node on the primary's past, at or before the point where the primary's
// timeline left its own, can still follow it. Pure.
func decideDiverged(f divergedFacts) (diverged bool, why string, known bool) {
	src, me := f.Source, f.Mine
	if src == nil {
		return false, "", false
	}
	switch {
	case src.SystemID != f.SystemID:
		return true, fmt.Sprintf("the primary at master_ip %s is another database cluster (system identifier %s, here %s)", f.MasterIP, src.SystemID, f.SystemID), true
	case me.TLI > src.TLI:
		return true, fmt.Sprintf("this node is on timeline %d, the primary on the older timeline %d", me.TLI, src.TLI), true
	case me.TLI == src.TLI:
		if me.LSN > src.XLogPos {
			return true, fmt.Sprintf("this node's WAL on timeline %d reaches %s, beyond the primary's %s", me.TLI, me.LSN, src.XLogPos), true
		}
		return false, "", true
	}
	fork, ok := pg.ForkPoint(src.History, me.TLI)
	if !ok {
		return true, fmt.Sprintf("this node's timeline %d is not in the history of the primary's timeline %d", me.TLI, src.TLI), true
	}
	if me.LSN > fork {
		return true, fmt.Sprintf("this node's WAL on timeline %d reaches %s, beyond %s where the primary's history left that timeline", me.TLI, me.LSN, fork), true
	}
	return false, "", true
}

// gatherDiverged reads this node's identity and position and asks the
// primary at master_ip for its own, over a replication connection as
// repuser (what the WAL receiver already uses).
func (a *Agent) gatherDiverged(ctx context.Context, c *pg.Session) (divergedFacts, error) {
	f := divergedFacts{MasterIP: a.Cfg.MasterIP}
	var err error
	if f.SystemID, err = c.SystemID(ctx); err != nil {
		return f, err
	}
	if f.Mine, err = a.location(ctx, c); err != nil {
		return f, err
	}
	sctx, cancel := context.WithTimeout(ctx, divergeCheckTimeout)
	defer cancel()
	src, err := pg.ReadSource(sctx, pg.ConnParams{Host: a.Cfg.MasterIP, Port: a.Cfg.PgPort, User: a.Cfg.RepUser, As: a.DBA})
	if err != nil {
		f.SourceErr = cmdrun.OneLine(err.Error())
		return f, nil
	}
	f.Source = &src
	return f, nil
}

// checkDiverged runs on a standby that does not stream while a primary
// exists: DIVERGED (and no promotion) when its WAL left the primary's
// history; a DIVERGED node that can follow the primary again (the primary
// changed) goes back to DISCONNECT, until the primary sees it stream. It
// returns the data-status the node now has.
func (a *Agent) checkDiverged(ctx context.Context, c *pg.Session, data string) (string, error) {
	f, err := a.gatherDiverged(ctx, c)
	if err != nil {
		return data, err
	}
	diverged, why, known := decideDiverged(f)
	names := attrNames(&a.Cfg)
	switch {
	case !known:
		a.Log.Debugf("diverged check: the primary at master_ip %s does not answer: %s", f.MasterIP, f.SourceErr)
		return data, nil
	case diverged:
		if data != attrd.DataDiverged {
			a.Log.Errorf("this standby has diverged from the primary and cannot stream from it: %s; marking it %s (rebuild it: pgrex standby-start)", why, attrd.DataDiverged)
		}
		if err := a.markDiverged(why); err != nil {
			return data, err
		}
		if err := a.attrs.Set(ctx, a.node, names.DataStatus(), attrd.DataDiverged, attrd.Forever); err != nil {
			return data, err
		}
		return attrd.DataDiverged, a.attrs.SetScore(ctx, a.node, attrd.ScoreCanNotPromote)
	case data == attrd.DataDiverged || a.divergedMarked():
		a.Log.Infof("this standby is on the primary's history again; %s until the primary sees it stream", attrd.DataDisconnect)
		if err := a.attrs.Set(ctx, a.node, names.DataStatus(), attrd.DataDisconnect, attrd.Forever); err != nil {
			return data, err
		}
		if _, err := atomicfile.Remove(a.divergedMarkerPath()); err != nil {
			return data, fmt.Errorf("removing the diverged marker: %w", err)
		}
		return attrd.DataDisconnect, nil
	}
	return data, nil
}

func (a *Agent) divergedMarkerPath() string {
	return filepath.Join(a.Cfg.TmpDir, lockfile.DivergedMarker)
}

// divergedMarked: a stat of the marker, the only cost a streaming standby
// pays for the check.
func (a *Agent) divergedMarked() bool {
	_, err := os.Lstat(a.divergedMarkerPath())
	return err == nil
}

func (a *Agent) markDiverged(why string) error {
	if err := atomicfile.EnsurePrivateDir(a.Cfg.TmpDir, a.owner()); err != nil {
		return err
	}
	body := fmt.Sprintf("diverged %s\n%s\n", time.Now().UTC().Format(time.RFC3339), why)
	if a.divergedMarked() {
		return nil
	}
	if _, err := atomicfile.WriteFileAtomic(a.divergedMarkerPath(), []byte(body), 0o600, a.owner()); err != nil {
		return fmt.Errorf("recording the divergence in %s: %w", a.divergedMarkerPath(), err)
	}
	return nil
}
