// SPDX-License-Identifier: Apache-2.0

package status

// The text of `pgrex status`: the diagnosis in the operator's language and
// the report printed for people. `--json` prints Report.

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/msg"
)

// Report is `pgrex status --json` (docs/operations.md).
type Report struct {
	Cluster   *Model    `json:"cluster"`
	Diagnosis Diagnosis `json:"diagnosis"`
	// Text is the diagnosis rendered in the message language.
	Text Text `json:"text"`
}

// Text is a diagnosis rendered in one language.
type Text struct {
	Summary string   `json:"summary"`
	Manual  string   `json:"manual,omitempty"`
	Steps   []string `json:"steps,omitempty"`
	Notes   []string `json:"notes,omitempty"`
}

// RenderText renders d in lang.
func RenderText(lang msg.Lang, d Diagnosis) Text {
	T := func(key string, args ...any) string { return msg.T(lang, key, args...) }
	var t Text
	t.Summary = T("row."+string(d.Row), d.Node, d.Peer, d.Resource, d.Task)
	switch {
	case d.Ref.Section != "" && d.Ref.Table != "":
		t.Manual = T("manual-table", d.Ref.Section, d.Ref.Table)
	case d.Ref.Section != "":
		t.Manual = T("manual", d.Ref.Section)
	case d.Ref.Table != "":
		t.Manual = T("manual-tonly", d.Ref.Table)
	case Docs[d.Row] != "":
		t.Manual = T("pgrex-doc", Docs[d.Row])
	}
	for _, s := range d.Steps {
		key := "step." + string(s.Code)
		if s.Code == StepFindLatest && s.Node == "" {
			key = "step.find-latest.none"
		}
		t.Steps = append(t.Steps, T(key, s.Node, s.Peer, s.Resource))
	}
	for _, n := range d.Notes {
		t.Notes = append(t.Notes, T("note."+string(n.Code), n.Node, n.Resource, n.Value))
	}
	return t
}

// LockWord is "present" or "absent" for PGSQL.lock, in lang.
func LockWord(lang msg.Lang, exists bool) string {
	if exists {
		return msg.T(lang, "lock.yes")
	}
	return msg.T(lang, "lock.no")
}

// WriteText prints the report for people: the cluster line, one row per
// node, the failed actions, the move/ban constraints, the fencing history
// and the diagnosis.
func WriteText(p msg.Printer, m *Model, d Diagnosis, txt Text) {
	stonith := "?"
	if m.StonithEnabled != nil {
		stonith = fmt.Sprint(*m.StonithEnabled)
	}
	p.Say("st.cluster", msg.OrDash(m.DC), stonith, fmt.Sprint(m.MaintenanceMode))
	fmt.Fprintln(p.Out)

	tw := tabwriter.NewWriter(p.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, p.T("st.header"))
	for _, n := range m.Nodes {
		fmt.Fprintln(tw, strings.Join(nodeRow(p, n), "\t"))
	}
	_ = tw.Flush()

	if len(m.Failures) > 0 {
		fmt.Fprintln(p.Out)
		p.Say("st.failed")
		for _, f := range m.Failures {
			reason := f.LastChange
			if f.ExitReason != "" {
				reason = "\"" + f.ExitReason + "\" " + reason
			}
			p.Say("st.failure", f.OpKey, f.Node, f.ExitStatus, fmt.Sprint(f.ExitCode), reason)
		}
	}
	var cli []Ban
	for _, b := range m.Bans {
		if isCLI(b.ID) {
			cli = append(cli, b)
		}
	}
	if len(cli) > 0 {
		fmt.Fprintln(p.Out)
		p.Say("st.constraints")
		for _, b := range cli {
			p.Say("st.constraint", b.ID, b.Resource, b.Node, b.Weight)
		}
	}
	if len(m.Fencing) > 0 {
		fmt.Fprintln(p.Out)
		p.Say("st.fencing")
		for _, f := range m.Fencing {
			p.Say("st.fence", f.Action, f.Target, f.Origin, f.Status, f.Completed)
		}
	}

	fmt.Fprintln(p.Out)
	p.Say("st.diagnosis", p.T("sev."+string(d.Severity)), txt.Summary, msg.OrDash(txt.Manual))
	if len(txt.Steps) > 0 {
		p.Say("st.steps")
		for i, s := range txt.Steps {
			fmt.Fprintf(p.Out, "  %d. %s\n", i+1, s)
		}
	} else if d.Severity == OK {
		p.Say("st.none")
	}
	if len(txt.Notes) > 0 {
		p.Say("st.notes")
		for _, n := range txt.Notes {
			fmt.Fprintf(p.Out, "  - %s\n", n)
		}
	}
}

// nodeRow is a node's row under st.header. An offline node's attributes
// are unknown to crm_mon; its data-status may come from the CIB.
func nodeRow(p msg.Printer, n Node) []string {
	name := n.Name
	if n.Local {
		name += " *"
	}
	unknown := p.T("unknown-value")
	pst, dst, score := msg.OrDash(n.PgsqlStatus), msg.OrDash(n.DataStatus), msg.OrDash(n.Score)
	if !n.AttrsKnown {
		pst, score = unknown, unknown
		if n.DataStatus == "" {
			dst = unknown
		} else {
			dst += " " + p.T("st.from-cib")
		}
	}
	lock := "-"
	if n.Lock != nil {
		lock = LockWord(p.Lang, n.Lock.Exists)
	}
	var fcs []string
	for _, fc := range n.FailCounts {
		fcs = append(fcs, fc.Resource+"="+fc.Count)
	}
	return []string{name, string(n.State), string(n.Role), pst, dst, score,
		msg.OrDash(strings.Join(n.VIPs, ",")), lock, msg.OrDash(strings.Join(fcs, ","))}
}
