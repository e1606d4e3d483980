package cmd

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/internal/testenv"
)

// newAccessReviewE2E writes a configuration that collects the seeded
// database's roles and users and moto's (empty) IAM, for the
// access-review commands.
func newAccessReviewE2E(t *testing.T) *e2eEnv {
	t.Helper()
	moto := testenv.RequireMoto(t)
	pg := requireDemoDatabase(t)
	dir := t.TempDir()
	cfg := fmt.Sprintf(`organization: E2E Corp
period: last-30d
output_dir: out
formats: [pdf, xlsx]
fail_on: none
aws:
  endpoint: %s
  regions: [us-east-1]
  max_attempts: 2
  max_backoff: 5ms
postgres:
  - name: app
    dsn_env: APP_DSN
    statement_timeout: 20s
    users:
      table: public."Users"
      columns: {id: id, email: email, role: role, status: status, last_login: lastLoginAt, mfa: mfaEnabled}
      active_statuses: [active]
checks:
  select: ["accessreview.*", aws.iam.console_mfa, postgres.users.terminated_active]
`, moto.Endpoint)
	path := filepath.Join(dir, "auditpack.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "out"), 0o755); err != nil {
		t.Fatal(err)
	}
	dsn := strings.Replace(pg.DSN("app"), "postgres@", "postgres:"+dsnPassword+"@", 1)
	return &e2eEnv{dir: dir, config: path, out: filepath.Join(dir, "out"), env: []string{
		"APP_DSN=" + dsn, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_EC2_METADATA_DISABLED=true",
	}}
}

// fillWorkbook sets Decision, Reviewer and Date on every data row of every
// visible sheet, found through the header row, and saves the copy as out.
func fillWorkbook(t *testing.T, in, out, reviewer, date string) int {
	t.Helper()
	f, err := excelize.OpenFile(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	filled := 0
	for _, sheet := range f.GetSheetList() {
		if visible, _ := f.GetSheetVisible(sheet); !visible {
			continue
		}
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) < 2 {
			t.Fatalf("sheet %q has no header row", sheet)
		}
		decisionCol := -1
		for i, h := range rows[1] {
			if h == "Decision" {
				decisionCol = i + 1
			}
		}
		if decisionCol < 0 {
			t.Fatalf("sheet %q has no Decision column: %q", sheet, rows[1])
		}
		for r := 3; r <= len(rows); r++ {
			for offset, v := range []string{"Keep", reviewer, date} {
				cell, _ := excelize.CoordinatesToCellName(decisionCol+offset, r)
				if err := f.SetCellStr(sheet, cell, v); err != nil {
					t.Fatal(err)
				}
			}
			filled++
		}
	}
	if err := f.SaveAs(out); err != nil {
		t.Fatal(err)
	}
	return filled
}

func TestAccessReviewCommandExitCodes(t *testing.T) {
	e := newAccessReviewE2E(t)
	workbook := filepath.Join(e.dir, "review.xlsx")
	reviews := filepath.Join(e.out, "access-reviews")

	code, stdout, stderr := e.auditpack(t, "access-review", "export", "--config", e.config, "--out", workbook)
	if code != ExitOK {
		t.Fatalf("export exit code = %d, want 0; stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, workbook) {
		t.Errorf("export stdout %q does not name the workbook", stdout)
	}
	if strings.Contains(stdout+stderr, dsnPassword) {
		t.Error("the DSN password appears in the export's output")
	}
	exports, _ := filepath.Glob(filepath.Join(reviews, "export-*.json"))
	if len(exports) != 1 {
		t.Fatalf("export records = %v, want one", exports)
	}

	// The unfilled workbook is rejected with every row listed, and nothing
	// is stored.
	code, _, stderr = e.auditpack(t, "access-review", "import", "--config", e.config, workbook)
	if code != ExitUsage {
		t.Fatalf("import of the unfilled workbook: exit code = %d, want 3; stderr:\n%s", code, stderr)
	}
	for _, want := range []string{`sheet "App users app" row 3`, "not reviewed: enter a Decision"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("import stderr lacks %q:\n%s", want, stderr)
		}
	}
	if matches, _ := filepath.Glob(filepath.Join(reviews, "decisions-*.json")); len(matches) != 0 {
		t.Errorf("a rejected import stored %v", matches)
	}

	code, _, stderr = e.auditpack(t, "access-review", "import", "--config", e.config, filepath.Join(e.dir, "missing.xlsx"))
	if code != ExitUsage {
		t.Errorf("import of a missing file: exit code = %d, want 3; stderr:\n%s", code, stderr)
	}
	code, _, stderr = e.auditpack(t, "access-review", "import", "--config", e.config)
	if code != ExitUsage {
		t.Errorf("import without a workbook: exit code = %d, want 3; stderr:\n%s", code, stderr)
	}
	code, _, stderr = e.auditpack(t, "access-review", "export", "--config", filepath.Join(e.dir, "nope.yaml"))
	if code != ExitUsage {
		t.Errorf("export with a missing configuration: exit code = %d, want 3; stderr:\n%s", code, stderr)
	}
	empty := filepath.Join(e.dir, "empty.yaml")
	if err := os.WriteFile(empty, []byte("output_dir: out\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = e.auditpack(t, "access-review", "export", "--config", empty, "--out", filepath.Join(e.dir, "empty.xlsx"))
	if code != ExitUsage || !strings.Contains(stderr, "no system to review") {
		t.Errorf("export without systems: exit code = %d, want 3 naming the cause; stderr:\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "empty.xlsx")); err == nil {
		t.Error("export without systems wrote a workbook")
	}

	filledPath := filepath.Join(e.dir, "filled.xlsx")
	rows := fillWorkbook(t, workbook, filledPath, "carol@example.com", time.Now().UTC().Format("2006-01-02"))
	if rows == 0 {
		t.Fatal("the exported workbook has no account rows")
	}
	code, stdout, stderr = e.auditpack(t, "access-review", "import", "--config", e.config, filledPath)
	if code != ExitOK {
		t.Fatalf("import of the filled workbook: exit code = %d, want 0; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stdout, fmt.Sprintf("Imported %d decisions", rows)) {
		t.Errorf("import stdout = %q, want %d decisions", stdout, rows)
	}

	code, _, stderr = e.auditpack(t, "run", "--config", e.config)
	if code != ExitOK {
		t.Fatalf("run exit code = %d, want 0 (fail_on none); stderr:\n%s", code, stderr)
	}
	data, err := os.ReadFile(filepath.Join(e.out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res controls.Results
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatal(err)
	}
	// The reports render the review's findings and evidence.
	report, err := excelize.OpenFile(filepath.Join(e.out, "report.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer report.Close()
	sheets := strings.Join(report.GetSheetList(), "|")
	if !strings.Contains(sheets, "accessreview") {
		t.Errorf("report.xlsx has no sheet for the access-review evidence: %s", sheets)
	}
	if _, err := os.Stat(filepath.Join(e.out, "report.pdf")); err != nil {
		t.Errorf("report.pdf: %v", err)
	}

	completed := 0
	for _, f := range res.Findings {
		if f.CheckID != "accessreview.completed" {
			continue
		}
		completed++
		if f.Status != controls.StatusPass {
			t.Errorf("accessreview.completed on %s = %s: %s", f.Resource, f.Status, f.Message)
		}
	}
	if completed == 0 {
		t.Error("the run has no accessreview.completed finding")
	}
}
