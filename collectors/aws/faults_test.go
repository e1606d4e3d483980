package aws_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	awsv2 "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/auditpack/auditpack/collectors"
	awscol "github.com/auditpack/auditpack/collectors/aws"
	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/internal/testenv"
)

// startProxy puts a fault proxy in front of moto.
func startProxy(t *testing.T, target string, rules ...testenv.FaultRule) *testenv.FaultProxy {
	t.Helper()
	p, err := testenv.StartFaultProxy(testenv.FaultProxyOptions{Target: target, Rules: rules, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// collectAll runs the collectors of several factories in one run.
func collectAll(t *testing.T, env *collectors.Env, checks []string, factories ...collectors.Factory) *evidence.Set {
	t.Helper()
	var list []collectors.Collector
	for _, f := range factories {
		built, err := f.Build(env)
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, built...)
	}
	return runCollectors(t, list, checks...)
}

// seedSmallAccount creates a handful of buckets, users and one trail.
func seedSmallAccount(t *testing.T, endpoint string, buckets []string) {
	t.Helper()
	seedBuckets(t, endpoint, buckets)
	ctx := context.Background()
	client := iam.NewFromConfig(sdkConfig(endpoint, "us-east-1"))
	for _, u := range []string{"ana", "ben", "cho"} {
		if _, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: awsv2.String(u)}); err != nil {
			t.Fatal(err)
		}
	}
	createBucket(t, endpoint, "acme-trail-logs", "us-east-1")
	ct := cloudtrail.NewFromConfig(sdkConfig(endpoint, "us-east-1"))
	if _, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: awsv2.String("main"), S3BucketName: awsv2.String("acme-trail-logs"), IsMultiRegionTrail: awsv2.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: awsv2.String("main")}); err != nil {
		t.Fatal(err)
	}
}

// seedBuckets creates buckets that pass the encryption, versioning and
// Block Public Access checks.
func seedBuckets(t *testing.T, endpoint string, buckets []string) {
	t.Helper()
	for _, b := range buckets {
		createBucket(t, endpoint, b, "us-east-1")
		putEncryption(t, endpoint, "us-east-1", b, s3types.ServerSideEncryptionAes256, "")
		putVersioning(t, endpoint, "us-east-1", b, s3types.BucketVersioningStatusEnabled)
		putBucketBlock(t, endpoint, "us-east-1", b, true, true, true, true)
	}
}

var storageChecks = []string{
	"aws.s3.default_encryption", "aws.s3.versioning", "aws.s3.public_access_block",
	"aws.iam.console_mfa", "aws.iam.access_key_rotation", "aws.iam.unused_credentials",
	"aws.cloudtrail.multi_region", "aws.cloudtrail.logging", "aws.cloudtrail.log_file_validation",
}

func TestThrottlingOnThirtyPercentLosesNothing(t *testing.T) {
	moto := testenv.RequireMoto(t)
	buckets := []string{"acme-a", "acme-b", "acme-c", "acme-d"}
	seedSmallAccount(t, moto.Endpoint, buckets)
	proxy := startProxy(t, moto.Endpoint, testenv.FaultRule{Fault: testenv.FaultThrottle, Fraction: 0.3})

	env := storageEnv(proxy.URL)
	env.Config.AWS.MaxAttempts = 20
	set := collectAll(t, env, storageChecks, awscol.S3Factory, awscol.IAMFactory, awscol.CloudTrailFactory)

	if n := proxy.Injected(testenv.FaultThrottle); n == 0 {
		t.Fatal("the proxy injected no throttling")
	}
	if len(set.Failures) != 0 {
		t.Errorf("failures under throttling: %+v", set.Failures)
	}
	if got := len(set.ByKind(awscol.KindS3Bucket)); got != len(buckets)+1 {
		t.Errorf("%d buckets, want %d", got, len(buckets)+1)
	}
	if got := len(set.ByKind(awscol.KindIAMUser)); got != 3 {
		t.Errorf("%d IAM users, want 3", got)
	}
	if got := len(set.ByKind(awscol.KindCloudTrailTrail)); got != 1 {
		t.Errorf("%d trails, want 1", got)
	}
	retried := 0
	for _, it := range set.Items {
		if len(it.Errors) > 0 {
			t.Errorf("%s %s has errors under throttling: %v", it.Kind, it.Resource, it.Errors)
		}
		for _, p := range it.Provenance {
			if p.Attempts > 1 {
				retried++
			}
		}
	}
	if retried == 0 {
		t.Error("no provenance records a retried call")
	}
	for _, f := range evaluateChecks(t, set, nil, storageChecks...) {
		if f.Status == controls.StatusError {
			t.Errorf("error finding under throttling: %s %s: %s", f.CheckID, f.Resource, f.Message)
		}
	}
}

