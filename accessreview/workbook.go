package accessreview

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/auditpack/auditpack/evidence"
)

// metaSheet is the very hidden sheet that carries the export id, the period
// and the row hashes.
const metaSheet = "_auditpack"

// metaFormat is the layout version of the hidden sheet.
const metaFormat = "1"

// Cells of the hidden sheet's header block and the first row of its row
// table.
const (
	metaFormatCell   = "B2"
	metaExportIDCell = "B3"
	metaOrgCell      = "B4"
	metaStartCell    = "B5"
	metaEndCell      = "B6"
	metaCreatedCell  = "B7"
	metaFirstHashRow = 10
)

const dateLayout = "2006-01-02"

// Export builds the review from the evidence and writes the workbook to w.
// It returns Build's error when the evidence is incomplete.
func Export(set *evidence.Set, meta Meta, w io.Writer) error {
	r, err := Build(set, meta)
	if err != nil {
		return err
	}
	return r.Write(w)
}

// Write writes the review as an .xlsx workbook: one protected sheet per
// system whose decision cells alone are unlocked, with a drop-down on the
// Decision column, and the very hidden sheet of row hashes. Every value is
// written as a string cell, so text from another system is never a formula.
func (r *Review) Write(w io.Writer) error {
	if len(r.Sheets) == 0 {
		return errors.New("the evidence contains no system to review: configure aws or postgres and export again")
	}
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	for i, s := range r.Sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", s.Name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(s.Name); err != nil {
			return fmt.Errorf("add sheet %q: %w", s.Name, err)
		}
		if err := r.writeSheet(f, st, s); err != nil {
			return fmt.Errorf("write sheet %q: %w", s.Name, err)
		}
	}
	if err := r.writeMeta(f); err != nil {
		return fmt.Errorf("write sheet %s: %w", metaSheet, err)
	}
	f.SetActiveSheet(0)
	created := r.Created.UTC().Format(time.RFC3339)
	if err := f.SetDocProps(&excelize.DocProperties{
		Title:    "Access review " + r.Period.String(),
		Subject:  "Access review, export " + r.ExportID,
		Creator:  "auditpack",
		Created:  created,
		Modified: created,
	}); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

type styles struct {
	title, header, data, decision, date int
}

func newStyles(f *excelize.File) (styles, error) {
	var st styles
	var err error
	if st.title, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 13}}); err != nil {
		return st, err
	}
	if st.header, err = f.NewStyle(&excelize.Style{
		Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
	}); err != nil {
		return st, err
	}
	if st.data, err = f.NewStyle(&excelize.Style{
		Alignment:  &excelize.Alignment{Vertical: "top", WrapText: true},
		Protection: &excelize.Protection{Locked: true},
	}); err != nil {
		return st, err
	}
	unlocked := &excelize.Protection{Locked: false}
	fill := excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFF2CC"}}
	if st.decision, err = f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}, Fill: fill, Protection: unlocked}); err != nil {
		return st, err
	}
	dateFormat := "yyyy-mm-dd"
	if st.date, err = f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top"}, Fill: fill, Protection: unlocked, CustomNumFmt: &dateFormat}); err != nil {
		return st, err
	}
	return st, nil
}

// decisionColumn returns the 1-based column number of a decision header
// ("Decision", "Reviewer", "Date", "Comment") on a sheet.
func decisionColumn(s Sheet, header string) int {
	for i, h := range decisionHeaders {
		if h == header {
			return len(s.Columns) + i + 1
		}
	}
	panic("unknown decision header " + header)
}

func cellName(col, row int) string {
	name, err := excelize.CoordinatesToCellName(col, row)
	if err != nil {
		panic(err)
	}
	return name
}

func columnName(col int) string {
	name, err := excelize.ColumnNumberToName(col)
	if err != nil {
		panic(err)
	}
	return name
}

