// SPDX-License-Identifier: Apache-2.0

package procedure

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/status"
	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/test/fixtures"
)

// crmMonSequence answers crm_mon with the fixtures in turn (the last one
// forever) and pgrep with "not running"; everything else succeeds.
func crmMonSequence(t *testing.T, captures ...string) func(Command) (cmdrun.Result, error) {
	i := 0
	return func(c Command) (cmdrun.Result, error) {
		switch c.Argv[0] {
		case "crm_mon":
			name := captures[min(i, len(captures)-1)]
			i++
			if name == "" {
				return exit(102, "crm_mon: Error: cluster is not available on this node")
			}
			return ok(string(fixtures.Read(t, name)))
		case "pgrep":
			return exit(1, "")
		}
		return ok("")
	}
}

func newApplier(ex *fakeExec, clock *fakeClock) *Applier {
	return &Applier{Exec: ex, Waiter: &Waiter{Exec: ex, Clock: clock, Status: status.Options{},
		PGRunning: func() (bool, error) { return false, nil }}}
}

// A standby start by base backup runs exactly these calls, in order.
func TestApplyStandbyBaseBackup(t *testing.T) {
	s, l, p := standbyWorld(t)
	l.Lock.Exists = true
	d := DecideStandbyStart(s, l, p, StandbyOptions{Stamp: "T"})
	ex := &fakeExec{respond: crmMonSequence(t, "", "pgrex-standby-node-stopped.xml", "pgrex-healthy.xml")}
	clock := newClock()
	a := newApplier(ex, clock)
	var asked []string
	a.Confirm = func(_ int, st Step) bool { asked = append(asked, st.Code); return true }
	if err := a.Apply(context.Background(), d.Plan); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"MoveAside /var/lib/pgsql/data /var/lib/pgsql/data.pgrex-old-T",
		"Mkdir /var/lib/pgsql/data postgres 700",
		"Run (as postgres) /usr/lib/postgresql/15/bin/pg_basebackup --pgdata=/var/lib/pgsql/data --host=192.0.2.80 --port=5432 --username=repuser --no-password --wal-method=stream --checkpoint=fast --progress",
		"RemoveFile /var/lib/pgsql/tmp/PGSQL.lock",
		"Mkdir /var/lib/pgsql/pg_archive/.pgrex-fetch-T  700",
		"Run scp -p -q -o BatchMode=yes -o ConnectTimeout=10 -o ServerAliveInterval=10 192.0.2.71:/var/lib/pgsql/pg_archive/000000030000000000000004 /var/lib/pgsql/pg_archive/.pgrex-fetch-T/",
		"InstallArchive /var/lib/pgsql/pg_archive/.pgrex-fetch-T /var/lib/pgsql/pg_archive 000000030000000000000004 postgres",
		"Run systemctl start pacemaker",
		"Run crm_mon --one-shot --show-node-attributes --failcounts --output-as=xml",
		"Run crm_mon --one-shot --show-node-attributes --failcounts --output-as=xml",
		"Run crm_mon --one-shot --show-node-attributes --failcounts --output-as=xml",
	}
	if got := ex.log(); !slices.Equal(got, want) {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !slices.Equal(asked, []string{"move-data-aside", "remove-lock"}) {
		t.Errorf("confirmations asked for %v", asked)
	}
	if clock.sleeps != 2 {
		t.Errorf("slept %d times, want 2 (three polls)", clock.sleeps)
	}
}

// "No" at the first destructive step: nothing at all ran.
func TestApplyDeclinedRunsNothing(t *testing.T) {
	s, l, p := standbyWorld(t)
	l.Lock.Exists = true
	d := DecideStandbyStart(s, l, p, StandbyOptions{Stamp: "T"})
	ex := &fakeExec{}
	a := newApplier(ex, newClock())
	var events []EventKind
	a.Progress = func(ev Event) { events = append(events, ev.Kind) }
	a.Confirm = func(int, Step) bool { return false }
	if err := a.Apply(context.Background(), d.Plan); !errors.Is(err, ErrDeclined) {
		t.Fatalf("err %v", err)
	}
	if len(ex.calls) != 0 || !slices.Equal(events, []EventKind{EventDeclined}) {
		t.Errorf("calls %v events %v", ex.log(), events)
	}
}

// "No" at the lock removal after the rebuild: the rebuild stays, the lock
// stays, Pacemaker is not started.
func TestApplyDeclinedLater(t *testing.T) {
	s, l, p := standbyWorld(t)
	l.Lock.Exists = true
	d := DecideStandbyStart(s, l, p, StandbyOptions{Stamp: "T"})
	ex := &fakeExec{}
	a := newApplier(ex, newClock())
	a.Confirm = func(_ int, st Step) bool { return st.Code != "remove-lock" }
	if err := a.Apply(context.Background(), d.Plan); !errors.Is(err, ErrDeclined) {
		t.Fatalf("err %v", err)
	}
	got := ex.log()
	if len(got) != 3 || !strings.HasPrefix(got[2], "Run (as postgres) /usr/lib/postgresql/15/bin/pg_basebackup") {
		t.Errorf("calls %v", got)
	}
}

