// SPDX-License-Identifier: Apache-2.0

package attrd_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pgrex/pgrex/attrd"
	"github.com/pgrex/pgrex/ra/cmdrun"
	"github.com/pgrex/pgrex/test/fixtures"
)

// reply is what scriptedRunner answers: output and exit code as the real
// tool would produce them, or a context error for a command killed at its
// deadline.
type reply struct {
	stdout, stderr string
	exit           int
	ctxErr         error
}

// scriptedRunner records every command and answers with the reply for it;
// it builds the same *cmdrun.Error the real runner does for a non-zero exit.
type scriptedRunner struct {
	mu     sync.Mutex
	cmds   []cmdrun.Cmd
	answer func(cmdrun.Cmd) reply
}

func (r *scriptedRunner) Run(ctx context.Context, c cmdrun.Cmd) (cmdrun.Result, error) {
	r.mu.Lock()
	r.cmds = append(r.cmds, c)
	r.mu.Unlock()
	rep := reply{}
	if r.answer != nil {
		rep = r.answer(c)
	}
	res := cmdrun.Result{Stdout: []byte(rep.stdout), Stderr: []byte(rep.stderr), ExitCode: rep.exit}
	if rep.ctxErr != nil {
		res.ExitCode = -1
		return res, &cmdrun.Error{Cmd: c.Path, ExitCode: -1, Output: rep.stderr, Err: fmt.Errorf("%w after 5s", rep.ctxErr)}
	}
	if rep.exit != 0 {
		return res, &cmdrun.Error{Cmd: c.Path + " " + strings.Join(c.Args, " "), ExitCode: rep.exit,
			Output: rep.stderr + " " + rep.stdout, Err: fmt.Errorf("exit status %d", rep.exit)}
	}
	return res, nil
}

func (r *scriptedRunner) only(t *testing.T) cmdrun.Cmd {
	t.Helper()
	if len(r.cmds) != 1 {
		t.Fatalf("ran %d commands, want exactly 1: %+v", len(r.cmds), r.cmds)
	}
	return r.cmds[0]
}

