// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"context"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/ra/config"
	"github.com/pgrex/pgrex/ra/ocf"
	"github.com/pgrex/pgrex/ra/pg"
)

// notify handles clone notifications. Pacemaker ignores
// notify failures, so only pre-promote's "my data is newer" case fails.
func (a *Agent) notify(ctx context.Context) (ocf.Status, error) {
	n := a.Meta.Notify
	promotee := first(n.Promote.Uname)
	switch n.Type + "-" + n.Operation {
	case "pre-promote":
		if a.Cfg.RepMode != config.ModeSync || len(a.Cfg.NodeList) < 3 || promotee == "" || promotee == a.node {
			return ocf.Success, nil
		}
		theirs, ok, err := a.crm.Get(ctx, promotee, attrNames(&a.Cfg).MasterBaseline(), attrd.Reboot)
		if err != nil || !ok || theirs == "" {
			return ocf.Success, nil
		}
		c, err := a.conn(ctx)
		if err != nil {
			return ocf.Success, nil
		}
		mine, err := a.location(ctx, c)
		if err != nil {
			return ocf.Success, nil
		}
		if newerThanBaseline(mine, theirs) {
			refusal := failf(ocf.ErrGeneric, "My data is newer than new master's one. New master's location : %s", theirs)
			if err := a.banSelf(ctx); err != nil {
				a.Log.Errorf("%s", cmdrun.OneLine(err.Error()))
			}
			return 0, refusal
		}
	case "post-promote":
		for _, name := range []string{attrNames(&a.Cfg).XlogLoc(), attrNames(&a.Cfg).XlogTLI()} {
			if err := a.attrs.Delete(ctx, a.node, name, attrd.Reboot); err != nil {
				a.Log.Warnf("%s", cmdrun.OneLine(err.Error()))
			}
		}
		if promotee != a.node {
			if err := a.attrs.Delete(ctx, a.node, attrNames(&a.Cfg).MasterBaseline(), attrd.Reboot); err != nil {
				a.Log.Warnf("%s", cmdrun.OneLine(err.Error()))
			}
		}
	case "post-demote":
		if contains(n.Demote.Uname, a.node) || contains(n.Promoted.Uname, a.node) {
			return ocf.Success, nil
		}
		c, err := a.conn(ctx)
		if err != nil {
			a.Log.Warnf("post-demote: %s", cmdrun.OneLine(err.Error()))
			return ocf.Success, nil
		}
		loc, err := a.location(ctx, c)
		if err != nil {
			a.Log.Warnf("post-demote: %s", cmdrun.OneLine(err.Error()))
			return ocf.Success, nil
		}
		if err := a.attrs.Set(ctx, a.node, attrNames(&a.Cfg).MasterBaseline(), pg.FormatXlogLoc(loc.LSN), attrd.Reboot); err != nil {
			a.Log.Warnf("%s", cmdrun.OneLine(err.Error()))
		}
		if err := a.setMyStatus(ctx, attrd.StatusAlone); err != nil {
			a.Log.Warnf("%s", cmdrun.OneLine(err.Error()))
		}
	case "post-start", "post-stop":
		if first(n.Promoted.Uname) != a.node {
			return ocf.Success, nil
		}
		c, err := a.conn(ctx)
		if err != nil {
			a.Log.Warnf("%s: %s", n.Type+"-"+n.Operation, cmdrun.OneLine(err.Error()))
			return ocf.Success, nil
		}
		if err := a.controlStandbys(ctx, c); err != nil {
			a.Log.Warnf("%s: %s", n.Type+"-"+n.Operation, cmdrun.OneLine(err.Error()))
		}
	}
	return ocf.Success, nil
}

// newerThanBaseline compares this node's location with the promotee's
// published baseline (bare 16 hex digits, or PG-REX 9.1's "tli:hex").
func newerThanBaseline(mine pg.Location, baseline string) bool {
	theirs, err := pg.ParseXlogLoc(baseline)
	if err != nil {
		return false
	}
	if theirs.TLI == 0 {
		return mine.LSN > theirs.LSN
	}
	return mine.Newer(theirs)
}

// banSelf keeps this node from being promoted (pre-promote notify found
// its data newer than the promotee's).
func (a *Agent) banSelf(ctx context.Context) error {
	return a.crm.Ban(ctx, a.Cfg.Instance, a.node)
}

func first(l []string) string {
	if len(l) == 0 {
		return ""
	}
	return l[0]
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