func TestS3_05_AccessDeniedOnOneBucket(t *testing.T) {
	moto := testenv.RequireMoto(t)
	seedBuckets(t, moto.Endpoint, []string{"acme-app-data", "acme-ses-inbound", "acme-backups"})
	var rules []testenv.FaultRule
	for _, op := range []string{"GetBucketEncryption", "GetBucketVersioning", "GetPublicAccessBlock"} {
		rules = append(rules, testenv.FaultRule{Service: "s3", Bucket: "acme-ses-inbound", Operation: op, Fault: testenv.FaultAccessDenied})
	}
	proxy := startProxy(t, moto.Endpoint, rules...)

	checks := []string{"aws.s3.default_encryption", "aws.s3.versioning", "aws.s3.public_access_block"}
	set := collectWith(t, storageEnv(proxy.URL), awscol.S3Factory, checks...)
	for _, b := range []string{"acme-app-data", "acme-ses-inbound", "acme-backups"} {
		itemOf(t, set, awscol.KindS3Bucket, bucketARN(b))
	}
	cat := controls.MustCatalog()
	reg, err := controls.DefaultRegistry(cat)
	if err != nil {
		t.Fatal(err)
	}
	selected, err := reg.Select(checks, nil)
	if err != nil {
		t.Fatal(err)
	}
	findings, criteria := controls.Evaluate(cat, reg, selected, set, controls.EvalOptions{Now: evalNow, Period: q4(t)})

	ops := map[string]string{
		"aws.s3.default_encryption":  "s3:GetBucketEncryption",
		"aws.s3.versioning":          "s3:GetBucketVersioning",
		"aws.s3.public_access_block": "s3:GetPublicAccessBlock",
	}
	for check, op := range ops {
		denied := findingOf(t, findings, check, bucketARN("acme-ses-inbound"))
		wantStatus(t, denied, controls.StatusError, op+" failed with AccessDenied")
		for _, b := range []string{"acme-app-data", "acme-backups"} {
			wantStatus(t, findingOf(t, findings, check, bucketARN(b)), controls.StatusPass, "")
		}
	}
	for _, c := range criteria {
		if c.ID == "CC6.1" && c.Status == controls.CriterionPass {
			t.Errorf("CC6.1 is pass while a bucket could not be read")
		}
	}
	results := controls.Results{Findings: findings}
	if code := results.ExitCode(controls.Threshold("high")); code != 2 {
		t.Errorf("exit code %d with --fail-on high, want 2 (evidence incomplete)", code)
	}
}

func TestDeniedRegionErrorsOnlyThatRegion(t *testing.T) {
	moto := testenv.RequireMoto(t)
	ctx := context.Background()
	createBucket(t, moto.Endpoint, "acme-virginia", "us-east-1")
	putVersioning(t, moto.Endpoint, "us-east-1", "acme-virginia", s3types.BucketVersioningStatusEnabled)
	createBucket(t, moto.Endpoint, "acme-stockholm", "eu-north-1")
	createBucket(t, moto.Endpoint, "acme-trail-logs", "us-east-1")
	for _, region := range []string{"us-east-1", "eu-north-1"} {
		ct := cloudtrail.NewFromConfig(sdkConfig(moto.Endpoint, region))
		if _, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: awsv2.String("trail-" + region), S3BucketName: awsv2.String("acme-trail-logs")}); err != nil {
			t.Fatal(err)
		}
	}
	proxy := startProxy(t, moto.Endpoint, testenv.FaultRule{Region: "eu-north-1", Fault: testenv.FaultAccessDenied})

	checks := []string{"aws.s3.versioning", "aws.cloudtrail.logging", "aws.cloudtrail.log_file_validation", "aws.cloudtrail.multi_region"}
	set := collectAll(t, storageEnv(proxy.URL, "us-east-1", "eu-north-1"), checks, awscol.S3Factory, awscol.CloudTrailFactory)
	findings := evaluateChecks(t, set, nil, checks...)

	regionScope := "aws:" + motoAccountID + ":eu-north-1"
	for _, c := range []string{"aws.cloudtrail.logging", "aws.cloudtrail.log_file_validation", "aws.cloudtrail.multi_region"} {
		wantStatus(t, findingOf(t, findings, c, regionScope), controls.StatusError, "cloudtrail:DescribeTrails failed with AccessDeniedException")
	}
	trailARN := "arn:aws:cloudtrail:us-east-1:" + motoAccountID + ":trail/trail-us-east-1"
	wantStatus(t, findingOf(t, findings, "aws.cloudtrail.log_file_validation", trailARN), controls.StatusFail, "disabled")
	wantStatus(t, findingOf(t, findings, "aws.s3.versioning", bucketARN("acme-virginia")), controls.StatusPass, "enabled")
	wantStatus(t, findingOf(t, findings, "aws.s3.versioning", bucketARN("acme-stockholm")), controls.StatusError, "AccessDenied")
	for _, f := range findings {
		if f.Status == controls.StatusError && f.Resource != regionScope && f.Resource != bucketARN("acme-stockholm") {
			t.Errorf("error outside the refused region: %s %s: %s", f.CheckID, f.Resource, f.Message)
		}
	}
}

