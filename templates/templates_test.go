// SPDX-License-Identifier: Apache-2.0

package templates_test

import (
	"context"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/japanese"

	"github.com/pgrex/pgrex/crmgen"
	"github.com/pgrex/pgrex/templates"
)

func renderTemplate(t *testing.T, opts crmgen.Options) []byte {
	t.Helper()
	data, err := templates.FS.ReadFile(templates.PGREXEnvCSV)
	if err != nil {
		t.Fatalf("read embedded template: %v", err)
	}
	res := crmgen.Generate(templates.PGREXEnvCSV, data, opts)
	var msgs []string
	for _, d := range res.Diags {
		// The one notice --check gives: vip-slave's four rules in one
		// location constraint are PG-REX's pattern and right on Pacemaker
		// 2.1, which the default target is for; --target crmsh5 splits them.
		if opts.Check && opts.Target == "" && d.Level == crmgen.LevelNotice && strings.Contains(d.Msg, "LOCATION_EXPERT vip-slave: 4 rules") {
			continue
		}
		if d.Level <= crmgen.LevelInfo {
			msgs = append(msgs, d.String())
		}
	}
	if res.Status != crmgen.StatusOK || len(msgs) > 0 {
		t.Fatalf("template: status %d, messages:\n%s", res.Status, strings.Join(msgs, "\n"))
	}
	return res.Output
}

// The shipped sheet must generate without a single error, warning or info
// message, with and without --check, and describe PG-REX's cluster.
func TestTemplateGeneratesCleanly(t *testing.T) {
	plain := string(renderTemplate(t, crmgen.Options{}))
	checked := string(renderTemplate(t, crmgen.Options{Check: true}))
	if plain != checked {
		t.Error("--check changed the output")
	}
	// For crmsh 5 / Pacemaker 3 the same sheet is clean too, with no
	// ms, no legacy role and one rule per location constraint.
	crmsh5 := string(renderTemplate(t, crmgen.Options{Check: true, Target: crmgen.TargetCrmsh5}))
	for _, bad := range []string{"\nms ", "Master", "Slave", "master-max"} {
		if strings.Contains(crmsh5, bad) {
			t.Errorf("--target crmsh5 output holds %q", bad)
		}
	}
	if m := regexp.MustCompile(`\trule [^\n]*\\\n\trule `).FindString(crmsh5); m != "" {
		t.Errorf("--target crmsh5 output has a second rule in one location: %q", m)
	}
	// docs/crmgen.md tells Excel users to convert the sheet to CP932; the
	// converted sheet must give the same configuration.
	data, err := templates.FS.ReadFile(templates.PGREXEnvCSV)
	if err != nil {
		t.Fatal(err)
	}
	sjis, err := japanese.ShiftJIS.NewEncoder().Bytes(data)
	if err != nil {
		t.Fatalf("template is not representable in CP932: %v", err)
	}
	if res := crmgen.Generate("env-sjis.csv", sjis, crmgen.Options{}); string(res.Output) != plain {
		t.Errorf("CP932 copy of the template generates differently (status %d)", res.Status)
	}
	for _, want := range []string{
		"primitive pgsql ocf:pgrex:pgsql \\\n",
		"\t\trep_mode=\"sync\" \\\n",
		"\t\tstop_on_demote=\"yes\" \\\n",
		"clone msPostgresql \\\n\tpgsql \\\n\tmeta \\\n\t\tpromotable=\"true\"",
		"group master-group \\\n\tvip-master \\\n\tvip-rep\n",
		"op monitor role=\"Promoted\" interval=\"9s\" timeout=\"60s\" on-fail=\"restart\"",
		"colocation rsc_colocation-master-group-msPostgresql-3 INFINITY: master-group msPostgresql:Promoted\n",
		"order rsc_order-msPostgresql-master-group-3 INFINITY: msPostgresql:promote master-group:start symmetrical=false\n",
		"fencing_topology \\\n\tpgrex01: prmStonith1 \\\n\tpgrex02: prmStonith2\n",
	} {
		if !strings.Contains(plain, want) {
			t.Errorf("generated configuration lacks %q", want)
		}
	}
}

