package aws_test

import (
	"context"
	"testing"
	"time"

	awscol "github.com/auditpack/auditpack/collectors/aws"
	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/internal/testenv"
)

func TestSeedDemoS3IAMCloudTrail(t *testing.T) {
	moto := testenv.RequireMoto(t)
	if err := testenv.SeedDemoS3IAMCloudTrail(context.Background(), moto.Endpoint); err != nil {
		t.Fatalf("seed: %v", err)
	}
	env := storageEnv(moto.Endpoint, "us-east-1", "eu-west-1")
	env.Config.AWS.ArchiveBuckets = []string{testenv.DemoArchiveBucket}
	checks := []string{
		"aws.s3.default_encryption", "aws.s3.versioning", "aws.s3.public_access_block", "aws.s3.tls_only",
		"aws.s3.object_lock", "aws.s3.lifecycle_retention",
		"aws.iam.root_mfa", "aws.iam.root_access_keys", "aws.iam.console_mfa", "aws.iam.access_key_rotation",
		"aws.iam.unused_credentials", "aws.iam.password_policy",
		"aws.cloudtrail.multi_region", "aws.cloudtrail.logging", "aws.cloudtrail.log_file_validation",
	}
	set := collectAll(t, env, checks, awscol.S3Factory, awscol.IAMFactory, awscol.CloudTrailFactory)
	findings := evaluateAt(t, set, time.Now().UTC(), nil, checks...)

	if got := len(set.ByKind(awscol.KindS3Bucket)); got != 8 {
		t.Errorf("%d buckets seeded, want 8", got)
	}
	acct := "aws:" + motoAccountID
	want := []struct {
		check, resource string
		status          controls.Status
		message         string
	}{
		{"aws.s3.default_encryption", bucketARN("acme-backups"), controls.StatusPass, "DSSE-KMS"},
		{"aws.s3.default_encryption", bucketARN("acme-web-assets"), controls.StatusPass, "SSE-S3"},
		{"aws.s3.default_encryption", bucketARN("acme-tmp"), controls.StatusReview, "no default-encryption configuration"},
		{"aws.s3.versioning", bucketARN("acme-logs"), controls.StatusFail, "suspended"},
		{"aws.s3.versioning", bucketARN("acme-tmp"), controls.StatusFail, "never enabled"},
		{"aws.s3.versioning", bucketARN("acme-eu-customers"), controls.StatusPass, "enabled"},
		{"aws.s3.public_access_block", bucketARN("acme-web-assets"), controls.StatusFail, "BlockPublicPolicy, RestrictPublicBuckets"},
		{"aws.s3.public_access_block", bucketARN("acme-app-data"), controls.StatusPass, "bucket-level"},
		{"aws.s3.tls_only", bucketARN("acme-app-data"), controls.StatusPass, "SecureTransport"},
		{"aws.s3.tls_only", bucketARN("acme-logs"), controls.StatusFail, "no bucket policy"},
		{"aws.s3.object_lock", bucketARN(testenv.DemoArchiveBucket), controls.StatusPass, "COMPLIANCE"},
		{"aws.s3.lifecycle_retention", bucketARN(testenv.DemoArchiveBucket), controls.StatusPass, "2555"},
		{"aws.iam.console_mfa", motoUserARN("alice.admin"), controls.StatusPass, "MFA"},
		{"aws.iam.console_mfa", motoUserARN("bob.dev"), controls.StatusFail, "without MFA"},
		{"aws.iam.password_policy", acct, controls.StatusFail, "minimum length ≥ 14"},
		{"aws.iam.root_mfa", acct, controls.StatusFail, "no MFA"},
		{"aws.cloudtrail.multi_region", acct, controls.StatusPass, "acme-org-trail"},
		{"aws.cloudtrail.logging", trailARN(motoAccountID, "us-east-1", "acme-legacy-trail"), controls.StatusFail, "stopped"},
		{"aws.cloudtrail.log_file_validation", trailARN(motoAccountID, "us-east-1", "acme-org-trail"), controls.StatusPass, "enabled"},
	}
	for _, w := range want {
		wantStatus(t, findingOf(t, findings, w.check, w.resource), w.status, w.message)
	}
}
