package aws_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auditpack/auditpack/collectors"
	awscol "github.com/auditpack/auditpack/collectors/aws"
	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/internal/testenv"
)

// credentialReportHeader is the credential report's header row.
const credentialReportHeader = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated"

// Rows recorded from credential reports.
const (
	rootRow = "<root_account>,arn:aws:iam::111122223333:root,2015-06-01T10:00:00+00:00,not_supported,2026-11-20T08:14:03+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"
	dana    = "dana.ortiz,arn:aws:iam::111122223333:user/dana.ortiz,2026-06-01T12:00:00+00:00,true,no_information,2026-06-01T12:00:05+00:00,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"
	svcETL  = "svc-etl,arn:aws:iam::111122223333:user/svc-etl,2024-01-10T00:00:00+00:00,false,N/A,N/A,N/A,false,true,2024-01-10T00:05:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"
	leeWong = "lee.wong,arn:aws:iam::111122223333:user/lee.wong,2020-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,false,2021-02-03T09:00:00+00:00,2021-05-05T10:00:00+00:00,us-east-1,s3,true,2026-12-02T16:00:00+00:00,N/A,N/A,N/A,false,N/A,false,N/A"
)

func reportCSV(rows ...string) string {
	return credentialReportHeader + "\n" + strings.Join(rows, "\n") + "\n"
}

func userARN(name string) string { return "arn:aws:iam::" + fakeAccount + ":user/" + name }

// iamScript lists the responses of the IAM fake.
type iamScript struct {
	report        string
	generatedTime string
	// startCode is the error of GetCredentialReport before any
	// GenerateCredentialReport: "" (a report exists), ReportNotPresent or
	// ReportExpired.
	startCode string
	// readyAfter is the GenerateCredentialReport call that returns
	// COMPLETE; below 0 the report never completes.
	readyAfter int
	// unreadable makes GetCredentialReport return ReportInProgress after
	// generation even once GenerateCredentialReport says COMPLETE.
	unreadable bool
	// listUsers are the ListUsers names; nil means the report's users.
	listUsers          []string
	pageSize           int
	listUsersThrottled bool
	mfaEnabled         int
	policyXML          string
	policyCode         string
}

type iamFakeServer struct {
	*fakeAWS
	mu        sync.Mutex
	generated int
	markers   []string
}

const iamNS = `xmlns="https://iam.amazonaws.com/doc/2010-05-08/"`

func iamResponse(op, result string) string {
	return `<` + op + `Response ` + iamNS + `><` + op + `Result>` + result + `</` + op + `Result><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></` + op + `Response>`
}

