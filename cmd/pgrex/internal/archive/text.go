// SPDX-License-Identifier: Apache-2.0

package archive

// The text of `pgrex archive-clean`: where each need comes from, the plan.
// `--json` prints Report.

import (
	"fmt"
	"strings"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/msg"
)

// Report is `pgrex archive-clean --json` (docs/operations.md).
type Report struct {
	Archive string  `json:"archive"`
	Plan    Plan    `json:"plan"`
	DryRun  bool    `json:"dry_run"`
	Result  *Result `json:"result,omitempty"`
}

// originKeys are the messages of Origin's kinds.
var originKeys = map[string]string{"pgdata": "ar.src-pgdata", "backup": "ar.src-backup", "standby": "ar.src-standby"}

// OriginTexts renders, in lang, what each need comes from.
func OriginTexts(lang msg.Lang, origins []Origin) []string {
	var out []string
	for _, o := range origins {
		out = append(out, msg.T(lang, originKeys[o.Kind], msg.Args(o.Args)...))
	}
	return out
}

// WritePlan prints the plan: each need and where it comes from, the
// cutoff, the timelines kept, the warnings (on Err), the files to delete
// and the totals. noBackup warns that no base backup was named.
func WritePlan(p msg.Printer, plan Plan, sources []string, noBackup bool) {
	for i, n := range plan.Needs {
		p.Say("ar.need", sources[i], n.WAL)
	}
	var from []string
	for i, n := range plan.Needs {
		if n.WAL == plan.Cutoff {
			from = append(from, sources[i])
		}
	}
	p.Say("ar.cutoff", plan.Cutoff, strings.Join(from, ", "))
	if noBackup {
		p.Warn(p.T("ar.no-backup", plan.Cutoff))
	}
	var tl []string
	for _, t := range plan.KeptTimelines {
		tl = append(tl, fmt.Sprint(t))
	}
	p.Say("ar.timelines", strings.Join(tl, ", "))
	for _, w := range plan.Warnings {
		p.Warn(w)
	}
	for _, f := range plan.Delete {
		p.Say("ar.delete", f.Name)
	}
	p.Say("ar.summary", len(plan.Delete), HumanBytes(plan.DeleteBytes), plan.KeepCount, HumanBytes(plan.KeepBytes), len(plan.Untouched))
}
