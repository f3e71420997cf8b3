// SPDX-License-Identifier: Apache-2.0

package dashboard

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// The picture's geometry, in pixels (the canvas is drawn at 72 dpi, so a
// point is a pixel): Grafana's 24-column grid, 30 px per grid row.
const (
	width     = 1600
	rowHeight = 30
	header    = 44
	gap       = 6
	titleBar  = 26
)

// Grafana's dark theme.
var (
	background = rgb(0x111217)
	panelFill  = rgb(0x181b1f)
	panelEdge  = rgb(0x2c3235)
	textMain   = rgb(0xccccdc)
	textWeak   = rgb(0x8e8e9e)
	gridLine   = rgb(0x2c3235)
	palette    = []color.Color{rgb(0x73bf69), rgb(0xf2cc0c), rgb(0x8ab8ff), rgb(0xff780a), rgb(0xf2495c),
		rgb(0x5794f2), rgb(0xb877d9), rgb(0x705da0), rgb(0x37872d), rgb(0xfade2a)}
	green, red = rgb(0x73bf69), rgb(0xf2495c)
)

func rgb(v uint32) color.Color {
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}
}

// stateColor is the colour of a PG-REX state in the state timelines: the
// normal state green, a working standby blue, degraded ones yellow or
// orange, stopped or cut red.
func stateColor(state string, fallback int) color.Color {
	switch state {
	case "PRI", "LATEST":
		return green
	case "HS:sync", "STREAMING|SYNC":
		return rgb(0x5794f2)
	case "HS:async", "HS:potential", "HS:quorum", "STREAMING|ASYNC", "STREAMING|POTENTIAL", "STREAMING|QUORUM":
		return rgb(0xf2cc0c)
	case "HS:alone", "HS:connected":
		return rgb(0xff780a)
	case "STOP", "DISCONNECT", "DIVERGED":
		return red
	}
	return palette[(fallback+5)%len(palette)]
}

func style(size vg.Length, c color.Color) draw.TextStyle {
	return text.Style{Color: c, Font: font.From(font.Font{Typeface: "Liberation", Variant: "Sans"}, size),
		Handler: plot.DefaultTextHandler}
}

// Render draws d with data over [from, to] as a PNG onto w. The caption
// line under the title says where the data came from.
func Render(w io.Writer, d *Dashboard, data Data, from, to time.Time, caption string) error {
	if len(data) != len(d.Panels) {
		return fmt.Errorf("drawing the dashboard: %d panels but answers for %d", len(d.Panels), len(data))
	}
	rows := 0
	for _, p := range d.Panels {
		rows = max(rows, p.GridPos.Y+p.GridPos.H)
	}
	height := vg.Length(header + rows*rowHeight + gap)
	img := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(72), vgimg.UseBackgroundColor(background))
	c := draw.New(img)
	title := style(18, textMain)
	title.YAlign = text.YTop
	c.FillText(title, vg.Point{X: gap + 4, Y: height - 10}, d.Title)
	weak := style(11, textWeak)
	weak.XAlign, weak.YAlign = text.XRight, text.YTop
	c.FillText(weak, vg.Point{X: width - gap - 4, Y: height - 14}, caption)

	for i, p := range d.Panels {
		g := p.GridPos
		x0 := vg.Length(g.X)*width/24 + gap
		x1 := vg.Length(g.X+g.W)*width/24 - gap/2
		top := height - vg.Length(header+g.Y*rowHeight)
		bottom := top - vg.Length(g.H*rowHeight) + gap
		pc := draw.Crop(c, x0, x1-width, bottom, top-height)
		fillRect(pc, pc.Rectangle, panelFill)
		pc.StrokeLines(draw.LineStyle{Color: panelEdge, Width: 1}, rectLine(pc.Rectangle))
		ts := style(13, textMain)
		ts.YAlign = text.YTop
		pc.FillText(ts, vg.Point{X: pc.Min.X + 8, Y: pc.Max.Y - 7}, p.Title)
		body := draw.Crop(pc, 8, -8, 6, -titleBar)
		var err error
		switch p.Type {
		case "timeseries":
			err = drawTimeseries(body, p, data[i], from, to)
		case "state-timeline":
			drawStateTimeline(body, p, data[i], from, to)
		case "stat":
			drawStat(body, p, data[i], to)
		case "table":
			drawTable(body, data[i], to)
		}
		if err != nil {
			return fmt.Errorf("drawing panel %q: %w", p.Title, err)
		}
	}
	png := vgimg.PngCanvas{Canvas: img}
	if _, err := png.WriteTo(w); err != nil {
		return fmt.Errorf("writing the dashboard picture: %w", err)
	}
	return nil
}

