// SPDX-License-Identifier: Apache-2.0

package cmdrun

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// ShellQuote is an allowlist: everything outside shellSafe is quoted. It
// quotes pg_ctl's -o string, the tools' remote (ssh) command lines and the
// command lines shown to operators.
func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                      "plain",
		"crm_mon":                    "crm_mon",
		"--output-as=xml":            "--output-as=xml",
		"":                           "''",
		"config_file=/a b":           "'config_file=/a b'",
		"SELECT 1":                   "'SELECT 1'",
		"it's":                       `'it'\''s'`,
		`%h\t%s\t%f\n`:               `'%h\t%s\t%f\n'`,
		"/var/lib/pgsql/data":        "/var/lib/pgsql/data",
		"host=192.0.2.80 port=5432":  "'host=192.0.2.80 port=5432'",
		"$(reboot)":                  "'$(reboot)'",
		"a;b":                        "'a;b'",
		"current_setting('port'), x": `'current_setting('\''port'\''), x'`,
	} {
		assert.Equal(t, want, ShellQuote(in), "ShellQuote(%q)", in)
	}
}
