package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// awsSize is how many resources of each kind the AWS benchmark seeds.
type awsSize struct {
	Buckets, Users, RDS, KMS int
}

func (s awsSize) resources() int { return s.Buckets + s.Users + s.RDS + s.KMS }

// seedResult is what seeding took.
type seedResult struct {
	Calls    int64
	Duration time.Duration
	Workers  int
}

// BucketName returns the name of the i-th seeded bucket.
func bucketName(i int) string { return fmt.Sprintf("bench-bucket-%05d", i) }

// userName returns the name of the i-th seeded IAM user.
func userName(i int) string { return fmt.Sprintf("bench-user-%04d", i) }

// seedAWS creates the benchmark's resources in moto_server at endpoint,
// straight to moto (not through the latency proxy), with workers requests
// in flight. Settings vary by index so every check gets passing and failing
// resources: every 2nd bucket has default encryption, every 3rd versioning,
// every 4th Block Public Access and every 5th a policy; every 2nd user has a
// console password; every 2nd key rotates; every 2nd DB instance is
// encrypted with one of five keys and uses one of two custom parameter
// groups. It ends by generating the IAM credential report, so every timed
// run finds one ready.
func seedAWS(ctx context.Context, endpoint string, size awsSize, workers int) (seedResult, error) {
	start := time.Now()
	var calls atomic.Int64
	cfg := aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	}
	count := func(err error) error { calls.Add(1); return err }
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	iamc := iam.NewFromConfig(cfg)
	kmsc := kms.NewFromConfig(cfg)
	rdsc := rds.NewFromConfig(cfg)

	// Keys come first: encrypted DB instances need some.
	keyARNs := make([]string, size.KMS)
	err := parallel(ctx, size.KMS, workers, func(i int) error {
		out, err := kmsc.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String(fmt.Sprintf("bench key %d", i)), KeySpec: kmstypes.KeySpecSymmetricDefault, KeyUsage: kmstypes.KeyUsageTypeEncryptDecrypt})
		if count(err) != nil {
			return fmt.Errorf("create KMS key %d: %w", i, err)
		}
		keyARNs[i] = aws.ToString(out.KeyMetadata.Arn)
		if i%2 == 0 {
			_, err := kmsc.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: out.KeyMetadata.KeyId})
			if count(err) != nil {
				return fmt.Errorf("enable rotation of KMS key %d: %w", i, err)
			}
		}
		return nil
	})
	if err != nil {
		return seedResult{}, err
	}

	groups := []string{"bench-pg-force-ssl", "bench-pg-plain"}
	for i, g := range groups {
		_, err := rdsc.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{DBParameterGroupName: aws.String(g), DBParameterGroupFamily: aws.String("postgres16"), Description: aws.String("bench")})
		if count(err) != nil {
			return seedResult{}, fmt.Errorf("create parameter group %s: %w", g, err)
		}
		if i == 0 {
			_, err := rdsc.ModifyDBParameterGroup(ctx, &rds.ModifyDBParameterGroupInput{DBParameterGroupName: aws.String(g), Parameters: []rdstypes.Parameter{{ParameterName: aws.String("rds.force_ssl"), ParameterValue: aws.String("1"), ApplyMethod: rdstypes.ApplyMethodImmediate}}})
			if count(err) != nil {
				return seedResult{}, fmt.Errorf("set rds.force_ssl in %s: %w", g, err)
			}
		}
	}

	var wg sync.WaitGroup
	errs := make([]error, 3)
	wg.Add(3)
	go func() {
		defer wg.Done()
		errs[0] = parallel(ctx, size.Buckets, workers, func(i int) error {
			b := aws.String(bucketName(i))
			if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); count(err) != nil {
				return fmt.Errorf("create bucket %s: %w", *b, err)
			}
			if i%2 == 0 {
				_, err := s3c.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: b, ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{
					Rules: []s3types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAes256}}},
				}})
				if count(err) != nil {
					return fmt.Errorf("put encryption of %s: %w", *b, err)
				}
			}
			if i%3 == 0 {
				_, err := s3c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: b, VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}})
				if count(err) != nil {
					return fmt.Errorf("put versioning of %s: %w", *b, err)
				}
			}
			if i%4 == 0 {
				on := aws.Bool(true)
				_, err := s3c.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: b, PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{BlockPublicAcls: on, IgnorePublicAcls: on, BlockPublicPolicy: on, RestrictPublicBuckets: on}})
				if count(err) != nil {
					return fmt.Errorf("put Block Public Access of %s: %w", *b, err)
				}
			}
			if i%5 == 0 {
				policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"TLSOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::%[1]s","arn:aws:s3:::%[1]s/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`, *b)
				_, err := s3c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(policy)})
				if count(err) != nil {
					return fmt.Errorf("put policy of %s: %w", *b, err)
				}
			}
			return nil
		})
	}()
	go func() {
		defer wg.Done()
		errs[1] = parallel(ctx, size.Users, workers, func(i int) error {
			u := aws.String(userName(i))
			if _, err := iamc.CreateUser(ctx, &iam.CreateUserInput{UserName: u}); count(err) != nil {
				return fmt.Errorf("create IAM user %s: %w", *u, err)
			}
			if i%2 == 0 {
				_, err := iamc.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: u, Password: aws.String("Bench-password-1!")})
				if count(err) != nil {
					return fmt.Errorf("create login profile of %s: %w", *u, err)
				}
			}
			return nil
		})
	}()
	go func() {
		defer wg.Done()
		errs[2] = parallel(ctx, size.RDS, workers, func(i int) error {
			in := &rds.CreateDBInstanceInput{
				DBInstanceIdentifier:  aws.String(fmt.Sprintf("bench-db-%03d", i)),
				DBInstanceClass:       aws.String("db.t3.micro"),
				Engine:                aws.String("postgres"),
				EngineVersion:         aws.String("16.3"),
				AllocatedStorage:      aws.Int32(20),
				MasterUsername:        aws.String("bench"),
				MasterUserPassword:    aws.String("bench-password"),
				BackupRetentionPeriod: aws.Int32(int32(1 + i%14)),
				DBParameterGroupName:  aws.String(groups[i%2]),
			}
			if i%2 == 0 && len(keyARNs) > 0 {
				in.StorageEncrypted = aws.Bool(true)
				in.KmsKeyId = aws.String(keyARNs[(i/2)%min(5, len(keyARNs))])
			}
			if _, err := rdsc.CreateDBInstance(ctx, in); count(err) != nil {
				return fmt.Errorf("create DB instance %d: %w", i, err)
			}
			return nil
		})
	}()
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return seedResult{}, err
		}
	}
	if _, err := iamc.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{}); count(err) != nil {
		return seedResult{}, fmt.Errorf("generate the credential report: %w", err)
	}
	return seedResult{Calls: calls.Load(), Duration: time.Since(start), Workers: workers}, nil
}

// parallel runs fn for 0..n-1 with at most workers calls at once and returns
// the first error.
func parallel(ctx context.Context, n, workers int, fn func(i int) error) error {
	next := make(chan int)
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					once.Do(func() { firstErr = err; cancel() })
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(next)
	wg.Wait()
	return firstErr
}
