package accessreview_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/auditpack/auditpack/accessreview"
	"github.com/auditpack/auditpack/collectors"
	awscol "github.com/auditpack/auditpack/collectors/aws"
	pgcol "github.com/auditpack/auditpack/collectors/postgres"
	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/internal/period"
)

const (
	account  = "111122223333"
	pgBase   = "postgres://db.internal:5432/app"
	usersTbl = pgBase + "/tables/public.Users"
)

var (
	exportTime = time.Date(2026, 11, 10, 9, 0, 0, 0, time.UTC)
	importTime = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	q4         = mustPeriod("2026-10-01", "2026-12-31")
)

func mustPeriod(start, end string) period.Period {
	p, err := period.FromDates(start, end)
	if err != nil {
		panic(err)
	}
	return p
}

func userARN(name string) string { return "arn:aws:iam::" + account + ":user/" + name }

func day(s string) *time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return &t
}

// accessSet builds current evidence: IAM users with the credential report
// rows given by consoleUsers (console password) and keyUsers (an active
// key), a role, two PostgreSQL login roles and two application users.
func accessSet(iamUsers map[string]*time.Time, consoleUsers, keyUsers []string, pgRoles []string, appUsers []string) *evidence.Set {
	set := &evidence.Set{}
	access := awscol.IAMAccess{UsersListed: true, RolesListed: true, Users: []awscol.IAMAccessUser{}, Roles: []awscol.IAMAccessRole{{
		Name: "deployer", ARN: "arn:aws:iam::" + account + ":role/deployer", Path: "/", Created: day("2026-01-01"),
		TrustedPrincipals: []string{"Service:codebuild.amazonaws.com"}, AttachedPolicies: []string{},
	}}}
	for name, created := range iamUsers {
		access.Users = append(access.Users, awscol.IAMAccessUser{Name: name, ARN: userARN(name), Created: created, Groups: []string{"dev"}, AttachedPolicies: []string{}, InlinePolicies: []string{}})
	}
	set.Items = append(set.Items, evidence.MustItem(awscol.KindIAMAccess, "aws.iam_access", "aws:"+account, access))
	contains := func(list []string, s string) bool {
		for _, v := range list {
			if v == s {
				return true
			}
		}
		return false
	}
	for name := range iamUsers {
		row := awscol.CredentialReportRow{User: name, ARN: userARN(name), PasswordEnabled: awscol.PasswordDisabled, AccessKeys: []awscol.AccessKeyState{{Slot: 1}, {Slot: 2}}}
		if contains(consoleUsers, name) {
			row.PasswordEnabled = awscol.PasswordEnabled
			row.MFAActive = true
		}
		if contains(keyUsers, name) {
			row.AccessKeys[0] = awscol.AccessKeyState{Slot: 1, Active: true, LastRotated: awscol.CredentialDate{State: awscol.DateSet, Time: day("2026-09-01")}}
		}
		set.Items = append(set.Items, evidence.MustItem(awscol.KindIAMUser, "aws.iam", userARN(name), awscol.IAMUser{CredentialReportRow: row}))
	}
	roles := pgcol.RolesAttrs{Source: pgcol.Source{CollectedAt: importTime}, Roles: []pgcol.Role{{Name: "app_reader", Login: false}}}
	for _, r := range pgRoles {
		roles.Roles = append(roles.Roles, pgcol.Role{Name: r, Login: true, Inherit: true})
		set.Items = append(set.Items, evidence.MustItem(pgcol.KindRolePrivileges, "postgres.roles", pgBase+"/roles/"+r, pgcol.RolePrivilegesAttrs{
			Role: r, Inherit: true,
			MemberOf: []pgcol.Membership{{Role: "app_reader", Path: []string{r, "app_reader"}, Inherit: true}},
			Tables:   []pgcol.TablePrivileges{{Table: "public.Users", Privileges: []pgcol.Privilege{{Name: "SELECT", Via: "app_reader", Mode: "inherited"}}}},
		}))
	}
	set.Items = append(set.Items, evidence.MustItem(pgcol.KindRoles, "postgres.roles", pgBase, roles))
	users := pgcol.AppUsersAttrs{Table: `public."Users"`, ActiveStatuses: []string{"active"}, Active: []pgcol.AppUser{}}
	for i, email := range appUsers {
		mfa := i%2 == 0
		users.Active = append(users.Active, pgcol.AppUser{ID: string(rune('1' + i)), Email: email, Role: "user", Status: "active", MFA: &mfa})
	}
	set.Items = append(set.Items, evidence.MustItem(pgcol.KindAppUsers, "postgres.users", usersTbl, users))
	set.Sort()
	return set
}

