package pdf

import (
	"github.com/auditpack/auditpack/reports/internal/view"
)

// column is one column of a table.
type column struct {
	title string
	width float64 // millimetres
	align string  // "L", "C" or "R"
}

// tcell is one table cell: paragraphs and an optional fill and text colour.
type tcell struct {
	paras []para
	fill  *view.RGB
	color *view.RGB
}

// cellText is a cell with one paragraph of regular text.
func cellText(s string) tcell { return tcell{paras: []para{{text: s}}} }

// trow is one table row; a row with span set is a full-width band (a group
// title) instead of cells.
type trow struct {
	cells  []tcell
	span   string
	record string
}

// table is a table being drawn across pages.
type table struct {
	d     *doc
	cols  []column
	size  float64 // font size in points
	pad   float64 // cell padding in millimetres
	zebra bool
	rowN  int
	// caption, when set, is drawn above the repeated header on each page
	// the table continues on, so that a reader knows what it belongs to.
	caption string
}

func (d *doc) newTable(size float64, cols ...column) *table {
	return &table{d: d, cols: cols, size: size, pad: 1.4, zebra: true}
}

func (t *table) lineH() float64 { return t.size * ptToMM * 1.4 }

func (t *table) headerBlocks() ([]block, float64) {
	blocks := make([]block, len(t.cols))
	n := 1
	saved := t.d.record
	t.d.record = "table header"
	for i, c := range t.cols {
		blocks[i] = t.d.layout([]para{{text: c.title, style: styleBold, color: &white}}, t.size, c.width-2*t.pad)
		n = max(n, len(blocks[i].lines))
	}
	t.d.record = saved
	return blocks, float64(n)*t.lineH() + 2*t.pad
}

func (t *table) headerHeight() float64 {
	_, h := t.headerBlocks()
	return h
}

// header draws the column titles at the current position; a long title
// wraps inside its column.
func (t *table) header() {
	d := t.d
	blocks, h := t.headerBlocks()
	d.setFill(headerFill)
	d.pdf.Rect(d.left, d.y, t.width(), h, "F")
	x := d.left
	for i, c := range t.cols {
		for j, l := range blocks[i].lines {
			d.drawLine(l, x+t.pad, d.y+t.pad+float64(j)*t.lineH(), t.size, t.lineH(), &white, c.align, c.width-2*t.pad)
		}
		x += c.width
	}
	d.y += h
}

func (t *table) width() float64 {
	w := 0.0
	for _, c := range t.cols {
		w += c.width
	}
	return w
}

// start draws the header, on a new page unless the header and minRows
// lines of the first row fit.
func (t *table) start() {
	t.d.ensure(t.headerHeight() + 2*t.lineH() + 2*t.pad)
	t.header()
}

// pageBreak continues the table on a new page, repeating the header.
func (t *table) pageBreak() {
	d := t.d
	d.newPage()
	if t.caption != "" {
		saved := d.record
		d.record = "table caption"
		d.text([]para{{text: t.caption + " (continued)", style: styleItalic, color: &muted}}, 8)
		d.record = saved
		d.y += 1
	}
	t.header()
}

// add draws a row. A row that fits on a page is never split: it moves to the
// next page whole. A row taller than a page is split across consecutive
// pages, each part with the header repeated above it.
func (t *table) add(r trow) {
	d := t.d
	d.record = r.record
	if r.span != "" {
		t.band(r.span)
		return
	}
	lh := t.lineH()
	blocks := make([]block, len(t.cols))
	n := 0
	for i, c := range t.cols {
		if i < len(r.cells) {
			blocks[i] = d.layout(r.cells[i].paras, t.size, c.width-2*t.pad)
		}
		n = max(n, len(blocks[i].lines))
	}
	n = max(n, 1)
	rowH := float64(n)*lh + 2*t.pad

	pageRoom := d.bottom - marginTop - t.headerHeight()
	if d.y+rowH > d.bottom && rowH <= pageRoom {
		t.pageBreak()
	}

	first := 0
	for first < n {
		fit := int((d.bottom - d.y - 2*t.pad) / lh)
		if fit < 1 {
			t.pageBreak()
			continue
		}
		last := min(n, first+fit)
		t.drawPart(r, blocks, first, last)
		first = last
		if first < n {
			t.pageBreak()
		}
	}
	t.rowN++
}

// drawPart draws lines [first, last) of a row's cells.
func (t *table) drawPart(r trow, blocks []block, first, last int) {
	d := t.d
	lh := t.lineH()
	h := float64(last-first)*lh + 2*t.pad
	x := d.left
	if t.zebra && t.rowN%2 == 1 {
		d.setFill(bandFill)
		d.pdf.Rect(d.left, d.y, t.width(), h, "F")
	}
	for i, c := range t.cols {
		var cell tcell
		if i < len(r.cells) {
			cell = r.cells[i]
		}
		if cell.fill != nil {
			d.setFill(*cell.fill)
			d.pdf.Rect(x+0.3, d.y+0.3, c.width-0.6, h-0.6, "F")
		}
		b := blocks[i]
		for j := first; j < last && j < len(b.lines); j++ {
			col := b.colors[j]
			if col == nil {
				col = cell.color
			}
			d.drawLine(b.lines[j], x+t.pad, d.y+t.pad+float64(j-first)*lh, t.size, lh, col, c.align, c.width-2*t.pad)
		}
		x += c.width
	}
	d.setDraw(rule)
	d.pdf.SetLineWidth(0.15)
	d.pdf.Line(d.left, d.y+h, d.left+t.width(), d.y+h)
	d.y += h
}

// band draws a full-width group title row, keeping it with the next row.
func (t *table) band(title string) {
	d := t.d
	lh := t.lineH()
	h := lh + 2*t.pad
	if d.y+h+lh+2*t.pad > d.bottom {
		t.pageBreak()
	}
	d.setFill(view.RGB{R: 0xE4, G: 0xE9, B: 0xEF})
	d.pdf.Rect(d.left, d.y, t.width(), h, "F")
	b := d.layout([]para{{text: title, style: styleBold, color: &accent}}, t.size, t.width()-2*t.pad)
	if len(b.lines) > 0 {
		d.drawLine(b.lines[0], d.left+t.pad, d.y+t.pad, t.size, lh, &accent, "L", t.width()-2*t.pad)
	}
	d.y += h
	t.rowN = 0
}

// end leaves a gap below the table.
func (t *table) end() { t.d.y += 4 }
