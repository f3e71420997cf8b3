// SPDX-License-Identifier: Apache-2.0

// Package dashboard draws docs/grafana-pgrex.json as a picture from the
// answers a real Prometheus gave to the dashboard's own queries. Grafana is
// not packaged for Debian 12, so the lab's exporter test renders the panels
// itself (docs/operations.md, "The Grafana dashboard"): the layout, titles,
// queries and legends are the dashboard's; the drawing is gonum/plot's, in
// Grafana's dark colours.
package dashboard

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Dashboard is the part of a Grafana dashboard model that is drawn.
type Dashboard struct {
	Title  string  `json:"title"`
	Panels []Panel `json:"panels"`
}

// Panel is one panel: its kind, title, place on the 24-column grid and
// queries.
type Panel struct {
	Type    string `json:"type"`
	Title   string `json:"title"`
	GridPos struct {
		X int `json:"x"`
		Y int `json:"y"`
		W int `json:"w"`
		H int `json:"h"`
	} `json:"gridPos"`
	Targets     []Target `json:"targets"`
	FieldConfig struct {
		Defaults struct {
			Unit    string `json:"unit"`
			NoValue string `json:"noValue"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
	Options struct {
		TextMode string `json:"textMode"`
	} `json:"options"`
}

// Target is one query of a panel.
type Target struct {
	Expr         string `json:"expr"`
	LegendFormat string `json:"legendFormat"`
}

// The panel kinds drawn.
var kinds = []string{"timeseries", "state-timeline", "stat", "table"}

// Parse reads a dashboard model and refuses what cannot be drawn: an
// unknown panel kind, a panel off the grid, a panel with no query.
func Parse(b []byte) (*Dashboard, error) {
	var d Dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("reading the dashboard: %w", err)
	}
	if len(d.Panels) == 0 {
		return nil, fmt.Errorf("the dashboard %q has no panels", d.Title)
	}
	for i, p := range d.Panels {
		g := p.GridPos
		switch {
		case !slices.Contains(kinds, p.Type):
			return nil, fmt.Errorf("panel %d (%q): kind %q is not one of %v", i, p.Title, p.Type, kinds)
		case g.X < 0 || g.Y < 0 || g.W < 1 || g.H < 1 || g.X+g.W > 24:
			return nil, fmt.Errorf("panel %d (%q): gridPos %+v is not on the 24-column grid", i, p.Title, g)
		case len(p.Targets) == 0:
			return nil, fmt.Errorf("panel %d (%q) has no query", i, p.Title)
		}
		for j, t := range p.Targets {
			if strings.TrimSpace(t.Expr) == "" {
				return nil, fmt.Errorf("panel %d (%q) target %d has no expression", i, p.Title, j)
			}
		}
	}
	return &d, nil
}

// Query is target's query with the dashboard's $job variable set to the
// regular expression job (Grafana's "All" is ".*").
func (t Target) Query(job string) string { return strings.ReplaceAll(t.Expr, "$job", job) }

// Point is one sample.
type Point struct {
	T time.Time
	V float64
}

// Series is one labelled series of a query's answer.
type Series struct {
	Labels map[string]string
	Points []Point
}

// Last is the newest sample (ok false when there is none).
func (s Series) Last() (Point, bool) {
	if len(s.Points) == 0 {
		return Point{}, false
	}
	return s.Points[len(s.Points)-1], true
}

// Data holds the answers: Data[panel][target] are the series of that query,
// panels in the dashboard's order.
type Data [][][]Series

var legendVar = regexp.MustCompile(`\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}`)

// Legend names a series as Grafana does: the target's legend format with
// {{label}} replaced, or the labels themselves when there is no format.
func Legend(format string, labels map[string]string) string {
	if strings.TrimSpace(format) != "" {
		return strings.TrimSpace(legendVar.ReplaceAllStringFunc(format, func(m string) string {
			return labels[legendVar.FindStringSubmatch(m)[1]]
		}))
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range labels {
			if !yield(k) {
				return
			}
		}
	})
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+labels[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
