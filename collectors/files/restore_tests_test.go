package files_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditpack/auditpack/collectors"
	"github.com/auditpack/auditpack/collectors/files"
	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/internal/config"
	"github.com/auditpack/auditpack/internal/period"
	"github.com/auditpack/auditpack/internal/testenv"
)

var restoreNow = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

// evaluateRestoreLog writes content to a file named name, collects it and
// evaluates backup.restore_tests.
func evaluateRestoreLog(t *testing.T, name, content string, systems []string, params controls.Params) ([]controls.Finding, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return evaluateRestorePath(t, path, systems, params), path
}

func evaluateRestorePath(t *testing.T, path string, systems []string, params controls.Params) []controls.Finding {
	t.Helper()
	cfg := config.Defaults()
	cfg.RestoreTests = &config.RestoreTests{Path: path, Systems: systems}
	list, err := files.RestoreTestsFactory.Build(collectors.NewEnv(cfg, nil))
	if err != nil || len(list) != 1 {
		t.Fatalf("build: %d collectors, %v", len(list), err)
	}
	per, _ := period.Parse("2026-Q4", restoreNow)
	mem := &evidence.Memory{}
	req := collectors.Request{Now: restoreNow, Period: per, Checks: map[string]bool{files.CheckRestoreTests: true}}
	if err := (&collectors.Runner{}).Run(context.Background(), list, req, mem); err != nil {
		t.Fatal(err)
	}
	cat := controls.MustCatalog()
	reg, err := controls.DefaultRegistry(cat)
	if err != nil {
		t.Fatal(err)
	}
	check, _ := reg.Lookup(files.CheckRestoreTests)
	var p map[string]controls.Params
	if params != nil {
		p = map[string]controls.Params{files.CheckRestoreTests: params}
	}
	findings, _ := controls.Evaluate(cat, reg, []*controls.Check{check}, mem.Set(), controls.EvalOptions{Now: restoreNow, Period: per, Params: p})
	return findings
}

func findingOn(t *testing.T, findings []controls.Finding, resource string) controls.Finding {
	t.Helper()
	for _, f := range findings {
		if f.Resource == resource {
			return f
		}
	}
	var all []string
	for _, f := range findings {
		all = append(all, f.Resource+" "+string(f.Status)+": "+f.Message)
	}
	t.Fatalf("no finding on %s; findings:\n%s", resource, strings.Join(all, "\n"))
	return controls.Finding{}
}

const restoreCSV = `date,system,backup used,result,time to restore
2026-10-12,orders-db,rds:orders-db-2026-10-12-03-40,success,1h20m
2026-03-02,orders-db,rds:orders-db-2026-03-02,success,45m
2026-11-20,billing-db,awsbackup:job-7f3a,success,5:10
2026-09-01,media-bucket,s3 copy 2026-09-01,failed,
2026-13-01,orders-db,rds:bad,success,30m
2026-11-01,search,snapshot-42,passed,90
2025-06-01,ledger,awsbackup:job-0001,success,2h
`

func TestRestoreTestsJudgesEachSystem(t *testing.T) {
	findings, path := evaluateRestoreLog(t, "restore-tests.csv", restoreCSV, nil, nil)
	res := func(system string) string { return "file:" + path + "#" + system }

	orders := findingOn(t, findings, res("orders-db"))
	if orders.Status != controls.StatusPass || !strings.Contains(orders.Message, "2026-10-12") || !strings.Contains(orders.Message, "1 h 20 min") {
		t.Errorf("orders-db = %s %q, want pass naming the 2026-10-12 drill and its time", orders.Status, orders.Message)
	}
	billing := findingOn(t, findings, res("billing-db"))
	if billing.Status != controls.StatusFail || !strings.Contains(billing.Message, "over the 4 h RTO") {
		t.Errorf("billing-db = %s %q, want fail over the RTO", billing.Status, billing.Message)
	}
	media := findingOn(t, findings, res("media-bucket"))
	if media.Status != controls.StatusFail || !strings.Contains(media.Message, "failed") {
		t.Errorf("media-bucket = %s %q, want fail naming the failed drill", media.Status, media.Message)
	}
	ledger := findingOn(t, findings, res("ledger"))
	if ledger.Status != controls.StatusFail || !strings.Contains(ledger.Message, "older than 365 days") {
		t.Errorf("ledger = %s %q, want fail for a drill older than 365 days", ledger.Status, ledger.Message)
	}

	// Line 6 has an invalid date and line 7 a time without a unit. Both are
	// errors naming the file and line, and the other lines are still judged.
	bad := findingOn(t, findings, "file:"+path+"#L6")
	if bad.Status != controls.StatusError || !strings.Contains(bad.Message, path+" line 6") || !strings.Contains(bad.Message, "2026-13-01") {
		t.Errorf("line 6 = %s %q, want error naming the file, line and value", bad.Status, bad.Message)
	}
	noUnit := findingOn(t, findings, "file:"+path+"#L7")
	if noUnit.Status != controls.StatusError || !strings.Contains(noUnit.Message, "no unit") {
		t.Errorf("line 7 = %s %q, want error for the missing unit", noUnit.Status, noUnit.Message)
	}
	if len(findings) != 6 {
		t.Errorf("got %d findings, want 4 systems and 2 malformed lines", len(findings))
	}
}

func TestRestoreTestsConfiguredSystems(t *testing.T) {
	findings, path := evaluateRestoreLog(t, "restore-tests.csv", restoreCSV, []string{"orders-db", "payments-db"}, nil)
	if f := findingOn(t, findings, "file:"+path+"#orders-db"); f.Status != controls.StatusPass {
		t.Errorf("orders-db = %s, want pass", f.Status)
	}
	missing := findingOn(t, findings, "file:"+path+"#payments-db")
	if missing.Status != controls.StatusFail || !strings.Contains(missing.Message, "no restore drill of payments-db") {
		t.Errorf("payments-db = %s %q, want fail with no drill recorded", missing.Status, missing.Message)
	}
	for _, f := range findings {
		if strings.HasSuffix(f.Resource, "#billing-db") {
			t.Errorf("billing-db judged although restore_tests.systems does not list it")
		}
	}
}