func (r *Review) writeSheet(f *excelize.File, st styles, s Sheet) error {
	title := fmt.Sprintf("%s. Period %s, export %s.", s.Title, r.Period, r.ExportID)
	if err := f.SetCellStr(s.Name, "A1", title); err != nil {
		return err
	}
	if err := f.SetCellStyle(s.Name, "A1", "A1", st.title); err != nil {
		return err
	}

	headers := append(append([]string(nil), s.Columns...), decisionHeaders...)
	for i, h := range headers {
		if err := f.SetCellStr(s.Name, cellName(i+1, 2), h); err != nil {
			return err
		}
	}
	last := len(headers)
	if err := f.SetCellStyle(s.Name, "A2", cellName(last, 2), st.header); err != nil {
		return err
	}

	for _, row := range s.Rows {
		for i, v := range row.Cells {
			if err := f.SetCellStr(s.Name, cellName(i+1, row.Row), v); err != nil {
				return err
			}
		}
	}

	for i := range s.Columns {
		width := 18.0
		if s.Columns[i] == "ARN" || s.Columns[i] == "Account" || s.Columns[i] == "Effective table privileges" || s.Columns[i] == "Attached policies" {
			width = 40
		}
		col := columnName(i + 1)
		if err := f.SetColWidth(s.Name, col, col, width); err != nil {
			return err
		}
	}
	decisionCol := columnName(decisionColumn(s, "Decision"))
	commentCol := columnName(decisionColumn(s, "Comment"))
	if err := f.SetColWidth(s.Name, decisionCol, decisionCol, 12); err != nil {
		return err
	}
	if err := f.SetColWidth(s.Name, commentCol, commentCol, 40); err != nil {
		return err
	}

	if err := f.SetPanes(s.Name, &excelize.Panes{Freeze: true, YSplit: 2, TopLeftCell: "A3", ActivePane: "bottomLeft"}); err != nil {
		return err
	}

	if len(s.Rows) > 0 {
		first, lastRow := firstDataRow, firstDataRow+len(s.Rows)-1
		if err := f.SetCellStyle(s.Name, cellName(1, first), cellName(len(s.Columns), lastRow), st.data); err != nil {
			return err
		}
		if err := f.SetCellStyle(s.Name, cellName(decisionColumn(s, "Decision"), first), cellName(decisionColumn(s, "Reviewer"), lastRow), st.decision); err != nil {
			return err
		}
		dateCol := decisionColumn(s, "Date")
		if err := f.SetCellStyle(s.Name, cellName(dateCol, first), cellName(dateCol, lastRow), st.date); err != nil {
			return err
		}
		if err := f.SetCellStyle(s.Name, cellName(dateCol+1, first), cellName(dateCol+1, lastRow), st.decision); err != nil {
			return err
		}
		if err := addValidations(f, s, r, first, lastRow); err != nil {
			return err
		}
		if err := f.AutoFilter(s.Name, "A2:"+cellName(last, lastRow), nil); err != nil {
			return err
		}
	}

	return f.ProtectSheet(s.Name, &excelize.SheetProtectionOptions{
		SelectLockedCells:   true,
		SelectUnlockedCells: true,
		FormatColumns:       true,
		FormatRows:          true,
		AutoFilter:          true,
	})
}

// addValidations adds the Decision drop-down and input prompts on the
// Reviewer and Date columns.
func addValidations(f *excelize.File, s Sheet, r *Review, first, last int) error {
	ref := func(header string) string {
		col := decisionColumn(s, header)
		return cellName(col, first) + ":" + cellName(col, last)
	}
	decision := excelize.NewDataValidation(false)
	decision.Sqref = ref("Decision")
	if err := decision.SetDropList(DecisionValues); err != nil {
		return err
	}
	decision.SetError(excelize.DataValidationErrorStyleStop, "Decision", "Choose Keep, Revoke or Modify from the list.")
	decision.SetInput("Decision", "Keep, Revoke or Modify")
	if err := f.AddDataValidation(s.Name, decision); err != nil {
		return err
	}
	reviewer := excelize.NewDataValidation(true)
	reviewer.Sqref = ref("Reviewer")
	reviewer.SetInput("Reviewer", "Your name or work e-mail address")
	if err := f.AddDataValidation(s.Name, reviewer); err != nil {
		return err
	}
	date := excelize.NewDataValidation(true)
	date.Sqref = ref("Date")
	date.SetInput("Date", fmt.Sprintf("Date of the decision, YYYY-MM-DD, from %s to %s", r.Created.UTC().Format(dateLayout), r.Period.LastDay().Format(dateLayout)))
	return f.AddDataValidation(s.Name, date)
}