// A failed step stops the plan; a failed CHECKPOINT does not.
func TestApplyFailure(t *testing.T) {
	s := testSettings()
	d := DecideStop(s, ClusterFacts{PacemakerRunning: true, PostgresRunning: true, Cluster: model(t, "pgrex-healthy.xml")}, StopOptions{})
	ex := &fakeExec{respond: func(c Command) (cmdrun.Result, error) {
		switch c.Argv[0] {
		case s.PSQL:
			return exit(2, "psql: error: connection refused")
		case "systemctl":
			return exit(1, "Failed to stop pacemaker.service: Access denied")
		}
		return exit(1, "")
	}}
	a := newApplier(ex, newClock())
	var events []Event
	a.Progress = func(ev Event) { events = append(events, ev) }
	err := a.Apply(context.Background(), d.Plan)
	var se *StepError
	if !errors.As(err, &se) || se.Step.Code != "stop-primary-failover" || !strings.Contains(se.Output, "Access denied") {
		t.Fatalf("err %v", err)
	}
	if n := len(ex.calls); n != 2 {
		t.Errorf("calls %v: the wait after a failed stop must not run", ex.log())
	}
	var kinds []EventKind
	for _, ev := range events {
		kinds = append(kinds, ev.Kind)
	}
	if !slices.Equal(kinds, []EventKind{EventStart, EventWarning, EventStart, EventFailed}) {
		t.Errorf("events %v", kinds)
	}
}

// Waits are bounded and poll with the injected clock: a primary that
// never comes is a timeout after the configured time, with the number of
// polls the interval gives.
func TestWaitTimeout(t *testing.T) {
	ex := &fakeExec{respond: crmMonSequence(t, "pgrex-no-primary.xml")}
	clock := newClock()
	w := &Waiter{Exec: ex, Clock: clock}
	var evs []WaitEvent
	start := time.Now()
	err := w.Wait(context.Background(), WaitSpec{Kind: WaitPrimary, Node: "node1", Timeout: 10 * time.Second}, func(ev WaitEvent) { evs = append(evs, ev) })
	var te *TimeoutError
	if !errors.As(err, &te) || te.Elapsed != 10*time.Second || !strings.Contains(te.State, "node1") {
		t.Fatalf("err %v", err)
	}
	if len(ex.calls) != 6 || clock.sleeps != 5 {
		t.Errorf("%d polls, %d sleeps; want 6 and 5", len(ex.calls), clock.sleeps)
	}
	if !evs[0].Changed || evs[1].Changed {
		t.Errorf("changed flags %+v", evs)
	}
	if time.Since(start) > time.Second {
		t.Error("the wait slept for real")
	}
}

// A pgsql failure recorded since the wait began ends it at once; one
// from before the wait is ignored.
func TestWaitResourceFailure(t *testing.T) {
	clock := newClock()
	// pgrex-lock-start-failure.xml: node1's start refused at 2026-11-22 04:49…
	clock.now = time.Date(2026, 11, 22, 4, 40, 0, 0, time.UTC)
	ex := &fakeExec{respond: crmMonSequence(t, "pgrex-lock-start-failure.xml")}
	w := &Waiter{Exec: ex, Clock: clock}
	err := w.Wait(context.Background(), WaitSpec{Kind: WaitStandby, Node: "node1", Timeout: time.Minute}, nil)
	var rf *ResourceFailedError
	if !errors.As(err, &rf) || rf.Node != "node1" || len(ex.calls) != 1 {
		t.Fatalf("err %v after %d polls", err, len(ex.calls))
	}

	clock.now = time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC) // the failure is older than the wait
	ex = &fakeExec{respond: crmMonSequence(t, "pgrex-lock-start-failure.xml")}
	w.Exec = ex
	err = w.Wait(context.Background(), WaitSpec{Kind: WaitStandby, Node: "node1", Timeout: 4 * time.Second}, nil)
	if !errors.As(err, new(*TimeoutError)) {
		t.Errorf("old failure: err %v", err)
	}
}