func rectLine(r vg.Rectangle) []vg.Point {
	return []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}, r.Min}
}

func fillRect(c draw.Canvas, r vg.Rectangle, col color.Color) {
	c.FillPolygon(col, []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}})
}

func noData(c draw.Canvas, msg string) {
	s := style(14, textWeak)
	s.XAlign, s.YAlign = text.XCenter, text.YCenter
	c.FillText(s, c.Center(), msg)
}

// current is the series' value at the end of the range: its last sample,
// when that sample is at most three steps old. A series that ended earlier
// (the exporter stopped reporting it: an old diagnosis row, a former
// primary) is not current; Prometheus ends it at its staleness marker.
func current(s Series, to time.Time) (float64, bool) {
	p, ok := s.Last()
	if !ok || to.Sub(p.T) > 3*medianStep(s.Points) {
		return 0, false
	}
	return p.V, true
}

// format writes v in the panel's unit.
func format(v float64, unit string) string {
	switch unit {
	case "bytes":
		a := math.Abs(v)
		for i, u := range []string{"B", "KiB", "MiB", "GiB", "TiB"} {
			if a < 1024 || i == 4 {
				if i == 0 {
					return fmt.Sprintf("%.0f %s", v, u)
				}
				return fmt.Sprintf("%.1f %s", v, u)
			}
			v /= 1024
			a /= 1024
		}
	case "s":
		switch a := math.Abs(v); {
		case a == 0:
			return "0 s"
		case a < 1e-3:
			return fmt.Sprintf("%.0f µs", v*1e6)
		case a < 1:
			return fmt.Sprintf("%.0f ms", v*1e3)
		}
		return fmt.Sprintf("%.1f s", v)
	}
	return fmt.Sprintf("%.4g", v)
}

func drawTimeseries(c draw.Canvas, p Panel, answers [][]Series, from, to time.Time) error {
	pl := plot.New()
	pl.BackgroundColor = color.Transparent
	for _, ax := range []*plot.Axis{&pl.X, &pl.Y} {
		ax.Color, ax.Tick.Color = panelEdge, panelEdge
		ax.Tick.Label = style(10, textWeak)
		ax.Padding = 2
	}
	pl.X.Tick.Marker = plot.TimeTicks{Format: "15:04:05"}
	pl.X.Min, pl.X.Max = unix(from), unix(to)
	unit := p.FieldConfig.Defaults.Unit
	pl.Y.Tick.Marker = plot.TickerFunc(func(min, max float64) []plot.Tick {
		ticks := plot.DefaultTicks{}.Ticks(min, max)
		for i := range ticks {
			if ticks[i].Label != "" {
				ticks[i].Label = format(ticks[i].Value, unit)
			}
		}
		return ticks
	})
	grid := plotter.NewGrid()
	grid.Vertical.Color, grid.Horizontal.Color = gridLine, gridLine
	pl.Add(grid)
	pl.Legend.Top, pl.Legend.Left = true, false
	pl.Legend.TextStyle = style(10, textMain)
	pl.Legend.Padding = 1
	n, drawn := 0, false
	for ti, series := range answers {
		for _, s := range series {
			col := palette[n%len(palette)]
			n++
			first := true
			for _, seg := range segments(s.Points) {
				line, err := plotter.NewLine(seg)
				if err != nil {
					return fmt.Errorf("series %s: %w", Legend(p.Targets[ti].LegendFormat, s.Labels), err)
				}
				line.Color, line.Width = col, 1.5
				pl.Add(line)
				if first {
					pl.Legend.Add(Legend(p.Targets[ti].LegendFormat, s.Labels), line)
					first = false
				}
				drawn = true
			}
		}
	}
	if !drawn {
		noData(c, "No data")
		return nil
	}
	pl.Draw(c)
	return nil
}

