// SPDX-License-Identifier: Apache-2.0

package attrd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"time"

	"github.com/pgrex/pgrex/ra/cmdrun"
)

// permanentExit are the Pacemaker exit codes (crm_exit_t) that say the
// request itself is wrong or the tool cannot work on this node: a repeat
// gets the same answer. Every other exit — 1 "Error performing operation",
// 102 not connected, 103 an update raced another, 106 no quorum, 124
// timer expired, a kill by our own timeout — describes the cluster's state
// at that moment and may clear by itself.
var permanentExit = map[int]bool{
	2:   true, // CRM_EX_INVALID_PARAM
	3:   true, // CRM_EX_UNIMPLEMENT_FEATURE
	4:   true, // CRM_EX_INSUFFICIENT_PRIV
	5:   true, // CRM_EX_NOT_INSTALLED
	64:  true, // CRM_EX_USAGE
	65:  true, // CRM_EX_DATAERR
	66:  true, // CRM_EX_NOINPUT
	67:  true, // CRM_EX_NOUSER
	68:  true, // CRM_EX_NOHOST
	76:  true, // CRM_EX_PROTOCOL (crm_attribute: bad lifetime/type)
	77:  true, // CRM_EX_NOPERM
	78:  true, // CRM_EX_CONFIG
	105: true, // CRM_EX_NOSUCH (absent attributes are not errors; see notFound)
	108: true, // CRM_EX_EXISTS
	109: true, // CRM_EX_MULTIPLE
	126: true, // not executable
	127: true, // not found (through a wrapper script)
}

// Transient reports whether a failed CRM call may succeed when repeated:
// the tool ran (or was killed by its timeout) and reported a condition of
// the cluster, not of the request. Permanent are: a request refused before
// anything ran (ErrInvalidRequest, ErrInvalidScore), a node unknown to the
// cluster (ErrUnknownNode: a misspelt node_list entry must be noticed, not
// retried), an exit code in permanentExit, a tool that cannot be executed,
// and the caller's own context ending. A crm_mon answer without cluster
// status (ErrNoStatus, or XML cut short) is transient: crm_mon prints that
// while the CIB connection is being re-established.
func Transient(err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, ErrInvalidRequest), errors.Is(err, ErrInvalidScore), errors.Is(err, ErrUnknownNode):
		return false
	}
	var ce *cmdrun.Error
	if errors.As(err, &ce) {
		if ce.ExitCode >= 0 {
			return !permanentExit[ce.ExitCode]
		}
		if errors.Is(ce.Err, exec.ErrNotFound) || errors.Is(ce.Err, fs.ErrNotExist) || errors.Is(ce.Err, fs.ErrPermission) {
			return false
		}
		// Killed at its own timeout (the cluster was busy), or by a
		// signal: both may pass.
		return true
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false // the caller's budget is gone, not the cluster
	}
	return errors.Is(err, ErrNoStatus) || errors.Is(err, errUnreadableStatus)
}

// errUnreadableStatus marks crm_mon output that is not XML at all (a tool
// killed mid-write); see Snapshot.
var errUnreadableStatus = errors.New("crm_mon output is not XML")

// Retry defaults.
const (
	// DefaultRetryReserve is the part of the caller's deadline Retry never
	// uses, so the caller can still report why it gave up (and finish the
	// rest of its work) before Pacemaker's timeout.
	DefaultRetryReserve = 2 * time.Second
	// Backoff doubles from DefaultFirstBackoff up to DefaultMaxBackoff,
	// the one-second pace of the shell agent's retry loop.
	DefaultFirstBackoff = 100 * time.Millisecond
	DefaultMaxBackoff   = time.Second
	// DefaultAttemptsWithoutDeadline bounds a caller whose context has no
	// deadline (the agent always has one).
	DefaultAttemptsWithoutDeadline = 5
	// DefaultMinAttempt is the least time a repeated attempt gets before
	// the retry deadline: a Pacemaker tool needs tens of milliseconds even
	// when the cluster is healthy, and an attempt cut short says nothing.
	DefaultMinAttempt = 500 * time.Millisecond
)

