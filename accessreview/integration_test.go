package accessreview_test

import (
	"archive/zip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/xuri/excelize/v2"

	"github.com/auditpack/auditpack/accessreview"
	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/internal/config"
	"github.com/auditpack/auditpack/internal/pipeline"
	"github.com/auditpack/auditpack/internal/testenv"
)

const reviewer = "carol.reviewer@example.com"

// system is moto and a seeded PostgreSQL cluster with a configuration that
// collects both.
type system struct {
	// endpoint is where the configuration sends AWS calls: moto, or a
	// fault proxy in front of it.
	endpoint string
	iam      *iam.Client
	dir      string
	out      string
	getenv   func(string) string
	cfg      func() *config.Config
}

func newSystem(t *testing.T) *system {
	t.Helper()
	moto := testenv.RequireMoto(t)
	pg := testenv.StartPostgresT(t, testenv.PostgresOptions{})
	ctx := context.Background()
	if err := pg.CreateDatabase(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	if err := testenv.SeedDemoDatabase(ctx, pg.DSN("app"), time.Now()); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion("us-east-1"),
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")))
	if err != nil {
		t.Fatal(err)
	}
	client := iam.NewFromConfig(awsCfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(moto.Endpoint) })

	dir := t.TempDir()
	roster := filepath.Join(dir, "roster.csv")
	if err := testenv.WriteDemoRoster(roster); err != nil {
		t.Fatal(err)
	}
	dsn := pg.DSN("app")
	s := &system{endpoint: moto.Endpoint, iam: client, dir: dir, out: filepath.Join(dir, "out")}
	s.getenv = func(name string) string {
		if name == "APP_DSN" {
			return dsn
		}
		return ""
	}
	s.cfg = func() *config.Config {
		cfg := config.Defaults()
		cfg.Organization = "Review Corp"
		cfg.Operator = "auditor"
		cfg.Period = config.PeriodSpec{Name: "last-30d"}
		cfg.OutputDir = "out"
		cfg.Formats = nil
		cfg.AWS = &config.AWS{
			Endpoint: s.endpoint, Regions: []string{"us-east-1"}, MaxAttempts: 2,
			MaxBackoff: 5 * time.Millisecond, CredentialReportTimeout: 20 * time.Second,
		}
		cfg.Postgres = []config.Postgres{{
			Name: "app", DSNEnv: "APP_DSN", StatementTimeout: 20 * time.Second,
			Users: &config.Users{
				Table:          `public."Users"`,
				Columns:        map[string]string{"id": "id", "email": "email", "role": "role", "status": "status", "last_login": "lastLoginAt", "mfa": "mfaEnabled"},
				ActiveStatuses: []string{"active"},
				AdminRoles:     []string{"admin", "superadmin"},
			},
		}}
		cfg.HRRoster = &config.HRRoster{Path: roster, EmailColumn: "Work Email", StatusColumn: "Status", TerminatedValues: []string{"Terminated"}}
		return cfg
	}
	return s
}

// seedIAM creates a console user in an admin group, a user with an access
// key, a second console user and a role trusted by EC2.
func (s *system) seedIAM(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.iam.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("admins")}))
	for _, u := range []string{"ana.silva@example.com", "deploy-bot", "mallory", reviewer} {
		must(s.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(u)}))
	}
	for _, u := range []string{"ana.silva@example.com", "mallory", reviewer} {
		must(s.iam.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String(u), Password: aws.String("Correct-Horse-9")}))
	}
	must(s.iam.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("admins"), UserName: aws.String("ana.silva@example.com")}))
	policy, err := s.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{
		PolicyName:     aws.String("read-only"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	must(s.iam.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("mallory"), PolicyArn: policy.Policy.Arn}))
	must(s.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("deploy-bot")}))
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	must(s.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app-role"), AssumeRolePolicyDocument: aws.String(trust)}))
	must(s.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("app-role"), PolicyArn: policy.Policy.Arn}))
}

