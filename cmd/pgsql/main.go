// SPDX-License-Identifier: Apache-2.0

// Command pgsql is pgrex's OCF resource agent. Pacemaker runs it as
// /usr/lib/ocf/resource.d/pgrex/pgsql <action>; everything else is wiring.
package main

import (
	"context"
	"os"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra"
	"github.com/pgrex/pgrex/ra/cmdrun"
)

func main() {
	env := ra.ParseEnv(os.Environ())
	log := ra.NewLogger(env, os.Stderr, env["PGREX_NO_SYSLOG"] == "")
	runner := &cmdrun.Runner{}
	cfg, _ := ra.ParseConfig(env) // errors are reported by the agent itself
	crm := attrd.NewCRM(runner, attrd.Options{ForeverWriteTimeout: cfg.CrmAttrTimeout})
	deps := ra.Deps{
		Env:       env,
		Stdout:    os.Stdout,
		Log:       log,
		Runner:    runner,
		Attrs:     crm,
		LocalNode: crm.LocalNode,
	}
	rc := ra.Run(context.Background(), deps, os.Args[1:])
	log.Close()
	os.Exit(int(rc))
}
