package aws_test

import (
	"context"
	"strings"
	"testing"

	awsv2 "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	s3controltypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	awscol "github.com/auditpack/auditpack/collectors/aws"
	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/internal/config"
	"github.com/auditpack/auditpack/internal/testenv"
)

// memberConfig returns SDK credentials of a role in another moto account.
func memberConfig(endpoint, roleARN string) awsv2.Config {
	cfg := sdkConfig(endpoint, "us-east-1")
	cfg.Credentials = awsv2.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), roleARN))
	return cfg
}

func TestS3TwoAccountsCollectedApart(t *testing.T) {
	moto := testenv.RequireMoto(t)
	const member, role = "111111111111", "arn:aws:iam::111111111111:role/auditpack-read-only"
	createBucket(t, moto.Endpoint, "acme-main", "us-east-1")
	memberS3 := s3.NewFromConfig(memberConfig(moto.Endpoint, role), func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := memberS3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: awsv2.String("acme-member")}); err != nil {
		t.Fatal(err)
	}

	// Only the member account blocks public access at the account level.
	memberControl := s3control.NewFromConfig(memberConfig(moto.Endpoint, role), func(o *s3control.Options) {
		o.EndpointResolverV2 = staticResolver{moto.Endpoint}
	})
	_, err := memberControl.PutPublicAccessBlock(context.Background(), &s3control.PutPublicAccessBlockInput{
		AccountId: awsv2.String(member),
		PublicAccessBlockConfiguration: &s3controltypes.PublicAccessBlockConfiguration{
			BlockPublicAcls: awsv2.Bool(true), IgnorePublicAcls: awsv2.Bool(true),
			BlockPublicPolicy: awsv2.Bool(true), RestrictPublicBuckets: awsv2.Bool(true),
		},
	})
	if err != nil {
		t.Fatal(err)
	}

	env := storageEnv(moto.Endpoint)
	env.Config.AWS.Accounts = []config.AWSAccount{{ID: motoAccountID}, {ID: member, RoleARN: role}}
	checks := []string{"aws.s3.versioning", "aws.s3.public_access_block"}
	set := collectWith(t, env, awscol.S3Factory, checks...)
	findings := evaluateChecks(t, set, nil, checks...)

	for name, acct := range map[string]string{"acme-main": motoAccountID, "acme-member": member} {
		wantStatus(t, findingOf(t, findings, "aws.s3.versioning", bucketARN(name)), controls.StatusFail, "never enabled")
		for _, p := range itemOf(t, set, awscol.KindS3Bucket, bucketARN(name)).Provenance {
			if p.Account != acct {
				t.Errorf("%s: %s provenance names account %s, want %s", name, p.Operation, p.Account, acct)
			}
			if acct == member && !strings.Contains(p.Identity, "assumed-role/auditpack-read-only") {
				t.Errorf("%s: identity %q, want the assumed role", name, p.Identity)
			}
		}
	}
	wantStatus(t, findingOf(t, findings, "aws.s3.public_access_block", bucketARN("acme-member")), controls.StatusPass, "source account-level")
	wantStatus(t, findingOf(t, findings, "aws.s3.public_access_block", bucketARN("acme-main")), controls.StatusFail, "BlockPublicAcls")
}
