// SPDX-License-Identifier: Apache-2.0

// Package ra is pgrex's OCF resource agent: dispatch from the action name
// and environment to a typed configuration and one function per action
// and mode (the table in this file), one file per action.
// Each action gathers facts (I/O), decides from them (pure, unit-tested) and
// applies the decision (I/O, idempotent).
package ra

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/atomicfile"
	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/ra/config"
	"github.com/pgrex/pgrex/ra/ocf"
	"github.com/pgrex/pgrex/ra/pg"
)

// Deps are the agent's connections to the outside world; cmd/pgsql wires
// the real ones, tests may substitute narrow fakes.
type Deps struct {
	Env    ocf.Env
	Stdout io.Writer
	Log    *Logger
	Runner pg.Runner
	// Cluster opens Pacemaker for the parsed configuration (replication
	// modes only).
	Cluster func(cfg *config.Config) Cluster
}

// Cluster is Pacemaker as the agent uses it: the node-attribute store, and
// this node's name (crm_node -n) for when Pacemaker did not pass
// OCF_RESKEY_CRM_meta_on_node. attrd.CRM is the real one, attrd.Fake a
// test's.
type Cluster interface {
	attrd.Store
	LocalNode(ctx context.Context) (string, error)
}

// Agent is one invocation: the configuration, the operation meta and the
// dependencies, plus what was learned along the way.
type Agent struct {
	Deps
	Action string
	Meta   ocf.Meta
	Cfg    config.Config
	DBA    *pg.User
	// Facts gathered by validation, reused by the action.
	Facts ValidationFacts
	ctl   *pg.Ctl

	// Replication modes: this node's name, the invocation's view of the
	// cluster (one snapshot, what it wrote since), and its one database
	// session.
	node  string
	crm   Cluster
	attrs *attrd.Cache
	db    *pgconn.PgConn
	dbaDB *pgconn.PgConn // pgdba's session, for slot DDL when monitor_user is another user
}

// operationTimeout is Pacemaker's timeout for this operation, or the
// operationTimeout is Pacemaker's timeout for this operation, or the
// advertised default when the agent runs by hand.
func (a *Agent) operationTimeout() time.Duration {
	if a.Meta.Timeout > 0 {
		return a.Meta.Timeout
	}
	for _, act := range Actions {
		if act.Name == a.Action {
			if d, err := time.ParseDuration(act.Timeout); err == nil {
				return d
			}
		}
	}
	return 60 * time.Second
}

// budget is the time the agent allows itself: the operation timeout less a
// margin, so that the agent answers (with a reason) before Pacemaker kills it.
func (a *Agent) budget() time.Duration {
	t := a.operationTimeout()
	margin := time.Second + t/20
	if t-margin < time.Second {
		return t / 2
	}
	return t - margin
}

// Run executes one agent invocation and returns the OCF exit code. args is
// os.Args[1:].
func Run(ctx context.Context, d Deps, args []string) ocf.Status {
	if len(args) != 1 {
		fmt.Fprintf(d.Stdout, "usage: %s {start|stop|status|monitor|promote|demote|notify|validate-all|methods|meta-data}\n", "pgsql")
		return ocf.ErrGeneric
	}
	action := args[0]
	switch action {
	case "meta-data":
		fmt.Fprint(d.Stdout, MetaData(d.Env))
		return ocf.Success
	case "methods":
		fmt.Fprint(d.Stdout, Methods())
		return ocf.Success
	case "usage", "help":
		fmt.Fprintf(d.Stdout, "usage: %s {start|stop|status|monitor|promote|demote|notify|validate-all|methods|meta-data}\n", "pgsql")
		return ocf.Success
	}
	a := &Agent{Deps: d, Action: action, Meta: ocf.ParseMeta(d.Env)}
	// Pacemaker always names the instance; without it the attribute names
	// would fall back to another resource's ("pgsql-status"). ocf-shellfuncs
	// refuses the same way (OCF_ERR_ARGS) when an OCF caller omits it.
	if d.Env["OCF_RA_VERSION_MAJOR"] != "" && d.Env["OCF_RESOURCE_INSTANCE"] == "" {
		return a.exit(0, failf(ocf.ErrArgs, "OCF_RESOURCE_INSTANCE is not set"))
	}
	// An action the agent does not have is OCF_ERR_UNIMPLEMENTED whatever
	// the configuration says: validating first would answer "not
	// installed" or "not configured" to a question that was never asked.
	if !knownAction(action) {
		return a.exit(0, failf(ocf.ErrUnimplemented, "action %q is not implemented", action))
	}
	ctx, cancel := context.WithTimeout(ctx, a.budget())
	defer cancel()
	return a.run(ctx)
}

