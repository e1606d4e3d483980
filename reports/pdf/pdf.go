// Package pdf writes the audit workpaper. It has a cover, an executive
// summary with charts, the control matrix of every criterion, the findings by
// criterion and check, the exceptions that could not be assessed, and an
// evidence appendix with the provenance of every call.
//
// All text is drawn with the Go fonts embedded as UTF-8 TrueType fonts, so
// Latin, Greek and Cyrillic names come out exactly. A character those fonts
// lack is drawn from the configured fallback font, or else as a visible
// [U+XXXX] placeholder that is logged with the record it belongs to.
package pdf

import (
	"fmt"
	"io"

	"codeberg.org/go-pdf/fpdf"

	"github.com/auditpack/auditpack/reports"
	"github.com/auditpack/auditpack/reports/internal/view"
)

// Writer renders report.pdf.
type Writer struct{}

var _ reports.Writer = (*Writer)(nil)

// New returns the PDF writer.
func New() *Writer { return &Writer{} }

// Format returns "pdf".
func (*Writer) Format() string { return "pdf" }

// FileName returns "report.pdf".
func (*Writer) FileName() string { return "report.pdf" }

// Page geometry of A4 portrait, in millimetres.
const (
	pageW        = 210.0
	pageH        = 297.0
	marginX      = 16.0
	marginTop    = 22.0
	marginBottom = 18.0
)

// Colours of the document.
var (
	ink              = view.RGB{R: 0x21, G: 0x25, B: 0x29}
	muted            = view.RGB{R: 0x5F, G: 0x66, B: 0x6D}
	accent           = view.RGB{R: 0x1F, G: 0x3A, B: 0x5F}
	rule             = view.RGB{R: 0xC7, G: 0xCD, B: 0xD4}
	headerFill       = view.RGB{R: 0x1F, G: 0x3A, B: 0x5F}
	bandFill         = view.RGB{R: 0xF3, G: 0xF5, B: 0xF7}
	noteFill         = view.RGB{R: 0xFF, G: 0xF8, B: 0xE1}
	white            = view.RGB{R: 0xFF, G: 0xFF, B: 0xFF}
	placeholderColor = view.RGB{R: 0xB0, G: 0x00, B: 0x20}
)

// doc is the state of one document being written.
type doc struct {
	pdf   *fpdf.Fpdf
	in    *reports.Input
	model *view.Model
	fonts *fonts
	// y is the top of the next thing to draw on the current page.
	y              float64
	left, contentW float64
	bottom         float64
	// record names what is being drawn, for warnings about characters no
	// font has ("aws.iam.console_mfa arn:aws:iam::…:user/…").
	record string
	// section is the running title shown in the page header.
	section string
}

