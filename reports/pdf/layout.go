package pdf

import (
	"strings"

	"github.com/auditpack/auditpack/reports/internal/view"
)

// ptToMM converts a font size in points to millimetres.
const ptToMM = 25.4 / 72

// line is one wrapped line of glyphs; width is in em units.
type line struct {
	glyphs []glyph
	width  float64
}

// breakRank orders the places a line may end: a space is best, then the
// separators of paths and lists, then places inside names (after a '.' or
// '-', or between CJK characters and placeholders, which have no spaces).
func breakRank(g glyph) int {
	switch {
	case g.space:
		return 3
	case len(g.text) == 1 && strings.Contains("/:,;|=&?", g.text):
		return 2
	case g.breakAfter:
		return 1
	}
	return 0
}

// wrap breaks glyphs into lines no wider than maxEm. It ends a line at the
// best break that keeps the line at least 40% full, preferring spaces, and
// cuts a token with no usable break (a long ARN) wherever it overflows.
func wrap(gs []glyph, maxEm float64) []line {
	markWords(gs)
	var lines []line
	var cur []glyph
	curW := 0.0
	flush := func(n, skip int) {
		l := line{glyphs: trimSpaces(cur[:n])}
		for _, g := range l.glyphs {
			l.width += g.width
		}
		lines = append(lines, l)
		rest := append([]glyph(nil), cur[min(n+skip, len(cur)):]...)
		cur, curW = nil, 0
		for _, g := range rest {
			if len(cur) == 0 && g.space {
				continue
			}
			cur = append(cur, g)
			curW += g.width
		}
	}
	for _, g := range gs {
		if len(cur) == 0 && g.space {
			continue
		}
		if curW+g.width > maxEm && len(cur) > 0 {
			if g.space {
				flush(len(cur), 0)
				continue
			}
			n, skip := bestBreak(cur, g, maxEm)
			flush(n, skip)
		}
		cur = append(cur, g)
		curW += g.width
	}
	if len(cur) > 0 || len(lines) == 0 {
		flush(len(cur), 0)
	}
	return lines
}

// markWords stores in each glyph the width of the word it belongs to, a run
// of glyphs between spaces.
func markWords(gs []glyph) {
	for i := 0; i < len(gs); {
		if gs[i].space {
			i++
			continue
		}
		j, w := i, 0.0
		for ; j < len(gs) && !gs[j].space; j++ {
			w += gs[j].width
		}
		for k := i; k < j; k++ {
			gs[k].word = w
		}
		i = j
	}
}

// bestBreak returns how many glyphs of cur stay on the line and how many
// following glyphs (a space) are dropped; next is the glyph that did not
// fit. The last space before a word that fits on a line of its own always
// wins; otherwise the line is filled.
func bestBreak(cur []glyph, next glyph, maxEm float64) (keep, skip int) {
	for i := len(cur) - 1; i > 0; i-- {
		if !cur[i].space {
			continue
		}
		following := next
		if i+1 < len(cur) {
			following = cur[i+1]
		}
		if following.word <= maxEm {
			return i, 1
		}
	}
	for rank := 3; rank >= 1; rank-- {
		w := 0.0
		best := -1
		for i, g := range cur {
			if breakRank(g) == rank && i > 0 {
				end := w
				if !g.space {
					end += g.width
				}
				if end >= 0.4*maxEm {
					best = i
				}
			}
			w += g.width
		}
		if best >= 0 {
			if cur[best].space {
				return best, 1
			}
			return best + 1, 0
		}
	}
	return len(cur), 0
}

func trimSpaces(gs []glyph) []glyph {
	for len(gs) > 0 && gs[len(gs)-1].space {
		gs = gs[:len(gs)-1]
	}
	return gs
}

// para is a paragraph of one style inside a text block or table cell.
type para struct {
	text  string
	style textStyle
	color *view.RGB
}

// block is wrapped text ready to draw: lines with the style of the
// paragraph they came from.
type block struct {
	lines  []line
	styles []textStyle
	colors []*view.RGB
}

// layout wraps paragraphs to a width in millimetres at a font size in
// points. Line breaks inside a paragraph's text start new lines.
func (d *doc) layout(paras []para, size, widthMM float64) block {
	var b block
	maxEm := widthMM / (size * ptToMM)
	for _, p := range paras {
		for _, piece := range strings.Split(p.text, "\n") {
			for _, l := range wrap(d.fonts.shape(piece, p.style, d.record), maxEm) {
				b.lines = append(b.lines, l)
				b.styles = append(b.styles, p.style)
				b.colors = append(b.colors, p.color)
			}
		}
	}
	return b
}

// drawLine draws one line with its top at y. Runs of glyphs in the same
// font are drawn together; placeholders are drawn in a warning colour.
func (d *doc) drawLine(l line, x, y, size, lineH float64, color *view.RGB, align string, widthMM float64) {
	sizeMM := size * ptToMM
	if align == "R" {
		x += widthMM - l.width*sizeMM
	} else if align == "C" {
		x += (widthMM - l.width*sizeMM) / 2
	}
	baseline := y + (lineH-sizeMM)/2 + 0.8*sizeMM
	base := d.color(color)
	for i := 0; i < len(l.glyphs); {
		g := l.glyphs[i]
		var sb strings.Builder
		w := 0.0
		j := i
		for ; j < len(l.glyphs) && l.glyphs[j].face == g.face && l.glyphs[j].placeholder == g.placeholder; j++ {
			sb.WriteString(l.glyphs[j].text)
			w += l.glyphs[j].width
		}
		d.pdf.SetFont(g.face.family, g.face.style, size)
		c := base
		if g.placeholder {
			c = placeholderColor
		}
		d.pdf.SetTextColor(c.R, c.G, c.B)
		d.pdf.Text(x, baseline, sb.String())
		x += w * sizeMM
		i = j
	}
}

// text draws paragraphs at the current position across the content width,
// moving to a new page between lines when the page is full.
func (d *doc) text(paras []para, size float64) {
	d.textAt(paras, size, d.left, d.contentW)
}

func (d *doc) textAt(paras []para, size, x, width float64) {
	lineH := size * ptToMM * 1.45
	b := d.layout(paras, size, width)
	for i, l := range b.lines {
		if d.y+lineH > d.bottom {
			d.newPage()
		}
		d.drawLine(l, x, d.y, size, lineH, b.colors[i], "L", width)
		d.y += lineH
	}
}

// paragraphs draws rendered template text: paragraphs separated by a gap,
// and "- " lines as bullets with a hanging indent.
func (d *doc) paragraphs(text string, size float64) {
	lineH := size * ptToMM * 1.45
	for _, p := range strings.Split(text, "\n\n") {
		for _, l := range strings.Split(p, "\n") {
			item, ok := strings.CutPrefix(l, "- ")
			if !ok {
				d.text([]para{{text: l}}, size)
				continue
			}
			b := d.layout([]para{{text: item}}, size, d.contentW-6)
			for i, bl := range b.lines {
				if d.y+lineH > d.bottom {
					d.newPage()
				}
				if i == 0 {
					bullet := d.layout([]para{{text: "•"}}, size, 6)
					d.drawLine(bullet.lines[0], d.left+1.5, d.y, size, lineH, nil, "L", 4)
				}
				d.drawLine(bl, d.left+6, d.y, size, lineH, nil, "L", d.contentW-6)
				d.y += lineH
			}
		}
		d.y += 2
	}
}
