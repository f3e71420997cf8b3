// SPDX-License-Identifier: Apache-2.0

package main

import (
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/ra/lockfile"
	"github.com/pgrex/pgrex/test/fixtures"
)

// serveExporter runs `pgrex exporter args... --listen ADDR` until the
// returned stop sends SIGTERM, and gives its address once it answers.
func serveExporter(t *testing.T, h *harness, args ...string) (addr string, stop func() result) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = l.Addr().String()
	l.Close()
	done := make(chan result, 1)
	go func() { done <- h.cli(t, append(append([]string{"exporter"}, args...), "--listen", addr)...) }()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the exporter does not answer: %v", err)
		}
	}
	return addr, func() result {
		t.Helper()
		if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case r := <-done:
			return r
		case <-time.After(30 * time.Second):
			t.Fatal("the exporter did not stop on SIGTERM")
			return result{}
		}
	}
}

func fetch(t *testing.T, addr, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestExporterOffline serves a capture for node1: the health endpoints
// answer for node1, and nothing runs.
func TestExporterOffline(t *testing.T) {
	h := newHarness()
	addr, stop := serveExporter(t, h, "--xml", fixtures.Path(t, "crm_mon-healthy.xml"), "--node", "node1")
	if code, body := fetch(t, addr, "/primary"); code != http.StatusOK {
		t.Errorf("/primary on node1: %d %s", code, body)
	}
	if code, body := fetch(t, addr, "/standby"); code != http.StatusServiceUnavailable {
		t.Errorf("/standby on node1: %d %s", code, body)
	}
	r := stop()
	if r.code != exitOK {
		t.Errorf("exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "serving") {
		t.Errorf("no start line:\n%s", r.stderr)
	}
	if len(h.run.calls) != 0 {
		t.Errorf("offline exporter ran %v", h.run.paths())
	}
}

// TestExporterLive takes the node from crm_node, the tmpdir and the
// PostgreSQL settings from the pgsql resource in the CIB, and reads
// crm_mon with a timeout; a PostgreSQL that does not answer fails the
// standby check and shows as a failed source, the rest still shows.
func TestExporterLive(t *testing.T) {
	tmpdir, sock := t.TempDir(), t.TempDir()
	if err := lockfile.Write(lockfile.Path(tmpdir), lockfile.Content{Promoted: time.Now().Add(-time.Hour), Node: "node2"}, nil); err != nil {
		t.Fatal(err)
	}
	cib := `<resources><clone id="msPostgresql"><primitive id="pgsql" class="ocf" provider="pgrex" type="pgsql">
<instance_attributes id="pgsql-ia">
<nvpair id="a1" name="tmpdir" value="` + tmpdir + `"/>
<nvpair id="a2" name="socketdir" value="` + sock + `"/>
<nvpair id="a3" name="pgport" value="5999"/>
<nvpair id="a4" name="pgdba" value="root"/>
</instance_attributes></primitive></clone></resources>`
	xml := fixtureText(t, "crm_mon-healthy.xml")
	h := newHarness()
	h.run.respond = func(c cmdrun.Cmd) (cmdrun.Result, error) {
		switch c.Path {
		case "crm_node":
			return ok("node2\n")
		case "cibadmin":
			return ok(cib)
		case "crm_mon":
			if c.Timeout <= 0 {
				t.Errorf("crm_mon without a timeout: %+v", c)
			}
			return ok(xml)
		}
		return failed(127, "", "unexpected "+c.Path)
	}
	addr, stop := serveExporter(t, h, "--interval", "0s", "--timeout", "5s")
	if code, body := fetch(t, addr, "/healthy"); code != http.StatusOK {
		t.Errorf("/healthy: %d %s", code, body)
	}
	if code, body := fetch(t, addr, "/standby"); code != http.StatusServiceUnavailable || !strings.Contains(body, "PostgreSQL") {
		t.Errorf("/standby with PostgreSQL down: %d %s", code, body)
	}
	_, metrics := fetch(t, addr, "/metrics")
	for _, want := range []string{`pgrex_up{source="postgresql"} 0`, `pgrex_up{source="crm_mon"} 1`,
		`pgrex_lock_present{node="node2"} 1`, `pgrex_pgsql_status{node="node2",status="HS:sync"} 1`} {
		if !strings.Contains(metrics, want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if r := stop(); r.code != exitOK {
		t.Errorf("exit %d\n%s", r.code, r.stderr)
	}
	h.run.mu.Lock()
	defer h.run.mu.Unlock()
	for _, p := range h.run.paths() {
		if !slices.Contains([]string{"crm_node", "cibadmin", "crm_mon"}, p) {
			t.Errorf("the exporter ran %s", p)
		}
	}
	if _, err := os.Stat(filepath.Join(tmpdir, "rep_mode.conf")); err == nil {
		t.Error("the exporter wrote rep_mode.conf")
	}
}

func TestExporterBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"exporter", "--xml", "x.xml", "--listen", "127.0.0.1:notaport"},
		{"exporter", "--xml", "x.xml", "--timeout", "0s", "--listen", "127.0.0.1:0"},
	} {
		r := newHarness().cli(t, args...)
		if r.code != exitError {
			t.Errorf("%v: exit %d, want %d\n%s", args, r.code, exitError, r.stderr)
		}
	}
}