// The exact argument slices matter: they are what Pacemaker 2.1.5 parses
// correctly (long options, "--opt=value" so "-INFINITY" stays a value), and
// what test/fakecrm accepts.
func TestCRMCommands(t *testing.T) {
	env := []string{"CIB_file=/tmp/x.xml"}
	opts := attrd.Options{CrmAttribute: "/usr/sbin/crm_attribute", CrmMon: "/usr/sbin/crm_mon", CrmNode: "/usr/sbin/crm_node",
		Timeout: 7 * time.Second, ForeverWriteTimeout: 3 * time.Second, Env: env}
	tests := []struct {
		name    string
		call    func(context.Context, *attrd.CRM) error
		path    string
		args    []string
		timeout time.Duration
	}{
		{"get reboot", func(ctx context.Context, c *attrd.CRM) error {
			_, _, err := c.Get(ctx, "node1", "pgsql-status", attrd.Reboot)
			return err
		}, "/usr/sbin/crm_attribute", []string{"--query", "--quiet", "--node=node1", "--name=pgsql-status", "--lifetime=reboot"}, 7 * time.Second},
		{"get forever", func(ctx context.Context, c *attrd.CRM) error {
			_, _, err := c.Get(ctx, "node2", "pgsql-data-status", attrd.Forever)
			return err
		}, "/usr/sbin/crm_attribute", []string{"--query", "--quiet", "--node=node2", "--name=pgsql-data-status", "--lifetime=forever"}, 7 * time.Second},
		{"set reboot", func(ctx context.Context, c *attrd.CRM) error {
			return c.Set(ctx, "node1", "pgsql-status", "HS:alone", attrd.Reboot)
		}, "/usr/sbin/crm_attribute", []string{"--node=node1", "--name=pgsql-status", "--lifetime=reboot", "--update=HS:alone"}, 7 * time.Second},
		{"set forever uses crm_attr_timeout", func(ctx context.Context, c *attrd.CRM) error {
			return c.Set(ctx, "node2", "pgsql-data-status", "STREAMING|SYNC", attrd.Forever)
		}, "/usr/sbin/crm_attribute", []string{"--node=node2", "--name=pgsql-data-status", "--lifetime=forever", "--update=STREAMING|SYNC"}, 3 * time.Second},
		{"set a value that looks like an option", func(ctx context.Context, c *attrd.CRM) error {
			return c.Set(ctx, "node1", "x", "-INFINITY", attrd.Reboot)
		}, "/usr/sbin/crm_attribute", []string{"--node=node1", "--name=x", "--lifetime=reboot", "--update=-INFINITY"}, 7 * time.Second},
		{"delete reboot", func(ctx context.Context, c *attrd.CRM) error {
			return c.Delete(ctx, "node1", "pgsql-xlog-loc", attrd.Reboot)
		}, "/usr/sbin/crm_attribute", []string{"--node=node1", "--name=pgsql-xlog-loc", "--lifetime=reboot", "--delete"}, 7 * time.Second},
		{"delete forever uses crm_attr_timeout", func(ctx context.Context, c *attrd.CRM) error {
			return c.Delete(ctx, "node1", "pgsql-data-status", attrd.Forever)
		}, "/usr/sbin/crm_attribute", []string{"--node=node1", "--name=pgsql-data-status", "--lifetime=forever", "--delete"}, 3 * time.Second},
		{"promotion score -INFINITY", func(ctx context.Context, c *attrd.CRM) error {
			return c.SetPromotionScore(ctx, "pgsql", "node2", "-INFINITY")
		}, "/usr/sbin/crm_attribute", []string{"--promotion=pgsql", "--node=node2", "--update=-INFINITY"}, 7 * time.Second},
		{"promotion score drops the instance suffix", func(ctx context.Context, c *attrd.CRM) error {
			return c.SetPromotionScore(ctx, "pgsql:1", "node1", "1000")
		}, "/usr/sbin/crm_attribute", []string{"--promotion=pgsql", "--node=node1", "--update=1000"}, 7 * time.Second},
		{"delete promotion score", func(ctx context.Context, c *attrd.CRM) error {
			return c.DeletePromotionScore(ctx, "pgsql", "node1")
		}, "/usr/sbin/crm_attribute", []string{"--promotion=pgsql", "--node=node1", "--delete"}, 7 * time.Second},
		{"snapshot", func(ctx context.Context, c *attrd.CRM) error {
			_, err := c.Snapshot(ctx)
			if errors.Is(err, attrd.ErrNoStatus) { // the scripted empty output
				err = nil
			}
			return err
		}, "/usr/sbin/crm_mon", []string{"--one-shot", "--output-as=xml", "--include=none,nodes,resources,attributes"}, 7 * time.Second},
		{"local node", func(ctx context.Context, c *attrd.CRM) error {
			_, err := c.LocalNode(ctx)
			if err != nil && strings.Contains(err.Error(), `printed ""`) { // the scripted empty output
				err = nil
			}
			return err
		}, "/usr/sbin/crm_node", []string{"--name"}, 7 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &scriptedRunner{}
			if err := tt.call(t.Context(), attrd.NewCRM(r, opts)); err != nil {
				t.Fatal(err)
			}
			c := r.only(t)
			if c.Path != tt.path || !slices.Equal(c.Args, tt.args) {
				t.Errorf("ran %s %q\nwant %s %q", c.Path, c.Args, tt.path, tt.args)
			}
			if c.Timeout != tt.timeout {
				t.Errorf("timeout %v, want %v", c.Timeout, tt.timeout)
			}
			if !slices.Equal(c.Env, env) {
				t.Errorf("env %q, want %q", c.Env, env)
			}
			for _, a := range c.Args {
				if !strings.HasPrefix(a, "--") {
					t.Errorf("argument %q is not a long option", a)
				}
			}
		})
	}
}