func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// segments splits a series where samples are missing (a scrape that
// failed: the node was fenced, its link cut), as Grafana leaves a gap.
func segments(pts []Point) []plotter.XYs {
	var out []plotter.XYs
	var cur plotter.XYs
	step := medianStep(pts)
	for i, pt := range pts {
		if i > 0 && pt.T.Sub(pts[i-1].T) > 3*step {
			out = append(out, cur)
			cur = nil
		}
		if !math.IsNaN(pt.V) && !math.IsInf(pt.V, 0) {
			cur = append(cur, plotter.XY{X: unix(pt.T), Y: pt.V})
		}
	}
	out = append(out, cur)
	return slices.DeleteFunc(out, func(s plotter.XYs) bool { return len(s) == 0 })
}

func medianStep(pts []Point) time.Duration {
	if len(pts) < 2 {
		return time.Second
	}
	d := make([]time.Duration, 0, len(pts)-1)
	for i := 1; i < len(pts); i++ {
		d = append(d, pts[i].T.Sub(pts[i-1].T))
	}
	slices.Sort(d)
	return max(d[len(d)/2], time.Millisecond)
}

// drawStateTimeline draws one row per node, coloured by the state the
// series names (its one label besides node) wherever the series is 1.
func drawStateTimeline(c draw.Canvas, p Panel, answers [][]Series, from, to time.Time) {
	type band struct {
		state    string
		from, to time.Time
	}
	rows := map[string][]band{}
	var states []string
	for _, series := range answers {
		for _, s := range series {
			node, state := s.Labels["node"], ""
			for k, v := range s.Labels {
				if k != "node" {
					state = v
				}
			}
			if !slices.Contains(states, state) {
				states = append(states, state)
			}
			// consecutive samples of one state are one band (Grafana's
			// mergeValues); a missing sample ends it
			step := medianStep(s.Points)
			open := false
			for _, pt := range s.Points {
				if pt.V != 1 {
					open = false
					continue
				}
				r := rows[node]
				if open && pt.T.Sub(r[len(r)-1].to) <= 2*step {
					r[len(r)-1].to = pt.T.Add(step)
					continue
				}
				rows[node] = append(r, band{state, pt.T, pt.T.Add(step)})
				open = true
			}
		}
	}
	if len(rows) == 0 {
		noData(c, "No data")
		return
	}
	nodes := slices.Sorted(func(yield func(string) bool) {
		for n := range rows {
			if !yield(n) {
				return
			}
		}
	})
	slices.Sort(states)
	label := style(11, textMain)
	label.YAlign = text.YCenter
	left := c.Min.X + 56
	right := c.Max.X - 4
	axis := vg.Length(18)
	legend := vg.Length(18)
	h := (c.Max.Y - c.Min.Y - axis - legend) / vg.Length(len(nodes))
	xOf := func(t time.Time) vg.Length {
		f := float64(t.Sub(from)) / float64(to.Sub(from))
		return left + vg.Length(math.Max(0, math.Min(1, f)))*(right-left)
	}
	for i, n := range nodes {
		y1 := c.Max.Y - legend - vg.Length(i)*h - 2
		y0 := y1 - h + 4
		c.FillText(label, vg.Point{X: c.Min.X, Y: (y0 + y1) / 2}, n)
		for _, b := range rows[n] {
			fillRect(c, vg.Rectangle{Min: vg.Point{X: xOf(b.from), Y: y0}, Max: vg.Point{X: xOf(b.to), Y: y1}},
				stateColor(b.state, slices.Index(states, b.state)))
		}
	}
	// time axis
	ts := style(10, textWeak)
	ts.XAlign = text.XCenter
	for _, tk := range (plot.DefaultTicks{}).Ticks(unix(from), unix(to)) {
		if tk.Label == "" {
			continue
		}
		t := time.Unix(0, int64(tk.Value*1e9)).UTC()
		c.FillText(ts, vg.Point{X: xOf(t), Y: c.Min.Y + 2}, t.Format("15:04:05"))
	}
	// legend: the states seen
	x := left
	for i, s := range states {
		fillRect(c, vg.Rectangle{Min: vg.Point{X: x, Y: c.Max.Y - 12}, Max: vg.Point{X: x + 10, Y: c.Max.Y - 2}}, stateColor(s, i))
		ls := style(10, textMain)
		ls.YAlign = text.YCenter
		c.FillText(ls, vg.Point{X: x + 14, Y: c.Max.Y - 7}, s)
		x += 14 + ls.Width(s) + 12
	}
}

