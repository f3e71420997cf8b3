// SPDX-License-Identifier: Apache-2.0

package crmgen

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
)

// Encoding is the character encoding Decode recognised.
type Encoding int

// Encodings of environment-definition CSV files. Excel on Japanese Windows
// saves "CSV" as CP932 and "CSV UTF-8" as UTF-8 with a byte order mark;
// LibreOffice and hand-edited files are usually plain UTF-8.
const (
	EncodingASCII Encoding = iota
	EncodingUTF8
	EncodingUTF8BOM
	EncodingCP932
)

// String names the encoding as the debug log prints it.
func (e Encoding) String() string {
	switch e {
	case EncodingASCII:
		return "ascii"
	case EncodingUTF8:
		return "utf-8"
	case EncodingUTF8BOM:
		return "utf-8 (BOM)"
	default:
		return "cp932"
	}
}

// ErrEncoding means the input is neither UTF-8 nor CP932 (Shift_JIS).
var ErrEncoding = errors.New("unsupported character encoding: expected UTF-8 or CP932 (Shift_JIS)")

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Decode turns the raw file into text. It accepts ASCII, UTF-8 with or
// without a byte order mark (the mark is dropped, so a "#" comment in cell
// A1 still works — pm_crmgen fails on such files), and CP932, the superset
// of Shift_JIS that Excel writes. UTF-8 is tried first because a Japanese
// UTF-8 file is practically never valid CP932 and vice versa.
func Decode(b []byte) (string, Encoding, error) {
	if rest, ok := bytes.CutPrefix(b, utf8BOM); ok {
		if !utf8.Valid(rest) {
			return "", EncodingUTF8BOM, fmt.Errorf("decode UTF-8 after byte order mark: %w", ErrEncoding)
		}
		return string(rest), EncodingUTF8BOM, nil
	}
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b), EncodingASCII, nil
	}
	if utf8.Valid(b) {
		return string(b), EncodingUTF8, nil
	}
	out, ok := decodeCP932(b)
	if !ok {
		return "", EncodingCP932, fmt.Errorf("decode as CP932: %w", ErrEncoding)
	}
	return out, EncodingCP932, nil
}

// decodeCP932 decodes Windows code page 932. golang.org/x/text covers the
// JIS X 0208 table with the NEC and IBM extensions; the user-defined area
// (lead bytes F0–F9, "gaiji") and the single bytes A0 and FD–FF are mapped
// here to the private-use code points Windows (and pm_crmgen's Python) use,
// so that a sheet with such a character in a remark still reads.
func decodeCP932(b []byte) (string, bool) {
	var out strings.Builder
	dec := japanese.ShiftJIS.NewDecoder()
	start := 0
	flush := func(end int) bool {
		if start >= end {
			return true
		}
		s, err := dec.Bytes(b[start:end])
		// The decoder replaces invalid sequences with U+FFFD instead of
		// failing; U+FFFD has no CP932 encoding, so it means invalid input.
		if err != nil || bytes.ContainsRune(s, utf8.RuneError) {
			return false
		}
		out.Write(s)
		return true
	}
	isTrail := func(c byte) bool { return c >= 0x40 && c <= 0xFC && c != 0x7F }
	for i := 0; i < len(b); {
		c := b[i]
		var r rune
		n := 0
		switch {
		case c >= 0xF0 && c <= 0xF9 && i+1 < len(b) && isTrail(b[i+1]):
			t := rune(b[i+1]) - 0x40
			if b[i+1] > 0x7F {
				t--
			}
			r, n = 0xE000+rune(c-0xF0)*188+t, 2
		case c == 0xA0:
			r, n = 0xF8F0, 1
		case c >= 0xFD:
			r, n = 0xF8F1+rune(c-0xFD), 1
		case (c >= 0x81 && c <= 0x9F) || (c >= 0xE0 && c <= 0xFC):
			i += 2 // a double-byte character; its validity is the decoder's call
			continue
		default:
			i++
			continue
		}
		if !flush(i) {
			return "", false
		}
		out.WriteRune(r)
		i += n
		start = i
	}
	if !flush(len(b)) {
		return "", false
	}
	return out.String(), true
}

// Record is one CSV record as the reader returned it.
type Record struct {
	// Num is the 1-based record number: the "L<n>" of every message. A
	// quoted cell spanning several lines makes one record, and a blank line
	// is a record of its own (with no fields), exactly as in pm_crmgen.
	Num int
	// Line is the physical line (1-based) the record starts on.
	Line int
	// Fields are the raw cells, newlines inside quoted cells kept as "\n".
	Fields []string
}

