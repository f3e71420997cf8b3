// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/pgrex/pgrex/templates"
)

// runCLI runs `pgrex crmgen args...` in-process and returns what a user
// would see: stdout, stderr and the exit status.
func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	app := &cli.App{
		Name:      "pgrex",
		Writer:    &stdout,
		ErrWriter: &stderr,
		Commands:  []*cli.Command{crmgenCommand()},
		// Keep urfave/cli from exiting the test process; print the exit
		// message as HandleExitCoder would.
		ExitErrHandler: func(*cli.Context, error) {},
	}
	err := app.Run(append([]string{"pgrex", "crmgen"}, args...))
	code := 0
	if err != nil {
		var ec cli.ExitCoder
		if !errors.As(err, &ec) {
			t.Fatalf("error without exit code: %v", err)
		}
		code = ec.ExitCode()
		if msg := err.Error(); msg != "" {
			stderr.WriteString(msg + "\n")
		}
	}
	return stdout.String(), stderr.String(), code
}

const (
	sheetOK   = ",PROPERTY\n,,name,value\n,,stonith-enabled,true\n"
	crmOK     = "### Cluster Option ###\nproperty stonith-enabled=\"true\"\n"
	sheetWarn = ",PROPERTY\n,,name,value,extra\n,,a,1\n"
	// a ping clone and a location on it: -C/-O drop the implied constraints.
	sheetPing = ",RESOURCES\n,,resourceItem,resourceItem,id\n,,Clone,,cp\n,,,Primitive,ping1\n,,Primitive,,a\n" +
		",PRIMITIVE\n,P,id,class,provider,type\n,,ping1,ocf,pacemaker,ping\n,A,type,name,value\n,,params,name,default_ping_set\n" +
		",PRIMITIVE\n,P,id,class,provider,type\n,,a,ocf,heartbeat,Dummy\n" +
		",LOCATION\n,,rsc,ping:default_ping_set:100\n,,a,yes\n" +
		",ALERT\n,P,path\n,,/a.sh\n,R,recipient\n,,10.0.0.1\n"
	sheetBadPgsql = ",RESOURCES\n,,resourceItem,resourceItem,id\n,,Primitive,,pg\n" +
		",PRIMITIVE\n,P,id,class,provider,type\n,,pg,ocf,pgrex,pgsql\n,A,type,name,value\n,,params,rep_mod,sync\n"
)

func sheet(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "env.csv")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCrmgenCommand(t *testing.T) {
	ok, warn, ping, bad := sheet(t, sheetOK), sheet(t, sheetWarn), sheet(t, sheetPing), sheet(t, sheetBadPgsql)
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     string   // exact, unless "*"
		stderrHave []string // substrings of stderr
		stderrNot  []string
	}{
		{"generates to stdout", []string{ok}, 0, crmOK, nil, nil},
		{"warnings hidden without -V", []string{warn}, 2, "### Cluster Option ###\nproperty a=\"1\"\n",
			[]string{"'-V' オプションを指定してください"}, []string{"WARN"}},
		{"-V shows warnings", []string{"-V", warn}, 2, "*", []string{"WARN  : env.csv(L2): 未定義の列 [extra](列E)"}, []string{"'-V' オプション"}},
		{"-VVV counts three", []string{"-VVV", warn}, 2, "*", []string{"info  : 実行コマンドライン ["}, nil},
		{"implied constraints by default", []string{ping}, 0, "*", nil, nil},
		{"-C and -O drop them, -b brackets recipients", []string{"-C", "-O", "-b", ping}, 0, "*", nil, nil},
		{"--check rejects an unknown pgsql parameter", []string{"--check", "-V", bad}, 1, "",
			[]string{"ERROR : env.csv(L8): [id: pg] のパラメータ [rep_mod] は ocf:pgrex:pgsql のパラメータではありません。"}, nil},
		{"without --check the same sheet generates", []string{bad}, 0, "*", nil, nil},
		{"no file", nil, 1, "", []string{"CSVファイルが指定されていません。\n\nUsage: pgrex crmgen [options] CSVFILE"}, nil},
		{"two files", []string{ok, ok}, 1, "", []string{"CSVファイルが複数指定されています。"}, nil},
		{"option after the file", []string{ok, "-V"}, 1, "", []string{"オプション [-V]", "より前に指定してください"}, nil},
		{"unknown option", []string{"-x", ok}, 1, "", []string{"flag provided but not defined: -x", "Usage: pgrex crmgen"}, nil},
		{"--template with a file", []string{"--template", ok}, 1, "", []string{"--template にCSVファイルは指定できません。"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit status %d, want %d (stderr %q)", code, tt.code, stderr)
			}
			if tt.stdout != "*" && stdout != tt.stdout {
				t.Errorf("stdout %q, want %q", stdout, tt.stdout)
			}
			for _, s := range tt.stderrHave {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr %q lacks %q", stderr, s)
				}
			}
			for _, s := range tt.stderrNot {
				if strings.Contains(stderr, s) {
					t.Errorf("stderr %q has %q", stderr, s)
				}
			}
		})
	}
}

