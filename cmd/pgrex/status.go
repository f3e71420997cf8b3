// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/status"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/toolsconf"
	"github.com/pgrex/pgrex/ra/lockfile"
)

func statusCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "show the cluster as PG-REX sees it and diagnose it by the manual's fault tables",
		Description: "Reads crm_mon once and shows, per node, the manual's cluster state, pgsql-status, " +
			"pgsql-data-status, promotion score, VIPs, this node's PGSQL.lock and fail counts, then the failed actions " +
			"and the diagnosis: which row of the PG-REX manual's fault tables the cluster is in and the documented next " +
			"steps. Exit status: 0 normal, 2 degraded (a primary serves, something is wrong), 3 no primary or two, " +
			"1 the status could not be read.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the model and the diagnosis as JSON"},
			&cli.StringFlag{Name: "xml", Usage: "read crm_mon XML from `FILE` instead of running crm_mon (offline analysis)"},
			&cli.StringFlag{Name: "tmpdir", Usage: "the agent's tmpdir, where PGSQL.lock lives (default: the pgsql resource's tmpdir in the CIB)"},
			&cli.StringFlag{Name: "node", Usage: "this node's cluster name (default: crm_node --name)"},
			&cli.StringFlag{Name: "resource", Usage: "the pgsql primitive id (default: PG_REX_Primitive_ResourceID, pgsql)"},
			configFlag(),
		},
		Action: func(c *cli.Context) error { return runStatus(c, e) },
	}
}

func runStatus(c *cli.Context, e *env) error {
	cfg, err := loadConfig(c, e)
	if err != nil {
		return e.fail(exitError, err)
	}
	live := c.String("xml") == ""
	rsc := cfg.Resource(c.String("resource"))

	var xml []byte
	if live {
		xml, err = attrd.ReadReport(c.Context, e.run, cfg.CommandTimeout)
	} else {
		xml, err = os.ReadFile(c.String("xml"))
	}
	node := cfg.LocalNodeName(c.Context, e.host(), c.String("node"), live)
	if err == nil {
		var m *status.Model
		m, err = status.Parse(xml, status.Options{Resource: rsc, Clone: cfg.PrimaryResourceID,
			VIPPrimary: cfg.VIPPrimary, VIPReplication: cfg.VIPReplication, VIPStandby: cfg.VIPStandby,
			PingAttribute: cfg.PingAttribute, DiskAttributes: cfg.DiskAttributes, LocalNode: node})
		if err == nil {
			return showStatus(c, e, cfg, m, live)
		}
	}
	// No cluster status: say so, and still show this node's lock, which
	// is what an operator about to start the node needs.
	fmt.Fprintln(e.stderr, e.T("no-cluster", err.Error()))
	if live || c.IsSet("tmpdir") {
		tmpdir, _ := cfg.ResolveTmpdir(c.Context, e.run, c.String("tmpdir"), rsc, live)
		if info, lerr := lockfile.Read(lockfile.Path(tmpdir)); lerr == nil {
			e.say("local-lock", info.Path, status.LockWord(e.lang, info.Exists))
		}
	}
	return cli.Exit("", exitError)
}

func showStatus(c *cli.Context, e *env, cfg toolsconf.Config, m *status.Model, live bool) error {
	// This node's lock file.
	if n, ok := m.LocalNode(); ok && (live || c.IsSet("tmpdir") || cfg.IsSet("Tmpdir")) {
		tmpdir, _ := cfg.ResolveTmpdir(c.Context, e.run, c.String("tmpdir"), m.Resource, live)
		if info, err := lockfile.Read(lockfile.Path(tmpdir)); err == nil {
			n.Lock = &info
		} else {
			fmt.Fprintln(e.stderr, e.T("warning", err.Error()))
		}
	}
	// Offline nodes: crm_mon hides their forever data-status; read it.
	if live {
		m.ReadOfflineDataStatus(c.Context, e.run, cfg.CommandTimeout)
	}

	d := status.Diagnose(m)
	txt := status.RenderText(e.lang, d)
	if c.Bool("json") {
		if err := e.printJSON(status.Report{Cluster: m, Diagnosis: d, Text: txt}); err != nil {
			return err
		}
	} else {
		status.WriteText(e.printer(), m, d, txt)
	}
	switch d.Severity {
	case status.OK:
		return nil
	case status.Degraded:
		return cli.Exit("", exitAttn)
	}
	return cli.Exit("", exitDown)
}
