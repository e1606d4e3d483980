package controls

import (
	"strings"
	"testing"
	"time"

	awscol "github.com/auditpack/auditpack/collectors/aws"
	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/internal/period"
)

var storageNow = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

// evalStorageCheck runs one check over items at storageNow in 2026-Q4.
func evalStorageCheck(t *testing.T, id string, params Params, items ...*evidence.Item) []Finding {
	t.Helper()
	cat := MustCatalog()
	reg, err := NewRegistry(cat, awsS3Checks, awsIAMChecks, awsCloudTrailChecks)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := reg.Lookup(id)
	if !ok {
		t.Fatalf("no check %s", id)
	}
	q4, err := period.Parse("2026-Q4", storageNow)
	if err != nil {
		t.Fatal(err)
	}
	set := &evidence.Set{Items: items}
	set.Sort()
	fs, _ := Evaluate(cat, reg, []*Check{c}, set, EvalOptions{Now: storageNow, Period: q4, Params: map[string]Params{id: params}})
	return fs
}

// onlyFinding returns the single finding, failing the test otherwise.
func onlyFinding(t *testing.T, fs []Finding) Finding {
	t.Helper()
	if len(fs) != 1 {
		var b strings.Builder
		for _, f := range fs {
			b.WriteString("\n  " + f.Resource + " " + string(f.Status) + ": " + f.Message)
		}
		t.Fatalf("%d findings, want 1:%s", len(fs), b.String())
	}
	return fs[0]
}

func expectFinding(t *testing.T, f Finding, status Status, contains string) {
	t.Helper()
	if f.Status != status {
		t.Errorf("status %s (%q), want %s", f.Status, f.Message, status)
	}
	if !strings.Contains(f.Message, contains) {
		t.Errorf("message %q, want it to contain %q", f.Message, contains)
	}
}

func bucketItem(b awscol.S3Bucket) *evidence.Item {
	if b.Region == "" {
		b.Region = "us-east-1"
	}
	it := evidence.MustItem(awscol.KindS3Bucket, "aws.s3", "arn:aws:s3:::"+b.Name, b)
	it.Provenance = []evidence.Provenance{{Operation: "s3:ListBuckets", Account: "111122223333", Time: storageNow}}
	return it
}

func TestS3TLSOnlyPolicyShapes(t *testing.T) {
	const arn = "arn:aws:s3:::acme"
	stmt := func(principal, action, resource, condition string) string {
		return `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":` + principal + `,"Action":` + action +
			`,"Resource":` + resource + `,"Condition":` + condition + `}}`
	}
	both := `["arn:aws:s3:::acme","arn:aws:s3:::acme/*"]`
	insecure := `{"Bool":{"aws:SecureTransport":"false"}}`
	cases := []struct {
		name, doc string
		ok        bool
		reason    string
	}{
		{"string principal", stmt(`"*"`, `"s3:*"`, both, insecure), true, ""},
		{"AWS principal list", stmt(`{"AWS":["*"]}`, `["s3:*"]`, both, insecure), true, ""},
		{"JSON boolean and lower-case key", stmt(`"*"`, `"*"`, both, `{"Bool":{"aws:securetransport":false}}`), true, ""},
		{"BoolIfExists", stmt(`"*"`, `"s3:*"`, both, `{"BoolIfExists":{"aws:SecureTransport":"false"}}`), true, ""},
		{"wildcard resource", stmt(`"*"`, `"s3:*"`, `"arn:aws:s3:::acme*"`, insecure), true, ""},
		{"one principal", stmt(`{"AWS":"arn:aws:iam::111122223333:root"}`, `"s3:*"`, both, insecure), false, "every principal"},
		{"some actions", stmt(`"*"`, `["s3:GetObject","s3:PutObject"]`, both, insecure), false, "s3:GetObject, s3:PutObject"},
		{"objects only", stmt(`"*"`, `"s3:*"`, `"arn:aws:s3:::acme/*"`, insecure), false, "does not cover arn:aws:s3:::acme"},
		{"narrowed by another condition", stmt(`"*"`, `"s3:*"`, both, `{"Bool":{"aws:SecureTransport":"false"},"StringEquals":{"aws:SourceVpc":"vpc-1"}}`), false, "no Deny statement"},
		{"secure transport true", stmt(`"*"`, `"s3:*"`, both, `{"Bool":{"aws:SecureTransport":"true"}}`), false, "no Deny statement"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ok, reason, err := s3DeniesInsecureTransport(c.doc, arn)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if ok != c.ok {
				t.Errorf("denies insecure transport = %t (%s), want %t", ok, reason, c.ok)
			}
			if !strings.Contains(reason, c.reason) {
				t.Errorf("reason %q, want it to contain %q", reason, c.reason)
			}
		})
	}
	if _, _, err := s3DeniesInsecureTransport("{not json", arn); err == nil {
		t.Error("a malformed policy parsed without error")
	}
	f := onlyFinding(t, evalStorageCheck(t, "aws.s3.tls_only", nil, bucketItem(awscol.S3Bucket{Name: "acme", Policy: &awscol.S3Policy{Present: true, Document: "{not json"}})))
	expectFinding(t, f, StatusError, "could not be parsed")
}

