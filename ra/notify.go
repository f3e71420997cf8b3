// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"context"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/ra/pg"
)

// notify handles clone notifications. Pacemaker ignores
// notify failures, so only pre-promote's "my data is newer" case fails.
func (a *Agent) notify(ctx context.Context) (Status, error) {
	n := a.Meta.Notify
	promotee := first(n.Promote.Uname)
	switch n.Type + "-" + n.Operation {
	case "pre-promote":
		if a.Cfg.RepMode != ModeSync || len(a.Cfg.NodeList) < 3 || promotee == "" || promotee == a.node {
			return OCFSuccess, nil
		}
		theirs, ok, err := a.attrs.Store.Get(ctx, promotee, a.Cfg.names().MasterBaseline(), attrd.Reboot)
		if err != nil || !ok || theirs == "" {
			return OCFSuccess, nil
		}
		c, err := a.conn(ctx)
		if err != nil {
			return OCFSuccess, nil
		}
		mine, err := a.location(ctx, c)
		if err != nil {
			return OCFSuccess, nil
		}
		if newerThanBaseline(mine, theirs) {
			refusal := failf(OCFErrGeneric, "My data is newer than new master's one. New master's location : %s", theirs)
			if err := a.banSelf(ctx); err != nil {
				a.Log.Errorf("%s", cmdrun.OneLine(err.Error()))
			}
			return 0, refusal
		}
	case "post-promote":
		for _, name := range []string{a.Cfg.names().XlogLoc(), a.Cfg.names().XlogTLI()} {
			if err := a.attrs.Delete(ctx, a.node, name, attrd.Reboot); err != nil {
				a.Log.Warnf("%s", cmdrun.OneLine(err.Error()))
			}
		}
		if promotee != a.node {
			if err := a.attrs.Delete(ctx, a.node, a.Cfg.names().MasterBaseline(), attrd.Reboot); err != nil {
				a.Log.Warnf("%s", cmdrun.OneLine(err.Error()))
			}
		}
	case "post-demote":
		if contains(n.Demote.Uname, a.node) || contains(n.Promoted.Uname, a.node) {
			return OCFSuccess, nil
		}
		c, err := a.conn(ctx)
		if err != nil {
			a.Log.Warnf("post-demote: %s", cmdrun.OneLine(err.Error()))
			return OCFSuccess, nil
		}
		loc, err := a.location(ctx, c)
		if err != nil {
			a.Log.Warnf("post-demote: %s", cmdrun.OneLine(err.Error()))
			return OCFSuccess, nil
		}
		if err := a.attrs.Set(ctx, a.node, a.Cfg.names().MasterBaseline(), pg.FormatXlogLoc(loc.LSN), attrd.Reboot); err != nil {
			a.Log.Warnf("%s", cmdrun.OneLine(err.Error()))
		}
		if err := a.setMyStatus(ctx, attrd.StatusAlone); err != nil {
			a.Log.Warnf("%s", cmdrun.OneLine(err.Error()))
		}
	case "post-start", "post-stop":
		if first(n.Promoted.Uname) != a.node {
			return OCFSuccess, nil
		}
		c, err := a.conn(ctx)
		if err != nil {
			a.Log.Warnf("%s: %s", n.Type+"-"+n.Operation, cmdrun.OneLine(err.Error()))
			return OCFSuccess, nil
		}
		if err := a.controlStandbys(ctx, c); err != nil {
			a.Log.Warnf("%s: %s", n.Type+"-"+n.Operation, cmdrun.OneLine(err.Error()))
		}
	}
	return OCFSuccess, nil
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
	return a.Attrs.Ban(ctx, a.Cfg.Instance, a.node)
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
