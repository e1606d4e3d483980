package aws_test

import (
	"context"
	"testing"

	awsv2 "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	awscol "github.com/auditpack/auditpack/collectors/aws"
	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/internal/testenv"
)

const motoAccountID = "123456789012"

func bucketARN(name string) string { return "arn:aws:s3:::" + name }

func motoS3(endpoint, region string) *s3.Client {
	return s3.NewFromConfig(sdkConfig(endpoint, region), func(o *s3.Options) { o.UsePathStyle = true })
}

// createBucket creates a bucket in region through a client of that region.
func createBucket(t *testing.T, endpoint, name, region string) {
	t.Helper()
	in := &s3.CreateBucketInput{Bucket: awsv2.String(name)}
	if region != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(region)}
	}
	if _, err := motoS3(endpoint, region).CreateBucket(context.Background(), in); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
}

func putEncryption(t *testing.T, endpoint, region, bucket string, alg s3types.ServerSideEncryption, key string) {
	t.Helper()
	def := &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: alg}
	if key != "" {
		def.KMSMasterKeyID = awsv2.String(key)
	}
	_, err := motoS3(endpoint, region).PutBucketEncryption(context.Background(), &s3.PutBucketEncryptionInput{
		Bucket: awsv2.String(bucket),
		ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{
			Rules: []s3types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: def}},
		},
	})
	if err != nil {
		t.Fatalf("put encryption on %s: %v", bucket, err)
	}
}

func putVersioning(t *testing.T, endpoint, region, bucket string, status s3types.BucketVersioningStatus) {
	t.Helper()
	_, err := motoS3(endpoint, region).PutBucketVersioning(context.Background(), &s3.PutBucketVersioningInput{
		Bucket:                  awsv2.String(bucket),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: status},
	})
	if err != nil {
		t.Fatalf("put versioning on %s: %v", bucket, err)
	}
}

func putBucketBlock(t *testing.T, endpoint, region, bucket string, acls, ignore, policy, restrict bool) {
	t.Helper()
	_, err := motoS3(endpoint, region).PutPublicAccessBlock(context.Background(), &s3.PutPublicAccessBlockInput{
		Bucket: awsv2.String(bucket),
		PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
			BlockPublicAcls: awsv2.Bool(acls), IgnorePublicAcls: awsv2.Bool(ignore),
			BlockPublicPolicy: awsv2.Bool(policy), RestrictPublicBuckets: awsv2.Bool(restrict),
		},
	})
	if err != nil {
		t.Fatalf("put public access block on %s: %v", bucket, err)
	}
}

const kmsKeyARN = "arn:aws:kms:us-east-1:123456789012:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"

func TestS3MotoEncryptionAndVersioning(t *testing.T) {
	moto := testenv.RequireMoto(t)
	ep := moto.Endpoint
	createBucket(t, ep, "acme-sse-s3", "us-east-1")
	putEncryption(t, ep, "us-east-1", "acme-sse-s3", s3types.ServerSideEncryptionAes256, "")
	putVersioning(t, ep, "us-east-1", "acme-sse-s3", s3types.BucketVersioningStatusEnabled)
	createBucket(t, ep, "acme-sse-kms", "eu-west-1")
	putEncryption(t, ep, "eu-west-1", "acme-sse-kms", s3types.ServerSideEncryptionAwsKms, kmsKeyARN)
	putVersioning(t, ep, "eu-west-1", "acme-sse-kms", s3types.BucketVersioningStatusEnabled)
	putVersioning(t, ep, "eu-west-1", "acme-sse-kms", s3types.BucketVersioningStatusSuspended)
	createBucket(t, ep, "acme-dsse", "us-east-1")
	putEncryption(t, ep, "us-east-1", "acme-dsse", s3types.ServerSideEncryptionAwsKmsDsse, kmsKeyARN)
	createBucket(t, ep, "acme-plain", "us-east-1")

	checks := []string{"aws.s3.default_encryption", "aws.s3.versioning"}
	set := collectWith(t, storageEnv(ep), awscol.S3Factory, checks...)
	findings := evaluateChecks(t, set, nil, checks...)

	enc := "aws.s3.default_encryption"
	wantStatus(t, findingOf(t, findings, enc, bucketARN("acme-sse-s3")), controls.StatusPass, "SSE-S3 (AES256, S3-managed keys)")
	wantStatus(t, findingOf(t, findings, enc, bucketARN("acme-sse-kms")), controls.StatusPass, "SSE-KMS (KMS key …e9f0)")
	wantStatus(t, findingOf(t, findings, enc, bucketARN("acme-dsse")), controls.StatusPass, "DSSE-KMS (dual-layer, KMS key …e9f0)")
	plain := findingOf(t, findings, enc, bucketARN("acme-plain"))
	wantStatus(t, plain, controls.StatusReview, "no default-encryption configuration returned")
	if plain.Details["error_code"] != "ServerSideEncryptionConfigurationNotFoundError" {
		t.Errorf("acme-plain details = %v, want the raw error code kept", plain.Details)
	}
	if got := findingOf(t, findings, enc, bucketARN("acme-sse-s3")).Details["sse_algorithm"]; got != "AES256" {
		t.Errorf("sse_algorithm = %v, want AES256 exactly as returned", got)
	}

	ver := "aws.s3.versioning"
	wantStatus(t, findingOf(t, findings, ver, bucketARN("acme-sse-s3")), controls.StatusPass, "versioning enabled")
	wantStatus(t, findingOf(t, findings, ver, bucketARN("acme-sse-kms")), controls.StatusFail, "versioning suspended")
	wantStatus(t, findingOf(t, findings, ver, bucketARN("acme-plain")), controls.StatusFail, "versioning never enabled")

	// Calls for a bucket go to the bucket's own region.
	it := itemOf(t, set, awscol.KindS3Bucket, bucketARN("acme-sse-kms"))
	var b awscol.S3Bucket
	if err := it.Decode(&b); err != nil {
		t.Fatal(err)
	}
	if b.Region != "eu-west-1" || b.RegionSource != "GetBucketLocation" {
		t.Errorf("region = %s from %s, want eu-west-1 from GetBucketLocation", b.Region, b.RegionSource)
	}
	for _, p := range it.Provenance {
		if p.Operation == "s3:GetBucketEncryption" && p.Region != "eu-west-1" {
			t.Errorf("GetBucketEncryption sent to %s, want the bucket's region eu-west-1", p.Region)
		}
		if p.Account != motoAccountID || p.Identity == "" || p.Attempts < 1 {
			t.Errorf("provenance %+v lacks account, identity or attempts", p)
		}
	}
}

