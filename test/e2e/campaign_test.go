// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// campaignFault is one kind of fault of the campaign: inject does it on
// the cluster whose primary is p and standby s and returns the node it hit;
// playedOut is the state that shows the fault took effect (nil: none to
// wait for), and heal is what the hardware or the operator does afterwards
// that is no database step (a link repaired, a node powered on).
type campaignFault struct {
	name      string
	inject    func(c *campaignRun, p, s string) (target string)
	playedOut func(c *campaignRun, p, s, target string) func(*Cluster) bool
	heal      func(c *campaignRun, p, s, target string)
	// operator: the manual has the operator bring the cluster back (no
	// primary is left that may be trusted): no waiting for it to heal.
	operator bool
}

// campaignRun is the state of one campaign.
type campaignRun struct {
	t   *testing.T
	ctx context.Context
	l   *Lab
	rng *rand.Rand
	// fences is how many fencings of the fault's target the BMC had done
	// when the fault began.
	fences int
}

// fencings counts the BMC's successful power-offs of node (the lab's
// fence.log, one line per request).
func (c *campaignRun) fencings(node string) int {
	b, err := os.ReadFile(filepath.Join(c.l.Run, "ctl", "fence.log"))
	if err != nil && !os.IsNotExist(err) {
		c.t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, " BMC off "+node+" ") && strings.HasSuffix(line, "-> ok") {
			n++
		}
	}
	return n
}

func (c *campaignRun) either(p, s string) string {
	if c.rng.IntN(2) == 0 {
		return p
	}
	return s
}

// bringBack powers node on and starts Pacemaker there, as after a fencing;
// a node that is on with Pacemaker running is left alone.
func (c *campaignRun) bringBack(node string) {
	if !c.l.Powered(node) {
		if out, err := c.l.PowerOn(c.ctx, node); err != nil {
			c.t.Fatalf("power on %s: %v\n%s", node, err, out)
		}
	}
	if pid, _ := c.l.ProcPID(c.ctx, node, "pacemakerd"); pid == "" {
		if out, err := c.l.PcmkStart(c.ctx, node); err != nil {
			c.t.Fatalf("starting Pacemaker on %s: %v\n%s", node, err, out)
		}
	}
}

func (c *campaignRun) link(node, lan string, up bool) {
	f := c.l.LinkDown
	if up {
		f = c.l.LinkUp
	}
	if err := f(c.ctx, node, lan); err != nil {
		c.t.Fatalf("link %s of %s (up %v): %v", lan, node, up, err)
	}
}

func promotedElsewhere(target string) func(*Cluster) bool {
	return func(cl *Cluster) bool { return len(cl.Promoted) == 1 && cl.Promoted[0] == Other(target) }
}

// postgresPIDs lists every process of the postgres user's server on node.
func (c *campaignRun) postgresPIDs(node string) []string {
	out, err := c.l.Exec(c.ctx, 20*time.Second, node, "pgrep", "-u", "postgres", "-x", "postgres")
	if err != nil && strings.TrimSpace(out) != "" {
		c.t.Fatalf("pgrep on %s: %v", node, err)
	}
	return strings.Fields(out)
}

// freeze stops every PostgreSQL process of node, the postmaster first so
// that it forks no new backend, and returns the pids stopped. A backend
// that exits between the listing and its SIGSTOP (a client's short session)
// is no process to freeze; the postmaster must be stopped, and the listing
// is repeated until it finds nothing new (a backend forked just before the
// postmaster stopped). Bounded: five listings.
func (c *campaignRun) freeze(node string) []string {
	pm, err := c.l.PostmasterPID(node)
	if err != nil {
		c.t.Fatalf("no postmaster on %s to freeze: %v", node, err)
	}
	stop := func(pid string) bool {
		out, err := c.l.Exec(c.ctx, 20*time.Second, node, "kill", "-STOP", pid)
		if err != nil && !strings.Contains(out+err.Error(), "No such process") {
			c.t.Fatalf("SIGSTOP %s on %s: %v", pid, node, err)
		}
		return err == nil
	}
	if !stop(pm) {
		c.t.Fatalf("the postmaster %s of %s exited before it could be frozen", pm, node)
	}
	stopped := map[string]bool{pm: true}
	list := []string{pm}
	for range 5 {
		fresh := false
		for _, pid := range c.postgresPIDs(node) {
			if stopped[pid] {
				continue
			}
			stopped[pid], fresh = true, true
			if stop(pid) {
				list = append(list, pid)
			}
		}
		if !fresh {
			return list
		}
	}
	c.t.Fatalf("PostgreSQL on %s kept starting processes after its postmaster was stopped", node)
	return nil
}

