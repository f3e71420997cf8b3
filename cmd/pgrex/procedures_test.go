// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
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

func fixturePath(name string) string {
	return filepath.Join("internal", "procedure", "testdata", name)
}

func readFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(fixturePath(name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
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
	app := &cli.App{
		Name: "pgrex", Writer: &out, ErrWriter: &errb,
		Commands: []*cli.Command{primaryStartCommand(), standbyStartCommand(), switchoverCommand(), stopCommand(), lockCommand()},
		Metadata: map[string]any{"env": e, "clock": w.clock, "guard": filepath.Join(w.root, "guard.lock"),
			"addrs": []netip.Addr{local},
			"liveness": func(string) (pg.Liveness, error) {
				w.mu.Lock()
				defer w.mu.Unlock()
				return pg.Liveness{Running: w.pgRuns}, nil
			}},
		ExitErrHandler: func(*cli.Context, error) {},
	}
	confPath := filepath.Join(w.t.TempDir(), "pgrex_tools.conf")
	w.write(confPath, h.conf)
	n := 1
	if args[0] == "lock" {
		n = 2 // the subcommand takes the flags
	}
	full := append(append(append([]string{"pgrex"}, args[:n]...), "--config", confPath), args[n:]...)
	err := app.Run(full)
	code := 0
	if err != nil {
		var ec cli.ExitCoder
		if errors.As(err, &ec) {
			code = ec.ExitCode()
		} else {
			code = 1
			fmt.Fprintf(&errb, "pgrex: %v\n", err)
		}
	}
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

// primaryWorld: node1 about to start as primary; node2 stopped, its
// Pacemaker and PostgreSQL down; both CIBs say node1 LATEST.
func primaryWorld(t *testing.T) *procWorld {
	w := newProcWorld(t, "node1", "node2", "192.0.2.72")
	cib := strings.ReplaceAll(readFixture(t, "healthy-cib.xml"), "STREAMING|SYNC", "DISCONNECT")
	w.write(filepath.Join(w.root, "cib.xml"), cib)
	w.on("@cat", func([]string) (cmdrun.Result, error) { return ok(cib) })
	w.crmMon = []string{"", "pgrex-no-primary.xml", "pgrex-standby-node-stopped.xml"}
	return w
}

func TestPrimaryStartDryRun(t *testing.T) {
	w := primaryWorld(t)
	r := w.cli("primary-start", "--dry-run")
	wantLines(t, r.stdout,
		"**** pgrex primary-start on node1 ****",
		"pgsql-data-status of node1: LATEST (on-disk CIB of node1)",
		"pgsql-data-status of node1: LATEST (on-disk CIB of node2)",
		"Plan:",
		"  1. Start Pacemaker on node1: systemctl start pacemaker",
		"  2. Wait until node1 is primary (PRI / LATEST), at most 5m0s",
		"Dry run: nothing was changed.")
	if r.code != exitOK || len(w.changes()) != 0 {
		t.Errorf("exit %d, changes %v\n%s", r.code, w.changes(), r.stderr)
	}
}

func TestPrimaryStartRefusesSecondPrimary(t *testing.T) {
	w := primaryWorld(t)
	w.on("@pgrep", func([]string) (cmdrun.Result, error) { return ok("311\n") })
	w.on("@crm_mon", func([]string) (cmdrun.Result, error) { return ok(readFixture(t, "crm_mon-healthy-node2-primary.xml")) })
	r := w.cli("primary-start", "--yes")
	wantLines(t, r.stdout, "Refused; nothing was changed:", "  - a primary runs on node2")
	if r.code != exitAttn || len(w.changes()) != 0 {
		t.Errorf("exit %d, changes %v", r.code, w.changes())
	}
}

func TestPrimaryStartUnreachablePeer(t *testing.T) {
	w := primaryWorld(t)
	w.peerIP = "192.0.2.99" // ssh to 192.0.2.72 fails
	r := w.cli("primary-start", "--yes")
	wantLines(t, r.stdout, "the peer node2 cannot be asked", "--ignore-peer")
	if r.code != exitAttn || len(w.changes()) != 0 {
		t.Errorf("exit %d, changes %v", r.code, w.changes())
	}
	r = w.cli("primary-start", "--yes", "--ignore-peer")
	if r.code != exitOK || !slices.Contains(w.changes(), ": systemctl start pacemaker") {
		t.Errorf("exit %d, changes %v\n%s%s", r.code, w.changes(), r.stdout, r.stderr)
	}
}

func TestPrimaryStart(t *testing.T) {
	w := primaryWorld(t)
	lock := filepath.Join(w.tmpdir, "PGSQL.lock")
	w.write(lock, "promoted=2026-11-22T04:49:16Z\nnode=node1\ntimeline=3\nlocation=0000000003000180\n")
	w.write(filepath.Join(w.pgdata, "standby.signal"), "")

	// "n" at the lock: nothing changed, the lock stays.
	w.h.stdin = "n\n"
	r := w.cli("primary-start")
	wantLines(t, r.stdout, "Remove PGSQL.lock "+lock+" (data-latest): go ahead? [y/N]", "Nothing was changed.")
	if r.code != exitDeclined || !exists(lock) || len(w.changes()) != 0 {
		t.Fatalf("exit %d, lock %v, changes %v", r.code, exists(lock), w.changes())
	}

	w.h.stdin = "y\n"
	r = w.cli("primary-start")
	wantLines(t, r.stdout,
		"1. Remove PGSQL.lock "+lock, "2. Remove "+filepath.Join(w.pgdata, "standby.signal"),
		"3. Start Pacemaker on node1", "4. Wait until node1 is primary",
		"cluster status not readable yet", "node1: online, Promoted PRI/LATEST/1000",
		"Primary has started on node1.")
	if r.code != exitOK || exists(lock) || exists(filepath.Join(w.pgdata, "standby.signal")) {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := w.changes(); !slices.Equal(got, []string{": systemctl start pacemaker"}) {
		t.Errorf("changes %v", got)
	}
	if len(w.h.syslog) == 0 || !strings.Contains(w.h.syslog[len(w.h.syslog)-1], "node1 runs as primary") {
		t.Errorf("syslog %v", w.h.syslog)
	}
}

func TestPrimaryStartTimeout(t *testing.T) {
	w := primaryWorld(t)
	w.crmMon = []string{"pgrex-no-primary.xml"}
	r := w.cli("primary-start", "--yes", "--timeout", "20s")
	if r.code != exitError || !strings.Contains(r.stderr, "not reached within 20s") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if w.polls != 11 { // at 0, 2, …, 20 s
		t.Errorf("%d polls of crm_mon, want 11", w.polls)
	}
}

// standbyWorld: node2 rejoining node1, which is primary on timeline 3.
func standbyWorld(t *testing.T) *procWorld {
	w := newProcWorld(t, "node2", "node1", "192.0.2.71")
	w.write(filepath.Join(w.root, "cib.xml"), readFixture(t, "healthy-cib.xml"))
	w.write(filepath.Join(w.archive, "000000030000000000000003"), strings.Repeat("x", 16))
	w.on("@pgrep", func([]string) (cmdrun.Result, error) { return ok("311\n") })
	w.on("@crm_mon", func([]string) (cmdrun.Result, error) { return ok(readFixture(t, "pgrex-standby-node-stopped.xml")) })
	w.on("@pg_controldata", func([]string) (cmdrun.Result, error) {
		return ok(controlDataText("7000", "in production", 3, "0/5000028"))
	})
	w.on("@psql", func([]string) (cmdrun.Result, error) {
		return ok("150018|f|7000|000000030000000000000005|0/5000060|on|5432|16777216\n")
	})
	w.on("@cat", func([]string) (cmdrun.Result, error) {
		return ok("1\t0/2000000\tno recovery target specified\n2\t0/3000180\tno recovery target specified\n")
	})
	w.on("@find", func([]string) (cmdrun.Result, error) {
		return ok(w.archive + "\t16\t000000030000000000000003\n" + w.archive + "\t16777216\t000000030000000000000004\n" +
			w.pgdata + "/pg_wal\t16777216\t000000030000000000000005\n")
	})
	// scp: the copies appear in the staging directory, as scp -p leaves them.
	w.on("scp", func(args []string) (cmdrun.Result, error) {
		dst := args[len(args)-1]
		for _, src := range args[:len(args)-1] {
			if !strings.Contains(src, ":") {
				continue
			}
			name := filepath.Base(src)
			w.write(filepath.Join(dst, name), "")
			if err := os.Truncate(filepath.Join(dst, name), seg); err != nil {
				t.Fatal(err)
			}
		}
		return ok("")
	})
	w.crmMon = []string{"", "pgrex-standby-node-stopped.xml", "pgrex-healthy.xml"}
	return w
}

func TestStandbyStartReuse(t *testing.T) {
	w := standbyWorld(t)
	r := w.cli("standby-start", "--yes")
	wantLines(t, r.stdout,
		"Methods to start this node as standby:",
		"  n) start as it is: available",
		"  r) pg_rewind, then start: not available: this node is on the primary's timeline 3: pg_rewind has nothing to rewind",
		"  b) a new base backup from the primary: available",
		"Chosen: n) start as it is",
		"Fetch 1 archive files from the primary 192.0.2.71 (000000030000000000000004 … 000000030000000000000004)",
		"Wait until node2 is a synchronous standby",
		"node2: online, Unpromoted HS:sync/STREAMING|SYNC/100",
		"Standby has started on node2 (synchronous standby of node1).")
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	st, err := os.Stat(filepath.Join(w.archive, "000000030000000000000004"))
	if err != nil || st.Size() != seg {
		t.Errorf("fetched segment: %v %v", st, err)
	}
	changes := w.changes()
	if len(changes) != 2 || !strings.HasPrefix(changes[0], ": scp -p -q -o BatchMode=yes") ||
		!strings.Contains(changes[0], "192.0.2.71:"+w.archive+"/000000030000000000000004") || changes[1] != ": systemctl start pacemaker" {
		t.Errorf("changes %q", changes)
	}
	// The primary's facts came from psql as postgres over ssh, the
	// cluster from crm_mon over ssh: nothing was ever pushed to the primary.
	for _, c := range w.h.run.calls {
		if c.Path == "ssh" && (slices.Contains(c.Args, "scp") || slices.Contains(c.Args, "systemctl")) {
			t.Errorf("changed the primary: %v", c.Args)
		}
	}
}

func TestStandbyStartLockMeansRebuild(t *testing.T) {
	w := standbyWorld(t)
	lock := filepath.Join(w.tmpdir, "PGSQL.lock")
	w.write(lock, "")
	r := w.cli("standby-start", "--dry-run")
	wantLines(t, r.stdout,
		"  n) start as it is: not available: PGSQL.lock "+lock+" exists",
		"Chosen: b) a new base backup from the primary",
		"1. Move the old data "+w.pgdata+" aside to "+w.pgdata+".pgrex-old-20261122T050000Z [asks first]",
		"3. Take a fresh base backup into "+w.pgdata+" from the primary at 192.0.2.80",
		"4. Remove PGSQL.lock "+lock+" (rebuilt) [asks first]",
		"Dry run: nothing was changed.")
	if r.code != exitOK || len(w.changes()) != 0 || !exists(lock) || !exists(filepath.Join(w.pgdata, "PG_VERSION")) {
		t.Errorf("exit %d changes %v", r.code, w.changes())
	}

	// Declining the move aside leaves everything as it was.
	w.h.stdin = "\n"
	r = w.cli("standby-start")
	if r.code != exitDeclined || len(w.changes()) != 0 || !exists(filepath.Join(w.pgdata, "PG_VERSION")) {
		t.Errorf("exit %d changes %v", r.code, w.changes())
	}

	// Yes to everything: old data kept aside, backup taken as postgres.
	w.on("pg_basebackup", func([]string) (cmdrun.Result, error) {
		w.write(filepath.Join(w.pgdata, "PG_VERSION"), "15\n")
		return ok("")
	})
	w.h.stdin = "y\ny\n"
	r = w.cli("standby-start")
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !exists(filepath.Join(w.pgdata+".pgrex-old-20261122T050000Z", "PG_VERSION")) || exists(lock) {
		t.Errorf("old data aside: %v, lock gone: %v", exists(w.pgdata+".pgrex-old-20261122T050000Z"), !exists(lock))
	}
	var bb cmdrun.Cmd
	for _, c := range w.h.run.calls {
		if filepath.Base(c.Path) == "pg_basebackup" {
			bb = c
		}
	}
	wantArgs := []string{"--pgdata=" + w.pgdata, "--host=192.0.2.80", "--port=5432", "--username=repuser", "--no-password",
		"--wal-method=stream", "--checkpoint=fast", "--progress"}
	if bb.Path != "/usr/lib/postgresql/15/bin/pg_basebackup" || !slices.Equal(bb.Args, wantArgs) || bb.Timeout != defaultRebuildTimeout {
		t.Errorf("pg_basebackup %+v", bb)
	}
}

func TestStandbyStartNoPrimary(t *testing.T) {
	w := standbyWorld(t)
	w.on("@pgrep", func([]string) (cmdrun.Result, error) { return failed(1, "", "") })
	r := w.cli("standby-start", "--yes")
	wantLines(t, r.stdout, "no primary runs on node1")
	if r.code != exitDown || len(w.changes()) != 0 {
		t.Errorf("exit %d changes %v", r.code, w.changes())
	}
}

func TestStandbyStartCheckOnly(t *testing.T) {
	w := standbyWorld(t)
	r := w.cli("standby-start", "--check-only", "--basebackup")
	wantLines(t, r.stdout, "n) start as it is: available", "b) a new base backup from the primary: available")
	if r.code != exitOK || strings.Contains(r.stdout, "Plan:") || len(w.changes()) != 0 {
		t.Errorf("exit %d\n%s", r.code, r.stdout)
	}
}

func TestStandbyStartJSON(t *testing.T) {
	w := standbyWorld(t)
	r := w.cli("standby-start", "--dry-run", "--json", "--basebackup")
	if r.code != exitOK || !strings.Contains(r.stdout, `"chosen": "basebackup"`) || !strings.Contains(r.stdout, `"code": "pg-basebackup"`) {
		t.Errorf("exit %d\n%s", r.code, r.stdout)
	}
	// stdout is one JSON document and nothing else (scripts parse it)
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Errorf("--json output is not one JSON document: %v\n%s", err, r.stdout)
	}
}

func TestStandbyStartJapanese(t *testing.T) {
	w := standbyWorld(t)
	w.h.env["LANG"] = "ja_JP.UTF-8"
	r := w.cli("standby-start", "--dry-run")
	wantLines(t, r.stdout, "Standby として起動する方法:", "選択した方法: n) そのまま起動", "実施する手順:",
		"Primary 192.0.2.71 からアーカイブファイル 1 個を取得", "ドライラン: 何も変更していません。")
}

// switchoverWorld: node1 is primary, node2 the synchronous standby.
// After the ban node2 is primary on timeline 4, promoted at 0/4000200.
func switchoverWorld(t *testing.T) *procWorld {
	w := newProcWorld(t, "node1", "node2", "192.0.2.72")
	w.pgRuns = true
	w.crmMon = []string{"pgrex-healthy.xml", "pgrex-healthy.xml", "crm_mon-healthy-node2-primary.xml"}
	w.on("pgrep", func([]string) (cmdrun.Result, error) {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.pgRuns {
			return ok("99\n")
		}
		return failed(1, "", "")
	})
	w.on("systemctl", func(args []string) (cmdrun.Result, error) {
		w.mu.Lock()
		w.pgRuns = args[0] == "start"
		w.crmMon = []string{"", "pgrex-healthy.xml"} // after the rejoin: node1 HS:sync… as node2 in the fixture
		w.polls = 0
		w.mu.Unlock()
		return ok("")
	})
	w.on("@pgrep", func([]string) (cmdrun.Result, error) { return ok("311\n") })
	w.on("@crm_mon", func([]string) (cmdrun.Result, error) { return ok(readFixture(t, "crm_mon-healthy-node2-primary.xml")) })
	w.on("@psql", func([]string) (cmdrun.Result, error) {
		return ok("150018|f|7000|000000040000000000000004|0/4000300|on|5432|16777216\n")
	})
	w.on("@cat", func([]string) (cmdrun.Result, error) {
		return ok("1\t0/2000000\tx\n2\t0/3000180\tx\n3\t0/4000200\tx\n")
	})
	w.on("@find", func([]string) (cmdrun.Result, error) { return ok(w.archive + "\t200\t00000004.history\n") })
	w.on("scp", func(args []string) (cmdrun.Result, error) {
		dst := args[len(args)-1]
		w.write(filepath.Join(dst, "00000004.history"), strings.Repeat("h", 200))
		return ok("")
	})
	// After the demote node1's WAL ends at its shutdown checkpoint, before
	// node2's promote point.
	w.on("pg_waldump", func([]string) (cmdrun.Result, error) {
		return failed(1, "", "pg_waldump: error: error in WAL record at 0/4000190: invalid record length at 0/4000200: wanted 24, got 0")
	})
	w.write(filepath.Join(w.tmpdir, "PGSQL.lock"), "promoted=2026-11-22T04:49:16Z\n")
	return w
}

func TestSwitchoverDryRun(t *testing.T) {
	w := switchoverWorld(t)
	r := w.cli("switchover", "--dry-run")
	wantLines(t, r.stdout,
		"Primary: node1 -> node2, standby: node2 -> node1",
		"1. Move the primary role away from node1 to node2 (crm_resource --ban on msPostgresql) [asks first]",
		"2. Wait until node2 is primary (PRI / LATEST), at most 5m0s",
		"3. Remove the move constraint (crm_resource --clear -r msPostgresql)",
		"4. Stop Pacemaker on node1: systemctl stop pacemaker corosync",
		"5. Wait until Pacemaker and PostgreSQL have stopped on node1",
		"Then node1 rejoins as standby",
		"Dry run: nothing was changed.")
	if r.code != exitOK || len(w.changes()) != 0 {
		t.Errorf("exit %d changes %v", r.code, w.changes())
	}
}

func TestSwitchoverOnStandbyRefused(t *testing.T) {
	w := switchoverWorld(t)
	w.node = "node2"
	w.h.conf = strings.Replace(w.h.conf, "Node_name = node1", "Node_name = node2", 1)
	r := w.cli("switchover", "--yes")
	wantLines(t, r.stdout, "node2 is not the primary (Unpromoted HS:sync/STREAMING|SYNC): run switchover on the primary")
	if r.code != exitAttn || len(w.changes()) != 0 {
		t.Errorf("exit %d changes %v", r.code, w.changes())
	}
}

func TestSwitchover(t *testing.T) {
	w := switchoverWorld(t)
	w.crmMon = []string{"pgrex-healthy.xml", "pgrex-healthy.xml", "crm_mon-healthy-node2-primary.xml"}
	// The rejoin waits for node1 as HS:sync: the lab capture of node2
	// primary shows exactly that.
	w.on("systemctl", func(args []string) (cmdrun.Result, error) {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.pgRuns = args[0] == "start"
		w.crmMon = []string{"", "crm_mon-healthy-node2-primary.xml"}
		w.polls = 0
		return ok("")
	})
	r := w.cli("switchover", "--yes")
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	wantLines(t, r.stdout,
		"**** Primary has started on node2 ****",
		"Chosen: n) start as it is",
		"Remove PGSQL.lock "+filepath.Join(w.tmpdir, "PGSQL.lock")+" (switchover: reuse proven)",
		"**** Switchover completed: primary node2, standby node1 ****")
	want := []string{
		": crm_resource --ban --promoted --resource msPostgresql --node node1",
		": crm_resource --clear --resource msPostgresql",
		": systemctl stop pacemaker corosync",
		": scp -p -q -o BatchMode=yes -o ConnectTimeout=10 -o ServerAliveInterval=10 192.0.2.72:" + w.archive + "/00000004.history " +
			w.archive + "/.pgrex-fetch-20261122T050000Z/",
		": systemctl start pacemaker",
	}
	if got := w.changes(); !slices.Equal(got, want) {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if exists(filepath.Join(w.tmpdir, "PGSQL.lock")) || !exists(filepath.Join(w.archive, "00000004.history")) {
		t.Error("lock kept or history not fetched")
	}
}

// Switchover when node1's WAL went past node2's promote point: the lock
// stays until pg_rewind has run.
func TestSwitchoverDivergedRewinds(t *testing.T) {
	w := switchoverWorld(t)
	w.on("pg_waldump", func([]string) (cmdrun.Result, error) {
		return failed(1, "", "pg_waldump: error: error in WAL record at 0/4000250: invalid record length at 0/4000290: wanted 24, got 0")
	})
	w.on("pg_controldata", func([]string) (cmdrun.Result, error) {
		return ok(controlDataText("7000", "shut down", 3, "0/4000028"))
	})
	var order []string
	w.on("pg_rewind", func([]string) (cmdrun.Result, error) {
		order = append(order, fmt.Sprintf("rewind, lock there: %v", exists(filepath.Join(w.tmpdir, "PGSQL.lock"))))
		return ok("")
	})
	w.crmMon = []string{"pgrex-healthy.xml", "pgrex-healthy.xml", "crm_mon-healthy-node2-primary.xml"}
	r := w.cli("switchover", "--yes")
	wantLines(t, r.stdout, "Chosen: r) pg_rewind, then start")
	if !slices.Equal(order, []string{"rewind, lock there: true"}) || exists(filepath.Join(w.tmpdir, "PGSQL.lock")) {
		t.Errorf("order %v, lock %v, exit %d\n%s%s", order, exists(filepath.Join(w.tmpdir, "PGSQL.lock")), r.code, r.stdout, r.stderr)
	}
}

func TestStop(t *testing.T) {
	t.Run("standby", func(t *testing.T) {
		w := newProcWorld(t, "node2", "node1", "192.0.2.71")
		w.pgRuns = true
		running := true
		w.on("pgrep", func([]string) (cmdrun.Result, error) {
			if running {
				return ok("55\n")
			}
			return failed(1, "", "")
		})
		w.on("systemctl", func([]string) (cmdrun.Result, error) { running, w.pgRuns = false, false; return ok("") })
		w.crmMon = []string{"pgrex-healthy.xml"}
		// The primary's cluster: vip-slave still starting there, then settled.
		settled := readFixture(t, "pgrex-standby-node-stopped.xml")
		starting := strings.Replace(settled, `id="vip-slave" resource_agent="ocf:heartbeat:IPaddr2" role="Started"`,
			`id="vip-slave" resource_agent="ocf:heartbeat:IPaddr2" role="Starting"`, 1)
		peerPolls := 0
		w.on("@crm_mon", func([]string) (cmdrun.Result, error) {
			peerPolls++
			if peerPolls == 1 {
				return ok(starting)
			}
			return ok(settled)
		})
		r := w.cli("stop")
		wantLines(t, r.stdout, "1. CHECKPOINT on node2", "2. Stop the standby node2: systemctl stop pacemaker corosync",
			"node2: Pacemaker stopped; not settled: vip-slave Starting on node1", "Pacemaker has stopped.")
		if peerPolls != 2 {
			t.Errorf("the peer's cluster was read %d times, want 2", peerPolls)
		}
		want := []string{": /usr/lib/postgresql/15/bin/psql -X -q -A -t -v ON_ERROR_STOP=1 -p 5432 -h /run/postgresql -d template1 -c CHECKPOINT",
			": systemctl stop pacemaker corosync"}
		if r.code != exitOK || !slices.Equal(w.changes(), want) {
			t.Errorf("exit %d changes %q\n%s%s", r.code, w.changes(), r.stdout, r.stderr)
		}
	})
	t.Run("primary with a standby: warned, declined", func(t *testing.T) {
		w := newProcWorld(t, "node1", "node2", "192.0.2.72")
		w.pgRuns = true
		w.on("pgrep", func([]string) (cmdrun.Result, error) { return ok("55\n") })
		w.crmMon = []string{"pgrex-healthy.xml"}
		w.h.stdin = "n\n"
		r := w.cli("stop", "--fast")
		wantLines(t, r.stdout, "the standby node2 takes over when the primary node1 stops; to move the primary use pgrex switchover",
			"Stop the primary node1 while the standby runs (the standby takes over): systemctl stop pacemaker corosync: go ahead? [y/N]")
		if r.code != exitDeclined || len(w.changes()) != 0 {
			t.Errorf("exit %d changes %v", r.code, w.changes())
		}
	})
	t.Run("already stopped", func(t *testing.T) {
		w := newProcWorld(t, "node1", "node2", "192.0.2.72")
		r := w.cli("stop")
		wantLines(t, r.stdout, "Pacemaker is not running on node1")
		if r.code != exitOK || len(w.changes()) != 0 {
			t.Errorf("exit %d changes %v", r.code, w.changes())
		}
	})
	t.Run("all, from the primary: the standby first over ssh", func(t *testing.T) {
		w := newProcWorld(t, "node1", "node2", "192.0.2.72")
		w.pgRuns = true
		peerUp, localUp := true, true
		w.on("@pgrep", func([]string) (cmdrun.Result, error) {
			if peerUp {
				return ok("1\n")
			}
			return failed(1, "", "")
		})
		w.on("pgrep", func([]string) (cmdrun.Result, error) {
			if localUp {
				return ok("1\n")
			}
			return failed(1, "", "")
		})
		w.on("@systemctl", func([]string) (cmdrun.Result, error) { peerUp = false; return ok("") })
		w.on("systemctl", func([]string) (cmdrun.Result, error) {
			if peerUp {
				t.Error("the primary was stopped before the standby")
			}
			localUp, w.pgRuns = false, false
			return ok("")
		})
		w.crmMon = []string{"pgrex-healthy.xml"}
		r := w.cli("stop", "--all", "--yes", "--fast")
		want := []string{"192.0.2.72: systemctl stop pacemaker corosync", ": systemctl stop pacemaker corosync"}
		if r.code != exitOK || !slices.Equal(w.changes(), want) {
			t.Errorf("exit %d changes %q\n%s%s", r.code, w.changes(), r.stdout, r.stderr)
		}
	})
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

func TestPeerFromDLAN(t *testing.T) {
	a, b := netip.MustParseAddr("192.0.2.71"), netip.MustParseAddr("192.0.2.72")
	for _, tt := range []struct {
		local []netip.Addr
		want  string
	}{
		{[]netip.Addr{a}, "192.0.2.72"}, {[]netip.Addr{b, netip.MustParseAddr("10.0.0.1")}, "192.0.2.71"},
		{nil, ""}, {[]netip.Addr{a, b}, ""},
	} {
		if got := peerFromDLAN([]netip.Addr{a, b}, tt.local); got != tt.want {
			t.Errorf("local %v: %q, want %q", tt.local, got, tt.want)
		}
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
	src := mainSource(t)
	for _, key := range msg.Keys("pc.") {
		if !regexp.MustCompile(`"` + regexp.QuoteMeta(key) + `"`).Match(src) {
			t.Errorf("message %s is never used", key)
		}
	}
}

// tree writes files (path relative to root → content) and returns a
// function that lists every file still there.
func tree(t *testing.T, root string, files map[string]string) func() []string {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return func() []string {
		var out []string
		for name := range files {
			if exists(filepath.Join(root, name)) {
				out = append(out, name)
			}
		}
		slices.Sort(out)
		return out
	}
}

// --basebackup --remove-old-data --yes with a wrong PGDATA deletes
// nothing and is refused (exit 2); this cluster's data directory is
// planned for deletion.
func TestStandbyStartRemoveOldDataProof(t *testing.T) {
	dataDir := map[string]string{"PG_VERSION": "15\n", "global/pg_control": "ctl", "base/1/PG_VERSION": "15\n", "base/1/1259": "rel"}
	tests := []struct {
		name  string
		files map[string]string
		sysid string // what pg_controldata says of it
		link  bool   // PGDATA is a symbolic link to the directory
		want  string
	}{
		{name: "a directory of user files", files: map[string]string{"report.txt": "mine", "photos/a.jpg": "jpg"},
			want: "has no PG_VERSION: it is not a data directory, nothing is deleted"},
		{name: "a parent of a data directory", files: map[string]string{"notes": "n", "15/main/PG_VERSION": "15\n",
			"15/main/global/pg_control": "ctl"}, want: "holds another data directory"},
		{name: "another cluster's data directory", files: dataDir, sysid: "6999",
			want: "belongs to another database cluster (system identifier 6999, the primary's is 7000)"},
		{name: "a symbolic link to this cluster's data", files: dataDir, sysid: "7000", link: true,
			want: "is a symbolic link: nothing is deleted through it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := standbyWorld(t)
			dir := filepath.Join(w.root, "wrong")
			left := tree(t, dir, tt.files)
			pgdata := dir
			if tt.link {
				pgdata = filepath.Join(w.root, "link")
				if err := os.Symlink(dir, pgdata); err != nil {
					t.Fatal(err)
				}
			}
			w.on("pg_controldata", func([]string) (cmdrun.Result, error) {
				if tt.sysid == "" {
					return failed(1, "", "pg_controldata: fatal: could not open file \"global/pg_control\"")
				}
				return ok(controlDataText(tt.sysid, "shut down", 3, "0/4000028"))
			})
			all := left()
			r := w.cli("standby-start", "--basebackup", "--remove-old-data", "--shared-archive", "--yes", "--pgdata", pgdata)
			if r.code != exitAttn {
				t.Errorf("exit %d, want %d\n%s%s", r.code, exitAttn, r.stdout, r.stderr)
			}
			wantLines(t, r.stdout, tt.want)
			if got := left(); !slices.Equal(got, all) || len(w.changes()) != 0 {
				t.Errorf("files left %v of %v; changes %v", got, all, w.changes())
			}
			if tt.link && !exists(pgdata) {
				t.Error("the link was removed")
			}
		})
	}

	t.Run("this cluster's data directory", func(t *testing.T) {
		w := standbyWorld(t)
		dir := filepath.Join(w.root, "data15")
		tree(t, dir, dataDir)
		r := w.cli("standby-start", "--basebackup", "--remove-old-data", "--shared-archive", "--dry-run", "--pgdata", dir)
		wantLines(t, r.stdout, "1. Delete "+dir+" (asked for with --remove-old-data) [asks first]")
		if r.code != exitOK {
			t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})

	t.Run("a pg_wal link to a directory with other files", func(t *testing.T) {
		w := standbyWorld(t)
		dir := filepath.Join(w.root, "data15")
		tree(t, dir, dataDir)
		wal := filepath.Join(w.root, "walfs")
		left := tree(t, wal, map[string]string{"000000030000000000000004": "", "backup.tar": "mine"})
		if err := os.Symlink(wal, filepath.Join(dir, "pg_wal")); err != nil {
			t.Fatal(err)
		}
		r := w.cli("standby-start", "--basebackup", "--remove-old-data", "--shared-archive", "--yes", "--pgdata", dir)
		wantLines(t, r.stdout, "the target of pg_wal, holds what is not WAL (backup.tar)")
		if r.code != exitAttn || len(left()) != 2 || !exists(filepath.Join(dir, "PG_VERSION")) {
			t.Errorf("exit %d, left %v\n%s", r.code, left(), r.stdout)
		}
	})
}