// iamFake serves IAM from recorded responses in the query protocol's XML.
func iamFake(t *testing.T, s iamScript) *iamFakeServer {
	t.Helper()
	if s.generatedTime == "" {
		s.generatedTime = "2026-12-04T09:12:00Z"
	}
	if s.pageSize == 0 {
		s.pageSize = 100
	}
	if s.listUsers == nil {
		for _, line := range strings.Split(strings.TrimSpace(s.report), "\n")[1:] {
			name, _, _ := strings.Cut(line, ",")
			if name != "<root_account>" {
				s.listUsers = append(s.listUsers, name)
			}
		}
	}
	srv := &iamFakeServer{}
	srv.fakeAWS = newFakeAWS(t, func(w http.ResponseWriter, r *http.Request, info testenv.RequestInfo) bool {
		if info.Service != "iam" {
			return false
		}
		fail := func(status int, code string) bool {
			testenv.WriteAWSError(w, info.Protocol, testenv.AWSError{Status: status, Code: code, Message: code + " (recorded)"})
			return true
		}
		srv.mu.Lock()
		defer srv.mu.Unlock()
		switch info.Operation {
		case "GenerateCredentialReport":
			srv.generated++
			state := "INPROGRESS"
			switch {
			case s.readyAfter >= 0 && srv.generated >= s.readyAfter:
				state = "COMPLETE"
			case srv.generated == 1:
				state = "STARTED"
			}
			writeXML(w, iamResponse("GenerateCredentialReport", "<State>"+state+"</State><Description>recorded</Description>"))
			return true
		case "GetCredentialReport":
			switch {
			case s.startCode != "" && srv.generated == 0:
				return fail(http.StatusGone, s.startCode)
			case s.unreadable:
				return fail(http.StatusNotFound, "ReportInProgress")
			case s.startCode != "" && (s.readyAfter < 0 || srv.generated < s.readyAfter):
				return fail(http.StatusNotFound, "ReportInProgress")
			}
			writeXML(w, iamResponse("GetCredentialReport", "<Content>"+base64.StdEncoding.EncodeToString([]byte(s.report))+"</Content><ReportFormat>text/csv</ReportFormat><GeneratedTime>"+s.generatedTime+"</GeneratedTime>"))
			return true
		case "ListUsers":
			if s.listUsersThrottled {
				return fail(http.StatusBadRequest, "ThrottlingException")
			}
			marker := info.Params.Get("Marker")
			srv.markers = append(srv.markers, marker)
			start := 0
			if marker != "" {
				fmt.Sscanf(marker, "m-%d", &start)
				start *= s.pageSize
			}
			end := min(start+s.pageSize, len(s.listUsers))
			var b strings.Builder
			for _, name := range s.listUsers[start:end] {
				fmt.Fprintf(&b, "<member><Path>/</Path><UserName>%s</UserName><UserId>AIDA%s</UserId><Arn>%s</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate></member>", name, strings.ToUpper(strings.ReplaceAll(name, ".", "")), userARN(name))
			}
			more := ""
			if end < len(s.listUsers) {
				more = fmt.Sprintf("<Marker>m-%d</Marker>", end/s.pageSize)
			}
			writeXML(w, iamResponse("ListUsers", "<Users>"+b.String()+"</Users><IsTruncated>"+fmt.Sprint(end < len(s.listUsers))+"</IsTruncated>"+more))
			return true
		case "ListMFADevices":
			writeXML(w, iamResponse("ListMFADevices", "<MFADevices></MFADevices><IsTruncated>false</IsTruncated>"))
			return true
		case "GetAccountSummary":
			writeXML(w, iamResponse("GetAccountSummary", fmt.Sprintf("<SummaryMap><entry><key>AccountMFAEnabled</key><value>%d</value></entry><entry><key>AccountAccessKeysPresent</key><value>0</value></entry><entry><key>Users</key><value>%d</value></entry></SummaryMap>", s.mfaEnabled, len(s.listUsers))))
			return true
		case "GetAccountPasswordPolicy":
			switch s.policyCode {
			case "NoSuchEntity":
				return fail(http.StatusNotFound, "NoSuchEntity")
			case "":
			default:
				return fail(http.StatusForbidden, s.policyCode)
			}
			writeXML(w, iamResponse("GetAccountPasswordPolicy", "<PasswordPolicy>"+s.policyXML+"</PasswordPolicy>"))
			return true
		}
		return false
	})
	return srv
}

// fakeClock advances only when the collector sleeps.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.sleeps = append(c.sleeps, d)
	return nil
}

// collectIAM runs the IAM collector with a fake clock.
func collectIAM(t *testing.T, env *collectors.Env, clock *fakeClock, checks ...string) *evidence.Set {
	t.Helper()
	list, err := awscol.IAMFactory.Build(env)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		awscol.SetPollClock(c, clock.Now, clock.Sleep)
	}
	return runCollectors(t, list, checks...)
}

var (
	iamUserChecks   = []string{"aws.iam.console_mfa", "aws.iam.access_key_rotation", "aws.iam.unused_credentials"}
	iamReportChecks = append([]string{"aws.iam.root_access_keys", "aws.iam.root_usage"}, iamUserChecks...)
	iamAllChecks    = append([]string{"aws.iam.root_mfa", "aws.iam.password_policy"}, iamReportChecks...)
)