func TestCRMDefaults(t *testing.T) {
	r := &scriptedRunner{}
	c := attrd.NewCRM(r, attrd.Options{})
	_ = c.Set(t.Context(), "n", "a", "v", attrd.Forever)
	_ = c.Set(t.Context(), "n", "a", "v", attrd.Reboot)
	_, _ = c.Snapshot(t.Context())
	_, _ = c.LocalNode(t.Context())
	want := []struct {
		path    string
		timeout time.Duration
	}{
		{"crm_attribute", attrd.DefaultForeverWriteTimeout},
		{"crm_attribute", attrd.DefaultTimeout},
		{"crm_mon", attrd.DefaultTimeout},
		{"crm_node", attrd.DefaultTimeout},
	}
	if len(r.cmds) != len(want) {
		t.Fatalf("ran %d commands", len(r.cmds))
	}
	for i, w := range want {
		if r.cmds[i].Path != w.path || r.cmds[i].Timeout != w.timeout {
			t.Errorf("command %d: %s with timeout %v, want %s with %v", i, r.cmds[i].Path, r.cmds[i].Timeout, w.path, w.timeout)
		}
	}
}

// Real crm_attribute 2.1.5 output, captured with CIB_file on this machine.
var (
	noSuchAttr  = reply{stderr: "crm_attribute: Error performing operation: No such device or address\n", exit: 105}
	noSuchAttr1 = reply{stderr: "Error performing operation: No such device or address\n", exit: 6} // Pacemaker 1.1
	unknownNode = reply{stderr: "crm_attribute: Could not map name=nodeX to a UUID\n", exit: 105}
	notConn     = reply{stderr: "crm_attribute: Could not connect to the CIB: Transport endpoint is not connected\n", exit: 102}
	killed      = reply{ctxErr: context.DeadlineExceeded}
)

func TestCRMGet(t *testing.T) {
	tests := []struct {
		name      string
		reply     reply
		value     string
		found     bool
		errIs     error  // nil: expect no error
		errSays   string // substring of the error
		isCmdrErr bool   // the cmdrun error (with the command's output) is in the chain
	}{
		{name: "value", reply: reply{stdout: "PRI\n"}, value: "PRI", found: true},
		{name: "value with spaces", reply: reply{stdout: "normal (master)\n"}, value: "normal (master)", found: true},
		{name: "empty value is found", reply: reply{stdout: "\n"}, value: "", found: true},
		{name: "absent", reply: noSuchAttr, found: false},
		{name: "absent on Pacemaker 1.1", reply: noSuchAttr1, found: false},
		{name: "unknown node", reply: unknownNode, errIs: attrd.ErrUnknownNode,
			errSays: "reading node attribute pgsql-status (reboot) of nodeX: node unknown to the cluster: crm_attribute: Could not map name=nodeX to a UUID"},
		{name: "cluster down", reply: notConn, errSays: "reading node attribute pgsql-status (reboot) of nodeX: /usr/sbin/crm_attribute --query",
			isCmdrErr: true},
		{name: "timeout is not absence", reply: killed, errIs: context.DeadlineExceeded, isCmdrErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &scriptedRunner{answer: func(cmdrun.Cmd) reply { return tt.reply }}
			c := attrd.NewCRM(r, attrd.Options{CrmAttribute: "/usr/sbin/crm_attribute"})
			v, found, err := c.Get(t.Context(), "nodeX", "pgsql-status", attrd.Reboot)
			checkErr(t, err, tt.errIs, tt.errSays, tt.isCmdrErr, tt.errIs != nil || tt.errSays != "" || tt.isCmdrErr)
			if v != tt.value || found != tt.found {
				t.Errorf("Get = %q, %v; want %q, %v", v, found, tt.value, tt.found)
			}
		})
	}
}

