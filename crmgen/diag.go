// SPDX-License-Identifier: Apache-2.0

package crmgen

import (
	"fmt"
	"io"
	"strings"
)

// Level is the severity of a diagnostic. The numbering follows pm_crmgen's
// -V counting: a message is shown when its level is at most the verbosity.
type Level int

// Levels, from the always-shown ERROR to the most detailed debug.
const (
	LevelError Level = iota
	LevelWarn
	LevelNotice
	LevelInfo
	LevelDebug
)

// String returns the level word padded to the width pm_crmgen uses, so that
// "ERROR : " and "WARN  : " line up exactly as in the reference tool.
func (l Level) String() string {
	switch l {
	case LevelError:
		return "ERROR "
	case LevelWarn:
		return "WARN  "
	case LevelNotice:
		return "notice"
	case LevelInfo:
		return "info  "
	default:
		return "debug "
	}
}

// Diag is one message of a generation run.
type Diag struct {
	Level Level
	// File is the base name of the CSV file; empty for global messages.
	File string
	// Record is the 1-based CSV record number the message is about; 0 for
	// messages about the whole file.
	Record int
	Msg    string
}

// String renders the diagnostic in pm_crmgen's format:
// "ERROR : file(L12): message", "ERROR : file: message" or "WARN  : message".
func (d Diag) String() string {
	switch {
	case d.File != "" && d.Record > 0:
		return fmt.Sprintf("%s: %s(L%d): %s", d.Level, d.File, d.Record, d.Msg)
	case d.File != "":
		return fmt.Sprintf("%s: %s: %s", d.Level, d.File, d.Msg)
	default:
		return fmt.Sprintf("%s: %s", d.Level, d.Msg)
	}
}

// fmtErrMsg is the fixed first line of every format error.
const fmtErrMsg = "フォーマット・エラーが見つかりました。"

// diags collects the messages of one run in the order they are produced.
// The order matters: pm_crmgen prints as it reads, and users (and the golden
// tests) compare the whole stderr.
type diags struct {
	file   string
	rec    int // current record number, set by the reader loop
	list   []Diag
	errors int
	warns  int
}

func (d *diags) add(l Level, rec int, file, msg string) {
	switch l {
	case LevelError:
		d.errors++
	case LevelWarn:
		d.warns++
	}
	d.list = append(d.list, Diag{Level: l, File: file, Record: rec, Msg: msg})
}

// fmtErr reports a format error at the current record (two lines, like
// pm_crmgen).
func (d *diags) fmtErr(format string, a ...any) {
	d.add(LevelError, d.rec, d.file, fmtErrMsg)
	d.add(LevelError, d.rec, d.file, fmt.Sprintf(format, a...))
}

// fmtErrFile reports a format error about the whole file (no record).
func (d *diags) fmtErrFile(format string, a ...any) {
	d.add(LevelError, 0, d.file, fmtErrMsg)
	d.add(LevelError, 0, d.file, fmt.Sprintf(format, a...))
}

func (d *diags) errAt(format string, a ...any) {
	d.add(LevelError, d.rec, d.file, fmt.Sprintf(format, a...))
}

func (d *diags) warn(format string, a ...any) {
	d.add(LevelWarn, d.rec, d.file, fmt.Sprintf(format, a...))
}

func (d *diags) warnGlobal(format string, a ...any) {
	d.add(LevelWarn, 0, "", fmt.Sprintf(format, a...))
}

func (d *diags) info(format string, a ...any) {
	d.add(LevelInfo, d.rec, d.file, fmt.Sprintf(format, a...))
}

func (d *diags) debugFile(format string, a ...any) {
	d.add(LevelDebug, 0, d.file, fmt.Sprintf(format, a...))
}

// closing lines printed after the diagnostics.
const (
	quitErrorMsg = "crmファイル生成中にエラーが発生しました。処理を中止します。"
	quitWarnMsg  = "警告が発生しています。警告のログを出力するには '-V' オプションを指定してください。"
)

// WriteDiags prints the diagnostics visible at the given verbosity (the
// number of -V flags) followed by pm_crmgen's closing line for the status:
// the abort notice after an error, or the hint to use -V when warnings were
// hidden.
func WriteDiags(w io.Writer, list []Diag, verbosity int, status int) error {
	var b strings.Builder
	for _, d := range list {
		if int(d.Level) <= verbosity {
			b.WriteString(d.String())
			b.WriteByte('\n')
		}
	}
	switch {
	case status == StatusError:
		b.WriteString(quitErrorMsg + "\n")
	case status == StatusWarning && verbosity < int(LevelWarn):
		b.WriteString(quitWarnMsg + "\n")
	}
	if b.Len() == 0 {
		return nil
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write diagnostics: %w", err)
	}
	return nil
}

// colName turns a 0-based column index into pm_crmgen's Excel-style label
// ("列A", "列B", …, "列AA").
func colName(i int) string {
	n := i + 1
	var s []byte
	for n > 0 {
		s = append([]byte{byte('A' + (n-1)%26)}, s...)
		n = (n - 1) / 26
	}
	return "列" + string(s)
}
