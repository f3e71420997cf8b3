// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/msg"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/procedure"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/toolsconf"
	"github.com/pgrex/pgrex/ra/lockfile"
)

func lockCommand(e *env) *cli.Command {
	common := func(extra ...cli.Flag) []cli.Flag {
		return append([]cli.Flag{
			&cli.StringFlag{Name: "tmpdir", Usage: "the agent's tmpdir (default: Tmpdir in the config, else the pgsql resource's tmpdir in the CIB, else /var/lib/pgsql/tmp)"},
			&cli.StringFlag{Name: "pgdata", Usage: "the data directory (default: PGDATA in the config, else the CIB's pgdata, else /var/lib/pgsql/data)"},
			&cli.StringFlag{Name: "node", Usage: "this node's cluster name (default: crm_node --name)"},
			&cli.StringFlag{Name: "resource", Usage: "the pgsql primitive id (default: PG_REX_Primitive_ResourceID, pgsql)"},
			&cli.StringFlag{Name: "peer", Usage: "the peer's address for ssh, asked while Pacemaker is stopped here (default: the address of D_LAN_IPAddress not configured here)"},
			&cli.StringSliceFlag{Name: "ssh-option", Usage: "an extra ssh option, e.g. -o StrictHostKeyChecking=accept-new (repeatable)"},
			configFlag(),
		}, extra...)
	}
	return &cli.Command{
		Name:  "lock",
		Usage: "show or remove PGSQL.lock, PG-REX's start-prohibition flag",
		Subcommands: []*cli.Command{
			{
				Name:        "status",
				Usage:       "show whether PGSQL.lock exists, when and by which promote it was made, and whether clear would remove it",
				Description: "Exit status: 0 no lock, 2 the lock exists, 1 it could not be inspected.",
				Flags:       common(&cli.BoolFlag{Name: "json", Usage: "print JSON"}),
				Action:      func(c *cli.Context) error { return runLockStatus(c, e) },
			},
			{
				Name:  "clear",
				Usage: "remove PGSQL.lock once this node's data is known to be complete",
				Description: "Refuses while PostgreSQL runs here as primary, and unless this node's pgsql-data-status is " +
					"LATEST or STREAMING|SYNC or its data directory was rebuilt (pg_basebackup/pg_rewind) after the lock " +
					"was made. With Pacemaker stopped here it also asks the peer over ssh and refuses unless the peer " +
					"answers, does not run as primary, is not LATEST and is not on a later timeline or further on the same " +
					"one. --force overrides the refusals. Asks before removing unless --yes. " +
					"Exit status: 0 removed or nothing to remove, 2 refused, 3 declined at the prompt, 1 error.",
				Flags: common(
					&cli.BoolFlag{Name: "force", Usage: "remove the lock despite the safety checks"},
					&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation"},
					&cli.BoolFlag{Name: "dry-run", Usage: "show what would be done, change nothing"},
				),
				Action: func(c *cli.Context) error { return runLockClear(c, e) },
			},
		},
	}
}

// lockCtx is what both lock subcommands resolve first.
type lockCtx struct {
	e      *env
	host   procedure.Host
	q      procedure.LockQuery
	tmpSrc toolsconf.Source
	info   lockfile.Info
	// clear is what the last decide saw.
	clear procedure.LockClearFacts
}

func newLockCtx(c *cli.Context, e *env) (*lockCtx, error) {
	cfg, err := loadConfig(c, e)
	if err != nil {
		return nil, e.fail(exitError, err)
	}
	l := &lockCtx{e: e, host: procHost(e), q: procedure.LockQuery{Config: cfg, Resource: cfg.Resource(c.String("resource")),
		NodeFlag: c.String("node"), PGDataFlag: c.String("pgdata"), PeerFlag: c.String("peer"), SSHOptions: c.StringSlice("ssh-option")}}
	l.q.Tmpdir, l.tmpSrc = cfg.ResolveTmpdir(c.Context, e.run, c.String("tmpdir"), l.q.Resource, true)
	l.info, err = lockfile.Read(lockfile.Path(l.q.Tmpdir))
	if err != nil {
		return nil, e.fail(exitError, err)
	}
	l.q.Lock = l.info
	return l, nil
}

// decide gathers the lock's facts and applies procedure.DecideLockClear.
func (l *lockCtx) decide(c *cli.Context, force bool) (procedure.LockFacts, lockfile.Decision) {
	lf := procedure.GatherLockFacts(c.Context, l.host, l.q)
	l.clear = procedure.GatherLockClear(c.Context, l.host, l.q, lf)
	return lf, procedure.DecideLockClear(l.clear, force)
}

func (l *lockCtx) printLock() {
	e := l.e
	e.say("lk.path", l.info.Path, e.sourceText(l.tmpSrc))
	if !l.info.Exists {
		e.say("lk.absent")
		return
	}
	e.say("lk.present")
	from := e.T("lk.from-mtime")
	if l.info.CreatedFrom == "content" {
		from = e.T("lk.from-content")
	}
	e.say("lk.created", l.info.Created.UTC().Format(time.RFC3339), from)
	if ct := l.info.Content; ct.Node != "" || ct.Timeline != 0 || ct.Location != "" {
		tli := "?"
		if ct.Timeline != 0 {
			tli = fmt.Sprint(ct.Timeline)
		}
		e.say("lk.by", msg.OrDash(ct.Node), tli, msg.OrDash(ct.Location))
	}
	if len(l.info.Content.Unknown) > 0 {
		e.say("lk.unknown", strings.Join(l.info.Content.Unknown, " | "))
	}
}