func TestCRMWriteErrors(t *testing.T) {
	type op struct {
		name string
		call func(context.Context, *attrd.CRM) error
		// absentOK: the operation succeeds when the attribute is absent
		// (deletes are idempotent); for writes "no such" is a failure.
		absentOK bool
		says     string
	}
	ops := []op{
		{"Set", func(ctx context.Context, c *attrd.CRM) error {
			return c.Set(ctx, "nodeX", "pgsql-data-status", "DISCONNECT", attrd.Forever)
		}, false, `setting node attribute pgsql-data-status="DISCONNECT" (forever) on nodeX`},
		{"Delete", func(ctx context.Context, c *attrd.CRM) error {
			return c.Delete(ctx, "nodeX", "pgsql-xlog-loc", attrd.Reboot)
		}, true, "deleting node attribute pgsql-xlog-loc (reboot) of nodeX"},
		{"SetPromotionScore", func(ctx context.Context, c *attrd.CRM) error {
			return c.SetPromotionScore(ctx, "pgsql", "nodeX", "100")
		}, false, "setting promotion score of pgsql on nodeX to 100"},
		{"DeletePromotionScore", func(ctx context.Context, c *attrd.CRM) error {
			return c.DeletePromotionScore(ctx, "pgsql", "nodeX")
		}, true, "deleting promotion score of pgsql on nodeX"},
	}
	for _, o := range ops {
		t.Run(o.name, func(t *testing.T) {
			for _, tc := range []struct {
				name    string
				reply   reply
				wantErr bool
				errIs   error
				cmdErr  bool
			}{
				{"ok", reply{}, false, nil, false},
				{"absent", noSuchAttr, !o.absentOK, nil, true},
				{"unknown node", unknownNode, true, attrd.ErrUnknownNode, false},
				{"cluster down", notConn, true, nil, true},
				{"timeout", killed, true, context.DeadlineExceeded, true},
			} {
				t.Run(tc.name, func(t *testing.T) {
					r := &scriptedRunner{answer: func(cmdrun.Cmd) reply { return tc.reply }}
					err := o.call(t.Context(), attrd.NewCRM(r, attrd.Options{}))
					says := ""
					if tc.wantErr {
						says = o.says
					}
					checkErr(t, err, tc.errIs, says, tc.cmdErr && tc.wantErr, tc.wantErr)
				})
			}
		})
	}
}

// Bad input is refused before anything runs: crm_attribute would happily
// store a promotion score of "abc" (the scheduler then reads 0).
func TestCRMRejectsBadInput(t *testing.T) {
	tests := []struct {
		name  string
		call  func(context.Context, *attrd.CRM) error
		errIs error
		says  string
	}{
		{"score not a number", func(ctx context.Context, c *attrd.CRM) error {
			return c.SetPromotionScore(ctx, "pgsql", "node1", "abc")
		}, attrd.ErrInvalidScore, `invalid promotion score "abc"`},
		{"score with space", func(ctx context.Context, c *attrd.CRM) error {
			return c.SetPromotionScore(ctx, "pgsql", "node1", "- INFINITY")
		}, attrd.ErrInvalidScore, "invalid promotion score"},
		{"score without node", func(ctx context.Context, c *attrd.CRM) error {
			return c.SetPromotionScore(ctx, "pgsql", "", "100")
		}, nil, "no node given"},
		{"score without resource", func(ctx context.Context, c *attrd.CRM) error {
			return c.DeletePromotionScore(ctx, "", "node1")
		}, nil, "no resource given"},
		{"get without node", func(ctx context.Context, c *attrd.CRM) error {
			_, _, err := c.Get(ctx, "", "a", attrd.Reboot)
			return err
		}, nil, "no node given"},
		{"set without name", func(ctx context.Context, c *attrd.CRM) error {
			return c.Set(ctx, "n", "", "v", attrd.Reboot)
		}, nil, "no attribute name given"},
		{"delete with a bad lifetime", func(ctx context.Context, c *attrd.CRM) error {
			return c.Delete(ctx, "n", "a", attrd.Lifetime(7))
		}, nil, "invalid lifetime Lifetime(7)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &scriptedRunner{}
			err := tt.call(t.Context(), attrd.NewCRM(r, attrd.Options{}))
			checkErr(t, err, tt.errIs, tt.says, false, true)
			if len(r.cmds) != 0 {
				t.Errorf("ran %q despite bad input", r.cmds[0].Args)
			}
		})
	}
	for _, ok := range []string{"0", "100", "1000", "-1000", "+5", "INFINITY", "-INFINITY", "+INFINITY"} {
		r := &scriptedRunner{}
		if err := attrd.NewCRM(r, attrd.Options{}).SetPromotionScore(t.Context(), "pgsql", "n", ok); err != nil {
			t.Errorf("score %q refused: %v", ok, err)
		}
	}
}