func baseSet() *evidence.Set {
	return accessSet(
		map[string]*time.Time{"alice": day("2025-03-01"), "bob": day("2025-06-01"), "=cmd|' /C calc'!A0": day("2025-07-01")},
		[]string{"alice"}, []string{"bob"},
		[]string{"svc_app", "dana@example.com"},
		[]string{"erin@example.com", "frank@example.com"},
	)
}

func testMeta(id string) accessreview.Meta {
	return accessreview.Meta{ExportID: id, Organization: "Example", Period: q4, Created: exportTime, Exporter: "ops"}
}

// writeReview builds and writes the review of set into dir.
func writeReview(t *testing.T, set *evidence.Set, dir, id string) (*accessreview.Review, string) {
	t.Helper()
	review, err := accessreview.Build(set, testMeta(id))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := review.Write(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, id+".xlsx")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return review, path
}

func TestWriteIsDeterministic(t *testing.T) {
	review, err := accessreview.Build(baseSet(), testMeta("ar-1"))
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if err := review.Write(&a); err != nil {
		t.Fatal(err)
	}
	if err := review.Write(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two writes of the same review differ")
	}
}

func TestBuildRejectsIncompleteEvidence(t *testing.T) {
	set := baseSet()
	set.Failures = append(set.Failures, evidence.Failure{
		Collector: "aws.iam_access", Scope: "aws:" + account, Kinds: []string{awscol.KindIAMAccess},
		Error: evidence.CollectError{Operation: "iam:ListUsers", Code: "AccessDenied", Message: "not allowed"},
	})
	_, err := accessreview.Build(set, testMeta("ar-1"))
	if err == nil {
		t.Fatal("Build accepted evidence with a failed ListUsers")
	}
	if !strings.Contains(err.Error(), "iam:ListUsers failed with AccessDenied") {
		t.Errorf("error %q does not name the failed call", err)
	}
}

func TestFormulaTextStaysText(t *testing.T) {
	dir := t.TempDir()
	review, path := writeReview(t, baseSet(), dir, "ar-1")
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := review.Sheets[0].Name
	for _, row := range review.Sheets[0].Rows {
		cell := "B" + strconv.Itoa(row.Row)
		formula, err := f.GetCellFormula(sheet, cell)
		if err != nil {
			t.Fatal(err)
		}
		if formula != "" {
			t.Errorf("cell %s holds formula %q", cell, formula)
		}
		value, _ := f.GetCellValue(sheet, cell)
		if value != row.Name {
			t.Errorf("cell %s = %q, want %q", cell, value, row.Name)
		}
	}
}

func TestImportRejectsTampering(t *testing.T) {
	dir := t.TempDir()
	review, path := writeReview(t, baseSet(), dir, "ar-1")
	fill(t, path, review, "2026-11-12", func(accessreview.Row) (string, string) { return "Keep", "gina@example.com" })
	if _, err := accessreview.Import(path, review, importTime); err != nil {
		t.Fatalf("the filled workbook is rejected: %v", err)
	}
	awsSheet := review.Sheets[0]
	first := awsSheet.Rows[0]

	cases := []struct {
		name   string
		change func(f *excelize.File)
		sheet  string
		row    int
		text   string
	}{
		{"formula reviewer", func(f *excelize.File) {
			_ = f.SetCellFormula(awsSheet.Name, decisionCell(awsSheet, first, 2), `"gina"&"@example.com"`)
		}, awsSheet.Name, first.Row, "holds a formula"},
		{"unknown decision", func(f *excelize.File) {
			_ = f.SetCellStr(awsSheet.Name, decisionCell(awsSheet, first, 1), "Maybe")
		}, awsSheet.Name, first.Row, `Decision "Maybe" is not one of`},
		{"date before export", func(f *excelize.File) {
			_ = f.SetCellStr(awsSheet.Name, decisionCell(awsSheet, first, 3), "2026-11-01")
		}, awsSheet.Name, first.Row, "before the export"},
		{"malformed date", func(f *excelize.File) {
			_ = f.SetCellStr(awsSheet.Name, decisionCell(awsSheet, first, 3), "12/11/2026")
		}, awsSheet.Name, first.Row, "is not a date"},
		{"added row", func(f *excelize.File) {
			_ = f.SetCellStr(awsSheet.Name, "B"+strconv.Itoa(first.Row+len(awsSheet.Rows)), "mallory")
		}, awsSheet.Name, first.Row + len(awsSheet.Rows), "added after the export"},
		{"hidden hash", func(f *excelize.File) {
			_ = f.SetCellStr("_auditpack", "D10", strings.Repeat("0", 64))
		}, review.Sheets[0].Name, review.Sheets[0].Rows[0].Row, "hidden sheet was changed"},
		{"deleted sheet", func(f *excelize.File) {
			_ = f.DeleteSheet(review.Sheets[2].Name)
		}, review.Sheets[2].Name, 0, "the sheet is missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bad := edit(t, path, strings.ReplaceAll(tc.name, " ", "-")+".xlsx", tc.change)
			problems := importProblems(t, bad, review, importTime)
			if !hasProblem(problems, tc.sheet, tc.row, tc.text) {
				t.Errorf("problems %+v lack sheet %q row %d %q", problems, tc.sheet, tc.row, tc.text)
			}
		})
	}
}