// mode is how the instance runs: alone, as a stand-alone standby
// (rep_mode=slave), or as a member of a promotable clone (async, sync).
type mode int

const (
	modePlain mode = iota
	modeSlave
	modeClone
	modes
)

func modeOf(repMode string) mode {
	switch repMode {
	case config.ModeNone:
		return modePlain
	case config.ModeSlave:
		return modeSlave
	}
	return modeClone
}

// handler runs one action in one mode.
type handler func(a *Agent, ctx context.Context) (ocf.Status, error)

// dispatch is what every action does in every mode; validate-all is
// answered by validation itself (run). A stand-alone standby is plain but
// for start, which writes the recovery settings first.
var dispatch = map[string][modes]handler{
	"start":   {modePlain: (*Agent).start, modeSlave: (*Agent).startSlave, modeClone: (*Agent).startStandby},
	"stop":    {modePlain: (*Agent).stop, modeSlave: (*Agent).stop, modeClone: (*Agent).stopMember},
	"monitor": {modePlain: (*Agent).monitor, modeSlave: (*Agent).monitor, modeClone: (*Agent).monitorMember},
	"status":  {modePlain: (*Agent).status, modeSlave: (*Agent).status, modeClone: (*Agent).status},
	"promote": {modePlain: (*Agent).notPromotable, modeSlave: (*Agent).notPromotable, modeClone: (*Agent).promote},
	"demote":  {modePlain: (*Agent).notPromotable, modeSlave: (*Agent).notPromotable, modeClone: (*Agent).demote},
	"notify":  {modePlain: (*Agent).ignoreNotify, modeSlave: (*Agent).ignoreNotify, modeClone: (*Agent).notify},
}

// knownAction reports whether action is one Run dispatches after
// validation (meta-data, methods and usage are answered before).
func knownAction(action string) bool {
	_, ok := dispatch[action]
	return ok || action == "validate-all"
}

// notPromotable: promote and demote outside a promotable clone.
func (a *Agent) notPromotable(context.Context) (ocf.Status, error) {
	if a.Cfg.RepMode == config.ModeSlave {
		return 0, failf(ocf.ErrConfigured, "%s is not possible with rep_mode=slave", a.Action)
	}
	return 0, failf(ocf.ErrConfigured, "%s is only possible with rep_mode=async or sync (rep_mode is %s)", a.Action, a.Cfg.RepMode)
}

// ignoreNotify: outside a promotable clone there is nothing to learn from
// a notification.
func (a *Agent) ignoreNotify(context.Context) (ocf.Status, error) { return ocf.Success, nil }

