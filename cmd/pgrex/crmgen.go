// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/pgrex/pgrex/crmgen"
	"github.com/pgrex/pgrex/ra/config"
	"github.com/pgrex/pgrex/templates"
)

// Flag names of `pgrex crmgen`. The one-letter ones are pm_crmgen 2.2's, so
// existing scripts and habits keep working.
const (
	flagOutput     = "o"
	flagVerbose    = "V"
	flagNoColoc    = "C"
	flagNoOrder    = "O"
	flagBrackets   = "b"
	flagCheck      = "check"
	flagTemplate   = "template"
	flagFormat     = "format"
	flagPcsVersion = "pcs-version"
	flagTarget     = "target"
	crmgenUsageMsg = "Usage: pgrex crmgen [options] CSVFILE\n\n" +
		"  character encoding of supported CSVFILE are 'UTF-8' (with or without BOM) and 'Shift_JIS' (CP932)\n\n" +
		"Run 'pgrex crmgen --help' for the options.\n"
)

// crmgenCommand wires `pgrex crmgen`: the pm_crmgen-compatible generator
// of crm configurations from PG-REX environment-definition CSV sheets. All
// logic lives in package crmgen; this only maps flags and exit codes.
func crmgenCommand() *cli.Command {
	return &cli.Command{
		Name:      "crmgen",
		Usage:     "generate a crm configuration from a PG-REX environment-definition CSV",
		UsageText: "pgrex crmgen [-o OUTPUT] [-V] [-C] [-O] [-b] [--check] [--format crm|cib|pcs] [--target crmsh4|crmsh5] [--pcs-version 0.11|0.12] CSVFILE\npgrex crmgen --template [-o OUTPUT]",
		Description: "Reads an environment-definition sheet saved as CSV (UTF-8, UTF-8 with BOM or Shift_JIS/CP932)\n" +
			"and writes the crmsh configuration, exactly as pm_crmgen 2.2 would; a pm_pcsgen sheet (PG-REX 12 and\n" +
			"later, recognised by itself) gives a CIB XML file for cibadmin --replace or pcs cluster cib-push, or with\n" +
			"--format pcs the pcs script pm_pcsgen would write. Exit status: 0 success,\n" +
			"1 error (nothing written), 2 warnings or no valid data. Options must precede CSVFILE.",
		// -VVV counts as three -V, as with pm_crmgen.
		UseShortOptionHandling: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: flagOutput, Usage: "write the crm configuration to `OUTPUT` (replaced atomically; default: standard output)"},
			&cli.BoolFlag{Name: flagVerbose, Usage: "show warnings; repeat for notice (-VV) and info (-VVV) messages"},
			&cli.BoolFlag{Name: flagNoColoc, Usage: "do not generate the colocation constraints implied by ping/pingd/diskd columns of the LOCATION table"},
			&cli.BoolFlag{Name: flagNoOrder, Usage: "do not generate the order constraints implied by ping/pingd/diskd columns of the LOCATION table"},
			&cli.BoolFlag{Name: flagBrackets, Usage: "wrap each alert recipient in { }"},
			&cli.BoolFlag{Name: flagCheck, Usage: "also validate the params of ocf:pgrex:pgsql primitives (unknown names, rep_mode, node_list, master_ip) and lint the constraints Pacemaker 3 would ignore"},
			&cli.StringFlag{Name: flagFormat, Usage: "output `FORMAT`: crm (a pm_crmgen sheet's default), cib (a pm_pcsgen sheet's) or pcs (a pcs script, pm_pcsgen sheets)"},
			&cli.StringFlag{Name: flagTarget, Usage: "the crmsh `TARGET` of crm output: crmsh4 (pm_crmgen's output, Pacemaker 2.1; default) or crmsh5 (crmsh 5 / Pacemaker 3: promotable clones, Promoted/Unpromoted, one rule per location; implies the Pacemaker 3 lint)"},
			&cli.StringFlag{Name: flagPcsVersion, Usage: "the pcs `VERSION` a pcs script is for: 0.11 (RHEL 9, Debian 12; default) or 0.12 (RHEL 10, Debian 13)"},
			&cli.BoolFlag{Name: flagTemplate, Usage: "print the PG-REX environment-definition CSV template instead of generating"},
		},
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return cli.Exit(fmt.Sprintf("pgrex crmgen: %v\n\n%s", err, strings.TrimSuffix(crmgenUsageMsg, "\n")), crmgen.StatusError)
		},
		Action: runCrmgen,
	}
}

func runCrmgen(c *cli.Context) error {
	stdout, stderr := c.App.Writer, c.App.ErrWriter
	if stderr == nil {
		stderr = os.Stderr
	}
	args := c.Args().Slice()
	if c.Bool(flagTemplate) {
		if len(args) > 0 {
			return usageError("--template にCSVファイルは指定できません。")
		}
		return printTemplate(c.String(flagOutput), stdout, stderr)
	}
	switch {
	case len(args) == 0:
		return usageError("CSVファイルが指定されていません。")
	case len(args) > 1:
		// urfave/cli stops at the first argument, so "x.csv -V" leaves -V
		// here; say so instead of calling it a second file.
		for _, a := range args[1:] {
			if strings.HasPrefix(a, "-") {
				return usageError(fmt.Sprintf("CSVファイルの後にオプション [%s] があります。オプションはCSVファイルより前に指定してください。", a))
			}
		}
		return usageError("CSVファイルが複数指定されています。")
	}
	if f := c.String(flagFormat); f != "" && !slices.Contains(crmgen.Formats, f) {
		return usageError(fmt.Sprintf("--format %s: expected one of %s", f, strings.Join(crmgen.Formats, ", ")))
	}
	status := crmgen.Run(crmgen.RunConfig{
		Input:       args[0],
		Output:      c.String(flagOutput),
		Verbosity:   c.Count(flagVerbose),
		CommandLine: os.Args,
		Options: crmgen.Options{
			NoAutoColocation: c.Bool(flagNoColoc),
			NoAutoOrder:      c.Bool(flagNoOrder),
			AlertBrackets:    c.Bool(flagBrackets),
			Check:            c.Bool(flagCheck),
			Format:           c.String(flagFormat),
			PcsVersion:       c.String(flagPcsVersion),
			Target:           c.String(flagTarget),
			// --check validates against the agent's own parameter table.
			KnownParam: func(name string) bool { _, ok := config.LookupParam(name); return ok },
		},
	}, stdout, stderr)
	if status != crmgen.StatusOK {
		return cli.Exit("", status)
	}
	return nil
}

// usageError reports a command-line mistake the way pm_crmgen does:
// the message, a blank line and the usage, exit status 1.
func usageError(msg string) error {
	return cli.Exit(msg+"\n\n"+strings.TrimSuffix(crmgenUsageMsg, "\n"), crmgen.StatusError)
}

// printTemplate writes the embedded PG-REX sheet to output (or stdout).
func printTemplate(output string, stdout, stderr io.Writer) error {
	data, err := templates.FS.ReadFile(templates.PGREXEnvCSV)
	if err != nil {
		return cli.Exit(fmt.Sprintf("pgrex crmgen: read embedded template: %v", err), crmgen.StatusError)
	}
	if err := crmgen.WriteOutput(output, data, 0o644, stdout); err != nil {
		return cli.Exit(fmt.Sprintf("pgrex crmgen: write template: %v", err), crmgen.StatusError)
	}
	return nil
}
