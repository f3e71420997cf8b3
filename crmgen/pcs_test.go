// SPDX-License-Identifier: Apache-2.0

package crmgen

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pcsFixtures are the pcs sheets whose script and CIB are compared.
var pcsFixtures = []string{"PG-REX17-pm_pcsgen_sample.cp932.csv", "every-table.csv"}

// TestPcsScriptGolden pins the script of every fixture sheet, for pcs 0.11
// and 0.12.
func TestPcsScriptGolden(t *testing.T) {
	for _, name := range pcsFixtures {
		for _, version := range PcsVersions {
			t.Run(name+"/"+version, func(t *testing.T) {
				data, err := os.ReadFile(filepath.Join("testdata", "pcs", name))
				require.NoError(t, err)
				res := Generate(name, data, Options{Format: FormatPcs, PcsVersion: version})
				require.Equal(t, StatusOK, res.Status, "%v", res.Diags)
				require.True(t, res.Script)
				golden := filepath.Join("testdata", "pcs", strings.TrimSuffix(strings.TrimSuffix(name, ".csv"), ".cp932")+".pcs"+version+".sh")
				if os.Getenv("UPDATE_GOLDEN") != "" {
					require.NoError(t, os.WriteFile(golden, res.Output, 0o644))
				}
				want, err := os.ReadFile(golden)
				require.NoError(t, err, "golden file (UPDATE_GOLDEN=1 writes it)")
				assert.Equal(t, string(want), string(res.Output))
			})
		}
	}
}

// TestPcsScriptMatchesCIB is the proof that the two outputs of a pcs sheet
// say the same: the script, run by sh with Debian's pcs against a CIB file
// (pcs -f; no pcsd, no cluster), leaves a CIB with the same resources,
// parameters, operations, meta attributes, constraints, levels and alerts as
// --format cib, and crm_verify accepts both. pcs adds the operations the
// agent's metadata declares and the sheet does not list (it is run without
// --no-default-ops, as pm_pcsgen's scripts are); those are the only
// difference allowed.
func TestPcsScriptMatchesCIB(t *testing.T) {
	pcsPath, err := exec.LookPath("pcs")
	if err != nil {
		t.Skip("pcs not installed (make test installs it)")
	}
	if testing.Short() {
		t.Skip("runs pcs about 60 times (-short)")
	}
	for _, name := range pcsFixtures {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "pcs", name))
			require.NoError(t, err)
			cib := Generate(name, data, Options{Format: FormatCIB})
			require.NotEqual(t, StatusError, cib.Status, "%v", cib.Diags)
			script := Generate(name, data, Options{Format: FormatPcs})
			require.Equal(t, StatusOK, script.Status, "%v", script.Diags)

			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			dir := t.TempDir()
			text := string(script.Output)
			// The sample names the PG-REX agent ocf:linuxhajp:pgsql; pgrex is
			// its drop-in with the same parameters, so pcs checks them
			// against pgrex's metadata when only pgrex is installed.
			const upstream, dropIn = "ocf:linuxhajp:pgsql", "ocf:pgrex:pgsql"
			mapped := false
			if strings.Contains(text, upstream) && !exists("/usr/lib/ocf/resource.d/linuxhajp/pgsql") {
				require.True(t, exists("/usr/lib/ocf/resource.d/pgrex/pgsql"), "pcs needs an agent's metadata: run make install")
				text, mapped = strings.ReplaceAll(text, upstream, dropIn), true
			}
			sh := filepath.Join(dir, "conf.sh")
			require.NoError(t, os.WriteFile(sh, []byte(text), 0o744))
			base := filepath.Join(dir, "live.xml")
			require.NoError(t, os.WriteFile(base, liveCIB(t, ctx, sheetNodes(data, name)), 0o644))
			// The one call that needs a running cluster, `pcs cluster cib
			// FILE`, is answered with a CIB holding the sheet's nodes; every
			// other call goes to the real pcs.
			bin := filepath.Join(dir, "bin")
			require.NoError(t, os.Mkdir(bin, 0o755))
			wrapper := "#!/bin/sh\nif [ \"$1\" = cluster ] && [ \"$2\" = cib ]; then exec cp \"" + base + "\" \"$3\"; fi\nexec " + pcsPath + " \"$@\"\n"
			require.NoError(t, os.WriteFile(filepath.Join(bin, "pcs"), []byte(wrapper), 0o755))

			cmd := exec.CommandContext(ctx, "sh", "-e", sh)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "LC_ALL=C")
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "the pcs script failed:\n%s", out)

			got, err := os.ReadFile(filepath.Join(dir, "conf.xml"))
			require.NoError(t, err)
			if mapped {
				got = []byte(strings.ReplaceAll(string(got), `provider="pgrex"`, `provider="linuxhajp"`))
			}
			want := cibFacts(t, cib.Output)
			have := cibFacts(t, got)
			// What only the script can do: node attributes of the live
			// cluster's nodes, and the sheet's own pcs commands.
			var scriptOnly []string
			if name == "every-table.csv" {
				scriptOnly = []string{"node node1 attribute rack=r1", "node node1 utilization cpu=4",
					"node node2 attribute rack=r2", "node node2 utilization cpu=8", "op_defaults timeout=90s"}
			}
			compareFacts(t, want, have, scriptOnly, func(f string) bool { return pcsDefaultOp(f, want) }, "the pcs script")

			for _, x := range []struct {
				name string
				doc  []byte
			}{{"cib", cib.Output}, {"pcs", withoutNodes(t, got)}} {
				f := filepath.Join(dir, "verify-"+x.name+".xml")
				require.NoError(t, os.WriteFile(f, x.doc, 0o644))
				if out, err := exec.CommandContext(ctx, "crm_verify", "-V", "--xml-file", f).CombinedOutput(); err != nil {
					t.Errorf("crm_verify rejects the %s CIB: %v\n%s", x.name, err, out)
				}
			}
		})
	}
}

