// SPDX-License-Identifier: Apache-2.0

package procedure

// The text of `pgrex lock status` and `lock clear`: the lock file, the
// facts the decision rests on, the decision. `lock status --json` prints
// LockReport.

import (
	"fmt"
	"strings"
	"time"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/msg"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/toolsconf"
	"github.com/pgrex/pgrex/ra/lockfile"
)

// LockReport is `pgrex lock status --json` (docs/operations.md).
type LockReport struct {
	Path   string         `json:"path"`
	Source string         `json:"tmpdir_source"`
	Lock   lockfile.Info  `json:"lock"`
	Clear  *LockClearJSON `json:"clear,omitempty"`
}

// LockClearJSON is what `lock clear` would decide, in LockReport.
type LockClearJSON struct {
	Node            string          `json:"node"`
	PostgreSQL      lockfile.PGRole `json:"postgresql"`
	DataStatus      string          `json:"data_status,omitempty"`
	DataStatusFound bool            `json:"data_status_found"`
	DataStatusError string          `json:"data_status_error,omitempty"`
	WouldRemove     bool            `json:"would_remove"`
	Refusals        []lockfile.Code `json:"refusals,omitempty"`
	Grounds         []lockfile.Code `json:"grounds,omitempty"`
}

// NewLockClearJSON is the report of a decision d on the facts lf.
func NewLockClearJSON(lf LockFacts, d lockfile.Decision) *LockClearJSON {
	f := lf.Base
	cj := &LockClearJSON{Node: lf.Node, PostgreSQL: f.PG, DataStatus: f.DataStatus, DataStatusFound: f.DataStatusFound,
		WouldRemove: d.Remove, Refusals: d.Refusals, Grounds: d.Grounds}
	if f.DataStatusErr != nil {
		cj.DataStatusError = f.DataStatusErr.Error()
	}
	return cj
}

// WriteLock prints the lock file: where (and where its tmpdir setting came
// from), whether it exists, when and by which promote it was made.
func WriteLock(p msg.Printer, info lockfile.Info, tmpSrc toolsconf.Source) {
	p.Say("lk.path", info.Path, tmpSrc.Text(p.Lang))
	if !info.Exists {
		p.Say("lk.absent")
		return
	}
	p.Say("lk.present")
	from := p.T("lk.from-mtime")
	if info.CreatedFrom == "content" {
		from = p.T("lk.from-content")
	}
	p.Say("lk.created", info.Created.UTC().Format(time.RFC3339), from)
	if ct := info.Content; ct.Node != "" || ct.Timeline != 0 || ct.Location != "" {
		tli := "?"
		if ct.Timeline != 0 {
			tli = fmt.Sprint(ct.Timeline)
		}
		p.Say("lk.by", msg.OrDash(ct.Node), tli, msg.OrDash(ct.Location))
	}
	if len(info.Content.Unknown) > 0 {
		p.Say("lk.unknown", strings.Join(info.Content.Unknown, " | "))
	}
}

// WriteLockFacts prints this node's facts: its PostgreSQL, its
// data-status and where that came from, a backup_label's time.
func WriteLockFacts(p msg.Printer, lf LockFacts) {
	f, dsSource := lf.Base, lf.DataStatusSource
	ds := f.DataStatus
	switch {
	case f.DataStatusErr != nil:
		ds = p.T("lk.unreadable")
		dsSource = ""
	case !f.DataStatusFound:
		ds = p.T("lk.unset")
	}
	src := ""
	switch {
	case dsSource == "cluster":
		src = p.T("source", p.T("src.cluster"))
	case strings.HasPrefix(dsSource, "on-disk CIB "):
		src = p.T("source", p.T("src.cib-file", strings.TrimPrefix(dsSource, "on-disk CIB ")))
	}
	p.Say("lk.facts", msg.OrDash(lf.Node), p.T("pg."+string(f.PG)), ds, src)
	if !f.BackupLabel.IsZero() {
		p.Say("lk.backup-label", lf.PGData, f.BackupLabel.UTC().Format(time.RFC3339))
	}
}

// WriteLockDecision prints the decision on the facts cf: the refusals (and
// whether --force overrode them) or the grounds for removing the lock.
func WriteLockDecision(p msg.Printer, cf LockClearFacts, path string, d lockfile.Decision) {
	reason := func(code lockfile.Code) string { return LockReasonText(p.Lang, cf, code) }
	if len(d.Refusals) > 0 {
		if d.Remove {
			p.Say("lk.forced")
		} else {
			p.Say("lk.refused", path)
		}
		for _, r := range d.Refusals {
			fmt.Fprintf(p.Out, "  - %s\n", reason(r))
		}
		if !d.Remove {
			p.Say("lk.force-hint")
		}
		return
	}
	if d.Remove {
		p.Say("lk.grounds")
		for _, g := range d.Grounds {
			fmt.Fprintf(p.Out, "  - %s\n", reason(g))
		}
	}
}

// LockReasonText renders a refusal or ground of lockfile.Decide on the
// facts cf in lang.
func LockReasonText(lang msg.Lang, cf LockClearFacts, code lockfile.Code) string {
	key, args := cf.Reason(code)
	if key == "" {
		return string(code)
	}
	return msg.T(lang, key, msg.Args(args)...)
}

// LockRemovalLog is the syslog line of a removal: the grounds, the
// refusals overridden, where the data-status came from.
func LockRemovalLog(path string, lf LockFacts, d lockfile.Decision) string {
	var why []string
	for _, g := range d.Grounds {
		why = append(why, string(g))
	}
	for _, r := range d.Refusals {
		why = append(why, "overrode "+string(r))
	}
	if lf.DataStatusSource != "" && lf.Base.DataStatusErr == nil {
		why = append(why, fmt.Sprintf("data-status=%q from %s", lf.Base.DataStatus, lf.DataStatusSource))
	}
	return fmt.Sprintf("pgrex lock clear: removed %s on node %s (%s)", path, msg.OrDash(lf.Node), strings.Join(why, "; "))
}
