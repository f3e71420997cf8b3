// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pgrex/pgrex/ra/cmdrun"
)

// switchoverWorld: node1 is primary, node2 the synchronous standby.
// After the ban node2 is primary on timeline 4, promoted at 0/4000200.
func switchoverWorld(t *testing.T) *procWorld {
	w := newProcWorld(t, "node1", "node2", "192.0.2.72")
	w.pgRuns = true
	w.crmMon = []string{"pgrex-healthy.xml", "pgrex-healthy.xml", "crm_mon-healthy-node2-primary.xml"}
	w.on("pgrep", func([]string) (cmdrun.Result, error) {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.pgRuns {
			return ok("99\n")
		}
		return failed(1, "", "")
	})
	w.on("systemctl", func(args []string) (cmdrun.Result, error) {
		w.mu.Lock()
		w.pgRuns = args[0] == "start"
		w.crmMon = []string{"", "pgrex-healthy.xml"} // after the rejoin: node1 HS:sync… as node2 in the fixture
		w.polls = 0
		w.mu.Unlock()
		return ok("")
	})
	w.on("@pgrep", func([]string) (cmdrun.Result, error) { return ok("311\n") })
	w.on("@crm_mon", func([]string) (cmdrun.Result, error) { return ok(readFixture(t, "crm_mon-healthy-node2-primary.xml")) })
	w.on("@psql", func([]string) (cmdrun.Result, error) {
		return ok("150018|f|7000|000000040000000000000004|0/4000300|on|5432|16777216\n")
	})
	w.on("@cat", func([]string) (cmdrun.Result, error) {
		return ok("1\t0/2000000\tx\n2\t0/3000180\tx\n3\t0/4000200\tx\n")
	})
	w.on("@find", func([]string) (cmdrun.Result, error) { return ok(w.archive + "\t200\t00000004.history\n") })
	w.on("scp", func(args []string) (cmdrun.Result, error) {
		dst := args[len(args)-1]
		w.write(filepath.Join(dst, "00000004.history"), strings.Repeat("h", 200))
		return ok("")
	})
	// After the demote node1's WAL ends at its shutdown checkpoint, before
	// node2's promote point.
	w.on("pg_waldump", func([]string) (cmdrun.Result, error) {
		return failed(1, "", "pg_waldump: error: error in WAL record at 0/4000190: invalid record length at 0/4000200: wanted 24, got 0")
	})
	w.write(filepath.Join(w.tmpdir, "PGSQL.lock"), "promoted=2026-11-22T04:49:16Z\n")
	return w
}

func TestSwitchoverDryRun(t *testing.T) {
	w := switchoverWorld(t)
	r := w.cli("switchover", "--dry-run")
	wantLines(t, r.stdout,
		"Primary: node1 -> node2, standby: node2 -> node1",
		"1. Move the primary role away from node1 to node2 (crm_resource --ban on msPostgresql) [asks first]",
		"2. Wait until node2 is primary (PRI / LATEST), at most 5m0s",
		"3. Remove the move constraint (crm_resource --clear -r msPostgresql)",
		"4. Stop Pacemaker on node1: systemctl stop pacemaker corosync",
		"5. Wait until Pacemaker and PostgreSQL have stopped on node1",
		"Then node1 rejoins as standby",
		"Dry run: nothing was changed.")
	if r.code != exitOK || len(w.changes()) != 0 {
		t.Errorf("exit %d changes %v", r.code, w.changes())
	}
}

func TestSwitchoverOnStandbyRefused(t *testing.T) {
	w := switchoverWorld(t)
	w.node = "node2"
	w.h.conf = strings.Replace(w.h.conf, "Node_name = node1", "Node_name = node2", 1)
	r := w.cli("switchover", "--yes")
	wantLines(t, r.stdout, "node2 is not the primary (Unpromoted HS:sync/STREAMING|SYNC): run switchover on the primary")
	if r.code != exitAttn || len(w.changes()) != 0 {
		t.Errorf("exit %d changes %v", r.code, w.changes())
	}
}

func TestSwitchover(t *testing.T) {
	w := switchoverWorld(t)
	w.crmMon = []string{"pgrex-healthy.xml", "pgrex-healthy.xml", "crm_mon-healthy-node2-primary.xml"}
	// The rejoin waits for node1 as HS:sync: the lab capture of node2
	// primary shows exactly that.
	w.on("systemctl", func(args []string) (cmdrun.Result, error) {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.pgRuns = args[0] == "start"
		w.crmMon = []string{"", "crm_mon-healthy-node2-primary.xml"}
		w.polls = 0
		return ok("")
	})
	r := w.cli("switchover", "--yes")
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	wantLines(t, r.stdout,
		"**** Primary has started on node2 ****",
		"Chosen: n) start as it is",
		"Remove PGSQL.lock "+filepath.Join(w.tmpdir, "PGSQL.lock")+" (switchover: reuse proven)",
		"**** Switchover completed: primary node2, standby node1 ****")
	want := []string{
		": crm_resource --ban --promoted --resource msPostgresql --node node1",
		": crm_resource --clear --resource msPostgresql",
		": systemctl stop pacemaker corosync",
		": scp -p -q -o BatchMode=yes -o ConnectTimeout=10 -o ServerAliveInterval=10 192.0.2.72:" + w.archive + "/00000004.history " +
			w.archive + "/.pgrex-fetch-20261122T050000Z/",
		": systemctl start pacemaker",
	}
	if got := w.changes(); !slices.Equal(got, want) {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if exists(filepath.Join(w.tmpdir, "PGSQL.lock")) || !exists(filepath.Join(w.archive, "00000004.history")) {
		t.Error("lock kept or history not fetched")
	}
}

// Switchover when node1's WAL went past node2's promote point: the lock
// stays until pg_rewind has run.
func TestSwitchoverDivergedRewinds(t *testing.T) {
	w := switchoverWorld(t)
	w.on("pg_waldump", func([]string) (cmdrun.Result, error) {
		return failed(1, "", "pg_waldump: error: error in WAL record at 0/4000250: invalid record length at 0/4000290: wanted 24, got 0")
	})
	w.on("pg_controldata", func([]string) (cmdrun.Result, error) {
		return ok(controlDataText("7000", "shut down", 3, "0/4000028"))
	})
	var order []string
	w.on("pg_rewind", func([]string) (cmdrun.Result, error) {
		order = append(order, fmt.Sprintf("rewind, lock there: %v", exists(filepath.Join(w.tmpdir, "PGSQL.lock"))))
		return ok("")
	})
	w.crmMon = []string{"pgrex-healthy.xml", "pgrex-healthy.xml", "crm_mon-healthy-node2-primary.xml"}
	r := w.cli("switchover", "--yes")
	wantLines(t, r.stdout, "Chosen: r) pg_rewind, then start")
	if !slices.Equal(order, []string{"rewind, lock there: true"}) || exists(filepath.Join(w.tmpdir, "PGSQL.lock")) {
		t.Errorf("order %v, lock %v, exit %d\n%s%s", order, exists(filepath.Join(w.tmpdir, "PGSQL.lock")), r.code, r.stdout, r.stderr)
	}
}