// compareFacts asserts that two CIBs say the same: have (the CIB a tool
// made) holds every fact of want (--format cib) and nothing more, apart
// from the facts only the tool can make (only, which must be there) and
// those allowed says it may add.
func compareFacts(t *testing.T, want, have, only []string, allowed func(string) bool, tool string) {
	t.Helper()
	for _, f := range only {
		assert.Contains(t, have, f)
	}
	have = slices.DeleteFunc(have, func(f string) bool { return slices.Contains(only, f) })
	var missing, extra []string
	for _, f := range want {
		if !slices.Contains(have, f) {
			missing = append(missing, f)
		}
	}
	for _, f := range have {
		if !slices.Contains(want, f) && (allowed == nil || !allowed(f)) {
			extra = append(extra, f)
		}
	}
	assert.Empty(t, missing, "in --format cib, not in the CIB %s made", tool)
	assert.Empty(t, extra, "in the CIB %s made, not in --format cib", tool)
}

// pcsDefaultOp says whether a fact is an operation pcs took from the agent's
// metadata: an operation whose action the sheet does not list for that
// resource.
func pcsDefaultOp(fact string, sheet []string) bool {
	w := strings.Fields(fact)
	if len(w) < 3 || w[0] != "op" {
		return false
	}
	prefix := "op " + w[1] + " " + strings.SplitN(w[2], "/", 2)[0] + "/"
	return !slices.ContainsFunc(sheet, func(f string) bool { return strings.HasPrefix(f, prefix) })
}

