// Command floor is the lower bound that auditpack's AWS collection is
// measured against. It is a minimal client that makes the same API calls as
// `auditpack collect` with the S3, IAM, RDS and KMS checks selected. It keeps
// at most -concurrency calls in flight per service, reads the responses only
// to find the next calls and writes no evidence.
//
//	floor -endpoint http://127.0.0.1:PORT -concurrency 16
//
// It sends every call to -endpoint with fake credentials.
//
// NOTE: the floor repeats the collectors' choice of calls by hand. When a
// collector changes its calls, the benchmark page reports that the floor's
// calls differ from auditpack's, and this file needs the same change.
package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
)

// Error codes with which AWS reports a setting that is not configured; the
// collectors record them as results, not failures.
var absentCodes = map[string]bool{
	"ServerSideEncryptionConfigurationNotFoundError": true,
	"NoSuchPublicAccessBlockConfiguration":           true,
	"NoSuchBucketPolicy":                             true,
	"NoSuchEntity":                                   true,
}

func main() {
	endpoint := flag.String("endpoint", "", "base URL of the AWS endpoint (required), such as http://127.0.0.1:40123")
	concurrency := flag.Int("concurrency", 16, "API calls in flight per service")
	region := flag.String("region", "us-east-1", "home region")
	flag.Parse()
	if *endpoint == "" || *concurrency < 1 {
		fmt.Fprintln(os.Stderr, "floor: -endpoint is required and -concurrency must be at least 1")
		os.Exit(2)
	}
	f := newFloor(*endpoint, *region, *concurrency)
	if err := f.run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

type floor struct {
	endpoint string
	region   string
	cfg      aws.Config
	sems     map[string]chan struct{}

	mu   sync.Mutex
	errs []error
}

func newFloor(endpoint, region string, concurrency int) *floor {
	cfg := aws.Config{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		// The retryer auditpack uses: standard mode, 10 attempts, no
		// client-side retry quota.
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 10
				o.RateLimiter = ratelimit.None
			})
		},
	}
	sems := map[string]chan struct{}{}
	for _, s := range []string{"sts", "s3", "s3control", "iam", "rds", "kms"} {
		sems[s] = make(chan struct{}, concurrency)
	}
	return &floor{endpoint: endpoint, region: region, cfg: cfg, sems: sems}
}

// call runs fn under the service's concurrency limit. An error with one of
// absentCodes counts as a response, not a failure.
func (f *floor) call(service, operation string, fn func() error) bool {
	sem := f.sems[service]
	sem <- struct{}{}
	err := fn()
	<-sem
	if err == nil {
		return true
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && absentCodes[apiErr.ErrorCode()] {
		return false
	}
	f.mu.Lock()
	f.errs = append(f.errs, fmt.Errorf("%s:%s: %w", service, operation, err))
	f.mu.Unlock()
	return false
}

func (f *floor) run(ctx context.Context) error {
	var ident *sts.GetCallerIdentityOutput
	f.call("sts", "GetCallerIdentity", func() error {
		var err error
		ident, err = sts.NewFromConfig(f.cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		return err
	})
	if ident == nil {
		return errors.Join(f.errs...)
	}
	account := aws.ToString(ident.Account)

	var wg sync.WaitGroup
	for _, collect := range []func(){
		func() { f.s3(ctx, account) },
		func() { f.iam(ctx) },
		func() { f.rds(ctx) },
		func() { f.kms(ctx) },
	} {
		wg.Add(1)
		go func() { defer wg.Done(); collect() }()
	}
	wg.Wait()
	if len(f.errs) > 0 {
		return fmt.Errorf("%d calls failed, first: %w", len(f.errs), f.errs[0])
	}
	return nil
}

func (f *floor) s3Client(region string) *s3.Client {
	cfg := f.cfg.Copy()
	cfg.Region = region
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
}

func (f *floor) s3(ctx context.Context, account string) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		control := s3control.NewFromConfig(f.cfg, func(o *s3control.Options) {
			o.EndpointResolverV2 = fixedEndpoint{f.endpoint}
		})
		f.call("s3control", "GetPublicAccessBlock", func() error {
			_, err := control.GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: aws.String(account)})
			return err
		})
	}()

	home := f.s3Client(f.region)
	var names []string
	pager := s3.NewListBucketsPaginator(home, &s3.ListBucketsInput{MaxBuckets: aws.Int32(10000)})
	for pager.HasMorePages() {
		ok := f.call("s3", "ListBuckets", func() error {
			out, err := pager.NextPage(ctx)
			if err == nil {
				for _, b := range out.Buckets {
					names = append(names, aws.ToString(b.Name))
				}
			}
			return err
		})
		if !ok {
			break
		}
	}

	clients := map[string]*s3.Client{f.region: home}
	var clientsMu sync.Mutex
	clientFor := func(region string) *s3.Client {
		clientsMu.Lock()
		defer clientsMu.Unlock()
		if c, ok := clients[region]; ok {
			return c
		}
		c := f.s3Client(region)
		clients[region] = c
		return c
	}
	for _, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bucket := aws.String(name)
			region := ""
			ok := f.call("s3", "GetBucketLocation", func() error {
				out, err := home.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: bucket})
				if err == nil {
					region = string(out.LocationConstraint)
				}
				return err
			})
			if !ok {
				return
			}
			switch region {
			case "":
				region = "us-east-1"
			case "EU":
				region = "eu-west-1"
			}
			c := clientFor(region)
			gets := []func() error{
				func() error {
					_, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: bucket})
					return err
				},
				func() error {
					_, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: bucket})
					return err
				},
				func() error {
					_, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: bucket})
					return err
				},
				func() error { _, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: bucket}); return err },
			}
			for _, get := range gets {
				wg.Add(1)
				go func() { defer wg.Done(); f.call("s3", "Get", get) }()
			}
		}()
	}
	wg.Wait()
}

