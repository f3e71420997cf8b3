// SPDX-License-Identifier: Apache-2.0

package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pgrex/pgrex/ra/cmdrun"
)

// primaryWorld: node1 about to start as primary; node2 stopped, its
// Pacemaker and PostgreSQL down; both CIBs say node1 LATEST.
func primaryWorld(t *testing.T) *procWorld {
	w := newProcWorld(t, "node1", "node2", "192.0.2.72")
	cib := strings.ReplaceAll(readFixture(t, "healthy-cib.xml"), "STREAMING|SYNC", "DISCONNECT")
	w.write(filepath.Join(w.root, "cib.xml"), cib)
	w.on("@cat", func([]string) (cmdrun.Result, error) { return ok(cib) })
	w.crmMon = []string{"", "pgrex-no-primary.xml", "pgrex-standby-node-stopped.xml"}
	return w
}

func TestPrimaryStartDryRun(t *testing.T) {
	w := primaryWorld(t)
	r := w.cli("primary-start", "--dry-run")
	wantLines(t, r.stdout,
		"**** pgrex primary-start on node1 ****",
		"pgsql-data-status of node1: LATEST (on-disk CIB of node1)",
		"pgsql-data-status of node1: LATEST (on-disk CIB of node2)",
		"Plan:",
		"  1. Start Pacemaker on node1: systemctl start pacemaker",
		"  2. Wait until node1 is primary (PRI / LATEST), at most 5m0s",
		"Dry run: nothing was changed.")
	if r.code != exitOK || len(w.changes()) != 0 {
		t.Errorf("exit %d, changes %v\n%s", r.code, w.changes(), r.stderr)
	}
}

func TestPrimaryStartRefusesSecondPrimary(t *testing.T) {
	w := primaryWorld(t)
	w.on("@pgrep", func([]string) (cmdrun.Result, error) { return ok("311\n") })
	w.on("@crm_mon", func([]string) (cmdrun.Result, error) { return ok(readFixture(t, "crm_mon-healthy-node2-primary.xml")) })
	r := w.cli("primary-start", "--yes")
	wantLines(t, r.stdout, "Refused; nothing was changed:", "  - a primary runs on node2")
	if r.code != exitAttn || len(w.changes()) != 0 {
		t.Errorf("exit %d, changes %v", r.code, w.changes())
	}
}

func TestPrimaryStartUnreachablePeer(t *testing.T) {
	w := primaryWorld(t)
	w.peerIP = "192.0.2.99" // ssh to 192.0.2.72 fails
	r := w.cli("primary-start", "--yes")
	wantLines(t, r.stdout, "the peer node2 cannot be asked", "--ignore-peer")
	if r.code != exitAttn || len(w.changes()) != 0 {
		t.Errorf("exit %d, changes %v", r.code, w.changes())
	}
	r = w.cli("primary-start", "--yes", "--ignore-peer")
	if r.code != exitOK || !slices.Contains(w.changes(), ": systemctl start pacemaker") {
		t.Errorf("exit %d, changes %v\n%s%s", r.code, w.changes(), r.stdout, r.stderr)
	}
}

func TestPrimaryStart(t *testing.T) {
	w := primaryWorld(t)
	lock := filepath.Join(w.tmpdir, "PGSQL.lock")
	w.write(lock, "promoted=2026-11-22T04:49:16Z\nnode=node1\ntimeline=3\nlocation=0000000003000180\n")
	w.write(filepath.Join(w.pgdata, "standby.signal"), "")

	// "n" at the lock: nothing changed, the lock stays.
	w.h.stdin = "n\n"
	r := w.cli("primary-start")
	wantLines(t, r.stdout, "Remove PGSQL.lock "+lock+" (data-latest): go ahead? [y/N]", "Nothing was changed.")
	if r.code != exitDeclined || !exists(lock) || len(w.changes()) != 0 {
		t.Fatalf("exit %d, lock %v, changes %v", r.code, exists(lock), w.changes())
	}

	w.h.stdin = "y\n"
	r = w.cli("primary-start")
	wantLines(t, r.stdout,
		"1. Remove PGSQL.lock "+lock, "2. Remove "+filepath.Join(w.pgdata, "standby.signal"),
		"3. Start Pacemaker on node1", "4. Wait until node1 is primary",
		"cluster status not readable yet", "node1: online, Promoted PRI/LATEST/1000",
		"Primary has started on node1.")
	if r.code != exitOK || exists(lock) || exists(filepath.Join(w.pgdata, "standby.signal")) {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := w.changes(); !slices.Equal(got, []string{": systemctl start pacemaker"}) {
		t.Errorf("changes %v", got)
	}
	if len(w.h.syslog) == 0 || !strings.Contains(w.h.syslog[len(w.h.syslog)-1], "node1 runs as primary") {
		t.Errorf("syslog %v", w.h.syslog)
	}
}

func TestPrimaryStartTimeout(t *testing.T) {
	w := primaryWorld(t)
	w.crmMon = []string{"pgrex-no-primary.xml"}
	r := w.cli("primary-start", "--yes", "--timeout", "20s")
	if r.code != exitError || !strings.Contains(r.stderr, "not reached within 20s") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if w.polls != 11 { // at 0, 2, …, 20 s
		t.Errorf("%d polls of crm_mon, want 11", w.polls)
	}
}
