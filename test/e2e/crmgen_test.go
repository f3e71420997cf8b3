// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCrmgenTemplateLoads: the PG-REX environment-definition template that
// `pgrex crmgen --template` prints, turned into crm by `pgrex crmgen
// --check`, is accepted by the lab's real crmsh and Pacemaker — loaded into
// a shadow CIB inside a node (the live cluster is not touched), checked by
// crmsh against the installed agents' meta-data and by crm_verify.
func TestCrmgenTemplateLoads(t *testing.T) {
	ctx := scenarioCtx(t)
	l := needProcedures(t)
	healthy(t, ctx)
	dir := filepath.Join(l.Run, "ctl", fmt.Sprintf("crmgen-%d", time.Now().UnixNano()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	csv, crm := filepath.Join(dir, "template.csv"), filepath.Join(dir, "template.crm")
	if out, err := l.run(ctx, 30*time.Second, "/usr/bin/pgrex", "crmgen", "--template", "-o", csv); err != nil {
		t.Fatalf("pgrex crmgen --template: %v\n%s", err, out)
	}
	if out, err := l.run(ctx, 30*time.Second, "/usr/bin/pgrex", "crmgen", "--check", "-o", crm, csv); err != nil {
		t.Fatalf("pgrex crmgen --check: %v\n%s", err, out)
	}
	const node, shadow = "node1", "pgrex-e2e-crmgen"
	if out, err := l.Exec(ctx, 30*time.Second, node, "crm_shadow", "--batch", "--force", "--create-empty", shadow); err != nil {
		t.Fatalf("crm_shadow --create-empty: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		_, _ = l.Exec(ctx, 30*time.Second, node, "crm_shadow", "--batch", "--force", "--delete", shadow)
	})
	out, err := l.Exec(ctx, time.Minute, node, "env", "CIB_shadow="+shadow, "crm", "configure", "load", "update", crm)
	if err != nil {
		t.Fatalf("crm configure load update of crmgen's output: %v\n%s", err, out)
	}
	for _, line := range strings.Split(out, "\n") {
		// the template names its own nodes (pgrex01/02); anything else is a defect
		if strings.Contains(line, "ERROR") || strings.Contains(line, "does not exist") && !strings.Contains(line, "node pgrex0") {
			t.Errorf("crmsh on crmgen's output: %s", line)
		}
	}
	if out, err := l.Exec(ctx, time.Minute, node, "env", "CIB_shadow="+shadow, "crm_verify", "-L"); err != nil {
		t.Errorf("crm_verify of crmgen's output: %v\n%s", err, out)
	}
	res, err := l.Exec(ctx, 30*time.Second, node, "env", "CIB_shadow="+shadow, "cibadmin", "--query", "--scope", "resources")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`id="msPostgresql"`, `id="pgsql" class="ocf" provider="pgrex" type="pgsql"`, `name="rep_mode" value="sync"`} {
		if !strings.Contains(res, want) {
			t.Errorf("the loaded configuration lacks %s", want)
		}
	}
	record("crmgen template", "pgrex crmgen --template | crmgen --check → crm configure load (shadow CIB) + crm_verify", 0, "accepted")
}
