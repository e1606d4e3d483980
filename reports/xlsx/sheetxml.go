package xlsx

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// A sheetWriter writes the XML of one worksheet straight into the zip entry
// while excelize saves the workbook. excelize's own stream writer keeps a
// buffer of up to 32 MB for every sheet until the workbook is saved. With
// 100,000 evidence rows that put the peak RSS of BenchmarkXLSX near 400 MB,
// against about 240 MB this way. Here a row exists only while it is being
// written, and the compressed entry is the only copy.
type sheetWriter struct {
	t      table
	styles func(c cell) int
	header int
	widths []float64
	fit    func(s, folder, key, column string) string
}

// bstrRe matches text that Excel would read as an escaped character
// (_xHHHH_); such text gets its underscore escaped so that it reads back
// unchanged.
var bstrRe = regexp.MustCompile(`_x[0-9A-Fa-f]{4}_`)

// escapeCellText escapes text for an inline string: control characters that
// XML 1.0 cannot carry become Excel's _xHHHH_ form, literal _xHHHH_ text is
// protected, and XML's special characters are escaped. Invalid UTF-8 is
// written as U+FFFD, as encoding/xml does.
func escapeCellText(w *bufio.Writer, s string) {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.Contains(s, "_x") {
		s = bstrRe.ReplaceAllStringFunc(s, func(m string) string { return "_x005F" + m })
	}
	if strings.ContainsAny(s, "\uFFFE\uFFFF") {
		s = strings.NewReplacer("\uFFFE", "_xFFFE_", "\uFFFF", "_xFFFF_").Replace(s)
	}
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var rep string
		switch {
		case c == '<':
			rep = "&lt;"
		case c == '>':
			rep = "&gt;"
		case c == '&':
			rep = "&amp;"
		case c == '"':
			rep = "&quot;"
		case c == '\r':
			rep = "&#xD;"
		case c == '\t' || c == '\n':
			continue
		case c < 0x20 || c == 0x7f:
			rep = fmt.Sprintf("_x%04X_", c)
		default:
			continue
		}
		w.WriteString(s[start:i])
		w.WriteString(rep)
		start = i + 1
	}
	w.WriteString(s[start:])
}

// write renders the worksheet: frozen header row, column widths, every row,
// and the filter over the whole table.
func (sw *sheetWriter) write(out io.Writer) error {
	w := bufio.NewWriterSize(out, 64<<10)
	t := sw.t
	lastCol, err := excelize.ColumnNumberToName(len(t.Headers))
	if err != nil {
		return err
	}
	lastRow := max(t.Rows+1, 2)
	ref := fmt.Sprintf("A1:%s%d", lastCol, lastRow)
	w.WriteString(xml.Header)
	w.WriteString(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">`)
	w.WriteString(`<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>`)
	fmt.Fprintf(w, `<dimension ref="%s"/>`, ref)
	w.WriteString(`<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>`)
	w.WriteString(`<sheetFormatPr defaultRowHeight="15"/><cols>`)
	for i, width := range sw.widths {
		fmt.Fprintf(w, `<col min="%d" max="%d" width="%s" customWidth="1"/>`, i+1, i+1, strconv.FormatFloat(width, 'f', 2, 64))
	}
	w.WriteString(`</cols><sheetData>`)

	cols := make([]string, len(t.Headers))
	for i := range cols {
		cols[i], _ = excelize.ColumnNumberToName(i + 1)
	}
	w.WriteString(`<row r="1" ht="20" customHeight="1">`)
	for i, h := range t.Headers {
		writeStringCell(w, cols[i]+"1", sw.header, h)
	}
	w.WriteString(`</row>`)
	for r := 0; r < t.Rows; r++ {
		cells := t.Row(r)
		key := ""
		if t.KeyColumn < len(cells) {
			key = cells[t.KeyColumn].Text
		}
		rowNum := strconv.Itoa(r + 2)
		if lines := sw.rowLines(cells); lines > 1 {
			height := min(float64(lines)*lineHeight+2, maxRowHeight)
			w.WriteString(`<row r="` + rowNum + `" ht="` + strconv.FormatFloat(height, 'f', 1, 64) + `" customHeight="1">`)
		} else {
			w.WriteString(`<row r="` + rowNum + `">`)
		}
		for i := range t.Headers {
			if i >= len(cells) {
				break
			}
			c := cells[i]
			style := sw.styles(c)
			ref := cols[i] + rowNum
			switch {
			case c.Number != nil:
				fmt.Fprintf(w, `<c r="%s" s="%d"><v>%s</v></c>`, ref, style, strconv.FormatFloat(*c.Number, 'g', -1, 64))
			case c.Text == "":
				fmt.Fprintf(w, `<c r="%s" s="%d"/>`, ref, style)
			default:
				// Every text value is an inline string cell and never a
				// formula, so "=…", "+…", "-…" and "@…" stay text.
				writeStringCell(w, ref, style, sw.fit(c.Text, t.Folder, key, t.Headers[i]))
			}
		}
		w.WriteString(`</row>`)
	}
	w.WriteString(`</sheetData>`)
	fmt.Fprintf(w, `<autoFilter ref="%s"/>`, ref)
	w.WriteString(`<pageMargins left="0.5" right="0.5" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>`)
	w.WriteString(`<pageSetup orientation="landscape" fitToWidth="1" fitToHeight="0"/>`)
	w.WriteString(`</worksheet>`)
	return w.Flush()
}

// Row heights in points: one line of 10-point text, and Excel's maximum.
const (
	lineHeight   = 13.0
	maxRowHeight = 409.0
)

// rowLines estimates how many lines the tallest cell of a row wraps to, so
// that the row height can be written. LibreOffice 7.4 left wrapped rows
// without a height one line high, with the text overlapping.
func (sw *sheetWriter) rowLines(cells []cell) int {
	most := 1
	for i, c := range cells {
		if c.Text == "" || i >= len(sw.widths) {
			continue
		}
		width := max(sw.widths[i]-1, 1)
		if len(c.Text) > 20000 {
			return int(math.Ceil(maxRowHeight / lineHeight))
		}
		n := 0
		for _, line := range strings.Split(c.Text, "\n") {
			n += max(1, int(math.Ceil(lineWidth(line)/width)))
		}
		most = max(most, n)
	}
	return most
}

// lineWidth is the width of one line of text in character units; wide (East
// Asian) characters count double.
func lineWidth(s string) float64 {
	w := 0.0
	for _, r := range s {
		if isWide(r) {
			w += 2
		} else {
			w++
		}
	}
	return w
}

func writeStringCell(w *bufio.Writer, ref string, style int, s string) {
	w.WriteString(`<c r="`)
	w.WriteString(ref)
	w.WriteString(`" s="`)
	w.WriteString(strconv.Itoa(style))
	w.WriteString(`" t="inlineStr"><is><t`)
	if s != strings.TrimSpace(s) {
		w.WriteString(` xml:space="preserve"`)
	}
	w.WriteString(`>`)
	escapeCellText(w, s)
	w.WriteString(`</t></is></c>`)
}
