// SPDX-License-Identifier: Apache-2.0

// Command pgsql is pgrex's OCF resource agent. Pacemaker runs it as
// /usr/lib/ocf/resource.d/pgrex/pgsql <action>; everything else is wiring.
package main

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/pgrex/pgrex/ra"
	"github.com/pgrex/pgrex/ra/cmdrun"
)

func main() {
	env := ra.ParseEnv(os.Environ())
	log := ra.NewLogger(env, os.Stderr, env["PGREX_NO_SYSLOG"] == "")
	runner := &cmdrun.Runner{}
	deps := ra.Deps{
		Env:    env,
		Stdout: os.Stdout,
		Log:    log,
		Runner: runner,
		LocalNode: func(ctx context.Context) (string, error) {
			res, err := runner.Run(ctx, cmdrun.Cmd{Path: "crm_node", Args: []string{"-n"}, Timeout: 10 * time.Second})
			if err != nil {
				return "", err
			}
			return strings.TrimSpace(string(res.Stdout)), nil
		},
	}
	rc := ra.Run(context.Background(), deps, os.Args[1:])
	log.Close()
	os.Exit(rc)
}
