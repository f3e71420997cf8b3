// SPDX-License-Identifier: Apache-2.0

package main

// The PG-REX operating procedures: primary-start, standby-start,
// switchover, stop. Each gathers facts, decides (internal/procedure),
// prints the checks and the plan, and applies it step by step.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/procedure"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/status"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/toolsconf"
	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/ra/pg"
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

func primaryStartCommand() *cli.Command {
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
		Action: runPrimaryStart,
	}
}

func standbyStartCommand() *cli.Command {
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
		Action: runStandbyStart,
	}
}

func switchoverCommand() *cli.Command {
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
		Action: runSwitchover,
	}
}

func stopCommand() *cli.Command {
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
		Action: runStop,
	}
}

// procCtx is what every procedure resolves first.
type procCtx struct {
	c      *cli.Context
	e      *env
	cfg    toolsconf.Config
	s      procedure.Settings
	exec   procedure.Executor
	gather *procedure.Gatherer
	clock  procedure.Clock
}

func newProcCtx(c *cli.Context) (*procCtx, error) {
	e := envOf(c)
	cfg, err := loadConfig(c, e)
	if err != nil {
		return nil, e.fail(exitError, err)
	}
	p := &procCtx{c: c, e: e, cfg: cfg, clock: procedure.SystemClock{}}
	if ck, ok := c.App.Metadata["clock"].(procedure.Clock); ok {
		p.clock = ck
	}
	if err := p.resolve(); err != nil {
		return nil, e.fail(exitError, err)
	}
	p.exec = &procedure.Real{Runner: e.run, SSH: procedure.SSH{Options: p.s.SSHOptions}, Timeout: cfg.CommandTimeout}
	opts := status.Options{Resource: p.s.Resource, Clone: cfg.PrimaryResourceID, VIPPrimary: cfg.VIPPrimary,
		VIPReplication: cfg.VIPReplication, VIPStandby: p.s.VIPStandby, PingAttribute: cfg.PingAttribute,
		DiskAttributes: cfg.DiskAttributes, LocalNode: p.s.Node}
	p.gather = &procedure.Gatherer{Exec: p.exec, Status: opts}
	if lv, ok := c.App.Metadata["liveness"].(func(string) (pg.Liveness, error)); ok {
		p.gather.PGLiveness = lv
	}
	if p.s.LegacyRoles {
		p.gather.CrmMon = procedure.CrmMonArgs11
	}
	return p, nil
}

// resolve fills in the settings: command line, config file, the pgsql
// resource's parameters in the CIB, defaults.
func (p *procCtx) resolve() error {
	c, e, cfg := p.c, p.e, p.cfg
	s := &p.s
	s.Resource = c.String("resource")
	if s.Resource == "" {
		s.Resource = cfg.PrimitiveResourceID
	}
	params := cibParams(c, e, cfg, s.Resource, true)
	s.PGData, _ = cfg.Resolve(c.String("pgdata"), "PGDATA", cfg.PGData, params, "pgdata", toolsconf.DefaultPGData)
	s.Tmpdir, _ = cfg.Resolve(c.String("tmpdir"), "Tmpdir", cfg.Tmpdir, params, "tmpdir", toolsconf.DefaultTmpdir)
	s.Node = localNodeName(c, e, cfg, true)
	if s.Node == "" {
		return errors.New("this node's cluster name is unknown: give --node")
	}
	s.Clone = cfg.PrimaryResourceID
	s.VIPPrimary, s.VIPReplication = cfg.VIPPrimary, cfg.VIPReplication
	if cfg.IPAddrStandby {
		s.VIPStandby = cfg.VIPStandby
	}
	s.ArchiveDir = cfg.ArchiveDir
	param := func(name, def string) string {
		if v := params[name]; v != "" {
			return v
		}
		return def
	}
	s.PGUser, s.PGBin = pgUserBin(cfg, params)
	s.PSQL = param("psql", s.Bin("psql"))
	s.PGPort = param("pgport", "5432")
	if h := params["pghost"]; filepath.IsAbs(h) {
		s.SocketDir = h
	} else {
		s.SocketDir = params["socketdir"]
	}
	s.PGDB = param("pgdb", "template1")
	s.MasterIP = params["master_ip"]
	s.RepUser = param("repuser", "postgres")
	s.RewindUser = c.String("rewind-user")
	if s.RewindUser == "" {
		s.RewindUser = s.PGUser
	}
	s.CIBFile = cfg.CIBFile
	s.StartPacemaker = strings.Fields(c.String("pacemaker-start"))
	s.StopPacemaker = strings.Fields(c.String("pacemaker-stop"))
	if len(s.StartPacemaker) == 0 || len(s.StopPacemaker) == 0 {
		return errors.New("--pacemaker-start and --pacemaker-stop must name a command")
	}
	s.SSHOptions = sshSettings(c)
	s.WaitTimeout = c.Duration("timeout")
	if s.WaitTimeout <= 0 {
		return errors.New("--timeout must be positive")
	}
	s.RebuildTimeout = defaultRebuildTimeout
	if c.IsSet("rebuild-timeout") {
		s.RebuildTimeout = c.Duration("rebuild-timeout")
	}
	s.CommandTimeout = cfg.CommandTimeout
	s.PeerHost = peerHost(c, cfg)
	s.LegacyRoles = p.legacyPacemaker()
	return nil
}

