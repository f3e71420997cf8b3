// SPDX-License-Identifier: Apache-2.0

package main

import (
	"strings"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/procedure"
	"github.com/urfave/cli/v2"
)

func stopCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "stop",
		Usage: "stop Pacemaker on this node, or on both nodes standby first (manual 4.4–4.6, pg-rex_stop)",
		Description: "Stopping the primary asks first; while the standby runs it says that a failover follows. --all stops " +
			"the standby before the primary, the peer over ssh. Exit status: 0 stopped or already stopped (or --dry-run), " +
			"1 error or timeout, 2 refused, 3 declined at the prompt.",
		Flags: procFlags(
			&cli.BoolFlag{Name: "all", Usage: "stop both nodes, the standby first"},
			&cli.BoolFlag{Name: "fast", Aliases: []string{"f"}, Usage: "no CHECKPOINT before stopping"},
		),
		Action: func(c *cli.Context) error { return runStop(c, e) },
	}
}

func runStop(c *cli.Context, e *env) error {
	p, release, err := beginProcedure(c, e, "pc.stop")
	if err != nil {
		return err
	}
	defer release()
	cf, err := p.gather.Cluster(c.Context, p.s, c.Bool("all"))
	if err != nil {
		return e.fail(exitError, err)
	}
	d := procedure.DecideStop(p.s, cf, procedure.StopOptions{All: c.Bool("all"), Fast: c.Bool("fast")})
	if c.Bool("json") {
		if err := p.e.printJSON(map[string]any{"cluster": cf, "decision": d}); err != nil {
			return err
		}
		return refusedExit(d)
	}
	if err := p.show(d); err != nil {
		return err
	}
	if len(d.Plan.Steps) == 0 {
		return nil
	}
	if err := p.apply(d); err != nil {
		return err
	}
	if !c.Bool("dry-run") {
		e.say("pc.stopped")
		e.logAction("pgrex stop: " + strings.Join(d.StoppedNodes(), ", ") + " stopped")
	}
	return nil
}
