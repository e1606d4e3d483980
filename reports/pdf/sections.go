package pdf

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/reports/internal/view"
	"github.com/auditpack/auditpack/templates"
)

// statusCell is a status drawn in its colours.
func statusCell(status string) tcell {
	fill, fg, _ := view.StatusColors(status)
	return tcell{paras: []para{{text: strings.ReplaceAll(status, "_", " "), style: styleBold, color: &fg}}, fill: &fill}
}

func (d *doc) cover() {
	run := d.in.Results.Run
	d.section = "Cover"
	d.newPage()
	d.record = "cover"
	d.pdf.SetFont("go", "B", 10)
	d.pdf.Bookmark("Cover", 0, d.y)

	d.setFill(accent)
	d.pdf.Rect(0, 0, pageW, 8, "F")
	d.y = 40
	d.text([]para{{text: "SOC 2 EVIDENCE WORKPAPER", style: styleBold, color: &muted}}, 11)
	d.y += 2
	d.text([]para{{text: orDash(run.Organization), style: styleBold, color: &accent}}, 26)
	d.y += 1
	d.text([]para{{text: "Automated evidence and control testing against the AICPA Trust Services Criteria", color: &muted}}, 12)
	d.y += 3
	d.text([]para{{text: "Audit period " + run.Period.String(), style: styleBold}}, 14)
	d.y += 8

	rows := [][2]string{
		{"Organisation", orDash(run.Organization)},
		{"Audit period", periodText(d)},
		{"Run id", run.ID},
		{"Evaluation time (UTC)", view.FormatTime(run.EvaluationTime)},
		{"Results generated (UTC)", view.FormatTime(generated(d))},
		{"Collection started (UTC)", orDash(view.FormatTime(run.Started))},
		{"Collection finished (UTC)", orDash(view.FormatTime(run.Finished))},
		{"Operator", orDash(run.Operator)},
		{"Scope", orDash(strings.Join(run.Scope, "\n"))},
		{"Tool version", "auditpack " + orDash(run.ToolVersion)},
		{"SHA-256 of results.json", orDash(d.in.ResultsSHA256)},
		{"Manifest signed by", signerText(d.in.KeyFingerprint)},
	}
	t := d.newTable(9, column{width: 52}, column{width: d.contentW - 52})
	t.zebra = false
	for _, kv := range rows {
		value := para{text: kv[1]}
		if kv[0] == "SHA-256 of results.json" || kv[0] == "Run id" || kv[0] == "Manifest signed by" {
			value.style = styleMono
		}
		t.add(trow{record: "cover " + kv[0], cells: []tcell{{paras: []para{{text: kv[0], style: styleBold, color: &muted}}}, {paras: []para{value}}}})
	}
	d.y += 8
	d.record = "cover"
	d.subheading("About this workpaper", 1, 11, 20)
	d.paragraphs(templates.MustRender("report/about", map[string]any{
		"Organization": orDash(run.Organization), "Period": run.Period.String(),
	}), 9)
}

// generated is the time shown as the report's generation time: the end of
// the run, so that rendering the same results again gives the same bytes.
func generated(d *doc) time.Time {
	run := d.in.Results.Run
	if !run.Finished.IsZero() {
		return run.Finished
	}
	return run.EvaluationTime
}

func periodText(d *doc) string {
	p := d.in.Results.Run.Period
	s := p.String() + " (whole UTC days)"
	if p.Spec != "" && !strings.Contains(p.Spec, "..") {
		s = p.Spec + ": " + s
	}
	return s
}