func TestS3ObjectLockModes(t *testing.T) {
	days := int32(30)
	years := int32(7)
	cases := []struct {
		name   string
		lock   awscol.S3ObjectLock
		status Status
		msg    string
	}{
		{"governance", awscol.S3ObjectLock{Configured: true, Enabled: "Enabled", Mode: "GOVERNANCE", Years: &years}, StatusPass, "s3:BypassGovernanceRetention"},
		{"days and years", awscol.S3ObjectLock{Configured: true, Enabled: "Enabled", Mode: "COMPLIANCE", Days: &days, Years: &years}, StatusPass, "7 years and 30 days"},
		{"zero years as moto returns", awscol.S3ObjectLock{Configured: true, Enabled: "Enabled", Mode: "COMPLIANCE", Days: &days, Years: new(int32)}, StatusPass, "default retention 30 days"},
		{"no default rule", awscol.S3ObjectLock{Configured: true, Enabled: "Enabled"}, StatusFail, "no default retention mode"},
		{"not configured", awscol.S3ObjectLock{}, StatusFail, "Object Lock not enabled"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lock := c.lock
			f := onlyFinding(t, evalStorageCheck(t, "aws.s3.object_lock", nil, bucketItem(awscol.S3Bucket{Name: "acme-archive", Archive: true, ObjectLock: &lock})))
			expectFinding(t, f, c.status, c.msg)
		})
	}
	if fs := evalStorageCheck(t, "aws.s3.object_lock", nil, bucketItem(awscol.S3Bucket{Name: "acme-app"})); len(fs) != 0 {
		t.Errorf("a bucket that is not an archive was judged: %+v", fs)
	}
	denied := bucketItem(awscol.S3Bucket{Name: "acme-archive", Archive: true})
	denied.AddError(awscol.S3GroupObjectLock, evidence.CollectError{Operation: "s3:GetObjectLockConfiguration", Code: "AccessDenied"})
	expectFinding(t, onlyFinding(t, evalStorageCheck(t, "aws.s3.object_lock", nil, denied)), StatusError, "s3:GetObjectLockConfiguration failed with AccessDenied")
}

func TestS3LifecycleRetentionRules(t *testing.T) {
	short, long := int32(400), int32(3000)
	date := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		rules  []awscol.S3LifecycleRule
		status Status
		msg    string
	}{
		{"long enough", []awscol.S3LifecycleRule{{ID: "keep", Status: "Enabled", Filter: "all objects", ExpirationDays: &long}}, StatusPass, "no enabled lifecycle rule"},
		{"disabled short rule", []awscol.S3LifecycleRule{{ID: "old", Status: "Disabled", Filter: "all objects", ExpirationDays: &short}}, StatusPass, "no enabled lifecycle rule"},
		{"noncurrent versions", []awscol.S3LifecycleRule{{ID: "nc", Status: "Enabled", Filter: "prefix logs/", NoncurrentDays: &short}}, StatusFail, "deletes noncurrent versions of prefix logs/ after 400 days"},
		{"fixed date", []awscol.S3LifecycleRule{{ID: "sunset", Status: "Enabled", Filter: "all objects", ExpirationDate: &date}}, StatusReview, "on 2027-01-01"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lc := &awscol.S3Lifecycle{Configured: true, Rules: c.rules}
			f := onlyFinding(t, evalStorageCheck(t, "aws.s3.lifecycle_retention", nil, bucketItem(awscol.S3Bucket{Name: "acme-archive", Archive: true, Lifecycle: lc})))
			expectFinding(t, f, c.status, c.msg)
		})
	}
	none := &awscol.S3Lifecycle{Rules: []awscol.S3LifecycleRule{}}
	f := onlyFinding(t, evalStorageCheck(t, "aws.s3.lifecycle_retention", nil, bucketItem(awscol.S3Bucket{Name: "acme-archive", Archive: true, Lifecycle: none})))
	expectFinding(t, f, StatusPass, "no lifecycle configuration")
	lc := &awscol.S3Lifecycle{Configured: true, Rules: []awscol.S3LifecycleRule{{ID: "y", Status: "Enabled", Filter: "all objects", ExpirationDays: &short}}}
	f = onlyFinding(t, evalStorageCheck(t, "aws.s3.lifecycle_retention", Params{"min_days": 365}, bucketItem(awscol.S3Bucket{Name: "acme-archive", Archive: true, Lifecycle: lc})))
	expectFinding(t, f, StatusPass, "365 days")
}

