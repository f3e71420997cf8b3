// SPDX-License-Identifier: Apache-2.0

package procedure

import (
	"testing"

	"github.com/pgrex/pgrex/ra/pg"
	"github.com/pgrex/pgrex/test/fixtures"
)

// TestControlData: what the procedures read from a real pg_controldata
// through the one parser (ra/pg, where its edge cases are tested).
func TestControlData(t *testing.T) {
	c, err := pg.ParseControlData(fixture(t, "controldata-pg15-shutdown.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if c.SystemID != "7710870832293168801" || c.State != "shut down" || c.TLI != 1 ||
		c.CheckpointLSN != mustLSN(t, "0/1500718") || c.RedoLSN != mustLSN(t, "0/1500718") ||
		c.WALLogHints || c.DataChecksums != 0 || c.SegSize != 16<<20 || !c.CleanlyShutDown() || c.InProduction() {
		t.Errorf("%+v", c)
	}
	for _, bad := range []string{"", "Database cluster state: shut down\n",
		"Database system identifier: 1\nDatabase cluster state: shut down\nLatest checkpoint location: 0/1\nLatest checkpoint's REDO location: 0/1\nLatest checkpoint's TimeLineID: 0\n",
		"Database system identifier: 1\nDatabase cluster state: shut down\nLatest checkpoint location: zz\n"} {
		if _, err := pg.ParseControlData([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestParseWALEnd(t *testing.T) {
	w := ParseWALEnd(fixture(t, "waldump-end.txt"), 16<<20)
	if !w.Known || w.LastRecord != mustLSN(t, "0/1500718") || w.Bound != 0 {
		t.Errorf("%+v", w)
	}
	if !w.Before(mustLSN(t, "0/1500790")) || w.Before(mustLSN(t, "0/1500718")) {
		t.Error("Before: the last record starts at 0/1500718")
	}
	w = ParseWALEnd(fixture(t, "waldump-missing.txt"), 16<<20)
	if !w.Known || w.Bound != mustLSN(t, "0/2000000") {
		t.Errorf("%+v", w)
	}
	if !w.Before(mustLSN(t, "0/2000000")) || w.Before(mustLSN(t, "0/1FFFFFF")) {
		t.Error("Before with a segment bound")
	}
	if w := ParseWALEnd([]byte("pg_waldump: error: could not open file: Permission denied"), 16<<20); w.Known || w.Before(1<<40) {
		t.Errorf("unknown end taken for known: %+v", w)
	}
}

func TestParsePrimaryFacts(t *testing.T) {
	f, err := ParsePrimaryFacts([]byte("150018|f|7710870832293168801|000000030000000000000005|0/5000060|on|5432|16777216\n"))
	if err != nil {
		t.Fatal(err)
	}
	if f.VersionNum != 150018 || f.InRecovery || f.SystemID != "7710870832293168801" || f.TLI != 3 ||
		f.CurrentLSN != mustLSN(t, "0/5000060") || !f.FullPageWrites || f.Port != "5432" || f.SegSize != 16<<20 {
		t.Errorf("%+v", f)
	}
	f, err = ParsePrimaryFacts([]byte("150018|t|77|||on|5432|16777216"))
	if err != nil || !f.InRecovery || f.TLI != 0 {
		t.Errorf("standby: %+v %v", f, err)
	}
	for _, bad := range []string{"", "150018|f|77", "x|f|77|000000030000000000000005|0/5|on|5432|16777216",
		"150018|f|77|nope|0/5|on|5432|16777216", "150018|f|77|000000030000000000000005|0/5|on|5432|0"} {
		if _, err := ParsePrimaryFacts([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestParseFind(t *testing.T) {
	out := "/arch\t16777216\t000000010000000000000001\n/arch\t41\t00000002.history\n/data/pg_wal\t16777216\t000000020000000000000003\n"
	ls, err := ParseFind([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(ls["/arch"]) != 2 || ls["/arch"]["00000002.history"] != 41 || ls["/data/pg_wal"]["000000020000000000000003"] != 16<<20 {
		t.Errorf("%v", ls)
	}
	if _, err := ParseFind([]byte("/arch 12 x\n")); err == nil {
		t.Error("accepted a line without tabs")
	}
}

func TestForeverAttrs(t *testing.T) {
	attrs, err := ForeverAttrs(fixtures.Read(t, "healthy-cib.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if attrs["node1"]["pgsql-data-status"] != "LATEST" || attrs["node2"]["pgsql-data-status"] != "STREAMING|SYNC" {
		t.Errorf("%v", attrs)
	}
	scoped := `<nodes><node id="1" uname="node1"><instance_attributes id="x"><nvpair id="a" name="pgsql-data-status" value="DISCONNECT"/></instance_attributes></node></nodes>`
	attrs, err = ForeverAttrs([]byte(scoped))
	if err != nil || attrs["node1"]["pgsql-data-status"] != "DISCONNECT" {
		t.Errorf("cibadmin --scope nodes: %v %v", attrs, err)
	}
	if _, err := ForeverAttrs([]byte("<cib")); err == nil {
		t.Error("accepted broken XML")
	}
}
