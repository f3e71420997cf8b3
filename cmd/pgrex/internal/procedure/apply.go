// SPDX-License-Identifier: Apache-2.0

package procedure

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
)

// ErrDeclined is returned when the operator answered no to a destructive
// step; nothing of that step or after it ran.
var ErrDeclined = errors.New("declined at the prompt")

// ErrRefused is returned by ApplyDecision for a refused decision; nothing
// ran.
var ErrRefused = errors.New("refused by a safety check")

// StepError is a step that failed; the steps before it were done.
type StepError struct {
	Index int
	Step  Step
	Err   error
	// Output is what the command printed, for the operator.
	Output string
}

func (e *StepError) Error() string {
	return fmt.Sprintf("step %d (%s): %v", e.Index+1, Describe(e.Step), e.Err)
}

func (e *StepError) Unwrap() error { return e.Err }

// EventKind says what an Event reports.
type EventKind string

// Events of Apply.
const (
	EventStart    EventKind = "start"    // a step begins
	EventDone     EventKind = "done"     // it succeeded
	EventWarning  EventKind = "warning"  // it failed and IgnoreError let the plan go on
	EventFailed   EventKind = "failed"   // it failed; Apply returns
	EventWait     EventKind = "wait"     // a wait polled (Wait holds the poll)
	EventDeclined EventKind = "declined" // the operator said no
)

// Event is one thing Apply tells its caller.
type Event struct {
	Kind  EventKind
	Index int
	Step  Step
	Err   error
	Wait  WaitEvent
	// Output is the command's output (failed or ignored commands).
	Output string
}

// Applier runs plans.
type Applier struct {
	Exec   Executor
	Waiter *Waiter
	// Confirm asks the operator before a destructive step; nil means the
	// operator said yes to everything (--yes).
	Confirm func(index int, s Step) bool
	// Progress, when set, is told about every step and poll.
	Progress func(Event)
}

func (a *Applier) tell(ev Event) {
	if a.Progress != nil {
		a.Progress(ev)
	}
}

// ApplyDecision applies d's plan, or nothing at all when d was refused.
func (a *Applier) ApplyDecision(ctx context.Context, d Decision) error {
	if d.Refused() {
		return ErrRefused
	}
	return a.Apply(ctx, d.Plan)
}

// Apply runs the plan's steps in order and stops at the first failure (a
// step with IgnoreError only warns) or at the first "no". It never runs a
// step after one that failed.
func (a *Applier) Apply(ctx context.Context, p Plan) error {
	for i, s := range p.Steps {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("before step %d: %w", i+1, err)
		}
		if s.Destructive && a.Confirm != nil && !a.Confirm(i, s) {
			a.tell(Event{Kind: EventDeclined, Index: i, Step: s})
			return ErrDeclined
		}
		a.tell(Event{Kind: EventStart, Index: i, Step: s})
		out, err := a.run(ctx, i, s)
		switch {
		case err == nil:
			a.tell(Event{Kind: EventDone, Index: i, Step: s})
		case s.IgnoreError:
			a.tell(Event{Kind: EventWarning, Index: i, Step: s, Err: err, Output: out})
		default:
			a.tell(Event{Kind: EventFailed, Index: i, Step: s, Err: err, Output: out})
			return &StepError{Index: i, Step: s, Err: err, Output: out}
		}
	}
	return nil
}

func (a *Applier) run(ctx context.Context, i int, s Step) (string, error) {
	switch s.Kind {
	case KindRun:
		if s.Cmd == nil {
			return "", errors.New("no command")
		}
		res, err := a.Exec.Run(ctx, *s.Cmd)
		if err != nil {
			return strings.TrimSpace(string(res.Stderr) + "\n" + string(res.Stdout)), err
		}
		return "", nil
	case KindRemoveFile:
		_, err := a.Exec.RemoveFile(s.Path)
		return "", err
	case KindMoveAside:
		return "", a.Exec.MoveAside(s.Path, s.To)
	case KindRemoveTree:
		return "", a.Exec.RemoveTree(s.Path)
	case KindMkdir:
		return "", a.Exec.Mkdir(s.Path, s.User, s.Mode)
	case KindInstallArchive:
		return "", a.Exec.InstallArchive(s.Path, s.To, s.Files, s.User)
	case KindWait:
		if s.Wait == nil || a.Waiter == nil {
			return "", errors.New("nothing to wait with")
		}
		return "", a.Waiter.Wait(ctx, *s.Wait, func(ev WaitEvent) {
			a.tell(Event{Kind: EventWait, Index: i, Step: s, Wait: ev})
		})
	}
	return "", fmt.Errorf("unknown step kind %q", s.Kind)
}

// ApplyInterruptibly is ApplyDecision with an interrupt (Ctrl-C): it
// ends a wait, but never interrupts a step that changes something;
// ignored is told of each interrupt that is not honoured.
func (a *Applier) ApplyInterruptibly(ctx context.Context, d Decision, interrupt <-chan os.Signal, ignored func()) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	var current StepKind
	inner := a.Progress
	a.Progress = func(ev Event) {
		if ev.Kind == EventStart {
			mu.Lock()
			current = ev.Step.Kind
			mu.Unlock()
		}
		if inner != nil {
			inner(ev)
		}
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case <-done:
				return
			case <-interrupt:
				mu.Lock()
				k := current
				mu.Unlock()
				if k == KindWait {
					cancel()
					continue
				}
				ignored()
			}
		}
	}()
	return a.ApplyDecision(ctx, d)
}
