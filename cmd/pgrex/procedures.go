// SPDX-License-Identifier: Apache-2.0

package main

// The PG-REX operating procedures: primary-start, standby-start,
// switchover, stop. Each gathers facts, decides (internal/procedure),
// prints the checks and the plan, and applies it step by step.

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/procedure"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/toolsconf"
)

// Defaults of the procedures' flags.
const (
	defaultWaitTimeout    = 300 * time.Second // PG-REX's $timeout
	defaultRebuildTimeout = 2 * time.Hour     // pg_basebackup, pg_rewind, archive fetch
	defaultStartPacemaker = "systemctl start pacemaker"
	defaultStopPacemaker  = "systemctl stop pacemaker corosync"
)

func procFlags(extra ...cli.Flag) []cli.Flag {
	return append([]cli.Flag{
		configFlag(),
		&cli.StringFlag{Name: "node", Usage: "this node's cluster name (default: Node_name, crm_node --name, the host name)"},
		&cli.StringFlag{Name: "peer", Usage: "the peer's address for ssh (default: the address of D_LAN_IPAddress not configured here)"},
		&cli.StringFlag{Name: "resource", Usage: "the pgsql primitive id (default: PG_REX_Primitive_ResourceID, pgsql)"},
		&cli.StringFlag{Name: "pgdata", Usage: "the data directory (default: PGDATA in the config, else the CIB's pgdata)"},
		&cli.StringFlag{Name: "tmpdir", Usage: "the agent's tmpdir, where PGSQL.lock lives (default: Tmpdir, else the CIB's tmpdir)"},
		&cli.DurationFlag{Name: "timeout", Value: defaultWaitTimeout, Usage: "how long each wait for the cluster may take"},
		&cli.StringFlag{Name: "pacemaker-start", Value: defaultStartPacemaker, EnvVars: []string{"PGREX_PACEMAKER_START"},
			Usage: "the command that starts Pacemaker on a node (split at blanks, no shell)"},
		&cli.StringFlag{Name: "pacemaker-stop", Value: defaultStopPacemaker, EnvVars: []string{"PGREX_PACEMAKER_STOP"},
			Usage: "the command that stops Pacemaker (and Corosync) on a node (split at blanks, no shell)"},
		&cli.StringSliceFlag{Name: "ssh-option", Usage: "an extra ssh/scp option, e.g. -o StrictHostKeyChecking=accept-new (repeatable)"},
		&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask before destructive steps"},
		&cli.BoolFlag{Name: "dry-run", Usage: "check and print the plan; change nothing"},
		&cli.BoolFlag{Name: "json", Usage: "print the facts and the decision as JSON (with --dry-run)"},
	}, extra...)
}

// procCtx is what every procedure resolves first.
type procCtx struct {
	c      *cli.Context
	e      *env
	cfg    toolsconf.Config
	s      procedure.Settings
	exec   procedure.Executor
	gather *procedure.Gatherer
}

func newProcCtx(c *cli.Context, e *env) (*procCtx, error) {
	cfg, err := loadConfig(c, e)
	if err != nil {
		return nil, e.fail(exitError, err)
	}
	p := &procCtx{c: c, e: e, cfg: cfg}
	rebuild := defaultRebuildTimeout
	if c.IsSet("rebuild-timeout") {
		rebuild = c.Duration("rebuild-timeout")
	}
	p.s, err = procedure.ResolveSettings(c.Context, procHost(e), cfg, procedure.Flags{Node: c.String("node"),
		Peer: c.String("peer"), Resource: c.String("resource"), PGData: c.String("pgdata"), Tmpdir: c.String("tmpdir"),
		RewindUser: c.String("rewind-user"), PacemakerStart: c.String("pacemaker-start"),
		PacemakerStop: c.String("pacemaker-stop"), SSHOptions: c.StringSlice("ssh-option"),
		WaitTimeout: c.Duration("timeout"), RebuildTimeout: rebuild})
	if err != nil {
		return nil, e.fail(exitError, err)
	}
	p.exec = &procedure.Real{Runner: e.run, SSH: procedure.SSH{Options: p.s.SSHOptions}, Timeout: cfg.CommandTimeout}
	p.gather = procedure.NewGatherer(p.exec, cfg, p.s)
	p.gather.PGLiveness = e.liveness
	return p, nil
}

