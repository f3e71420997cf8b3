// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/procedure"
	"github.com/urfave/cli/v2"
)

func switchoverCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "switchover",
		Usage: "move the primary to the synchronous standby and rejoin this node as its standby (manual 6.3, pg-rex_switchover)",
		Description: "Run on the primary. Requires both nodes online, this node PRI/LATEST and the peer HS:sync/STREAMING|SYNC, " +
			"no maintenance mode and no move/ban constraint. Bans the promoted role from this node (crm_resource --ban " +
			"--promoted), waits for the peer to be primary, clears the ban, stops Pacemaker here and runs standby-start " +
			"here: PGSQL.lock is removed when this node's WAL is proven a prefix of the new primary's, else it is rebuilt. " +
			"Exit status: 0 done (or --dry-run), 1 error or timeout, 2 refused, 3 declined at the prompt.",
		Flags: procFlags(
			&cli.BoolFlag{Name: "shared-archive", Aliases: []string{"s"}, Usage: "the archive directory is shared: no archive sync"},
			&cli.StringFlag{Name: "rewind-user", Usage: "the database superuser pg_rewind connects as (default: the pgdba parameter)"},
			&cli.DurationFlag{Name: "rebuild-timeout", Value: defaultRebuildTimeout, Usage: "bound of pg_basebackup, pg_rewind and the archive fetch"},
		),
		Action: func(c *cli.Context) error { return runSwitchover(c, e) },
	}
}

func runSwitchover(c *cli.Context, e *env) error {
	p, release, err := beginProcedure(c, e, "pc.switchover")
	if err != nil {
		return err
	}
	defer release()
	cf, err := p.gather.Cluster(c.Context, p.s, true)
	if err != nil {
		return e.fail(exitError, err)
	}
	d := procedure.DecideSwitchover(p.s, cf, procedure.SwitchoverOptions{SharedArchive: c.Bool("shared-archive")})
	if c.Bool("json") {
		if err := p.e.printJSON(map[string]any{"cluster": cf, "decision": d}); err != nil {
			return err
		}
		return refusedExit(d)
	}
	if !d.Refused() && cf.Cluster != nil {
		for _, n := range cf.Cluster.Nodes {
			if n.Name != p.s.Node {
				p.s.Peer = n.Name
			}
		}
		e.say("pc.switch-roles", p.s.Node, p.s.Peer)
		e.say("pc.availability")
	}
	if err := p.show(d); err != nil {
		return err
	}
	e.say("pc.phase2", p.s.Node)
	if err := p.apply(d); err != nil {
		return err
	}
	if c.Bool("dry-run") {
		return nil
	}
	e.logAction(fmt.Sprintf("pgrex switchover: %s is primary, %s stopped", p.s.Peer, p.s.Node))
	e.say("pc.primary-moved", p.s.Peer)

	// Second half: this node rejoins as standby, decided from the facts
	// as they are now.
	o := procedure.StandbyOptions{SharedArchive: c.Bool("shared-archive"), Switchover: true, Stamp: procedure.Stamp(e.now())}
	sd, _, _, err := p.decideStandby(c.Context, o)
	if err != nil {
		return e.fail(exitError, err)
	}
	procedure.WriteMethods(e.printer(), sd)
	if err := p.show(sd.Decision); err != nil {
		e.say("pc.rejoin-failed", p.s.Node)
		return err
	}
	if err := p.apply(sd.Decision); err != nil {
		e.say("pc.rejoin-failed", p.s.Node)
		return err
	}
	e.logAction(fmt.Sprintf("pgrex switchover: %s rejoined as standby (%s)", p.s.Node, sd.Chosen))
	e.say("pc.switchover-done", p.s.Peer, p.s.Node)
	return nil
}
