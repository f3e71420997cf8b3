// SPDX-License-Identifier: Apache-2.0

package main

import "github.com/urfave/cli/v2"

// crmgenCommand wires `pgrex crmgen` (placeholder until the generator lands).
func crmgenCommand() *cli.Command {
	return &cli.Command{Name: "crmgen", Usage: "generate a crm configuration from a PG-REX environment-definition CSV", Hidden: true,
		Action: func(*cli.Context) error { return cli.Exit("crmgen: not implemented yet", 1) }}
}
