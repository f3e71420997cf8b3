// SPDX-License-Identifier: Apache-2.0

package main

import (
	"github.com/urfave/cli/v2"

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

// print shows the lock and, when it exists, the facts and the decision.
func (l *lockCtx) print(lf procedure.LockFacts, d lockfile.Decision) {
	p := l.e.printer()
	procedure.WriteLock(p, l.info, l.tmpSrc)
	if l.info.Exists {
		procedure.WriteLockFacts(p, lf)
		procedure.WriteLockDecision(p, l.clear, l.info.Path, d)
	}
}

// decide gathers the lock's facts and applies procedure.DecideLockClear.
func (l *lockCtx) decide(c *cli.Context, force bool) (procedure.LockFacts, lockfile.Decision) {
	lf := procedure.GatherLockFacts(c.Context, l.host, l.q)
	l.clear = procedure.GatherLockClear(c.Context, l.host, l.q, lf)
	return lf, procedure.DecideLockClear(l.clear, force)
}

func runLockStatus(c *cli.Context, e *env) error {
	l, err := newLockCtx(c, e)
	if err != nil {
		return err
	}
	var cj *procedure.LockClearJSON
	var lf procedure.LockFacts
	var d lockfile.Decision
	if l.info.Exists {
		lf, d = l.decide(c, false)
		cj = procedure.NewLockClearJSON(lf, d)
	}
	if c.Bool("json") {
		if err := l.e.printJSON(procedure.LockReport{Path: l.info.Path, Source: string(l.tmpSrc), Lock: l.info, Clear: cj}); err != nil {
			return err
		}
	} else {
		l.print(lf, d)
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
	if !l.info.Exists {
		l.print(procedure.LockFacts{}, lockfile.Decision{})
		e.say("lk.nothing")
		return nil
	}
	lf, d := l.decide(c, c.Bool("force"))
	l.print(lf, d)
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
	l.e.logAction(procedure.LockRemovalLog(l.info.Path, lf, d))
	e.say("lk.removed", l.info.Path)
	return nil
}
