// SPDX-License-Identifier: Apache-2.0

package dashboard

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func repoDashboard(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "grafana-pgrex.json"))
	require.NoError(t, err)
	return b
}

// The shipped dashboard is one this package can draw: every panel of a
// known kind, on the grid, with queries.
func TestParseShippedDashboard(t *testing.T) {
	d, err := Parse(repoDashboard(t))
	require.NoError(t, err)
	assert.Equal(t, "pgrex — PG-REX cluster", d.Title)
	assert.Len(t, d.Panels, 13)
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			assert.NotContains(t, tg.Query(".*"), "$job", p.Title)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for name, tc := range map[string]struct{ json, want string }{
		"not JSON":     {`{`, "reading the dashboard"},
		"no panels":    {`{"title":"x","panels":[]}`, `"x" has no panels`},
		"unknown kind": {`{"panels":[{"type":"piechart","title":"p","gridPos":{"w":1,"h":1},"targets":[{"expr":"up"}]}]}`, `kind "piechart"`},
		"off the grid": {`{"panels":[{"type":"stat","title":"p","gridPos":{"x":20,"w":6,"h":1},"targets":[{"expr":"up"}]}]}`, "not on the 24-column grid"},
		"no height":    {`{"panels":[{"type":"stat","title":"p","gridPos":{"w":6},"targets":[{"expr":"up"}]}]}`, "not on the 24-column grid"},
		"no query":     {`{"panels":[{"type":"stat","title":"p","gridPos":{"w":6,"h":2}}]}`, `("p") has no query`},
		"empty expr":   {`{"panels":[{"type":"stat","title":"p","gridPos":{"w":6,"h":2},"targets":[{"expr":" "}]}]}`, "target 0 has no expression"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(tc.json))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestLegend(t *testing.T) {
	l := map[string]string{"node": "node1", "status": "PRI", "instance": "192.0.2.131:9634"}
	for format, want := range map[string]string{
		"{{node}}":                       "node1",
		"{{ node }} {{status}}":          "node1 PRI",
		"rep_mode.conf: {{standby}}":     "rep_mode.conf:",
		"":                               "{instance=192.0.2.131:9634, node=node1, status=PRI}",
		"{{instance}} {{source}} errors": "192.0.2.131:9634  errors",
	} {
		assert.Equal(t, want, Legend(format, l), format)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(repoDashboard(f))
	f.Add([]byte(`{"panels":[{"type":"stat","gridPos":{"w":1,"h":1},"targets":[{"expr":"up"}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Parse(b)
		if err != nil {
			return
		}
		for _, p := range d.Panels {
			if p.GridPos.X+p.GridPos.W > 24 || p.GridPos.H < 1 || len(p.Targets) == 0 {
				t.Fatalf("accepted a panel that cannot be drawn: %+v", p)
			}
		}
	})
}