// cibFacts flattens a CIB's configuration into sorted one-line facts that
// ignore ids, element order and the defaults pcs writes out (an order's
// start actions, Mandatory kind, symmetrical=true).
func cibFacts(t *testing.T, doc []byte) []string {
	t.Helper()
	d := etree.NewDocument()
	require.NoError(t, d.ReadFromBytes(doc))
	conf := d.FindElement("/cib/configuration")
	require.NotNil(t, conf)
	var facts []string
	add := func(f string) { facts = append(facts, f) }
	pairs := func(prefix string, set *etree.Element) {
		if set == nil {
			return
		}
		for _, p := range set.SelectElements("nvpair") {
			add(prefix + " " + p.SelectAttrValue("name", "") + "=" + p.SelectAttrValue("value", ""))
		}
	}
	for _, set := range conf.FindElements("crm_config/cluster_property_set") {
		for _, p := range set.SelectElements("nvpair") {
			// pcs and Pacemaker add these to a live CIB by themselves.
			if n := p.SelectAttrValue("name", ""); n != "have-watchdog" && n != "dc-version" && n != "cluster-infrastructure" && n != "cluster-name" {
				add("property " + n + "=" + p.SelectAttrValue("value", ""))
			}
		}
	}
	for _, n := range conf.FindElements("nodes/node") {
		u := n.SelectAttrValue("uname", "")
		pairs("node "+u+" attribute", n.SelectElement("instance_attributes"))
		pairs("node "+u+" utilization", n.SelectElement("utilization"))
	}
	pairs("rsc_defaults", conf.FindElement("rsc_defaults/meta_attributes"))
	pairs("op_defaults", conf.FindElement("op_defaults/meta_attributes"))
	var walk func(parent string, el *etree.Element)
	walk = func(parent string, el *etree.Element) {
		for _, c := range el.ChildElements() {
			id := c.SelectAttrValue("id", "")
			switch c.Tag {
			case "primitive":
				add("resource " + id + " primitive " + c.SelectAttrValue("class", "") + ":" + c.SelectAttrValue("provider", "") + ":" + c.SelectAttrValue("type", "") + " in " + parent)
				pairs("resource "+id+" option", c.SelectElement("instance_attributes"))
				pairs("resource "+id+" meta", c.SelectElement("meta_attributes"))
				pairs("resource "+id+" utilization", c.SelectElement("utilization"))
				for _, op := range c.FindElements("operations/op") {
					key := "op " + id + " " + op.SelectAttrValue("name", "") + "/" + op.SelectAttrValue("interval", "") + "/" + newRole(op.SelectAttrValue("role", ""))
					var attrs []string
					for _, a := range op.Attr {
						if a.Key != "id" && a.Key != "name" && a.Key != "interval" && a.Key != "role" {
							attrs = append(attrs, a.Key+"="+a.Value)
						}
					}
					slices.Sort(attrs)
					add(key + " " + strings.Join(attrs, ","))
				}
			case "group", "clone":
				add("resource " + id + " " + c.Tag + " in " + parent)
				pairs("resource "+id+" meta", c.SelectElement("meta_attributes"))
				walk(id, c)
			case "master":
				// The legacy spelling of a promotable clone.
				add("resource " + id + " clone in " + parent)
				add("resource " + id + " meta promotable=true")
				if set := c.SelectElement("meta_attributes"); set != nil {
					for _, p := range set.SelectElements("nvpair") {
						name := strings.NewReplacer("master-max", "promoted-max", "master-node-max", "promoted-node-max").Replace(p.SelectAttrValue("name", ""))
						add("resource " + id + " meta " + name + "=" + p.SelectAttrValue("value", ""))
					}
				}
				walk(id, c)
			}
		}
	}
	walk("-", conf.SelectElement("resources"))
	for _, c := range conf.FindElements("constraints/*") {
		a := func(name, def string) string { return c.SelectAttrValue(name, def) }
		switch c.Tag {
		case "rsc_location":
			rules := c.SelectElements("rule")
			if len(rules) == 0 {
				add("location " + a("rsc", "") + " node=" + a("node", "") + " score=" + a("score", ""))
			}
			// Each top-level rule on its own: Pacemaker 2.1 reads them all;
			// whether they share a constraint is what --target crmsh5
			// changes.
			for _, r := range rules {
				role := newRole(a("role", r.SelectAttrValue("role", "")))
				// "#uname eq N" alone is how crm says "on node N".
				if ex := r.SelectElements("expression"); role == "" && len(ex) == 1 &&
					ex[0].SelectAttrValue("attribute", "") == "#uname" && ex[0].SelectAttrValue("operation", "") == "eq" {
					add("location " + a("rsc", "") + " node=" + ex[0].SelectAttrValue("value", "") + " score=" + r.SelectAttrValue("score", ""))
					continue
				}
				var exprs []string
				for _, e := range r.SelectElements("expression") {
					exprs = append(exprs, e.SelectAttrValue("attribute", "")+" "+e.SelectAttrValue("operation", "")+" "+e.SelectAttrValue("value", ""))
				}
				add("location " + a("rsc", "") + " rule role=" + role + " score=" + r.SelectAttrValue("score", "") + " " + r.SelectAttrValue("boolean-op", "and") + ": " + strings.Join(exprs, "; "))
			}
		case "rsc_colocation":
			add("colocation " + newRole(a("rsc-role", "Started")) + " " + a("rsc", "") + " with " + newRole(a("with-rsc-role", "Started")) + " " + a("with-rsc", "") + " score=" + a("score", ""))
		case "rsc_order":
			add("order " + a("first-action", "start") + " " + a("first", "") + " then " + a("then-action", "start") + " " + a("then", "") +
				" kind=" + a("kind", "Mandatory") + " score=" + a("score", "") + " symmetrical=" + a("symmetrical", "true"))
		case "rsc_ticket":
			add("ticket " + a("ticket", "") + " " + a("rsc", "") + " role=" + newRole(a("rsc-role", "")) + " loss-policy=" + a("loss-policy", ""))
		}
	}
	for _, l := range conf.FindElements("fencing-topology/fencing-level") {
		add("level " + l.SelectAttrValue("target", "") + " " + l.SelectAttrValue("index", "") + " " + l.SelectAttrValue("devices", ""))
	}
	for _, al := range conf.FindElements("alerts/alert") {
		path := al.SelectAttrValue("path", "")
		pairs("alert "+path+" option", al.SelectElement("instance_attributes"))
		pairs("alert "+path+" meta", al.SelectElement("meta_attributes"))
		add("alert " + path)
		for _, r := range al.SelectElements("recipient") {
			v := r.SelectAttrValue("value", "")
			add("alert " + path + " recipient " + v)
			pairs("alert "+path+" recipient "+v+" option", r.SelectElement("instance_attributes"))
			pairs("alert "+path+" recipient "+v+" meta", r.SelectElement("meta_attributes"))
		}
	}
	slices.Sort(facts)
	return facts
}

