// SPDX-License-Identifier: Apache-2.0

package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/pgrex/pgrex/ra/cmdrun"
)

func TestStop(t *testing.T) {
	t.Run("standby", func(t *testing.T) {
		w := newProcWorld(t, "node2", "node1", "192.0.2.71")
		w.pgRuns = true
		running := true
		w.on("pgrep", func([]string) (cmdrun.Result, error) {
			if running {
				return ok("55\n")
			}
			return failed(1, "", "")
		})
		w.on("systemctl", func([]string) (cmdrun.Result, error) { running, w.pgRuns = false, false; return ok("") })
		w.crmMon = []string{"pgrex-healthy.xml"}
		// The primary's cluster: vip-slave still starting there, then settled.
		settled := readFixture(t, "pgrex-standby-node-stopped.xml")
		starting := strings.Replace(settled, `id="vip-slave" resource_agent="ocf:heartbeat:IPaddr2" role="Started"`,
			`id="vip-slave" resource_agent="ocf:heartbeat:IPaddr2" role="Starting"`, 1)
		peerPolls := 0
		w.on("@crm_mon", func([]string) (cmdrun.Result, error) {
			peerPolls++
			if peerPolls == 1 {
				return ok(starting)
			}
			return ok(settled)
		})
		r := w.cli("stop")
		wantLines(t, r.stdout, "1. CHECKPOINT on node2", "2. Stop the standby node2: systemctl stop pacemaker corosync",
			"node2: Pacemaker stopped; not settled: vip-slave Starting on node1", "Pacemaker has stopped.")
		if peerPolls != 2 {
			t.Errorf("the peer's cluster was read %d times, want 2", peerPolls)
		}
		want := []string{": /usr/lib/postgresql/15/bin/psql -X -q -A -t -v ON_ERROR_STOP=1 -p 5432 -h /run/postgresql -d template1 -c CHECKPOINT",
			": systemctl stop pacemaker corosync"}
		if r.code != exitOK || !slices.Equal(w.changes(), want) {
			t.Errorf("exit %d changes %q\n%s%s", r.code, w.changes(), r.stdout, r.stderr)
		}
	})
	t.Run("primary with a standby: warned, declined", func(t *testing.T) {
		w := newProcWorld(t, "node1", "node2", "192.0.2.72")
		w.pgRuns = true
		w.on("pgrep", func([]string) (cmdrun.Result, error) { return ok("55\n") })
		w.crmMon = []string{"pgrex-healthy.xml"}
		w.h.stdin = "n\n"
		r := w.cli("stop", "--fast")
		wantLines(t, r.stdout, "the standby node2 takes over when the primary node1 stops; to move the primary use pgrex switchover",
			"Stop the primary node1 while the standby runs (the standby takes over): systemctl stop pacemaker corosync: go ahead? [y/N]")
		if r.code != exitDeclined || len(w.changes()) != 0 {
			t.Errorf("exit %d changes %v", r.code, w.changes())
		}
	})
	t.Run("already stopped", func(t *testing.T) {
		w := newProcWorld(t, "node1", "node2", "192.0.2.72")
		r := w.cli("stop")
		wantLines(t, r.stdout, "Pacemaker is not running on node1")
		if r.code != exitOK || len(w.changes()) != 0 {
			t.Errorf("exit %d changes %v", r.code, w.changes())
		}
	})
	t.Run("all, from the primary: the standby first over ssh", func(t *testing.T) {
		w := newProcWorld(t, "node1", "node2", "192.0.2.72")
		w.pgRuns = true
		peerUp, localUp := true, true
		w.on("@pgrep", func([]string) (cmdrun.Result, error) {
			if peerUp {
				return ok("1\n")
			}
			return failed(1, "", "")
		})
		w.on("pgrep", func([]string) (cmdrun.Result, error) {
			if localUp {
				return ok("1\n")
			}
			return failed(1, "", "")
		})
		w.on("@systemctl", func([]string) (cmdrun.Result, error) { peerUp = false; return ok("") })
		w.on("systemctl", func([]string) (cmdrun.Result, error) {
			if peerUp {
				t.Error("the primary was stopped before the standby")
			}
			localUp, w.pgRuns = false, false
			return ok("")
		})
		w.crmMon = []string{"pgrex-healthy.xml"}
		r := w.cli("stop", "--all", "--yes", "--fast")
		want := []string{"192.0.2.72: systemctl stop pacemaker corosync", ": systemctl stop pacemaker corosync"}
		if r.code != exitOK || !slices.Equal(w.changes(), want) {
			t.Errorf("exit %d changes %q\n%s%s", r.code, w.changes(), r.stdout, r.stderr)
		}
	})
}