// throttlingS3Fake returns SlowDown from GetBucketVersioning the first
// `times` attempts (every attempt when times < 0) and counts attempts.
func throttlingS3Fake(t *testing.T, times int, listThrottled bool) (*fakeAWS, *atomic.Int32) {
	t.Helper()
	attempts := new(atomic.Int32)
	fake := newFakeAWS(t, func(w http.ResponseWriter, r *http.Request, info testenv.RequestInfo) bool {
		if info.Service != "s3" {
			return false
		}
		switch info.Operation {
		case "ListBuckets":
			if listThrottled {
				testenv.WriteAWSError(w, info.Protocol, testenv.AWSError{Status: http.StatusServiceUnavailable, Code: "SlowDown", Message: "Please reduce your request rate."})
				return true
			}
			writeXML(w, `<ListAllMyBucketsResult `+s3NS+`><Buckets><Bucket><Name>acme-a</Name><BucketRegion>us-east-1</BucketRegion></Bucket><Bucket><Name>acme-b</Name><BucketRegion>us-east-1</BucketRegion></Bucket><Bucket><Name>acme-c</Name><BucketRegion>us-east-1</BucketRegion></Bucket></Buckets></ListAllMyBucketsResult>`)
			return true
		case "GetBucketVersioning":
			if info.Bucket == "acme-b" {
				n := attempts.Add(1)
				if times < 0 || int(n) <= times {
					testenv.WriteAWSError(w, info.Protocol, testenv.AWSError{Status: http.StatusServiceUnavailable, Code: "SlowDown", Message: "Please reduce your request rate."})
					return true
				}
			}
			writeXML(w, `<VersioningConfiguration `+s3NS+`><Status>Enabled</Status></VersioningConfiguration>`)
			return true
		}
		return false
	})
	return fake, attempts
}

func TestTHR_01_S3ThrottledFourTimesThenAnswers(t *testing.T) {
	fake, attempts := throttlingS3Fake(t, 4, false)
	check := "aws.s3.versioning"
	set := collectWith(t, storageEnv(fake.URL), awscol.S3Factory, check)

	if got := attempts.Load(); got != 5 {
		t.Errorf("GetBucketVersioning of acme-b attempted %d times, want 5", got)
	}
	it := itemOf(t, set, awscol.KindS3Bucket, bucketARN("acme-b"))
	found := false
	for _, p := range it.Provenance {
		if p.Operation == "s3:GetBucketVersioning" {
			found = true
			if p.Attempts != 5 {
				t.Errorf("provenance attempts = %d, want 5 (4 retries)", p.Attempts)
			}
		}
	}
	if !found {
		t.Error("no provenance for s3:GetBucketVersioning")
	}
	findings := evaluateChecks(t, set, nil, check)
	for _, b := range []string{"acme-a", "acme-b", "acme-c"} {
		wantStatus(t, findingOf(t, findings, check, bucketARN(b)), controls.StatusPass, "versioning enabled")
	}
}

func TestTHR_01_S3ThrottledOnEveryAttempt(t *testing.T) {
	fake, attempts := throttlingS3Fake(t, -1, false)
	check := "aws.s3.versioning"
	findings := evaluateChecks(t, collectWith(t, storageEnv(fake.URL), awscol.S3Factory, check), nil, check)

	f := findingOf(t, findings, check, bucketARN("acme-b"))
	wantStatus(t, f, controls.StatusError, "s3:GetBucketVersioning failed with SlowDown after 10 attempts")
	if got := attempts.Load(); got != 10 {
		t.Errorf("%d attempts, want aws.max_attempts = 10", got)
	}
	wantStatus(t, findingOf(t, findings, check, bucketARN("acme-a")), controls.StatusPass, "")
}

