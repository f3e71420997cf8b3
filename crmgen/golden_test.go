// SPDX-License-Identifier: Apache-2.0

package crmgen

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// goldenInputs lists every way a sheet may reach us for which the output
// must be the same: the stored file(s), and for UTF-8 files derived LF-only
// and byte-order-mark variants.
func goldenInputs(t *testing.T, base string) map[string][]byte {
	t.Helper()
	inputs := map[string][]byte{}
	for _, name := range []string{base + ".csv", base + ".sjis.csv"} {
		data, err := os.ReadFile(filepath.Join("testdata", "samples", name))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		inputs[name] = data
		if _, enc, _ := Decode(data); enc == EncodingUTF8 {
			inputs[name+" (LF)"] = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
			inputs[name+" (BOM)"] = append([]byte("\xEF\xBB\xBF"), data...)
		}
	}
	if len(inputs) == 0 {
		t.Fatalf("no input for %s", base)
	}
	return inputs
}

// TestGoldenOutputs: every expected crm file of the reference tool is
// reproduced byte for byte, from every encoding of its sheet.
func TestGoldenOutputs(t *testing.T) {
	expected, err := filepath.Glob(filepath.Join("testdata", "samples", "*.expected*.crm"))
	if err != nil || len(expected) != 9 {
		t.Fatalf("expected 9 golden files, found %d (%v)", len(expected), err)
	}
	for _, exp := range expected {
		name := filepath.Base(exp)
		base, variant, _ := strings.Cut(strings.TrimSuffix(name, ".crm"), ".expected")
		var opts Options
		switch variant {
		case "":
		case "-C-O":
			opts.NoAutoColocation, opts.NoAutoOrder = true, true
		case "-b":
			opts.AlertBrackets = true
		default:
			t.Fatalf("unknown variant %q in %s", variant, name)
		}
		want, err := os.ReadFile(exp)
		if err != nil {
			t.Fatal(err)
		}
		for in, data := range goldenInputs(t, base) {
			t.Run(name+"/"+in, func(t *testing.T) {
				res := Generate(in, data, opts)
				if res.Status != StatusOK {
					t.Fatalf("status %d, diagnostics:\n%s", res.Status, diagText(res.Diags, int(LevelInfo)))
				}
				if !bytes.Equal(res.Output, want) {
					t.Errorf("output differs from %s:\n%s", name, firstDiff(string(res.Output), string(want)))
				}
			})
		}
	}
}

// TestGoldenErrors runs the reference's error and warning cases through the
// command-level Run (with -V, as they were recorded) and compares exit
// status, stdout and stderr exactly.
func TestGoldenErrors(t *testing.T) {
	cases, err := filepath.Glob(filepath.Join("testdata", "errors", "*.rc"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, rcFile := range cases {
		name := strings.TrimSuffix(filepath.Base(rcFile), ".rc")
		if strings.HasSuffix(name, ".pgrex") {
			continue
		}
		n++
		input := filepath.Join("testdata", "errors", name+".csv")
		if name == "template" {
			input = filepath.Join("testdata", "samples", "pm_crmgen_env-2.2-template.csv")
		}
		// Where pgrex deliberately differs, its own expectation wins.
		expBase := filepath.Join("testdata", "errors", name)
		if _, err := os.Stat(expBase + ".pgrex.rc"); err == nil {
			expBase += ".pgrex"
		}
		t.Run(name, func(t *testing.T) {
			wantRC := readInt(t, expBase+".rc")
			wantOut := readString(t, expBase+".stdout")
			wantErr := readString(t, expBase+".stderr")
			var stdout, stderr bytes.Buffer
			rc := Run(RunConfig{Input: input, Verbosity: 1}, &stdout, &stderr)
			if rc != wantRC {
				t.Errorf("exit status %d, want %d", rc, wantRC)
			}
			if stderr.String() != wantErr {
				t.Errorf("stderr:\n%s", firstDiff(stderr.String(), wantErr))
			}
			if stdout.String() != wantOut {
				t.Errorf("stdout:\n%s", firstDiff(stdout.String(), wantOut))
			}
		})
	}
	if n != 18 {
		t.Errorf("ran %d reference error cases, want 18", n)
	}
}

func readString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readInt(t *testing.T, path string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimSpace(readString(t, path)))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func diagText(list []Diag, verbosity int) string {
	var b bytes.Buffer
	_ = WriteDiags(&b, list, verbosity, -1)
	return b.String()
}

// firstDiff shows the first differing line of got and want with a little
// context, which is far more readable than two whole crm files.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl || i >= len(g) || i >= len(w) {
			return "line " + strconv.Itoa(i+1) + ":\n got: " + strconv.Quote(gl) + "\nwant: " + strconv.Quote(wl)
		}
	}
	return "(identical)"
}