// collect prepares a plan with the export's checks and collects.
func (s *system) collect(t *testing.T, now time.Time) (*pipeline.Plan, *evidence.Set) {
	t.Helper()
	cfg := s.cfg()
	cfg.Checks.Select = append([]string(nil), accessreview.ExportChecks...)
	plan, err := pipeline.Prepare(cfg, pipeline.Options{Dir: s.dir, Now: now, Getenv: s.getenv})
	if err != nil {
		t.Fatal(err)
	}
	set, _, err := plan.Collect(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return plan, set
}

// export collects, builds the review and writes the record and workbook.
func (s *system) export(t *testing.T, now time.Time) (*accessreview.Review, string) {
	t.Helper()
	plan, set := s.collect(t, now)
	meta := accessreview.Meta{ExportID: accessreview.NewExportID(now), Organization: "Review Corp", Period: plan.Period, Created: now, Exporter: "auditor"}
	review, err := accessreview.Build(set, meta)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := accessreview.SaveExport(s.out, review); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(s.dir, meta.ExportID+".xlsx")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := review.Write(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return review, path
}

// fill writes a decision on every row of the workbook: decide returns the
// decision and reviewer for a row, and every row gets date.
func fill(t *testing.T, path string, review *accessreview.Review, date string, decide func(accessreview.Row) (string, string)) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, s := range review.Sheets {
		base := len(s.Columns)
		for _, row := range s.Rows {
			decision, who := decide(row)
			set := func(offset int, v string) {
				cell, _ := excelize.CoordinatesToCellName(base+offset, row.Row)
				if err := f.SetCellStr(s.Name, cell, v); err != nil {
					t.Fatal(err)
				}
			}
			set(1, decision)
			set(2, who)
			set(3, date)
			set(4, "checked against the team list")
		}
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
}

// edit applies change to a copy of the workbook and returns the copy.
func edit(t *testing.T, path, name string, change func(f *excelize.File)) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(filepath.Dir(path), name)
	if err := os.WriteFile(out, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	change(f)
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	return out
}

// rowOf finds the sheet and row of an account by name and type.
func rowOf(t *testing.T, review *accessreview.Review, typ, name string) (accessreview.Sheet, accessreview.Row) {
	t.Helper()
	for _, s := range review.Sheets {
		for _, r := range s.Rows {
			if r.Type == typ && r.Name == name {
				return s, r
			}
		}
	}
	t.Fatalf("no %s row named %s in the review", typ, name)
	return accessreview.Sheet{}, accessreview.Row{}
}

func decisionCell(s accessreview.Sheet, row accessreview.Row, offset int) string {
	cell, _ := excelize.CoordinatesToCellName(len(s.Columns)+offset, row.Row)
	return cell
}

func importProblems(t *testing.T, path string, review *accessreview.Review, now time.Time) []accessreview.Problem {
	t.Helper()
	d, err := accessreview.Import(path, review, now)
	var ie *accessreview.ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("Import(%s) = %v, %v; want an ImportError", filepath.Base(path), d, err)
	}
	if d != nil {
		t.Errorf("Import(%s) returned decisions together with an error", filepath.Base(path))
	}
	return ie.Problems
}

func hasProblem(problems []accessreview.Problem, sheet string, row int, text string) bool {
	for _, p := range problems {
		if p.Sheet == sheet && p.Row == row && strings.Contains(p.Message, text) {
			return true
		}
	}
	return false
}

func evaluate(t *testing.T, plan *pipeline.Plan, set *evidence.Set, now time.Time) map[string]controls.Finding {
	t.Helper()
	findings, _ := controls.Evaluate(plan.Catalog, plan.Registry, plan.Selected, set, controls.EvalOptions{Now: now, Period: plan.Period})
	out := map[string]controls.Finding{}
	for _, f := range findings {
		out[f.CheckID+" "+f.Resource] = f
	}
	return out
}

func TestAccessReviewAgainstMotoAndPostgres(t *testing.T) {
	sys := newSystem(t)
	sys.seedIAM(t)
	now := time.Now().UTC()
	today := now.Format("2006-01-02")

	// Before any import, the completed check fails and names the commands
	// to run.
	plan, set := sys.collect(t, now)
	before := evaluate(t, plan, set, now)
	var missing *controls.Finding
	for _, f := range before {
		if f.CheckID == "accessreview.completed" {
			f := f
			missing = &f
		}
	}
	if missing == nil || missing.Status != controls.StatusFail || !strings.Contains(missing.Message, "access-review export") || !strings.Contains(missing.Message, "access-review import") {
		t.Fatalf("accessreview.completed without an import = %+v, want one fail naming export and import", missing)
	}

	review, path := sys.export(t, now)

	t.Run("rows", func(t *testing.T) {
		s, ana := rowOf(t, review, accessreview.TypeIAMUser, "ana.silva@example.com")
		cells := strings.Join(ana.Cells, "|")
		for _, want := range []string{"admins", "yes", "employed (Active)"} {
			if !strings.Contains(cells, want) {
				t.Errorf("IAM row of ana.silva = %q, want it to contain %q", cells, want)
			}
		}
		if !strings.HasPrefix(s.System, "aws:") {
			t.Errorf("IAM sheet system = %q, want aws:ACCOUNT_ID", s.System)
		}
		_, mallory := rowOf(t, review, accessreview.TypeIAMUser, "mallory")
		if !strings.Contains(strings.Join(mallory.Cells, "|"), ":policy/read-only") {
			t.Errorf("mallory's row %q lacks the attached policy", mallory.Cells)
		}
		_, bot := rowOf(t, review, accessreview.TypeIAMUser, "deploy-bot")
		if !strings.Contains(strings.Join(bot.Cells, "|"), "key 1 active") {
			t.Errorf("deploy-bot's row %q lacks its active key", bot.Cells)
		}
		_, role := rowOf(t, review, accessreview.TypeIAMRole, "app-role")
		if !strings.Contains(strings.Join(role.Cells, "|"), "Service:ec2.amazonaws.com") {
			t.Errorf("app-role's row %q lacks the trusted principal", role.Cells)
		}
		_, editor := rowOf(t, review, accessreview.TypePostgresRole, testenv.DemoAuditEditor)
		if !strings.Contains(strings.Join(editor.Cells, "|"), "AuditLogs: ") {
			t.Errorf("audit_editor's row %q lacks its table privileges", editor.Cells)
		}
		_, mark := rowOf(t, review, accessreview.TypeAppUser, "mark.ellis@example.com")
		if !strings.Contains(strings.Join(mark.Cells, "|"), "terminated (Terminated)") {
			t.Errorf("mark.ellis's row %q lacks the roster's termination", mark.Cells)
		}
		if _, err := os.Stat(accessreview.ExportPath(sys.out, review.ExportID)); err != nil {
			t.Errorf("export record: %v", err)
		}
	})

	t.Run("workbook reopens with drop-down and protection", func(t *testing.T) {
		f, err := excelize.OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, s := range review.Sheets {
			if len(s.Rows) == 0 {
				continue
			}
			dvs, err := f.GetDataValidations(s.Name)
			if err != nil {
				t.Fatal(err)
			}
			dropDown := false
			for _, dv := range dvs {
				if dv.Type == "list" && strings.Contains(dv.Formula1, "Keep,Revoke,Modify") {
					dropDown = true
				}
			}
			if !dropDown {
				t.Errorf("sheet %q has no Keep/Revoke/Modify drop-down among %d validations", s.Name, len(dvs))
			}
			prot, err := f.GetSheetProtection(s.Name)
			if err != nil {
				t.Fatal(err)
			}
			if !prot.SelectUnlockedCells {
				t.Errorf("sheet %q is not protected: %+v", s.Name, prot)
			}
			decisionStyle, _ := f.GetCellStyle(s.Name, decisionCell(s, s.Rows[0], 1))
			dataStyle, _ := f.GetCellStyle(s.Name, "A"+strconv.Itoa(s.Rows[0].Row))
			if locked := styleLocked(t, f, decisionStyle); locked {
				t.Errorf("sheet %q: the Decision cell is locked", s.Name)
			}
			if locked := styleLocked(t, f, dataStyle); !locked {
				t.Errorf("sheet %q: the first data cell is unlocked", s.Name)
			}
		}
		visible, err := f.GetSheetVisible("_auditpack")
		if err != nil {
			t.Fatal(err)
		}
		if visible {
			t.Error("the _auditpack sheet is visible")
		}
		zr, err := zip.OpenReader(path)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		for _, zf := range zr.File {
			if zf.Name != "xl/workbook.xml" {
				continue
			}
			rc, err := zf.Open()
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(rc)
			rc.Close()
			if !strings.Contains(string(data), `name="_auditpack"`) || !strings.Contains(string(data), `state="veryHidden"`) {
				t.Errorf("xl/workbook.xml does not mark _auditpack very hidden: %s", data)
			}
		}
	})

	// Everyone decides Keep, except Revoke on mallory and deploy-bot. The
	// reviewer decides on her own IAM user too, and ana.silva reviews her
	// own application account.
	fill(t, path, review, today, func(r accessreview.Row) (string, string) {
		switch {
		case r.Name == "mallory" || r.Name == "deploy-bot":
			return "Revoke", reviewer
		case r.Type == accessreview.TypeAppUser && r.Name == "ana.silva@example.com":
			return "keep", "Ana.Silva@example.com"
		}
		return "Keep", reviewer
	})

	t.Run("bad workbooks are rejected row by row", func(t *testing.T) {
		s, mallory := rowOf(t, review, accessreview.TypeIAMUser, "mallory")
		edited := edit(t, path, "edited.xlsx", func(f *excelize.File) {
			_ = f.SetCellStr(s.Name, "B"+strconv.Itoa(mallory.Row), "mallory-renamed")
		})
		if p := importProblems(t, edited, review, now); !hasProblem(p, s.Name, mallory.Row, "data cells differ") {
			t.Errorf("edited data: problems %+v lack sheet %q row %d", p, s.Name, mallory.Row)
		}

		ps, editor := rowOf(t, review, accessreview.TypePostgresRole, testenv.DemoAuditEditor)
		noReviewer := edit(t, path, "no-reviewer.xlsx", func(f *excelize.File) {
			_ = f.SetCellStr(ps.Name, decisionCell(ps, editor, 2), "")
		})
		if p := importProblems(t, noReviewer, review, now); !hasProblem(p, ps.Name, editor.Row, "Reviewer is empty") {
			t.Errorf("missing reviewer: problems %+v lack sheet %q row %d", p, ps.Name, editor.Row)
		}

		as, mark := rowOf(t, review, accessreview.TypeAppUser, "mark.ellis@example.com")
		early := review.Period.Start.AddDate(0, 0, -1).Format("2006-01-02")
		future := now.AddDate(0, 0, 2).Format("2006-01-02")
		badDates := edit(t, path, "bad-dates.xlsx", func(f *excelize.File) {
			_ = f.SetCellStr(as.Name, decisionCell(as, mark, 3), early)
			_ = f.SetCellValue(s.Name, decisionCell(s, mallory, 3), now.AddDate(0, 0, 2))
		})
		p := importProblems(t, badDates, review, now)
		if !hasProblem(p, as.Name, mark.Row, "outside the review period") {
			t.Errorf("date before the period: problems %+v lack sheet %q row %d", p, as.Name, mark.Row)
		}
		if !hasProblem(p, s.Name, mallory.Row, "in the future") {
			t.Errorf("future date %s: problems %+v lack sheet %q row %d", future, p, s.Name, mallory.Row)
		}
		if len(p) != 2 {
			t.Errorf("bad dates: %d problems, want 2: %+v", len(p), p)
		}

		other, otherPath := sys.export(t, now.Add(time.Second))
		if p := importProblems(t, otherPath, review, now); len(p) != 1 || !strings.Contains(p[0].Message, other.ExportID) {
			t.Errorf("workbook of another export: problems %+v, want one naming %s", p, other.ExportID)
		}
		if err := os.Remove(accessreview.ExportPath(sys.out, other.ExportID)); err != nil {
			t.Fatal(err)
		}

		var ie *accessreview.ImportError
		_, err := accessreview.Import(edited, review, now)
		if errors.As(err, &ie) && !strings.Contains(err.Error(), `sheet "`+s.Name+`" row `+strconv.Itoa(mallory.Row)) {
			t.Errorf("error text %q does not name the sheet and row", err)
		}
	})

	decisions, err := accessreview.Import(path, review, now)
	if err != nil {
		t.Fatalf("import the filled workbook: %v", err)
	}
	if got, want := len(decisions.Decisions), review.RowCount(); got != want {
		t.Fatalf("decisions = %d, want one per row (%d)", got, want)
	}
	if len(decisions.WorkbookSHA256) != 64 {
		t.Errorf("workbook SHA-256 = %q", decisions.WorkbookSHA256)
	}
	if _, err := accessreview.SaveDecisions(sys.out, decisions); err != nil {
		t.Fatal(err)
	}

	// After the review: deploy-bot is deleted as decided, mallory stays,
	// and a user is created that the export could not list.
	ctx := context.Background()
	keys, err := sys.iam.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("deploy-bot")})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys.AccessKeyMetadata {
		if _, err := sys.iam.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("deploy-bot"), AccessKeyId: k.AccessKeyId}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sys.iam.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("deploy-bot")}); err != nil {
		t.Fatal(err)
	}
	if _, err := sys.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("newcomer")}); err != nil {
		t.Fatal(err)
	}

	later := now.Add(time.Minute)
	plan, set = sys.collect(t, later)
	got := evaluate(t, plan, set, later)
	_, malloryRow := rowOf(t, review, accessreview.TypeIAMUser, "mallory")
	_, botRow := rowOf(t, review, accessreview.TypeIAMUser, "deploy-bot")
	awsSheet, _ := rowOf(t, review, accessreview.TypeIAMUser, "mallory")
	newcomerARN := strings.Replace(malloryRow.Account, "user/mallory", "user/newcomer", 1)
	_, anaApp := rowOf(t, review, accessreview.TypeAppUser, "ana.silva@example.com")
	_, carol := rowOf(t, review, accessreview.TypeIAMUser, reviewer)

	want := map[string]controls.Status{
		"accessreview.revocations_applied " + malloryRow.Account: controls.StatusFail,
		"accessreview.revocations_applied " + botRow.Account:     controls.StatusPass,
		"accessreview.completed " + awsSheet.System:              controls.StatusPass,
		"accessreview.completed " + newcomerARN:                  controls.StatusReview,
		"accessreview.self_review " + anaApp.Account:             controls.StatusReview,
		"accessreview.self_review " + carol.Account:              controls.StatusReview,
	}
	for key, status := range want {
		f, ok := got[key]
		if !ok {
			t.Errorf("no finding %s", key)
			continue
		}
		if f.Status != status {
			t.Errorf("finding %s = %s (%s), want %s", key, f.Status, f.Message, status)
		}
	}
	if f := got["accessreview.completed "+newcomerARN]; !strings.Contains(f.Message, "after export") {
		t.Errorf("newcomer finding %q does not say it was created after the export", f.Message)
	}
	for key, f := range got {
		if strings.HasPrefix(key, "accessreview.self_review ") && f.Status == controls.StatusReview && f.Resource != anaApp.Account && f.Resource != carol.Account {
			t.Errorf("unexpected self review %s: %s", key, f.Message)
		}
		if strings.HasPrefix(key, "accessreview.completed ") && f.Status == controls.StatusFail {
			t.Errorf("unexpected fail %s: %s", key, f.Message)
		}
	}
}

