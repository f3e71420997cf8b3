// SPDX-License-Identifier: Apache-2.0

package main

// The plumbing every subcommand shares to talk to people: the environment
// (streams, command runner, syslog), the messages in the locale's
// language (internal/msg) and the prompt.

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/syslog"
	"net/netip"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/msg"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/procedure"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/toolsconf"
	"github.com/pgrex/pgrex/ra/pg"
)

// Exit codes shared by the subcommands (docs/operations.md).
const (
	exitOK       = 0
	exitError    = 1 // could not do it: bad input, a command failed
	exitAttn     = 2 // status: degraded; lock status: lock present; refused by a safety check
	exitDown     = 3 // status: no (single) primary
	exitDeclined = 3 // the operator answered no at a prompt
)

// env is what the subcommands take from the outside world: main builds
// the real one, tests their own, and newApp hands it to every subcommand.
type env struct {
	run      attrd.Runner
	stdin    *bufio.Reader
	stdout   io.Writer
	stderr   io.Writer
	getenv   func(string) string
	now      func() time.Time
	syslog   func(msg string) error
	hostname func() (string, error)
	lang     msg.Lang
	// clock paces the procedures' waits.
	clock procedure.Clock
	// liveness tells whether PostgreSQL runs in a data directory (nil =
	// pg.CheckLiveness).
	liveness func(pgdata string) (pg.Liveness, error)
	// addrs lists this node's addresses.
	addrs func() []netip.Addr
	// guardPath is the node-wide procedure lock.
	guardPath string
}

// host is what the settings resolution asks of this machine.
func (e *env) host() toolsconf.Host { return toolsconf.Host{Run: e.run, Hostname: e.hostname} }

// sendSyslog logs one notice under the tag "pgrex"; best effort, as in
// the agent (no /dev/log in containers).
func sendSyslog(msg string) error {
	w, err := syslog.New(syslog.LOG_DAEMON|syslog.LOG_NOTICE, "pgrex")
	if err != nil {
		return err
	}
	defer w.Close()
	return w.Notice(msg)
}

// printer writes catalogue messages to the environment's streams.
func (e *env) printer() msg.Printer { return msg.Printer{Lang: e.lang, Out: e.stdout, Err: e.stderr} }

// T renders a catalogue message in the environment's language.
func (e *env) T(key string, args ...any) string { return msg.T(e.lang, key, args...) }

// say prints a message line on stdout (PG-REX's tools print there too).
func (e *env) say(key string, args ...any) {
	fmt.Fprintln(e.stdout, e.T(key, args...))
}

// fail prints an error on stderr and returns the exit code for the
// Action to return.
func (e *env) fail(code int, err error) error {
	fmt.Fprintln(e.stderr, e.T("error", err.Error()))
	return cli.Exit("", code)
}

// logAction records a change in syslog and on stderr.
func (e *env) logAction(msg string) {
	fmt.Fprintln(e.stderr, msg)
	if e.syslog != nil {
		_ = e.syslog(msg)
	}
}

// confirm asks a yes/no question; only "y" or "yes" is yes. End of input
// is no.
func (e *env) confirm(key string, args ...any) bool {
	fmt.Fprint(e.stdout, e.T(key, args...)+e.T("yes-no"))
	line, err := e.stdin.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true
	}
	if errors.Is(err, io.EOF) {
		fmt.Fprintln(e.stdout)
	}
	return false
}

// configFlag is the --config flag every subcommand takes (a new one each
// time: urfave/cli flags keep parse state).
func configFlag() cli.Flag {
	return &cli.StringFlag{Name: "config", Usage: "tools configuration file", Value: toolsconf.DefaultPath,
		EnvVars: []string{"PGREX_TOOLS_CONF"}}
}

// loadConfig reads the tools configuration; warnings (unknown keys) go to
// stderr.
func loadConfig(c *cli.Context, e *env) (toolsconf.Config, error) {
	cfg, warns, err := toolsconf.Load(c.String("config"), c.IsSet("config"))
	for _, w := range warns {
		fmt.Fprintln(e.stderr, e.T("warning", w.String()))
	}
	return cfg, err
}

// printJSON prints a --json document.
func (e *env) printJSON(v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return e.fail(exitError, fmt.Errorf("writing JSON: %w", err))
	}
	return nil
}