func TestWaitStopped(t *testing.T) {
	pgrep := 0
	ex := &fakeExec{respond: func(c Command) (cmdrun.Result, error) {
		pgrep++
		if pgrep < 3 {
			return ok("4242\n")
		}
		return exit(1, "")
	}}
	pgRuns := 2
	w := &Waiter{Exec: ex, Clock: newClock(), PGRunning: func() (bool, error) { pgRuns--; return pgRuns >= 0, nil }}
	var states []string
	err := w.Wait(context.Background(), WaitSpec{Kind: WaitStopped, Node: "node1", Timeout: time.Minute}, func(ev WaitEvent) {
		if ev.Changed {
			states = append(states, ev.State)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"node1: pacemakerd still runs", "node1: Pacemaker stopped, PostgreSQL still runs", "node1: Pacemaker stopped"}
	if !slices.Equal(states, want) {
		t.Errorf("states %q", states)
	}

	// Remote: pgrep over ssh; PostgreSQL there is not looked at.
	ex = &fakeExec{respond: func(c Command) (cmdrun.Result, error) { return exit(1, "") }}
	w = &Waiter{Exec: ex, Clock: newClock(), PGRunning: func() (bool, error) { t.Error("local PostgreSQL asked"); return true, nil }}
	if err := w.Wait(context.Background(), WaitSpec{Kind: WaitStopped, Host: "192.0.2.72", Node: "node2", Timeout: time.Minute}, nil); err != nil {
		t.Fatal(err)
	}
	if c := ex.calls[0].Cmd; c.Host != "192.0.2.72" || !slices.Equal(c.Argv, PacemakerProbe) {
		t.Errorf("probe %+v", c)
	}
}

// A switchover's wait: node1 is still primary in the first report (real
// lab captures); the second shows node2 PRI/LATEST with vip-rep.
func TestWaitPrimaryAfterSwitch(t *testing.T) {
	ex := &fakeExec{respond: crmMonSequence(t, "crm_mon-healthy.xml", "crm_mon-switchover-ban.xml", "pgrex-no-primary.xml")}
	w := &Waiter{Exec: ex, Clock: newClock()}
	if err := w.Wait(context.Background(), WaitSpec{Kind: WaitPrimary, Node: "node2", Timeout: time.Minute}, nil); err != nil {
		t.Fatal(err)
	}
	if len(ex.calls) != 2 {
		t.Errorf("%d polls", len(ex.calls))
	}
}

func TestWaitNeedsTimeout(t *testing.T) {
	w := &Waiter{Exec: &fakeExec{}, Clock: newClock()}
	if err := w.Wait(context.Background(), WaitSpec{Kind: WaitPrimary, Node: "x"}, nil); err == nil {
		t.Error("an unbounded wait was accepted")
	}
}

// A cancelled context ends a wait.
func TestWaitCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w := &Waiter{Exec: &fakeExec{respond: crmMonSequence(t, "pgrex-no-primary.xml")}, Clock: newClock()}
	if err := w.Wait(ctx, WaitSpec{Kind: WaitPrimary, Node: "node1", Timeout: time.Hour}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("err %v", err)
	}
}

// A refused decision runs nothing, whatever its plan holds.
func TestApplyRefusedDecision(t *testing.T) {
	l, p := primaryWorld()
	p.PacemakerRunning = true
	p.Cluster = model(t, "crm_mon-healthy-node2-primary.xml")
	d := DecidePrimaryStart(testSettings(), l, p, PrimaryOptions{})
	d.Plan.Steps = append(d.Plan.Steps, startPacemaker(testSettings()))
	ex := &fakeExec{}
	if err := newApplier(ex, newClock()).ApplyDecision(context.Background(), d); !errors.Is(err, ErrRefused) || len(ex.calls) != 0 {
		t.Errorf("err %v, calls %v", err, ex.log())
	}
}

// "Completed" means settled: the real capture where pgsql is already
// PRI/LATEST on node2 but vip-rep is still Starting there does not end the
// wait; the next report, with vip-rep Started, does.
func TestWaitSettles(t *testing.T) {
	ex := &fakeExec{respond: crmMonSequence(t, "crm_mon-after-kill9-primary.xml", "crm_mon-healthy-node2-primary.xml")}
	w := &Waiter{Exec: ex, Clock: newClock()}
	var states []string
	err := w.Wait(context.Background(), WaitSpec{Kind: WaitPrimary, Node: "node2", Timeout: time.Minute}, func(ev WaitEvent) {
		states = append(states, ev.State)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ex.calls) != 2 || !strings.Contains(states[0], "not settled: vip-rep Starting on node2") {
		t.Errorf("%d polls, states %q", len(ex.calls), states)
	}

	// Never settling is a timeout that says what was under way.
	ex = &fakeExec{respond: crmMonSequence(t, "crm_mon-after-kill9-primary.xml")}
	w = &Waiter{Exec: ex, Clock: newClock()}
	err = w.Wait(context.Background(), WaitSpec{Kind: WaitPrimary, Node: "node2", Timeout: 10 * time.Second}, nil)
	var te *TimeoutError
	if !errors.As(err, &te) || !strings.Contains(te.Error(), "vip-rep Starting") {
		t.Errorf("err %v", err)
	}
}
