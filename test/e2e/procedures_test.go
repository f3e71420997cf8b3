// SPDX-License-Identifier: Apache-2.0

//go:build e2e

package e2e

// The operator procedures (`pgrex primary-start`, `standby-start`,
// `switchover`, `stop`) run inside the lab nodes as an operator would run
// them there: remote steps over ssh to the peer's sshd on the D-LAN,
// Pacemaker and Corosync started and stopped like systemd would (`lab
// pgrex`, test/lab/sbin/lab-pacemaker). Each test asserts the end state
// the manual's procedure promises and what must not have changed.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// procTimeout bounds one procedure: its waits are 5 min at most each.
const procTimeout = 8 * time.Minute

// pgrexRun runs `pgrex ARGS…` inside node and requires exit status want.
func pgrexRun(t testing.TB, ctx context.Context, l *Lab, node, stdin string, want int, args ...string) string {
	t.Helper()
	t0 := time.Now()
	out, code, err := l.Pgrex(ctx, procTimeout, node, stdin, args...)
	if err != nil {
		t.Fatalf("pgrex %s on %s: %v\n%s", strings.Join(args, " "), node, err, out)
	}
	t.Logf("pgrex %s on %s → exit %d in %.1fs", strings.Join(args, " "), node, code, time.Since(t0).Seconds())
	if code != want {
		t.Fatalf("pgrex %s on %s exited %d, want %d:\n%s", strings.Join(args, " "), node, code, want, out)
	}
	return out
}

// needProcedures skips with the upstream agent: the tools ship with pgrex.
func needProcedures(t *testing.T) *Lab {
	t.Helper()
	l := need(t)
	if l.Heartbeat() {
		t.Skip("the operator tools come with the pgrex agent; LAB_AGENT=ocf:heartbeat:pgsql runs only the fault scenarios")
	}
	return l
}