func (d *doc) summary() {
	res := d.in.Results
	m := d.model
	d.heading("Executive summary", "Executive summary")
	d.record = "summary"
	d.paragraphs(templates.MustRender("report/summary-intro", map[string]any{
		"Findings": len(res.Findings), "Checks": len(m.CheckIDs), "Resources": m.Resources,
		"EvaluationTime": view.FormatTime(res.Run.EvaluationTime),
		"Criteria":       len(res.Criteria), "Automated": m.Automated(), "Manual": len(res.Criteria) - m.Automated(),
	}), 9.5)

	counts := res.Counts()
	var findingBars []bar
	for _, st := range controls.FindingStatuses {
		findingBars = append(findingBars, bar{label: string(st), value: counts[st]})
	}
	crit := res.CriterionCounts()
	var critBars []bar
	for _, st := range controls.CriterionStatuses {
		critBars = append(critBars, bar{label: string(st), value: crit[st]})
	}
	d.y += 2
	d.ensure(62)
	top := d.y
	half := (d.contentW - 8) / 2
	d.barChart("Findings by status", findingBars, d.left, top, half)
	end := d.y
	d.y = top
	d.barChart("Criteria by status", critBars, d.left+half+8, top, half)
	d.y = max(d.y, end) + 4

	d.subheading("Failing checks that matter most", 1, 11, 20)
	top10 := m.TopFailing(10)
	if len(top10) == 0 {
		d.text([]para{{text: "No check failed in this run.", style: styleItalic}}, 9)
	} else {
		t := d.newTable(8, column{title: "Check", width: 62}, column{title: "Severity", width: 18},
			column{title: "Failed", width: 14, align: "R"}, column{title: "Coverage", width: 40}, column{title: "Criteria", width: d.contentW - 134})
		t.start()
		for _, cc := range top10 {
			t.add(trow{record: "check " + cc.Check.ID, cells: []tcell{
				{paras: []para{{text: cc.Check.ID, style: styleBold}, {text: cc.Check.Title, color: &muted}}},
				cellText(string(cc.Check.Severity)),
				cellText(fmt.Sprint(cc.Counts[controls.StatusFail])),
				cellText(cc.AssessedText()),
				cellText(strings.Join(cc.Check.Criteria, ", ")),
			}})
		}
		t.end()
	}

	d.subheading("What the statuses mean", 1, 11, 30)
	d.definitions("report/finding-statuses", "Finding status")
	d.definitions("report/criterion-statuses", "Criterion status")

	if len(res.Notes) > 0 {
		d.subheading("Collection notes", 1, 11, 20)
		t := d.newTable(8, column{title: "Scope", width: 60}, column{title: "Collector", width: 30}, column{title: "Note", width: d.contentW - 90})
		t.start()
		for _, n := range res.Notes {
			t.add(trow{record: "note " + n.Scope, cells: []tcell{cellText(n.Scope), cellText(n.Collector), cellText(n.Message)}})
		}
		t.end()
	}
}

func (d *doc) definitions(name, title string) {
	defs, err := templates.Definitions(name)
	if err != nil {
		d.pdf.SetError(err)
		return
	}
	t := d.newTable(8, column{title: title, width: 30}, column{title: "Meaning", width: d.contentW - 30})
	t.zebra = false
	t.start()
	for _, def := range defs {
		t.add(trow{record: title, cells: []tcell{statusCell(def.Term), cellText(def.Meaning)}})
	}
	t.end()
}

