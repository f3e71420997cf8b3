// SPDX-License-Identifier: Apache-2.0

package procedure

// The text of the procedures: steps, refusals and notes in the operator's
// language, the printed plan, the progress of a run. `--json` prints the
// facts and the Decision themselves.

import (
	"fmt"
	"strings"
	"time"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/msg"
)

// StepText renders a step in lang.
func StepText(lang msg.Lang, st Step) string { return msg.T(lang, "ps."+st.Code, msg.Args(st.Args)...) }

// RefusalText renders a refusal, a reason or a note in lang.
func RefusalText(lang msg.Lang, r Refusal) string {
	return msg.T(lang, "pr."+r.Code, msg.Args(r.Args)...)
}

// WriteNotes prints a decision's notes.
func WriteNotes(p msg.Printer, notes []Refusal) {
	for _, n := range notes {
		fmt.Fprintf(p.Out, "%s %s\n", p.T("pc.note"), RefusalText(p.Lang, n))
	}
}

// WriteDecision prints the notes, then the refusals or the plan (steps
// that change something irrevocably marked).
func WriteDecision(p msg.Printer, d Decision) {
	WriteNotes(p, d.Notes)
	if d.Refused() {
		p.Say("pc.refused")
		for _, r := range d.Refusals {
			fmt.Fprintf(p.Out, "  - %s\n", RefusalText(p.Lang, r))
		}
		return
	}
	if len(d.Plan.Steps) == 0 {
		p.Say("pc.nothing")
		return
	}
	p.Say("pc.plan")
	for i, st := range d.Plan.Steps {
		mark := ""
		if st.Destructive {
			mark = " " + p.T("pc.destructive")
		}
		fmt.Fprintf(p.Out, "  %d. %s%s\n", i+1, StepText(p.Lang, st), mark)
	}
}

// WriteMethods prints standby-start's methods, available or why not, and
// the one chosen.
func WriteMethods(p msg.Printer, d StandbyDecision) {
	if len(d.Methods) == 0 {
		return
	}
	p.Say("pc.methods")
	for _, m := range d.Methods {
		if m.Available {
			fmt.Fprintf(p.Out, "  %s: %s\n", p.T("pm."+string(m.Method)), p.T("pc.available"))
			continue
		}
		var why []string
		for _, r := range m.Reasons {
			why = append(why, RefusalText(p.Lang, r))
		}
		fmt.Fprintf(p.Out, "  %s: %s\n", p.T("pm."+string(m.Method)), p.T("pc.unavailable", strings.Join(why, "; ")))
	}
	if d.Chosen != "" {
		p.Say("pc.chosen", p.T("pm."+string(d.Chosen)))
	}
}

// Progress prints a run's events as PG-REX's tools do ("n. title", then
// "...[OK]" or "...[NG]"), and a wait's state when it changes and every
// 10 s otherwise.
func Progress(p msg.Printer) func(Event) {
	var lastShown time.Duration
	return func(ev Event) {
		switch ev.Kind {
		case EventStart:
			lastShown = 0
			fmt.Fprintf(p.Out, "%d. %s\n", ev.Index+1, StepText(p.Lang, ev.Step))
		case EventDone:
			fmt.Fprintln(p.Out, "   ...[OK]")
		case EventWarning:
			fmt.Fprintf(p.Out, "   ...[NG] %s\n", p.T("pc.ignored", ev.Err.Error()))
		case EventFailed:
			fmt.Fprintln(p.Out, "   ...[NG]")
			if ev.Output != "" {
				fmt.Fprintln(p.Out, indent(ev.Output, "      "))
			}
		case EventWait:
			if ev.Wait.Changed || ev.Wait.Elapsed-lastShown >= 10*time.Second {
				lastShown = ev.Wait.Elapsed
				fmt.Fprintf(p.Out, "   (%3ds) %s\n", int(ev.Wait.Elapsed.Seconds()), ev.Wait.State)
			}
		case EventDeclined:
			p.Say("declined")
		}
	}
}

// indent prefixes every line of a failed command's output, keeping the
// first and last lines of a long one.
func indent(s, pre string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 20 {
		lines = append(lines[:10], append([]string{"…"}, lines[len(lines)-9:]...)...)
	}
	return pre + strings.Join(lines, "\n"+pre)
}