// procHost is what the procedures' settings resolution asks of this
// machine.
func procHost(e *env) procedure.Host {
	return procedure.Host{Host: e.host(), LocalAddrs: e.addrs}
}

func (p *procCtx) applier() *procedure.Applier {
	w := &procedure.Waiter{Exec: p.exec, Clock: p.e.clock, Status: p.gather.Status, PGRunning: p.gather.PGRunning(p.s),
		CommandTimeout: p.s.CommandTimeout, CrmMon: p.gather.CrmMon}
	a := &procedure.Applier{Exec: p.exec, Waiter: w}
	if !p.c.Bool("yes") {
		a.Confirm = func(_ int, st procedure.Step) bool {
			return p.e.confirm("pc.confirm", procedure.StepText(p.e.lang, st))
		}
	}
	a.Progress = procedure.Progress(p.e.printer())
	return a
}

// guard takes the node-wide procedure lock.
func (p *procCtx) guard() (func(), error) {
	release, err := procedure.AcquireGuard(p.e.guardPath)
	if err != nil {
		return nil, p.e.fail(exitError, err)
	}
	return release, nil
}

// show prints notes, refusals and the plan; it returns the exit error for
// a refused decision.
func (p *procCtx) show(d procedure.Decision) error {
	procedure.WriteDecision(p.e.printer(), d)
	if d.Refused() {
		if d.NoPrimary {
			return cli.Exit("", exitDown)
		}
		return cli.Exit("", exitAttn)
	}
	return nil
}

// apply runs a decided plan: --dry-run stops before it, Ctrl-C ends a wait
// but never interrupts a step that changes something.
func (p *procCtx) apply(d procedure.Decision) error {
	if p.c.Bool("dry-run") {
		p.e.say("pc.dry-run")
		return nil
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	defer signal.Stop(sig)
	err := p.applier().ApplyInterruptibly(p.c.Context, d, sig, func() { fmt.Fprintln(p.e.stderr, p.e.T("pc.ctrl-c")) })
	return p.applyErr(err)
}

// applyErr maps Apply's outcome to the exit code.
func (p *procCtx) applyErr(err error) error {
	var se *procedure.StepError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, procedure.ErrDeclined):
		return cli.Exit("", exitDeclined)
	case errors.Is(err, procedure.ErrRefused):
		return cli.Exit("", exitAttn)
	case errors.As(err, &se):
		p.e.logAction(fmt.Sprintf("pgrex: step %d failed: %s: %v", se.Index+1, procedure.Describe(se.Step), se.Err))
		var te *procedure.TimeoutError
		var rf *procedure.ResourceFailedError
		switch {
		case errors.As(err, &te):
			return p.e.fail(exitError, fmt.Errorf("%s", p.e.T("pc.timeout", te.Spec.Timeout.String(), te.State)))
		case errors.As(err, &rf):
			return p.e.fail(exitError, fmt.Errorf("%s", p.e.T("pc.resource-failed", rf.Error())))
		}
		return p.e.fail(exitError, se)
	}
	return p.e.fail(exitError, err)
}

func refusedExit(d procedure.Decision) error {
	switch {
	case d.NoPrimary:
		return cli.Exit("", exitDown)
	case d.Refused():
		return cli.Exit("", exitAttn)
	}
	return nil
}

// beginProcedure is every procedure's prologue: the context from the
// command line, the node-wide guard (one procedure at a time), the title.
func beginProcedure(c *cli.Context, e *env, title string) (*procCtx, func(), error) {
	p, err := newProcCtx(c, e)
	if err != nil {
		return nil, nil, err
	}
	release, err := p.guard()
	if err != nil {
		return nil, nil, err
	}
	if !c.Bool("json") { // --json prints one JSON document and nothing else
		p.e.say("pc.title", p.e.T(title), p.s.Node)
	}
	return p, release, nil
}