func TestIAM_01_ReportGeneratedThenPolled(t *testing.T) {
	for _, start := range []string{"ReportNotPresent", "ReportExpired"} {
		t.Run(start, func(t *testing.T) {
			fake := iamFake(t, iamScript{report: reportCSV(rootRow, dana), startCode: start, readyAfter: 3})
			clock := &fakeClock{now: evalNow}
			set := collectIAM(t, storageEnv(fake.URL), clock, iamReportChecks...)

			if got := fake.CountOf("iam:GenerateCredentialReport"); got != 3 {
				t.Errorf("GenerateCredentialReport called %d times, want 3", got)
			}
			if len(clock.sleeps) != 2 || clock.sleeps[1] <= clock.sleeps[0] {
				t.Errorf("waits between polls = %v, want two growing waits", clock.sleeps)
			}
			var report awscol.IAMCredentialReport
			if err := itemOf(t, set, awscol.KindIAMCredentialReport, "aws:"+fakeAccount).Decode(&report); err != nil {
				t.Fatal(err)
			}
			if report.GeneratedTime == nil || report.GeneratedTime.Format(time.RFC3339) != "2026-12-04T09:12:00Z" {
				t.Errorf("generated time = %v, want 2026-12-04T09:12:00Z", report.GeneratedTime)
			}
			var u awscol.IAMUser
			if err := itemOf(t, set, awscol.KindIAMUser, userARN("dana.ortiz")).Decode(&u); err != nil {
				t.Fatal(err)
			}
			if u.ReportGeneratedTime == nil || !u.ReportGeneratedTime.Equal(*report.GeneratedTime) {
				t.Errorf("user evidence report time = %v, want the report's GeneratedTime", u.ReportGeneratedTime)
			}
			for _, f := range evaluateChecks(t, set, nil, iamReportChecks...) {
				if f.Status == controls.StatusError {
					t.Errorf("error finding once the report is ready: %s %s %s", f.CheckID, f.Resource, f.Message)
				}
			}
		})
	}
}

func TestIAM_01_ReportNeverCompletes(t *testing.T) {
	t.Run("generation never completes", func(t *testing.T) {
		testReportNeverReady(t, iamScript{report: reportCSV(rootRow, dana), startCode: "ReportNotPresent", readyAfter: -1})
	})
	t.Run("complete but unreadable", func(t *testing.T) {
		testReportNeverReady(t, iamScript{report: reportCSV(rootRow, dana), startCode: "ReportExpired", readyAfter: 1, unreadable: true})
	})
}

func testReportNeverReady(t *testing.T, script iamScript) {
	fake := iamFake(t, script)
	clock := &fakeClock{now: evalNow}
	env := storageEnv(fake.URL)
	env.Config.AWS.CredentialReportTimeout = 3 * time.Minute
	set := collectIAM(t, env, clock, iamReportChecks...)

	if waited := clock.Now().Sub(evalNow); waited > 3*time.Minute || waited < time.Minute {
		t.Errorf("waited %s on the fake clock, want close to the 3m timeout and never beyond it", waited)
	}
	findings := evaluateChecks(t, set, nil, iamReportChecks...)
	for _, check := range iamReportChecks {
		fs := findingsOf(findings, check)
		if len(fs) == 0 {
			t.Errorf("%s has no finding; a missing report must be an error", check)
		}
		for _, f := range fs {
			wantStatus(t, f, controls.StatusError, "ReportInProgress")
		}
	}
	if len(set.ByKind(awscol.KindIAMUser)) != 0 {
		t.Error("user items made up without a report")
	}
	attrs := string(itemOf(t, set, awscol.KindIAMCredentialReport, "aws:"+fakeAccount).Attributes)
	if strings.Contains(attrs, "user_rows") {
		t.Errorf("report attributes %s carry a user count although no report was read", attrs)
	}
}

func TestIAM_02_RootRowKeptApart(t *testing.T) {
	fake := iamFake(t, iamScript{report: reportCSV(rootRow, dana), mfaEnabled: 1})
	set := collectIAM(t, storageEnv(fake.URL), &fakeClock{now: evalNow}, iamAllChecks...)
	findings := evaluateChecks(t, set, nil, iamAllChecks...)
	acct := "aws:" + fakeAccount

	wantStatus(t, findingOf(t, findings, "aws.iam.root_mfa", acct), controls.StatusPass, "root user has MFA enabled")
	wantStatus(t, findingOf(t, findings, "aws.iam.root_access_keys", acct), controls.StatusPass, "no active access keys")
	wantStatus(t, findingOf(t, findings, "aws.iam.root_usage", acct), controls.StatusReview, "root console sign-in 2026-11-20, 14 days before evaluation")
	for _, check := range iamUserChecks {
		for _, f := range findingsOf(findings, check) {
			if strings.HasSuffix(f.Resource, ":root") || f.Resource == acct && f.Status != controls.StatusReview {
				t.Errorf("root appears in the user check %s: %s %s", check, f.Resource, f.Message)
			}
		}
	}
	if len(set.ByKind(awscol.KindIAMUser)) != 1 {
		t.Errorf("%d user items, want 1 (root kept apart)", len(set.ByKind(awscol.KindIAMUser)))
	}
	var root awscol.IAMRoot
	if err := itemOf(t, set, awscol.KindIAMRoot, acct).Decode(&root); err != nil {
		t.Fatal(err)
	}
	if root.Row == nil || root.Row.PasswordEnabled != "not_supported" || root.Row.PasswordLastChanged.State != awscol.DateNotSupported || root.Row.PasswordLastChanged.Raw != "not_supported" {
		t.Errorf("root row = %+v, want not_supported kept as its own state", root.Row)
	}
}

