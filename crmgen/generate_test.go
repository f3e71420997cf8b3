// SPDX-License-Identifier: Apache-2.0

package crmgen

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

const (
	okSheet   = ",PROPERTY\n,,name,value\n,,stonith-enabled,true\n"
	okCRM     = "### Cluster Option ###\nproperty stonith-enabled=\"true\"\n"
	warnSheet = ",PROPERTY\n,,name,value\n,,a,1\n,,a,\n"
	badSheet  = ",PROPERTY\n,,name,value\n,,,1\n"
)

func writeSheet(t *testing.T, dir, content string) string {
	t.Helper()
	p := filepath.Join(dir, "env.csv")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// dirEntries lists a directory, to prove no temporary file is left behind.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestRunWritesOutputFile(t *testing.T) {
	// A restrictive umask must not make the crm file unreadable to others.
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	dir := t.TempDir()
	in := writeSheet(t, dir, okSheet)
	out := filepath.Join(dir, "out.crm")
	var stdout, stderr bytes.Buffer
	if st := Run(RunConfig{Input: in, Output: out}, &stdout, &stderr); st != StatusOK {
		t.Fatalf("status %d, stderr %s", st, stderr.String())
	}
	got, err := os.ReadFile(out)
	if err != nil || string(got) != okCRM {
		t.Fatalf("output file %q, %v", got, err)
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	if stdout.Len() != 0 || stderr.Len() != 0 {
		t.Errorf("unexpected stdout %q / stderr %q", stdout.String(), stderr.String())
	}
	if names := dirEntries(t, dir); strings.Join(names, " ") != "env.csv out.crm" {
		t.Errorf("directory holds %v, want only env.csv and out.crm", names)
	}
}

// On error nothing is written: an existing output file keeps its content.
func TestRunErrorLeavesOutputUntouched(t *testing.T) {
	for name, sheet := range map[string]string{"format error": badSheet, "no valid data": "#nothing\n"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			in := writeSheet(t, dir, sheet)
			out := filepath.Join(dir, "out.crm")
			if err := os.WriteFile(out, []byte("previous\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			st := Run(RunConfig{Input: in, Output: out}, &stdout, &stderr)
			if st == StatusOK {
				t.Fatalf("status 0 for %s", name)
			}
			if got, _ := os.ReadFile(out); string(got) != "previous\n" {
				t.Errorf("output file changed to %q", got)
			}
			if len(dirEntries(t, dir)) != 2 {
				t.Errorf("directory holds %v", dirEntries(t, dir))
			}
		})
	}
}

func TestRunOutputDirectoryMissing(t *testing.T) {
	dir := t.TempDir()
	in := writeSheet(t, dir, okSheet)
	out := filepath.Join(dir, "missing", "out.crm")
	var stdout, stderr bytes.Buffer
	if st := Run(RunConfig{Input: in, Output: out}, &stdout, &stderr); st != StatusError {
		t.Fatalf("status %d, want %d", st, StatusError)
	}
	want := "ERROR : crmファイルの出力に失敗しました。[" + out + "]\n"
	if !strings.HasPrefix(stderr.String(), want) || !strings.Contains(stderr.String(), "create temporary file next to "+out) ||
		!strings.HasSuffix(stderr.String(), quitErrorMsg+"\n") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}

func TestRunMessages(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name      string
		content   string // "" = file missing
		verbosity int
		status    int
		stdout    string
		stderr    string
	}{
		{"ok to stdout", okSheet, 0, StatusOK, okCRM, ""},
		{"hidden warnings get the -V hint", warnSheet, 0, StatusWarning,
			"### Cluster Option ###\nproperty a=\"1\" \\\n\ta=\"\"\n", quitWarnMsg + "\n"},
		{"-V shows warnings", warnSheet, 1, StatusWarning,
			"### Cluster Option ###\nproperty a=\"1\" \\\n\ta=\"\"\n",
			"WARN  : env.csv(L4): 項目 ('name'列) の値 [a] は既に設定されています。(3行目)\n"},
		{"-VVV adds info", warnSheet, 3, StatusWarning,
			"### Cluster Option ###\nproperty a=\"1\" \\\n\ta=\"\"\n",
			"info  : 実行コマンドライン [pgrex crmgen -VVV env.csv]\n" +
				"info  : env.csv(L4): 'value'列に値が設定されていません。\n" +
				"WARN  : env.csv(L4): 項目 ('name'列) の値 [a] は既に設定されています。(3行目)\n"},
		{"errors always show", badSheet, 0, StatusError, "",
			"ERROR : env.csv(L3): フォーマット・エラーが見つかりました。\nERROR : env.csv(L3): 'name'列に値が設定されていません。\n" + quitErrorMsg + "\n"},
		{"unsupported encoding", ",PROPERTY\n,,name,value\n,,a,\xFF\x85\n", 0, StatusError, "",
			"ERROR : CSVファイルの文字エンコーディングが未対応のエンコーディングです。\n" + quitErrorMsg + "\n"},
		{"missing file", "", 0, StatusError, "", "ERROR : ファイルのオープンに失敗しました。[" + filepath.Join(dir, "env.csv") + "]\n" +
			"ERROR : open " + filepath.Join(dir, "env.csv") + ": no such file or directory\n" + quitErrorMsg + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := filepath.Join(dir, "env.csv")
			_ = os.Remove(in)
			if tt.content != "" {
				writeSheet(t, dir, tt.content)
			}
			var stdout, stderr bytes.Buffer
			st := Run(RunConfig{Input: in, Verbosity: tt.verbosity, CommandLine: []string{"pgrex", "crmgen", "-VVV", "env.csv"}}, &stdout, &stderr)
			if st != tt.status {
				t.Errorf("status %d, want %d", st, tt.status)
			}
			if stdout.String() != tt.stdout {
				t.Errorf("stdout %q, want %q", stdout.String(), tt.stdout)
			}
			if stderr.String() != tt.stderr {
				t.Errorf("stderr:\n%s\nwant:\n%s", stderr.String(), tt.stderr)
			}
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, syscall.EPIPE }

func TestRunStdoutFailure(t *testing.T) {
	in := writeSheet(t, t.TempDir(), okSheet)
	var stderr bytes.Buffer
	if st := Run(RunConfig{Input: in}, failingWriter{}, &stderr); st != StatusError {
		t.Fatalf("status %d, want %d", st, StatusError)
	}
	want := "ERROR : crmコマンドの出力に失敗しました。[標準出力]\nERROR : write standard output: broken pipe\n" + quitErrorMsg + "\n"
	if stderr.String() != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr.String(), want)
	}
}
