// SPDX-License-Identifier: Apache-2.0

// Package ra is pgrex's OCF resource agent: dispatch from the action name
// and environment to a typed configuration and one function per action.
// Each action gathers facts (I/O), decides from them (pure, unit-tested) and
// applies the decision (I/O, idempotent).
package ra

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/pg"
)

// Deps are the agent's connections to the outside world; cmd/pgsql wires
// the real ones, tests may substitute narrow fakes.
type Deps struct {
	Env    Env
	Stdout io.Writer
	Log    *Logger
	Runner pg.Runner
	// Attrs is the node-attribute store (replication modes only).
	Attrs AttrStore
	// LocalNode returns this node's name (crm_node -n); used when Pacemaker
	// did not pass OCF_RESKEY_CRM_meta_on_node.
	LocalNode func(ctx context.Context) (string, error)
}

// Agent is one invocation: the configuration, the operation meta and the
// dependencies, plus what was learned along the way.
type Agent struct {
	Deps
	Action string
	Meta   Meta
	Cfg    Config
	DBA    *pg.User
	// Facts gathered by validation, reused by the action.
	Facts ValidationFacts
	ctl   *pg.Ctl

	// Replication modes: this node's name, the invocation's one cluster
	// snapshot, what it wrote since, and its one database session.
	node    string
	snap    *attrd.Cluster
	snapErr error
	written map[string]writtenAttr
	db      *pgx.Conn
	dbaDB   *pgx.Conn // pgdba's session, for slot DDL when monitor_user is another user
	// clusterOnce makes every cluster call a single attempt (see
	// clusterCall).
	clusterOnce bool
}

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
func Run(ctx context.Context, d Deps, args []string) int {
	if len(args) != 1 {
		fmt.Fprintf(d.Stdout, "usage: %s {start|stop|status|monitor|promote|demote|notify|validate-all|methods|meta-data}\n", "pgsql")
		return OCFErrGeneric
	}
	action := args[0]
	switch action {
	case "meta-data":
		fmt.Fprint(d.Stdout, MetaData(d.Env))
		return OCFSuccess
	case "methods":
		fmt.Fprint(d.Stdout, Methods())
		return OCFSuccess
	case "usage", "help":
		fmt.Fprintf(d.Stdout, "usage: %s {start|stop|status|monitor|promote|demote|notify|validate-all|methods|meta-data}\n", "pgsql")
		return OCFSuccess
	}
	// Pacemaker always names the instance; without it the attribute names
	// would fall back to another resource's ("pgsql-status"). ocf-shellfuncs
	// refuses the same way (OCF_ERR_ARGS) when an OCF caller omits it.
	if d.Env["OCF_RA_VERSION_MAJOR"] != "" && d.Env["OCF_RESOURCE_INSTANCE"] == "" {
		d.Log.ExitReason("OCF_RESOURCE_INSTANCE is not set")
		return OCFErrArgs
	}
	// An action the agent does not have is OCF_ERR_UNIMPLEMENTED whatever
	// the configuration says: validating first would answer "not
	// installed" or "not configured" to a question that was never asked.
	if !knownAction(action) {
		d.Log.ExitReason("action %q is not implemented", action)
		return OCFErrUnimplemented
	}
	a := &Agent{Deps: d, Action: action, Meta: ParseMeta(d.Env)}
	ctx, cancel := context.WithTimeout(ctx, a.budget())
	defer cancel()
	return a.run(ctx)
}

// knownAction reports whether action is one Run dispatches after
// validation (meta-data, methods and usage are answered before).
func knownAction(action string) bool {
	switch action {
	case "start", "stop", "status", "monitor", "promote", "demote", "notify", "validate-all":
		return true
	}
	return false
}

func (a *Agent) run(ctx context.Context) int {
	cfg, parseErrs := ParseConfig(a.Env)
	a.Cfg = cfg

	// Level 0: the checks that decide whether the instance can exist here.
	if rc, ok := a.level0(parseErrs); !ok {
		return rc
	}
	if a.Action == "validate-all" {
		if e := checkPgCtlData(a.Env, &a.Cfg); e != nil {
			a.Log.ExitReason("%s", e.Reason)
			return e.RC
		}
		if a.Env["OCF_CHECK_LEVEL"] != "10" && a.Env["OCF_RESKEY_OCF_CHECK_LEVEL"] != "10" {
			return OCFSuccess
		}
	}
	// Level 10: the installation and the files.
	a.Facts = GatherValidation(&a.Cfg, a.DBA, a.Meta.IsProbe(a.Action))
	if err := DecideValidation(&a.Cfg, a.Facts, a.Action, a.Meta.IsProbe(a.Action)); err != nil {
		a.Log.ExitReason("%s", err.Reason)
		return err.RC
	}
	if a.Facts.SocketDirFromConf != "" && a.Cfg.SocketDir == "" {
		a.Cfg.SocketDir = a.Facts.SocketDirFromConf
		a.Log.Debugf("socketdir taken from postgresql.conf: %s", a.Cfg.SocketDir)
	}
	if a.Action == "validate-all" {
		return a.validatePrivilege(ctx)
	}
	if euid := os.Geteuid(); euid != 0 && uint32(euid) != a.DBA.UID {
		a.Log.ExitReason("the agent must run as root or as %s (it runs as uid %d)", a.Cfg.PgDBA, euid)
		return OCFErrGeneric
	}
	a.ctl = &pg.Ctl{PgCtl: a.Cfg.PgCtl, PgData: a.Cfg.PgData, As: a.DBA, Libs: a.Cfg.PgLibs, Runner: a.Runner}

	if a.Cfg.RepMode != ModeNone {
		return a.replicationAction(ctx)
	}
	switch a.Action {
	case "start":
		return a.start(ctx)
	case "stop":
		return a.stop(ctx)
	case "monitor":
		return a.monitor(ctx)
	case "status":
		return a.status()
	case "promote", "demote":
		a.Log.ExitReason("%s is only possible with rep_mode=async or sync (rep_mode is %s)", a.Action, a.Cfg.RepMode)
		return OCFErrConfigured
	case "notify":
		return OCFSuccess
	}
	a.Log.ExitReason("action %q is not implemented", a.Action)
	return OCFErrUnimplemented
}

// level0 runs the checks whose failure means "this instance cannot be
// running here" and maps a failure per action like the shell agent: stop
// succeeds, monitor reports not running, anything else fails with the code.
func (a *Agent) level0(parseErrs []*ConfigError) (int, bool) {
	var err *ConfigError
	dba, lookupErr := pg.LookupUser(a.Cfg.PgDBA)
	if lookupErr != nil {
		err = cfgErr(OCFErrInstalled, "pgdba", "pgdba %q is not an OS user on this node: %v", a.Cfg.PgDBA, lookupErr)
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
			return OCFSuccess, false
		case "monitor", "status":
			a.Log.Warnf("%s: %s; reporting not running", a.Action, err.Reason)
			return OCFNotRunning, false
		}
		a.Log.ExitReason("%s", err.Reason)
		return err.RC, false
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
		a.Log.ExitReason("%s", parseErrs[0].Reason)
		return parseErrs[0].RC, false
	}
	if e := a.Cfg.CheckStatic(a.Meta); e != nil && a.Action != "stop" {
		a.Log.ExitReason("%s", e.Reason)
		return e.RC, false
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

// oneLine makes an error fit an exit reason.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
