package aws_test

import (
	"context"
	"testing"
	"time"

	awsv2 "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	awscol "github.com/auditpack/auditpack/collectors/aws"
	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/internal/testenv"
)

func motoUserARN(name string) string { return "arn:aws:iam::" + motoAccountID + ":user/" + name }

func TestIAMMotoUsersMFAAndPolicy(t *testing.T) {
	moto := testenv.RequireMoto(t)
	ctx := context.Background()
	client := iam.NewFromConfig(sdkConfig(moto.Endpoint, "us-east-1"))
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []string{"alice", "bob", "svc-deploy"} {
		must(client.CreateUser(ctx, &iam.CreateUserInput{UserName: awsv2.String(u)}))
	}
	for _, u := range []string{"alice", "bob"} {
		must(client.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: awsv2.String(u), Password: awsv2.String("Correct-Horse-9!")}))
	}
	dev, err := client.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: awsv2.String("alice-phone")})
	if err != nil {
		t.Fatal(err)
	}
	must(client.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{
		UserName: awsv2.String("alice"), SerialNumber: dev.VirtualMFADevice.SerialNumber,
		AuthenticationCode1: awsv2.String("123456"), AuthenticationCode2: awsv2.String("654321"),
	}))
	must(client.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: awsv2.String("svc-deploy")}))
	must(client.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{
		MinimumPasswordLength: awsv2.Int32(14), PasswordReusePrevention: awsv2.Int32(24),
		RequireUppercaseCharacters: true, RequireLowercaseCharacters: true, RequireNumbers: true, RequireSymbols: true,
	}))

	set := collectWith(t, storageEnv(moto.Endpoint), awscol.IAMFactory, iamAllChecks...)
	// moto stamps credentials with the wall clock, so judge at that time.
	findings := evaluateAt(t, set, time.Now().UTC(), nil, iamAllChecks...)
	acct := "aws:" + motoAccountID

	wantStatus(t, findingOf(t, findings, "aws.iam.console_mfa", motoUserARN("alice")), controls.StatusPass, "console user has MFA")
	wantStatus(t, findingOf(t, findings, "aws.iam.console_mfa", motoUserARN("bob")), controls.StatusFail, "console user without MFA")
	if got := len(findingsOf(findings, "aws.iam.console_mfa")); got != 2 {
		t.Errorf("%d console-MFA findings, want 2 (svc-deploy has no password)", got)
	}
	var alice awscol.IAMUser
	if err := itemOf(t, set, awscol.KindIAMUser, motoUserARN("alice")).Decode(&alice); err != nil {
		t.Fatal(err)
	}
	if len(alice.MFADevices) != 1 {
		t.Errorf("alice MFA devices = %v, want the virtual device", alice.MFADevices)
	}
	wantStatus(t, findingOf(t, findings, "aws.iam.access_key_rotation", motoUserARN("svc-deploy")), controls.StatusPass, "key 1 last rotated")
	wantStatus(t, findingOf(t, findings, "aws.iam.unused_credentials", motoUserARN("svc-deploy")), controls.StatusPass, "grace period")
	wantStatus(t, findingOf(t, findings, "aws.iam.password_policy", acct), controls.StatusPass, "meets every requirement")
	// moto cannot set root MFA and its report has no root row.
	wantStatus(t, findingOf(t, findings, "aws.iam.root_mfa", acct), controls.StatusFail, "root user has no MFA")
	wantStatus(t, findingOf(t, findings, "aws.iam.root_access_keys", acct), controls.StatusPass, "GetAccountSummary")
	wantStatus(t, findingOf(t, findings, "aws.iam.root_usage", acct), controls.StatusError, "no <root_account> row")

	must(client.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: awsv2.Int32(8), RequireNumbers: true}))
	set = collectWith(t, storageEnv(moto.Endpoint), awscol.IAMFactory, "aws.iam.password_policy")
	f := findingOf(t, evaluateChecks(t, set, nil, "aws.iam.password_policy"), "aws.iam.password_policy", acct)
	wantStatus(t, f, controls.StatusFail, "minimum length ≥ 14, reuse prevention ≥ 24, uppercase letters, lowercase letters, symbols")
	loose := evaluateChecks(t, set, map[string]controls.Params{"aws.iam.password_policy": {
		"min_length": 8, "reuse_prevention": 0, "require_uppercase": false, "require_lowercase": false, "require_symbols": false,
	}}, "aws.iam.password_policy")
	wantStatus(t, findingOf(t, loose, "aws.iam.password_policy", acct), controls.StatusPass, "")
}

func TestIAMMotoFreshAccount(t *testing.T) {
	moto := testenv.RequireMoto(t)
	client := iam.NewFromConfig(sdkConfig(moto.Endpoint, "us-east-1"))
	if _, err := client.CreateUser(context.Background(), &iam.CreateUserInput{UserName: awsv2.String("dana")}); err != nil {
		t.Fatal(err)
	}
	set := collectWith(t, storageEnv(moto.Endpoint), awscol.IAMFactory, "aws.iam.unused_credentials", "aws.iam.password_policy")
	policy := findingOf(t, evaluateChecks(t, set, nil, "aws.iam.password_policy"), "aws.iam.password_policy", "aws:"+motoAccountID)
	wantStatus(t, policy, controls.StatusFail, "no custom password policy set; AWS default in effect")
	var report awscol.IAMCredentialReport
	if err := itemOf(t, set, awscol.KindIAMCredentialReport, "aws:"+motoAccountID).Decode(&report); err != nil {
		t.Fatal(err)
	}
	if report.UserRows != 1 || !report.Consistent() || report.GeneratedTime == nil {
		t.Errorf("report = %+v, want one user matching ListUsers and a generation time", report)
	}
}
