package templates

import (
	"io/fs"
	"strings"
	"testing"
)

func TestRenderEveryReportTemplate(t *testing.T) {
	data := map[string]any{
		"Organization": "Example Inc.", "Period": "2026-10-01 to 2026-12-31",
		"Findings": 3, "Checks": 2, "Resources": 2, "EvaluationTime": "2026-12-04T12:00:00Z",
		"Criteria": 61, "Automated": 20, "Manual": 41,
	}
	names, err := fs.Glob(FS(), "report/*.tmpl")
	if err != nil || len(names) == 0 {
		t.Fatalf("no report templates: %v", err)
	}
	for _, name := range names {
		name = strings.TrimSuffix(name, ".tmpl")
		got, err := Render(name, data)
		if err != nil {
			t.Errorf("render %s: %v", name, err)
			continue
		}
		if got == "" {
			t.Errorf("render %s: empty text", name)
		}
	}
}

func TestRenderJoinsWrappedLines(t *testing.T) {
	got := MustRender("report/exceptions-none", nil)
	if strings.Contains(got, "\n") {
		t.Errorf("paragraph kept its source line breaks: %q", got)
	}
}

func TestDefinitionsCoverEveryStatus(t *testing.T) {
	for name, want := range map[string][]string{
		"report/finding-statuses":   {"fail", "error", "review", "waived", "pass", "not_applicable"},
		"report/criterion-statuses": {"fail", "error", "review", "pass", "not_tested", "manual"},
	} {
		defs, err := Definitions(name)
		if err != nil {
			t.Fatal(err)
		}
		var terms []string
		for _, d := range defs {
			terms = append(terms, d.Term)
			if d.Meaning == "" {
				t.Errorf("%s: %s has no meaning", name, d.Term)
			}
		}
		if strings.Join(terms, ",") != strings.Join(want, ",") {
			t.Errorf("%s terms = %v, want %v", name, terms, want)
		}
	}
}

func TestCheckNoteBackupWindow(t *testing.T) {
	note, ok, err := CheckNote("aws.backup.job_results", CheckNoteData{Period: "2026-10-01 to 2026-12-31"})
	if err != nil || !ok {
		t.Fatalf("CheckNote = %v, %v", ok, err)
	}
	for _, want := range []string{"30 days", "2026-10-01 to 2026-12-31", "Backup Audit Manager", "CloudTrail"} {
		if !strings.Contains(note, want) {
			t.Errorf("note lacks %q: %s", want, note)
		}
	}
	if _, ok, _ := CheckNote("aws.s3.versioning", CheckNoteData{}); ok {
		t.Error("a check without a note file returned one")
	}
}
