package xlsx

import (
	"fmt"
	"sort"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/reports/internal/view"
	"github.com/auditpack/auditpack/templates"
)

// summarySheet fills the first sheet: the run, the counts by status with a
// native column chart, the status meanings and the collection notes.
func (b *book) summarySheet() error {
	f := b.f
	sheet := b.names.name("Summary")
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	run := b.in.Results.Run
	set := func(ref, value string, style int) error {
		if err := f.SetCellStr(sheet, ref, b.att.fit(value, "summary", ref, "value")); err != nil {
			return err
		}
		return f.SetCellStyle(sheet, ref, ref, style)
	}
	if err := set("A1", "SOC 2 evidence workbook", b.styles.title); err != nil {
		return err
	}
	rows := [][2]string{
		{"Organisation", run.Organization},
		{"Audit period", run.Period.String()},
		{"Run id", run.ID},
		{"Evaluation time (UTC)", view.FormatTime(run.EvaluationTime)},
		{"Run started (UTC)", view.FormatTime(run.Started)},
		{"Run finished (UTC)", view.FormatTime(run.Finished)},
		{"Operator", run.Operator},
		{"Tool version", run.ToolVersion},
		{"Scope", strings.Join(run.Scope, "\n")},
		{"results.json SHA-256", b.in.ResultsSHA256},
	}
	r := 3
	for _, kv := range rows {
		if err := set(fmt.Sprintf("A%d", r), kv[0], b.styles.label); err != nil {
			return err
		}
		if err := set(fmt.Sprintf("B%d", r), kv[1], b.styles.text); err != nil {
			return err
		}
		if lines := strings.Count(kv[1], "\n") + 1; lines > 1 {
			if err := f.SetRowHeight(sheet, r, 14*float64(lines)); err != nil {
				return err
			}
		}
		r++
	}

	// The chart sits to the right of the run details; the tables start
	// below it.
	r = max(r, summaryChartRows+3) + 1
	findingDefs, err := templates.Definitions("report/finding-statuses")
	if err != nil {
		return err
	}
	counts := b.in.Results.Counts()
	if err := b.summaryHeader(sheet, r, "Finding status", "Findings", "Meaning"); err != nil {
		return err
	}
	firstCount := r + 1
	for _, d := range findingDefs {
		r++
		if err := b.summaryRow(sheet, r, d, counts[controls.Status(d.Term)]); err != nil {
			return err
		}
	}
	lastCount := r

	r += 2
	critDefs, err := templates.Definitions("report/criterion-statuses")
	if err != nil {
		return err
	}
	crit := b.in.Results.CriterionCounts()
	if err := b.summaryHeader(sheet, r, "Criterion status", "Criteria", "Meaning"); err != nil {
		return err
	}
	for _, d := range critDefs {
		r++
		if err := b.summaryRow(sheet, r, d, crit[controls.CriterionStatus(d.Term)]); err != nil {
			return err
		}
	}

	if notes := b.in.Results.Notes; len(notes) > 0 {
		r += 2
		if err := b.summaryHeader(sheet, r, "Collection note", "Scope", "Message"); err != nil {
			return err
		}
		for _, n := range notes {
			r++
			for col, v := range []string{n.Collector, n.Scope, n.Message} {
				ref, _ := excelize.CoordinatesToCellName(col+1, r)
				if err := set(ref, v, b.styles.text); err != nil {
					return err
				}
			}
		}
	}
	for _, id := range b.model.CheckIDs {
		cc := b.model.Checks[id]
		if cc.Note == "" || len(cc.Findings) == 0 {
			continue
		}
		r += 2
		if err := set(fmt.Sprintf("A%d", r), "Note on "+id, b.styles.label); err != nil {
			return err
		}
		if err := f.MergeCell(sheet, fmt.Sprintf("B%d", r), fmt.Sprintf("C%d", r)); err != nil {
			return err
		}
		if err := set(fmt.Sprintf("B%d", r), cc.Note, b.styles.note); err != nil {
			return err
		}
		if err := f.SetRowHeight(sheet, r, 14*float64(len(cc.Note)/110+2)); err != nil {
			return err
		}
	}

	for col, w := range map[string]float64{"A": 30, "B": 68, "C": 80} {
		if err := f.SetColWidth(sheet, col, col, w); err != nil {
			return err
		}
	}
	// Printed, the summary fits one page wide in landscape.
	landscape, one, any := "landscape", 1, 0
	fit := true
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Orientation: &landscape, FitToWidth: &one, FitToHeight: &any}); err != nil {
		return err
	}
	return b.summaryChart(sheet, firstCount, lastCount)
}

func (b *book) summaryHeader(sheet string, r int, labels ...string) error {
	for i, l := range labels {
		ref, _ := excelize.CoordinatesToCellName(i+1, r)
		if err := b.f.SetCellStr(sheet, ref, l); err != nil {
			return err
		}
	}
	last, _ := excelize.CoordinatesToCellName(len(labels), r)
	return b.f.SetCellStyle(sheet, fmt.Sprintf("A%d", r), last, b.styles.header)
}

