// SPDX-License-Identifier: Apache-2.0

package attrd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/pgrex/pgrex/ra/cmdrun"
)

func exitErr(code int, out string) error {
	return &cmdrun.Error{Cmd: "crm_attribute --node=node2", ExitCode: code, Output: out, Err: fmt.Errorf("exit status %d", code)}
}

func TestTransient(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"not connected (102)", exitErr(102, "Could not connect to the CIB: Transport endpoint is not connected"), true},
		{"generic error (1)", exitErr(1, "Error performing operation: Timer expired"), true},
		{"update raced another (103)", exitErr(103, "Update was older than existing configuration"), true},
		{"no quorum (106)", exitErr(106, "Operation requires quorum"), true},
		{"timer expired (124)", exitErr(124, ""), true},
		{"killed at its timeout", &cmdrun.Error{Cmd: "crm_mon", ExitCode: -1, Err: fmt.Errorf("%w after 10s", context.DeadlineExceeded)}, true},
		{"wrapped by the caller", fmt.Errorf("setting pgsql-status: %w", exitErr(102, "")), true},
		{"crm_mon without status", fmt.Errorf("reading cluster status: %w", ErrNoStatus), true},
		{"crm_mon output not XML", fmt.Errorf("parsing crm_mon XML: %w: %w", errUnreadableStatus, errors.New("XML syntax error")), true},
		{"usage error (64)", exitErr(64, "crm_attribute: Unknown option --bogus"), false},
		{"invalid parameter (2)", exitErr(2, ""), false},
		{"insufficient privilege (4)", exitErr(4, ""), false},
		{"no such (105)", exitErr(105, "No such device or address"), false},
		{"unknown node", fmt.Errorf("setting x: %w: Could not map name=node9 to a UUID", ErrUnknownNode), false},
		{"invalid score", fmt.Errorf("%w %q", ErrInvalidScore, "abc"), false},
		{"invalid request", checkAttr("", "x", Reboot), false},
		{"tool missing from PATH", &cmdrun.Error{Cmd: "crm_mon", ExitCode: -1, Err: exec.ErrNotFound}, false},
		{"tool path missing", &cmdrun.Error{Cmd: "/x/crm_mon", ExitCode: -1, Err: &fs.PathError{Op: "fork/exec", Path: "/x/crm_mon", Err: fs.ErrNotExist}}, false},
		{"caller's context ended", context.DeadlineExceeded, false},
		{"unknown error", errors.New("something else"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Transient(tt.err); got != tt.want {
				t.Errorf("Transient(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

// fakeClock is Retry's clock for tests: sleeping advances it at once.
type fakeClock struct {
	t      time.Time
	sleeps []time.Duration
}

func (c *fakeClock) now() time.Time { return c.t }
func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	c.sleeps = append(c.sleeps, d)
	c.t = c.t.Add(d)
	return nil
}

// script fails its first n calls with err, then succeeds; each call takes
// cost on the clock and records the deadline it was given.
type script struct {
	clock     *fakeClock
	n         int
	err       error
	cost      time.Duration
	calls     int
	deadlines []time.Time
}

func (s *script) op(ctx context.Context) error {
	s.calls++
	d, _ := ctx.Deadline()
	s.deadlines = append(s.deadlines, d)
	s.clock.t = s.clock.t.Add(s.cost)
	if s.calls <= s.n {
		return s.err
	}
	return nil
}

func TestRetry(t *testing.T) {
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	transient := exitErr(102, "Transport endpoint is not connected")
	permanent := exitErr(64, "usage")

	run := func(budget time.Duration, p RetryPolicy, s *script) error {
		clock := &fakeClock{t: start}
		s.clock = clock
		p.now, p.sleep = clock.now, clock.sleep
		ctx := context.Background()
		if budget > 0 {
			var cancel context.CancelFunc
			// The real deadline is far away; Retry computes from the
			// fake clock, so give it the fake deadline.
			ctx, cancel = context.WithDeadline(ctx, time.Now().Add(time.Hour))
			defer cancel()
			ctx = fakeDeadline{ctx, start.Add(budget)}
		}
		return Retry(ctx, p, s.op)
	}

	t.Run("success after transient failures", func(t *testing.T) {
		s := &script{n: 3, err: transient, cost: 100 * time.Millisecond}
		var retried []int
		err := run(30*time.Second, RetryPolicy{OnRetry: func(n int, err error, _ time.Duration) { retried = append(retried, n) }}, s)
		if err != nil {
			t.Fatalf("Retry = %v, want success", err)
		}
		if s.calls != 4 {
			t.Errorf("calls = %d, want 4", s.calls)
		}
		if fmt.Sprint(retried) != "[1 2 3]" {
			t.Errorf("OnRetry saw attempts %v", retried)
		}
		if want := start.Add(28 * time.Second); !s.deadlines[0].Equal(want) {
			t.Errorf("attempt deadline %v, want the budget less the 2s reserve (%v)", s.deadlines[0], want)
		}
	})
	t.Run("backoff doubles up to the maximum", func(t *testing.T) {
		s := &script{n: 7, err: transient}
		clock := &fakeClock{t: start}
		s.clock = clock
		ctx := fakeDeadline{context.Background(), start.Add(time.Minute)}
		if err := Retry(ctx, RetryPolicy{now: clock.now, sleep: clock.sleep}, s.op); err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(clock.sleeps); got != "[100ms 200ms 400ms 800ms 1s 1s 1s]" {
			t.Errorf("pauses %s", got)
		}
	})
	t.Run("permanent failure is not retried", func(t *testing.T) {
		s := &script{n: 10, err: permanent}
		err := run(30*time.Second, RetryPolicy{}, s)
		if s.calls != 1 {
			t.Errorf("calls = %d, want 1", s.calls)
		}
		if !errors.Is(err, permanent) {
			t.Errorf("error %v does not wrap the failure", err)
		}
		var re *RetryError
		if errors.As(err, &re) {
			t.Errorf("a permanent failure is reported as retried: %v", err)
		}
	})
	t.Run("persistent failure gives up before the reserve", func(t *testing.T) {
		s := &script{n: 1000, err: transient, cost: 500 * time.Millisecond}
		err := run(10*time.Second, RetryPolicy{}, s)
		var re *RetryError
		if !errors.As(err, &re) || !errors.Is(err, transient) {
			t.Fatalf("error %v, want a RetryError wrapping the last failure", err)
		}
		if end := s.clock.t; end.After(start.Add(8 * time.Second)) {
			t.Errorf("still trying at %s, past the budget less the reserve", end.Sub(start))
		}
		if re.Attempts != s.calls || s.calls < 5 {
			t.Errorf("attempts %d, calls %d", re.Attempts, s.calls)
		}
		if !strings.Contains(err.Error(), "still failing after") || !strings.Contains(err.Error(), "Transport endpoint") {
			t.Errorf("error text %q", err)
		}
	})
	t.Run("small budget keeps half as reserve", func(t *testing.T) {
		s := &script{n: 1000, err: transient, cost: 100 * time.Millisecond}
		_ = run(2*time.Second, RetryPolicy{}, s)
		if want := start.Add(time.Second); !s.deadlines[0].Equal(want) {
			t.Errorf("attempt deadline %v, want %v", s.deadlines[0], want)
		}
	})
	t.Run("one attempt even when the retry deadline has passed", func(t *testing.T) {
		s := &script{n: 1000, err: transient}
		clock := &fakeClock{t: start.Add(time.Minute)}
		s.clock = clock
		ctx := fakeDeadline{context.Background(), start.Add(time.Minute).Add(time.Millisecond)}
		_ = Retry(ctx, RetryPolicy{Reserve: time.Second, now: clock.now, sleep: clock.sleep}, s.op)
		if s.calls != 1 {
			t.Errorf("calls = %d, want 1", s.calls)
		}
	})
	t.Run("MaxAttempts 1 never retries", func(t *testing.T) {
		s := &script{n: 1, err: transient}
		err := run(30*time.Second, RetryPolicy{MaxAttempts: 1}, s)
		if s.calls != 1 || !errors.Is(err, transient) {
			t.Errorf("calls = %d, err = %v", s.calls, err)
		}
	})
	t.Run("no deadline: bounded attempts", func(t *testing.T) {
		s := &script{n: 1000, err: transient}
		err := run(0, RetryPolicy{}, s)
		if s.calls != DefaultAttemptsWithoutDeadline || err == nil {
			t.Errorf("calls = %d, err = %v", s.calls, err)
		}
	})
	t.Run("an attempt cut by the retry deadline keeps the tool's message", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
		defer cancel()
		calls := 0
		err := Retry(ctx, RetryPolicy{Reserve: 100 * time.Millisecond, FirstBackoff: time.Millisecond, MinAttempt: time.Millisecond},
			func(actx context.Context) error {
				calls++
				if calls == 1 {
					return exitErr(1, "Error performing operation: Timer expired")
				}
				<-actx.Done() // a tool that hangs until it is killed
				return &cmdrun.Error{Cmd: "crm_attribute", ExitCode: -1, Err: actx.Err()}
			})
		var re *RetryError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), "Timer expired") {
			t.Errorf("error %v hides the tool's own message", err)
		}
		if ctx.Err() != nil {
			t.Error("Retry used the reserve")
		}
	})
	t.Run("no attempt without MinAttempt left", func(t *testing.T) {
		s := &script{n: 1000, err: transient}
		_ = run(3*time.Second, RetryPolicy{Reserve: time.Second, MinAttempt: 1500 * time.Millisecond}, s)
		// 2s until the retry deadline: after the first pause (0.1s)
		// 1.9s are left, after the second (0.2s) 1.7s; a third pause
		// (0.4s) would leave 1.3s, less than MinAttempt.
		if s.calls != 3 {
			t.Errorf("calls = %d, want 3", s.calls)
		}
	})
	t.Run("a cancelled context stops at once", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		calls := 0
		err := Retry(ctx, RetryPolicy{}, func(context.Context) error {
			calls++
			cancel()
			return transient
		})
		if calls != 1 || !errors.Is(err, transient) {
			t.Errorf("calls = %d, err = %v", calls, err)
		}
	})
}

// fakeDeadline overrides a context's deadline, so Retry's arithmetic runs
// on the fake clock while the context itself never expires.
type fakeDeadline struct {
	context.Context
	d time.Time
}

func (f fakeDeadline) Deadline() (time.Time, bool) { return f.d, true }
