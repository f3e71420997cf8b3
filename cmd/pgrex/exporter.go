// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"log/slog"
	"net"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/exporter"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/status"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/toolsconf"
)

func exporterCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "exporter",
		Usage: "serve the PG-REX state as Prometheus metrics and load-balancer health checks",
		Description: "Serves /metrics (Prometheus) and /primary, /standby[?max_lag=BYTES], /sync, /healthy " +
			"(HTTP 200 or 503, for HAProxy-style checks) about this node. A read is one crm_mon call, this node's " +
			"PGSQL.lock and rep_mode.conf and one PostgreSQL session, at most once per --interval, bounded by " +
			"--timeout; it never changes anything. With --xml it serves a saved crm_mon report for --node, " +
			"without PostgreSQL (docs/operations.md, \"pgrex exporter\").",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "listen", Value: exporter.DefaultListen, Usage: "the `ADDRESS:PORT` to serve on"},
			&cli.DurationFlag{Name: "interval", Value: exporter.DefaultInterval, Usage: "how long one read serves scrapes and checks"},
			&cli.DurationFlag{Name: "timeout", Value: exporter.DefaultTimeout, Usage: "the longest one read may take"},
			&cli.StringFlag{Name: "xml", Usage: "serve crm_mon XML from `FILE` instead of running crm_mon (offline, no PostgreSQL)"},
			&cli.StringFlag{Name: "node", Usage: "this node's cluster name (default: crm_node --name)"},
			&cli.StringFlag{Name: "tmpdir", Usage: "the agent's tmpdir, where PGSQL.lock and rep_mode.conf live (default: the pgsql resource's tmpdir in the CIB)"},
			&cli.StringFlag{Name: "resource", Usage: "the pgsql primitive id (default: PG_REX_Primitive_ResourceID, pgsql)"},
			configFlag(),
		},
		Action: func(c *cli.Context) error { return runExporter(c, e) },
	}
}

func runExporter(c *cli.Context, e *env) error {
	cfg, err := loadConfig(c, e)
	if err != nil {
		return e.fail(exitError, err)
	}
	live := c.String("xml") == ""
	rsc := cfg.Resource(c.String("resource"))
	node := cfg.LocalNodeName(c.Context, e.host(), c.String("node"), live)
	xc := exporter.Config{XMLFile: c.String("xml"), Timeout: c.Duration("timeout"), Now: e.now,
		Status: status.Options{Resource: rsc, Clone: cfg.PrimaryResourceID, VIPPrimary: cfg.VIPPrimary,
			VIPReplication: cfg.VIPReplication, VIPStandby: cfg.VIPStandby, PingAttribute: cfg.PingAttribute,
			DiskAttributes: cfg.DiskAttributes, LocalNode: node}}
	if live {
		xc.Run = e.run
		params := cfg.ReadCIBParams(c.Context, e.run, rsc, live)
		xc.Tmpdir, _ = cfg.Resolve(c.String("tmpdir"), "Tmpdir", cfg.Tmpdir, params, "tmpdir", toolsconf.DefaultTmpdir)
		p, err := exporter.ConnParams(params)
		if err != nil {
			return e.fail(exitError, err)
		}
		xc.PG = &p
	} else {
		xc.Tmpdir = c.String("tmpdir")
	}
	log := slog.New(slog.NewTextHandler(e.stderr, nil))
	srv, err := exporter.NewServer(xc, c.Duration("interval"), log)
	if err != nil {
		return e.fail(exitError, err)
	}
	l, err := net.Listen("tcp", c.String("listen"))
	if err != nil {
		return e.fail(exitError, fmt.Errorf("listening on %s: %w", c.String("listen"), err))
	}
	ctx, stop := signal.NotifyContext(c.Context, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log.Info("serving", "address", l.Addr().String(), "node", node, "resource", rsc, "tmpdir", xc.Tmpdir, "live", live)
	if err := srv.Serve(ctx, l); err != nil {
		return e.fail(exitError, err)
	}
	return nil
}
