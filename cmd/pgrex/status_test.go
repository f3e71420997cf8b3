// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/test/fixtures"
)

func fixtureText(t *testing.T, name string) string {
	t.Helper()
	return string(fixtures.Read(t, name))
}

// cibResources is `cibadmin --query --scope resources` with the pgsql
// primitive's tmpdir and pgdata set.
func cibResources(tmpdir, pgdata string) string {
	return `<resources><clone id="msPostgresql"><primitive id="pgsql" class="ocf" provider="heartbeat" type="pgsql">
<instance_attributes id="pgsql-ia">
<nvpair id="a1" name="tmpdir" value="` + tmpdir + `"/>
<nvpair id="a2" name="pgdata" value="` + pgdata + `"/>
</instance_attributes></primitive></clone></resources>`
}

func TestStatusOffline(t *testing.T) {
	tests := []struct {
		file  string
		code  int
		lines []string
	}{
		{"crm_mon-healthy-fencing.xml", exitOK, []string{
			"node1  Master  Promoted    PRI           LATEST          1000   vip-rep  -     -",
			"Diagnosis [ok]: normal state: primary node1, synchronous standby node2 (manual 5.3.2, table 5-3)",
			"Nothing to do."}},
		{"crm_mon-after-kill9-primary.xml", exitAttn, []string{
			"node1  OUS     Stopped   STOP          DISCONNECT   -INFINITY  -        -     pgsql=1",
			"pgsql_monitor_3000 on node1: not running (rc=7) 2026-11-22 04:49:14Z",
			"Diagnosis [degraded]: resource failure (monitor) of pgsql on node1 (manual 5.9, table 5-7 No.4)",
			"  1. Stop Pacemaker on node1 (manual 4.5/4.6).",
			"  3. node1 was primary and may hold WAL that node2 lacks",
			"  - STONITH is disabled; PG-REX requires it (manual 2.3 No.1)."}},
		{"crm_mon-switchover-ban.xml", exitAttn, []string{
			"cli-ban-msPostgresql-on-node1: msPostgresql on node1 (-1000000)",
			"switchover under way",
			"crm_resource --clear -r msPostgresql"}},
		{"crm_mon-after-fencing.xml", exitAttn, []string{
			"node1  NONE    Stopped   ?             ?            ?",
			"reboot of node1 by node2: success 2026-11-22 04:51:40Z",
			"node1 was fenced and is offline"}},
		{"pgrex-router.xml", exitDown, []string{"Diagnosis [down]: router failure"}},
		{"pcmk11-healthy.xml", exitOK, []string{"pg-rex01  Master  Promoted    PRI", "vip-master,vip-rep"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			h := newHarness()
			r := h.cli(t, "status", "--xml", fixtures.Path(t, tt.file))
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\n%s%s", r.code, tt.code, r.stdout, r.stderr)
			}
			for _, l := range tt.lines {
				if !strings.Contains(r.stdout, l) {
					t.Errorf("output lacks %q:\n%s", l, r.stdout)
				}
			}
			if len(h.run.calls) != 0 {
				t.Errorf("offline status ran %v", h.run.paths())
			}
		})
	}
}

func TestStatusJapanese(t *testing.T) {
	h := newHarness()
	h.env["LANG"] = "ja_JP.UTF-8"
	r := h.cli(t, "status", "--xml", fixtures.Path(t, "crm_mon-replication-link-cut.xml"))
	for _, l := range []string{
		"診断 [縮退]: D-LAN(レプリケーション経路)故障: node2 が HS:alone / DISCONNECT (マニュアル 5.8、表 5-7 No.3, 5-5)",
		"次の手順:",
		"node1 の PostgreSQL サーバログに \"terminating walsender\"",
	} {
		if !strings.Contains(r.stdout, l) {
			t.Errorf("output lacks %q:\n%s", l, r.stdout)
		}
	}
	if r.code != exitAttn {
		t.Errorf("exit %d", r.code)
	}
}