func (b *book) summaryRow(sheet string, r int, d templates.Definition, n int) error {
	f := b.f
	if err := f.SetCellStr(sheet, fmt.Sprintf("A%d", r), d.Term); err != nil {
		return err
	}
	style, ok := b.styles.status[d.Term]
	if !ok {
		style = b.styles.text
	}
	if err := f.SetCellStyle(sheet, fmt.Sprintf("A%d", r), fmt.Sprintf("A%d", r), style); err != nil {
		return err
	}
	if err := f.SetCellInt(sheet, fmt.Sprintf("B%d", r), int64(n)); err != nil {
		return err
	}
	if err := f.SetCellStr(sheet, fmt.Sprintf("C%d", r), d.Meaning); err != nil {
		return err
	}
	return f.SetCellStyle(sheet, fmt.Sprintf("B%d", r), fmt.Sprintf("C%d", r), b.styles.text)
}

// summaryChartRows is the height of the summary chart in rows of 20 pixels.
const summaryChartRows = 15

// summaryChart adds a column chart of the findings by status, one coloured
// series per status, beside the run details.
func (b *book) summaryChart(sheet string, first, last int) error {
	quoted := "'" + strings.ReplaceAll(sheet, "'", "''") + "'"
	var series []excelize.ChartSeries
	for r := first; r <= last; r++ {
		status, err := b.f.GetCellValue(sheet, fmt.Sprintf("A%d", r))
		if err != nil {
			return err
		}
		_, _, color := view.StatusColors(status)
		series = append(series, excelize.ChartSeries{
			Name:   fmt.Sprintf("%s!$A$%d", quoted, r),
			Values: fmt.Sprintf("%s!$B$%d", quoted, r),
			Fill:   excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{color.Hex()}},
		})
	}
	gap := uint(40)
	return b.f.AddChart(sheet, "C3", &excelize.Chart{
		Type:      excelize.Col,
		Series:    series,
		Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "Findings by status"}}},
		Legend:    excelize.ChartLegend{Position: "bottom"},
		Dimension: excelize.ChartDimension{Width: 520, Height: summaryChartRows * 20},
		XAxis:     excelize.ChartAxis{None: true},
		YAxis:     excelize.ChartAxis{MajorGridLines: true},
		PlotArea:  excelize.ChartPlotArea{ShowVal: true},
		GapWidth:  &gap,
	})
}

func statusCounts(counts map[controls.Status]int) []cell {
	out := make([]cell, 0, len(controls.FindingStatuses))
	for _, st := range controls.FindingStatuses {
		out = append(out, number(float64(counts[st])))
	}
	return out
}

func statusHeaders() []string {
	var out []string
	for _, st := range controls.FindingStatuses {
		out = append(out, strings.ToUpper(string(st[:1]))+strings.ReplaceAll(string(st[1:]), "_", " "))
	}
	return out
}

func (b *book) criteriaSheet() error {
	crit := b.in.Results.Criteria
	missing := templates.MustRender("report/manual-missing", nil)
	headers := append([]string{"Criterion", "Category", "Description", "Status", "Checks"}, statusHeaders()...)
	headers = append(headers, "Manual evidence")
	return b.writeTable(table{
		Sheet: b.names.name("Criteria"), Headers: headers, Rows: len(crit), Folder: "criteria",
		Widths: map[int]float64{2: 50, 4: 34},
		Row: func(i int) []cell {
			c := crit[i]
			cat := c.Category
			if b.in.Catalog != nil {
				cat = c.Category + " " + b.in.Catalog.CategoryName(c.Category)
			}
			row := []cell{text(c.ID), text(cat), text(c.Description), b.statusCell(string(c.Status)), text(strings.Join(c.CheckIDs, "\n"))}
			row = append(row, statusCounts(c.Counts)...)
			var manual []string
			for _, m := range c.ManualEvidence {
				manual = append(manual, manualLine(m))
			}
			if len(manual) == 0 && c.Status == controls.CriterionManual {
				manual = append(manual, missing)
			}
			return append(row, text(strings.Join(manual, "\n")))
		},
	})
}

func manualLine(m controls.ManualRef) string {
	s := m.Path
	if m.Description != "" {
		s += " — " + m.Description
	}
	if m.Missing {
		return "MISSING: " + s
	}
	if m.SHA256 != "" {
		s += " (sha256 " + m.SHA256 + ")"
	}
	return s
}

func (b *book) checksSheet() error {
	ids := b.model.CheckIDs
	headers := []string{"Check", "Title", "Severity", "Criteria", "Selected", "Coverage", "Resources", "Assessed"}
	headers = append(headers, statusHeaders()...)
	headers = append(headers, "Parameters", "Note")
	return b.writeTable(table{
		Sheet: b.names.name("Checks"), Headers: headers, Rows: len(ids), Folder: "checks",
		Widths: map[int]float64{1: 44},
		Row: func(i int) []cell {
			cc := b.model.Checks[ids[i]]
			selected := "no"
			if cc.Check.Selected || len(cc.Findings) > 0 {
				selected = "yes"
			}
			row := []cell{
				text(cc.Check.ID), text(cc.Check.Title), text(string(cc.Check.Severity)),
				text(strings.Join(cc.Check.Criteria, ", ")), text(selected), text(cc.AssessedText()),
				number(float64(cc.Resources)), number(float64(cc.Assessed)),
			}
			row = append(row, statusCounts(cc.Counts)...)
			return append(row, text(strings.Join(view.Details(cc.Check.Params), "\n")), styled(cc.Note, b.styles.note))
		},
	})
}