// pgUserBin: the OS user PostgreSQL runs as (pgdba) and the directory of
// its programs (PGPATH, else pgctl's directory; "" = PATH).
func pgUserBin(cfg toolsconf.Config, params map[string]string) (user, bin string) {
	user = params["pgdba"]
	if user == "" {
		user = "postgres"
	}
	switch {
	case cfg.PGPath != "":
		bin = cfg.PGPath
	case filepath.IsAbs(params["pgctl"]):
		bin = filepath.Dir(params["pgctl"])
	}
	return user, bin
}

// sshSettings are the ssh options: the defaults and every --ssh-option.
func sshSettings(c *cli.Context) []string {
	return append(append([]string(nil), procedure.DefaultSSHOptions...), sshOptions(c.StringSlice("ssh-option"))...)
}

// peerHost: --peer, else the D_LAN_IPAddress not configured here.
func peerHost(c *cli.Context, cfg toolsconf.Config) string {
	if h := c.String("peer"); h != "" {
		return h
	}
	return peerFromDLAN(cfg.DLANAddresses, localAddrs(c))
}

// sshOptions splits "-o X=Y" given as one flag value into two arguments.
func sshOptions(vals []string) []string {
	var out []string
	for _, v := range vals {
		out = append(out, strings.Fields(v)...)
	}
	return out
}

// localAddrs lists this node's addresses (tests put theirs in Metadata).
func localAddrs(c *cli.Context) []netip.Addr {
	if a, ok := c.App.Metadata["addrs"].([]netip.Addr); ok {
		return a
	}
	var out []netip.Addr
	ifaddrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	for _, a := range ifaddrs {
		if pfx, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, pfx.Addr())
		}
	}
	return out
}

// peerFromDLAN is the address of D_LAN_IPAddress that is not this node's
// (PG-REX's rule); "" when it cannot be told.
func peerFromDLAN(dlan, local []netip.Addr) string {
	if len(dlan) != 2 {
		return ""
	}
	isLocal := func(a netip.Addr) bool {
		for _, l := range local {
			if l == a {
				return true
			}
		}
		return false
	}
	switch l0, l1 := isLocal(dlan[0]), isLocal(dlan[1]); {
	case l0 && !l1:
		return dlan[1].String()
	case l1 && !l0:
		return dlan[0].String()
	}
	return ""
}

// legacyPacemaker: crm_mon --version says Pacemaker 1.x.
func (p *procCtx) legacyPacemaker() bool {
	ctx, cancel := ctxTimeout(p.c, p.cfg)
	defer cancel()
	res, err := p.e.run.Run(ctx, cmdrun.Cmd{Path: "crm_mon", Args: []string{"--version"}, Timeout: p.cfg.CommandTimeout})
	return err == nil && strings.HasPrefix(strings.TrimSpace(string(res.Stdout)), "Pacemaker 1.")
}

func (p *procCtx) applier() *procedure.Applier {
	w := &procedure.Waiter{Exec: p.exec, Clock: p.clock, Status: p.gather.Status, PGRunning: p.gather.PGRunning(p.s),
		CommandTimeout: p.s.CommandTimeout, CrmMon: p.gather.CrmMon}
	a := &procedure.Applier{Exec: p.exec, Waiter: w}
	if !p.c.Bool("yes") {
		a.Confirm = func(_ int, st procedure.Step) bool {
			return p.e.confirm("pc.confirm", p.stepText(st))
		}
	}
	a.Progress = p.progress()
	return a
}