func (r *Review) writeMeta(f *excelize.File) error {
	if _, err := f.NewSheet(metaSheet); err != nil {
		return err
	}
	cells := [][2]string{
		{"A1", "auditpack access review: export id, period and row hashes. Do not edit."},
		{"A2", "format"}, {metaFormatCell, metaFormat},
		{"A3", "export_id"}, {metaExportIDCell, r.ExportID},
		{"A4", "organization"}, {metaOrgCell, r.Organization},
		{"A5", "period_start"}, {metaStartCell, r.Period.Start.Format(dateLayout)},
		{"A6", "period_end"}, {metaEndCell, r.Period.LastDay().Format(dateLayout)},
		{"A7", "created"}, {metaCreatedCell, r.Created.UTC().Format(time.RFC3339)},
		{"A9", "sheet"}, {"B9", "row"}, {"C9", "account"}, {"D9", "sha256"},
	}
	for _, c := range cells {
		if err := f.SetCellStr(metaSheet, c[0], c[1]); err != nil {
			return err
		}
	}
	row := metaFirstHashRow
	for _, s := range r.Sheets {
		for _, rw := range s.Rows {
			values := []string{s.Name, fmt.Sprint(rw.Row), rw.Account, rw.SHA256}
			for i, v := range values {
				if err := f.SetCellStr(metaSheet, cellName(i+1, row), v); err != nil {
					return err
				}
			}
			row++
		}
	}
	if err := f.ProtectSheet(metaSheet, &excelize.SheetProtectionOptions{}); err != nil {
		return err
	}
	return f.SetSheetVisible(metaSheet, false, true)
}

// escapeRe matches the _xHHHH_ escapes of OOXML strings, which excelize
// v2.11.1 decodes when it reads a cell, so "_x0041_" reads back as "A".
var escapeRe = regexp.MustCompile(`_x[0-9A-Fa-f]{4}_`)

// changedByWorkbook reports whether a value may read back differently from
// a workbook: it contains an _xHHHH_ escape or a character XML 1.0 does not
// allow, which excelize v2.11.1 replaces with U+FFFD.
func changedByWorkbook(v string) bool {
	if escapeRe.MatchString(v) {
		return true
	}
	return strings.ContainsFunc(v, func(r rune) bool {
		return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0xFFFE || r == 0xFFFF
	})
}

// showCellsAsRead replaces each data cell that a workbook would not keep
// as written by the value it reads back, and hashes the rows again. The
// export record then holds what reviewers see, and the import compares the
// cells it reads with it.
func (r *Review) showCellsAsRead() error {
	type ref struct{ sheet, row, cell int }
	var refs []ref
	for i, s := range r.Sheets {
		for j, row := range s.Rows {
			for k, c := range row.Cells {
				if changedByWorkbook(c) {
					refs = append(refs, ref{i, j, k})
				}
			}
		}
	}
	if len(refs) == 0 {
		return nil
	}

	f := excelize.NewFile()
	defer f.Close()
	for n, x := range refs {
		if err := f.SetCellStr("Sheet1", cellName(1, n+1), r.Sheets[x.sheet].Rows[x.row].Cells[x.cell]); err != nil {
			return err
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return err
	}
	back, err := excelize.OpenReader(buf)
	if err != nil {
		return err
	}
	defer back.Close()
	for n, x := range refs {
		v, err := back.GetCellValue("Sheet1", cellName(1, n+1), excelize.Options{RawCellValue: true})
		if err != nil {
			return err
		}
		r.Sheets[x.sheet].Rows[x.row].Cells[x.cell] = v
	}

	for i := range r.Sheets {
		s := &r.Sheets[i]
		for j := range s.Rows {
			s.Rows[j].SHA256 = RowHash(s.Name, s.Rows[j].Cells)
		}
	}
	return nil
}
