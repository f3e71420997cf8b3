// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/pgrex/pgrex/cmd/pgrex/internal/msg"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/procedure"
	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/ra/pg"
	"github.com/pgrex/pgrex/test/fixtures"
)

const seg = 16 << 20

// procWorld is one node of a two-node cluster as the procedures see it:
// real directories in a temporary root, every command answered by
// handlers (local by program name, remote — over ssh — by "@" + program
// name), a fake clock for the waits.
type procWorld struct {
	t       *testing.T
	h       *harness
	root    string
	node    string
	peer    string
	peerIP  string
	pgdata  string
	tmpdir  string
	archive string
	clock   *stepClock
	pgRuns  bool

	mu       sync.Mutex
	handlers map[string]func(args []string) (cmdrun.Result, error)
	// crmMon answers the local crm_mon: each call takes the next fixture,
	// the last one repeats.
	crmMon []string
	polls  int
	ran    []string // every command, "host: argv" ("" host = local)
}

// stepClock is a fake clock for the CLI's waits.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *stepClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return nil
}

func readFixture(t *testing.T, name string) string {
	t.Helper()
	return string(fixtures.Read(t, name))
}

// controlData renders pg_controldata output.
func controlDataText(sysid, state string, tli int, checkpoint string) string {
	return fmt.Sprintf("Database system identifier:           %s\nDatabase cluster state:               %s\n"+
		"Latest checkpoint location:           %s\nLatest checkpoint's REDO location:    %s\n"+
		"Latest checkpoint's TimeLineID:       %d\nMinimum recovery ending location:     0/0\n"+
		"Min recovery ending loc's timeline:   0\nwal_log_hints setting:                on\n"+
		"Data page checksum version:           0\nBytes per WAL segment:                16777216\n", sysid, state, checkpoint, checkpoint, tli)
}

func newProcWorld(t *testing.T, node, peer, peerIP string) *procWorld {
	w := &procWorld{t: t, h: newHarness(), root: t.TempDir(), node: node, peer: peer, peerIP: peerIP,
		clock: &stepClock{now: time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC)}, handlers: map[string]func([]string) (cmdrun.Result, error){}}
	w.pgdata, w.tmpdir, w.archive = filepath.Join(w.root, "data"), filepath.Join(w.root, "tmp"), filepath.Join(w.root, "arch")
	for _, d := range []string{w.pgdata, w.tmpdir, w.archive, filepath.Join(w.pgdata, "pg_wal")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	w.write(filepath.Join(w.pgdata, "PG_VERSION"), "15\n")
	w.write(filepath.Join(w.pgdata, "postgresql.conf"), "port = 5432\n")
	w.h.conf = fmt.Sprintf("Node_name = %s\nPGDATA = %s\nTmpdir = %s\nArchive_dir = %s\nCIB_file = %s\nPGPATH = /usr/lib/postgresql/15/bin\n"+
		"D_LAN_IPAddress = 192.0.2.71, 192.0.2.72\n", node, w.pgdata, w.tmpdir, w.archive, filepath.Join(w.root, "cib.xml"))
	w.h.run.respond = w.respond
	// Defaults: Pacemaker 2.1, the CIB's pgsql parameters, nothing running.
	w.on("crm_mon", func(args []string) (cmdrun.Result, error) {
		if slices.Contains(args, "--version") {
			return ok("Pacemaker 2.1.5\nWritten by Andrew Beekhof and the Pacemaker project contributors\n")
		}
		w.mu.Lock()
		name := w.crmMon[min(w.polls, len(w.crmMon)-1)]
		w.polls++
		w.mu.Unlock()
		if name == "" {
			return failed(102, "", "crm_mon: Error: cluster is not available on this node")
		}
		return ok(readFixture(t, name))
	})
	w.on("cibadmin", func([]string) (cmdrun.Result, error) {
		return ok(`<resources><clone id="msPostgresql"><primitive id="pgsql" class="ocf" provider="heartbeat" type="pgsql">
<instance_attributes id="pgsql-ia">
<nvpair id="a1" name="pgctl" value="/usr/lib/postgresql/15/bin/pg_ctl"/>
<nvpair id="a2" name="psql" value="/usr/lib/postgresql/15/bin/psql"/>
<nvpair id="a3" name="master_ip" value="192.0.2.80"/>
<nvpair id="a4" name="repuser" value="repuser"/>
<nvpair id="a5" name="pgdba" value="postgres"/>
<nvpair id="a6" name="socketdir" value="/run/postgresql"/>
</instance_attributes></primitive></clone></resources>`)
	})
	w.on("pgrep", func([]string) (cmdrun.Result, error) { return failed(1, "", "") })
	w.on("@pgrep", func([]string) (cmdrun.Result, error) { return failed(1, "", "") })
	w.on("@cat", func([]string) (cmdrun.Result, error) { return failed(1, "", "cat: No such file or directory") })
	w.on("@pg_controldata", func([]string) (cmdrun.Result, error) {
		return ok(controlDataText("7000", "shut down in recovery", 3, "0/4000028"))
	})
	w.on("pg_controldata", func([]string) (cmdrun.Result, error) {
		return ok(controlDataText("7000", "shut down", 3, "0/4000028"))
	})
	w.on("pg_waldump", func([]string) (cmdrun.Result, error) {
		return failed(1, "", "pg_waldump: error: error in WAL record at 0/40000A0: invalid record length at 0/4000118: wanted 24, got 0")
	})
	return w
}