func TestS3RegionErrorIsErrorForEveryGroup(t *testing.T) {
	it := bucketItem(awscol.S3Bucket{Name: "acme-lost"})
	it.AddError(awscol.S3GroupRegion, evidence.CollectError{Operation: "s3:GetBucketLocation", Code: "AccessDenied"})
	for _, id := range []string{"aws.s3.default_encryption", "aws.s3.versioning", "aws.s3.public_access_block", "aws.s3.tls_only"} {
		expectFinding(t, onlyFinding(t, evalStorageCheck(t, id, nil, it)), StatusError, "s3:GetBucketLocation failed with AccessDenied")
	}
}

func TestS3EncryptionRuleWithoutFieldsNeverPasses(t *testing.T) {
	it := bucketItem(awscol.S3Bucket{Name: "acme", Encryption: &awscol.S3Encryption{Configured: true, Rules: []awscol.S3EncryptionRule{{}}}})
	expectFinding(t, onlyFinding(t, evalStorageCheck(t, "aws.s3.default_encryption", nil, it)), StatusReview, "rule has no default algorithm")
	empty := bucketItem(awscol.S3Bucket{Name: "acme", Encryption: &awscol.S3Encryption{Configured: true}})
	expectFinding(t, onlyFinding(t, evalStorageCheck(t, "aws.s3.default_encryption", nil, empty)), StatusReview, "rule has no default algorithm")
}

func TestStorageChecksDeclareEverything(t *testing.T) {
	for _, group := range [][]*Check{awsS3Checks, awsIAMChecks, awsCloudTrailChecks} {
		for _, c := range group {
			if c.Title == "" || c.Description == "" || len(c.Collectors) == 0 || len(c.Kinds) == 0 || len(c.Calls) == 0 {
				t.Errorf("%s lacks a title, description, collectors, kinds or calls", c.ID)
			}
			for _, call := range c.Calls {
				if service, op, ok := strings.Cut(call, ":"); !ok || service == "" || op == "" {
					t.Errorf("%s: call %q is not service:Operation", c.ID, call)
				}
			}
			for _, p := range c.Params {
				if p.Default == nil || p.Loosest == nil || p.Description == "" {
					t.Errorf("%s: parameter %s lacks a default, a loosest value or a description", c.ID, p.Name)
				}
			}
		}
	}
}

func TestS3BlockPublicAccessBucketUnreadable(t *testing.T) {
	denied := func() *evidence.Item {
		it := bucketItem(awscol.S3Bucket{Name: "acme-denied"})
		it.AddError(awscol.S3GroupPublicAccessBlock, evidence.CollectError{Operation: "s3:GetPublicAccessBlock", Code: "AccessDenied"})
		return it
	}
	account := func(on bool) *evidence.Item {
		block := awscol.S3PublicAccessBlock{Configured: true, BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: on}
		return evidence.MustItem(awscol.KindS3Account, "aws.s3", storageAccount, awscol.S3Account{PublicAccessBlock: &block})
	}
	f := onlyFinding(t, evalStorageCheck(t, "aws.s3.public_access_block", nil, denied(), account(true)))
	expectFinding(t, f, StatusPass, "bucket-level unreadable: s3:GetPublicAccessBlock failed with AccessDenied")
	f = onlyFinding(t, evalStorageCheck(t, "aws.s3.public_access_block", nil, denied(), account(false)))
	expectFinding(t, f, StatusError, "s3:GetPublicAccessBlock failed with AccessDenied")
	f = onlyFinding(t, evalStorageCheck(t, "aws.s3.public_access_block", nil, denied()))
	expectFinding(t, f, StatusError, "AccessDenied")
}