func (l *lockCtx) printFacts(lf procedure.LockFacts) {
	e := l.e
	f, node, pgdata, dsSource := lf.Base, lf.Node, lf.PGData, lf.DataStatusSource
	ds := f.DataStatus
	switch {
	case f.DataStatusErr != nil:
		ds = e.T("lk.unreadable")
		dsSource = ""
	case !f.DataStatusFound:
		ds = e.T("lk.unset")
	}
	src := ""
	switch {
	case dsSource == "cluster":
		src = e.T("source", e.T("src.cluster"))
	case strings.HasPrefix(dsSource, "on-disk CIB "):
		src = e.T("source", e.T("src.cib-file", strings.TrimPrefix(dsSource, "on-disk CIB ")))
	}
	e.say("lk.facts", msg.OrDash(node), e.T("pg."+string(f.PG)), ds, src)
	if !f.BackupLabel.IsZero() {
		e.say("lk.backup-label", pgdata, f.BackupLabel.UTC().Format(time.RFC3339))
	}
}

// reasonText renders a Decide code.
func (l *lockCtx) reasonText(code lockfile.Code) string {
	key, args := l.clear.Reason(code)
	if key == "" {
		return string(code)
	}
	return l.e.T(key, anyArgs(args)...)
}

func (l *lockCtx) printDecision(d lockfile.Decision, f lockfile.Facts) {
	e := l.e
	if len(d.Refusals) > 0 {
		if d.Remove {
			e.say("lk.forced")
		} else {
			e.say("lk.refused", l.info.Path)
		}
		for _, r := range d.Refusals {
			fmt.Fprintf(e.stdout, "  - %s\n", l.reasonText(r))
		}
		if !d.Remove {
			e.say("lk.force-hint")
		}
		return
	}
	if d.Remove {
		e.say("lk.grounds")
		for _, g := range d.Grounds {
			fmt.Fprintf(e.stdout, "  - %s\n", l.reasonText(g))
		}
	}
}

// lockStatusJSON is `pgrex lock status --json`.
type lockStatusJSON struct {
	Path   string        `json:"path"`
	Source string        `json:"tmpdir_source"`
	Lock   lockfile.Info `json:"lock"`
	Clear  *clearJSON    `json:"clear,omitempty"`
}

type clearJSON struct {
	Node            string          `json:"node"`
	PostgreSQL      lockfile.PGRole `json:"postgresql"`
	DataStatus      string          `json:"data_status,omitempty"`
	DataStatusFound bool            `json:"data_status_found"`
	DataStatusError string          `json:"data_status_error,omitempty"`
	WouldRemove     bool            `json:"would_remove"`
	Refusals        []lockfile.Code `json:"refusals,omitempty"`
	Grounds         []lockfile.Code `json:"grounds,omitempty"`
}

func runLockStatus(c *cli.Context, e *env) error {
	l, err := newLockCtx(c, e)
	if err != nil {
		return err
	}
	var cj *clearJSON
	var lf procedure.LockFacts
	var d lockfile.Decision
	if l.info.Exists {
		lf, d = l.decide(c, false)
		f := lf.Base
		cj = &clearJSON{Node: lf.Node, PostgreSQL: f.PG, DataStatus: f.DataStatus, DataStatusFound: f.DataStatusFound,
			WouldRemove: d.Remove, Refusals: d.Refusals, Grounds: d.Grounds}
		if f.DataStatusErr != nil {
			cj.DataStatusError = f.DataStatusErr.Error()
		}
	}
	if c.Bool("json") {
		if err := l.e.printJSON(lockStatusJSON{Path: l.info.Path, Source: string(l.tmpSrc), Lock: l.info, Clear: cj}); err != nil {
			return err
		}
	} else {
		l.printLock()
		if l.info.Exists {
			l.printFacts(lf)
			l.printDecision(d, lf.Base)
		}
	}
	if l.info.Exists {
		return cli.Exit("", exitAttn)
	}
	return nil
}

func runLockClear(c *cli.Context, e *env) error {
	l, err := newLockCtx(c, e)
	if err != nil {
		return err
	}
	l.printLock()
	if !l.info.Exists {
		e.say("lk.nothing")
		return nil
	}
	lf, d := l.decide(c, c.Bool("force"))
	f, node, dsSource := lf.Base, lf.Node, lf.DataStatusSource
	l.printFacts(lf)
	l.printDecision(d, f)
	if !d.Remove {
		return cli.Exit("", exitAttn)
	}
	if c.Bool("dry-run") {
		e.say("lk.dry-run", l.info.Path)
		return nil
	}
	if !c.Bool("yes") && !e.confirm("lk.confirm", l.info.Path) {
		e.say("declined")
		return cli.Exit("", exitDeclined)
	}
	removed, err := lockfile.Remove(l.info.Path)
	if err != nil {
		return e.fail(exitError, err)
	}
	if !removed {
		e.say("lk.gone", l.info.Path)
		return nil
	}
	var why []string
	for _, g := range d.Grounds {
		why = append(why, string(g))
	}
	for _, r := range d.Refusals {
		why = append(why, "overrode "+string(r))
	}
	if dsSource != "" && f.DataStatusErr == nil {
		why = append(why, fmt.Sprintf("data-status=%q from %s", f.DataStatus, dsSource))
	}
	l.e.logAction(fmt.Sprintf("pgrex lock clear: removed %s on node %s (%s)", l.info.Path, msg.OrDash(node), strings.Join(why, "; ")))
	e.say("lk.removed", l.info.Path)
	return nil
}
