// SPDX-License-Identifier: Apache-2.0

package pg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pgrex/pgrex/ra/cmdrun"
)

// Runner runs external commands (cmdrun.Runner in production).
type Runner interface {
	Run(ctx context.Context, c cmdrun.Cmd) (cmdrun.Result, error)
}

// Ctl drives pg_ctl for one data directory. Every call builds an argument
// slice, runs as the data directory's owner, and carries an explicit -t so
// pg_ctl never falls back to its own implicit 60 s wait.
type Ctl struct {
	PgCtl  string
	PgData string
	As     *User
	Libs   string // appended to LD_LIBRARY_PATH
	Runner Runner
}

// StartOptions are the server options of a start.
type StartOptions struct {
	CtlOpt     []string // extra pg_ctl options
	LogFile    string
	ConfigFile string
	Host       string // postgres -h
	StartOpt   string // extra postgres options, as the operator wrote them
}

func (c *Ctl) cmd(args []string, timeout time.Duration) cmdrun.Cmd {
	env := []string{}
	if c.Libs != "" {
		lp := os.Getenv("LD_LIBRARY_PATH")
		if lp != "" {
			lp += ":"
		}
		env = append(env, "LD_LIBRARY_PATH="+lp+c.Libs)
	}
	if c.As != nil && c.As.NeedsSwitch() {
		env = append(env, "HOME="+c.As.Home, "USER="+c.As.Name, "LOGNAME="+c.As.Name)
	}
	return cmdrun.Cmd{
		Path:    c.PgCtl,
		Args:    args,
		Env:     env,
		Unset:   []string{"PGUSER", "PGPASSWORD", "PGDATABASE", "PGOPTIONS"},
		Dir:     c.PgData,
		Cred:    c.As.Credential(),
		Timeout: timeout,
	}
}

// seconds renders a wait for pg_ctl -t: whole seconds, at least 1.
func seconds(d time.Duration) string {
	s := int(d / time.Second)
	if s < 1 {
		s = 1
	}
	return strconv.Itoa(s)
}

// Start launches the server and waits up to wait for pg_ctl to see it
// accept connections (or a hot standby reach consistency). pg_ctl notices a
// postmaster that dies during start-up, so a broken configuration fails
// fast instead of running into the operation timeout.
func (c *Ctl) Start(ctx context.Context, o StartOptions, wait time.Duration) error {
	server := []string{"-c", "config_file=" + o.ConfigFile}
	if o.Host != "" {
		server = append(server, "-h", o.Host)
	}
	opt := ""
	for _, s := range server {
		opt += cmdrun.ShellQuote(s) + " " // pg_ctl hands -o to /bin/sh
	}
	opt += o.StartOpt // the operator's own words, as upstream passes them
	args := append([]string{}, o.CtlOpt...)
	args = append(args, "-D", c.PgData, "-l", o.LogFile, "-o", strings.TrimSpace(opt), "-w", "-t", seconds(wait), "start")
	cmd := c.cmd(args, wait+5*time.Second)
	// The postmaster outlives pg_ctl; never tie our pipes to it.
	cmd.Detach = true
	if _, err := c.Runner.Run(ctx, cmd); err != nil {
		return fmt.Errorf("starting PostgreSQL in %s: %w", c.PgData, err)
	}
	return nil
}

// Stop asks the server to shut down in mode ("smart", "fast" or
// "immediate") and waits up to wait for it to be gone.
func (c *Ctl) Stop(ctx context.Context, mode string, wait time.Duration) error {
	args := []string{"-D", c.PgData, "-m", mode, "-w", "-t", seconds(wait), "stop"}
	if _, err := c.Runner.Run(ctx, c.cmd(args, wait+5*time.Second)); err != nil {
		return fmt.Errorf("stopping PostgreSQL in %s (%s mode): %w", c.PgData, mode, err)
	}
	return nil
}

// Reload makes the server re-read its configuration.
func (c *Ctl) Reload(ctx context.Context) error {
	if _, err := c.Runner.Run(ctx, c.cmd([]string{"-D", c.PgData, "reload"}, 15*time.Second)); err != nil {
		return fmt.Errorf("reloading PostgreSQL in %s: %w", c.PgData, err)
	}
	return nil
}

// Promote ends recovery and waits up to wait for the server to accept
// writes.
func (c *Ctl) Promote(ctx context.Context, wait time.Duration) error {
	args := []string{"-D", c.PgData, "-w", "-t", seconds(wait), "promote"}
	if _, err := c.Runner.Run(ctx, c.cmd(args, wait+5*time.Second)); err != nil {
		return fmt.Errorf("promoting PostgreSQL in %s: %w", c.PgData, err)
	}
	return nil
}

// stopSignals are the postmaster's shutdown signals, as pg_ctl sends them
// for each mode.
var stopSignals = map[string]syscall.Signal{"smart": syscall.SIGTERM, "fast": syscall.SIGINT, "immediate": syscall.SIGQUIT}

// SignalStop shuts down a postmaster that pg_ctl cannot reach because
// postmaster.pid does not name it: it proves from /proc that pid is the
// postmaster of the data directory (a postgres program, working directory
// = the data directory, not a child, not a zombie), sends mode's signal
// and waits up to wait for the process to be gone. The process is held by
// a pidfd between the proof and the signal, so a PID reused meanwhile is
// never signalled.
func (c *Ctl) SignalStop(ctx context.Context, pid int, mode string, wait time.Duration) error {
	sig, ok := stopSignals[mode]
	if !ok {
		return fmt.Errorf("stopping PostgreSQL in %s: unknown shutdown mode %q", c.PgData, mode)
	}
	fd, err := unix.PidfdOpen(pid, 0)
	switch {
	case errors.Is(err, unix.ESRCH):
		return nil // gone already
	case errors.Is(err, unix.ENOSYS):
		fd = -1 // kernel before 5.3: signal by PID right after the proof
	case err != nil:
		return fmt.Errorf("stopping PostgreSQL in %s: opening PID %d: %w", c.PgData, pid, err)
	}
	if fd >= 0 {
		defer unix.Close(fd)
	}
	switch v, why := identify(pid, c.PgData); v {
	case procDead, procZombie:
		return nil
	case procPostmaster:
	default:
		return fmt.Errorf("stopping PostgreSQL in %s: PID %d is not its postmaster (%s); not signalling it", c.PgData, pid, why)
	}
	if fd >= 0 {
		err = unix.PidfdSendSignal(fd, sig, nil, 0)
	} else {
		err = syscall.Kill(pid, sig)
	}
	if errors.Is(err, unix.ESRCH) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("stopping PostgreSQL in %s: sending %s to PID %d: %w", c.PgData, sig, pid, err)
	}
	deadline := time.Now().Add(wait)
	for attempt := 0; ; attempt++ {
		if v, _ := identify(pid, c.PgData); v != procPostmaster {
			return nil
		}
		d := time.Duration(50*(attempt+1)) * time.Millisecond
		if d > 500*time.Millisecond {
			d = 500 * time.Millisecond
		}
		if time.Until(deadline) < d {
			return fmt.Errorf("stopping PostgreSQL in %s (%s mode, %s to PID %d): still running after %s", c.PgData, mode, sig, pid, wait.Round(time.Second))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("stopping PostgreSQL in %s (%s mode, %s to PID %d): %w", c.PgData, mode, sig, pid, ctx.Err())
		case <-time.After(d):
		}
	}
}