// campaignFaults is the catalogue (issue: kill -9 of either postmaster, of
// Pacemaker, of Corosync, a node powered off, the three LAN cuts, a freeze
// of the primary, pg_wal's filesystem full on the primary, a switchover by
// the tools and a failed promote).
func campaignFaults() []campaignFault {
	return []campaignFault{
		{name: "kill -9 of the primary's postmaster",
			inject: func(c *campaignRun, p, s string) string { killPostmaster(c.t, c.ctx, c.l, p); return p },
			playedOut: func(c *campaignRun, p, s, target string) func(*Cluster) bool {
				return promotedElsewhere(target)
			}},
		{name: "kill -9 of the standby's postmaster",
			inject: func(c *campaignRun, p, s string) string { killPostmaster(c.t, c.ctx, c.l, s); return s },
			playedOut: func(c *campaignRun, p, s, target string) func(*Cluster) bool {
				return func(cl *Cluster) bool { return cl.Attr(s, "pgsql-status") != "HS:sync" }
			}},
		{name: "kill -9 of Pacemaker",
			inject: func(c *campaignRun, p, s string) string {
				n := c.either(p, s)
				// every Pacemaker daemon at once, pacemakerd first
				if _, err := c.l.Exec(c.ctx, 20*time.Second, n, "pkill", "-9", "-x", "pacemakerd"); err != nil {
					c.t.Fatalf("kill -9 pacemakerd on %s: %v", n, err)
				}
				_, _ = c.l.Exec(c.ctx, 20*time.Second, n, "pkill", "-9", "-f", "^/usr/lib/pacemaker/pacemaker-")
				return n
			},
			// the peer fences a node whose Pacemaker is gone
			playedOut: func(c *campaignRun, p, s, target string) func(*Cluster) bool {
				return func(cl *Cluster) bool { return !c.l.Powered(target) }
			},
			heal: func(c *campaignRun, p, s, target string) { c.bringBack(target) }},
		{name: "kill -9 of Corosync",
			inject: func(c *campaignRun, p, s string) string {
				n := c.either(p, s)
				killCorosync(c.t, c.ctx, c.l, n)
				return n
			},
			playedOut: func(c *campaignRun, p, s, target string) func(*Cluster) bool {
				return func(cl *Cluster) bool { return !c.l.Powered(target) }
			},
			heal: func(c *campaignRun, p, s, target string) { c.bringBack(target) }},
		{name: "node powered off",
			inject: func(c *campaignRun, p, s string) string {
				n := c.either(p, s)
				c.fences = c.fencings(n)
				if out, err := c.l.PowerOff(c.ctx, n); err != nil {
					c.t.Fatalf("power off %s: %v\n%s", n, err, out)
				}
				return n
			},
			playedOut: func(c *campaignRun, p, s, target string) func(*Cluster) bool {
				return func(cl *Cluster) bool {
					// and the peer's fencing of it done: powered on before
					// that, the node would be fenced again as it starts
					return !cl.Online[target] && len(cl.Promoted) == 1 && cl.Promoted[0] == Other(target) && cl.Settled() &&
						c.fencings(target) > c.fences
				}
			},
			heal: func(c *campaignRun, p, s, target string) { c.bringBack(target) }},
		{name: "IC-LAN cut (fencing race)",
			inject: func(c *campaignRun, p, s string) string { n := c.either(p, s); c.link(n, "ic", false); return n },
			playedOut: func(c *campaignRun, p, s, target string) func(*Cluster) bool {
				return func(cl *Cluster) bool { return !c.l.Powered(p) || !c.l.Powered(s) }
			},
			heal: func(c *campaignRun, p, s, target string) {
				c.link(target, "ic", true)
				c.bringBack(p)
				c.bringBack(s)
			}},
		{name: "D-LAN cut of the standby",
			inject: func(c *campaignRun, p, s string) string { c.link(s, "rep", false); return s },
			playedOut: func(c *campaignRun, p, s, target string) func(*Cluster) bool {
				return func(cl *Cluster) bool { return cl.Attr(s, "pgsql-status") != "HS:sync" }
			},
			heal: func(c *campaignRun, p, s, target string) { c.link(target, "rep", true) }},
		{name: "S-LAN cut of the primary",
			inject: func(c *campaignRun, p, s string) string { c.link(p, "svc", false); return p },
			playedOut: func(c *campaignRun, p, s, target string) func(*Cluster) bool {
				return promotedElsewhere(target)
			},
			heal: func(c *campaignRun, p, s, target string) { c.link(target, "svc", true) }},
		{name: "freeze of the primary's PostgreSQL (SIGSTOP 5–60 s)",
			inject: func(c *campaignRun, p, s string) string {
				d := time.Duration(5+c.rng.IntN(56)) * time.Second
				pids := c.freeze(p)
				c.t.Logf("froze %d PostgreSQL processes on %s for %s", len(pids), p, d)
				sleepCtx(c.ctx, d)
				if c.l.Powered(p) {
					// the processes of then, whatever became of them
					_, _ = c.l.Exec(c.ctx, 20*time.Second, p, append([]string{"kill", "-CONT"}, pids...)...)
				}
				return p
			},
			heal: func(c *campaignRun, p, s, target string) { c.bringBack(target) }},
		{name: "pg_wal's filesystem full on the primary",
			inject: func(c *campaignRun, p, s string) string { c.fillPGFS(p); return p },
			playedOut: func(c *campaignRun, p, s, target string) func(*Cluster) bool {
				return promotedElsewhere(target)
			},
			heal: func(c *campaignRun, p, s, target string) {
				if err := os.Remove(c.filler(target)); err != nil {
					c.t.Fatalf("removing the filler on %s: %v", target, err)
				}
				c.bringBack(target)
			}},
		{name: "switchover (pgrex switchover)",
			inject: func(c *campaignRun, p, s string) string {
				pgrexRun(c.t, c.ctx, c.l, p, "", 0, "switchover", "--yes")
				return p
			}},
		{name: "failed promote (at a ban)",
			inject: func(c *campaignRun, p, s string) string {
				flag := filepath.Join(c.l.Run, "ctl", "fault", "fail-promote")
				if err := os.WriteFile(flag, nil, 0o666); err != nil {
					c.t.Fatal(err)
				}
				if out, err := c.l.Crm(c.ctx, p, "crm_resource", "--ban", "--promoted", "-r", "msPostgresql", "-N", p); err != nil {
					c.t.Fatalf("ban: %v\n%s", err, out)
				}
				return s
			},
			playedOut: func(c *campaignRun, p, s, target string) func(*Cluster) bool {
				return func(cl *Cluster) bool {
					_, err := os.Stat(filepath.Join(c.l.Run, "ctl", "fault", "fail-promote."+s))
					return err == nil && len(cl.Promoted) == 0 && cl.Settled()
				}
			},
			heal: func(c *campaignRun, p, s, target string) {
				_ = os.Remove(filepath.Join(c.l.Run, "ctl", "fault", "fail-promote"))
				if out, err := c.l.Crm(c.ctx, p, "crm_resource", "--clear", "-r", "msPostgresql"); err != nil {
					c.t.Fatalf("clear: %v\n%s", err, out)
				}
			},
			operator: true},
	}
}

