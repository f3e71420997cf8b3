// SPDX-License-Identifier: Apache-2.0

// Package cmdrun runs every external command pgrex needs (pg_ctl,
// crm_attribute, cibadmin, crm_node, …) the same way: from an argument slice,
// never through a shell, under a context deadline, with LC_ALL=C so the output
// we parse is not translated, in its own process group so that a cancelled
// command takes its children with it, and with stdout/stderr captured so a
// failure can say what the command printed.
package cmdrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// DefaultTimeout bounds a command whose caller did not set a deadline of its
// own. Nothing pgrex runs should take longer than this; an operation timeout
// from Pacemaker is normally shorter and wins.
const DefaultTimeout = 60 * time.Second

// Cmd describes one external command.
type Cmd struct {
	// Path is the program, absolute or looked up in PATH.
	Path string
	// Args are the arguments, without the program name.
	Args []string
	// Env is added to the inherited environment (KEY=VALUE).
	Env []string
	// Unset names inherited variables to drop (e.g. PGUSER for pg_ctl).
	Unset []string
	// Dir is the working directory ("" = inherit).
	Dir string
	// Cred, when set, runs the command as another user (the agent runs as
	// root and PostgreSQL must run as pgdba).
	Cred *syscall.Credential
	// Timeout overrides DefaultTimeout when the context has no earlier deadline.
	Timeout time.Duration
	// Stdin is fed to the command when non-nil.
	Stdin []byte
	// Detach leaves the stdout/stderr of grandchildren unattached: pg_ctl
	// start forks a postmaster that keeps running, and waiting for its
	// inherited pipes would hang. With Detach the output goes to temp files.
	Detach bool
}

// Result is what a finished command printed and how it exited.
type Result struct {
	Stdout   []byte
	Stderr   []byte
	ExitCode int
	Duration time.Duration
}

// Error is returned when a command could not run, exited non-zero, or was
// cancelled. Its message names the command and carries its output, so the
// caller's log line is enough to diagnose the failure.
type Error struct {
	Cmd      string
	ExitCode int // -1 when the command did not exit on its own
	Output   string
	Err      error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s", e.Cmd)
	if e.ExitCode >= 0 {
		fmt.Fprintf(&b, " exited with status %d", e.ExitCode)
	} else if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if out := strings.TrimSpace(e.Output); out != "" {
		fmt.Fprintf(&b, ": %s", clip(OneLine(out), 500))
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// clip bounds a line for logs.
func clip(s string, max int) string {
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// Runner executes commands. The zero value is ready to use.
type Runner struct {
	// Observe, when set, is told about every command after it ran (tests and
	// the benchmark count child processes with it).
	Observe func(c Cmd, r Result, err error)
}

// Run executes c and waits for it. A non-zero exit is an *Error that still
// comes with the Result, so callers that expect certain exit codes can look.
func (r *Runner) Run(ctx context.Context, c Cmd) (Result, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	cmd := exec.CommandContext(ctx, c.Path, c.Args...)
	cmd.Env = buildEnv(os.Environ(), c.Env, c.Unset)
	cmd.Dir = c.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: c.Cred}
	// Kill the whole process group, not just the direct child: a pg_ctl or
	// a shell wrapper around crm_attribute must not outlive our deadline.
	cmd.Cancel = func() error {
		if cmd.Process == nil {
			return nil
		}
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = 2 * time.Second
	if c.Stdin != nil {
		cmd.Stdin = bytes.NewReader(c.Stdin)
	}

	var stdout, stderr bytes.Buffer
	var outFile, errFile *os.File
	if c.Detach {
		var err error
		if outFile, err = os.CreateTemp("", "pgrex-out-*"); err != nil {
			return Result{ExitCode: -1}, fmt.Errorf("creating a capture file for %s: %w", c.Path, err)
		}
		defer closeRemove(outFile)
		if errFile, err = os.CreateTemp("", "pgrex-err-*"); err != nil {
			return Result{ExitCode: -1}, fmt.Errorf("creating a capture file for %s: %w", c.Path, err)
		}
		defer closeRemove(errFile)
		cmd.Stdout, cmd.Stderr = outFile, errFile
	} else {
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
	}

	start := time.Now()
	runErr := cmd.Run()
	res := Result{Duration: time.Since(start), ExitCode: -1}
	if c.Detach {
		res.Stdout = readBack(outFile)
		res.Stderr = readBack(errFile)
	} else {
		res.Stdout, res.Stderr = stdout.Bytes(), stderr.Bytes()
	}
	if cmd.ProcessState != nil {
		res.ExitCode = cmd.ProcessState.ExitCode()
	}
	var err error
	if runErr != nil {
		e := &Error{Cmd: describe(c), ExitCode: res.ExitCode, Output: string(res.Stderr) + " " + string(res.Stdout), Err: runErr}
		if ctxErr := ctx.Err(); ctxErr != nil {
			e.ExitCode = -1
			e.Err = fmt.Errorf("%w after %s", ctxErr, res.Duration.Round(time.Millisecond))
		}
		var exitErr *exec.ExitError
		if e.ExitCode >= 0 && !errors.As(runErr, &exitErr) {
			e.ExitCode = -1
		}
		err = e
	}
	if r != nil && r.Observe != nil {
		r.Observe(c, res, err)
	}
	return res, err
}

func closeRemove(f *os.File) {
	_ = f.Close()
	_ = os.Remove(f.Name())
}

func readBack(f *os.File) []byte {
	if _, err := f.Seek(0, 0); err != nil {
		return nil
	}
	var b bytes.Buffer
	_, _ = b.ReadFrom(f)
	return b.Bytes()
}

// describe renders the command for messages; arguments are quoted only when
// they need it, so the line can be pasted into a shell by an operator.
func describe(c Cmd) string {
	parts := []string{ShellQuote(c.Path)}
	for _, a := range c.Args {
		parts = append(parts, ShellQuote(a))
	}
	return strings.Join(parts, " ")
}

// buildEnv returns base without the unset names, with LC_ALL=C and extra
// applied last so they win.
func buildEnv(base, extra, unset []string) []string {
	drop := map[string]bool{"LC_ALL": true, "LANG": true, "LANGUAGE": true}
	for _, u := range unset {
		drop[u] = true
	}
	for _, kv := range extra {
		if k, _, ok := strings.Cut(kv, "="); ok {
			drop[k] = true
		}
	}
	out := make([]string, 0, len(base)+len(extra)+1)
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			out = append(out, kv)
		}
	}
	out = append(out, "LC_ALL=C")
	return append(out, extra...)
}