func (d *doc) matrix() {
	res := d.in.Results
	d.heading("Control matrix", "Control matrix")
	d.record = "control matrix"
	d.paragraphs(templates.MustRender("report/matrix-intro", nil), 9)
	missing := templates.MustRender("report/manual-missing", nil)

	t := d.newTable(7.5,
		column{title: "Criterion", width: 17},
		column{title: "Description", width: 62},
		column{title: "Status", width: 21, align: "C"},
		column{title: "Checks or manual evidence", width: 52},
		column{title: "Findings", width: d.contentW - 152},
	)
	t.start()
	category := ""
	for _, c := range res.Criteria {
		if c.Category != category {
			category = c.Category
			name := c.Category
			if d.in.Catalog != nil {
				name = c.Category + " " + d.in.Catalog.CategoryName(c.Category)
			}
			t.add(trow{span: name, record: "criterion category " + c.Category})
		}
		var evidence []para
		for _, id := range c.CheckIDs {
			evidence = append(evidence, para{text: id})
		}
		if c.Status == controls.CriterionManual || len(c.ManualEvidence) > 0 {
			for _, m := range c.ManualEvidence {
				line := "Manual: " + m.Path
				if m.Description != "" {
					line += " (" + m.Description + ")"
				}
				p := para{text: line, style: styleItalic}
				if m.Missing {
					p.text = "MISSING manual evidence: " + m.Path
					p.style, p.color = styleBold, &placeholderColor
				}
				evidence = append(evidence, p)
			}
			if len(c.ManualEvidence) == 0 {
				evidence = append(evidence, para{text: missing, style: styleItalic, color: &muted})
			}
		}
		t.add(trow{record: "criterion " + c.ID, cells: []tcell{
			{paras: []para{{text: c.ID, style: styleBold}}},
			cellText(c.Description),
			statusCell(string(c.Status)),
			{paras: evidence},
			cellText(countsText(c.Counts)),
		}})
	}
	t.end()
}

// countsText lists the non-zero counts by status, or a dash.
func countsText(counts map[controls.Status]int) string {
	var parts []string
	for _, st := range controls.FindingStatuses {
		if n := counts[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, strings.ReplaceAll(string(st), "_", " ")))
		}
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, "\n")
}

func (d *doc) findings() {
	m := d.model
	d.heading("Findings by criterion and check", "Findings")
	d.record = "findings"
	d.paragraphs(templates.MustRender("report/findings-intro", nil), 9)

	byPrimary := map[string][]*view.CheckCoverage{}
	for _, id := range m.CheckIDs {
		cc := m.Checks[id]
		if len(cc.Findings) == 0 {
			continue
		}
		byPrimary[m.PrimaryCriterion(cc)] = append(byPrimary[m.PrimaryCriterion(cc)], cc)
	}
	for _, cr := range d.in.Results.Criteria {
		own := byPrimary[cr.ID]
		var elsewhere []string
		for _, id := range cr.CheckIDs {
			cc := m.Checks[id]
			if cc != nil && len(cc.Findings) > 0 && m.PrimaryCriterion(cc) != cr.ID {
				elsewhere = append(elsewhere, fmt.Sprintf("%s (listed under %s)", id, m.PrimaryCriterion(cc)))
			}
		}
		if len(own) == 0 && len(elsewhere) == 0 {
			continue
		}
		d.record = "criterion " + cr.ID
		d.y += 3
		d.subheading(cr.ID+" — "+cr.Description, 1, 11, 30)
		d.text([]para{{text: "Criterion status: " + strings.ReplaceAll(string(cr.Status), "_", " ") + " · " + strings.ReplaceAll(countsText(cr.Counts), "\n", ", "), color: &muted}}, 8.5)
		if len(elsewhere) > 0 {
			d.text([]para{{text: "Also supported by " + strings.Join(elsewhere, "; ") + ".", style: styleItalic, color: &muted}}, 8.5)
		}
		d.y += 1
		for _, cc := range own {
			d.checkFindings(cc)
		}
	}
}