// filler is the file that fills node's PGHOME filesystem, seen from the
// host (the lab's pg_fs: PGHOME, and with it pg_wal, is one ext4 per node).
func (c *campaignRun) filler(node string) string {
	return filepath.Join(c.l.Run, node, "pg", "campaign-filler")
}

// fillPGFS fills the filesystem of node's pg_wal and makes the primary
// need a new WAL segment until it has none: PostgreSQL cannot create the
// segment and PANICs (restart_after_crash = off in the lab), which is the
// failure Pacemaker must fail over from. A little room is left so that
// the server log can still say why.
func (c *campaignRun) fillPGFS(node string) {
	f := c.filler(node)
	var st syscall.Statfs_t
	if err := syscall.Statfs(filepath.Dir(f), &st); err != nil {
		c.t.Fatalf("statfs of %s: %v", filepath.Dir(f), err)
	}
	size := int64(st.Bavail)*st.Bsize - 256<<10
	if st.Type != 0xEF53 || size <= 0 {
		c.t.Fatalf("%s is not the lab's ext4 PGHOME (type %#x, %d bytes free)", filepath.Dir(f), st.Type, size)
	}
	fd, err := os.OpenFile(f, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		c.t.Fatal(err)
	}
	err = syscall.Fallocate(int(fd.Fd()), 0, 0, size)
	if cerr := fd.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		c.t.Fatalf("fallocate %d bytes in %s: %v", size, f, err)
	}
	c.t.Logf("filled %s's PGHOME with %d MiB", node, size>>20)
	deadline := time.Now().Add(3 * time.Minute)
	for switches := 0; ; switches++ {
		// txid_current commits a record, so that every switch needs the
		// next segment
		if _, err := c.l.PSQL(c.ctx, 20*time.Second, node, "SELECT txid_current(); SELECT pg_switch_wal()"); err != nil && !c.l.PGRunning(c.ctx, node) {
			log, _ := os.ReadFile(filepath.Join(c.l.Run, node, "pg", "postgresql.log"))
			c.t.Logf("PostgreSQL on %s stopped after %d WAL switches (server log says no space left: %v)",
				node, switches, strings.Contains(string(log), "No space left on device"))
			return
		}
		if time.Now().After(deadline) || c.ctx.Err() != nil {
			c.t.Fatalf("PostgreSQL on %s still runs after %d WAL switches on a full filesystem", node, switches)
		}
	}
}

