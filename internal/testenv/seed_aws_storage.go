package testenv

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Names the demo seed creates and the demo configuration refers to.
const (
	// DemoArchiveBucket is the audit-log archive bucket that
	// configs/demo.yaml names in aws.archive_buckets.
	DemoArchiveBucket = "example-audit-archive"
	// DemoKMSKeyARN is the key the SSE-KMS and DSSE-KMS buckets name. The
	// seed does not create it, so it adds nothing to the KMS evidence.
	DemoKMSKeyARN = "arn:aws:kms:us-east-1:123456789012:key/6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b"
)

// demoBucket describes one seeded bucket.
type demoBucket struct {
	name, region string
	// sse is the default-encryption algorithm, "" for none.
	sse        s3types.ServerSideEncryption
	versioning []s3types.BucketVersioningStatus
	// block holds the bucket's Block Public Access flags, nil for none.
	block   *[4]bool
	tlsOnly bool
	archive bool
}

var allBlocked = &[4]bool{true, true, true, true}

var demoBuckets = []demoBucket{
	{name: "acme-app-data", region: "us-east-1", sse: s3types.ServerSideEncryptionAwsKms, versioning: []s3types.BucketVersioningStatus{s3types.BucketVersioningStatusEnabled}, block: allBlocked, tlsOnly: true},
	{name: "acme-web-assets", region: "us-east-1", sse: s3types.ServerSideEncryptionAes256, block: &[4]bool{true, true, false, false}},
	{name: "acme-backups", region: "us-east-1", sse: s3types.ServerSideEncryptionAwsKmsDsse, versioning: []s3types.BucketVersioningStatus{s3types.BucketVersioningStatusEnabled}, block: allBlocked, tlsOnly: true},
	{name: "acme-logs", region: "us-east-1", sse: s3types.ServerSideEncryptionAes256, versioning: []s3types.BucketVersioningStatus{s3types.BucketVersioningStatusEnabled, s3types.BucketVersioningStatusSuspended}},
	{name: "acme-tmp", region: "us-east-1"},
	{name: "acme-eu-customers", region: "eu-west-1", sse: s3types.ServerSideEncryptionAwsKms, versioning: []s3types.BucketVersioningStatus{s3types.BucketVersioningStatusEnabled}, block: allBlocked, tlsOnly: true},
	{name: DemoArchiveBucket, region: "us-east-1", sse: s3types.ServerSideEncryptionAwsKms, block: allBlocked, tlsOnly: true, archive: true},
	{name: "acme-cloudtrail-logs", region: "us-east-1", sse: s3types.ServerSideEncryptionAes256, versioning: []s3types.BucketVersioningStatus{s3types.BucketVersioningStatusEnabled}, block: allBlocked},
}

// SeedDemoS3IAMCloudTrail fills a fresh moto_server at endpoint with the demo
// company's S3 buckets, IAM users and CloudTrail trails. Buckets mix
// encryption (SSE-S3, SSE-KMS, DSSE-KMS, none) and versioning (enabled,
// suspended, never). Block Public Access is off at the account level and on
// for some buckets, some have TLS-only policies, and one Object Lock archive
// has a lifecycle rule. Users differ in console passwords, MFA and access
// keys, and the password policy is below the default requirements. One
// multi-region trail is logging and one single-region trail is stopped.
func SeedDemoS3IAMCloudTrail(ctx context.Context, endpoint string) error {
	if err := seedDemoBuckets(ctx, endpoint); err != nil {
		return err
	}
	if err := seedDemoIAM(ctx, endpoint); err != nil {
		return err
	}
	return seedDemoTrails(ctx, endpoint)
}

// seedConfig returns an SDK configuration with fake credentials aimed at
// the emulator, without retries so a seeding mistake shows at once.
func seedConfig(endpoint, region string) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(endpoint),
		Retryer:      func() aws.Retryer { return retry.AddWithMaxAttempts(retry.NewStandard(), 1) },
	}
}

func seedDemoBuckets(ctx context.Context, endpoint string) error {
	for _, b := range demoBuckets {
		client := s3.NewFromConfig(seedConfig(endpoint, b.region), func(o *s3.Options) { o.UsePathStyle = true })
		in := &s3.CreateBucketInput{Bucket: aws.String(b.name), ObjectLockEnabledForBucket: aws.Bool(b.archive)}
		if b.region != "us-east-1" {
			in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(b.region)}
		}
		if _, err := client.CreateBucket(ctx, in); err != nil {
			return fmt.Errorf("seed bucket %s: %w", b.name, err)
		}
		steps := []func() error{
			func() error { return seedEncryption(ctx, client, b) },
			func() error { return seedVersioning(ctx, client, b) },
			func() error { return seedBlock(ctx, client, b) },
			func() error { return seedTLSPolicy(ctx, client, b) },
			func() error { return seedArchive(ctx, client, b) },
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return fmt.Errorf("seed bucket %s: %w", b.name, err)
			}
		}
	}
	return nil
}

func seedEncryption(ctx context.Context, client *s3.Client, b demoBucket) error {
	if b.sse == "" {
		return nil
	}
	def := &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: b.sse}
	if b.sse != s3types.ServerSideEncryptionAes256 {
		def.KMSMasterKeyID = aws.String(DemoKMSKeyARN)
	}
	_, err := client.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{
		Bucket: aws.String(b.name),
		ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{
			Rules: []s3types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: def}},
		},
	})
	return err
}