func (d *doc) checkFindings(cc *view.CheckCoverage) {
	d.record = "check " + cc.Check.ID
	d.ensure(40)
	d.y += 2
	d.text([]para{{text: cc.Check.ID + " — " + cc.Check.Title, style: styleBold}}, 9.5)
	meta := fmt.Sprintf("Severity %s · supports %s · %s · %s", cc.Check.Severity, strings.Join(cc.Check.Criteria, ", "),
		cc.AssessedText(), strings.ReplaceAll(countsText(cc.Counts), "\n", ", "))
	d.text([]para{{text: meta, color: &muted}}, 8)
	if cc.Note != "" {
		d.note(cc.Note)
	}
	// Long facts every finding of the check repeats (such as the backup
	// window) are shown once above the table instead of in every row.
	common := sharedDetails(cc.Findings)
	if len(common) > 0 {
		keys := make([]string, 0, len(common))
		for k := range common {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var lines []para
		for _, k := range keys {
			lines = append(lines, para{text: k + ": " + common[k], style: styleMono, color: &muted})
		}
		d.text(append([]para{{text: "Common to every finding of this check:", color: &muted}}, lines...), 8)
	}
	d.y += 1

	t := d.newTable(7.5,
		column{title: "Resource", width: 46},
		column{title: "Status", width: 21, align: "C"},
		column{title: "Message", width: 64},
		column{title: "Evidence file", width: d.contentW - 131},
	)
	t.caption = cc.Check.ID + " — " + cc.Check.Title
	t.start()
	for _, f := range cc.Findings {
		msg := []para{{text: f.Message}}
		for _, l := range view.Details(withoutKeys(f.Details, common)) {
			msg = append(msg, para{text: l, style: styleMono, color: &muted})
		}
		if f.Waiver != nil {
			msg = append(msg, para{text: view.Waiver(f.Waiver), style: styleItalic, color: &accent})
		}
		ev := strings.Join(f.Evidence, "\n")
		if ev == "" {
			ev = "—"
		}
		t.add(trow{record: f.CheckID + " " + f.Resource, cells: []tcell{
			cellText(view.Resource(f.Resource)),
			statusCell(string(f.Status)),
			{paras: msg},
			{paras: []para{{text: ev, color: &muted}}},
		}})
	}
	t.end()
}

// note draws a shaded box of italic text, such as a check's caveat.
func (d *doc) note(text string) {
	const size, pad = 8.0, 2.0
	lh := size * ptToMM * 1.45
	b := d.layout([]para{{text: text, style: styleItalic}}, size, d.contentW-2*pad-2)
	h := float64(len(b.lines))*lh + 2*pad
	d.ensure(h + 2)
	d.y += 1
	d.setFill(noteFill)
	d.pdf.Rect(d.left, d.y, d.contentW, h, "F")
	d.setFill(view.RGB{R: 0xD4, G: 0xA0, B: 0x17})
	d.pdf.Rect(d.left, d.y, 1, h, "F")
	for i, l := range b.lines {
		d.drawLine(l, d.left+pad+2, d.y+pad+float64(i)*lh, size, lh, nil, "L", d.contentW-2*pad-2)
	}
	d.y += h + 1
}

func (d *doc) exceptions() {
	m := d.model
	d.heading("Exceptions: findings that could not be assessed", "Exceptions")
	d.record = "exceptions"
	if len(m.Exceptions) == 0 {
		d.paragraphs(templates.MustRender("report/exceptions-none", nil), 9)
	} else {
		d.paragraphs(templates.MustRender("report/exceptions-intro", nil), 9)
		t := d.newTable(7.5,
			column{title: "Check", width: 47},
			column{title: "Resource", width: 44},
			column{title: "Operation and error", width: 70},
			column{title: "Severity", width: d.contentW - 161},
		)
		t.start()
		for _, f := range m.Exceptions {
			t.add(trow{record: f.CheckID + " " + f.Resource, cells: []tcell{
				cellText(f.CheckID), cellText(view.Resource(f.Resource)), cellText(f.Message), cellText(string(f.Severity)),
			}})
		}
		t.end()
	}
	if d.in.Evidence == nil || len(d.in.Evidence.Failures) == 0 {
		return
	}
	d.subheading("Collection failures", 1, 11, 30)
	t := d.newTable(7.5,
		column{title: "Scope", width: 46},
		column{title: "Collector", width: 26},
		column{title: "Evidence kinds", width: 40},
		column{title: "Error", width: d.contentW - 112},
	)
	t.start()
	for _, f := range d.in.Evidence.Failures {
		t.add(trow{record: "failure " + f.Scope, cells: []tcell{
			cellText(f.Scope), cellText(f.Collector), cellText(strings.Join(f.Kinds, "\n")), cellText(f.Error.String()),
		}})
	}
	t.end()
}

func (d *doc) appendix() {
	d.heading("Evidence appendix", "Evidence appendix")
	d.record = "evidence appendix"
	d.paragraphs(templates.MustRender("report/appendix-intro", nil), 9)
	groups := view.Provenance(d.in.Evidence)
	if len(groups) == 0 {
		d.text([]para{{text: "No evidence items were collected in this run.", style: styleItalic}}, 9)
		return
	}
	items := map[string]map[string]int{}
	if d.in.Evidence != nil {
		for _, it := range d.in.Evidence.Items {
			if items[it.Collector] == nil {
				items[it.Collector] = map[string]int{}
			}
			items[it.Collector][it.Kind]++
		}
	}
	var t *table
	collector := ""
	for _, g := range groups {
		if g.Collector != collector {
			if t != nil {
				t.end()
			}
			collector = g.Collector
			d.record = "collector " + collector
			d.subheading("Collector "+collector, 1, 11, 30)
			var kinds []string
			for k, n := range items[collector] {
				kinds = append(kinds, fmt.Sprintf("%s (%d)", k, n))
			}
			sort.Strings(kinds)
			d.text([]para{{text: "Evidence items: " + strings.Join(kinds, ", "), color: &muted}}, 8)
			d.y += 1
			t = d.newTable(7,
				column{title: "Operation or SQL", width: 50},
				column{title: "Identity", width: 34},
				column{title: "Target", width: 22},
				column{title: "Calls", width: 10, align: "R"},
				column{title: "Retried calls", width: 13, align: "R"},
				column{title: "Max attempts", width: 16, align: "R"},
				column{title: "First / last call (UTC)", width: d.contentW - 145},
			)
			t.start()
		}
		op := []para{{text: g.Operation, style: styleBold}}
		if g.SQL != "" {
			op = append(op, para{text: g.SQL, style: styleMono})
		}
		times := view.FormatTime(g.First)
		if !g.Last.Equal(g.First) {
			times += "\n" + view.FormatTime(g.Last)
		}
		attempts := "—"
		if g.MaxAttempts > 0 {
			attempts = fmt.Sprint(g.MaxAttempts)
		}
		t.add(trow{record: "provenance " + g.Collector + " " + g.Operation, cells: []tcell{
			{paras: op}, cellText(orDash(g.Identity)), cellText(orDash(g.Target)),
			cellText(fmt.Sprint(g.Calls)), cellText(fmt.Sprint(g.Retried)), cellText(attempts), cellText(times),
		}})
	}
	if t != nil {
		t.end()
	}
}

// minSharedDetail is the length from which a detail repeated in every
// finding is hoisted. Short values shared by chance (a date, a flag) stay
// with their resource, where they belong.
const minSharedDetail = 60

// sharedDetails returns the long details every finding has with the same
// value, such as a note on the evidence window, when there is more than one
// finding.
func sharedDetails(findings []controls.Finding) map[string]string {
	if len(findings) < 2 {
		return nil
	}
	common := map[string]string{}
	for k, v := range findings[0].Details {
		if text := view.Value(v); len(text) >= minSharedDetail {
			common[k] = text
		}
	}
	for _, f := range findings[1:] {
		for k, v := range common {
			other, ok := f.Details[k]
			if !ok || view.Value(other) != v {
				delete(common, k)
			}
		}
	}
	return common
}

// withoutKeys returns the details without the keys of skip.
func withoutKeys(details map[string]any, skip map[string]string) map[string]any {
	if len(skip) == 0 {
		return details
	}
	out := make(map[string]any, len(details))
	for k, v := range details {
		if _, ok := skip[k]; !ok {
			out[k] = v
		}
	}
	return out
}

// signerText describes the manifest's signature for the cover.
func signerText(fingerprint string) string {
	if fingerprint == "" {
		return "not signed"
	}
	return "Ed25519 key " + fingerprint + " (public key in signing/public_key.pem)"
}
