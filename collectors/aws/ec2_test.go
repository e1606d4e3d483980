package aws_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	awsv2 "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	awscol "github.com/auditpack/auditpack/collectors/aws"
	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/internal/testenv"
)

const ebsCheck = awscol.CheckEBSDefaultEncryption

// motoAccount is the account moto's STS reports.
const motoAccount = "123456789012"

func enableEBSEncryption(t *testing.T, endpoint string, regions ...string) {
	t.Helper()
	for _, r := range regions {
		client := ec2.NewFromConfig(harnessSDKConfig(endpoint, r))
		if _, err := client.EnableEbsEncryptionByDefault(context.Background(), &ec2.EnableEbsEncryptionByDefaultInput{}); err != nil {
			t.Fatalf("enable EBS encryption in %s: %v", r, err)
		}
	}
}

// recordedDefaultKey returns EC2's GetEbsDefaultKmsKeyId response with the
// key that keys maps the request's region to.
func recordedDefaultKey(keys map[string]string) intercept {
	return func(call interceptedCall) (int, string, bool) {
		key, ok := keys[call.Region]
		if call.Action != "GetEbsDefaultKmsKeyId" || !ok {
			return 0, "", false
		}
		return 200, fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<GetEbsDefaultKmsKeyIdResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
    <requestId>5d3c2b1a-0000-4000-8000-000000000001</requestId>
    <kmsKeyId>%s</kmsKeyId>
</GetEbsDefaultKmsKeyIdResponse>`, key), true
	}
}

func TestEBS_01_DefaultEncryptionPerRegion(t *testing.T) {
	moto := testenv.RequireMoto(t)
	enableEBSEncryption(t, moto.Endpoint, "eu-west-1", "ap-south-1")
	cmk := "arn:aws:kms:ap-south-1:" + motoAccount + ":key/5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"
	proxy := newInterceptProxy(t, moto.Endpoint, recordedDefaultKey(map[string]string{
		"eu-west-1":  "alias/aws/ebs",
		"ap-south-1": cmk,
	}))

	env := harnessEnv(proxy.URL, "us-east-1", "eu-west-1", "ap-south-1")
	set := harnessCollect(t, env, awscol.EC2Factory, harnessNow, ebsCheck)
	findings := harnessEvaluate(t, set, harnessNow, nil, ebsCheck)

	if len(findings) != 3 {
		t.Fatalf("got %d findings, want one per region:%s", len(findings), harnessDump(findings))
	}
	off := harnessFinding(t, findings, ebsCheck, "aws:"+motoAccount+":us-east-1")
	if off.Status != controls.StatusFail {
		t.Errorf("us-east-1 status = %s, want fail", off.Status)
	}
	if !strings.Contains(off.Message, "0 volumes currently in region") {
		t.Errorf("us-east-1 message = %q, want the 0-volume context", off.Message)
	}
	if proxy.Calls("GetEbsDefaultKmsKeyId", "us-east-1") != 0 {
		t.Error("GetEbsDefaultKmsKeyId was called in a region with encryption by default off")
	}

	managed := harnessFinding(t, findings, ebsCheck, "aws:"+motoAccount+":eu-west-1")
	if managed.Status != controls.StatusPass {
		t.Errorf("eu-west-1 status = %s, want pass", managed.Status)
	}
	if got := managed.Details["default_key"]; got != "AWS-managed (alias/aws/ebs)" {
		t.Errorf("eu-west-1 default key = %v, want AWS-managed (alias/aws/ebs)", got)
	}
	if !strings.Contains(managed.Message, "AWS-managed (alias/aws/ebs)") {
		t.Errorf("eu-west-1 message = %q, want the key label", managed.Message)
	}

	customer := harnessFinding(t, findings, ebsCheck, "aws:"+motoAccount+":ap-south-1")
	if customer.Status != controls.StatusPass {
		t.Errorf("ap-south-1 status = %s, want pass", customer.Status)
	}
	if got := customer.Details["default_key"]; got != "customer-managed ("+cmk+")" {
		t.Errorf("ap-south-1 default key = %v, want customer-managed with the key ARN", got)
	}
	if got := customer.Details["default_kms_key_id"]; got != cmk {
		t.Errorf("ap-south-1 key id = %v, want %s as returned", got, cmk)
	}
}

func TestEBS_01_RegionNotEnabledHasNoFinding(t *testing.T) {
	moto := testenv.RequireMoto(t)
	env := harnessEnv(moto.Endpoint, "enabled")
	var mu sync.Mutex
	disabledCalls := 0
	awscol.SessionFrom(env).OnCall = func(_, _, region string) {
		mu.Lock()
		defer mu.Unlock()
		if region == "ap-east-1" {
			disabledCalls++
		}
	}
	set := harnessCollect(t, env, awscol.EC2Factory, harnessNow, ebsCheck)
	findings := harnessEvaluate(t, set, harnessNow, nil, ebsCheck)

	if disabledCalls != 0 {
		t.Errorf("%d calls sent to ap-east-1, a region not enabled; want none", disabledCalls)
	}

	// moto lists ap-east-1 as not opted in.
	for _, f := range findings {
		if strings.HasSuffix(f.Resource, ":ap-east-1") {
			t.Errorf("finding for ap-east-1, a region not enabled: %s %s", f.Status, f.Message)
		}
	}
	noted := false
	for _, n := range set.Notes {
		if n.Scope == "aws:"+motoAccount+":ap-east-1" {
			noted = true
		}
	}
	if !noted {
		t.Error("ap-east-1 is not recorded as out of scope")
	}
	harnessFinding(t, findings, ebsCheck, "aws:"+motoAccount+":eu-north-1")
}

func TestEBSDefaultKeyServerErrorKeepsKeyUnknown(t *testing.T) {
	moto := testenv.RequireMoto(t)
	enableEBSEncryption(t, moto.Endpoint, "us-east-1")

	// moto returns HTTP 500 for GetEbsDefaultKmsKeyId on every attempt.
	env := harnessEnv(moto.Endpoint, "us-east-1")
	env.Config.AWS.MaxAttempts = 2
	set := harnessCollect(t, env, awscol.EC2Factory, harnessNow, ebsCheck)
	findings := harnessEvaluate(t, set, harnessNow, nil, ebsCheck)

	f := harnessFinding(t, findings, ebsCheck, "aws:"+motoAccount+":us-east-1")
	if f.Status != controls.StatusPass {
		t.Errorf("status = %s, want pass: the switch was read", f.Status)
	}
	if got := f.Details["default_key"]; got != "unknown" {
		t.Errorf("default key = %v, want unknown", got)
	}
	keyErr, _ := f.Details["default_key_error"].(string)
	if !strings.Contains(keyErr, "ec2:GetEbsDefaultKmsKeyId") || !strings.Contains(keyErr, "after 2 attempts") {
		t.Errorf("default key error = %q, want the operation and the 2 attempts", keyErr)
	}
	items := set.ByKind(awscol.KindEC2Region)
	if len(items) != 1 {
		t.Fatalf("got %d region items, want 1", len(items))
	}
	attempts := 0
	for _, p := range items[0].Provenance {
		if p.Operation == "ec2:GetEbsDefaultKmsKeyId" {
			attempts = p.Attempts
		}
	}
	if attempts != 2 {
		t.Errorf("provenance attempts of GetEbsDefaultKmsKeyId = %d, want 2", attempts)
	}
}

func TestEBSDefaultEncryptionCountsVolumes(t *testing.T) {
	moto := testenv.RequireMoto(t)
	client := ec2.NewFromConfig(harnessSDKConfig(moto.Endpoint, "us-east-1"))
	for _, encrypted := range []bool{false, true} {
		_, err := client.CreateVolume(context.Background(), &ec2.CreateVolumeInput{
			AvailabilityZone: awsv2.String("us-east-1a"), Size: awsv2.Int32(8), Encrypted: awsv2.Bool(encrypted),
		})
		if err != nil {
			t.Fatalf("create volume: %v", err)
		}
	}
	env := harnessEnv(moto.Endpoint, "us-east-1")
	set := harnessCollect(t, env, awscol.EC2Factory, harnessNow, ebsCheck)
	findings := harnessEvaluate(t, set, harnessNow, nil, ebsCheck)

	f := harnessFinding(t, findings, ebsCheck, "aws:"+motoAccount+":us-east-1")
	if f.Status != controls.StatusFail {
		t.Errorf("status = %s, want fail", f.Status)
	}
	if !strings.Contains(f.Message, "2 volumes currently in region") {
		t.Errorf("message = %q, want the volume count", f.Message)
	}
	if got := f.Details["unencrypted_volumes"]; got != 1 {
		t.Errorf("unencrypted volumes = %v, want 1", got)
	}
}

func TestEBSDeniedRegionIsErrorForThatRegionOnly(t *testing.T) {
	moto := testenv.RequireMoto(t)
	proxy := newInterceptProxy(t, moto.Endpoint, func(call interceptedCall) (int, string, bool) {
		if call.Region != "eu-north-1" || call.Action == "" {
			return 0, "", false
		}
		return 403, `<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>5d3c2b1a-0000-4000-8000-000000000002</RequestID></Response>`, true
	})
	env := harnessEnv(proxy.URL, "us-east-1", "eu-north-1")
	set := harnessCollect(t, env, awscol.EC2Factory, harnessNow, ebsCheck)
	findings := harnessEvaluate(t, set, harnessNow, nil, ebsCheck)

	denied := harnessFinding(t, findings, ebsCheck, "aws:"+motoAccount+":eu-north-1")
	if denied.Status != controls.StatusError {
		t.Errorf("eu-north-1 status = %s, want error", denied.Status)
	}
	if !strings.Contains(denied.Message, "ec2:GetEbsEncryptionByDefault") || !strings.Contains(denied.Message, "UnauthorizedOperation") {
		t.Errorf("eu-north-1 message = %q, want the operation and the error code", denied.Message)
	}
	if f := harnessFinding(t, findings, ebsCheck, "aws:"+motoAccount+":us-east-1"); f.Status != controls.StatusFail {
		t.Errorf("us-east-1 status = %s, want fail (assessed despite the denied region)", f.Status)
	}
}

func TestEBSKeyLabel(t *testing.T) {
	cases := map[string]string{
		"alias/aws/ebs": "AWS-managed (alias/aws/ebs)",
		"arn:aws:kms:eu-west-1:111122223333:alias/aws/ebs": "AWS-managed (alias/aws/ebs)",
		"alias/ebs-default":                            "customer-managed (alias/ebs-default)",
		"arn:aws:kms:ap-south-1:111122223333:key/5e6f": "customer-managed (arn:aws:kms:ap-south-1:111122223333:key/5e6f)",
		"": "unknown",
	}
	for in, want := range cases {
		if got := awscol.EBSKeyLabel(in); got != want {
			t.Errorf("EBSKeyLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEBSCheckNotSelectedMakesNoCall(t *testing.T) {
	moto := testenv.RequireMoto(t)
	env := harnessEnv(moto.Endpoint, "us-east-1")
	s := awscol.SessionFrom(env)
	calls := 0
	s.OnCall = func(_, _, _ string) { calls++ }
	set := harnessCollect(t, env, awscol.EC2Factory, harnessNow, "aws.rds.storage_encrypted")
	if calls != 0 {
		t.Errorf("%d API calls made with no EC2 check selected, want 0", calls)
	}
	if n := len(set.ByKind(awscol.KindEC2Region)); n != 0 {
		t.Errorf("%d region items, want 0", n)
	}
}
