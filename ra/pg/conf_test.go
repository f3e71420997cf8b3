// SPDX-License-Identifier: Apache-2.0

package pg

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseConfFixture(t *testing.T) {
	data, err := os.ReadFile("testdata/postgresql.conf")
	require.NoError(t, err)
	c, err := ParseConf(data)
	require.NoError(t, err)
	get := func(n string) string { v, _ := c.Get(n); return v }
	assert.Equal(t, "*", get("listen_addresses"))
	assert.Equal(t, "5433", get("port"), "the last occurrence wins")
	assert.Equal(t, "replica", get("wal_level"))
	assert.Equal(t, "4", get("max_wal_senders"), "the = is optional")
	assert.Equal(t, "test ! -f /dbfp/pgarch/arc1/%f && /bin/cp %p /dbfp/pgarch/arc1/%f", get("archive_command"))
	assert.Equal(t, "/var/run/postgresql, /tmp", get("unix_socket_directories"))
	assert.Equal(t, "on", get("synchronous_commit"), "names are case-insensitive")
	assert.Equal(t, `%t [%p]: 'quoted' \ back`, get("log_line_prefix"))
	assert.True(t, c.Has("include", "/var/lib/pg-rex/rep_mode.conf"))
	_, ok := c.Get("hot_standby")
	assert.False(t, ok)
}

func TestParseConfLines(t *testing.T) {
	cases := []struct {
		line, name, value, err string
	}{
		{"", "", "", ""},
		{"   # only a comment", "", "", ""},
		{"a = 1", "a", "1", ""},
		{"a=1#c", "a", "1", ""},
		{"a 'x y'", "a", "x y", ""},
		{"a = 'it''s'", "a", "it's", ""},
		{`a = 'c:\\dir\n'`, "a", "c:\\dir\n", ""},
		{"a.b = on", "a.b", "on", ""},
		{"a = 'open", "", "", "unterminated quoted string"},
		{"a =", "", "", "expected a value"},
		{"a = 1 2", "", "", "unexpected \"2\" after the value"},
		{"= 1", "", "", "expected a parameter name"},
		{"a = 'x'y", "", "", "unexpected \"y\""},
	}
	for _, tc := range cases {
		t.Run(tc.line, func(t *testing.T) {
			c, err := ParseConf([]byte(tc.line))
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				assert.Contains(t, err.Error(), "line 1")
				return
			}
			require.NoError(t, err)
			if tc.name == "" {
				assert.Empty(t, c.Settings)
				return
			}
			require.Len(t, c.Settings, 1)
			assert.Equal(t, tc.name, c.Settings[0].Name)
			assert.Equal(t, tc.value, c.Settings[0].Value)
		})
	}
}

func TestQuoteConfValueRoundTrip(t *testing.T) {
	for _, v := range []string{"", "plain", "it's", `back\slash`, "pg-rex01", "a\nb", `'\''`} {
		c, err := ParseConf([]byte("x = " + QuoteConfValue(v)))
		require.NoError(t, err, v)
		got, _ := c.Get("x")
		assert.Equal(t, v, got)
	}
}

// FuzzParseConf: the parser never panics, errors name a line, and every
// value it returns survives QuoteConfValue → ParseConf unchanged.
func FuzzParseConf(f *testing.F) {
	data, _ := os.ReadFile("testdata/postgresql.conf")
	f.Add(data)
	f.Add([]byte("a = 'x''y\\\\z' # c\r\nb 1\n"))
	f.Add([]byte("include_dir 'conf.d'\n\n\t\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := ParseConf(in)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "line ") {
				t.Fatalf("error without a line number: %v", err)
			}
			return
		}
		for _, s := range c.Settings {
			if s.Line < 1 || s.Name == "" {
				t.Fatalf("bad setting %+v", s)
			}
			if strings.ContainsAny(s.Value, "\n") {
				continue // a value may hold \n via an escape; it round-trips below too
			}
			back, err := ParseConf([]byte("x = " + QuoteConfValue(s.Value)))
			if err != nil {
				t.Fatalf("re-parsing %q: %v", s.Value, err)
			}
			if v, _ := back.Get("x"); v != s.Value {
				t.Fatalf("round trip changed %q into %q", s.Value, v)
			}
		}
	})
}
