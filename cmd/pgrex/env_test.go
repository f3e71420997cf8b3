// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/msg"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/procedure"
	"github.com/pgrex/pgrex/ra/cmdrun"
)

// fakeRunner answers external commands from a function and records them.
type fakeRunner struct {
	mu      sync.Mutex
	calls   []cmdrun.Cmd
	respond func(c cmdrun.Cmd) (cmdrun.Result, error)
}

func (f *fakeRunner) Run(_ context.Context, c cmdrun.Cmd) (cmdrun.Result, error) {
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.mu.Unlock()
	if f.respond == nil {
		return cmdrun.Result{ExitCode: -1}, &cmdrun.Error{Cmd: c.Path, ExitCode: -1, Err: errors.New("no such command in the test")}
	}
	return f.respond(c)
}

func (f *fakeRunner) paths() []string {
	var out []string
	for _, c := range f.calls {
		out = append(out, c.Path)
	}
	return out
}

// ok is a successful command printing out.
func ok(out string) (cmdrun.Result, error) {
	return cmdrun.Result{Stdout: []byte(out), ExitCode: 0}, nil
}

// failed is a command that exited with code, printing stdout and stderr.
func failed(code int, stdout, stderr string) (cmdrun.Result, error) {
	r := cmdrun.Result{Stdout: []byte(stdout), Stderr: []byte(stderr), ExitCode: code}
	return r, &cmdrun.Error{Cmd: "cmd", ExitCode: code, Output: stderr + " " + stdout, Err: errors.New("exit status")}
}

// harness is one CLI run's world.
type harness struct {
	run    *fakeRunner
	stdin  string
	env    map[string]string
	syslog []string
	host   string
	conf   string // the tools configuration file's text
}

func newHarness() *harness {
	return &harness{run: &fakeRunner{}, env: map[string]string{}, host: "testhost"}
}

type result struct {
	stdout, stderr string
	code           int
}

// cli runs `pgrex args...` and returns what the operator would see.
func (h *harness) cli(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{
		run:    h.run,
		stdin:  bufio.NewReader(strings.NewReader(h.stdin)),
		stdout: &out,
		stderr: &errb,
		getenv: func(k string) string { return h.env[k] },
		now:    func() time.Time { return time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC) },
		syslog: func(msg string) error {
			h.syslog = append(h.syslog, msg)
			return nil
		},
		hostname: func() (string, error) {
			if h.host == "" {
				return "", errors.New("no host name")
			}
			return h.host, nil
		},
	}
	e.lang = msg.LangFrom(e.getenv)
	e.clock, e.addrs, e.guardPath = procedure.SystemClock{}, procedure.InterfaceAddrs, procedure.DefaultGuardPath
	app := newApp(e)
	app.ExitErrHandler = func(*cli.Context, error) {}
	// Always an explicit config file, so tests never read /etc: the
	// harness's conf text, written to a temporary file.
	confPath := filepath.Join(t.TempDir(), "pgrex_tools.conf")
	if err := os.WriteFile(confPath, []byte(h.conf), 0o600); err != nil {
		t.Fatal(err)
	}
	code := runWithConfig(app, confPath, args, &errb)
	return result{out.String(), errb.String(), code}
}

// runWithConfig runs `pgrex args...` with --config conf after the words naming
// the subcommand, and returns the exit status.
func runWithConfig(app *cli.App, conf string, args []string, stderr io.Writer) int {
	n := 1 // words naming the subcommand
	if len(args) > 1 && args[0] == "lock" {
		n = 2
	}
	full := append(append(append([]string{"pgrex"}, args[:n]...), "--config", conf), args[n:]...)
	return exitCode(app.Run(full), stderr)
}

var keyUseRE = regexp.MustCompile(`\b(?:T|say|Say|confirm)\("([^"]+)"`)

// Every literal key the code uses is in the catalogue.
func TestCatalogKeysUsed(t *testing.T) {
	// package main and the internal packages that pick messages for it.
	files := sourceFiles(t, "*.go", filepath.Join("internal", "procedure", "*.go"), filepath.Join("internal", "status", "*.go"),
		filepath.Join("internal", "archive", "*.go"), filepath.Join("internal", "toolsconf", "*.go"))
	n := 0
	var src strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src.Write(b)
		for _, m := range keyUseRE.FindAllStringSubmatch(string(b), -1) {
			if strings.HasSuffix(m[1], ".") {
				continue // a prefix completed at run time ("row."+row), checked elsewhere
			}
			n++
			if !msg.Has(m[1]) {
				t.Errorf("%s uses unknown message %q", f, m[1])
			}
		}
	}
	if n < 50 {
		t.Errorf("only %d message uses found: the pattern is broken", n)
	}
	// And every message is used: literally, or through a prefix completed
	// at run time (rows, steps, notes, severities, PostgreSQL roles, the
	// procedures' steps, refusals and methods).
	for _, key := range msg.Keys("") {
		dynamic := false
		for _, p := range []string{"row.", "step.", "note.", "sev.", "pg.", "ps.", "pr.", "pm."} {
			dynamic = dynamic || strings.HasPrefix(key, p)
		}
		if !dynamic && !strings.Contains(src.String(), `"`+key+`"`) && !strings.Contains(catalogUsers, `"`+key+`"`) {
			t.Errorf("message %q is never used", key)
		}
	}
}

// catalogUsers lists keys env.go uses.
const catalogUsers = `"error" "warning" "yes-no" "source" "src.flag" "src.config" "src.cib" "src.default"`

// catalogEntry is a key's English and Japanese text.
func catalogEntry(key string) ([2]string, bool) {
	en, ok := msg.Template(msg.EN, key)
	ja, _ := msg.Template(msg.JA, key)
	return [2]string{en, ja}, ok
}

// sourceFiles lists the non-test Go files the patterns match.
func sourceFiles(t *testing.T, patterns ...string) []string {
	t.Helper()
	var out []string
	for _, p := range patterns {
		files, err := filepath.Glob(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if !strings.HasSuffix(f, "_test.go") {
				out = append(out, f)
			}
		}
	}
	return out
}

// procedureSource is the text of the non-test files that print the
// procedures: package main's and internal/procedure's (text.go).
func procedureSource(t *testing.T) []byte {
	t.Helper()
	var src []byte
	for _, f := range sourceFiles(t, "*.go", filepath.Join("internal", "procedure", "*.go")) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src = append(src, b...)
	}
	return src
}
