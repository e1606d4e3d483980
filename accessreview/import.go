package accessreview

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/auditpack/auditpack/internal/period"
)

// Decisions are the decisions of one imported workbook, the content of a
// KindDecisions evidence item.
type Decisions struct {
	ExportID string        `json:"export_id"`
	Period   period.Period `json:"period"`
	// Workbook is the base name of the imported file.
	Workbook       string     `json:"workbook"`
	WorkbookSHA256 string     `json:"workbook_sha256"`
	Imported       time.Time  `json:"imported"`
	ImportedBy     string     `json:"imported_by,omitempty"`
	Decisions      []Decision `json:"decisions"`
}

// Decision is a reviewer's decision on one account.
type Decision struct {
	Sheet   string `json:"sheet"`
	Row     int    `json:"row"`
	System  string `json:"system"`
	Type    string `json:"type"`
	Account string `json:"account"`
	Name    string `json:"name"`
	Email   string `json:"email,omitempty"`
	// Decision is Keep, Revoke or Modify.
	Decision string `json:"decision"`
	Reviewer string `json:"reviewer"`
	// Date is the decision's date as YYYY-MM-DD.
	Date    string `json:"date"`
	Comment string `json:"comment,omitempty"`
}

// Problem is one reason a workbook was rejected.
type Problem struct {
	// Sheet and Row locate the problem; Row is 0 for a problem of a whole
	// sheet or workbook.
	Sheet   string
	Row     int
	Account string
	Message string
}

// ImportError lists every problem of a rejected workbook.
type ImportError struct {
	Path     string
	Problems []Problem
}

func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "workbook %s was not imported (%d problems); fix them in the workbook and import it again:", e.Path, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		switch {
		case p.Sheet == "":
		case p.Row == 0:
			fmt.Fprintf(&b, "sheet %q: ", p.Sheet)
		case p.Account != "":
			fmt.Fprintf(&b, "sheet %q row %d (%s): ", p.Sheet, p.Row, p.Account)
		default:
			fmt.Fprintf(&b, "sheet %q row %d: ", p.Sheet, p.Row)
		}
		b.WriteString(p.Message)
	}
	return b.String()
}

// ReadExportID returns the export id of a workbook's hidden sheet, so the
// caller can find the export record to import it against.
func ReadExportID(path string) (string, error) {
	f, err := excelize.OpenFile(path)
	if err != nil {
		return "", fmt.Errorf("open workbook %s: %w", path, err)
	}
	defer f.Close()
	if idx, _ := f.GetSheetIndex(metaSheet); idx < 0 {
		return "", fmt.Errorf("workbook %s has no %s sheet, so it was not written by 'auditpack access-review export'; export a new workbook", path, metaSheet)
	}
	id, err := f.GetCellValue(metaSheet, metaExportIDCell)
	if err != nil {
		return "", err
	}
	if id == "" {
		return "", fmt.Errorf("workbook %s has no export id in its %s sheet; export a new workbook", path, metaSheet)
	}
	return id, nil
}

// Import reads and validates the decisions of a workbook against the export
// record it was written from. The export id must match and no data cell may
// differ from the export. Every row needs a decision, a reviewer and a date,
// and each date must lie inside the period, on or after the export and not
// after now. On any problem Import returns an *ImportError listing all of
// them by sheet and row, and no decisions.
func Import(path string, expect *Review, now time.Time) (*Decisions, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read workbook: %w", err)
	}
	// Parse the bytes that were hashed, so the recorded SHA-256 is that of
	// the workbook the decisions came from.
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("open workbook %s: %w; is it an .xlsx file written by 'auditpack access-review export'?", path, err)
	}
	defer f.Close()

	im := &importer{f: f, expect: expect, now: now.UTC()}
	im.checkMeta()
	if len(im.problems) > 0 {
		return nil, &ImportError{Path: path, Problems: im.problems}
	}
	sum := sha256.Sum256(data)
	out := &Decisions{
		ExportID:       expect.ExportID,
		Period:         expect.Period,
		Workbook:       filepath.Base(path),
		WorkbookSHA256: hex.EncodeToString(sum[:]),
		Imported:       now.UTC(),
		Decisions:      []Decision{},
	}
	for _, s := range expect.Sheets {
		out.Decisions = append(out.Decisions, im.readSheet(s)...)
	}
	if len(im.problems) > 0 {
		return nil, &ImportError{Path: path, Problems: im.problems}
	}
	return out, nil
}

type importer struct {
	f        *excelize.File
	expect   *Review
	now      time.Time
	problems []Problem
	// hashes are the hidden sheet's row hashes by sheet and row.
	hashes map[string]string
}

func (im *importer) problem(sheet string, row int, account, format string, args ...any) {
	im.problems = append(im.problems, Problem{Sheet: sheet, Row: row, Account: account, Message: fmt.Sprintf(format, args...)})
}