func TestImportAcceptsExcelDates(t *testing.T) {
	dir := t.TempDir()
	review, path := writeReview(t, baseSet(), dir, "ar-1")
	fill(t, path, review, "2026-11-12", func(accessreview.Row) (string, string) { return "Revoke", "gina@example.com" })
	s, row := review.Sheets[1], review.Sheets[1].Rows[0]
	dated := edit(t, path, "dated.xlsx", func(f *excelize.File) {
		_ = f.SetCellValue(s.Name, decisionCell(s, row, 3), time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC))
	})
	d, err := accessreview.Import(dated, review, importTime)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, dec := range d.Decisions {
		if dec.Sheet == s.Name && dec.Row == row.Row {
			found = true
			if dec.Date != "2026-11-15" {
				t.Errorf("date of a typed Excel date = %q, want 2026-11-15", dec.Date)
			}
		}
	}
	if !found {
		t.Errorf("no decision for sheet %q row %d", s.Name, row.Row)
	}
}

// importInto imports a workbook filled by decide and returns the evidence
// set with the export record and decisions as the collector reads them.
func importInto(t *testing.T, set *evidence.Set, decide func(accessreview.Row) (string, string)) (*accessreview.Review, *evidence.Set) {
	t.Helper()
	dir := t.TempDir()
	review, path := writeReview(t, set, dir, "ar-1")
	fill(t, path, review, "2026-11-12", decide)
	d, err := accessreview.Import(path, review, importTime)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := accessreview.SaveExport(dir, review); err != nil {
		t.Fatal(err)
	}
	if _, err := accessreview.SaveDecisions(dir, d); err != nil {
		t.Fatal(err)
	}
	return review, collectReviews(t, dir)
}

func collectReviews(t *testing.T, dir string) *evidence.Set {
	t.Helper()
	sink := &evidence.Memory{}
	c := &accessreview.Collector{OutputDir: dir}
	req := reqFor(q4)
	if err := c.Collect(t.Context(), req, sink); err != nil {
		t.Fatal(err)
	}
	return sink.Set()
}