func (w *procWorld) write(path, text string) {
	w.t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

func (w *procWorld) on(name string, f func(args []string) (cmdrun.Result, error)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.handlers[name] = f
}

// unquote undoes shellQuote for the remote argument vector.
func unquote(s string) string {
	if strings.HasPrefix(s, "'") && strings.HasSuffix(s, "'") && len(s) >= 2 {
		return strings.ReplaceAll(s[1:len(s)-1], `'\''`, `'`)
	}
	return s
}

func (w *procWorld) respond(c cmdrun.Cmd) (cmdrun.Result, error) {
	host, argv := "", append([]string{c.Path}, c.Args...)
	if c.Path == "ssh" {
		i := slices.Index(c.Args, "--")
		host = c.Args[i-1]
		argv = nil
		for _, a := range c.Args[i+1:] {
			argv = append(argv, unquote(a))
		}
		if len(argv) > 3 && argv[0] == "cd" && argv[1] == "/" && argv[2] == "&&" {
			argv = argv[3:]
		}
		if argv[0] == "runuser" {
			argv = argv[4:]
		}
		if argv[0] != "env" || argv[1] != "LC_ALL=C" {
			w.t.Errorf("remote command without LC_ALL=C: %q", argv)
		}
		argv = argv[2:]
	}
	w.mu.Lock()
	w.ran = append(w.ran, host+": "+strings.Join(argv, " "))
	key := filepath.Base(argv[0])
	if host != "" {
		key = "@" + key
		if host != w.peerIP {
			w.mu.Unlock()
			return failed(255, "", "ssh: connect to host "+host+": No route to host")
		}
	}
	f := w.handlers[key]
	w.mu.Unlock()
	if f == nil {
		return ok("")
	}
	return f(argv[1:])
}

// cli runs `pgrex args...` with the procedures wired to this world.
func (w *procWorld) cli(args ...string) result {
	w.t.Helper()
	h := w.h
	var out, errb bytes.Buffer
	e := &env{
		run: h.run, stdin: bufio.NewReader(strings.NewReader(h.stdin)), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return h.env[k] },
		now:    func() time.Time { return time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC) },
		syslog: func(msg string) error { h.syslog = append(h.syslog, msg); return nil },
		hostname: func() (string, error) {
			return w.node, nil
		},
	}
	e.lang = msg.LangFrom(e.getenv)
	local := netip.MustParseAddr("192.0.2.71")
	if w.node == "node2" {
		local = netip.MustParseAddr("192.0.2.72")
	}
	e.clock = w.clock
	e.guardPath = filepath.Join(w.root, "guard.lock")
	e.addrs = func() []netip.Addr { return []netip.Addr{local} }
	e.liveness = func(string) (pg.Liveness, error) {
		w.mu.Lock()
		defer w.mu.Unlock()
		return pg.Liveness{Running: w.pgRuns}, nil
	}
	app := newApp(e)
	app.ExitErrHandler = func(*cli.Context, error) {}
	confPath := filepath.Join(w.t.TempDir(), "pgrex_tools.conf")
	w.write(confPath, h.conf)
	code := runWithConfig(app, confPath, args, &errb)
	return result{out.String(), errb.String(), code}
}

// changes lists the commands that change something (not the probes).
func (w *procWorld) changes() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, r := range w.ran {
		cmd := strings.Fields(r[strings.Index(r, ":")+1:])
		switch filepath.Base(cmd[0]) {
		case "pgrep", "crm_mon", "cibadmin", "pg_controldata", "pg_waldump", "cat", "find", "crm_node":
			continue
		case "psql":
			if !slices.Contains(cmd, "CHECKPOINT") {
				continue
			}
		case "pg_ctl":
			if slices.Contains(cmd, "status") {
				continue
			}
		}
		out = append(out, r)
	}
	return out
}

func wantLines(t *testing.T, out string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(out, l) {
			t.Errorf("output lacks %q:\n%s", l, out)
		}
	}
}

func TestProcedureGuard(t *testing.T) {
	w := primaryWorld(t)
	release, err := procedure.AcquireGuard(filepath.Join(w.root, "guard.lock"))
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	r := w.cli("primary-start", "--dry-run")
	if r.code != exitError || !strings.Contains(r.stderr, "another pgrex procedure runs on this node") {
		t.Errorf("exit %d\n%s", r.code, r.stderr)
	}
}

// Every step, refusal and note of internal/procedure has a message in both
// languages, and every "pc." line is used.
func TestProcedureMessages(t *testing.T) {
	for _, code := range procedure.StepCodes() {
		if m, ok := catalogEntry("ps." + code); !ok || m[msg.EN] == "" || m[msg.JA] == "" {
			t.Errorf("step %s: %q", code, m)
		}
	}
	for _, code := range procedure.RefusalCodes() {
		if m, ok := catalogEntry("pr." + code); !ok || m[msg.EN] == "" || m[msg.JA] == "" {
			t.Errorf("refusal %s: %q", code, m)
		}
	}
	src := procedureSource(t)
	for _, key := range msg.Keys("pc.") {
		if !regexp.MustCompile(`"` + regexp.QuoteMeta(key) + `"`).Match(src) {
			t.Errorf("message %s is never used", key)
		}
	}
}
