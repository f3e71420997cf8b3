// SPDX-License-Identifier: Apache-2.0

package status_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/msg"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/status"
	"github.com/pgrex/pgrex/test/fixtures"
)

// Every diagnosis of every fixture renders completely in both languages:
// no row, step or note falls back to its key.
func TestDiagnosisMessages(t *testing.T) {
	// The captures internal/status diagnoses (its busy_test.go).
	files := fixtures.Glob(t, "pacemaker-2.1.5/crm_mon-*.xml", "handmade/pgrex-*.xml", "handmade/pcmk11-*.xml", "pgrex-lab/pgrex-*.xml")
	if len(files) < 20 {
		t.Fatalf("fixtures: %v", files)
	}
	rows := map[status.Row]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := status.Parse(b, status.Options{})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		d := status.Diagnose(m)
		rows[d.Row] = true
		for _, l := range []msg.Lang{msg.EN, msg.JA} {
			txt := status.RenderText(l, d)
			all := append([]string{txt.Summary, txt.Manual}, append(txt.Steps, txt.Notes...)...)
			for _, s := range all {
				if strings.HasPrefix(s, "row.") || strings.HasPrefix(s, "step.") || strings.HasPrefix(s, "note.") || strings.Contains(s, "%!") {
					t.Errorf("%s (%d): unrendered %q", filepath.Base(f), l, s)
				}
			}
		}
	}
	for row := range status.Refs {
		if !msg.Has("row." + string(row)) {
			t.Errorf("no message for row %s", row)
		}
	}
}

// A row the manual does not have names pgrex's own document, which
// exists, instead of "-".
func TestPgrexRowsNameTheirDocument(t *testing.T) {
	for row, ref := range status.Refs {
		txt := status.RenderText(msg.EN, status.Diagnosis{Row: row, Ref: ref})
		if doc := status.Docs[row]; doc != "" {
			if _, err := os.Stat(filepath.Join("..", "..", "..", "..", doc)); err != nil {
				t.Errorf("row %s names %s: %v", row, doc, err)
			}
			if txt.Manual != "pgrex "+doc {
				t.Errorf("row %s: reference %q", row, txt.Manual)
			}
		}
	}
	d := status.Diagnosis{Row: status.RowDiverged, Ref: status.Refs[status.RowDiverged]}
	if got := status.RenderText(msg.JA, d).Manual; got != "pgrex docs/rejoin.md" {
		t.Errorf("diverged: reference %q", got)
	}
}
