// SPDX-License-Identifier: Apache-2.0

// Package msg is the operator tools' one message catalogue. They talk to
// people in English, or in Japanese when the locale says so (PG-REX's
// users expect it); every key has both texts side by side.
package msg

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Lang is the language of the messages.
type Lang int

const (
	EN Lang = iota
	JA
)

// LangFrom picks the language as the C library does for LC_MESSAGES: the
// first set of LC_ALL, LC_MESSAGES, LANG decides; Japanese when it starts
// with "ja".
func LangFrom(getenv func(string) string) Lang {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(k); v != "" {
			if strings.HasPrefix(strings.ToLower(v), "ja") {
				return JA
			}
			return EN
		}
	}
	return EN
}

// T renders a message in language l. A missing key is a programming error
// that the catalogue tests catch; at run time the key itself is shown
// rather than nothing.
func T(l Lang, key string, args ...any) string {
	m, ok := catalog[key]
	if !ok {
		return key
	}
	text := m[l]
	// Callers pass a row's or a step's full argument list; a message that
	// uses fewer arguments must not print fmt's %!(EXTRA …).
	if n := maxArgIndex(text); n < len(args) {
		args = args[:n]
	}
	return fmt.Sprintf(text, args...)
}

// Template is the unrendered text of a key in language l.
func Template(l Lang, key string) (string, bool) {
	m, ok := catalog[key]
	return m[l], ok
}

// Has reports whether the catalogue holds key.
func Has(key string) bool {
	_, ok := catalog[key]
	return ok
}

// Keys lists the catalogue's keys that start with prefix ("" for all),
// sorted.
func Keys(prefix string) []string {
	var out []string
	for k := range catalog {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// Printer writes catalogue messages in one language: the report to Out,
// warnings to Err. The text renderers of the subcommands' areas
// (internal/status, internal/procedure, internal/archive) write through
// one; package main builds it from its streams and the locale.
type Printer struct {
	Lang     Lang
	Out, Err io.Writer
}

// T renders a message in the printer's language.
func (p Printer) T(key string, args ...any) string { return T(p.Lang, key, args...) }

// Say prints a message line on Out.
func (p Printer) Say(key string, args ...any) { fmt.Fprintln(p.Out, p.T(key, args...)) }

// Warn prints a warning line on Err.
func (p Printer) Warn(text string) { fmt.Fprintln(p.Err, p.T("warning", text)) }

// Args turns message arguments kept as strings (a step's, a refusal's)
// into T's.
func Args(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// OrDash is s, or "-" for an empty value in a line for people.
func OrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

var argIndexRE = regexp.MustCompile(`%\[(\d+)\]`)

// maxArgIndex is the highest explicit argument index in a message.
func maxArgIndex(text string) int {
	n := 0
	for _, m := range argIndexRE.FindAllStringSubmatch(text, -1) {
		if i, err := strconv.Atoi(m[1]); err == nil && i > n {
			n = i
		}
	}
	return n
}