func TestIAM_03_DateStatesAndFindings(t *testing.T) {
	rows, err := awscol.ParseCredentialReport([]byte(reportCSV(dana, svcETL)))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	d, s := rows[0], rows[1]
	states := []struct {
		name string
		got  awscol.CredentialDate
		want string
	}{
		{"dana password_last_used", d.PasswordLastUsed, awscol.DateNeverUsed},
		{"dana password_last_changed", d.PasswordLastChanged, awscol.DateSet},
		{"dana access_key_1_last_used", d.AccessKeys[0].LastUsed, awscol.DateNoCredential},
		{"svc-etl password_last_used", s.PasswordLastUsed, awscol.DateNoCredential},
		{"svc-etl access_key_1_last_rotated", s.AccessKeys[0].LastRotated, awscol.DateSet},
		{"svc-etl access_key_1_last_used", s.AccessKeys[0].LastUsed, awscol.DateNeverUsed},
		{"svc-etl access_key_2_last_used", s.AccessKeys[1].LastUsed, awscol.DateNoCredential},
	}
	for _, c := range states {
		if c.got.State != c.want {
			t.Errorf("%s: state %s (raw %q), want %s", c.name, c.got.State, c.got.Raw, c.want)
		}
	}

	fake := iamFake(t, iamScript{report: reportCSV(rootRow, dana, svcETL)})
	set := collectIAM(t, storageEnv(fake.URL), &fakeClock{now: evalNow}, iamUserChecks...)
	findings := evaluateChecks(t, set, nil, iamUserChecks...)
	wantStatus(t, findingOf(t, findings, "aws.iam.unused_credentials", userARN("dana.ortiz")), controls.StatusFail, "console credential unused since creation (> 90 days)")
	wantStatus(t, findingOf(t, findings, "aws.iam.console_mfa", userARN("dana.ortiz")), controls.StatusFail, "console user without MFA")
	wantStatus(t, findingOf(t, findings, "aws.iam.access_key_rotation", userARN("svc-etl")), controls.StatusFail, "key 1 last rotated 2024-01-10, 1059 days ago")
	wantStatus(t, findingOf(t, findings, "aws.iam.unused_credentials", userARN("svc-etl")), controls.StatusFail, "active key never used")
	for _, f := range findingsOf(findings, "aws.iam.console_mfa") {
		if f.Resource == userARN("svc-etl") {
			t.Errorf("svc-etl has no password but is in the console-MFA check: %s", f.Message)
		}
	}
}

func TestIAM_04_InactiveAndNewKeys(t *testing.T) {
	// staleKey2: key 1 active and fresh, key 2 active and stale.
	const staleKey2 = "kim.ng,arn:aws:iam::111122223333:user/kim.ng,2020-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,true,2026-11-01T00:00:00+00:00,2026-12-01T00:00:00+00:00,us-east-1,s3,true,2025-01-01T00:00:00+00:00,2026-12-01T00:00:00+00:00,us-east-1,s3,false,N/A,false,N/A"
	fake := iamFake(t, iamScript{report: reportCSV(rootRow, leeWong, staleKey2)})
	set := collectIAM(t, storageEnv(fake.URL), &fakeClock{now: evalNow}, iamUserChecks...)

	findings := evaluateChecks(t, set, nil, iamUserChecks...)
	lee := findingOf(t, findings, "aws.iam.access_key_rotation", userARN("lee.wong"))
	wantStatus(t, lee, controls.StatusPass, "key 2 last rotated 2026-12-02")
	if strings.Contains(lee.Message, "key 1 last rotated") {
		t.Errorf("inactive key 1 judged for rotation: %q", lee.Message)
	}
	notes, _ := lee.Details["notes"].([]string)
	if len(notes) != 1 || notes[0] != "inactive key 1 present since 2021; consider deleting" {
		t.Errorf("notes = %v, want the inactive-key note", lee.Details["notes"])
	}
	wantStatus(t, findingOf(t, findings, "aws.iam.unused_credentials", userARN("lee.wong")), controls.StatusPass, "within the 7-day grace period")
	wantStatus(t, findingOf(t, findings, "aws.iam.access_key_rotation", userARN("kim.ng")), controls.StatusFail, "key 2 last rotated 2025-01-01")

	later := time.Date(2026, 12, 10, 12, 0, 0, 0, time.UTC)
	laterFindings := evaluateAt(t, set, later, nil, "aws.iam.unused_credentials")
	wantStatus(t, findingOf(t, laterFindings, "aws.iam.unused_credentials", userARN("lee.wong")), controls.StatusFail, "active key never used")
}

