// SPDX-License-Identifier: Apache-2.0

package pg

import (
	"fmt"
	"strings"
)

// Setting is one "name = value" line of a postgresql.conf-style file.
type Setting struct {
	Name  string // lower-cased, as PostgreSQL matches names case-insensitively
	Value string // unquoted, escapes resolved
	Line  int    // 1-based
}

// Conf is a parsed configuration file: every setting in file order. Include
// directives are kept as settings named include, include_if_exists and
// include_dir; the agent does not follow them (it only needs to know what
// the main file says and which includes it already has).
type Conf struct {
	Settings []Setting
}

// Get returns the value of the last occurrence of name, which is the one
// PostgreSQL uses.
func (c *Conf) Get(name string) (string, bool) {
	name = strings.ToLower(name)
	for i := len(c.Settings) - 1; i >= 0; i-- {
		if c.Settings[i].Name == name {
			return c.Settings[i].Value, true
		}
	}
	return "", false
}

// Has reports whether an include-style directive with exactly this value
// is present.
func (c *Conf) Has(name, value string) bool {
	for _, s := range c.Settings {
		if s.Name == name && s.Value == value {
			return true
		}
	}
	return false
}

// ParseConf parses postgresql.conf syntax: "name = value" or "name value",
// '#' comments, values either bare words or single-quoted strings in which
// ” and backslash escapes stand for a quote. A line that is not valid is
// an error naming the line, as PostgreSQL itself would refuse to start.
func ParseConf(data []byte) (*Conf, error) {
	c := &Conf{}
	for i, raw := range strings.Split(string(data), "\n") {
		lineNo := i + 1
		s, err := parseConfLine(strings.TrimSuffix(raw, "\r"))
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", lineNo, err)
		}
		if s != nil {
			s.Line = lineNo
			c.Settings = append(c.Settings, *s)
		}
	}
	return c, nil
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\f' || b == '\v' }

func isNameByte(b byte) bool {
	return b == '_' || b == '.' || b == '-' || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b >= 0x80
}

func parseConfLine(line string) (*Setting, error) {
	i := 0
	skip := func() {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
	}
	skip()
	if i == len(line) || line[i] == '#' {
		return nil, nil
	}
	start := i
	for i < len(line) && isNameByte(line[i]) {
		i++
	}
	if i == start {
		return nil, fmt.Errorf("expected a parameter name, found %q", line[i:])
	}
	name := strings.ToLower(line[start:i])
	skip()
	if i < len(line) && line[i] == '=' {
		i++
		skip()
	}
	var value string
	if i < len(line) && line[i] == '\'' {
		i++
		var b strings.Builder
		closed := false
		for i < len(line) {
			ch := line[i]
			switch {
			case ch == '\'' && i+1 < len(line) && line[i+1] == '\'':
				b.WriteByte('\'')
				i += 2
			case ch == '\'':
				i++
				closed = true
			case ch == '\\' && i+1 < len(line):
				b.WriteByte(unescape(line[i+1]))
				i += 2
			default:
				b.WriteByte(ch)
				i++
			}
			if closed {
				break
			}
		}
		if !closed {
			return nil, fmt.Errorf("parameter %s: unterminated quoted string", name)
		}
		value = b.String()
	} else {
		start := i
		for i < len(line) && !isSpace(line[i]) && line[i] != '#' {
			i++
		}
		value = line[start:i]
		if value == "" {
			return nil, fmt.Errorf("parameter %s: expected a value", name)
		}
	}
	skip()
	if i < len(line) && line[i] != '#' {
		return nil, fmt.Errorf("parameter %s: unexpected %q after the value", name, line[i:])
	}
	return &Setting{Name: name, Value: value}, nil
}

func unescape(b byte) byte {
	switch b {
	case 'n':
		return '\n'
	case 't':
		return '\t'
	case 'r':
		return '\r'
	case 'b':
		return '\b'
	case 'f':
		return '\f'
	}
	return b
}

// QuoteConfValue renders s as a single-quoted postgresql.conf literal.
// Quotes are doubled and backslashes escaped, which is the one form the
// server's lexer reads back unchanged (a SQL-literal quoter is wrong here:
// it does not escape backslashes).
func QuoteConfValue(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, "'", "''")
	s = strings.ReplaceAll(s, "\n", `\n`)
	return "'" + s + "'"
}