// drawStat writes each series' current value — or its name, as the
// panel's text mode says — large, centred; a stat with background colour
// (the Primary panel) sits on green, an "up" value of 0 on red.
func drawStat(c draw.Canvas, p Panel, answers [][]Series, to time.Time) {
	type item struct {
		text string
		ok   bool
	}
	var items []item
	for ti, series := range answers {
		for _, s := range series {
			v, ok := current(s, to)
			if !ok {
				continue
			}
			name := Legend(p.Targets[ti].LegendFormat, s.Labels)
			val := format(v, p.FieldConfig.Defaults.Unit)
			if strings.HasSuffix(name, " age") {
				val = format(v, "s")
			}
			switch p.Options.TextMode {
			case "name":
				items = append(items, item{name, true})
			case "value_and_name":
				items = append(items, item{name + ": " + val, v != 0 || strings.HasSuffix(name, " age")})
			default:
				items = append(items, item{val, v != 0})
			}
		}
	}
	if len(items) == 0 {
		nv := p.FieldConfig.Defaults.NoValue
		if nv == "" {
			nv = "No data"
		}
		noData(c, nv)
		return
	}
	size := min(vg.Length(30), (c.Max.Y-c.Min.Y)/vg.Length(len(items))*0.6)
	h := (c.Max.Y - c.Min.Y) / vg.Length(len(items))
	for i, it := range items {
		s := style(size, textMain)
		s.XAlign, s.YAlign = text.XCenter, text.YCenter
		r := vg.Rectangle{Min: vg.Point{X: c.Min.X, Y: c.Max.Y - vg.Length(i+1)*h + 2}, Max: vg.Point{X: c.Max.X, Y: c.Max.Y - vg.Length(i)*h - 2}}
		if p.Title == "Primary" || p.Title == "Exporters up" {
			bg := green
			if !it.ok {
				bg = red
			}
			fillRect(c, r, bg)
			s.Color = background
		}
		for s.Width(it.text) > c.Max.X-c.Min.X-8 && s.Font.Size > 8 {
			s.Font.Size--
		}
		c.FillText(s, vg.Point{X: (r.Min.X + r.Max.X) / 2, Y: (r.Min.Y + r.Max.Y) / 2}, it.text)
	}
}

// drawTable lists the series current at the end of the range, a row each:
// their labels in columns, then the value.
func drawTable(c draw.Canvas, answers [][]Series, to time.Time) {
	var cols []string
	var rows []map[string]string
	for _, series := range answers {
		for _, s := range series {
			v, ok := current(s, to)
			if !ok {
				continue
			}
			row := map[string]string{"Value": format(v, "")}
			for k, val := range s.Labels {
				row[k] = val
				if !slices.Contains(cols, k) {
					cols = append(cols, k)
				}
			}
			rows = append(rows, row)
		}
	}
	if len(rows) == 0 {
		noData(c, "No data")
		return
	}
	slices.Sort(cols)
	cols = append(cols, "Value")
	slices.SortFunc(rows, func(a, b map[string]string) int {
		for _, k := range cols {
			if x := strings.Compare(a[k], b[k]); x != 0 {
				return x
			}
		}
		return 0
	})
	hs := style(11, textWeak)
	hs.YAlign = text.YTop
	cs := style(12, textMain)
	cs.YAlign = text.YTop
	colW := (c.Max.X - c.Min.X) / vg.Length(len(cols))
	y := c.Max.Y - 2
	for i, k := range cols {
		c.FillText(hs, vg.Point{X: c.Min.X + vg.Length(i)*colW, Y: y}, k)
	}
	y -= 18
	c.StrokeLine2(draw.LineStyle{Color: panelEdge, Width: 1}, c.Min.X, y+3, c.Max.X, y+3)
	for _, r := range rows {
		if y < c.Min.Y+12 {
			break
		}
		for i, k := range cols {
			c.FillText(cs, vg.Point{X: c.Min.X + vg.Length(i)*colW, Y: y}, r[k])
		}
		y -= 18
	}
}
