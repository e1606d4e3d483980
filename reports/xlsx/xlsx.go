// Package xlsx writes the evidence workbook: a summary with a chart, the
// criteria, the checks, every finding, the exceptions, one sheet per evidence
// kind with the attributes exactly as collected, and the provenance of every
// call. Values read from other systems are always written as text cells,
// never as formulas.
package xlsx

import (
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/auditpack/auditpack/reports"
	"github.com/auditpack/auditpack/reports/internal/view"
)

// Writer renders report.xlsx.
type Writer struct{}

var _ reports.Writer = (*Writer)(nil)

// New returns the workbook writer.
func New() *Writer { return &Writer{} }

// Format returns "xlsx".
func (*Writer) Format() string { return "xlsx" }

// FileName returns "report.xlsx".
func (*Writer) FileName() string { return "report.xlsx" }

// Column widths in Excel's character units.
const (
	minWidth = 8
	maxWidth = 60
)

// book is the state of one workbook being written.
type book struct {
	f      *excelize.File
	in     *reports.Input
	model  *view.Model
	names  *sheetNames
	att    *attacher
	styles styles
	// sheets are the table sheets, written while the workbook is saved.
	sheets map[string]*sheetWriter
}

// Write renders the workbook.
func (w *Writer) Write(in *reports.Input, out io.Writer) error {
	if in.Results == nil {
		return fmt.Errorf("xlsx: no results to render")
	}
	model, err := view.Build(in.Results, in.Catalog)
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	b := &book{f: f, in: in, model: model, names: newSheetNames(), att: newAttacher(in.Attach), sheets: map[string]*sheetWriter{}}
	f.SetZipWriter(func(w io.Writer) excelize.ZipWriter { return newSortedZip(w, b.sheets) })
	if b.styles, err = newStyles(f); err != nil {
		return err
	}
	steps := []func() error{
		b.summarySheet,
		b.criteriaSheet,
		b.checksSheet,
		b.findingsSheet,
		b.exceptionsSheet,
		b.waiversSheet,
		b.scopeSheet,
		b.controlIDsSheet,
		b.custodySheet,
		b.evidenceSheets,
		b.provenanceSheet,
		b.properties,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	// The summary stays the active sheet, as the first one created. Calling
	// SetActiveSheet here would parse every stream-written sheet back into
	// memory.
	if _, err := f.WriteTo(out); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	return nil
}

// properties fixes the document properties to the run, so the same results
// give the same bytes.
func (b *book) properties() error {
	run := b.in.Results.Run
	stamp := run.EvaluationTime.UTC().Format("2006-01-02T15:04:05Z")
	return b.f.SetDocProps(&excelize.DocProperties{
		Title:          "SOC 2 evidence workbook " + run.Period.String(),
		Subject:        "Run " + run.ID,
		Creator:        "auditpack " + run.ToolVersion,
		LastModifiedBy: "auditpack " + run.ToolVersion,
		Created:        stamp,
		Modified:       stamp,
		Identifier:     run.ID,
		Language:       "en",
	})
}

// cell is one value of a table row. Text is shown as a string cell; Number,
// when set, as a number.
type cell struct {
	Text   string
	Number *float64
	Style  int
}

func text(s string) cell { return cell{Text: s} }

func number(n float64) cell { return cell{Number: &n} }

func styled(s string, style int) cell { return cell{Text: s, Style: style} }

// table describes a sheet of rows: a header row, frozen, filterable and
// styled, then Rows rows produced by Row. Without ColumnWidth, Row is called
// twice per row, once to fit the column widths and once to write, so it must
// be deterministic and must not attach anything.
type table struct {
	Sheet   string
	Headers []string
	Rows    int
	Row     func(i int) []cell
	// Folder and KeyColumn name the attachment of a cut value: the folder
	// below attachments/ and the column whose text identifies the row.
	Folder    string
	KeyColumn int
	// Widths caps the width of single columns below maxWidth.
	Widths map[int]float64
	// ColumnWidth, when set, gives the content width of every column, and
	// Row is then called only once per row.
	ColumnWidth []float64
}

// writeTable adds the table's sheet. Its rows are written when the workbook
// is saved, straight into the zip entry, so large sheets never sit in memory.
func (b *book) writeTable(t table) error {
	if _, err := b.f.NewSheet(t.Sheet); err != nil {
		return fmt.Errorf("add sheet %s: %w", t.Sheet, err)
	}
	last, err := excelize.CoordinatesToCellName(len(t.Headers), max(t.Rows+1, 2))
	if err != nil {
		return err
	}
	// The filter itself is written with the sheet; this call adds the
	// workbook's hidden name for it, as Excel does.
	if err := b.f.AutoFilter(t.Sheet, "A1:"+last, nil); err != nil {
		return fmt.Errorf("add filter to sheet %s: %w", t.Sheet, err)
	}

	widths := make([]float64, len(t.Headers))
	for i, h := range t.Headers {
		widths[i] = textWidth(h) + 3 // room for the filter button
	}
	for i, w := range t.ColumnWidth {
		if i < len(widths) {
			widths[i] = max(widths[i], w)
		}
	}
	for r := 0; t.ColumnWidth == nil && r < t.Rows; r++ {
		for i, c := range t.Row(r) {
			if i < len(widths) {
				widths[i] = max(widths[i], cellWidth(c))
			}
		}
	}
	for i, w := range widths {
		limit := float64(maxWidth)
		if l, ok := t.Widths[i]; ok {
			limit = l
		}
		widths[i] = min(max(w+1, minWidth), limit)
	}

	text := b.styles.text
	b.sheets[t.Sheet] = &sheetWriter{
		t: t, header: b.styles.header, widths: widths, fit: b.att.fit,
		styles: func(c cell) int {
			if c.Style == 0 {
				return text
			}
			return c.Style
		},
	}
	return nil
}

// textWidth estimates the width of text in character units from its longest
// line; wide (East Asian) characters count double.
func textWidth(s string) float64 {
	best, cur := 0.0, 0.0
	for _, r := range s {
		if r == '\n' {
			best, cur = max(best, cur), 0
			continue
		}
		if isWide(r) {
			cur += 2
		} else {
			cur++
		}
		if cur > maxWidth {
			return maxWidth
		}
	}
	return max(best, cur)
}

func cellWidth(c cell) float64 {
	if c.Number != nil {
		return float64(len(fmt.Sprint(*c.Number)))
	}
	if len(c.Text) > 4*maxWidth && utf8.RuneCountInString(c.Text) > maxWidth {
		return maxWidth
	}
	return textWidth(c.Text)
}

func isWide(r rune) bool {
	return r >= 0x1100 && (r <= 0x115f || (r >= 0x2e80 && r <= 0xa4cf) || (r >= 0xac00 && r <= 0xd7a3) ||
		(r >= 0xf900 && r <= 0xfaff) || (r >= 0xfe30 && r <= 0xfe4f) || (r >= 0xff00 && r <= 0xff60) ||
		(r >= 0xffe0 && r <= 0xffe6) || (r >= 0x1f300 && r <= 0x1faff) || (r >= 0x20000 && r <= 0x3fffd))
}