// SyntaxError describes CSV text that cannot be split into cells.
type SyntaxError struct {
	Record int // record number the broken cell belongs to
	Line   int // physical line where the problem was detected
	Column int // 0-based column of the broken cell
	// Expected says what the reader needed to find instead.
	Expected string
	// Msg is the user-facing (Japanese) explanation used in diagnostics.
	Msg string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("csv record %d (line %d), column %s: %s", e.Record, e.Line, strings.TrimPrefix(colName(e.Column), "列"), e.Expected)
}

// Reader states, named after those of CPython's csv module whose lenient
// behaviour (excel dialect) pm_crmgen relies on.
type csvState int

const (
	stStartRecord csvState = iota
	stStartField
	stInField
	stInQuoted
	stQuoteInQuoted
	stEatNewline
)

// eolMark is fed after each physical line, like the NUL CPython feeds.
const eolMark = -1

// ReadRecords splits decoded text into records the way pm_crmgen's CSV
// reader does: universal newlines (CRLF, LF and CR all end a line), comma
// separated, '"' quoting with '""' as an escaped quote, quoted cells may
// hold newlines, and a stray quote inside an unquoted cell is literal.
//
// Unlike the reference it rejects input whose meaning is ambiguous instead
// of guessing: a quoted cell that is never closed (it would swallow the rest
// of the file), text after a closing quote, and NUL characters. It returns
// the records read before the problem together with a *SyntaxError, so the
// caller can report earlier findings first.
func ReadRecords(text string) ([]Record, error) {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")

	var (
		recs      []Record
		fields    []string
		field     strings.Builder
		st        = stStartRecord
		line      = 0
		recLine   = 1
		quoteLine = 0
	)
	syntaxErr := func(expected, msg string) error {
		return &SyntaxError{Record: len(recs) + 1, Line: line, Column: len(fields), Expected: expected, Msg: msg}
	}
	save := func() {
		fields = append(fields, field.String())
		field.Reset()
	}
	for len(text) > 0 {
		var cur string
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			cur, text = text[:i+1], text[i+1:]
		} else {
			cur, text = text, ""
		}
		line++
		if st == stStartRecord {
			recLine = line
		}
		runes := []rune(cur)
		for i := 0; i <= len(runes); i++ {
			c := rune(eolMark)
			if i < len(runes) {
				c = runes[i]
			}
			if c == 0 {
				return recs, syntaxErr("no NUL character",
					fmt.Sprintf("CSVの形式が正しくありません。(%s) NUL文字 (0x00) が含まれています。", colName(len(fields))))
			}
			switch st {
			case stStartRecord:
				if c == eolMark {
					continue
				}
				if c == '\n' {
					st = stEatNewline
					continue
				}
				st = stStartField
				fallthrough
			case stStartField:
				switch c {
				case '\n', eolMark:
					save()
					st = endState(c)
				case '"':
					st = stInQuoted
					quoteLine = line
				case ',':
					save()
				default:
					field.WriteRune(c)
					st = stInField
				}
			case stInField:
				switch c {
				case '\n', eolMark:
					save()
					st = endState(c)
				case ',':
					save()
					st = stStartField
				default:
					field.WriteRune(c)
				}
			case stInQuoted:
				switch c {
				case eolMark:
				case '"':
					st = stQuoteInQuoted
				default:
					field.WriteRune(c)
				}
			case stQuoteInQuoted:
				switch c {
				case '"':
					field.WriteRune('"')
					st = stInQuoted
				case ',':
					save()
					st = stStartField
				case '\n', eolMark:
					save()
					st = endState(c)
				default:
					return recs, syntaxErr(fmt.Sprintf("',' or end of line after the closing quote, found %q", c),
						fmt.Sprintf("CSVの形式が正しくありません。(%s) 引用符 (\") で囲んだセルの閉じる引用符の後に文字 [%c] があります。閉じる引用符の直後には ',' か改行が必要です。(セル内の引用符は \"\" と書きます)", colName(len(fields)), c))
				}
			case stEatNewline:
				if c == eolMark {
					st = stStartRecord
				}
			}
		}
		if st == stStartRecord {
			if fields == nil {
				fields = []string{}
			}
			recs = append(recs, Record{Num: len(recs) + 1, Line: recLine, Fields: fields})
			fields = nil
		}
	}
	if st == stInQuoted {
		return recs, &SyntaxError{Record: len(recs) + 1, Line: quoteLine, Column: len(fields),
			Expected: "a closing quote before the end of the file",
			Msg: fmt.Sprintf("CSVの形式が正しくありません。(%s) %d行目の引用符 (\") で始まるセルがファイルの終わりまで閉じられていません。閉じる引用符 (\") が必要です。",
				colName(len(fields)), quoteLine)}
	}
	return recs, nil
}

func endState(c rune) csvState {
	if c == eolMark {
		return stStartRecord
	}
	return stEatNewline
}
