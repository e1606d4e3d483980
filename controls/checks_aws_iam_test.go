package controls

import (
	"testing"
	"time"

	awscol "github.com/auditpack/auditpack/collectors/aws"
	"github.com/auditpack/auditpack/evidence"
)

const storageAccount = "aws:111122223333"

func rootItem(r awscol.IAMRoot) *evidence.Item {
	return evidence.MustItem(awscol.KindIAMRoot, "aws.iam", storageAccount, r)
}

func credDate(s string) awscol.CredentialDate {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return awscol.CredentialDate{State: awscol.DateSet, Raw: s, Time: &t}
}

var noCredential = awscol.CredentialDate{State: awscol.DateNoCredential, Raw: "N/A"}

func rootRowWith(mfa bool, keys ...awscol.AccessKeyState) *awscol.CredentialReportRow {
	for len(keys) < 2 {
		keys = append(keys, awscol.AccessKeyState{Slot: len(keys) + 1, LastRotated: noCredential, LastUsed: noCredential})
	}
	return &awscol.CredentialReportRow{
		User: awscol.RootUserName, PasswordEnabled: awscol.PasswordNotSupported, MFAActive: mfa,
		PasswordLastUsed: credDate("2026-06-01T00:00:00Z"), AccessKeys: keys,
	}
}

func TestIAMRootMFASources(t *testing.T) {
	one, zero := int32(1), int32(0)
	cases := []struct {
		name   string
		root   awscol.IAMRoot
		status Status
		msg    string
	}{
		{"both agree on", awscol.IAMRoot{AccountMFAEnabled: &one, Row: rootRowWith(true)}, StatusPass, "GetAccountSummary, credential report"},
		{"summary only off", awscol.IAMRoot{AccountMFAEnabled: &zero}, StatusFail, "root user has no MFA"},
		{"disagree", awscol.IAMRoot{AccountMFAEnabled: &zero, Row: rootRowWith(true)}, StatusReview, "disagree"},
		{"nothing read", awscol.IAMRoot{}, StatusError, "no evidence of root MFA"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			expectFinding(t, onlyFinding(t, evalStorageCheck(t, "aws.iam.root_mfa", nil, rootItem(c.root))), c.status, c.msg)
		})
	}
}

func TestIAMRootAccessKeysAndUsage(t *testing.T) {
	active := awscol.AccessKeyState{Slot: 1, Active: true, LastRotated: credDate("2020-01-01T00:00:00Z"), LastUsed: credDate("2026-10-15T09:30:00Z")}
	it := rootItem(awscol.IAMRoot{ReportRead: true, Row: rootRowWith(true, active)})
	expectFinding(t, onlyFinding(t, evalStorageCheck(t, "aws.iam.root_access_keys", nil, it)), StatusFail, "active access keys: key 1")
	expectFinding(t, onlyFinding(t, evalStorageCheck(t, "aws.iam.root_usage", nil, it)), StatusReview, "root access key 1 used 2026-10-15, 50 days before evaluation")

	quiet := rootItem(awscol.IAMRoot{ReportRead: true, Row: rootRowWith(true)})
	expectFinding(t, onlyFinding(t, evalStorageCheck(t, "aws.iam.root_usage", nil, quiet)), StatusPass, "not used since 2026-10-01")

	failed := rootItem(awscol.IAMRoot{})
	failed.AddError(awscol.IAMGroupCredentialReport, evidence.CollectError{Operation: "iam:GetCredentialReport", Code: "ReportInProgress"})
	for _, id := range []string{"aws.iam.root_access_keys", "aws.iam.root_usage"} {
		expectFinding(t, onlyFinding(t, evalStorageCheck(t, id, nil, failed)), StatusError, "ReportInProgress")
	}
}

func TestIAMPasswordPolicyPartlyMet(t *testing.T) {
	ten, five := int32(10), int32(5)
	p := awscol.IAMPasswordPolicy{Custom: true, MinimumPasswordLength: &ten, PasswordReusePrevention: &five, RequireLowercaseCharacters: true, RequireNumbers: true, RequireSymbols: true}
	it := evidence.MustItem(awscol.KindIAMPasswordPolicy, "aws.iam", storageAccount, p)
	f := onlyFinding(t, evalStorageCheck(t, "aws.iam.password_policy", nil, it))
	expectFinding(t, f, StatusFail, "password policy does not require: minimum length ≥ 14, reuse prevention ≥ 24, uppercase letters")
	if unmet, _ := f.Details["unmet"].([]string); len(unmet) != 3 {
		t.Errorf("unmet = %v, want exactly three requirements", f.Details["unmet"])
	}
	loose := Params{"min_length": 10, "reuse_prevention": 5, "require_uppercase": false}
	expectFinding(t, onlyFinding(t, evalStorageCheck(t, "aws.iam.password_policy", loose, it)), StatusPass, "meets every requirement")
}

func TestIAMUnreportedDatesAreReview(t *testing.T) {
	u := awscol.IAMUser{CredentialReportRow: awscol.CredentialReportRow{
		User: "moto-user", ARN: "arn:aws:iam::111122223333:user/moto-user", PasswordEnabled: awscol.PasswordEnabled,
		PasswordLastUsed: awscol.CredentialDate{State: awscol.DateNotSupported, Raw: "not_supported"},
		AccessKeys: []awscol.AccessKeyState{
			{Slot: 1, LastRotated: noCredential, LastUsed: noCredential},
			{Slot: 2, LastRotated: noCredential, LastUsed: noCredential},
		},
	}}
	it := evidence.MustItem(awscol.KindIAMUser, "aws.iam", u.ARN, u)
	expectFinding(t, onlyFinding(t, evalStorageCheck(t, "aws.iam.unused_credentials", nil, it)), StatusReview, "console password last use not reported (not_supported)")
}

func TestIAMUserWithoutCredentialsIsNotApplicable(t *testing.T) {
	u := awscol.IAMUser{CredentialReportRow: awscol.CredentialReportRow{
		User: "idle", ARN: "arn:aws:iam::111122223333:user/idle", PasswordEnabled: awscol.PasswordDisabled,
		AccessKeys: []awscol.AccessKeyState{
			{Slot: 1, LastRotated: noCredential, LastUsed: noCredential},
			{Slot: 2, LastRotated: noCredential, LastUsed: noCredential},
		},
	}}
	it := evidence.MustItem(awscol.KindIAMUser, "aws.iam", u.ARN, u)
	expectFinding(t, onlyFinding(t, evalStorageCheck(t, "aws.iam.unused_credentials", nil, it)), StatusNotApplicable, "no console password and no active access key")
	if fs := evalStorageCheck(t, "aws.iam.access_key_rotation", nil, it); len(fs) != 0 {
		t.Errorf("rotation finding for a user without keys: %+v", fs)
	}
	if fs := evalStorageCheck(t, "aws.iam.console_mfa", nil, it); len(fs) != 0 {
		t.Errorf("console-MFA finding for a user without a password: %+v", fs)
	}
}

func TestIAMListUsersFailureIsAccountError(t *testing.T) {
	report := evidence.MustItem(awscol.KindIAMCredentialReport, "aws.iam", storageAccount, awscol.IAMCredentialReport{UserRows: 1})
	report.AddError(awscol.IAMGroupListUsers, evidence.CollectError{Operation: "iam:ListUsers", Code: "AccessDenied"})
	fs := evalStorageCheck(t, "aws.iam.console_mfa", nil, report)
	expectFinding(t, onlyFinding(t, fs), StatusError, "users could not be compared with the credential report: iam:ListUsers failed with AccessDenied")
}
