// SPDX-License-Identifier: Apache-2.0

package dashboard

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// synthetic answers for every panel of the shipped dashboard: node1 the
// primary for the first half, node2 after.
func synthetic(d *Dashboard, from time.Time, n int) Data {
	data := make(Data, len(d.Panels))
	for i, p := range d.Panels {
		data[i] = make([][]Series, len(p.Targets))
		for j := range p.Targets {
			for _, node := range []string{"node1", "node2"} {
				s := Series{Labels: map[string]string{"node": node, "status": "PRI", "standby": node, "instance": node + ":9634"}}
				for k := range n {
					v := float64(k * 1000)
					if p.Type == "state-timeline" || p.Type == "stat" {
						v = 0
						if (node == "node1") == (k < n/2) {
							v = 1
						}
					}
					s.Points = append(s.Points, Point{from.Add(time.Duration(k) * time.Second), v})
				}
				data[i][j] = append(data[i][j], s)
			}
		}
	}
	return data
}

// The picture has the dashboard's size, its panels where the grid puts
// them, and something drawn inside each.
func TestRender(t *testing.T) {
	d, err := Parse(repoDashboard(t))
	require.NoError(t, err)
	from := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	require.NoError(t, Render(&b, d, synthetic(d, from, 120), from, from.Add(119*time.Second), "synthetic"))
	img, err := png.Decode(&b)
	require.NoError(t, err)
	assert.Equal(t, image.Rect(0, 0, width, header+34*rowHeight+gap), img.Bounds())
	same := func(a, b color.Color) bool {
		r1, g1, b1, _ := a.RGBA()
		r2, g2, b2, _ := b.RGBA()
		return r1>>8 == r2>>8 && g1>>8 == g2>>8 && b1>>8 == b2>>8
	}
	for _, p := range d.Panels {
		g := p.GridPos
		x0, x1 := g.X*width/24+gap+10, (g.X+g.W)*width/24-gap-10
		y0, y1 := header+g.Y*rowHeight+titleBar+4, header+(g.Y+g.H)*rowHeight-10
		assert.True(t, same(img.At(x0, y1), panelFill), "%s: panel background at its corner", p.Title)
		drawn := 0
		for y := y0; y < y1; y += 2 {
			for x := x0; x < x1; x += 2 {
				if !same(img.At(x, y), panelFill) {
					drawn++
				}
			}
		}
		assert.Greater(t, drawn, 50, "%s: nothing drawn in the panel", p.Title)
	}
}

// Without answers every panel says so, and nothing fails.
func TestRenderNoData(t *testing.T) {
	d, err := Parse(repoDashboard(t))
	require.NoError(t, err)
	data := make(Data, len(d.Panels))
	for i, p := range d.Panels {
		data[i] = make([][]Series, len(p.Targets))
	}
	now := time.Now()
	var b bytes.Buffer
	require.NoError(t, Render(&b, d, data, now.Add(-time.Minute), now, "empty"))
	require.Error(t, Render(&b, d, data[:3], now.Add(-time.Minute), now, "short"))
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		unit string
		want string
	}{
		{512, "bytes", "512 B"}, {2048, "bytes", "2.0 KiB"}, {3 << 20, "bytes", "3.0 MiB"},
		{0.0042, "s", "4 ms"}, {12.25, "s", "12.2 s"}, {0, "s", "0 s"}, {0.0000005, "s", "0 µs"},
		{100, "", "100"}, {1000000, "", "1e+06"},
	} {
		assert.Equal(t, tc.want, format(tc.v, tc.unit), "%v %s", tc.v, tc.unit)
	}
}