func TestS3RequireKMSParameter(t *testing.T) {
	moto := testenv.RequireMoto(t)
	ep := moto.Endpoint
	createBucket(t, ep, "acme-legacy-logs", "us-east-1")
	putEncryption(t, ep, "us-east-1", "acme-legacy-logs", s3types.ServerSideEncryptionAes256, "")
	createBucket(t, ep, "acme-cmk", "us-east-1")
	putEncryption(t, ep, "us-east-1", "acme-cmk", s3types.ServerSideEncryptionAwsKms, kmsKeyARN)
	createBucket(t, ep, "acme-aws-managed", "us-east-1")
	putEncryption(t, ep, "us-east-1", "acme-aws-managed", s3types.ServerSideEncryptionAwsKms, "")

	check := "aws.s3.default_encryption"
	set := collectWith(t, storageEnv(ep), awscol.S3Factory, check)
	findings := evaluateChecks(t, set, map[string]controls.Params{check: {"require_kms": true}}, check)
	wantStatus(t, findingOf(t, findings, check, bucketARN("acme-legacy-logs")), controls.StatusFail, "S3-managed key; CMK required by policy")
	wantStatus(t, findingOf(t, findings, check, bucketARN("acme-cmk")), controls.StatusPass, "SSE-KMS (KMS key …e9f0)")
	wantStatus(t, findingOf(t, findings, check, bucketARN("acme-aws-managed")), controls.StatusFail, "AWS-managed key aws/s3; CMK required by policy")
}

func TestS3LegacyEURegionMapsToEUWest1(t *testing.T) {
	moto := testenv.RequireMoto(t)
	ep := moto.Endpoint
	_, err := motoS3(ep, "us-east-1").CreateBucket(context.Background(), &s3.CreateBucketInput{
		Bucket:                    awsv2.String("acme-eu-legacy"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintEu},
	})
	if err != nil {
		t.Fatalf("create EU bucket: %v", err)
	}
	createBucket(t, ep, "acme-virginia", "us-east-1")

	set := collectWith(t, storageEnv(ep), awscol.S3Factory, "aws.s3.versioning")
	for name, want := range map[string]string{"acme-eu-legacy": "eu-west-1", "acme-virginia": "us-east-1"} {
		var b awscol.S3Bucket
		if err := itemOf(t, set, awscol.KindS3Bucket, bucketARN(name)).Decode(&b); err != nil {
			t.Fatal(err)
		}
		if b.Region != want {
			t.Errorf("%s: region %q (constraint %v), want %s", name, b.Region, b.LocationConstraint, want)
		}
	}
}

func TestS3_07_VersioningNeverEnabledVersusSuspended(t *testing.T) {
	moto := testenv.RequireMoto(t)
	ep := moto.Endpoint
	createBucket(t, ep, "acme-tmp", "us-east-1")
	createBucket(t, ep, "acme-archive", "us-east-1")
	putVersioning(t, ep, "us-east-1", "acme-archive", s3types.BucketVersioningStatusEnabled)
	putVersioning(t, ep, "us-east-1", "acme-archive", s3types.BucketVersioningStatusSuspended)
	createBucket(t, ep, "acme-prod", "us-east-1")
	_, err := motoS3(ep, "us-east-1").PutBucketVersioning(context.Background(), &s3.PutBucketVersioningInput{
		Bucket:                  awsv2.String("acme-prod"),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled, MFADelete: s3types.MFADeleteDisabled},
	})
	if err != nil {
		t.Fatal(err)
	}

	check := "aws.s3.versioning"
	set := collectWith(t, storageEnv(ep), awscol.S3Factory, check)
	findings := evaluateChecks(t, set, nil, check)
	tmp := findingOf(t, findings, check, bucketARN("acme-tmp"))
	wantStatus(t, tmp, controls.StatusFail, "versioning never enabled")
	if tmp.Details["versioning_status"] != "" {
		t.Errorf("acme-tmp versioning_status = %v, want empty (never enabled)", tmp.Details["versioning_status"])
	}
	wantStatus(t, findingOf(t, findings, check, bucketARN("acme-archive")), controls.StatusFail, "versioning suspended (older versions kept, new writes not versioned)")
	prod := findingOf(t, findings, check, bucketARN("acme-prod"))
	wantStatus(t, prod, controls.StatusPass, "versioning enabled")
	if _, ok := prod.Details["mfa_delete"]; !ok {
		t.Errorf("acme-prod details %v lack the mfa_delete column", prod.Details)
	}
}
