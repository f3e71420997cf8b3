// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/procedure"
	"github.com/urfave/cli/v2"
)

func standbyStartCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "standby-start",
		Usage: "start this node as the synchronous standby of the primary on the peer (manual 4.3, pg-rex_standby_start)",
		Description: "Requires a primary on the peer. Chooses how to rejoin — reuse the data as it is, pg_rewind, or a " +
			"fresh base backup (the first available of those allowed) — fetches the archive files the primary has and " +
			"this node lacks, removes PGSQL.lock after a rebuild, starts Pacemaker and waits for HS:sync. An old data " +
			"directory is moved aside, never deleted, unless --remove-old-data. Exit status: 0 started (or --dry-run, " +
			"--check-only), 1 error or timeout, 2 refused, 3 no primary on the peer or declined at the prompt.",
		Flags: procFlags(
			&cli.BoolFlag{Name: "reuse", Aliases: []string{"n"}, Usage: "accept starting with the data as it is"},
			&cli.BoolFlag{Name: "rewind", Aliases: []string{"r"}, Usage: "accept pg_rewind (implies --reuse)"},
			&cli.BoolFlag{Name: "basebackup", Aliases: []string{"b"}, Usage: "accept a fresh base backup"},
			&cli.BoolFlag{Name: "check-only", Aliases: []string{"c"}, Usage: "only show which methods are possible"},
			&cli.BoolFlag{Name: "shared-archive", Aliases: []string{"s"}, Usage: "the archive directory is shared: no archive checks or sync"},
			&cli.BoolFlag{Name: "remove-old-data", Usage: "a base backup deletes the old data directory instead of moving it aside"},
			&cli.StringFlag{Name: "rewind-user", Usage: "the database superuser pg_rewind connects as (default: the pgdba parameter)"},
			&cli.DurationFlag{Name: "rebuild-timeout", Value: defaultRebuildTimeout, Usage: "bound of pg_basebackup, pg_rewind and the archive fetch"},
		),
		Action: func(c *cli.Context) error { return runStandbyStart(c, e) },
	}
}

// standbyMethods maps the flags to the accepted methods (PG-REX: -r
// implies -n).
func standbyMethods(c *cli.Context) []procedure.Method {
	var ms []procedure.Method
	if c.Bool("reuse") || c.Bool("rewind") {
		ms = append(ms, procedure.MethodReuse)
	}
	if c.Bool("rewind") {
		ms = append(ms, procedure.MethodRewind)
	}
	if c.Bool("basebackup") {
		ms = append(ms, procedure.MethodBaseBackup)
	}
	return ms
}

// decideStandby gathers what standby-start needs and decides.
func (p *procCtx) decideStandby(ctx context.Context, o procedure.StandbyOptions) (procedure.StandbyDecision, procedure.LocalFacts, procedure.PeerFacts, error) {
	l, peer, err := p.gather.GatherStandbyStart(ctx, &p.s, o.SharedArchive)
	if err != nil {
		return procedure.StandbyDecision{}, l, peer, err
	}
	return procedure.DecideStandbyStart(p.s, l, peer, o), l, peer, nil
}

func runStandbyStart(c *cli.Context, e *env) error {
	p, release, err := beginProcedure(c, e, "pc.standby-start")
	if err != nil {
		return err
	}
	defer release()
	o := procedure.StandbyOptions{Methods: standbyMethods(c), SharedArchive: c.Bool("shared-archive"),
		RemoveOldData: c.Bool("remove-old-data"), Stamp: procedure.Stamp(e.now())}
	if c.Bool("check-only") {
		o.Methods = nil
	}
	d, l, peer, err := p.decideStandby(c.Context, o)
	if err != nil {
		return e.fail(exitError, err)
	}
	if c.Bool("json") {
		if err := p.e.printJSON(map[string]any{"local": l, "peer": peer, "decision": d}); err != nil {
			return err
		}
		return refusedExit(d.Decision)
	}
	procedure.WriteMethods(e.printer(), d)
	if c.Bool("check-only") {
		procedure.WriteNotes(e.printer(), d.Notes)
		if d.NoPrimary || (d.Refused() && len(d.Methods) == 0) {
			return p.show(d.Decision)
		}
		return nil
	}
	if err := p.show(d.Decision); err != nil {
		return err
	}
	if err := p.apply(d.Decision); err != nil {
		return err
	}
	if !c.Bool("dry-run") {
		e.say("pc.standby-started", p.s.Node, p.s.Peer)
		e.logAction(fmt.Sprintf("pgrex standby-start: %s rejoined %s as standby (%s)", p.s.Node, p.s.Peer, d.Chosen))
	}
	return nil
}
