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