func hashKey(sheet string, row int) string { return sheet + "\x00" + strconv.Itoa(row) }

// checkMeta compares the hidden sheet with the export record.
func (im *importer) checkMeta() {
	f := im.f
	if idx, _ := f.GetSheetIndex(metaSheet); idx < 0 {
		im.problem("", 0, "", "the workbook has no %s sheet, so it was not written by 'auditpack access-review export'; export a new workbook", metaSheet)
		return
	}
	get := func(cell string) string {
		v, _ := f.GetCellValue(metaSheet, cell)
		return v
	}
	if v := get(metaFormatCell); v != metaFormat {
		im.problem(metaSheet, 0, "", "layout version %q is not supported (expected %s); export a new workbook", v, metaFormat)
		return
	}
	if id := get(metaExportIDCell); id != im.expect.ExportID {
		im.problem(metaSheet, 0, "", "the workbook belongs to export %q, not to export %s; import the workbook of that export, or export again", id, im.expect.ExportID)
		return
	}
	if get(metaStartCell) != im.expect.Period.Start.Format(dateLayout) || get(metaEndCell) != im.expect.Period.LastDay().Format(dateLayout) {
		im.problem(metaSheet, 0, "", "the period %s to %s differs from the export's period %s; the hidden sheet was changed, export again", get(metaStartCell), get(metaEndCell), im.expect.Period)
		return
	}
	rows, err := f.GetRows(metaSheet)
	if err != nil {
		im.problem(metaSheet, 0, "", "cannot read the row hashes: %v", err)
		return
	}
	im.hashes = map[string]string{}
	for i := metaFirstHashRow - 1; i < len(rows); i++ {
		r := rows[i]
		if len(r) < 4 {
			continue
		}
		n, err := strconv.Atoi(r[1])
		if err != nil {
			continue
		}
		im.hashes[hashKey(r[0], n)] = r[3]
	}
}

// readSheet validates one sheet's rows and returns their decisions.
func (im *importer) readSheet(s Sheet) []Decision {
	f := im.f
	if idx, _ := f.GetSheetIndex(s.Name); idx < 0 {
		im.problem(s.Name, 0, "", "the sheet is missing; the export has %d accounts on it, restore it from the exported workbook", len(s.Rows))
		return nil
	}
	for i, h := range append(append([]string(nil), s.Columns...), decisionHeaders...) {
		if v, _ := f.GetCellValue(s.Name, cellName(i+1, 2)); v != h {
			im.problem(s.Name, 2, "", "column %s is %q, expected %q; columns were moved or renamed, restore them from the exported workbook", columnName(i+1), v, h)
			return nil
		}
	}
	var out []Decision
	for _, row := range s.Rows {
		if d, ok := im.readRow(s, row); ok {
			out = append(out, d)
		}
	}
	im.checkExtraRows(s)
	return out
}

func (im *importer) readRow(s Sheet, row Row) (Decision, bool) {
	f := im.f
	before := len(im.problems)
	cells := make([]string, len(s.Columns))
	for i := range s.Columns {
		cells[i], _ = f.GetCellValue(s.Name, cellName(i+1, row.Row), excelize.Options{RawCellValue: true})
	}
	if im.hashes[hashKey(s.Name, row.Row)] != row.SHA256 {
		im.problem(s.Name, row.Row, row.Name, "the row hash in the %s sheet differs from the export record; the hidden sheet was changed, export again", metaSheet)
	}
	if RowHash(s.Name, cells) != row.SHA256 {
		im.problem(s.Name, row.Row, row.Name, "the data cells differ from the export (%s); only the Decision, Reviewer, Date and Comment columns may change, so restore the row from the exported workbook", changedColumns(s, row, cells))
	}

	value := func(header string) (string, bool) {
		cell := cellName(decisionColumn(s, header), row.Row)
		if formula, _ := f.GetCellFormula(s.Name, cell); formula != "" {
			im.problem(s.Name, row.Row, row.Name, "%s (cell %s) holds a formula; type the value instead", header, cell)
			return "", false
		}
		v, _ := f.GetCellValue(s.Name, cell, excelize.Options{RawCellValue: true})
		return strings.TrimSpace(v), true
	}

	d := Decision{Sheet: s.Name, Row: row.Row, System: s.System, Type: row.Type, Account: row.Account, Name: row.Name, Email: row.Email}
	if im.undecided(s, row) {
		im.problem(s.Name, row.Row, row.Name, "not reviewed: enter a Decision (Keep, Revoke or Modify), the Reviewer and the Date (YYYY-MM-DD)")
		return d, false
	}
	if v, ok := value("Decision"); ok {
		switch canonical := canonicalDecision(v); {
		case v == "":
			im.problem(s.Name, row.Row, row.Name, "Decision is empty; choose Keep, Revoke or Modify")
		case canonical == "":
			im.problem(s.Name, row.Row, row.Name, "Decision %q is not one of Keep, Revoke or Modify", v)
		default:
			d.Decision = canonical
		}
	}
	if v, ok := value("Reviewer"); ok {
		if v == "" {
			im.problem(s.Name, row.Row, row.Name, "Reviewer is empty; enter the name or e-mail address of the person who decided")
		}
		d.Reviewer = v
	}
	if v, ok := value("Date"); ok {
		if date, msg := im.parseDate(s, row, v); msg != "" {
			im.problem(s.Name, row.Row, row.Name, "%s", msg)
		} else {
			d.Date = date.Format(dateLayout)
		}
	}
	if v, ok := value("Comment"); ok {
		d.Comment = v
	}
	return d, len(im.problems) == before
}

