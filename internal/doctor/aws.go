package doctor

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	awscollect "github.com/auditpack/auditpack/collectors/aws"
	"github.com/auditpack/auditpack/internal/permissions"
)

// probe is the cheapest read call of one service that the policy allows.
type probe struct {
	service   string
	operation string
	call      func(ctx context.Context, acct *awscollect.Account, region string) error
}

// probes lists one call per service, in the order they are tried.
var probes = []probe{
	{"s3", "s3:ListBuckets", func(ctx context.Context, acct *awscollect.Account, region string) error {
		client := s3.NewFromConfig(acct.Config(region), func(o *s3.Options) {
			if e := acct.Endpoint("s3"); e != "" {
				o.BaseEndpoint = aws.String(e)
				o.UsePathStyle = true
			}
		})
		_, err := client.ListBuckets(ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(1)})
		return err
	}},
	{"iam", "iam:GetAccountSummary", func(ctx context.Context, acct *awscollect.Account, region string) error {
		client := iam.NewFromConfig(acct.Config(region), func(o *iam.Options) {
			if e := acct.Endpoint("iam"); e != "" {
				o.BaseEndpoint = aws.String(e)
			}
		})
		_, err := client.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
		return err
	}},
	{"cloudtrail", "cloudtrail:DescribeTrails", func(ctx context.Context, acct *awscollect.Account, region string) error {
		client := cloudtrail.NewFromConfig(acct.Config(region), func(o *cloudtrail.Options) {
			if e := acct.Endpoint("cloudtrail"); e != "" {
				o.BaseEndpoint = aws.String(e)
			}
		})
		_, err := client.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(false)})
		return err
	}},
	{"kms", "kms:ListKeys", func(ctx context.Context, acct *awscollect.Account, region string) error {
		client := kms.NewFromConfig(acct.Config(region), func(o *kms.Options) {
			if e := acct.Endpoint("kms"); e != "" {
				o.BaseEndpoint = aws.String(e)
			}
		})
		_, err := client.ListKeys(ctx, &kms.ListKeysInput{Limit: aws.Int32(1)})
		return err
	}},
	{"rds", "rds:DescribeDBInstances", func(ctx context.Context, acct *awscollect.Account, region string) error {
		client := rds.NewFromConfig(acct.Config(region), func(o *rds.Options) {
			if e := acct.Endpoint("rds"); e != "" {
				o.BaseEndpoint = aws.String(e)
			}
		})
		// 20 is the smallest page RDS accepts.
		_, err := client.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{MaxRecords: aws.Int32(20)})
		return err
	}},
	{"backup", "backup:ListBackupJobs", func(ctx context.Context, acct *awscollect.Account, region string) error {
		client := backup.NewFromConfig(acct.Config(region), func(o *backup.Options) {
			if e := acct.Endpoint("backup"); e != "" {
				o.BaseEndpoint = aws.String(e)
			}
		})
		_, err := client.ListBackupJobs(ctx, &backup.ListBackupJobsInput{MaxResults: aws.Int32(1)})
		return err
	}},
}

// describeRegion sends ec2:DescribeRegions to a region's endpoint for that
// region only. A success proves that the region responds and that the policy's
// ec2:DescribeRegions is allowed.
func describeRegion(ctx context.Context, acct *awscollect.Account, region string) error {
	client := ec2.NewFromConfig(acct.Config(region), func(o *ec2.Options) {
		if e := acct.Endpoint("ec2"); e != "" {
			o.BaseEndpoint = aws.String(e)
		}
	})
	_, err := client.DescribeRegions(ctx, &ec2.DescribeRegionsInput{RegionNames: []string{region}})
	return err
}

// checkAWS checks each configured account: credentials and caller identity,
// each region in scope, and one read call per service that the selected
// checks use.
func checkAWS(ctx context.Context, opts Options) []Result {
	sess := awscollect.NewSession(opts.Env)
	sess.OnCall = opts.OnCall
	cfg := sess.Config()
	services := selectedServices(opts)

	var out []Result
	for _, target := range sess.Targets() {
		r := Result{Target: target.Scope()}
		if cfg.Endpoint != "" {
			r.Target += " (endpoint " + cfg.Endpoint + ")"
		}
		acct, err := target.Account(ctx)
		if err != nil {
			r.Problems = append(r.Problems, fmt.Sprintf("credentials or caller identity: %v; check the AWS credentials, aws.profile, aws.accounts[].role_arn and aws.endpoint", err))
			out = append(out, r)
			continue
		}
		r.Target = acct.Scope()
		if cfg.Endpoint != "" {
			r.Target += " (endpoint " + cfg.Endpoint + ")"
		}
		r.Confirmed = append(r.Confirmed, "caller "+acct.CallerARN)

		var reachable []string
		for _, region := range acct.Regions {
			if err := call(ctx, acct, region, "ec2:DescribeRegions", describeRegion); err != "" {
				r.Problems = append(r.Problems, fmt.Sprintf("region %s: %s", region, err))
				continue
			}
			reachable = append(reachable, region)
		}
		if len(reachable) > 0 {
			r.Confirmed = append(r.Confirmed, "regions "+strings.Join(reachable, ", ")+" reachable")
		}

		var allowed []string
		for _, p := range probes {
			if !services[p.service] {
				continue
			}
			if err := call(ctx, acct, cfg.HomeRegion, p.operation, p.call); err != "" {
				r.Problems = append(r.Problems, err)
				continue
			}
			allowed = append(allowed, p.operation)
		}
		if len(allowed) > 0 {
			r.Confirmed = append(r.Confirmed, strings.Join(allowed, ", ")+" allowed")
		}
		out = append(out, r)
	}
	return out
}

// call runs one probe through the account's concurrency limit and retries,
// and returns "" or what failed with the IAM action to grant.
func call(ctx context.Context, acct *awscollect.Account, region, operation string, fn func(context.Context, *awscollect.Account, string) error) string {
	_, cerr := acct.Call(ctx, region, operation, nil, func(ctx context.Context) error { return fn(ctx, acct, region) })
	if cerr == nil {
		return ""
	}
	msg := cerr.String()
	if isAccessDenied(cerr.Code) {
		if g, ok := permissions.GrantFor(operation); ok && g.Action != "" {
			msg += fmt.Sprintf("; allow %s (see auditpack permissions aws)", g.Action)
		}
	}
	return msg
}

func isAccessDenied(code string) bool {
	switch code {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError", "HTTP403":
		return true
	}
	return false
}

// selectedServices returns the services the selected checks call, by the
// SDK service id of each operation ("s3control" counts as s3).
func selectedServices(opts Options) map[string]bool {
	out := map[string]bool{}
	for _, c := range opts.Checks {
		if !permissions.IsAWSCheck(c) {
			continue
		}
		for _, op := range c.Calls {
			svc, _, _ := strings.Cut(op, ":")
			if svc == "s3control" {
				svc = "s3"
			}
			out[svc] = true
		}
	}
	return out
}
