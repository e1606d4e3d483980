package aws_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	awsv2 "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	s3controltypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"
	smithyendpoints "github.com/aws/smithy-go/endpoints"

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

// motoS3Control returns an S3 Control client that sends requests to the
// emulator unchanged, as the collector does.
func motoS3Control(endpoint string) *s3control.Client {
	return s3control.NewFromConfig(sdkConfig(endpoint, "us-east-1"), func(o *s3control.Options) {
		o.EndpointResolverV2 = staticResolver{endpoint}
	})
}

type staticResolver struct{ url string }

func (r staticResolver) ResolveEndpoint(context.Context, s3control.EndpointParameters) (smithyendpoints.Endpoint, error) {
	u, err := url.Parse(r.url)
	if err != nil {
		return smithyendpoints.Endpoint{}, err
	}
	return smithyendpoints.Endpoint{URI: *u}, nil
}

func TestS3MotoPublicAccessBlock(t *testing.T) {
	moto := testenv.RequireMoto(t)
	ep := moto.Endpoint
	createBucket(t, ep, "acme-open", "us-east-1")
	createBucket(t, ep, "acme-blocked", "us-east-1")
	putBucketBlock(t, ep, "us-east-1", "acme-blocked", true, true, true, true)
	createBucket(t, ep, "acme-half", "us-east-1")
	putBucketBlock(t, ep, "us-east-1", "acme-half", true, false, true, false)

	check := "aws.s3.public_access_block"
	findings := evaluateChecks(t, collectWith(t, storageEnv(ep), awscol.S3Factory, check), nil, check)
	wantStatus(t, findingOf(t, findings, check, bucketARN("acme-open")), controls.StatusFail, "BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets")
	wantStatus(t, findingOf(t, findings, check, bucketARN("acme-blocked")), controls.StatusPass, "source bucket-level")
	wantStatus(t, findingOf(t, findings, check, bucketARN("acme-half")), controls.StatusFail, "IgnorePublicAcls, RestrictPublicBuckets")

	// Turning the account-level flags on covers every bucket, flag by flag.
	_, err := motoS3Control(ep).PutPublicAccessBlock(context.Background(), &s3control.PutPublicAccessBlockInput{
		AccountId: awsv2.String(motoAccountID),
		PublicAccessBlockConfiguration: &s3controltypes.PublicAccessBlockConfiguration{
			BlockPublicAcls: awsv2.Bool(true), IgnorePublicAcls: awsv2.Bool(true),
			BlockPublicPolicy: awsv2.Bool(true), RestrictPublicBuckets: awsv2.Bool(true),
		},
	})
	if err != nil {
		t.Fatalf("put account public access block: %v", err)
	}
	findings = evaluateChecks(t, collectWith(t, storageEnv(ep), awscol.S3Factory, check), nil, check)
	wantStatus(t, findingOf(t, findings, check, bucketARN("acme-open")), controls.StatusPass, "source account-level")
	wantStatus(t, findingOf(t, findings, check, bucketARN("acme-blocked")), controls.StatusPass, "source account-level and bucket-level")
}

func tlsPolicy(resources ...string) string {
	quoted := make([]string, len(resources))
	for i, r := range resources {
		quoted[i] = `"` + r + `"`
	}
	return `{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*",` +
		`"Resource":[` + strings.Join(quoted, ",") + `],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
}

func putPolicy(t *testing.T, endpoint, bucket, policy string) {
	t.Helper()
	_, err := motoS3(endpoint, "us-east-1").PutBucketPolicy(context.Background(), &s3.PutBucketPolicyInput{Bucket: awsv2.String(bucket), Policy: awsv2.String(policy)})
	if err != nil {
		t.Fatalf("put policy on %s: %v", bucket, err)
	}
}

func TestS3MotoTLSOnlyPolicy(t *testing.T) {
	moto := testenv.RequireMoto(t)
	ep := moto.Endpoint
	createBucket(t, ep, "acme-tls", "us-east-1")
	putPolicy(t, ep, "acme-tls", tlsPolicy("arn:aws:s3:::acme-tls", "arn:aws:s3:::acme-tls/*"))
	createBucket(t, ep, "acme-tls-wild", "us-east-1")
	putPolicy(t, ep, "acme-tls-wild", tlsPolicy("arn:aws:s3:::acme-tls-wild*"))
	createBucket(t, ep, "acme-objects-only", "us-east-1")
	putPolicy(t, ep, "acme-objects-only", tlsPolicy("arn:aws:s3:::acme-objects-only/*"))
	createBucket(t, ep, "acme-allow-only", "us-east-1")
	putPolicy(t, ep, "acme-allow-only", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-allow-only/*"}}`)
	createBucket(t, ep, "acme-no-policy", "us-east-1")

	check := "aws.s3.tls_only"
	findings := evaluateChecks(t, collectWith(t, storageEnv(ep), awscol.S3Factory, check), nil, check)
	wantStatus(t, findingOf(t, findings, check, bucketARN("acme-tls")), controls.StatusPass, "aws:SecureTransport is false")
	wantStatus(t, findingOf(t, findings, check, bucketARN("acme-tls-wild")), controls.StatusPass, "aws:SecureTransport is false")
	wantStatus(t, findingOf(t, findings, check, bucketARN("acme-objects-only")), controls.StatusFail, "does not cover arn:aws:s3:::acme-objects-only")
	wantStatus(t, findingOf(t, findings, check, bucketARN("acme-allow-only")), controls.StatusFail, "no Deny statement")
	wantStatus(t, findingOf(t, findings, check, bucketARN("acme-no-policy")), controls.StatusFail, "no bucket policy")
}