func TestStatusJSON(t *testing.T) {
	h := newHarness()
	r := h.cli(t, "status", "--json", "--xml", fixtures.Path(t, "crm_mon-replication-link-cut.xml"))
	var out struct {
		Cluster struct {
			Nodes []struct {
				Name       string `json:"name"`
				State      string `json:"state"`
				DataStatus string `json:"data_status"`
			} `json:"nodes"`
		} `json:"cluster"`
		Diagnosis struct {
			Row      string `json:"row"`
			Severity string `json:"severity"`
			Node     string `json:"node"`
			Manual   struct {
				Section string `json:"section"`
			} `json:"manual"`
			Steps []struct {
				Code string `json:"code"`
				Node string `json:"node"`
			} `json:"steps"`
		} `json:"diagnosis"`
		Text struct {
			Summary string   `json:"summary"`
			Steps   []string `json:"steps"`
		} `json:"text"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	d := out.Diagnosis
	if d.Row != "d-lan-failure" || d.Severity != "degraded" || d.Node != "node2" || d.Manual.Section != "5.8" ||
		len(d.Steps) != 4 || d.Steps[1].Code != "stop-pacemaker" || d.Steps[1].Node != "node2" {
		t.Errorf("diagnosis %+v", d)
	}
	if len(out.Cluster.Nodes) != 2 || out.Cluster.Nodes[1].DataStatus != "DISCONNECT" || out.Cluster.Nodes[1].State != "Slave" {
		t.Errorf("nodes %+v", out.Cluster.Nodes)
	}
	if !strings.HasPrefix(out.Text.Summary, "D-LAN") || len(out.Text.Steps) != 4 {
		t.Errorf("text %+v", out.Text)
	}
	if r.code != exitAttn {
		t.Errorf("exit %d", r.code)
	}
}

// Live: one crm_mon call, the local node from crm_node, the tmpdir from
// the CIB, the offline node's forever data-status from crm_attribute.
func TestStatusLive(t *testing.T) {
	tmpdir := t.TempDir()
	h := newHarness()
	var crmMonArgsSeen []string
	h.run.respond = func(c cmdrun.Cmd) (cmdrun.Result, error) {
		switch c.Path {
		case "crm_mon":
			crmMonArgsSeen = c.Args
			return ok(fixtureText(t, "crm_mon-after-fencing.xml"))
		case "crm_node":
			return ok("node2\n")
		case "cibadmin":
			return ok(cibResources(tmpdir, "/var/lib/pgsql/data"))
		case "crm_attribute":
			if slices.Contains(c.Args, "--node=node1") && slices.Contains(c.Args, "--lifetime=forever") {
				return ok("DISCONNECT\n")
			}
		}
		return failed(1, "", "unexpected")
	}
	r := h.cli(t, "status")
	if r.code != exitAttn {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !slices.Equal(crmMonArgsSeen, attrd.Pacemaker2.ReportArgs()) {
		t.Errorf("crm_mon args %v", crmMonArgsSeen)
	}
	for _, l := range []string{
		"node1    NONE    Stopped   ?             DISCONNECT (CIB)",
		"node2 *  Master  Promoted  PRI           LATEST            1000   vip-rep  absent",
	} {
		if !strings.Contains(r.stdout, l) {
			t.Errorf("output lacks %q:\n%s", l, r.stdout)
		}
	}
	n := 0
	for _, p := range h.run.paths() {
		if p == "crm_mon" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("crm_mon ran %d times", n)
	}
}

// Pacemaker stopped here: crm_mon reports "not connected" (exit 102 with
// XML); status says so, still shows this node's lock, exits 1.
func TestStatusNoCluster(t *testing.T) {
	tmpdir := t.TempDir()
	if err := os.WriteFile(filepath.Join(tmpdir, "PGSQL.lock"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	notConnected := fixtures.Read(t, "snapshot-not-connected.xml")
	h := newHarness()
	h.run.respond = func(c cmdrun.Cmd) (cmdrun.Result, error) {
		if c.Path == "crm_mon" {
			return failed(102, string(notConnected), "")
		}
		return failed(102, "", "Transport endpoint is not connected")
	}
	r := h.cli(t, "status", "--tmpdir", tmpdir)
	if r.code != exitError {
		t.Errorf("exit %d", r.code)
	}
	if !strings.Contains(r.stderr, "Cannot read the cluster status") {
		t.Errorf("stderr %q", r.stderr)
	}
	if want := "This node's " + filepath.Join(tmpdir, "PGSQL.lock") + ": present"; !strings.Contains(r.stdout, want) {
		t.Errorf("stdout %q lacks %q", r.stdout, want)
	}
	// A 1.1 retry is not attempted when 2.x answered in XML.
	n := 0
	for _, p := range h.run.paths() {
		if p == "crm_mon" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("crm_mon ran %d times: %v", n, h.run.paths())
	}
}

// Pacemaker 1.1's crm_mon does not know --output-as: the 1.1 form is used.
func TestStatusPacemaker11Fallback(t *testing.T) {
	h := newHarness()
	var tried [][]string
	h.run.respond = func(c cmdrun.Cmd) (cmdrun.Result, error) {
		if c.Path == "crm_mon" {
			tried = append(tried, c.Args)
			if slices.Contains(c.Args, "--as-xml") {
				return ok(fixtureText(t, "pcmk11-healthy.xml"))
			}
			return failed(1, "", "crm_mon: unrecognized option '--output-as=xml'")
		}
		return failed(1, "", "unexpected")
	}
	r := h.cli(t, "status", "--node", "pg-rex02", "--tmpdir", t.TempDir())
	if r.code != exitOK || len(tried) != 2 || !slices.Equal(tried[1], attrd.Pacemaker11.ReportArgs()) {
		t.Errorf("exit %d, tried %v\n%s%s", r.code, tried, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "pg-rex02 *") {
		t.Errorf("local node not marked:\n%s", r.stdout)
	}
}

func TestStatusBadConfig(t *testing.T) {
	h := newHarness()
	h.conf = "Archive_dir = relative\n"
	r := h.cli(t, "status", "--xml", fixtures.Path(t, "crm_mon-healthy.xml"))
	if r.code != exitError || !strings.Contains(r.stderr, `:1: Archive_dir = "relative": expected an absolute path`) {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}
