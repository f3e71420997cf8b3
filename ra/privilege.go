// SPDX-License-Identifier: Apache-2.0

package ra

import (
	"context"
	"strings"

	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/ra/config"
	"github.com/pgrex/pgrex/ra/ocf"
	"github.com/pgrex/pgrex/ra/pg"
)

// The replication modes read pg_stat_replication (the primary) and
// pg_stat_wal_receiver (a standby) as monitor_user. PostgreSQL shows the
// columns that matter — state, sync_state, status, received_tli — only to
// superusers and to roles with the privileges of pg_read_all_stats (which
// pg_monitor includes); anyone else sees NULL there. A primary that took
// NULL for "not streaming" would drop its synchronous standby, so start
// (and validate-all, when the server runs) refuse such a user, and the
// monitors treat NULL as "cannot tell", never as "gone"
// (docs/compatibility.md, "monitor_user").

// privilegeFacts is what the server says about the agent's database user.
type privilegeFacts struct {
	User      string
	Super     bool
	ReadStats bool // has the privileges of pg_read_all_stats (PostgreSQL 10+)
	Version   int  // server_version_num / 100, as pg.VersionNum
}

// decidePrivilege returns nil when the user can read the replication
// views, else the refusal. OCF_ERR_PERM, not OCF_ERR_CONFIGURED: Pacemaker
// treats 6 as fatal and stops the resource on every node — a healthy
// primary included — for what a GRANT fixes; 4 only keeps the instance off
// this node until the operator cleans it up.
func decidePrivilege(f privilegeFacts) *config.Error {
	switch {
	case f.Super, f.ReadStats:
		return nil
	case f.Version != 0 && f.Version < 1000:
		return config.Errorf(ocf.ErrPerm, "monitor_user",
			"database user %q is not a superuser: PostgreSQL %d.%d shows pg_stat_replication and pg_stat_wal_receiver only to superusers (set monitor_user to one)",
			f.User, f.Version/100, f.Version%100)
	}
	return config.Errorf(ocf.ErrPerm, "monitor_user",
		"database user %q is neither a superuser nor a member of pg_read_all_stats or pg_monitor: it would read the replication state in pg_stat_replication and pg_stat_wal_receiver as NULL (GRANT pg_monitor TO %s)",
		f.User, quoteIdent(f.User))
}

// checkPrivilege gathers and decides on the invocation's session.
func (a *Agent) checkPrivilege(ctx context.Context) (*config.Error, error) {
	c, err := a.conn(ctx)
	if err != nil {
		return nil, err
	}
	p, err := c.Privileges(ctx, a.pgVersion())
	if err != nil {
		return nil, err
	}
	return decidePrivilege(privilegeFacts{User: p.User, Super: p.Super, ReadStats: p.ReadStats, Version: a.pgVersion()}), nil
}

// validatePrivilege is validate-all's part (level 10, async/sync modes):
// the check needs the server, so it runs only while PostgreSQL runs here;
// a stopped server, or one that does not answer, defers it to start.
func (a *Agent) validatePrivilege(ctx context.Context) (ocf.Status, error) {
	if a.Cfg.RepMode != config.ModeSync && a.Cfg.RepMode != config.ModeAsync {
		return ocf.Success, nil
	}
	live, err := pg.CheckLiveness(a.Cfg.PgData)
	if err != nil || !live.Running {
		a.Log.Infof("PostgreSQL is not running: the privileges of %s are checked at start", a.Cfg.DBUser())
		return ocf.Success, nil
	}
	defer a.closeDB()
	ce, err := a.checkPrivilege(ctx)
	if err != nil {
		a.Log.Warnf("could not check the privileges of %s (checked again at start): %s", a.Cfg.DBUser(), cmdrun.OneLine(err.Error()))
		return ocf.Success, nil
	}
	if ce != nil {
		return 0, ce
	}
	return ocf.Success, nil
}

// quoteIdent is an SQL identifier in double quotes, for the GRANT the
// message suggests.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
