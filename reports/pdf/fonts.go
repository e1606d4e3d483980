package pdf

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strings"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// face is one embedded TrueType font: its fpdf family and style, and the
// parsed font from which glyph coverage and advance widths are read.
type face struct {
	family, style string
	font          *sfnt.Font
	buf           sfnt.Buffer
	upem          float64
	// widths caches advance widths in em units; a missing glyph is -1.
	widths map[rune]float64
}

func newFace(family, style string, data []byte) (*face, error) {
	fnt, err := sfnt.Parse(data)
	if err != nil {
		return nil, err
	}
	return &face{family: family, style: style, font: fnt, upem: float64(fnt.UnitsPerEm()), widths: map[rune]float64{}}, nil
}

// width returns the advance of r in em units, or -1 when the font has no
// glyph for it.
func (fc *face) width(r rune) float64 {
	if w, ok := fc.widths[r]; ok {
		return w
	}
	w := -1.0
	gi, err := fc.font.GlyphIndex(&fc.buf, r)
	if err == nil && gi != 0 {
		adv, err := fc.font.GlyphAdvance(&fc.buf, gi, fixed.I(int(fc.upem)), font.HintingNone)
		if err == nil {
			w = float64(adv) / 64 / fc.upem
		}
	}
	fc.widths[r] = w
	return w
}

// Text styles the report uses.
type textStyle int

const (
	styleRegular textStyle = iota
	styleBold
	styleItalic
	styleMono
)

// fonts holds the embedded faces and the optional fallback, and records the
// characters that no font could draw.
type fonts struct {
	faces    map[textStyle]*face
	fallback *face
	// missing maps a record (check and resource, or a section) to the code
	// points drawn as placeholders in it.
	missing map[string]map[rune]bool
}

// fallbackFamily is the fpdf family name of the configured fallback font.
const fallbackFamily = "fallback"

// loadFonts registers the Go fonts, and the fallback font when path is set,
// with the document. A fallback that cannot be read or parsed is reported
// as a warning and left out, so its characters become placeholders.
func loadFonts(pdf *fpdf.Fpdf, fallbackPath string, warn func(msg string, args ...any)) (*fonts, error) {
	fs := &fonts{faces: map[textStyle]*face{}, missing: map[string]map[rune]bool{}}
	for _, f := range []struct {
		style         textStyle
		family, fpdfS string
		data          []byte
	}{
		{styleRegular, "go", "", goregular.TTF},
		{styleBold, "go", "B", gobold.TTF},
		{styleItalic, "go", "I", goitalic.TTF},
		{styleMono, "gomono", "", gomono.TTF},
	} {
		fc, err := newFace(f.family, f.fpdfS, f.data)
		if err != nil {
			return nil, fmt.Errorf("parse embedded Go font: %w", err)
		}
		// NOTE: fpdf v0.12.0 writes into the font bytes it is given while
		// subsetting (measured: gomono.TTF changed after one render), which
		// made the next render differ. It gets a copy, so the package-level
		// gofont data stays intact.
		pdf.AddUTF8FontFromBytes(f.family, f.fpdfS, bytes.Clone(f.data))
		fs.faces[f.style] = fc
	}
	if fallbackPath != "" {
		data, err := os.ReadFile(fallbackPath)
		if err == nil {
			var fc *face
			if fc, err = newFace(fallbackFamily, "", data); err == nil {
				pdf.AddUTF8FontFromBytes(fallbackFamily, "", bytes.Clone(data))
				fs.fallback = fc
			}
		}
		if err != nil {
			warn("PDF fallback font not loaded; characters the Go fonts lack are drawn as [U+XXXX] placeholders",
				"path", fallbackPath, "error", err)
		}
	}
	return fs, pdf.Error()
}

// glyph is one drawable unit of text: a character in a font, or the
// placeholder of a character no font has.
type glyph struct {
	text        string
	face        *face
	width       float64 // em units
	word        float64 // width of the word the glyph is in, in em units
	space       bool
	breakAfter  bool
	placeholder bool
}

// breakChars are characters after which a long unbroken token (an ARN, a
// URL, an e-mail address) may wrap.
const breakChars = "/:@.-_,;=&?|+"

// shape turns text into glyphs for a style. A character missing from the
// style's font comes from the fallback font when it has it, else becomes a
// visible [U+XXXX] placeholder that is recorded against record.
func (fs *fonts) shape(s string, style textStyle, record string) []glyph {
	primary := fs.faces[style]
	out := make([]glyph, 0, len(s))
	for _, r := range s {
		switch r {
		case '\r':
			// The \n of a CRLF pair already ends the line.
			continue
		case '\t':
			r = ' '
		}
		if w := primary.width(r); w >= 0 {
			out = append(out, glyph{text: string(r), face: primary, width: w, space: r == ' ', breakAfter: strings.ContainsRune(breakChars, r)})
			continue
		}
		if fs.fallback != nil {
			if w := fs.fallback.width(r); w >= 0 {
				// CJK text has no spaces, so a line may wrap after any
				// fallback character.
				out = append(out, glyph{text: string(r), face: fs.fallback, width: w, breakAfter: true})
				continue
			}
		}
		ph := fmt.Sprintf("[U+%04X]", r)
		regular := fs.faces[styleRegular]
		w := 0.0
		for _, c := range ph {
			w += regular.width(c)
		}
		out = append(out, glyph{text: ph, face: regular, width: w, breakAfter: true, placeholder: true})
		if fs.missing[record] == nil {
			fs.missing[record] = map[rune]bool{}
		}
		fs.missing[record][r] = true
	}
	return out
}

// logMissing logs one warning per record whose characters were drawn as
// placeholders, naming the record and the code points.
func (fs *fonts) logMissing(warn func(msg string, args ...any)) {
	records := make([]string, 0, len(fs.missing))
	for rec := range fs.missing {
		records = append(records, rec)
	}
	sort.Strings(records)
	for _, rec := range records {
		var runes []rune
		for r := range fs.missing[rec] {
			runes = append(runes, r)
		}
		sort.Slice(runes, func(i, j int) bool { return runes[i] < runes[j] })
		var cps []string
		for _, r := range runes {
			cps = append(cps, fmt.Sprintf("U+%04X", r))
		}
		hint := "configure reports.pdf_fallback_font with a TrueType font that has them"
		if fs.fallback != nil {
			hint = "the fallback font lacks them too"
		}
		warn("PDF fonts lack characters; drawn as [U+XXXX] placeholders",
			"record", rec, "characters", strings.Join(cps, " "), "hint", hint)
	}
}
