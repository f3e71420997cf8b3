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
	"github.com/pgrex/pgrex/ra/config"
	"github.com/pgrex/pgrex/ra/ocf"
)

func main() {
	env := ocf.ParseEnv(os.Environ())
	log := ra.NewLogger(env, os.Stderr, env["PGREX_NO_SYSLOG"] == "")
	runner := &cmdrun.Runner{}
	deps := ra.Deps{
		Env:    env,
		Stdout: os.Stdout,
		Log:    log,
		Runner: runner,
		// Forever writes are bounded by crm_attr_timeout: Pacemaker is
		// opened once the agent has parsed its configuration.
		Cluster: func(cfg *config.Config) ra.Cluster {
			return attrd.NewCRM(runner, attrd.Options{ForeverWriteTimeout: cfg.CrmAttrTimeout})
		},
	}
	rc := ra.Run(context.Background(), deps, os.Args[1:])
	log.Close()
	os.Exit(int(rc))
}