func (a *Agent) run(ctx context.Context) ocf.Status {
	cfg, parseErrs := config.Parse(a.Env)
	a.Cfg = cfg

	// Level 0: the checks that decide whether the instance can exist here.
	if rc, ok := a.level0(parseErrs); !ok {
		return rc
	}
	if a.Action == "validate-all" {
		if e := checkPgCtlData(a.Env, &a.Cfg); e != nil {
			return a.exit(0, e)
		}
		if a.Env["OCF_CHECK_LEVEL"] != "10" && a.Env["OCF_RESKEY_OCF_CHECK_LEVEL"] != "10" {
			return ocf.Success
		}
	}
	// Level 10: the installation and the files.
	a.Facts = GatherValidation(&a.Cfg, a.DBA, a.Meta.IsProbe(a.Action))
	if err := DecideValidation(&a.Cfg, a.Facts, a.Action, a.Meta.IsProbe(a.Action)); err != nil {
		return a.exit(0, err)
	}
	if a.Facts.SocketDirFromConf != "" && a.Cfg.SocketDir == "" {
		a.Cfg.SocketDir = a.Facts.SocketDirFromConf
		a.Log.Debugf("socketdir taken from postgresql.conf: %s", a.Cfg.SocketDir)
	}
	if a.Action == "validate-all" {
		return a.exit(a.validatePrivilege(ctx))
	}
	if euid := os.Geteuid(); euid != 0 && uint32(euid) != a.DBA.UID {
		return a.exit(0, failf(ocf.ErrGeneric, "the agent must run as root or as %s (it runs as uid %d)", a.Cfg.PgDBA, euid))
	}
	a.ctl = &pg.Ctl{PgCtl: a.Cfg.PgCtl, PgData: a.Cfg.PgData, As: a.DBA, Libs: a.Cfg.PgLibs, Runner: a.Runner}

	defer a.closeDB()
	m := modeOf(a.Cfg.RepMode)
	if m == modeClone {
		if err := a.joinCluster(ctx); err != nil {
			return a.exit(0, err)
		}
		defer a.attrs.Settle()
		if a.Action == "monitor" && !a.Meta.IsProbe(a.Action) {
			// A recurring monitor asks about membership and
			// attributes, which the CIB holds without crm_mon's
			// scheduler run; crm_mon is read only if roles are asked
			// for too (docs/performance.md).
			a.attrs.Light = true
			if attrd.ParseRole(a.Meta.Role) == attrd.RolePromoted {
				// The primary's monitor always reads the cluster,
				// after its queries: start now, so both waits
				// overlap.
				a.attrs.Prefetch(ctx)
			}
		}
	}
	h, ok := dispatch[a.Action]
	if !ok {
		return a.exit(0, failf(ocf.ErrUnimplemented, "action %q is not implemented", a.Action))
	}
	return a.exit(h[m](a, ctx))
}

// joinCluster learns what a clone member needs before any action: the
// attribute store and this node's name.
func (a *Agent) joinCluster(ctx context.Context) error {
	if a.Cluster == nil {
		return errors.New("no node-attribute store is wired (internal error)")
	}
	a.crm = a.Cluster(&a.Cfg)
	a.attrs = &attrd.Cache{
		Store:    a.crm,
		Resource: a.Cfg.Resource,
		OnRetry: func(what string, n int, err error, wait time.Duration) {
			a.Log.Warnf("%s failed (attempt %d), retrying in %s: %s", what, n, wait, cmdrun.OneLine(err.Error()))
		},
		Debugf: a.Log.Debugf,
	}
	node, err := a.localNode(ctx)
	if err != nil {
		return err
	}
	a.node = node
	return nil
}

// level0 runs the checks whose failure means "this instance cannot be
// running here" and maps a failure per action like the shell agent: stop
// succeeds, monitor reports not running, anything else fails with the code.
func (a *Agent) level0(parseErrs []*config.Error) (ocf.Status, bool) {
	var err *config.Error
	dba, lookupErr := pg.LookupUser(a.Cfg.PgDBA)
	if lookupErr != nil {
		err = config.Errorf(ocf.ErrInstalled, "pgdba", "pgdba %q is not an OS user on this node: %v", a.Cfg.PgDBA, lookupErr)
	} else {
		a.DBA = dba
	}
	if err == nil {
		if e := a.Cfg.CheckStatic(a.Meta); e != nil && e.Param == "monitor_password" {
			err = e
		}
	}
	if err != nil {
		switch a.Action {
		case "stop":
			a.Log.Warnf("stop: %s; nothing of this instance can be running here", err.Reason)
			return ocf.Success, false
		case "monitor", "status":
			a.Log.Warnf("%s: %s; reporting not running", a.Action, err.Reason)
			return ocf.NotRunning, false
		}
		return a.exit(0, err), false
	}
	if len(parseErrs) > 0 {
		// A stop must still be able to stop the server: it goes on with
		// defaults for the values it could not read.
		if a.Action == "stop" {
			for _, e := range parseErrs {
				a.Log.Warnf("stop: %s; using the default", e.Reason)
			}
			return 0, true
		}
		if len(parseErrs) > 1 {
			for _, e := range parseErrs[1:] {
				a.Log.Errorf("%s", e.Reason)
			}
		}
		return a.exit(0, parseErrs[0]), false
	}
	if e := a.Cfg.CheckStatic(a.Meta); e != nil && a.Action != "stop" {
		return a.exit(0, e), false
	}
	return 0, true
}