// liveCIB stands for the running cluster's CIB that `pcs cluster cib`
// returns: Pacemaker's own empty CIB (cibadmin --empty) with the nodes.
func liveCIB(t *testing.T, ctx context.Context, nodes []string) []byte {
	t.Helper()
	cmd := exec.CommandContext(ctx, "cibadmin", "--empty")
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	empty, err := cmd.Output()
	require.NoError(t, err, "cibadmin --empty")
	d := etree.NewDocument()
	require.NoError(t, d.ReadFromBytes(empty))
	ns := d.FindElement("/cib/configuration/nodes")
	require.NotNil(t, ns)
	for i, n := range nodes {
		el := ns.CreateElement("node")
		el.CreateAttr("id", strconv.Itoa(i+1))
		el.CreateAttr("uname", n)
	}
	out, err := d.WriteToBytes()
	require.NoError(t, err)
	return out
}

// withoutNodes drops the nodes the stand-in live CIB brought: without a
// status section crm_verify would call them unclean, which says nothing
// about the configuration.
func withoutNodes(t *testing.T, doc []byte) []byte {
	t.Helper()
	d := etree.NewDocument()
	require.NoError(t, d.ReadFromBytes(doc))
	ns := d.FindElement("/cib/configuration/nodes")
	require.NotNil(t, ns)
	for _, c := range ns.ChildElements() {
		ns.RemoveChild(c)
	}
	out, err := d.WriteToBytes()
	require.NoError(t, err)
	return out
}

// sheetNodes are the unames of the sheet's NODE table.
func sheetNodes(data []byte, name string) []string {
	text, _, _ := Decode(data)
	recs, _ := ReadRecords(text)
	d := &diags{file: name}
	var out []string
	for _, n := range readPcsSheet(recs, d).nodes {
		out = append(out, n.uname)
	}
	return out
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func TestPcsScriptOptions(t *testing.T) {
	sheet := []byte("# pm_pcsgen\n,PROPERTY\n,,name,value\n,,priority-fencing-delay,10s\n")
	res := Generate("s.csv", sheet, Options{Format: FormatPcs, PcsVersion: "0.10"})
	require.Equal(t, StatusError, res.Status)
	assert.Nil(t, res.Output)
	assert.Contains(t, firstError(res), "--pcs-version 0.10: expected one of 0.11, 0.12")

	crm := []byte(",PROPERTY\n,,name,value\n,,no-quorum-policy,ignore\n")
	res = Generate("c.csv", crm, Options{Format: FormatPcs})
	require.Equal(t, StatusError, res.Status)
	assert.Contains(t, firstError(res), "--format pcs: a pm_crmgen sheet gives crm output only")

	res = Generate("s.csv", sheet, Options{Format: FormatPcs})
	require.Equal(t, StatusOK, res.Status)
	assert.True(t, res.Script)
	assert.Contains(t, string(res.Output), "pcs -f \"${xmlfile}\" property set priority-fencing-delay=10s\n")
}

func TestShellWord(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"ocf:heartbeat:IPaddr2", "ocf:heartbeat:IPaddr2"},
		{"timeout=60s", "timeout=60s"},
		{"", `""`},
		{"a b", `"a b"`},
		{"#uname", `"#uname"`},
		{"$now$", `"\$now\$"`},
		{`say "hi"`, `"say \"hi\""`},
		{"back`tick`\\", "\"back\\`tick\\`\\\\\""},
		{"it's", `"it's"`},
	} {
		assert.Equal(t, tt.want, shellWord(tt.in), "shellWord(%q)", tt.in)
	}
	assert.Equal(t, `'a '\''b'\'''`, singleQuoted("a 'b'"))
}

func firstError(res *Result) string {
	for _, d := range res.Diags {
		if d.Level == LevelError {
			return d.Msg
		}
	}
	return ""
}