func styleLocked(t *testing.T, f *excelize.File, id int) bool {
	t.Helper()
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	return st.Protection == nil || st.Protection.Locked
}

func TestExportRefusesDeniedIAMCalls(t *testing.T) {
	sys := newSystem(t)
	sys.seedIAM(t)
	moto := sys.endpoint
	for _, op := range []string{"ListUsers", "ListGroupsForUser", "ListAttachedRolePolicies"} {
		t.Run(op, func(t *testing.T) {
			proxy, err := testenv.StartFaultProxy(testenv.FaultProxyOptions{
				Target: moto,
				Rules:  []testenv.FaultRule{{Service: "iam", Operation: op, Fault: testenv.FaultAccessDenied}},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer proxy.Close()
			sys.endpoint = proxy.URL
			defer func() { sys.endpoint = moto }()

			_, set := sys.collect(t, time.Now().UTC())
			_, err = accessreview.Build(set, accessreview.Meta{ExportID: "ar-denied"})
			if err == nil {
				t.Fatalf("Build accepted evidence collected while iam:%s was denied", op)
			}
			if !strings.Contains(err.Error(), "iam:"+op+" failed with AccessDenied") {
				t.Errorf("error %q does not name iam:%s", err, op)
			}
			if proxy.Injected(testenv.FaultAccessDenied) == 0 {
				t.Errorf("no iam:%s request reached the proxy", op)
			}
		})
	}
}
