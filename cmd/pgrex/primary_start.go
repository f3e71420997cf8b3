// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/procedure"
	"github.com/urfave/cli/v2"
)

func primaryStartCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "primary-start",
		Usage: "start this node as the primary (manual 4.2, pg-rex_primary_start)",
		Description: "Refuses while Pacemaker or PostgreSQL runs here, while a primary runs or may run on the peer, while " +
			"this node's pgsql-data-status (in this node's and the peer's CIB) says it may lack data, while the peer is " +
			"on a later timeline, and while PGSQL.lock exists without proof that this node has the newest data. Then " +
			"removes the lock (asking first), stray standby.signal/recovery.signal, starts Pacemaker and waits for PRI. " +
			"Exit status: 0 started (or --dry-run), 1 error or timeout, 2 refused, 3 declined at the prompt.",
		Flags: procFlags(
			&cli.BoolFlag{Name: "ignore-peer", Usage: "the peer is down (powered off or fenced): start without asking it"},
		),
		Action: func(c *cli.Context) error { return runPrimaryStart(c, e) },
	}
}

func runPrimaryStart(c *cli.Context, e *env) error {
	p, release, err := beginProcedure(c, e, "pc.primary-start")
	if err != nil {
		return err
	}
	defer release()
	l, peer, err := p.gather.GatherPrimaryStart(c.Context, &p.s)
	if err != nil {
		return e.fail(exitError, err)
	}
	s := p.s
	d := procedure.DecidePrimaryStart(s, l, peer, procedure.PrimaryOptions{IgnorePeer: c.Bool("ignore-peer")})
	if c.Bool("json") {
		if err := p.e.printJSON(map[string]any{"local": l, "peer": peer, "decision": d}); err != nil {
			return err
		}
		return refusedExit(d)
	}
	p.showObservations(l)
	if err := p.show(d); err != nil {
		return err
	}
	if err := p.apply(d); err != nil {
		return err
	}
	if !c.Bool("dry-run") {
		e.say("pc.primary-started", s.Node)
		e.logAction(fmt.Sprintf("pgrex primary-start: %s runs as primary", s.Node))
	}
	return nil
}

func (p *procCtx) showObservations(l procedure.LocalFacts) {
	for _, ob := range l.DataStatus {
		v := ob.Value
		if !ob.Found {
			v = p.e.T("lk.unset")
		}
		p.e.say("pc.data-status", p.s.Node, v, ob.Source)
	}
}