func (f *floor) iam(ctx context.Context) {
	client := iam.NewFromConfig(f.cfg)
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		f.call("iam", "GetAccountPasswordPolicy", func() error {
			_, err := client.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
			return err
		})
	}()
	go func() {
		defer wg.Done()
		f.call("iam", "GetAccountSummary", func() error {
			_, err := client.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
			return err
		})
	}()
	go func() {
		defer wg.Done()
		pager := iam.NewListUsersPaginator(client, &iam.ListUsersInput{})
		for pager.HasMorePages() {
			if !f.call("iam", "ListUsers", func() error { _, err := pager.NextPage(ctx); return err }) {
				return
			}
		}
	}()

	// The collector requests the report first and generates one only when
	// none is usable; the benchmark generates it while seeding.
	var report []byte
	f.call("iam", "GetCredentialReport", func() error {
		out, err := client.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
		if err == nil {
			report = out.Content
		}
		return err
	})
	for _, user := range consoleUsers(report) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pager := iam.NewListMFADevicesPaginator(client, &iam.ListMFADevicesInput{UserName: aws.String(user)})
			for pager.HasMorePages() {
				if !f.call("iam", "ListMFADevices", func() error { _, err := pager.NextPage(ctx); return err }) {
					return
				}
			}
		}()
	}
	wg.Wait()
}

// consoleUsers returns the users of a credential report that have a console
// password, the ones the console MFA check needs MFA devices for.
func consoleUsers(report []byte) []string {
	r := csv.NewReader(bytes.NewReader(report))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	var users []string
	for {
		rec, err := r.Read()
		if err == io.EOF || err != nil {
			return users
		}
		if rec[col["user"]] != "<root_account>" && rec[col["password_enabled"]] == "true" {
			users = append(users, rec[col["user"]])
		}
	}
}