// oldDataDirs lists the data directories standby-start moved aside on node.
func oldDataDirs(t *testing.T, l *Lab, node string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(l.Run, node, "pg", "data.pgrex-old-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// archiveNames lists node's archive directory: file name → size.
func archiveNames(t *testing.T, l *Lab, node string) map[string]int64 {
	t.Helper()
	dir := filepath.Join(l.Run, node, "pg", "pg_archive")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, e := range ents {
		if fi, err := e.Info(); err == nil {
			out[e.Name()] = fi.Size()
		}
	}
	return out
}

// failoverByKill kills the primary's postmaster and waits until the standby
// is primary and the old primary is STOP/DISCONNECT with PGSQL.lock (fault a).
func failoverByKill(t *testing.T, ctx context.Context, l *Lab, p, s string) {
	t.Helper()
	killPostmaster(t, ctx, l, p)
	if _, _, err := l.WaitFor(ctx, time.Now(), faultTimeout, s, s+" PRI after kill -9 on "+p, func(c *Cluster) bool {
		return promotedOn(c, s) && c.Attr(p, "pgsql-status") == "STOP" && c.Settled()
	}); err != nil {
		t.Fatal(err)
	}
	if !l.LockExists(p) {
		t.Fatalf("no PGSQL.lock on the failed primary %s", p)
	}
}

// rebuildWithTools is the manual's standby rebuild after a failover done by
// the tools on the old primary p (the new primary is s): `pgrex stop`, then
// `pgrex standby-start`. The lock forbids reuse; the lab runs with
// wal_log_hints (test/lab/conf/postgresql.lab.conf), so pg_rewind is offered
// when the WAL since the fork is still there, otherwise a base backup. A
// base backup chosen without being asked for must say why rewind was not.
func rebuildWithTools(t *testing.T, ctx context.Context, l *Lab, scenario, p, s string, extra ...string) {
	t.Helper()
	t0 := time.Now()
	pgrexRun(t, ctx, l, p, "", 0, "stop", "--yes")
	if l.PGRunning(ctx, p) {
		t.Fatalf("PostgreSQL still runs on %s after pgrex stop", p)
	}
	// the failed primary is DISCONNECT: the lock must not go before a rebuild
	if out := pgrexRun(t, ctx, l, p, "", 2, "lock", "clear", "--yes"); !strings.Contains(out, "DISCONNECT") {
		t.Errorf("pgrex lock clear on %s refused without naming DISCONNECT:\n%s", p, out)
	}
	if !l.LockExists(p) {
		t.Fatalf("pgrex lock clear removed the lock of the failed primary %s", p)
	}
	askedBaseBackup := strings.Contains(strings.Join(extra, " "), "--basebackup")
	dry := []string{"standby-start", "--dry-run", "--json"}
	if askedBaseBackup {
		dry = append(dry, "--basebackup")
	}
	out := pgrexRun(t, ctx, l, p, "", 0, dry...)
	var doc struct {
		Decision struct {
			Chosen  string `json:"chosen"`
			Methods []struct {
				Method    string `json:"method"`
				Available bool   `json:"available"`
				Reasons   []struct {
					Code string `json:"code"`
				} `json:"reasons"`
			} `json:"methods"`
		} `json:"decision"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("standby-start --dry-run --json: %v\n%s", err, out)
	}
	chosen := doc.Decision.Chosen
	switch {
	case askedBaseBackup && chosen != "basebackup":
		t.Errorf("standby-start --basebackup on %s chose %q:\n%s", p, chosen, out)
	case chosen != "rewind" && chosen != "basebackup":
		t.Errorf("standby-start on the failed primary %s chose %q, want rewind or basebackup:\n%s", p, chosen, out)
	}
	for _, m := range doc.Decision.Methods {
		if m.Method == "reuse" && m.Available {
			t.Errorf("standby-start offers reuse on %s although PGSQL.lock is there", p)
		}
		if !askedBaseBackup && chosen == "basebackup" && m.Method == "rewind" && (m.Available || len(m.Reasons) == 0) {
			t.Errorf("standby-start chose a base backup on %s without saying why rewind is not possible:\n%s", p, out)
		}
	}
	if !l.LockExists(p) || l.PGRunning(ctx, p) {
		t.Fatalf("--dry-run changed %s (lock %v, PostgreSQL running %v)", p, l.LockExists(p), l.PGRunning(ctx, p))
	}
	primaryArchive := archiveNames(t, l, s)
	before := oldDataDirs(t, l, p)
	args := append([]string{"standby-start", "--yes"}, extra...)
	pgrexRun(t, ctx, l, p, "", 0, args...)
	c, _, err := l.WaitFor(ctx, time.Now(), time.Minute, s, "healthy after standby-start", func(c *Cluster) bool {
		pp, ss, ok := c.Healthy()
		return ok && pp == s && ss == p
	})
	if err != nil {
		t.Fatal(err)
	}
	if l.LockExists(p) {
		t.Errorf("PGSQL.lock still on %s after the rebuild", p)
	}
	after := oldDataDirs(t, l, p)
	removeOld := strings.Contains(strings.Join(extra, " "), "--remove-old-data")
	switch {
	case chosen == "rewind" && len(after) != len(before):
		t.Errorf("pg_rewind rewrites in place, yet old data directories changed on %s: before %v, after %v", p, before, after)
	case chosen == "basebackup" && removeOld && len(after) != len(before):
		t.Errorf("--remove-old-data: the old data was moved aside, not removed: %v", after)
	case chosen == "basebackup" && !removeOld && len(after) != len(before)+1:
		t.Errorf("the old data of %s was not kept aside as data.pgrex-old-*: before %v, after %v", p, before, after)
	}
	mine := archiveNames(t, l, p)
	for name, size := range primaryArchive {
		if !strings.HasSuffix(name, ".history") && !strings.HasSuffix(name, ".partial") {
			continue
		}
		if got, ok := mine[name]; !ok || got != size {
			t.Errorf("the primary's archive file %s (%d bytes) is not in %s's archive (%d, %v)", name, size, p, got, ok)
		}
	}
	for name := range mine {
		if strings.HasPrefix(name, ".pgrex-fetch-") {
			t.Errorf("staging directory %s left in %s's archive", name, p)
		}
	}
	record(scenario, "pgrex stop + standby-start "+strings.Join(append([]string{"--yes"}, extra...), " ")+" on "+p+" ("+chosen+") → HS:sync",
		time.Since(t0), c.String()+" "+lockState(l))
}

// TestOps_StandbyRebuildAfterFailover: fault a, then the manual's standby
// rebuild (4.3) by `pgrex stop` + `pgrex standby-start` on the failed
// primary; a second failover and rebuild with --remove-old-data.
func TestOps_StandbyRebuildAfterFailover(t *testing.T) {
	ctx := scenarioCtx(t)
	l := needProcedures(t)
	p, s := healthy(t, ctx)
	const sc = "ops: standby rebuild after failover"
	failoverByKill(t, ctx, l, p, s)
	rebuildWithTools(t, ctx, l, sc, p, s)
	// and back, removing the old data this time
	failoverByKill(t, ctx, l, s, p)
	rebuildWithTools(t, ctx, l, sc, s, p, "--basebackup", "--remove-old-data")
}

// TestOps_SwitchoverAndBack: `pgrex switchover` on the primary and back
// from the new primary while the zero-loss writer commits through
// vip-master; every acknowledged row must be on the final primary.
func TestOps_SwitchoverAndBack(t *testing.T) {
	ctx := scenarioCtx(t)
	l := needProcedures(t)
	p, s := healthy(t, ctx)
	const sc = "ops: pgrex switchover and back"
	table := fmt.Sprintf("e2e_switchover_%d", time.Now().Unix())
	if _, err := l.PSQL(ctx, 30*time.Second, p, "CREATE TABLE "+table+" (id bigint PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	w := &Writer{Table: table, Interval: 20 * time.Millisecond}
	w.Start(ctx)
	stopped := false
	defer func() {
		if !stopped {
			w.Stop()
		}
	}()
	progress := func(what string) { t.Helper(); waitProgress(t, w, what) }
	progress("before the switchover")
	for _, hop := range [][2]string{{p, s}, {s, p}} {
		from, to := hop[0], hop[1]
		t0 := time.Now()
		out := pgrexRun(t, ctx, l, from, "", 0, "switchover", "--yes")
		c, err := l.Status(ctx, to)
		if err != nil {
			t.Fatal(err)
		}
		pp, ss, ok := c.Healthy()
		if !ok || pp != to || ss != from {
			t.Fatalf("after pgrex switchover on %s: %s (want %s PRI, %s HS:sync)\n%s", from, c, to, from, out)
		}
		for _, b := range c.Bans {
			if strings.HasPrefix(b, "cli-") {
				t.Errorf("move/ban constraint left after the switchover: %v", b)
			}
		}
		if l.LockExists(from) {
			t.Errorf("PGSQL.lock left on the new standby %s", from)
		}
		if !l.LockExists(to) {
			t.Errorf("no PGSQL.lock on the new primary %s", to)
		}
		cons, err := l.Crm(ctx, to, "cibadmin", "--query", "--scope", "constraints")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(cons, `id="cli-`) {
			t.Errorf("a cli- constraint is left in the CIB:\n%s", cons)
		}
		record(sc, "pgrex switchover on "+from+" → "+to+" PRI, "+from+" HS:sync", time.Since(t0), c.String()+" "+lockState(l))
		progress("after the switchover to " + to)
	}
	w.Stop()
	stopped = true
	acked, inDoubt, errs, connects, _ := w.Result()
	lost := lostIDs(acked, presentIDs(t, ctx, l, p, table))
	summary := fmt.Sprintf("acknowledged %d / lost %d (in doubt %d; %d errors, %d connections)",
		len(acked), len(lost), len(inDoubt), errs, connects)
	record(sc, "zero-loss writer through both switchovers", 0, summary)
	t.Log(summary)
	reportLost(t, lost)
}

// TestOps_StopStartAndRefusals: the refusals (exit status, nothing
// changed), then the manual's ordered stop of both nodes (standby first,
// 4.6) and start (primary 4.2, then standby 4.3) with the tools.
func TestOps_StopStartAndRefusals(t *testing.T) {
	ctx := scenarioCtx(t)
	l := needProcedures(t)
	p, s := healthy(t, ctx)
	const sc = "ops: ordered stop and start"
	stillHealthy := func(what string) {
		t.Helper()
		c, err := l.Status(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if pp, ss, ok := c.Healthy(); !ok || pp != p || ss != s {
			t.Fatalf("%s changed the cluster: %s", what, c)
		}
	}
	// switchover on the standby: refused (2)
	out := pgrexRun(t, ctx, l, s, "", 2, "switchover", "--yes")
	if !strings.Contains(out, "not the primary") {
		t.Errorf("switchover on the standby: no reason given:\n%s", out)
	}
	stillHealthy("switchover on the standby")
	// stop on the primary, answered "n": declined (3)
	pgrexRun(t, ctx, l, p, "n\n", 3, "stop")
	stillHealthy("a declined stop")

	// ordered stop from the primary: the standby first
	t0 := time.Now()
	out = pgrexRun(t, ctx, l, p, "", 0, "stop", "--all", "--yes", "--fast")
	is, ip := strings.Index(out, "Stop the standby "+s), strings.Index(out, "Stop the primary "+p)
	if is < 0 || ip < 0 || is > ip {
		t.Errorf("pgrex stop --all did not stop the standby %s before the primary %s:\n%s", s, p, out)
	}
	for _, n := range []string{p, s} {
		if l.PGRunning(ctx, n) {
			t.Errorf("PostgreSQL still runs on %s after pgrex stop --all", n)
		}
		if pid, _ := l.ProcPID(ctx, n, "pacemakerd"); pid != "" {
			t.Errorf("pacemakerd still runs on %s after pgrex stop --all", n)
		}
	}
	record(sc, "pgrex stop --all --yes --fast on "+p, time.Since(t0), lockState(l))

	// standby-start with no primary on the peer: 3
	pgrexRun(t, ctx, l, s, "", 3, "standby-start", "--yes")
	if l.PGRunning(ctx, s) {
		t.Errorf("a refused standby-start started PostgreSQL on %s", s)
	}

	// primary-start on the last primary
	t0 = time.Now()
	pgrexRun(t, ctx, l, p, "", 0, "primary-start", "--yes")
	c, _, err := l.WaitFor(ctx, t0, time.Minute, p, p+" PRI", func(c *Cluster) bool { return promotedOn(c, p) })
	if err != nil {
		t.Fatal(err)
	}
	record(sc, "pgrex primary-start --yes on "+p+" → PRI", time.Since(t0), c.String()+" "+lockState(l))
	// Pacemaker, started alone, fences the node it has not seen (startup
	// fencing): power it on as the operator would.
	fenced := !l.Powered(s)
	if fenced {
		if out, err := l.PowerOn(ctx, s); err != nil {
			t.Fatalf("power-on %s: %v\n%s", s, err, out)
		}
	}
	// a second primary is refused (2)
	out = pgrexRun(t, ctx, l, s, "", 2, "primary-start", "--yes")
	if !strings.Contains(out, "a primary runs on "+p) {
		t.Errorf("primary-start on %s while %s is primary: reason missing:\n%s", s, p, out)
	}
	t0 = time.Now()
	out = pgrexRun(t, ctx, l, s, "", 0, "standby-start", "--yes")
	if !strings.Contains(out, "rejoined") && !strings.Contains(out, "Standby has started") {
		t.Errorf("standby-start output:\n%s", out)
	}
	c, _, err = l.WaitFor(ctx, t0, time.Minute, p, "healthy", func(c *Cluster) bool {
		pp, ss, ok := c.Healthy()
		return ok && pp == p && ss == s
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Chosen: n)") {
		t.Errorf("standby-start after an ordered stop should reuse the data:\n%s", out)
	}
	record(sc, fmt.Sprintf("pgrex standby-start --yes on %s → HS:sync (fenced at the primary's start: %v)", s, fenced),
		time.Since(t0), c.String()+" "+lockState(l))
}

// TestOps_ArchiveClean: the manual's archive deletion (6.2) on the
// primary's archive, with a base backup taken there and the standby's last
// restartpoint: what sorts before the older of the two goes, the rest and
// every timeline history file stay, and the cluster does not notice.
func TestOps_ArchiveClean(t *testing.T) {
	ctx := scenarioCtx(t)
	l := needProcedures(t)
	p, s := healthy(t, ctx)
	const sc = "ops: pgrex archive-clean"
	switchWAL := func(n int) {
		t.Helper()
		for i := 0; i < n; i++ {
			if _, err := l.PSQL(ctx, 30*time.Second, p,
				"CREATE TABLE IF NOT EXISTS e2e_archive (x int); INSERT INTO e2e_archive VALUES (1); SELECT pg_switch_wal()"); err != nil {
				t.Fatal(err)
			}
		}
	}
	switchWAL(3)
	backup := fmt.Sprintf("%s/backup-e2e-%d", PGHome, time.Now().Unix())
	t.Cleanup(func() { _, _ = l.Exec(context.Background(), time.Minute, p, "rm", "-rf", backup) })
	if out, err := l.ExecPG(ctx, 2*time.Minute, p, PGBin+"/pg_basebackup", "-D", backup, "-X", "none", "-c", "fast"); err != nil {
		t.Fatalf("pg_basebackup on %s: %v\n%s", p, err, out)
	}
	switchWAL(2)
	if _, err := l.PSQL(ctx, 30*time.Second, p, "CHECKPOINT"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.PSQL(ctx, 30*time.Second, s, "CHECKPOINT"); err != nil { // a restartpoint on the standby
		t.Fatal(err)
	}
	// everything switched out is archived (bounded wait)
	deadline := time.Now().Add(30 * time.Second)
	for {
		ready, _ := filepath.Glob(filepath.Join(l.Run, p, "pg", "data", "pg_wal", "archive_status", "*.ready"))
		if len(ready) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d WAL files still not archived on %s after 30 s", len(ready), p)
		}
		time.Sleep(500 * time.Millisecond)
	}
	cd, err := l.ExecPG(ctx, 20*time.Second, s, PGBin+"/pg_controldata", "-D", PGData)
	if err != nil {
		t.Fatal(err)
	}
	var tli, redo string
	for _, line := range strings.Split(cd, "\n") {
		k, v, _ := strings.Cut(line, ":")
		switch strings.TrimSpace(k) {
		case "Latest checkpoint's TimeLineID":
			tli = strings.TrimSpace(v)
		case "Latest checkpoint's REDO location":
			redo = strings.TrimSpace(v)
		}
	}
	if tli == "" || redo == "" {
		t.Fatalf("pg_controldata on %s: no checkpoint timeline/REDO:\n%s", s, cd)
	}
	label, err := os.ReadFile(filepath.Join(l.Run, p, "pg", filepath.Base(backup), "backup_label"))
	if err != nil {
		t.Fatal(err)
	}
	var startWAL string
	if _, after, ok := strings.Cut(string(label), "(file "); ok {
		startWAL, _, _ = strings.Cut(after, ")")
	}
	if len(startWAL) != 24 {
		t.Fatalf("backup_label: no START WAL file:\n%s", label)
	}
	before := archiveNames(t, l, p)
	t0 := time.Now()
	out := pgrexRun(t, ctx, l, p, "", 0, "archive-clean", "--archive", PGHome+"/pg_archive", "--backup", backup,
		"--standby-redo", tli+":"+redo, "--yes", "--json")
	var doc struct {
		Plan struct {
			Cutoff string `json:"cutoff"`
		} `json:"plan"`
		Result *struct {
			Deleted []string `json:"deleted"`
		} `json:"result"`
	}
	// stdout's JSON document comes first; the log lines on stderr follow it
	if err := json.NewDecoder(strings.NewReader(out)).Decode(&doc); err != nil {
		t.Fatalf("archive-clean --json: %v\n%s", err, out)
	}
	if doc.Result == nil || len(doc.Result.Deleted) == 0 {
		t.Fatalf("archive-clean deleted nothing although %d segments precede the base backup:\n%s", 3, out)
	}
	cut := doc.Plan.Cutoff
	if len(cut) != 24 || cut > startWAL {
		t.Errorf("cutoff %q is later than the base backup's start %s", cut, startWAL)
	}
	after := archiveNames(t, l, p)
	isSeg := func(n string) bool { return len(n) == 24 && strings.Trim(n, "0123456789ABCDEF") == "" }
	for name := range before {
		_, kept := after[name]
		switch {
		case strings.HasSuffix(name, ".history") && !kept:
			t.Errorf("timeline history %s was deleted", name)
		case isSeg(name) && name < cut && kept:
			t.Errorf("%s sorts before the cutoff %s and was kept", name, cut)
		case isSeg(name) && name >= cut && !kept:
			t.Errorf("%s is needed (cutoff %s) and was deleted", name, cut)
		}
	}
	if _, ok := after[startWAL]; !ok {
		if _, ok := before[startWAL]; ok {
			t.Errorf("the base backup's first WAL file %s was deleted", startWAL)
		}
	}
	c, err := l.Status(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if pp, ss, ok := c.Healthy(); !ok || pp != p || ss != s {
		t.Errorf("the cluster changed after archive-clean: %s", c)
	}
	record(sc, fmt.Sprintf("on %s: cutoff %s (backup starts %s, standby REDO %s:%s), %d deleted, %d kept",
		p, cut, startWAL, tli, redo, len(doc.Result.Deleted), len(after)), time.Since(t0), c.String())
}

// TestOps_LockClearAsksThePeer: `pgrex lock clear` on a node whose
// Pacemaker is stopped reads its own on-disk CIB, which still says LATEST
// as the node left it. Refused when the peer was promoted after this node
// left (corosync killed on the primary: fenced, the standby promoted);
// accepted when the peer, asked over ssh, is a stopped standby on the same
// timeline (the standby stopped first, then the primary powered off).
func TestOps_LockClearAsksThePeer(t *testing.T) {
	ctx := scenarioCtx(t)
	l := needProcedures(t)
	p, s := healthy(t, ctx)
	const sc = "ops: lock clear asks the peer"

	// Refusal: p leaves abruptly, s is promoted after it left.
	t0 := killCorosync(t, ctx, l, p)
	if _, _, err := l.WaitFor(ctx, t0, faultTimeout, s, p+" fenced, "+s+" PRI", func(c *Cluster) bool {
		return promotedOn(c, s) && !c.Online[p] && c.Settled()
	}); err != nil {
		t.Fatal(err)
	}
	if !l.Powered(p) {
		if out, err := l.PowerOn(ctx, p); err != nil {
			t.Fatalf("power-on %s: %v\n%s", p, err, out)
		}
	}
	if !l.LockExists(p) {
		t.Fatalf("no PGSQL.lock on the old primary %s", p)
	}
	out := pgrexRun(t, ctx, l, p, "", 2, "lock", "clear", "--yes")
	if !strings.Contains(out, s+" runs as primary") || !strings.Contains(out, "Refusing to remove") {
		t.Errorf("lock clear on %s after %s was promoted: reason missing:\n%s", p, s, out)
	}
	if !l.LockExists(p) {
		t.Fatalf("pgrex lock clear removed the lock of %s although %s was promoted after it left", p, s)
	}
	record(sc, "pgrex lock clear on "+p+" after "+s+" was promoted → refused (exit 2)", time.Since(t0), lockState(l))
	// back to healthy: p rejoins as standby (a base backup: the lock forbids reuse)
	pgrexRun(t, ctx, l, p, "", 0, "standby-start", "--yes")
	p, s = healthy(t, ctx)

	// Acceptance: the standby stops first, then the primary loses power;
	// the standby is asked and is not ahead.
	pgrexRun(t, ctx, l, s, "", 0, "stop", "--yes")
	if out, err := l.PowerOff(ctx, p); err != nil {
		t.Fatalf("power-off %s: %v\n%s", p, err, out)
	}
	if out, err := l.PowerOn(ctx, p); err != nil {
		t.Fatalf("power-on %s: %v\n%s", p, err, out)
	}
	if !l.LockExists(p) {
		t.Fatalf("no PGSQL.lock on the powered-off primary %s", p)
	}
	t0 = time.Now()
	out = pgrexRun(t, ctx, l, p, "", 0, "lock", "clear", "--yes")
	if !strings.Contains(out, "the peer "+s+" was asked") || l.LockExists(p) {
		t.Errorf("lock clear on %s with %s a stopped standby: lock there %v\n%s", p, s, l.LockExists(p), out)
	}
	record(sc, "pgrex lock clear on "+p+" with "+s+" a stopped standby → removed", time.Since(t0), lockState(l))
	// back to healthy: p as primary, s as its standby
	pgrexRun(t, ctx, l, p, "", 0, "primary-start", "--yes")
	if _, _, err := l.WaitFor(ctx, time.Now(), time.Minute, p, p+" PRI", func(c *Cluster) bool { return promotedOn(c, p) }); err != nil {
		t.Fatal(err)
	}
	if !l.Powered(s) {
		if out, err := l.PowerOn(ctx, s); err != nil {
			t.Fatalf("power-on %s: %v\n%s", s, err, out)
		}
	}
	pgrexRun(t, ctx, l, s, "", 0, "standby-start", "--yes")
	healthy(t, ctx)
}