// schedule is the campaign's order of faults: shuffled rounds of the whole
// catalogue, so that every kind comes once per round.
func schedule(rng *rand.Rand, kinds, n int) []int {
	var out []int
	for len(out) < n {
		out = append(out, rng.Perm(kinds)...)
	}
	return out[:n]
}

// diagnosis is `pgrex status`'s row on node ("" when it cannot be read).
func (c *campaignRun) diagnosis(node string) string {
	out, _ := c.l.Exec(c.ctx, diagnosisTimeout, node, "/usr/bin/pgrex", "status", "--json")
	var doc struct {
		Diagnosis struct {
			Row string `json:"row"`
		} `json:"diagnosis"`
	}
	if json.Unmarshal([]byte(out), &doc) != nil {
		return ""
	}
	return doc.Diagnosis.Row
}

// operator does what `pgrex status` prescribes when the cluster did not
// heal itself, with the tools, and returns what it did. With a primary the
// other node is rebuilt (the manual's 4.3: pgrex stop, pgrex standby-start);
// with none the pair is started by the tools (4.2, 4.3) on the node that
// has the latest data. The diagnosis it acted on is part of the answer.
func (c *campaignRun) operator(cl *Cluster) string {
	via := "node1"
	if !c.l.Powered(via) {
		via = "node2"
	}
	row := c.diagnosis(via)
	switch {
	case len(cl.Promoted) == 1:
		p := cl.Promoted[0]
		s := Other(p)
		c.bringBack(s)
		pgrexRun(c.t, c.ctx, c.l, s, "", 0, "stop", "--yes")
		pgrexRun(c.t, c.ctx, c.l, s, "", 0, "standby-start", "--yes")
		return row + " → pgrex stop + standby-start on the standby"
	case len(cl.Promoted) == 0:
		// The node to start as primary is one with all the data: the
		// synchronous standby of then (as in TestG_PromoteFailure), else
		// the last primary.
		first := ""
		for _, want := range []string{"STREAMING|SYNC", "LATEST"} {
			for _, n := range []string{"node1", "node2"} {
				if first == "" && cl.Attr(n, "pgsql-data-status") == want {
					first = n
				}
			}
		}
		if first == "" {
			c.t.Fatalf("campaign: no primary and no node with all the data: %s (diagnosis %q)", cl, row)
		}
		c.bringBack(first)
		c.bringBack(Other(first))
		pgrexRun(c.t, c.ctx, c.l, first, "", 0, "stop", "--all", "--yes")
		startPairWithTools(c.t, c.ctx, c.l, first, Other(first))
		return row + " → pgrex stop --all + primary-start + standby-start"
	}
	c.t.Fatalf("campaign: no procedure for %s (diagnosis %q)", cl, row)
	return ""
}

// keepLogs copies the lab nodes' logs for a failed fault into
// out/campaign-<seed>-<fault>/ before the lab is torn down.
func (c *campaignRun) keepLogs(name string) {
	dir := filepath.Join(repoRoot(c.l), "out", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		c.t.Logf("keeping the logs: %v", err)
		return
	}
	for _, n := range []string{"node1", "node2"} {
		for _, sub := range []string{"log", "log-pacemaker", "log-corosync"} {
			src := filepath.Join(c.l.Run, n, sub)
			if _, err := os.Stat(src); err != nil {
				continue
			}
			if out, err := exec.Command("cp", "-a", src, filepath.Join(dir, n+"-"+sub)).CombinedOutput(); err != nil {
				c.t.Logf("copying %s: %v %s", src, err, out)
			}
		}
	}
	c.t.Logf("campaign: the lab's logs are kept in %s", dir)
}