func evaluateChecks(t *testing.T, sets ...*evidence.Set) map[string]controls.Finding {
	t.Helper()
	merged := &evidence.Set{}
	for _, s := range sets {
		merged.Items = append(merged.Items, s.Items...)
		merged.Failures = append(merged.Failures, s.Failures...)
	}
	merged.Sort()
	cat, err := controls.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	reg, err := controls.DefaultRegistry(cat)
	if err != nil {
		t.Fatal(err)
	}
	selected, err := reg.Select([]string{"accessreview.*"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	findings, _ := controls.Evaluate(cat, reg, selected, merged, controls.EvalOptions{Now: importTime, Period: q4})
	out := map[string]controls.Finding{}
	for _, f := range findings {
		out[f.CheckID+" "+f.Resource] = f
	}
	return out
}

func wantStatus(t *testing.T, got map[string]controls.Finding, key string, status controls.Status, text string) {
	t.Helper()
	f, ok := got[key]
	if !ok {
		keys := make([]string, 0, len(got))
		for k := range got {
			keys = append(keys, k)
		}
		t.Errorf("no finding %s among %q", key, keys)
		return
	}
	if f.Status != status {
		t.Errorf("finding %s = %s (%s), want %s", key, f.Status, f.Message, status)
	}
	if !strings.Contains(f.Message, text) {
		t.Errorf("finding %s message %q lacks %q", key, f.Message, text)
	}
}

func TestChecksOnLaterCollection(t *testing.T) {
	_, reviews := importInto(t, baseSet(), func(r accessreview.Row) (string, string) {
		switch r.Name {
		case "alice", "bob", "svc_app", "frank@example.com":
			return "Revoke", "gina@example.com"
		case "dana@example.com":
			return "Keep", "Dana@Example.com"
		}
		return "Keep", "gina@example.com"
	})
	// Later: alice lost her password (disabled), bob keeps his key, svc_app
	// was dropped, frank is still active, carl existed before the export
	// but was not in it, and hana was created after it.
	current := accessSet(
		map[string]*time.Time{"alice": day("2025-03-01"), "bob": day("2025-06-01"), "=cmd|' /C calc'!A0": day("2025-07-01"), "carl": day("2025-01-01"), "hana": day("2026-11-15")},
		nil, []string{"bob"},
		[]string{"dana@example.com", "ivan"},
		[]string{"erin@example.com", "frank@example.com"},
	)
	got := evaluateChecks(t, reviews, current)

	wantStatus(t, got, "accessreview.revocations_applied "+userARN("alice"), controls.StatusPass, "disabled")
	wantStatus(t, got, "accessreview.revocations_applied "+userARN("bob"), controls.StatusFail, "still active")
	wantStatus(t, got, "accessreview.revocations_applied "+pgBase+"/roles/svc_app", controls.StatusPass, "no longer among the active accounts")
	wantStatus(t, got, "accessreview.revocations_applied "+pgBase+"/users/frank@example.com", controls.StatusFail, "still active")
	wantStatus(t, got, "accessreview.completed aws:"+account, controls.StatusPass, "reviewed by gina@example.com")
	wantStatus(t, got, "accessreview.completed "+userARN("carl"), controls.StatusFail, "missing from it")
	wantStatus(t, got, "accessreview.completed "+userARN("hana"), controls.StatusReview, "after export")
	wantStatus(t, got, "accessreview.completed "+pgBase+"/roles/ivan", controls.StatusReview, "records no creation time")
	wantStatus(t, got, "accessreview.self_review "+pgBase+"/roles/dana@example.com", controls.StatusReview, "their own account")
}

func TestChecksWithoutCurrentSystem(t *testing.T) {
	_, reviews := importInto(t, baseSet(), func(r accessreview.Row) (string, string) {
		if r.Type == accessreview.TypeAppUser {
			return "Revoke", "gina@example.com"
		}
		return "Keep", "gina@example.com"
	})
	current := baseSet()
	var kept []*evidence.Item
	for _, it := range current.Items {
		if it.Kind != pgcol.KindAppUsers {
			kept = append(kept, it)
		}
	}
	current.Items = kept
	got := evaluateChecks(t, reviews, current)
	wantStatus(t, got, "accessreview.revocations_applied "+pgBase+"/users/erin@example.com", controls.StatusError, "were not collected")
	wantStatus(t, got, "accessreview.self_review accessreview:export/ar-1", controls.StatusPass, "none of the")
}

func TestChecksWithoutImport(t *testing.T) {
	got := evaluateChecks(t, baseSet())
	wantStatus(t, got, "accessreview.completed accessreview:2026-10-01..2026-12-31", controls.StatusFail, "access-review import")
	wantStatus(t, got, "accessreview.revocations_applied accessreview:2026-10-01..2026-12-31", controls.StatusNotApplicable, "no access review")
}

func TestIsSelfReview(t *testing.T) {
	cases := []struct {
		reviewer, name, email string
		want                  bool
	}{
		{"alice", "alice", "", true},
		{"Alice@Example.com", "alice", "", true},
		{"alice", "alice@example.com", "alice@example.com", true},
		{" ALICE@example.com ", "alice@example.com", "alice@example.com", true},
		{"bob@example.com", "alice@example.com", "alice@example.com", false},
		{"bob", "alice", "", false},
		{"Alice Smith", "alice@example.com", "alice@example.com", false},
		{"", "alice", "", false},
	}
	for _, tc := range cases {
		d := accessreview.Decision{Reviewer: tc.reviewer, Name: tc.name, Email: tc.email}
		if got := accessreview.IsSelfReview(d); got != tc.want {
			t.Errorf("IsSelfReview(reviewer %q, account %q) = %v, want %v", tc.reviewer, tc.name, got, tc.want)
		}
	}
}

func reqFor(p period.Period) collectors.Request {
	checks := map[string]bool{}
	for _, id := range accessreview.Checks {
		checks[id] = true
	}
	return collectors.Request{Now: importTime, Period: p, Checks: checks}
}

func TestReportOnlyUserLeftOut(t *testing.T) {
	set := baseSet()
	row := awscol.CredentialReportRow{User: "ghost", ARN: userARN("ghost"), PasswordEnabled: awscol.PasswordEnabled}
	set.Items = append(set.Items, evidence.MustItem(awscol.KindIAMUser, "aws.iam", userARN("ghost"), awscol.IAMUser{CredentialReportRow: row}))
	set.Sort()
	review, err := accessreview.Build(set, testMeta("ar-1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range review.Sheets[0].Rows {
		if r.Name == "ghost" {
			t.Error("a user that only the credential report lists, deleted since ListUsers ran, is in the review")
		}
	}
}

func TestImportAcceptsEscapeLikeText(t *testing.T) {
	set := accessSet(map[string]*time.Time{"alice": day("2025-03-01")}, []string{"alice"}, nil, nil,
		[]string{"odd_x0041_@example.com", "ctl\x01char@example.com", "plain@example.com"})
	dir := t.TempDir()
	review, path := writeReview(t, set, dir, "ar-1")
	fill(t, path, review, "2026-11-12", func(accessreview.Row) (string, string) { return "Keep", "gina@example.com" })
	if _, err := accessreview.Import(path, review, importTime); err != nil {
		t.Fatalf("a workbook with escape-like and control characters is rejected: %v", err)
	}
	var shown []string
	for _, s := range review.Sheets {
		for _, r := range s.Rows {
			if r.Type == accessreview.TypeAppUser {
				shown = append(shown, r.Cells[0])
			}
		}
	}
	want := []string{"ctl\uFFFDchar@example.com", "oddA@example.com", "plain@example.com"}
	if strings.Join(shown, " ") != strings.Join(want, " ") {
		t.Errorf("recorded e-mail cells = %q, want what the workbook shows, %q", shown, want)
	}
}

func TestCompletedFailsOnEditedDecisionsFile(t *testing.T) {
	review, reviews := importInto(t, baseSet(), func(accessreview.Row) (string, string) { return "Keep", "gina@example.com" })
	var edited *evidence.Item
	for _, it := range reviews.Items {
		if it.Kind != accessreview.KindDecisions {
			continue
		}
		var d accessreview.Decisions
		if err := it.Decode(&d); err != nil {
			t.Fatal(err)
		}
		d.Decisions[0].Reviewer = ""
		d.Decisions[1].Date = "2026-09-30"
		d.Decisions[2].Decision = "Ignore"
		if err := it.SetAttributes(d); err != nil {
			t.Fatal(err)
		}
		edited = it
	}
	if edited == nil {
		t.Fatal("the collector produced no decisions item")
	}
	got := evaluateChecks(t, reviews, baseSet())
	f := got["accessreview.completed "+review.Sheets[0].System]
	if f.Status != controls.StatusFail {
		t.Fatalf("completed on an edited decisions file = %s (%s), want fail", f.Status, f.Message)
	}
	for _, want := range []string{"has no reviewer", "outside the period", `decision "Ignore"`} {
		if !strings.Contains(f.Message, want) {
			t.Errorf("message %q lacks %q", f.Message, want)
		}
	}
}

func TestExcludedAccountsStayOutOfTheReview(t *testing.T) {
	dir := t.TempDir()
	review, err := accessreview.Build(baseSet(), testMeta("ar-1"))
	if err != nil {
		t.Fatal(err)
	}
	review.Exclude([]string{"arn:aws:iam::*:user/b*", pgBase + "/users/frank@*"}, controls.MatchResource)
	if strings.Join(review.Excluded, " ") != userARN("bob")+" "+pgBase+"/users/frank@example.com" {
		t.Errorf("excluded = %q", review.Excluded)
	}
	for _, s := range review.Sheets {
		for i, r := range s.Rows {
			if r.Row != i+3 {
				t.Errorf("sheet %q row %d (%s) is numbered %d after the exclusion", s.Name, i, r.Name, r.Row)
			}
		}
	}
	var buf bytes.Buffer
	if err := review.Write(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "review.xlsx")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	fill(t, path, review, "2026-11-12", func(accessreview.Row) (string, string) { return "Keep", "gina@example.com" })
	d, err := accessreview.Import(path, review, importTime)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := accessreview.SaveExport(dir, review); err != nil {
		t.Fatal(err)
	}
	if _, err := accessreview.SaveDecisions(dir, d); err != nil {
		t.Fatal(err)
	}
	got := evaluateChecks(t, collectReviews(t, dir), baseSet())
	for _, key := range []string{"accessreview.completed " + userARN("bob"), "accessreview.completed " + pgBase + "/users/frank@example.com"} {
		if f, ok := got[key]; ok {
			t.Errorf("excluded account has finding %s: %s %s", key, f.Status, f.Message)
		}
	}
	wantStatus(t, got, "accessreview.completed aws:"+account, controls.StatusPass, "reviewed by")
}
