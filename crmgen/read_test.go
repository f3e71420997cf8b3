// SPDX-License-Identifier: Apache-2.0

package crmgen

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		enc     Encoding
		wantErr bool
	}{
		{"ascii with tab and CR", ",PROPERTY\r\n,,a\tb\r\n", ",PROPERTY\r\n,,a\tb\r\n", EncodingASCII, false},
		{"utf-8", "#表,x\n", "#表,x\n", EncodingUTF8, false},
		{"utf-8 BOM is dropped", "\xEF\xBB\xBF#表,x\n", "#表,x\n", EncodingUTF8BOM, false},
		{"BOM before invalid UTF-8", "\xEF\xBB\xBF\x95\x5C", "", EncodingUTF8BOM, true},
		// "表" and "ソ" in CP932 end in 0x5C, the byte that breaks naive
		// Shift_JIS handling.
		{"cp932", "#\x95\x5C,\x83\x5C\n", "#表,ソ\n", EncodingCP932, false},
		{"cp932 half-width katakana", "\xB1\xB2", "ｱｲ", EncodingCP932, false},
		{"cp932 NEC special (circled 1)", "\x87\x40", "①", EncodingCP932, false},
		// User-defined characters and the unassigned single bytes map to the
		// private-use code points Windows and Python give them.
		{"cp932 user-defined area and FD-FF", "\xF0\x40\xF9\xFC\xF1\x80\xFE\xA0", "\uE000\uE757\uE0FB\uF8F2\uF8F0", EncodingCP932, false},
		{"lead byte before newline", "\x95\n", "", EncodingCP932, true},
		{"truncated cp932", "abc\x95", "", EncodingCP932, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, enc, err := Decode([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("Decode(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, ErrEncoding) {
					t.Errorf("error %v does not wrap ErrEncoding", err)
				}
				return
			}
			if got != tt.want || enc != tt.enc {
				t.Errorf("Decode(%q) = %q, %v; want %q, %v", tt.in, got, enc, tt.want, tt.enc)
			}
		})
	}
}

func TestReadRecords(t *testing.T) {
	type rec struct {
		Num, Line int
		Fields    []string
	}
	tests := []struct {
		name string
		in   string
		want []rec
	}{
		{"empty file", "", nil},
		{"LF", "a,b\nc\n", []rec{{1, 1, []string{"a", "b"}}, {2, 2, []string{"c"}}}},
		{"CRLF and lone CR", "a,b\r\nc\rd", []rec{{1, 1, []string{"a", "b"}}, {2, 2, []string{"c"}}, {3, 3, []string{"d"}}}},
		{"blank line is an empty record", "a\n\nb\n", []rec{{1, 1, []string{"a"}}, {2, 2, []string{}}, {3, 3, []string{"b"}}}},
		{"trailing comma gives an empty last cell", "a,\n", []rec{{1, 1, []string{"a", ""}}}},
		{"quoted comma and escaped quote", `"a,b","say ""hi"""` + "\n", []rec{{1, 1, []string{"a,b", `say "hi"`}}}},
		{"multi-line cell is one record", "x,\"l1\r\nl2\",y\nz\n", []rec{{1, 1, []string{"x", "l1\nl2", "y"}}, {2, 3, []string{"z"}}}},
		{"quote inside an unquoted cell is literal", `a"b,c` + "\n", []rec{{1, 1, []string{`a"b`, "c"}}}},
		{"quote after leading space is literal", ` "a",b`, []rec{{1, 1, []string{` "a"`, "b"}}}},
		{"empty quoted cell", `"",x`, []rec{{1, 1, []string{"", "x"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := ReadRecords(tt.in)
			if err != nil {
				t.Fatalf("ReadRecords(%q): %v", tt.in, err)
			}
			var got []rec
			for _, r := range recs {
				got = append(got, rec(r))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ReadRecords(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestReadRecordsSyntaxErrors(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		good       int // records returned before the error
		rec, line  int
		col        int
		msgContain string
	}{
		{"unterminated quote", "a,b\nc,\"open\nmore\nstill\n", 1, 2, 2, 1, "2行目の引用符"},
		{"text after closing quote", "a\n\"x\"y,z\n", 1, 2, 2, 0, "文字 [y]"},
		{"space after closing quote", "a,\"x\" ,z\n", 0, 1, 1, 1, "文字 [ ]"},
		{"NUL", "a\nb,c\x00\n", 1, 2, 2, 1, "NUL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := ReadRecords(tt.in)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ReadRecords(%q) error = %v, want *SyntaxError", tt.in, err)
			}
			if len(recs) != tt.good {
				t.Errorf("got %d good records, want %d", len(recs), tt.good)
			}
			if se.Record != tt.rec || se.Line != tt.line || se.Column != tt.col {
				t.Errorf("error at record %d line %d column %d, want %d/%d/%d", se.Record, se.Line, se.Column, tt.rec, tt.line, tt.col)
			}
			if !strings.Contains(se.Msg, tt.msgContain) || !strings.Contains(se.Msg, colName(tt.col)) {
				t.Errorf("message %q lacks %q or the column", se.Msg, tt.msgContain)
			}
			if se.Expected == "" || !strings.Contains(se.Error(), se.Expected) {
				t.Errorf("Error() %q does not say what was expected", se.Error())
			}
		})
	}
}

// A syntax error is reported as a format error with the record number,
// after the findings of the records before it, and nothing is written.
func TestSyntaxErrorReported(t *testing.T) {
	in := ",PROPERTY\n,,name,value\n,,a,b,x\n,,a,\"unclosed\n"
	res := Generate("s.csv", []byte(in), Options{})
	if res.Status != StatusError || res.Output != nil {
		t.Fatalf("status %d, output %q; want error and no output", res.Status, res.Output)
	}
	got := diagText(res.Diags, int(LevelWarn))
	want := "ERROR : s.csv(L4): フォーマット・エラーが見つかりました。\n" +
		"ERROR : s.csv(L4): CSVの形式が正しくありません。(列D) 4行目の引用符 (\") で始まるセルがファイルの終わりまで閉じられていません。閉じる引用符 (\") が必要です。\n"
	if got != want {
		t.Errorf("diagnostics:\n%s\nwant:\n%s", got, want)
	}
}

func TestColName(t *testing.T) {
	for i, want := range map[int]string{0: "列A", 1: "列B", 25: "列Z", 26: "列AA", 27: "列AB", 701: "列ZZ", 702: "列AAA"} {
		if got := colName(i); got != want {
			t.Errorf("colName(%d) = %q, want %q", i, got, want)
		}
	}
}