// TestCampaign: a seeded random schedule of faults over the rejoin lab
// (LAB_REJOIN=rewind) with a writer committing through vip-master and the
// split-brain probe asking both nodes throughout. After each fault the
// campaign heals what is not the database's (links, power, Pacemaker),
// waits for PRI + HS:sync, and where the cluster did not get there by
// itself follows `pgrex status` with the tools. It fails on a lost
// acknowledged write, on a moment with two writable primaries, and on any
// state it cannot bring back (the logs are kept). CAMPAIGN_FAULTS (default
// 10) and CAMPAIGN_SEED (default 1) set the run; its table is written to
// out/campaign.md (docs/e2e.md, "The fault campaign").
func TestCampaign(t *testing.T) {
	if os.Getenv("LAB_REJOIN") != "rewind" {
		t.Skip("needs the lab with LAB_REJOIN=rewind: `make test-e2e` runs it so")
	}
	l := need(t)
	if l.Heartbeat() {
		t.Skip("the campaign heals with rejoin and the tools, which are pgrex's")
	}
	faults, seed := 10, uint64(1)
	if v := os.Getenv("CAMPAIGN_FAULTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("CAMPAIGN_FAULTS=%q", v)
		}
		faults = n
	}
	if v := os.Getenv("CAMPAIGN_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("CAMPAIGN_SEED=%q", v)
		}
		seed = n
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(faults)*6*time.Minute+5*time.Minute)
	defer cancel()
	c := &campaignRun{t: t, ctx: ctx, l: l, rng: rand.New(rand.NewPCG(seed, 0x70677265))}
	p, _ := healthy(t, ctx)
	if _, err := l.PSQL(ctx, 30*time.Second, p, "CREATE TABLE IF NOT EXISTS "+probeTable+" (node text, at timestamptz DEFAULT now())"); err != nil {
		t.Fatal(err)
	}
	w := startWriter(t, ctx, l, p, "e2e_campaign")
	probe := &Prober{Lab: l, Interval: 250 * time.Millisecond}
	probe.Start(ctx)
	t.Cleanup(probe.Stop)
	waitProgress(t, w, "before the first fault")

	kinds := campaignFaults()
	if only := os.Getenv("CAMPAIGN_ONLY"); only != "" {
		// replaying one kind of fault: those whose name holds it
		var some []campaignFault
		for _, k := range kinds {
			if strings.Contains(k.name, only) {
				some = append(some, k)
			}
		}
		if len(some) == 0 {
			t.Fatalf("CAMPAIGN_ONLY=%q names no fault of the catalogue", only)
		}
		kinds = some
	}
	var results []faultResult
	var windows [][2]time.Time
	current := ""
	t.Cleanup(func() {
		if t.Failed() && current != "" {
			c.keepLogs(current)
		}
	})
	for i, k := range schedule(c.rng, len(kinds), faults) {
		f := kinds[k]
		p, s := healthy(t, ctx)
		current = fmt.Sprintf("campaign-%d-%02d", seed, i+1)
		t0 := time.Now()
		target := f.inject(c, p, s)
		t.Logf("fault %d/%d: %s on %s (primary %s)", i+1, faults, f.name, target, p)
		if f.playedOut != nil {
			if _, _, err := l.WaitFor(ctx, t0, faultTimeout, "", f.name+" took effect", f.playedOut(c, p, s, target)); err != nil {
				t.Fatalf("fault %d (%s on %s): %v", i+1, f.name, target, err)
			}
		}
		if f.heal != nil {
			f.heal(c, p, s, target)
		}
		isHealthy := func(cl *Cluster) bool { _, _, ok := cl.Healthy(); return ok }
		var cl *Cluster
		var err error
		if f.operator {
			cl, err = l.Status(ctx, "")
			if err == nil && isHealthy(cl) {
				t.Fatalf("fault %d (%s on %s): healthy without the operator: %s", i+1, f.name, target, cl)
			}
			err = fmt.Errorf("the manual has the operator bring it back")
		} else {
			cl, _, err = l.WaitFor(ctx, t0, rejoinTimeout, "", "PRI + HS:sync after "+f.name, isHealthy)
		}
		procedure := ""
		if err != nil {
			if cl == nil {
				t.Fatalf("fault %d (%s on %s): %v", i+1, f.name, target, err)
			}
			t.Logf("fault %d (%s): no PRI + HS:sync by itself (%s): the operator steps in", i+1, f.name, cl)
			procedure = c.operator(cl)
			if _, _, err = l.WaitFor(ctx, time.Now(), 2*time.Minute, "", "PRI + HS:sync after the operator", isHealthy); err != nil {
				t.Fatalf("fault %d (%s on %s): not back after %q: %v", i+1, f.name, target, procedure, err)
			}
		}
		back := time.Since(t0)
		waitProgress(t, w, "after "+f.name)
		tEnd := time.Now()
		windows = append(windows, [2]time.Time{t0, tEnd})
		r := faultResult{Kind: f.name, Target: target, Back: back, Procedure: procedure,
			Unavailable: unavailable(w.AckTimes(), t0, tEnd), SplitBrain: splitBrain(probe.Rounds(), t0, tEnd)}
		results = append(results, r)
		record("campaign (seed "+strconv.FormatUint(seed, 10)+")", fmt.Sprintf("%d: %s on %s", i+1, f.name, target), back,
			fmt.Sprintf("unavailable %.1fs, split-brain rounds %d, operator: %s", r.Unavailable.Seconds(), r.SplitBrain, orNone(procedure)))
		if r.SplitBrain > 0 {
			c.keepLogs(current)
			t.Errorf("fault %d (%s on %s): %d probe rounds saw two writable primaries", i+1, f.name, target, r.SplitBrain)
		}
	}
	probe.Stop()
	w.Stop()

	// The checker: every node's rows, against what the writer was told.
	acked, inDoubt, errs, connects, _ := w.Result()
	ackAt := w.AckTimes()
	p, s := healthy(t, ctx)
	present := presentIDs(t, ctx, l, p, w.Table)
	onStandby := presentIDs(t, ctx, l, s, w.Table)
	attempted := map[int64]bool{}
	for _, id := range append(append([]int64(nil), acked...), inDoubt...) {
		attempted[id] = true
	}
	var lost, phantom []int64
	for i, id := range acked {
		if !present[id] {
			lost = append(lost, id)
			for j, win := range windows {
				if !ackAt[i].Before(win[0]) && !ackAt[i].After(win[1]) {
					results[j].Lost++
				}
			}
		}
	}
	for id := range present {
		if !attempted[id] {
			phantom = append(phantom, id)
		}
	}
	for id := range present {
		if !onStandby[id] {
			t.Errorf("id %d is on the primary %s but not on the synchronous standby %s", id, p, s)
			break
		}
	}
	committedInDoubt := 0
	for _, id := range inDoubt {
		if present[id] {
			committedInDoubt++
		}
	}
	// In-doubt commits belong to the fault whose window holds the
	// acknowledgement that came next.
	for _, id := range inDoubt {
		for j, win := range windows {
			at := idTime(acked, ackAt, id)
			if !at.Before(win[0]) && !at.After(win[1]) {
				results[j].Unknown++
				if present[id] {
					results[j].Committed++
				}
				break
			}
		}
	}
	rounds := probe.Rounds()
	one := oneWritable(rounds)
	summary := fmt.Sprintf("%d faults: acknowledged %d / lost %d, unknown %d (committed %d), phantom %d, split-brain rounds %d of %d (one writable primary in %d); %d errors, %d connections",
		faults, len(acked), len(lost), len(inDoubt), committedInDoubt, len(phantom), splitBrain(rounds, time.Time{}, time.Now()),
		len(rounds), one, errs, connects)
	if one < len(rounds)/2 {
		t.Errorf("the split-brain probe saw a writable primary in %d of %d rounds only: it does not measure", one, len(rounds))
	}
	record("campaign (seed "+strconv.FormatUint(seed, 10)+")", "checker", 0, summary)
	t.Log(summary)
	tbl := campaignTable(results)
	t.Logf("\n%s", tbl)
	capture(t, "campaign.md", fmt.Sprintf("### Fault campaign, seed %d, %d faults, %s\n\n%s\n%s\n", seed, faults,
		time.Now().UTC().Format("2006-01-02 15:04Z"), summary, tbl))
	reportLost(t, lost)
	if len(phantom) > 0 {
		t.Errorf("rows the writer never sent: %v", phantom[:min(len(phantom), 20)])
	}
}

// idTime is when the first id acknowledged after id was: the moment the
// writer went on after an in-doubt commit.
func idTime(acked []int64, ackAt []time.Time, id int64) time.Time {
	for i, a := range acked {
		if a > id {
			return ackAt[i]
		}
	}
	return time.Now()
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