// progress prints the steps as PG-REX's tools do ("n. title", then
// "...[OK]" or "...[NG]"), and a wait's state when it changes and every
// 10 s otherwise.
func (p *procCtx) progress() func(procedure.Event) {
	e := p.e
	var lastShown time.Duration
	return func(ev procedure.Event) {
		switch ev.Kind {
		case procedure.EventStart:
			lastShown = 0
			fmt.Fprintf(e.stdout, "%d. %s\n", ev.Index+1, p.stepText(ev.Step))
		case procedure.EventDone:
			fmt.Fprintln(e.stdout, "   ...[OK]")
		case procedure.EventWarning:
			fmt.Fprintf(e.stdout, "   ...[NG] %s\n", e.T("pc.ignored", ev.Err.Error()))
		case procedure.EventFailed:
			fmt.Fprintln(e.stdout, "   ...[NG]")
			if ev.Output != "" {
				fmt.Fprintln(e.stdout, indent(ev.Output, "      "))
			}
		case procedure.EventWait:
			if ev.Wait.Changed || ev.Wait.Elapsed-lastShown >= 10*time.Second {
				lastShown = ev.Wait.Elapsed
				fmt.Fprintf(e.stdout, "   (%3ds) %s\n", int(ev.Wait.Elapsed.Seconds()), ev.Wait.State)
			}
		case procedure.EventDeclined:
			e.say("declined")
		}
	}
}

func indent(s, pre string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 20 {
		lines = append(lines[:10], append([]string{"…"}, lines[len(lines)-9:]...)...)
	}
	return pre + strings.Join(lines, "\n"+pre)
}

func (p *procCtx) stepText(st procedure.Step) string {
	return p.e.T("ps."+st.Code, anyArgs(st.Args)...)
}

func (p *procCtx) refusalText(r procedure.Refusal) string {
	return p.e.T("pr."+r.Code, anyArgs(r.Args)...)
}

func anyArgs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// guard takes the node-wide procedure lock (tests give their own path).
func (p *procCtx) guard() (func(), error) {
	path := procedure.DefaultGuardPath
	if v, ok := p.c.App.Metadata["guard"].(string); ok {
		path = v
	}
	release, err := procedure.AcquireGuard(path)
	if err != nil {
		return nil, p.e.fail(exitError, err)
	}
	return release, nil
}

// show prints notes, refusals and the plan; it returns the exit error for
// a refused decision.
func (p *procCtx) show(d procedure.Decision) error {
	e := p.e
	for _, n := range d.Notes {
		fmt.Fprintf(e.stdout, "%s %s\n", e.T("pc.note"), p.refusalText(n))
	}
	if d.Refused() {
		e.say("pc.refused")
		for _, r := range d.Refusals {
			fmt.Fprintf(e.stdout, "  - %s\n", p.refusalText(r))
		}
		if d.NoPrimary {
			return cli.Exit("", exitDown)
		}
		return cli.Exit("", exitAttn)
	}
	if len(d.Plan.Steps) == 0 {
		e.say("pc.nothing")
		return nil
	}
	e.say("pc.plan")
	for i, st := range d.Plan.Steps {
		mark := ""
		if st.Destructive {
			mark = " " + e.T("pc.destructive")
		}
		fmt.Fprintf(e.stdout, "  %d. %s%s\n", i+1, p.stepText(st), mark)
	}
	return nil
}

// dump prints the --json document.
func (p *procCtx) dump(v any) error {
	enc := json.NewEncoder(p.e.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return p.e.fail(exitError, fmt.Errorf("writing JSON: %w", err))
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
	ctx, cancel := context.WithCancel(p.c.Context)
	defer cancel()
	a := p.applier()
	var mu sync.Mutex
	var current procedure.StepKind
	inner := a.Progress
	a.Progress = func(ev procedure.Event) {
		if ev.Kind == procedure.EventStart {
			mu.Lock()
			current = ev.Step.Kind
			mu.Unlock()
		}
		inner(ev)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	defer signal.Stop(sig)
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case <-done:
				return
			case <-sig:
				mu.Lock()
				k := current
				mu.Unlock()
				if k == procedure.KindWait {
					cancel()
					continue
				}
				fmt.Fprintln(p.e.stderr, p.e.T("pc.ctrl-c"))
			}
		}
	}()
	return p.applyErr(a.ApplyDecision(ctx, d))
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