// -C, -O and -b must reach the generator: compare the ping sheet's output
// with and without them.
func TestCrmgenFlagsReachGenerator(t *testing.T) {
	p := sheet(t, sheetPing)
	plain, _, _ := runCLI(t, p)
	for _, want := range []string{"colocation rsc_colocation-a-cp-1 INFINITY: a cp\n", "order rsc_order-cp-a-1 0: cp a symmetrical=false\n", "\tto 10.0.0.1\n"} {
		if !strings.Contains(plain, want) {
			t.Errorf("default output lacks %q:\n%s", want, plain)
		}
	}
	noColoc, _, _ := runCLI(t, "-C", p)
	if strings.Contains(noColoc, "colocation") || !strings.Contains(noColoc, "order rsc_order-cp-a-1") {
		t.Errorf("-C output:\n%s", noColoc)
	}
	noOrder, _, _ := runCLI(t, "-O", p)
	if strings.Contains(noOrder, "order rsc_order") || !strings.Contains(noOrder, "colocation") {
		t.Errorf("-O output:\n%s", noOrder)
	}
	brackets, _, _ := runCLI(t, "-b", p)
	if !strings.Contains(brackets, "\tto { 10.0.0.1 }\n") {
		t.Errorf("-b output:\n%s", brackets)
	}
}

func TestCrmgenOutputFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "pgrex.crm")
	stdout, stderr, code := runCLI(t, "-o", out, sheet(t, sheetOK))
	if code != 0 || stdout != "" || stderr != "" {
		t.Fatalf("code %d stdout %q stderr %q", code, stdout, stderr)
	}
	if got, err := os.ReadFile(out); err != nil || string(got) != crmOK {
		t.Errorf("output file %q, %v", got, err)
	}
}

func TestCrmgenTemplate(t *testing.T) {
	want, err := templates.FS.ReadFile(templates.PGREXEnvCSV)
	if err != nil {
		t.Fatal(err)
	}
	stdout, _, code := runCLI(t, "--template")
	if code != 0 || stdout != string(want) {
		t.Errorf("--template: code %d, %d bytes, want the %d-byte embedded sheet", code, len(stdout), len(want))
	}
	// The printed template round-trips: it generates cleanly, checked.
	out := filepath.Join(t.TempDir(), "env.csv")
	if _, _, code := runCLI(t, "--template", "-o", out); code != 0 {
		t.Fatalf("--template -o: code %d", code)
	}
	crm, stderr, code := runCLI(t, "--check", "-VVV", out)
	if code != 0 || !strings.Contains(crm, "primitive pgsql ocf:pgrex:pgsql") {
		t.Errorf("generating from the template: code %d, stderr:\n%s", code, stderr)
	}
}
