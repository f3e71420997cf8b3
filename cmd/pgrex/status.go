// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/msg"
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

// statusJSON is `pgrex status --json`.
type statusJSON struct {
	Cluster   *status.Model    `json:"cluster"`
	Diagnosis status.Diagnosis `json:"diagnosis"`
	// Text is the diagnosis rendered in the message language.
	Text diagnosisText `json:"text"`
}

type diagnosisText struct {
	Summary string   `json:"summary"`
	Manual  string   `json:"manual,omitempty"`
	Steps   []string `json:"steps,omitempty"`
	Notes   []string `json:"notes,omitempty"`
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
			e.say("local-lock", info.Path, lockWord(e, info.Exists))
		}
	}
	return cli.Exit("", exitError)
}

func lockWord(e *env, exists bool) string {
	if exists {
		return e.T("lock.yes")
	}
	return e.T("lock.no")
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
	txt := renderDiagnosis(e, d)
	if c.Bool("json") {
		if err := e.printJSON(statusJSON{Cluster: m, Diagnosis: d, Text: txt}); err != nil {
			return err
		}
	} else {
		printStatus(e, m, d, txt)
	}
	switch d.Severity {
	case status.OK:
		return nil
	case status.Degraded:
		return cli.Exit("", exitAttn)
	}
	return cli.Exit("", exitDown)
}

func renderDiagnosis(e *env, d status.Diagnosis) diagnosisText {
	var t diagnosisText
	t.Summary = e.T("row."+string(d.Row), d.Node, d.Peer, d.Resource, d.Task)
	switch {
	case d.Ref.Section != "" && d.Ref.Table != "":
		t.Manual = e.T("manual-table", d.Ref.Section, d.Ref.Table)
	case d.Ref.Section != "":
		t.Manual = e.T("manual", d.Ref.Section)
	case d.Ref.Table != "":
		t.Manual = e.T("manual-tonly", d.Ref.Table)
	}
	for _, s := range d.Steps {
		key := "step." + string(s.Code)
		if s.Code == status.StepFindLatest && s.Node == "" {
			key = "step.find-latest.none"
		}
		t.Steps = append(t.Steps, e.T(key, s.Node, s.Peer, s.Resource))
	}
	for _, n := range d.Notes {
		t.Notes = append(t.Notes, e.T("note."+string(n.Code), n.Node, n.Resource, n.Value))
	}
	return t
}

func printStatus(e *env, m *status.Model, d status.Diagnosis, txt diagnosisText) {
	stonith := "?"
	if m.StonithEnabled != nil {
		stonith = fmt.Sprint(*m.StonithEnabled)
	}
	e.say("st.cluster", msg.OrDash(m.DC), stonith, fmt.Sprint(m.MaintenanceMode))
	fmt.Fprintln(e.stdout)

	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, e.T("st.header"))
	for _, n := range m.Nodes {
		name := n.Name
		if n.Local {
			name += " *"
		}
		unknown := e.T("unknown-value")
		pst, dst, score := msg.OrDash(n.PgsqlStatus), msg.OrDash(n.DataStatus), msg.OrDash(n.Score)
		if !n.AttrsKnown {
			pst, score = unknown, unknown
			if n.DataStatus == "" {
				dst = unknown
			} else {
				dst += " " + e.T("st.from-cib")
			}
		}
		lock := "-"
		if n.Lock != nil {
			lock = lockWord(e, n.Lock.Exists)
		}
		var fcs []string
		for _, fc := range n.FailCounts {
			fcs = append(fcs, fc.Resource+"="+fc.Count)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, n.State, n.Role, pst, dst, score,
			msg.OrDash(strings.Join(n.VIPs, ",")), lock, msg.OrDash(strings.Join(fcs, ",")))
	}
	_ = tw.Flush()

	if len(m.Failures) > 0 {
		fmt.Fprintln(e.stdout)
		e.say("st.failed")
		for _, f := range m.Failures {
			reason := f.LastChange
			if f.ExitReason != "" {
				reason = "\"" + f.ExitReason + "\" " + reason
			}
			e.say("st.failure", f.OpKey, f.Node, f.ExitStatus, fmt.Sprint(f.ExitCode), reason)
		}
	}
	var cli []status.Ban
	for _, b := range m.Bans {
		if strings.HasPrefix(b.ID, "cli-") {
			cli = append(cli, b)
		}
	}
	if len(cli) > 0 {
		fmt.Fprintln(e.stdout)
		e.say("st.constraints")
		for _, b := range cli {
			e.say("st.constraint", b.ID, b.Resource, b.Node, b.Weight)
		}
	}
	if len(m.Fencing) > 0 {
		fmt.Fprintln(e.stdout)
		e.say("st.fencing")
		for _, f := range m.Fencing {
			e.say("st.fence", f.Action, f.Target, f.Origin, f.Status, f.Completed)
		}
	}

	fmt.Fprintln(e.stdout)
	e.say("st.diagnosis", e.T("sev."+string(d.Severity)), txt.Summary, msg.OrDash(txt.Manual))
	if len(txt.Steps) > 0 {
		e.say("st.steps")
		for i, s := range txt.Steps {
			fmt.Fprintf(e.stdout, "  %d. %s\n", i+1, s)
		}
	} else if d.Severity == status.OK {
		e.say("st.none")
	}
	if len(txt.Notes) > 0 {
		e.say("st.notes")
		for _, n := range txt.Notes {
			fmt.Fprintf(e.stdout, "  - %s\n", n)
		}
	}
}