func TestCRMSnapshot(t *testing.T) {
	healthy := string(fixtures.Read(t, "crm_mon-healthy.xml"))
	t.Run("parses", func(t *testing.T) {
		r := &scriptedRunner{answer: func(cmdrun.Cmd) reply { return reply{stdout: healthy} }}
		c, err := attrd.NewCRM(r, attrd.Options{}).Snapshot(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if p, _ := c.PromotedNode("pgsql"); p != "node1" {
			t.Errorf("promoted = %q", p)
		}
		if v, _ := c.Attr("node2", "pgsql-status"); v != "HS:sync" {
			t.Errorf("node2 status = %q", v)
		}
	})
	t.Run("crm_mon fails", func(t *testing.T) {
		notConnected := string(fixtures.Read(t, "snapshot-not-connected.xml"))
		r := &scriptedRunner{answer: func(cmdrun.Cmd) reply { return reply{stdout: notConnected, exit: 102} }}
		_, err := attrd.NewCRM(r, attrd.Options{}).Snapshot(t.Context())
		checkErr(t, err, nil, "reading cluster status: crm_mon --one-shot", true, true)
		if !strings.Contains(err.Error(), "Connection refused") {
			t.Errorf("error hides crm_mon's reason: %v", err)
		}
	})
	t.Run("crm_mon exits 0 without status", func(t *testing.T) {
		noCIB := string(fixtures.Read(t, "snapshot-no-cib.xml"))
		r := &scriptedRunner{answer: func(cmdrun.Cmd) reply { return reply{stdout: noCIB} }}
		_, err := attrd.NewCRM(r, attrd.Options{}).Snapshot(t.Context())
		checkErr(t, err, attrd.ErrNoStatus, "reading cluster status: parsing crm_mon XML", false, true)
	})
}

func TestCRMLocalNode(t *testing.T) {
	for _, tt := range []struct {
		reply reply
		want  string
		says  string
	}{
		{reply{stdout: "node1\n"}, "node1", ""},
		{reply{stdout: "\n"}, "", `asking Pacemaker for the local node name: crm_node printed ""`},
		{reply{stdout: "two words\n"}, "", `crm_node printed "two words"`},
		{reply{stderr: "error: Could not connect to controller: Connection refused", exit: 102}, "", "Connection refused"},
	} {
		r := &scriptedRunner{answer: func(cmdrun.Cmd) reply { return tt.reply }}
		got, err := attrd.NewCRM(r, attrd.Options{}).LocalNode(t.Context())
		checkErr(t, err, nil, tt.says, false, tt.says != "")
		if got != tt.want {
			t.Errorf("LocalNode = %q, want %q", got, tt.want)
		}
	}
}

// checkErr asserts an error: wantErr says whether there must be one; errIs
// must be in its chain; says must be in its text; cmdErr says the
// *cmdrun.Error (which carries the tool's output) must be in its chain.
func checkErr(t *testing.T, err, errIs error, says string, cmdErr, wantErr bool) {
	t.Helper()
	if !wantErr {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatal("no error")
	}
	if errIs != nil && !errors.Is(err, errIs) {
		t.Errorf("error %v is not %v", err, errIs)
	}
	if !strings.Contains(err.Error(), says) {
		t.Errorf("error %q\ndoes not say %q", err, says)
	}
	var ce *cmdrun.Error
	if cmdErr && !errors.As(err, &ce) {
		t.Errorf("error %v does not carry the command's error", err)
	}
}
