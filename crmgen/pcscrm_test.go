// SPDX-License-Identifier: Apache-2.0

package crmgen

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pcsCRMFixtures are the pcs sheets crm can say; the PG-REX 17 sample is
// an Ansible template whose node names ("{{ groups.hacluster[0] }}") crmsh
// cannot read (TestPcsSheetCRMRefusesSpaces).
var pcsCRMFixtures = []string{"every-table.csv"}

func TestPcsSheetCRMRefusesSpaces(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "pcs", "PG-REX17-pm_pcsgen_sample.cp932.csv"))
	require.NoError(t, err)
	res := Generate("s.csv", data, Options{Format: FormatCRM})
	require.Equal(t, StatusError, res.Status)
	assert.Nil(t, res.Output)
	assert.Contains(t, firstError(res), `LOCATION_NODE node "{{ groups.hacluster[0] }}": crm cannot hold a value with white space here`)
	assert.Contains(t, diagText(res.Diags, 0), "s.csv(L")
}

// TestPcsSheetCRMGolden pins the crm output of every pcs fixture sheet.
func TestPcsSheetCRMGolden(t *testing.T) {
	for _, name := range pcsCRMFixtures {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "pcs", name))
			require.NoError(t, err)
			res := Generate(name, data, Options{Format: FormatCRM})
			require.NotEqual(t, StatusError, res.Status, "%v", res.Diags)
			golden := filepath.Join("testdata", "pcs", strings.TrimSuffix(strings.TrimSuffix(name, ".csv"), ".cp932")+".crm")
			if os.Getenv("UPDATE_GOLDEN") != "" {
				require.NoError(t, os.WriteFile(golden, res.Output, 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "golden file (UPDATE_GOLDEN=1 writes it)")
			assert.Equal(t, string(want), string(res.Output))
		})
	}
}

// TestPcsSheetCRMMatchesCIB is the proof for crmsh users: the crm output of
// a pcs sheet, loaded by Debian's crmsh into an empty CIB file (CIB_file,
// no cluster), gives the same configuration as --format cib, fact by fact.
func TestPcsSheetCRMMatchesCIB(t *testing.T) {
	if _, err := exec.LookPath("crm"); err != nil {
		t.Skip("crmsh not installed (make test installs it)")
	}
	for _, name := range pcsCRMFixtures {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			data, err := os.ReadFile(filepath.Join("testdata", "pcs", name))
			require.NoError(t, err)
			cib := Generate(name, data, Options{Format: FormatCIB})
			require.NotEqual(t, StatusError, cib.Status, "%v", cib.Diags)
			crm := Generate(name, data, Options{Format: FormatCRM})
			require.NotEqual(t, StatusError, crm.Status, "%v", crm.Diags)

			dir := t.TempDir()
			conf := filepath.Join(dir, "conf.crm")
			require.NoError(t, os.WriteFile(conf, crm.Output, 0o644))
			file := filepath.Join(dir, "cib.xml")
			require.NoError(t, os.WriteFile(file, liveCIB(t, ctx, sheetNodes(data, name)), 0o644))
			cmd := exec.CommandContext(ctx, "crm", "configure", "load", "update", conf)
			cmd.Env = append(os.Environ(), "CIB_file="+file, "LC_ALL=C")
			out, err := cmd.CombinedOutput()
			// crmsh runs crm_verify on the file, which has no status section
			// and so calls the nodes unclean; only a failed load counts.
			if err != nil && strings.Contains(string(out), "ERROR: ") && !strings.Contains(string(out), "crm_verify") {
				t.Fatalf("crm configure load update: %v\n%s", err, out)
			}
			got, err := os.ReadFile(file)
			require.NoError(t, err)

			want, have := cibFacts(t, cib.Output), cibFacts(t, got)
			var scriptOnly []string
			if name == "every-table.csv" {
				scriptOnly = []string{"node node1 attribute rack=r1", "node node1 utilization cpu=4",
					"node node2 attribute rack=r2", "node node2 utilization cpu=8"}
			}
			compareFacts(t, want, have, scriptOnly, nil, "crmsh")
		})
	}
}