func TestTHR_01_FailedListIsNeverEmptyList(t *testing.T) {
	t.Run("ListBuckets", func(t *testing.T) {
		fake, _ := throttlingS3Fake(t, 0, true)
		checks := []string{"aws.s3.versioning", "aws.s3.default_encryption"}
		set := collectWith(t, storageEnv(fake.URL), awscol.S3Factory, checks...)
		findings := evaluateChecks(t, set, nil, checks...)
		for _, c := range checks {
			wantStatus(t, findingOf(t, findings, c, "aws:"+fakeAccount), controls.StatusError, "s3:ListBuckets failed with SlowDown after 10 attempts")
		}
		wantOnlyErrors(t, findings)
	})
	t.Run("ListUsers", func(t *testing.T) {
		fake := iamFake(t, iamScript{report: reportCSV(dana), listUsersThrottled: true})
		checks := []string{"aws.iam.console_mfa"}
		findings := evaluateChecks(t, collectWith(t, storageEnv(fake.URL), awscol.IAMFactory, checks...), nil, checks...)
		wantStatus(t, findingOf(t, findings, "aws.iam.console_mfa", "aws:"+fakeAccount), controls.StatusError, "iam:ListUsers failed with ThrottlingException after 10 attempts")
	})
	t.Run("DescribeTrails", func(t *testing.T) {
		fake := newFakeAWS(t, func(w http.ResponseWriter, r *http.Request, info testenv.RequestInfo) bool {
			if info.Service == "cloudtrail" {
				testenv.WriteAWSError(w, info.Protocol, testenv.AWSError{Status: http.StatusBadRequest, Code: "ThrottlingException", Message: "Rate exceeded"})
				return true
			}
			return false
		})
		checks := []string{"aws.cloudtrail.multi_region", "aws.cloudtrail.logging"}
		findings := evaluateChecks(t, collectWith(t, storageEnv(fake.URL), awscol.CloudTrailFactory, checks...), nil, checks...)
		for _, c := range checks {
			wantStatus(t, findingOf(t, findings, c, "aws:"+fakeAccount+":us-east-1"), controls.StatusError, "ThrottlingException after 10 attempts")
		}
		wantOnlyErrors(t, findings)
	})
}

// wantOnlyErrors fails when a finding other than error appears where no
// evidence could be read.
func wantOnlyErrors(t *testing.T, findings []controls.Finding) {
	t.Helper()
	if len(findings) == 0 {
		t.Fatal("no findings: a failed list call produced nothing")
	}
	for _, f := range findings {
		if f.Status != controls.StatusError {
			t.Errorf("%s %s is %s (%q), want error", f.CheckID, f.Resource, f.Status, strings.TrimSpace(f.Message))
		}
	}
}

func TestServerErrorNamesOperationCodeAndAttempts(t *testing.T) {
	fake := s3Fake(t, []string{"acme-a"}, map[string]map[string]s3Reply{
		"acme-a": {"GetBucketPolicy": s3Error(http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")},
	}, nil)
	check := "aws.s3.tls_only"
	findings := evaluateChecks(t, collectWith(t, storageEnv(fake.URL), awscol.S3Factory, check), nil, check)
	wantStatus(t, findingOf(t, findings, check, bucketARN("acme-a")), controls.StatusError, "s3:GetBucketPolicy failed with InternalError after 10 attempts")
	if got := fake.CountOf("s3:GetBucketPolicy"); got != 10 {
		t.Errorf("GetBucketPolicy sent %d times, want 10", got)
	}
}

func TestEvidenceHoldsNoCredentials(t *testing.T) {
	const keyID, secret = "AKIAAUDITPACKTEST123", "auditpack-secret-never-in-evidence"
	t.Setenv("AWS_ACCESS_KEY_ID", keyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	moto := testenv.RequireMoto(t)
	if err := testenv.SeedDemoS3IAMCloudTrail(context.Background(), moto.Endpoint); err != nil {
		t.Fatal(err)
	}
	// Denied calls put error messages into the evidence too.
	proxy := startProxy(t, moto.Endpoint, testenv.FaultRule{Service: "s3", Operation: "GetBucketPolicy", Fault: testenv.FaultAccessDenied})
	checks := append([]string{"aws.s3.tls_only"}, storageChecks...)
	set := collectAll(t, storageEnv(proxy.URL), checks, awscol.S3Factory, awscol.IAMFactory, awscol.CloudTrailFactory)
	files, err := set.Files()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no evidence written")
	}
	for name, data := range files {
		for _, s := range []string{keyID, secret} {
			if strings.Contains(string(data), s) {
				t.Errorf("%s contains a credential", name)
			}
		}
	}
	for _, f := range evaluateChecks(t, set, nil, checks...) {
		if strings.Contains(f.Message, keyID) || strings.Contains(f.Message, secret) {
			t.Errorf("finding %s %s contains a credential", f.CheckID, f.Resource)
		}
	}
}
