// SPDX-License-Identifier: Apache-2.0

// Command pgrex is the operator CLI of pgrex: crm configuration generation,
// the PG-REX status and diagnosis, PGSQL.lock, archive cleanup and the
// PG-REX operating procedures. This package holds the wiring, one file per
// subcommand with its flags, prompts and the choice of text or JSON; the
// logic and its text live in internal/<area>.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/msg"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/procedure"
	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/ra/version"
)

func main() {
	e := &env{
		run:       &cmdrun.Runner{},
		stdin:     bufio.NewReader(os.Stdin),
		stdout:    os.Stdout,
		stderr:    os.Stderr,
		getenv:    os.Getenv,
		now:       time.Now,
		syslog:    sendSyslog,
		hostname:  os.Hostname,
		lang:      msg.LangFrom(os.Getenv),
		clock:     procedure.SystemClock{},
		addrs:     procedure.InterfaceAddrs,
		guardPath: procedure.DefaultGuardPath,
	}
	os.Exit(exitCode(newApp(e).Run(os.Args), os.Stderr))
}

// exitCode is the one mapping of a subcommand's outcome to the exit
// status: the code its Action chose (cli.Exit, see env.go), else 1 with
// the error on stderr.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var ec cli.ExitCoder
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	fmt.Fprintf(stderr, "pgrex: %v\n", err)
	return exitError
}

// newApp is the CLI: one line per subcommand, each given e.
func newApp(e *env) *cli.App {
	return &cli.App{
		Name:      "pgrex",
		Usage:     "operate PostgreSQL HA clusters managed by the pgrex resource agent",
		Version:   version.Version,
		Writer:    e.stdout,
		ErrWriter: e.stderr,
		Commands: []*cli.Command{
			{
				Name:  "version",
				Usage: "print the pgrex version",
				Action: func(c *cli.Context) error {
					_, err := fmt.Fprintf(c.App.Writer, "pgrex %s\n", version.Version)
					return err
				},
			},
			crmgenCommand(),
			statusCommand(e),
			lockCommand(e),
			archiveCleanCommand(e),
			primaryStartCommand(e),
			standbyStartCommand(e),
			switchoverCommand(e),
			stopCommand(e),
			exporterCommand(e),
		},
	}
}