func TestRestoreTestsParams(t *testing.T) {
	findings, path := evaluateRestoreLog(t, "restore-tests.csv", restoreCSV, []string{"billing-db", "orders-db"},
		controls.Params{"max_rto_hours": 6, "max_age_days": 30})
	if f := findingOn(t, findings, "file:"+path+"#billing-db"); f.Status != controls.StatusPass {
		t.Errorf("billing-db with a 6 h RTO = %s %q, want pass", f.Status, f.Message)
	}
	if f := findingOn(t, findings, "file:"+path+"#orders-db"); f.Status != controls.StatusFail {
		t.Errorf("orders-db with max_age_days 30 = %s %q, want fail", f.Status, f.Message)
	}
}

func TestRestoreTestsFutureDrillDoesNotCount(t *testing.T) {
	content := "date,system,backup,result,time_to_restore\n2027-01-15,orders-db,rds:x,success,1h\n"
	findings, path := evaluateRestoreLog(t, "restore-tests.csv", content, nil, nil)
	f := findingOn(t, findings, "file:"+path+"#orders-db")
	if f.Status != controls.StatusFail || !strings.Contains(f.Message, "dated after the evaluation time") {
		t.Errorf("orders-db = %s %q, want fail for a drill dated after evaluation", f.Status, f.Message)
	}
}

func TestRestoreTestsYAML(t *testing.T) {
	content := `drills:
  - date: 2026-11-02
    system: orders-db
    backup: rds:orders-db-2026-11-02
    result: success
    time_to_restore: 2.5 h
  - date: 2026-11-03
    system: billing-db
    result: success
  - date: 2026-11-04
    system: search
    backup: snapshot-42
    result: failed
    time_to_restore: 1:10
`
	findings, path := evaluateRestoreLog(t, "drills.yaml", content, nil, nil)
	if f := findingOn(t, findings, "file:"+path+"#orders-db"); f.Status != controls.StatusPass {
		t.Errorf("orders-db = %s %q, want pass", f.Status, f.Message)
	}
	if f := findingOn(t, findings, "file:"+path+"#search"); f.Status != controls.StatusFail {
		t.Errorf("search = %s %q, want fail", f.Status, f.Message)
	}
	bad := findingOn(t, findings, "file:"+path+"#L7")
	if bad.Status != controls.StatusError || !strings.Contains(bad.Message, "missing time_to_restore") {
		t.Errorf("line 7 = %s %q, want error for the missing field", bad.Status, bad.Message)
	}
}

func TestRestoreTestsMissingFileIsError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.csv")
	findings := evaluateRestorePath(t, path, nil, nil)
	if len(findings) != 1 || findings[0].Status != controls.StatusError || findings[0].Resource != "file:"+path {
		t.Fatalf("findings = %+v, want one error on the file", findings)
	}
}

func TestRestoreTestsMissingColumnIsError(t *testing.T) {
	findings, path := evaluateRestoreLog(t, "restore-tests.csv", "date,system,result\n2026-11-01,orders-db,success\n", nil, nil)
	if len(findings) != 1 || findings[0].Status != controls.StatusError {
		t.Fatalf("findings = %+v, want one error", findings)
	}
	if !strings.Contains(findings[0].Message, "backup, time_to_restore") || findings[0].Resource != "file:"+path {
		t.Errorf("message = %q on %s, want the missing columns named on the file", findings[0].Message, findings[0].Resource)
	}
}

func TestParseRestoreDuration(t *testing.T) {
	cases := []struct {
		in, column string
		want       time.Duration
	}{
		{"1h20m", "time_to_restore", 80 * time.Minute},
		{"90 min", "time_to_restore", 90 * time.Minute},
		{"2.5 h", "time_to_restore", 150 * time.Minute},
		{"1:30", "time_to_restore", 90 * time.Minute},
		{"01:30:30", "time_to_restore", 90*time.Minute + 30*time.Second},
		{"45", "time_to_restore_minutes", 45 * time.Minute},
		{"3", "time_to_restore_hours", 3 * time.Hour},
	}
	for _, c := range cases {
		log, err := files.ParseRestoreTests("x.csv", []byte("date,system,backup,result,"+c.column+"\n2026-11-01,db,b,success,"+c.in+"\n"))
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		if len(log.Drills) != 1 {
			t.Errorf("%q: %d drills, errors %v", c.in, len(log.Drills), log.LineErrors)
			continue
		}
		if got := log.Drills[0].Duration(); got != c.want {
			t.Errorf("%q in %s = %v, want %v", c.in, c.column, got, c.want)
		}
	}
}

func TestRestoreTestsDemoLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "restore-tests.csv")
	if err := testenv.WriteDemoRestoreTests(path, restoreNow); err != nil {
		t.Fatal(err)
	}
	findings := evaluateRestorePath(t, path, nil, nil)
	want := map[string]controls.Status{
		"orders-db":  controls.StatusPass,
		"billing-db": controls.StatusFail,
		"search":     controls.StatusFail,
		"analytics":  controls.StatusFail,
	}
	for system, status := range want {
		if f := findingOn(t, findings, "file:"+path+"#"+system); f.Status != status {
			t.Errorf("%s = %s %q, want %s", system, f.Status, f.Message, status)
		}
	}
	if len(findings) != len(want) {
		t.Errorf("got %d findings, want %d", len(findings), len(want))
	}
}