// Write renders the workpaper.
func (w *Writer) Write(in *reports.Input, out io.Writer) error {
	if in.Results == nil {
		return fmt.Errorf("pdf: no results to render")
	}
	model, err := view.Build(in.Results, in.Catalog)
	if err != nil {
		return err
	}
	run := in.Results.Run
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetMargins(marginX, marginTop, marginX)
	pdf.SetAutoPageBreak(false, marginBottom)
	pdf.SetCellMargin(0)
	pdf.SetCompression(true)
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(run.EvaluationTime.UTC())
	pdf.SetModificationDate(run.EvaluationTime.UTC())
	pdf.AliasNbPages("{nb}")

	log := in.Log()
	fs, err := loadFonts(pdf, in.PDFFallbackFont, log.Warn)
	if err != nil {
		return err
	}
	pdf.SetTitle("SOC 2 evidence workpaper: "+orDash(run.Organization)+", "+run.Period.String(), true)
	pdf.SetSubject("AICPA Trust Services Criteria, run "+run.ID, true)
	pdf.SetAuthor(orDash(run.Organization), true)
	pdf.SetCreator("auditpack "+run.ToolVersion, true)
	pdf.SetProducer("auditpack "+run.ToolVersion, true)
	pdf.SetFont("go", "", 9)

	d := &doc{pdf: pdf, in: in, model: model, fonts: fs, left: marginX, contentW: pageW - 2*marginX, bottom: pageH - marginBottom}
	pdf.SetHeaderFunc(d.pageHeader)
	pdf.SetFooterFunc(d.pageFooter)

	d.cover()
	d.summary()
	d.matrix()
	d.findings()
	d.exceptions()
	d.governance()
	d.appendix()

	fs.logMissing(log.Warn)
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("render PDF: %w", err)
	}
	if err := pdf.Output(out); err != nil {
		return fmt.Errorf("write PDF: %w", err)
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// color returns c, or the ink colour when c is nil.
func (d *doc) color(c *view.RGB) view.RGB {
	if c == nil {
		return ink
	}
	return *c
}

func (d *doc) setFill(c view.RGB) { d.pdf.SetFillColor(c.R, c.G, c.B) }
func (d *doc) setDraw(c view.RGB) { d.pdf.SetDrawColor(c.R, c.G, c.B) }

// newPage starts a page; the header function draws the running header.
func (d *doc) newPage() {
	d.pdf.AddPage()
	d.y = marginTop
}

// ensure starts a new page unless h millimetres fit below the current
// position.
func (d *doc) ensure(h float64) {
	if d.y+h > d.bottom {
		d.newPage()
	}
}

func (d *doc) pageHeader() {
	if d.pdf.PageNo() == 1 {
		return
	}
	run := d.in.Results.Run
	saved := d.record
	d.record = "page header"
	left := d.layout([]para{{text: orDash(run.Organization) + " · SOC 2 evidence workpaper · " + run.Period.String(), color: &muted}}, 7.5, 120)
	d.drawLine(left.lines[0], marginX, 9, 7.5, 4, &muted, "L", 120)
	right := d.layout([]para{{text: d.section, style: styleBold, color: &accent}}, 7.5, 60)
	d.drawLine(right.lines[0], pageW-marginX-60, 9, 7.5, 4, &accent, "R", 60)
	d.setDraw(rule)
	d.pdf.SetLineWidth(0.2)
	d.pdf.Line(marginX, 14, pageW-marginX, 14)
	d.record = saved
}

func (d *doc) pageFooter() {
	run := d.in.Results.Run
	saved := d.record
	d.record = "page footer"
	d.setDraw(rule)
	d.pdf.SetLineWidth(0.2)
	d.pdf.Line(marginX, pageH-12, pageW-marginX, pageH-12)
	left := d.layout([]para{{text: "Run " + run.ID + " · results.json SHA-256 " + short(d.in.ResultsSHA256)}}, 7, 130)
	d.drawLine(left.lines[0], marginX, pageH-11, 7, 4, &muted, "L", 130)
	page := d.layout([]para{{text: fmt.Sprintf("Page %d of {nb}", d.pdf.PageNo())}}, 7, 30)
	d.drawLine(page.lines[0], pageW-marginX-24, pageH-11, 7, 4, &muted, "L", 24)
	d.record = saved
}

func short(sum string) string {
	if len(sum) > 16 {
		return sum[:16] + "…"
	}
	return orDash(sum)
}

// heading starts a section on a new page with a bookmark at level 0; short
// is the running title in the page header.
func (d *doc) heading(title, short string) {
	d.section = short
	d.newPage()
	d.pdf.SetFont("go", "B", 16)
	d.pdf.Bookmark(title, 0, d.y)
	d.record = "section " + title
	d.text([]para{{text: title, style: styleBold, color: &accent}}, 16)
	d.setDraw(accent)
	d.pdf.SetLineWidth(0.5)
	d.pdf.Line(d.left, d.y+0.5, d.left+d.contentW, d.y+0.5)
	d.y += 4
}

// subheading draws a level-1 title with a bookmark, keeping room for at
// least keep millimetres of what follows on the same page.
func (d *doc) subheading(title string, level int, size float64, keep float64) {
	d.ensure(size*ptToMM*1.45*2 + keep)
	d.y += 2
	d.pdf.SetFont("go", "B", size)
	d.pdf.Bookmark(title, level, d.y)
	d.text([]para{{text: title, style: styleBold, color: &accent}}, size)
	d.y += 1
}
