// SPDX-License-Identifier: Apache-2.0

package cmdrun

import "strings"

// shellSafe are the bytes a word may hold and still need no quotes in a
// POSIX shell.
const shellSafe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%"

// ShellQuote quotes s for a POSIX shell: a word of shellSafe bytes alone
// stays as it is, anything else is single-quoted. It serves the places a
// shell reads the text — pg_ctl hands -o to /bin/sh when it launches
// postgres — and command lines shown to the operator, which can be pasted
// into one.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, shellSafe) == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// OneLine folds text (an error message, a command's output) onto one line
// for a log line or an exit reason.
func OneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
