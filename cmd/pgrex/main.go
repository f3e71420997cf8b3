// SPDX-License-Identifier: Apache-2.0

// Command pgrex is the operator CLI of pgrex: crm configuration generation
// and, later, the PG-REX operating procedures. All wiring lives here.
package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/pgrex/pgrex/ra"
)

func main() {
	app := &cli.App{
		Name:    "pgrex",
		Usage:   "operate PostgreSQL HA clusters managed by the pgrex resource agent",
		Version: ra.Version,
		Commands: []*cli.Command{
			{
				Name:  "version",
				Usage: "print the pgrex version",
				Action: func(c *cli.Context) error {
					_, err := fmt.Fprintf(c.App.Writer, "pgrex %s\n", ra.Version)
					return err
				},
			},
			crmgenCommand(),
			statusCommand(),
			lockCommand(),
			archiveCleanCommand(),
			primaryStartCommand(),
			standbyStartCommand(),
			switchoverCommand(),
			stopCommand(),
		},
	}
	if err := app.Run(os.Args); err != nil {
		code := 1
		if ec, ok := err.(cli.ExitCoder); ok {
			code = ec.ExitCode()
		} else {
			fmt.Fprintf(os.Stderr, "pgrex: %v\n", err)
		}
		os.Exit(code)
	}
}
