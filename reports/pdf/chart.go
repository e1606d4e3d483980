package pdf

import (
	"fmt"
	"strings"

	"github.com/auditpack/auditpack/reports/internal/view"
)

// bar is one bar of a chart.
type bar struct {
	label string
	value int
}

// barChart draws a horizontal bar chart with a title at (x, top), width
// millimetres wide, and leaves d.y below it.
func (d *doc) barChart(title string, bars []bar, x, top, width float64) {
	const size = 8.0
	lh := size * ptToMM * 1.45
	d.y = top
	tb := d.layout([]para{{text: title, style: styleBold, color: &accent}}, 9.5, width)
	d.drawLine(tb.lines[0], x, d.y, 9.5, lh+0.5, &accent, "L", width)
	d.y += lh + 3

	maxV := 1
	for _, b := range bars {
		maxV = max(maxV, b.value)
	}
	labelW, valueW := 26.0, 10.0
	track := width - labelW - valueW
	barH := 5.0
	for _, b := range bars {
		lb := d.layout([]para{{text: strings.ReplaceAll(b.label, "_", " ")}}, size, labelW)
		d.drawLine(lb.lines[0], x, d.y+(barH-lh)/2, size, lh, &muted, "L", labelW)
		d.setFill(view.RGB{R: 0xEC, G: 0xEE, B: 0xF0})
		d.pdf.Rect(x+labelW, d.y, track, barH, "F")
		if b.value > 0 {
			_, _, c := view.StatusColors(b.label)
			d.setFill(c)
			d.pdf.Rect(x+labelW, d.y, max(track*float64(b.value)/float64(maxV), 0.8), barH, "F")
		}
		vb := d.layout([]para{{text: fmt.Sprint(b.value), style: styleBold}}, size, valueW)
		d.drawLine(vb.lines[0], x+labelW+track, d.y+(barH-lh)/2, size, lh, nil, "R", valueW)
		d.y += barH + 2
	}
}