func TestIAM_06_NoCustomPasswordPolicy(t *testing.T) {
	check := "aws.iam.password_policy"
	acct := "aws:" + fakeAccount

	fake := iamFake(t, iamScript{report: reportCSV(rootRow), policyCode: "NoSuchEntity"})
	set := collectIAM(t, storageEnv(fake.URL), &fakeClock{now: evalNow}, check)
	var p awscol.IAMPasswordPolicy
	if err := itemOf(t, set, awscol.KindIAMPasswordPolicy, acct).Decode(&p); err != nil {
		t.Fatal(err)
	}
	if p.Custom || p.Note != "no custom password policy set; AWS default in effect" {
		t.Errorf("policy evidence = %+v, want the no-custom-policy row", p)
	}
	f := findingOf(t, evaluateChecks(t, set, nil, check), check, acct)
	wantStatus(t, f, controls.StatusFail, "no custom password policy set; AWS default in effect")
	for _, req := range []string{"minimum length ≥ 14", "reuse prevention ≥ 24", "uppercase letters", "lowercase letters", "numbers", "symbols"} {
		if !strings.Contains(f.Message, req) {
			t.Errorf("message %q does not list %q", f.Message, req)
		}
	}

	denied := iamFake(t, iamScript{report: reportCSV(rootRow), policyCode: "AccessDenied"})
	set = collectIAM(t, storageEnv(denied.URL), &fakeClock{now: evalNow}, check)
	wantStatus(t, findingOf(t, evaluateChecks(t, set, nil, check), check, acct), controls.StatusError, "iam:GetAccountPasswordPolicy failed with AccessDenied")
}

func TestPAG_01_ListUsersEveryPage(t *testing.T) {
	rows := []string{rootRow}
	for i := 0; i < 137; i++ {
		rows = append(rows, fmt.Sprintf("user-%03d,arn:aws:iam::111122223333:user/user-%03d,2026-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A", i, i))
	}
	var names []string
	for i := 0; i < 137; i++ {
		names = append(names, fmt.Sprintf("user-%03d", i))
	}

	fake := iamFake(t, iamScript{report: reportCSV(rows...), listUsers: names})
	set := collectIAM(t, storageEnv(fake.URL), &fakeClock{now: evalNow}, iamUserChecks...)
	if got := len(set.ByKind(awscol.KindIAMUser)); got != 137 {
		t.Errorf("%d users, want 137", got)
	}
	if len(fake.markers) != 2 || fake.markers[0] != "" || fake.markers[1] != "m-1" {
		t.Errorf("ListUsers markers = %q, want the first page then m-1", fake.markers)
	}
	for _, f := range evaluateChecks(t, set, nil, iamUserChecks...) {
		if f.Status == controls.StatusReview {
			t.Errorf("review although ListUsers and the report agree: %s %s", f.Resource, f.Message)
		}
	}

	extra := fmt.Sprintf("user-%03d,arn:aws:iam::111122223333:user/user-%03d,2026-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,true,2026-11-30T00:00:00+00:00,2026-12-01T00:00:00+00:00,us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A", 137, 137)
	variant := iamFake(t, iamScript{report: reportCSV(append(rows, extra)...), listUsers: names})
	set = collectIAM(t, storageEnv(variant.URL), &fakeClock{now: evalNow}, iamUserChecks...)
	findings := evaluateChecks(t, set, nil, iamUserChecks...)
	for _, check := range []string{"aws.iam.access_key_rotation", "aws.iam.unused_credentials"} {
		wantStatus(t, findingOf(t, findings, check, "aws:"+fakeAccount), controls.StatusReview, "credential report lists 138 users, ListUsers 137")
		wantStatus(t, findingOf(t, findings, check, userARN("user-137")), controls.StatusReview, "")
		for _, f := range findingsOf(findings, check) {
			if f.Status == controls.StatusPass {
				t.Errorf("%s passes %s although the user lists disagree", check, f.Resource)
			}
		}
	}
}