// connParams is how the agent's own session reaches the server.
func (a *Agent) connParams() pg.ConnParams {
	host := a.Cfg.PgHost
	if host == "" {
		host = a.Cfg.SocketDir
	}
	return pg.ConnParams{
		Host:     host,
		Port:     a.Cfg.PgPort,
		User:     a.Cfg.DBUser(),
		Password: a.Cfg.MonitorPassword,
		Database: a.Cfg.PgDB,
		As:       a.DBA,
	}
}

// conn returns the invocation's one database session.
func (a *Agent) conn(ctx context.Context) (*pg.Session, error) {
	if a.db == nil {
		c, err := pg.Open(ctx, a.connParams())
		if err != nil {
			return nil, err
		}
		a.db = c
	}
	return &pg.Session{Conn: a.db, PgData: a.Cfg.PgData}, nil
}

// dbaConn is a session as pgdba: creating and dropping slots needs the
// REPLICATION attribute or superuser, which monitor_user should not have
// (upstream runs these statements as pgdba too).
func (a *Agent) dbaConn(ctx context.Context) (*pg.Session, error) {
	if a.Cfg.DBUser() == a.Cfg.PgDBA {
		return a.conn(ctx)
	}
	if a.dbaDB == nil {
		p := a.connParams()
		p.User, p.Password = a.Cfg.PgDBA, ""
		c, err := pg.Open(ctx, p)
		if err != nil {
			return nil, err
		}
		a.dbaDB = c
	}
	return &pg.Session{Conn: a.dbaDB, PgData: a.Cfg.PgData}, nil
}

func (a *Agent) closeDB() {
	for _, c := range []**pgconn.PgConn{&a.db, &a.dbaDB} {
		if *c != nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = (*c).Close(ctx)
			cancel()
			*c = nil
		}
	}
}

// dropConn forgets a session that failed, so the next call reconnects.
func (a *Agent) dropConn() { a.closeDB() }

// owner is pgdba as a file owner.
func (a *Agent) owner() *atomicfile.Owner {
	if !a.DBA.NeedsSwitch() {
		return nil
	}
	return &atomicfile.Owner{UID: int(a.DBA.UID), GID: int(a.DBA.GID)}
}

func (a *Agent) pgVersion() int { return pg.VersionNum(a.Facts.PGVersion) }

// localNode is this node's name, lower-cased like node_list: Pacemaker's
// on_node meta when given, else crm_node -n.
func (a *Agent) localNode(ctx context.Context) (string, error) {
	if a.Meta.OnNode != "" {
		return strings.ToLower(a.Meta.OnNode), nil
	}
	var n string
	err := a.attrs.Call(ctx, "asking crm_node for the local node name", func(ctx context.Context) error {
		var err error
		n, err = a.crm.LocalNode(ctx)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("asking crm_node for the local node name: %w", err)
	}
	return strings.ToLower(strings.TrimSpace(n)), nil
}

// others are the node_list members other than this node.
func (a *Agent) others() []string {
	var out []string
	for _, n := range a.Cfg.NodeList {
		if n != a.node {
			out = append(out, n)
		}
	}
	return out
}

// liveness finds this instance's postmaster: postmaster.pid first, then
// the socket lock file and /proc when the pid file proves nothing.
func (a *Agent) liveness() (pg.Liveness, error) {
	sock := a.Cfg.SocketDir
	if sock == "" && a.Cfg.PgHost == "" {
		sock = pg.DefaultSocketDir
	}
	return pg.FindPostmaster(pg.Probe{PgData: a.Cfg.PgData, SocketDir: sock, Port: a.Cfg.PgPort})
}
