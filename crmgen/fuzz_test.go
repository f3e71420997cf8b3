// SPDX-License-Identifier: Apache-2.0

package crmgen

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadParse feeds arbitrary bytes to the reader and the parser (and
// then the whole pipeline). Whatever the input: no panic, records are
// numbered 1..n, a syntax error points at the record after the last good
// one, every message of the reading and parsing stages names its file and a
// record that exists, and a result is either an error without output or
// output ending in a newline.
func FuzzReadParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*", "*.csv"))
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	for _, tt := range behaviourCases {
		f.Add([]byte(tt.csv))
	}
	f.Add([]byte("\xEF\xBB\xBF,PROPERTY\r\n,,name,value\r\n,,\"a\r\nb\",\"c\"\"d\"\r\n"))
	f.Add([]byte(",PROPERTY\n,,name,value\n,,a,\"open\n"))
	f.Add([]byte(",NODE\n,,uname,ptype,name,value\n,,\x95\x5c,attributes,a,b\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		text, _, err := Decode(data)
		if err != nil {
			if !errors.Is(err, ErrEncoding) {
				t.Fatalf("Decode error %v does not wrap ErrEncoding", err)
			}
			return
		}
		recs, rerr := ReadRecords(text)
		for i, r := range recs {
			if r.Num != i+1 || r.Line < 1 || (i > 0 && r.Line <= recs[i-1].Line) {
				t.Fatalf("record %d numbered %d at line %d", i+1, r.Num, r.Line)
			}
		}
		if rerr != nil {
			var se *SyntaxError
			if !errors.As(rerr, &se) {
				t.Fatalf("ReadRecords error %T %v is not a *SyntaxError", rerr, rerr)
			}
			if se.Record != len(recs)+1 || se.Line < 1 || se.Column < 0 || se.Msg == "" || se.Expected == "" {
				t.Fatalf("syntax error without a usable position: %+v after %d records", se, len(recs))
			}
		}

		d := &diags{file: "f.csv"}
		parse(recs, d, newBuilder(d, Options{}))
		for _, m := range d.list {
			if m.Level > LevelWarn {
				continue
			}
			if m.File != "f.csv" || m.Record < 1 || m.Record > len(recs) {
				t.Fatalf("message without a valid record (have %d records): %+v", len(recs), m)
			}
		}

		res := Generate("f.csv", data, Options{Check: true})
		switch {
		case res.Status == StatusError && res.Output != nil:
			t.Fatalf("error status with output")
		case res.Status != StatusError && res.Output != nil && !bytes.HasSuffix(res.Output, []byte("\n")):
			t.Fatalf("output does not end with a newline: %q", res.Output)
		case res.Status == StatusOK && res.Output == nil:
			t.Fatalf("success without output")
		}
	})
}