func runPrimaryStart(c *cli.Context) error {
	p, release, err := beginProcedure(c, "pc.primary-start")
	if err != nil {
		return err
	}
	defer release()
	e, s := p.e, p.s
	ctx := c.Context
	peer := p.gather.Peer(ctx, s, procedure.PeerOptions{})
	if s.Peer == "" {
		p.s.Peer = procedure.PeerNodeName(s, peer)
		s = p.s
	}
	l, err := p.gather.Local(ctx, s, false)
	if err != nil {
		return e.fail(exitError, err)
	}
	l.DataStatus, l.PeerDataStatus, l.NotInCIB = p.gather.DataStatusViews(ctx, s, peer)
	d := procedure.DecidePrimaryStart(s, l, peer, procedure.PrimaryOptions{IgnorePeer: c.Bool("ignore-peer")})
	if c.Bool("json") {
		if err := p.dump(map[string]any{"local": l, "peer": peer, "decision": d}); err != nil {
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
	peer := p.gather.Peer(ctx, p.s, procedure.PeerOptions{Primary: true, Archive: !o.SharedArchive})
	if p.s.Peer == "" {
		p.s.Peer = procedure.PeerNodeName(p.s, peer)
	}
	s := p.s
	if o.SharedArchive {
		s.ArchiveDir = ""
	}
	l, err := p.gather.Local(ctx, s, true)
	if err != nil {
		return procedure.StandbyDecision{}, l, peer, err
	}
	return procedure.DecideStandbyStart(p.s, l, peer, o), l, peer, nil
}

func (p *procCtx) showMethods(d procedure.StandbyDecision) {
	e := p.e
	if len(d.Methods) == 0 {
		return
	}
	e.say("pc.methods")
	for _, m := range d.Methods {
		if m.Available {
			fmt.Fprintf(e.stdout, "  %s: %s\n", e.T("pm."+string(m.Method)), e.T("pc.available"))
			continue
		}
		var why []string
		for _, r := range m.Reasons {
			why = append(why, p.refusalText(r))
		}
		fmt.Fprintf(e.stdout, "  %s: %s\n", e.T("pm."+string(m.Method)), e.T("pc.unavailable", strings.Join(why, "; ")))
	}
	if d.Chosen != "" {
		e.say("pc.chosen", e.T("pm."+string(d.Chosen)))
	}
}

func runStandbyStart(c *cli.Context) error {
	p, release, err := beginProcedure(c, "pc.standby-start")
	if err != nil {
		return err
	}
	defer release()
	e := p.e
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
		if err := p.dump(map[string]any{"local": l, "peer": peer, "decision": d}); err != nil {
			return err
		}
		return refusedExit(d.Decision)
	}
	p.showMethods(d)
	if c.Bool("check-only") {
		for _, n := range d.Notes {
			fmt.Fprintf(e.stdout, "%s %s\n", e.T("pc.note"), p.refusalText(n))
		}
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
func beginProcedure(c *cli.Context, title string) (*procCtx, func(), error) {
	p, err := newProcCtx(c)
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

func runSwitchover(c *cli.Context) error {
	p, release, err := beginProcedure(c, "pc.switchover")
	if err != nil {
		return err
	}
	defer release()
	e := p.e
	cf, err := p.gather.Cluster(c.Context, p.s, true)
	if err != nil {
		return e.fail(exitError, err)
	}
	d := procedure.DecideSwitchover(p.s, cf, procedure.SwitchoverOptions{SharedArchive: c.Bool("shared-archive")})
	if c.Bool("json") {
		if err := p.dump(map[string]any{"cluster": cf, "decision": d}); err != nil {
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
	p.showMethods(sd)
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

func runStop(c *cli.Context) error {
	p, release, err := beginProcedure(c, "pc.stop")
	if err != nil {
		return err
	}
	defer release()
	e := p.e
	cf, err := p.gather.Cluster(c.Context, p.s, c.Bool("all"))
	if err != nil {
		return e.fail(exitError, err)
	}
	d := procedure.DecideStop(p.s, cf, procedure.StopOptions{All: c.Bool("all"), Fast: c.Bool("fast")})
	if c.Bool("json") {
		if err := p.dump(map[string]any{"cluster": cf, "decision": d}); err != nil {
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
		e.logAction("pgrex stop: " + strings.Join(stoppedNodes(d), ", ") + " stopped")
	}
	return nil
}

func stoppedNodes(d procedure.Decision) []string {
	var out []string
	for _, st := range d.Plan.Steps {
		if st.Wait != nil && st.Wait.Kind == procedure.WaitStopped {
			out = append(out, st.Wait.Node)
		}
	}
	return out
}