// RetryPolicy says how long Retry keeps trying. The zero value uses the
// defaults above.
type RetryPolicy struct {
	// Reserve is kept free before the context's deadline; when less than
	// twice the reserve remains, half of what remains is kept instead.
	Reserve time.Duration
	// FirstBackoff and MaxBackoff shape the pause between attempts.
	FirstBackoff, MaxBackoff time.Duration
	// MaxAttempts, when > 0, caps the attempts (1 = no retry at all).
	MaxAttempts int
	// MinAttempt: no attempt is repeated unless this much time is left
	// before the retry deadline after the pause.
	MinAttempt time.Duration
	// OnRetry, when set, is told about every failure that will be
	// retried: the attempt that failed (1-based), its error, and the
	// pause before the next one.
	OnRetry func(attempt int, err error, wait time.Duration)

	// now and sleep are the clock, replaceable by tests.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// RetryError is what Retry returns when it gives up on a transient failure:
// the last failure, and how long and how often it tried. Last is the last
// failure the tool itself reported; an attempt that Retry's own deadline
// cut short replaces it only when no attempt said more.
type RetryError struct {
	Attempts int
	Elapsed  time.Duration
	Last     error
}

func (e *RetryError) Error() string {
	return fmt.Sprintf("%v (still failing after %d attempts in %s)", e.Last, e.Attempts, e.Elapsed.Round(100*time.Millisecond))
}

func (e *RetryError) Unwrap() error { return e.Last }

// Retry runs op until it succeeds, fails permanently (see Transient), or the
// retry deadline — ctx's deadline less the reserve — leaves no room for
// another attempt. Every attempt runs under a context ending at that retry
// deadline, so a hanging tool is cut short with the reserve intact. op runs
// at least once: if the retry deadline has already passed, that one attempt
// gets ctx itself. A permanent failure is returned as is, a transient one
// that outlived the deadline as a *RetryError wrapping it.
func Retry(ctx context.Context, p RetryPolicy, op func(ctx context.Context) error) error {
	now, sleep := p.now, p.sleep
	if now == nil {
		now = time.Now
	}
	if sleep == nil {
		sleep = sleepCtx
	}
	first, maxWait, minAttempt := p.FirstBackoff, p.MaxBackoff, p.MinAttempt
	if first <= 0 {
		first = DefaultFirstBackoff
	}
	if maxWait <= 0 {
		maxWait = DefaultMaxBackoff
	}
	if minAttempt <= 0 {
		minAttempt = DefaultMinAttempt
	}
	start := now()
	limit := p.MaxAttempts
	end, hasDeadline := ctx.Deadline()
	if hasDeadline {
		reserve := p.Reserve
		if reserve <= 0 {
			reserve = DefaultRetryReserve
		}
		if left := end.Sub(start); left < 2*reserve {
			reserve = left / 2
		}
		end = end.Add(-reserve)
	} else if limit <= 0 {
		limit = DefaultAttemptsWithoutDeadline
	}

	wait := first
	var last error // the last failure not caused by our own deadline
	giveUp := func(attempt int, err error) error {
		if last == nil {
			last = err
		}
		return &RetryError{Attempts: attempt, Elapsed: now().Sub(start), Last: last}
	}
	for attempt := 1; ; attempt++ {
		actx, cancel := ctx, context.CancelFunc(func() {})
		if hasDeadline && now().Before(end) {
			actx, cancel = context.WithDeadline(ctx, end)
		}
		err := op(actx)
		cut := actx.Err() != nil && ctx.Err() == nil
		cancel()
		if err == nil {
			return nil
		}
		if !cut {
			last = err
		}
		if !Transient(err) || ctx.Err() != nil {
			if attempt == 1 {
				return err
			}
			return giveUp(attempt, err)
		}
		if (limit > 0 && attempt >= limit) || (hasDeadline && now().Add(wait+minAttempt).After(end)) {
			return giveUp(attempt, err)
		}
		if p.OnRetry != nil {
			p.OnRetry(attempt, err, wait)
		}
		if serr := sleep(ctx, wait); serr != nil {
			return giveUp(attempt, err)
		}
		wait = min(2*wait, maxWait)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d): // unreferenced timers are collected (Go 1.23+)
		return nil
	}
}