// undecided reports whether the Decision, Reviewer and Date cells of a row
// are all empty, which is one problem rather than three.
func (im *importer) undecided(s Sheet, row Row) bool {
	for _, header := range []string{"Decision", "Reviewer", "Date"} {
		cell := cellName(decisionColumn(s, header), row.Row)
		v, _ := im.f.GetCellValue(s.Name, cell, excelize.Options{RawCellValue: true})
		formula, _ := im.f.GetCellFormula(s.Name, cell)
		if strings.TrimSpace(v) != "" || formula != "" {
			return false
		}
	}
	return true
}

// parseDate reads the Date cell: a date serial number, as Excel stores a
// typed date, or text as YYYY-MM-DD. It returns a message when the date is
// missing, malformed or outside the period, before the export or after now.
func (im *importer) parseDate(s Sheet, row Row, raw string) (time.Time, string) {
	if raw == "" {
		return time.Time{}, "Date is empty; enter the date of the decision as YYYY-MM-DD"
	}
	var date time.Time
	cell := cellName(decisionColumn(s, "Date"), row.Row)
	typ, _ := im.f.GetCellType(s.Name, cell)
	if serial, err := strconv.ParseFloat(raw, 64); err == nil && typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
		t, err := excelize.ExcelDateToTime(serial, false)
		if err != nil {
			return time.Time{}, fmt.Sprintf("Date %q is not a date; enter it as YYYY-MM-DD", raw)
		}
		date = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	} else {
		t, err := time.Parse(dateLayout, raw)
		if err != nil {
			return time.Time{}, fmt.Sprintf("Date %q is not a date; enter it as YYYY-MM-DD", raw)
		}
		date = t
	}
	p := im.expect.Period
	today := time.Date(im.now.Year(), im.now.Month(), im.now.Day(), 0, 0, 0, 0, time.UTC)
	exported := im.expect.Created.UTC()
	exportDay := time.Date(exported.Year(), exported.Month(), exported.Day(), 0, 0, 0, 0, time.UTC)
	switch {
	case date.After(today):
		return time.Time{}, fmt.Sprintf("Date %s is in the future (today is %s)", date.Format(dateLayout), today.Format(dateLayout))
	case date.Before(p.Start) || !date.Before(p.End):
		return time.Time{}, fmt.Sprintf("Date %s is outside the review period %s", date.Format(dateLayout), p)
	case date.Before(exportDay):
		return time.Time{}, fmt.Sprintf("Date %s is before the export on %s, so the account cannot have been reviewed then", date.Format(dateLayout), exportDay.Format(dateLayout))
	}
	return date, ""
}

// checkExtraRows reports rows below the exported ones that hold any value:
// accounts added by hand are outside the evidence.
func (im *importer) checkExtraRows(s Sheet) {
	rows, err := im.f.GetRows(s.Name, excelize.Options{RawCellValue: true})
	if err != nil {
		im.problem(s.Name, 0, "", "cannot read the sheet: %v", err)
		return
	}
	for i := firstDataRow - 1 + len(s.Rows); i < len(rows); i++ {
		for _, v := range rows[i] {
			if strings.TrimSpace(v) != "" {
				im.problem(s.Name, i+1, "", "the row was added after the export; the review covers only exported accounts, so clear it (a new account appears in the next export)")
				break
			}
		}
	}
}

func changedColumns(s Sheet, row Row, cells []string) string {
	var changed []string
	for i, c := range cells {
		if i < len(row.Cells) && c != row.Cells[i] {
			changed = append(changed, s.Columns[i])
		}
	}
	if len(changed) == 0 {
		return "hash mismatch"
	}
	return "changed: " + strings.Join(changed, ", ")
}

func canonicalDecision(v string) string {
	for _, d := range DecisionValues {
		if strings.EqualFold(strings.TrimSpace(v), d) {
			return d
		}
	}
	return ""
}