// TestTemplateLoadsIntoCrmsh loads the generated configuration into an
// empty CIB file with crmsh and checks the result with crm_verify, as an
// administrator would before `crm configure load` on a live cluster. It
// needs Debian's crmsh and pacemaker-cli-utils and fails when they are
// missing, so a broken machine is not mistaken for a passing test.
func TestTemplateLoadsIntoCrmsh(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the template with crmsh; not run with -short")
	}
	tools := map[string]string{"crm": "crmsh", "cibadmin": "pacemaker-cli-utils", "crm_verify": "pacemaker-cli-utils"}
	paths := map[string]string{}
	for tool, pkg := range tools {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Fatalf("%s not found: install the Debian package %s (make setup does): %v", tool, pkg, err)
		}
		paths[tool] = p
	}
	dir := t.TempDir()
	crmFile := filepath.Join(dir, "pgrex.crm")
	if err := os.WriteFile(crmFile, renderTemplate(t, crmgen.Options{}), 0o644); err != nil {
		t.Fatal(err)
	}
	cib := filepath.Join(dir, "cib.xml")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	run := func(name string, args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, paths[name], args...)
		// CIB_file makes every Pacemaker tool and crmsh work on the file
		// instead of a running cluster; HOME keeps crmsh's history and
		// cache out of the real home directory.
		cmd.Env = append(os.Environ(), "CIB_file="+cib, "HOME="+dir, "LC_ALL=C.UTF-8")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	empty, err := exec.CommandContext(ctx, paths["cibadmin"], "--empty").Output()
	if err != nil {
		t.Fatalf("cibadmin --empty: %v", err)
	}
	if err := os.WriteFile(cib, empty, 0o600); err != nil {
		t.Fatal(err)
	}
	// -F: the pgrex agent is not installed where the tests run, so crmsh
	// cannot read its meta-data and would refuse the commit otherwise.
	out, err := run("crm", "-F", "configure", "load", "update", crmFile)
	if err != nil {
		t.Fatalf("crm configure load update: %v\n%s", err, out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "ERROR") && !strings.Contains(line, "ocf:pgrex:pgsql") {
			t.Errorf("crmsh reported: %s", line)
		}
	}
	if out, err := run("crm_verify", "--xml-file", cib); err != nil {
		t.Fatalf("crm_verify: %v\n%s", err, out)
	}

	// The CIB must hold everything the sheet describes.
	data, err := os.ReadFile(cib)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	dec := xml.NewDecoder(strings.NewReader(string(data)))
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		if se, ok := tok.(xml.StartElement); ok {
			counts[se.Name.Local]++
		}
	}
	want := map[string]int{"primitive": 8, "group": 1, "clone": 3, "rsc_location": 4, "rsc_colocation": 3, "rsc_order": 4, "fencing-level": 2}
	for elem, n := range want {
		if counts[elem] != n {
			t.Errorf("CIB has %d <%s>, want %d", counts[elem], elem, n)
		}
	}
}

// The exporter's unit runs the installed binary's subcommand as an
// unprivileged user and starts at boot.
func TestExporterUnit(t *testing.T) {
	data, err := templates.FS.ReadFile(templates.ExporterUnit)
	if err != nil {
		t.Fatalf("read embedded unit: %v", err)
	}
	unit := string(data)
	for _, want := range []string{"[Unit]\n", "[Service]\n", "[Install]\n", "\nExecStart=/usr/bin/pgrex exporter $PGREX_EXPORTER_ARGS\n",
		"\nUser=postgres\n", "\nSupplementaryGroups=haclient\n", "\nWantedBy=multi-user.target\n"} {
		if !strings.Contains(unit, want) {
			t.Errorf("unit lacks %q", want)
		}
	}
	if strings.Contains(unit, "User=root") {
		t.Error("the exporter must not run as root")
	}
}
