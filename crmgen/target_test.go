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

// loadableSheets are the pm_crmgen fixture sheets that describe a whole,
// consistent cluster (the others are format examples whose extra commands
// name resources that do not exist, or templates with placeholders).
var loadableSheets = []string{
	"samples/PG-REX9.5-rendered-ipmi.csv",
	"samples/PG-REX9.5-rendered-libvirt.csv",
	"samples/pm_crmgen_env-1.0-example-LOCATION.csv",
	"../../templates/pgrex-env.csv",
}

// TestTargetCrmsh5Loads: the crmsh5 output of every loadable sheet is
// loaded by real crmsh into an empty CIB file, has no <master> and no
// legacy role, passes crm_verify, and says the same as the default output
// loaded the same way: every fact of the one is a fact of the other once
// ms is read as a promotable clone and Master/Slave as Promoted/Unpromoted.
func TestTargetCrmsh5Loads(t *testing.T) {
	if _, err := exec.LookPath("crm"); err != nil {
		t.Skip("crmsh not installed (make test installs it)")
	}
	for _, name := range loadableSheets {
		t.Run(filepath.Base(name), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			data, err := os.ReadFile(filepath.Join("testdata", name))
			require.NoError(t, err)
			facts := map[string][]string{}
			for _, target := range Targets {
				res := Generate(name, data, Options{Target: target})
				require.NotEqual(t, StatusError, res.Status, "%v", res.Diags)
				cib := crmLoad(t, ctx, res.Output)
				if target == TargetCrmsh5 {
					for _, bad := range []string{"<master", `"Master"`, `"Slave"`, "master-max"} {
						assert.NotContains(t, string(cib), bad)
					}
				}
				facts[target] = cibFacts(t, cib)
			}
			assert.ElementsMatch(t, facts[TargetCrmsh4], facts[TargetCrmsh5])
		})
	}
}

// TestTargetLint: what Pacemaker 3 would ignore is an error at its row with
// --check or --target crmsh5, and passes as before without them.
func TestTargetLint(t *testing.T) {
	sheet := ",RESOURCES\n,,resourceItem,resourceItem,id\n,,Primitive,,a\n,,Primitive,,b\n" +
		",PRIMITIVE\n,P,id,class,provider,type\n,,a,ocf,heartbeat,Dummy\n" +
		",PRIMITIVE\n,P,id,class,provider,type\n,,b,ocf,heartbeat,Dummy\n" +
		",COLOCATION\n,,rsc,with-rsc,score,rsc-role,with-rsc-role\n,,a,b,INFINITY,Started,Leader\n"
	for _, tt := range []struct {
		opts   Options
		status int
	}{
		{Options{}, StatusOK},
		{Options{Check: true}, StatusError},
		{Options{Target: TargetCrmsh5}, StatusError},
	} {
		res := Generate("l.csv", []byte(sheet), tt.opts)
		if !assert.Equal(t, tt.status, res.Status, "%+v: %v", tt.opts, res.Diags) {
			continue
		}
		if tt.status == StatusError {
			assert.Contains(t, firstError(res), `COLOCATION a with b: role "Leader": Pacemaker 3 ignores the whole constraint`)
			assert.Nil(t, res.Output)
		}
	}
	res := Generate("l.csv", []byte(sheet), Options{Target: "crmsh9"})
	assert.Equal(t, StatusError, res.Status)
	assert.Contains(t, firstError(res), "--target crmsh9: expected one of crmsh4, crmsh5")
}

// crmLoad loads crm text into Pacemaker's empty CIB (a file, no cluster)
// with crmsh, checks it with crm_verify and returns the CIB. -F: the old
// sheets name stonith plugins this machine does not have.
func crmLoad(t *testing.T, ctx context.Context, crm []byte) []byte {
	t.Helper()
	dir := t.TempDir()
	conf, file := filepath.Join(dir, "conf.crm"), filepath.Join(dir, "cib.xml")
	require.NoError(t, os.WriteFile(conf, crm, 0o644))
	empty, err := exec.CommandContext(ctx, "cibadmin", "--empty").Output()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, empty, 0o644))
	cmd := exec.CommandContext(ctx, "crm", "-F", "configure", "load", "update", conf)
	cmd.Env = append(os.Environ(), "CIB_file="+file, "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "crm configure load update:\n%s", out)
	cib, err := os.ReadFile(file)
	require.NoError(t, err)
	require.True(t, strings.Contains(string(cib), "<primitive"), "nothing loaded:\n%s", out)
	if out, err := exec.CommandContext(ctx, "crm_verify", "--xml-file", file).CombinedOutput(); err != nil {
		t.Errorf("crm_verify: %v\n%s", err, out)
	}
	return cib
}