func seedVersioning(ctx context.Context, client *s3.Client, b demoBucket) error {
	for _, status := range b.versioning {
		_, err := client.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
			Bucket:                  aws.String(b.name),
			VersioningConfiguration: &s3types.VersioningConfiguration{Status: status},
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func seedBlock(ctx context.Context, client *s3.Client, b demoBucket) error {
	if b.block == nil {
		return nil
	}
	_, err := client.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{
		Bucket: aws.String(b.name),
		PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
			BlockPublicAcls: aws.Bool(b.block[0]), IgnorePublicAcls: aws.Bool(b.block[1]),
			BlockPublicPolicy: aws.Bool(b.block[2]), RestrictPublicBuckets: aws.Bool(b.block[3]),
		},
	})
	return err
}

func seedTLSPolicy(ctx context.Context, client *s3.Client, b demoBucket) error {
	if !b.tlsOnly {
		return nil
	}
	arn := "arn:aws:s3:::" + b.name
	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*",` +
		`"Resource":["` + arn + `","` + arn + `/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
	_, err := client.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(b.name), Policy: aws.String(policy)})
	return err
}

// seedArchive turns on Object Lock in COMPLIANCE mode for seven years and a
// lifecycle rule that expires objects after eight.
func seedArchive(ctx context.Context, client *s3.Client, b demoBucket) error {
	if !b.archive {
		return nil
	}
	_, err := client.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{
		Bucket: aws.String(b.name),
		ObjectLockConfiguration: &s3types.ObjectLockConfiguration{
			ObjectLockEnabled: s3types.ObjectLockEnabledEnabled,
			Rule: &s3types.ObjectLockRule{DefaultRetention: &s3types.DefaultRetention{
				Mode: s3types.ObjectLockRetentionModeCompliance, Days: aws.Int32(2555),
			}},
		},
	})
	if err != nil {
		return err
	}
	_, err = client.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{
		Bucket: aws.String(b.name),
		LifecycleConfiguration: &s3types.BucketLifecycleConfiguration{Rules: []s3types.LifecycleRule{{
			ID:         aws.String("expire-after-eight-years"),
			Status:     s3types.ExpirationStatusEnabled,
			Filter:     &s3types.LifecycleRuleFilter{Prefix: aws.String("")},
			Expiration: &s3types.LifecycleExpiration{Days: aws.Int32(2920)},
		}}},
	})
	return err
}

// demoUser describes one seeded IAM user.
type demoUser struct {
	name               string
	password, mfa, key bool
}

var demoUsers = []demoUser{
	{name: "alice.admin", password: true, mfa: true},
	{name: "bob.dev", password: true},
	{name: "carol.ops", password: true, mfa: true, key: true},
	{name: "svc-ci", key: true},
}

func seedDemoIAM(ctx context.Context, endpoint string) error {
	client := iam.NewFromConfig(seedConfig(endpoint, "us-east-1"))
	for _, u := range demoUsers {
		if _, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(u.name)}); err != nil {
			return fmt.Errorf("seed user %s: %w", u.name, err)
		}
		if u.password {
			// A demo-only password for an emulator user; it never reaches AWS.
			_, err := client.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String(u.name), Password: aws.String("Demo-Only-Passw0rd!")})
			if err != nil {
				return fmt.Errorf("seed login profile of %s: %w", u.name, err)
			}
		}
		if u.mfa {
			dev, err := client.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(u.name + "-mfa")})
			if err != nil {
				return fmt.Errorf("seed MFA device of %s: %w", u.name, err)
			}
			_, err = client.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{
				UserName: aws.String(u.name), SerialNumber: dev.VirtualMFADevice.SerialNumber,
				AuthenticationCode1: aws.String("123456"), AuthenticationCode2: aws.String("654321"),
			})
			if err != nil {
				return fmt.Errorf("enable MFA device of %s: %w", u.name, err)
			}
		}
		if u.key {
			if _, err := client.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(u.name)}); err != nil {
				return fmt.Errorf("seed access key of %s: %w", u.name, err)
			}
		}
	}
	// Twelve characters: below the default requirement of 14, so the demo
	// shows a failing password policy.
	_, err := client.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{
		MinimumPasswordLength: aws.Int32(12), PasswordReusePrevention: aws.Int32(24),
		RequireUppercaseCharacters: true, RequireLowercaseCharacters: true, RequireNumbers: true, RequireSymbols: true,
	})
	if err != nil {
		return fmt.Errorf("seed password policy: %w", err)
	}
	return nil
}

func seedDemoTrails(ctx context.Context, endpoint string) error {
	client := cloudtrail.NewFromConfig(seedConfig(endpoint, "us-east-1"))
	trails := []struct {
		name               string
		multiRegion, valid bool
		stop               bool
	}{
		{name: "acme-org-trail", multiRegion: true, valid: true},
		{name: "acme-legacy-trail", stop: true},
	}
	for _, tr := range trails {
		_, err := client.CreateTrail(ctx, &cloudtrail.CreateTrailInput{
			Name:                    aws.String(tr.name),
			S3BucketName:            aws.String("acme-cloudtrail-logs"),
			IsMultiRegionTrail:      aws.Bool(tr.multiRegion),
			EnableLogFileValidation: aws.Bool(tr.valid),
		})
		if err != nil {
			return fmt.Errorf("seed trail %s: %w", tr.name, err)
		}
		if _, err := client.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String(tr.name)}); err != nil {
			return fmt.Errorf("start trail %s: %w", tr.name, err)
		}
		if tr.stop {
			if _, err := client.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String(tr.name)}); err != nil {
				return fmt.Errorf("stop trail %s: %w", tr.name, err)
			}
		}
	}
	return nil
}