func (b *book) findingsSheet() error {
	fs := b.in.Results.Findings
	headers := []string{"Check", "Severity", "Criteria", "Resource", "Status", "Message", "Details", "Evidence files", "Waiver", "Note"}
	return b.writeTable(table{
		Sheet: b.names.name("Findings"), Headers: headers, Rows: len(fs), Folder: "findings", KeyColumn: 3,
		Widths: map[int]float64{3: 50, 9: 50},
		Row: func(i int) []cell {
			f := fs[i]
			note := ""
			if cc := b.model.Checks[f.CheckID]; cc != nil {
				note = cc.Note
			}
			return []cell{
				text(f.CheckID), text(string(f.Severity)), text(strings.Join(f.Criteria, ", ")),
				text(view.Resource(f.Resource)), b.statusCell(string(f.Status)), text(f.Message),
				text(strings.Join(view.Details(f.Details), "\n")), text(strings.Join(f.Evidence, "\n")),
				text(view.Waiver(f.Waiver)), styled(note, b.styles.note),
			}
		},
	})
}

// exceptionsSheet lists what could not be assessed: every error finding with
// its message, then the collection failures behind them.
func (b *book) exceptionsSheet() error {
	ex := b.model.Exceptions
	var failures []evidence.Failure
	if b.in.Evidence != nil {
		failures = b.in.Evidence.Failures
	}
	headers := []string{"Check", "Severity", "Resource", "Status", "Operation and error", "Criteria", "Evidence files"}
	rows := len(ex) + len(failures)
	none := rows == 0
	if none {
		rows = 1
	}
	return b.writeTable(table{
		Sheet: b.names.name("Exceptions"), Headers: headers, Rows: rows, Folder: "exceptions", KeyColumn: 2,
		Row: func(i int) []cell {
			if none {
				return []cell{{}, {}, {}, {}, styled(templates.MustRender("report/exceptions-none", nil), b.styles.note)}
			}
			if i < len(ex) {
				f := ex[i]
				return []cell{
					text(f.CheckID), text(string(f.Severity)), text(view.Resource(f.Resource)), b.statusCell(string(f.Status)),
					text(f.Message), text(strings.Join(f.Criteria, ", ")), text(strings.Join(f.Evidence, "\n")),
				}
			}
			fl := failures[i-len(ex)]
			checks := strings.Join(fl.Checks, ", ")
			if checks == "" {
				checks = "checks reading " + strings.Join(fl.Kinds, ", ")
			}
			return []cell{
				text(checks), {}, text(fl.Scope), b.statusCell(string(controls.StatusError)),
				text("collector " + fl.Collector + ": " + fl.Error.String()), {}, text(evidence.FailurePath(fl)),
			}
		},
	})
}

// provenanceSheet lists every call and query behind the evidence, one row
// each, in evidence order.
func (b *book) provenanceSheet() error {
	type ref struct{ item, prov int }
	var refs []ref
	if b.in.Evidence != nil {
		for i, it := range b.in.Evidence.Items {
			for j := range it.Provenance {
				refs = append(refs, ref{i, j})
			}
		}
	}
	headers := []string{"Kind", "Resource", "Collector", "Operation", "SQL", "Parameters", "Endpoint", "Region", "Account", "Identity", "Attempts", "Time (UTC)"}
	return b.writeTable(table{
		Sheet: b.names.name("Provenance"), Headers: headers, Rows: len(refs), Folder: "provenance", KeyColumn: 1,
		Widths: map[int]float64{1: 50, 4: 50, 9: 50},
		Row: func(i int) []cell {
			it := b.in.Evidence.Items[refs[i].item]
			p := it.Provenance[refs[i].prov]
			params := ""
			if len(p.Parameters) > 0 {
				params = view.Value(p.Parameters)
			}
			attempts := cell{}
			if p.Attempts > 0 {
				attempts = number(float64(p.Attempts))
			}
			return []cell{
				text(it.Kind), text(view.Resource(it.Resource)), text(it.Collector), text(p.Operation), text(p.SQL),
				text(params), text(p.Endpoint), text(p.Region), text(p.Account), text(p.Identity),
				attempts, text(view.FormatTime(p.Time)),
			}
		},
	})
}

// kindsOf lists the evidence kinds of the set, sorted.
func kindsOf(set *evidence.Set) []string {
	if set == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, it := range set.Items {
		if !seen[it.Kind] {
			seen[it.Kind] = true
			out = append(out, it.Kind)
		}
	}
	sort.Strings(out)
	return out
}
