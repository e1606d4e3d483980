package pdf

import (
	"strings"
	"testing"

	"codeberg.org/go-pdf/fpdf"

	"github.com/auditpack/auditpack/reports/internal/fixture"
)

// testDoc returns a document with the fonts loaded and one page started.
func testDoc(t *testing.T) *doc {
	t.Helper()
	p := fpdf.New("P", "mm", "A4", "")
	p.SetAutoPageBreak(false, marginBottom)
	fs, err := loadFonts(p, "", func(string, ...any) {})
	if err != nil {
		t.Fatal(err)
	}
	in := fixture.Small()
	d := &doc{pdf: p, in: in, fonts: fs, left: marginX, contentW: pageW - 2*marginX, bottom: pageH - marginBottom}
	d.newPage()
	return d
}

func TestWrapKeepsLongTokensInsideColumn(t *testing.T) {
	d := testDoc(t)
	for _, s := range []string{
		"arn:aws:iam::111122223333:role/service-role/an-extremely-long-role-name-without-spaces-at-all",
		fixture.LongEmail,
		strings.Repeat("x", 300),
		"jürgen.groß@subsidiary-with-a-long-name.example.com, đorđe.petrović@example.com",
	} {
		const maxEm = 20.0
		lines := wrap(d.fonts.shape(s, styleRegular, "test"), maxEm)
		var joined strings.Builder
		for _, l := range lines {
			if l.width > maxEm+1e-9 {
				t.Errorf("line of %q is %.2f em wide, more than %v", s, l.width, maxEm)
			}
			for _, g := range l.glyphs {
				joined.WriteString(g.text)
			}
		}
		if got := strings.ReplaceAll(s, " ", ""); strings.ReplaceAll(joined.String(), " ", "") != got {
			t.Errorf("wrapping lost characters of %q: %q", s, joined.String())
		}
		if len(lines) < 2 {
			t.Errorf("%q was not wrapped", s)
		}
	}
}

func TestWrapPrefersSpaces(t *testing.T) {
	d := testDoc(t)
	gs := d.fonts.shape("MFA device active for jürgen.groß today", styleRegular, "test")
	width := 0.0
	for _, g := range gs[:len("MFA device active for jürgen.groß")-1] {
		width += g.width
	}
	lines := wrap(gs, width+0.01)
	var first strings.Builder
	for _, g := range lines[0].glyphs {
		first.WriteString(g.text)
	}
	if first.String() != "MFA device active for jürgen.groß" {
		t.Errorf("first line = %q, want a break at the space", first.String())
	}
}

func rowOfLines(n int) trow {
	var lines []string
	for i := 0; i < n; i++ {
		lines = append(lines, "line")
	}
	return trow{record: "test", cells: []tcell{cellText("resource"), cellText(strings.Join(lines, "\n"))}}
}

func TestTableRowThatFitsMovesWhole(t *testing.T) {
	d := testDoc(t)
	tb := d.newTable(8, column{title: "Resource", width: 60}, column{title: "Message", width: 100})
	tb.start()
	d.y = d.bottom - 8
	tb.add(rowOfLines(4))
	if got := d.pdf.PageNo(); got != 2 {
		t.Fatalf("page = %d, want the row moved whole to page 2", got)
	}
	want := marginTop + tb.headerHeight() + 4*tb.lineH() + 2*tb.pad
	if d.y < want-1e-6 || d.y > want+1e-6 {
		t.Errorf("y after the row = %.2f, want %.2f (header repeated, then the whole row)", d.y, want)
	}
}

func TestTableRowTallerThanPageSpansPages(t *testing.T) {
	d := testDoc(t)
	tb := d.newTable(8, column{title: "Resource", width: 60}, column{title: "Message", width: 100})
	tb.start()
	perPage := int((d.bottom - marginTop - tb.headerHeight()) / tb.lineH())
	tb.add(rowOfLines(2*perPage + 5))
	if got := d.pdf.PageNo(); got != 3 {
		t.Errorf("page = %d, want the row split over pages 1 to 3", got)
	}
}

func TestShapeSkipsCarriageReturn(t *testing.T) {
	d := testDoc(t)
	for _, g := range d.fonts.shape("line one\r", styleRegular, "crlf record") {
		if g.placeholder {
			t.Errorf("carriage return drawn as %s", g.text)
		}
	}
	if len(d.fonts.missing) != 0 {
		t.Errorf("carriage return recorded as a missing character: %v", d.fonts.missing)
	}
}

func TestWrapShortWordBeforeFittingWord(t *testing.T) {
	d := testDoc(t)
	gs := d.fonts.shape("Max attempts", styleBold, "test")
	word := 0.0
	for _, g := range gs[4:] {
		word += g.width
	}
	var got []string
	for _, l := range wrap(gs, word+0.1) {
		var b strings.Builder
		for _, g := range l.glyphs {
			b.WriteString(g.text)
		}
		got = append(got, b.String())
	}
	if strings.Join(got, "|") != "Max|attempts" {
		t.Errorf("lines = %q, want Max and attempts", got)
	}
}
