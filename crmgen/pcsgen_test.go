// SPDX-License-Identifier: Apache-2.0

package crmgen

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPcsSheetGolden: the PG-REX 17 pm_pcsgen sheet (CP932, as Excel saves
// it) is detected as a pcs sheet and gives the CIB in testdata, which
// Pacemaker's crm_verify accepts.
func TestPcsSheetGolden(t *testing.T) {
	in := filepath.Join("testdata", "pcs", "PG-REX17-pm_pcsgen_sample.cp932.csv")
	data, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	res := Generate(in, data, Options{})
	for _, d := range res.Diags {
		if d.Level <= LevelWarn {
			t.Errorf("unexpected message: %s", d)
		}
	}
	if res.Status != StatusOK {
		t.Fatalf("status %d, want %d", res.Status, StatusOK)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "pcs", "PG-REX17-pm_pcsgen_sample.expected.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(res.Output, want) {
		t.Errorf("CIB differs from the golden file:\n%s", res.Output)
	}
	if _, err := exec.LookPath("crm_verify"); err != nil {
		t.Skip("crm_verify not installed (make test installs pacemaker-cli-utils)")
	}
	f := filepath.Join(t.TempDir(), "cib.xml")
	if err := os.WriteFile(f, res.Output, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("crm_verify", "--xml-file", f).CombinedOutput(); err != nil {
		t.Errorf("crm_verify rejects the CIB: %v\n%s", err, out)
	}
}

// pcsHead is the start of every pcs sheet below: the comment that names
// the generator, and two resources for constraints to refer to.
const pcsHead = "# pm_pcsgen format 1.1\n" +
	",RESOURCES\n,,resourceItem,resourceItem,id\n,,Promotable,,pg-clone\n,,,Primitive,pg\n,,Primitive,,vip\n" +
	",PRIMITIVE\n,P,id,class,provider,type\n,,pg,ocf,pgrex,pgsql\n" +
	",PRIMITIVE\n,P,id,class,provider,type\n,,vip,ocf,heartbeat,IPaddr2\n"

// TestPcsSheetRows: the status and the message (file, row, column, what
// was expected) of good and bad rows of every table kind.
func TestPcsSheetRows(t *testing.T) {
	for _, tt := range []struct {
		name, csv string
		status    int
		msg       string // a part of the first error or warning; "" = none
		xml       string // a part of the CIB when one is written
	}{
		{"minimal", pcsHead, StatusOK, "", `<clone id="pg-clone">`},
		{"promotable meta first", pcsHead + ",RSC_ATTRIBUTES\n,,id,name,value\n,,pg-clone,promoted-max,1\n", StatusOK, "",
			`<nvpair id="pg-clone-meta_attributes-promotable" name="promotable" value="true"/>`},
		{"unknown table", pcsHead + ",LOCATION\n", StatusError, "s.csv(L13): column B: unknown table \"LOCATION\"", ""},
		{"resource without table", "# pm_pcsgen\n,RESOURCES\n,,resourceItem,id\n,,Primitive,lonely\n", StatusError,
			"s.csv(L4): RESOURCES: primitive \"lonely\" has no PRIMITIVE table", ""},
		{"bad kind", "# pm_pcsgen\n,RESOURCES\n,,resourceItem,id\n,,Master,ms\n", StatusError,
			"s.csv(L4): column C (resourceItem): \"Master\": expected one of primitive, stonith, group, clone, promotable", ""},
		{"group in group", "# pm_pcsgen\n,RESOURCES\n,,resourceItem,resourceItem,id\n,,Group,,g1\n,,,Group,g2\n", StatusError,
			"s.csv(L5): column D (resourceItem): a group cannot be inside group \"g1\"", ""},
		{"duplicate id", pcsHead + ",RESOURCES\n,,resourceItem,id\n,,Primitive,vip\n", StatusError,
			"s.csv(L15): column D (id): \"vip\" is already a resource in row 6", ""},
		{"missing column", pcsHead + ",COLOCATION\n,,rsc,with-rsc,score,rsc-role\n", StatusError,
			"s.csv(L14): COLOCATION header: no \"with-rsc-role\" column", ""},
		{"bad score", pcsHead + ",COLOCATION\n,,rsc,with-rsc,score,rsc-role,with-rsc-role\n,,vip,pg-clone,always,,Master\n", StatusError,
			"s.csv(L15): column E (score): \"always\": expected an integer or [+-]INFINITY", ""},
		{"legacy role read as Promoted", pcsHead + ",COLOCATION\n,,rsc,with-rsc,score,rsc-role,with-rsc-role\n,,vip,pg-clone,inf,,Master\n",
			StatusOK, "", `with-rsc-role="Promoted" score="INFINITY"`},
		{"unknown resource in a constraint", pcsHead + ",ORDER\n,,first-rsc,then-rsc,kind,first-action,then-action,symmetrical\n,,pg-clone,nope,,,,\n",
			StatusError, "s.csv(L15): column D (then-rsc): \"nope\" is not a resource of the RESOURCES table", ""},
		{"order kind and action", pcsHead + ",ORDER\n,,first-rsc,then-rsc,kind,first-action,then-action,symmetrical\n,,pg-clone,vip,optional,promote,start,no\n",
			StatusOK, "", `id="order-pg-clone-vip-Optional" first="pg-clone" first-action="promote" then="vip" then-action="start" kind="Optional" symmetrical="false"`},
		{"bad action", pcsHead + ",ORDER\n,,first-rsc,then-rsc,kind,first-action,then-action,symmetrical\n,,pg-clone,vip,,migrate,,\n",
			StatusError, "column F (first-action): \"migrate\": expected start, promote, demote, stop", ""},
		{"rule: second expression needs bool_op", pcsHead + ",LOCATION_RULE\n,,rsc,score,bool_op,attribute,op,value,role\n,,vip,100,,a,eq,1,\n,,,,,b,eq,2,\n",
			StatusError, "s.csv(L16): LOCATION_RULE: a second expression in the rule of row 15, which has no bool_op", ""},
		{"rule: role on the constraint", pcsHead + ",LOCATION_RULE\n,,rsc,score,bool_op,attribute,op,value,role\n,,pg-clone,-inf,or,ping,lt,1,master\n,,,,,ping,not_defined,,\n",
			StatusOK, "", `<rsc_location id="location-pg-clone" rsc="pg-clone" role="Promoted">`},
		{"rule: bad operator", pcsHead + ",LOCATION_RULE\n,,rsc,score,bool_op,attribute,op,value,role\n,,vip,100,,a,equals,1,\n",
			StatusError, "column G (op): \"equals\": expected lt, gt, lte, gte, eq, ne, defined, not_defined", ""},
		{"avoids negates the score", pcsHead + ",LOCATION_NODE\n,,rsc,prefers/avoids,node,score\n,,vip,avoids,node1,200\n",
			StatusOK, "", `<rsc_location id="location-vip-node1--200" rsc="vip" node="node1" score="-200"/>`},
		{"stonith level needs a stonith resource", pcsHead + ",STONITH_LEVEL\n,,node,id,level\n,,node1,vip,1\n",
			StatusError, "s.csv(L15): column D (id): \"vip\" is not a stonith resource of the RESOURCES table", ""},
		{"node attributes are a warning", pcsHead + ",NODE\n,,uname,type,name,value\n,,node1,attribute,standby,on\n",
			StatusWarning, "s.csv(L15): NODE node1: node attributes are not in the CIB", `<nodes/>`},
		{"additional config is a warning", pcsHead + ",ADDITIONAL_CONFIG\n,,config\n,,pcs resource op defaults update timeout=60s\n",
			StatusWarning, "ADDITIONAL_CONFIG: not in the CIB: run it against the written file (pcs -f FILE ...): pcs resource op defaults", "<resources>"},
		{"unknown column is a warning", pcsHead + ",PROPERTY\n,,name,value,remark\n,,priority-fencing-delay,10s,x\n",
			StatusWarning, "s.csv(L14): column E: unknown column \"remark\" in PROPERTY", `cib-bootstrap-options-priority-fencing-delay`},
		{"A before P", pcsHead + ",PRIMITIVE\n,A,type,name,value\n", StatusError, "column B: sub-table \"A\" of PRIMITIVE before its P sub-table", ""},
		{"unknown format refused", pcsHead, StatusError, "--format yaml: expected one of crm, cib, pcs", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{}
			if tt.name == "unknown format refused" {
				opts.Format = "yaml"
			}
			res := Generate("dir/s.csv", []byte(tt.csv), opts)
			if res.Status != tt.status {
				t.Errorf("status %d, want %d; messages: %v", res.Status, tt.status, res.Diags)
			}
			var first string
			for _, d := range res.Diags {
				if d.Level <= LevelWarn {
					first = d.String()
					break
				}
			}
			if tt.msg == "" && first != "" || !strings.Contains(first, tt.msg) {
				t.Errorf("first message %q, want one containing %q", first, tt.msg)
			}
			if tt.status == StatusError && res.Output != nil {
				t.Errorf("output written despite an error")
			}
			if tt.xml != "" && !strings.Contains(string(res.Output), tt.xml) {
				t.Errorf("CIB lacks %q:\n%s", tt.xml, res.Output)
			}
		})
	}
}

// TestIsPcsSheet: the generator named in a leading comment decides, else a
// table only pm_pcsgen has.
func TestIsPcsSheet(t *testing.T) {
	for _, tt := range []struct {
		csv  string
		want bool
	}{
		{"# pm_pcsgen 環境定義書 フォーマットバージョン: 1.1\n,PROPERTY\n", true},
		{"# pm_crmgen 環境定義書 ファイル形式バージョン: 2.2\n,PROPERTY\n", false},
		{",PROPERTY\n,,name,value\n", false},
		{",PROPERTY\n,,name,value\n,STONITH_LEVEL\n", true},
		{",PROPERTY\n# pm_pcsgen, but after the first table\n", false},
	} {
		recs, _ := ReadRecords(tt.csv)
		if got := isPcsSheet(recs); got != tt.want {
			t.Errorf("isPcsSheet(%q) = %v, want %v", tt.csv, got, tt.want)
		}
	}
}

func TestPcsScoreAndIDs(t *testing.T) {
	for in, want := range map[string]string{"inf": "INFINITY", "-Infinity": "-INFINITY", "+inf": "+INFINITY", "100": "100", "-5": "-5", "--inf": "", "x": ""} {
		if got, _ := pcsScore(in); got != want {
			t.Errorf("pcsScore(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"location-a-{{ n[0] }}-INFINITY": "location-a-n0-INFINITY", "1abc": "abc", "a:b/c": "abc", "-x": "x"} {
		if got := sanitizeID(in); got != want {
			t.Errorf("sanitizeID(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"INFINITY": "-INFINITY", "-INFINITY": "INFINITY", "+INFINITY": "-INFINITY", "200": "-200"} {
		if got := negateScore(in); got != want {
			t.Errorf("negateScore(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzPcsSheet: whatever a pcs sheet holds, no panic; an error means no
// output, and output is well-formed enough to start with the XML header.
func FuzzPcsSheet(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "pcs", "PG-REX17-pm_pcsgen_sample.cp932.csv")); err == nil {
		f.Add(b)
	}
	f.Add([]byte(pcsHead + ",LOCATION_RULE\n,,rsc,score,bool_op,attribute,op,value,role\n,,vip,100,and,a,eq,1,\n,,,,,b,defined,,\n"))
	f.Add([]byte(pcsHead + ",ALERT\n,P,path\n,,/x.sh\n,A,type,name,value\n,,meta,timeout,5s\n,R,recipient\n,,/tmp/a\n,A,type,name,value\n,,options,x,y\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res := Generate("f.csv", append([]byte("# pm_pcsgen\n"), data...), Options{})
		if res.Status == StatusError && res.Output != nil {
			t.Fatal("output despite an error")
		}
		if res.Output != nil && !bytes.HasPrefix(res.Output, []byte("<?xml")) {
			t.Fatalf("output is not XML: %q", res.Output)
		}
		// The same sheet as a pcs script fails exactly when the CIB does
		// (only the CIB warns about node attributes and extra commands).
		sh := Generate("f.csv", append([]byte("# pm_pcsgen\n"), data...), Options{Format: FormatPcs})
		if (sh.Status == StatusError) != (res.Status == StatusError) {
			t.Fatalf("status %d as a script, %d as a CIB", sh.Status, res.Status)
		}
		if sh.Output != nil && !bytes.HasPrefix(sh.Output, []byte("#!/bin/sh\n")) {
			t.Fatalf("script without its shebang: %q", sh.Output)
		}
	})
}