func (f *floor) rds(ctx context.Context) {
	client := rds.NewFromConfig(f.cfg)
	kmsClient := kms.NewFromConfig(f.cfg)
	var wg sync.WaitGroup

	keys := map[string]bool{}
	groups := map[string]bool{}
	instances := 0
	pager := rds.NewDescribeDBInstancesPaginator(client, &rds.DescribeDBInstancesInput{MaxRecords: aws.Int32(100)})
	for pager.HasMorePages() {
		ok := f.call("rds", "DescribeDBInstances", func() error {
			out, err := pager.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, db := range out.DBInstances {
				instances++
				if aws.ToString(db.DBClusterIdentifier) != "" {
					continue
				}
				encrypted := aws.ToBool(db.StorageEncrypted)
				switch string(db.StorageEncryptionType) {
				case "sse-kms":
					encrypted = true
				case "sse-rds", "none":
					encrypted = false
				}
				if encrypted && aws.ToString(db.KmsKeyId) != "" {
					keys[aws.ToString(db.KmsKeyId)] = true
				}
				if len(db.DBParameterGroups) > 0 && tlsEngine(aws.ToString(db.Engine)) {
					groups[aws.ToString(db.DBParameterGroups[0].DBParameterGroupName)] = true
				}
			}
			return nil
		})
		if !ok {
			break
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		clusters := 0
		pager := rds.NewDescribeDBClustersPaginator(client, &rds.DescribeDBClustersInput{MaxRecords: aws.Int32(100)})
		for pager.HasMorePages() {
			if !f.call("rds", "DescribeDBClusters", func() error {
				out, err := pager.NextPage(ctx)
				if err == nil {
					clusters += len(out.DBClusters)
				}
				return err
			}) {
				return
			}
		}
		// The benchmark seeds no clusters, so no cluster keys, cluster
		// parameter groups or cluster snapshots are read.
		if clusters > 0 {
			f.mu.Lock()
			f.errs = append(f.errs, fmt.Errorf("rds: %d DB clusters found; the floor reads no cluster details", clusters))
			f.mu.Unlock()
		}
	}()
	if instances > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pager := rds.NewDescribeDBSnapshotsPaginator(client, &rds.DescribeDBSnapshotsInput{MaxRecords: aws.Int32(100)})
			for pager.HasMorePages() {
				if !f.call("rds", "DescribeDBSnapshots", func() error { _, err := pager.NextPage(ctx); return err }) {
					return
				}
			}
		}()
	}
	for key := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.call("kms", "DescribeKey", func() error {
				_, err := kmsClient.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(key)})
				return err
			})
		}()
	}
	for group := range groups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pager := rds.NewDescribeDBParametersPaginator(client, &rds.DescribeDBParametersInput{DBParameterGroupName: aws.String(group), MaxRecords: aws.Int32(100)})
			for pager.HasMorePages() {
				if !f.call("rds", "DescribeDBParameters", func() error { _, err := pager.NextPage(ctx); return err }) {
					return
				}
			}
		}()
	}
	wg.Wait()
}

// tlsEngine reports whether the engine has a TLS parameter the force_ssl
// check reads (rds.force_ssl or require_secure_transport).
func tlsEngine(engine string) bool {
	return bytes.Contains([]byte(engine), []byte("postgres")) || bytes.Contains([]byte(engine), []byte("mysql")) || engine == "mariadb" || engine == "aurora"
}

func (f *floor) kms(ctx context.Context) {
	client := kms.NewFromConfig(f.cfg)
	var keys []kmstypes.KeyListEntry
	pager := kms.NewListKeysPaginator(client, &kms.ListKeysInput{Limit: aws.Int32(1000)})
	for pager.HasMorePages() {
		ok := f.call("kms", "ListKeys", func() error {
			out, err := pager.NextPage(ctx)
			if err == nil {
				keys = append(keys, out.Keys...)
			}
			return err
		})
		if !ok {
			break
		}
	}
	var wg sync.WaitGroup
	for _, k := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			arn := k.KeyArn
			var md *kmstypes.KeyMetadata
			if !f.call("kms", "DescribeKey", func() error {
				out, err := client.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: arn})
				if err == nil {
					md = out.KeyMetadata
				}
				return err
			}) {
				return
			}
			rotatable := md.KeyManager == kmstypes.KeyManagerTypeCustomer &&
				md.KeySpec == kmstypes.KeySpecSymmetricDefault &&
				md.KeyUsage == kmstypes.KeyUsageTypeEncryptDecrypt &&
				md.Origin == kmstypes.OriginTypeAwsKms &&
				md.KeyState != kmstypes.KeyStatePendingDeletion && md.KeyState != kmstypes.KeyStatePendingReplicaDeletion
			if rotatable {
				f.call("kms", "GetKeyRotationStatus", func() error {
					_, err := client.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: arn})
					return err
				})
			}
		}()
	}
	wg.Wait()
}

// fixedEndpoint sends S3 Control calls to the endpoint unchanged; the SDK
// would otherwise put the account id in front of the host.
type fixedEndpoint struct{ url string }

func (e fixedEndpoint) ResolveEndpoint(context.Context, s3control.EndpointParameters) (smithyendpoints.Endpoint, error) {
	u, err := url.Parse(e.url)
	if err != nil {
		return smithyendpoints.Endpoint{}, err
	}
	return smithyendpoints.Endpoint{URI: *u}, nil
}
