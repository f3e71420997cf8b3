// SPDX-License-Identifier: Apache-2.0

package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pgrex/pgrex/test/fixtures"
)

// TestExporterOffline serves a capture for node1 until SIGTERM: the
// health endpoints answer for node1, and nothing runs.
func TestExporterOffline(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	h := newHarness()
	done := make(chan result, 1)
	go func() {
		done <- h.cli(t, "exporter", "--xml", fixtures.Path(t, "crm_mon-healthy.xml"), "--node", "node1", "--listen", addr)
	}()
	var resp *http.Response
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if resp, err = http.Get("http://" + addr + "/primary"); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("the exporter does not answer: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/primary on node1: %d %s", resp.StatusCode, body)
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.code != exitOK {
			t.Errorf("exit %d\n%s", r.code, r.stderr)
		}
		if !strings.Contains(r.stderr, "serving") {
			t.Errorf("no start line:\n%s", r.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the exporter did not stop on SIGTERM")
	}
	if len(h.run.calls) != 0 {
		t.Errorf("offline exporter ran %v", h.run.paths())
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