func TestS3MotoArchiveObjectLockAndRetention(t *testing.T) {
	moto := testenv.RequireMoto(t)
	ep := moto.Endpoint
	ctx := context.Background()
	client := motoS3(ep, "us-east-1")
	for _, name := range []string{"acme-audit-archive", "acme-audit-short"} {
		_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: awsv2.String(name), ObjectLockEnabledForBucket: awsv2.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := client.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{
		Bucket: awsv2.String("acme-audit-archive"),
		ObjectLockConfiguration: &s3types.ObjectLockConfiguration{
			ObjectLockEnabled: s3types.ObjectLockEnabledEnabled,
			Rule:              &s3types.ObjectLockRule{DefaultRetention: &s3types.DefaultRetention{Mode: s3types.ObjectLockRetentionModeCompliance, Days: awsv2.Int32(2555)}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	putLifecycle := func(bucket string, days int32) {
		_, err := client.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{
			Bucket: awsv2.String(bucket),
			LifecycleConfiguration: &s3types.BucketLifecycleConfiguration{Rules: []s3types.LifecycleRule{{
				ID: awsv2.String("expire"), Status: s3types.ExpirationStatusEnabled,
				Filter:     &s3types.LifecycleRuleFilter{Prefix: awsv2.String("")},
				Expiration: &s3types.LifecycleExpiration{Days: awsv2.Int32(days)},
			}}},
		})
		if err != nil {
			t.Fatalf("put lifecycle on %s: %v", bucket, err)
		}
	}
	putLifecycle("acme-audit-archive", 2920)
	putLifecycle("acme-audit-short", 365)
	createBucket(t, ep, "acme-not-archive", "us-east-1")

	env := storageEnv(ep)
	env.Config.AWS.ArchiveBuckets = []string{"acme-audit-archive", "acme-audit-short", "acme-audit-missing"}
	checks := []string{"aws.s3.object_lock", "aws.s3.lifecycle_retention"}
	set := collectWith(t, env, awscol.S3Factory, checks...)
	findings := evaluateChecks(t, set, nil, checks...)

	lock, keep := "aws.s3.object_lock", "aws.s3.lifecycle_retention"
	wantStatus(t, findingOf(t, findings, lock, bucketARN("acme-audit-archive")), controls.StatusPass, "COMPLIANCE mode")
	wantStatus(t, findingOf(t, findings, lock, bucketARN("acme-audit-short")), controls.StatusFail, "no default retention mode")
	wantStatus(t, findingOf(t, findings, keep, bucketARN("acme-audit-archive")), controls.StatusPass, "no enabled lifecycle rule deletes objects before 2555 days")
	wantStatus(t, findingOf(t, findings, keep, bucketARN("acme-audit-short")), controls.StatusFail, "after 365 days")
	for _, c := range checks {
		wantStatus(t, findingOf(t, findings, c, bucketARN("acme-audit-missing")), controls.StatusError, "NoSuchBucket")
		for _, f := range findingsOf(findings, c) {
			if f.Resource == bucketARN("acme-not-archive") {
				t.Errorf("%s judged a bucket that is not an archive: %s", c, f.Message)
			}
		}
	}
	// With only the archive checks selected, other buckets get no calls.
	for _, it := range set.ByKind(awscol.KindS3Bucket) {
		if it.Resource == bucketARN("acme-not-archive") {
			t.Errorf("a bucket that is not an archive was read for the archive checks: %+v", it.Provenance)
		}
	}
	// With every-bucket checks selected too, only archive buckets get the
	// archive calls.
	set = collectWith(t, env, awscol.S3Factory, append(checks, "aws.s3.versioning")...)
	for _, p := range itemOf(t, set, awscol.KindS3Bucket, bucketARN("acme-not-archive")).Provenance {
		if p.Operation == "s3:GetObjectLockConfiguration" || p.Operation == "s3:GetBucketLifecycleConfiguration" {
			t.Errorf("%s called for a bucket that is not an archive", p.Operation)
		}
	}
}

func TestS3OnlySelectedChecksCallAPIs(t *testing.T) {
	moto := testenv.RequireMoto(t)
	createBucket(t, moto.Endpoint, "acme-one", "us-east-1")
	env := storageEnv(moto.Endpoint)
	var ops []string
	s := awscol.SessionFrom(env)
	s.OnCall = func(service, op, region string) { ops = append(ops, service+":"+op) }
	collectWith(t, env, awscol.S3Factory, "aws.s3.versioning")
	for _, op := range ops {
		switch op {
		case "STS:GetCallerIdentity", "S3:ListBuckets", "S3:GetBucketLocation", "S3:GetBucketVersioning":
		default:
			t.Errorf("call %s made although only aws.s3.versioning is selected", op)
		}
	}
	if len(ops) == 0 {
		t.Fatal("no call recorded")
	}
}
