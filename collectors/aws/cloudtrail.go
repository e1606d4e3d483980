package aws

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"golang.org/x/sync/errgroup"

	"github.com/auditpack/auditpack/collectors"
	"github.com/auditpack/auditpack/evidence"
)

// Evidence kinds of the CloudTrail collector.
const (
	// KindCloudTrailTrail is one trail, de-duplicated by ARN across regions,
	// with its status read in its home region.
	KindCloudTrailTrail = "aws.cloudtrail.trail"
	// KindCloudTrailAccount lists the trails an account has and the regions
	// that were described, so an account without trails is still judged.
	KindCloudTrailAccount = "aws.cloudtrail.account"
)

// CloudTrailGroupStatus is the attribute group filled by GetTrailStatus.
const CloudTrailGroupStatus = "status"

// CloudTrailTrail are the attributes of a KindCloudTrailTrail item.
type CloudTrailTrail struct {
	Name                       string `json:"name"`
	ARN                        string `json:"arn"`
	HomeRegion                 string `json:"home_region"`
	IsMultiRegionTrail         bool   `json:"is_multi_region_trail"`
	IncludeGlobalServiceEvents bool   `json:"include_global_service_events"`
	LogFileValidationEnabled   bool   `json:"log_file_validation_enabled"`
	IsOrganizationTrail        bool   `json:"is_organization_trail"`
	S3BucketName               string `json:"s3_bucket_name,omitempty"`
	KMSKeyID                   string `json:"kms_key_id,omitempty"`
	CloudWatchLogsLogGroupARN  string `json:"cloudwatch_logs_log_group_arn,omitempty"`
	// SeenInRegions are the regions whose DescribeTrails returned the trail.
	SeenInRegions []string `json:"seen_in_regions"`
	// Status is nil when GetTrailStatus failed. Configuration alone never
	// shows whether the trail is logging.
	Status *CloudTrailStatus `json:"status,omitempty"`
}

// CloudTrailStatus is GetTrailStatus's result.
type CloudTrailStatus struct {
	IsLogging           bool       `json:"is_logging"`
	StartLoggingTime    *time.Time `json:"start_logging_time,omitempty"`
	StopLoggingTime     *time.Time `json:"stop_logging_time,omitempty"`
	LatestDeliveryTime  *time.Time `json:"latest_delivery_time,omitempty"`
	LatestDeliveryError string     `json:"latest_delivery_error,omitempty"`
}

// CloudTrailAccount are the attributes of a KindCloudTrailAccount item.
type CloudTrailAccount struct {
	// RegionsDescribed are the regions whose DescribeTrails succeeded;
	// failed regions are recorded as failures of their region scope.
	RegionsDescribed []string `json:"regions_described"`
	RegionsFailed    []string `json:"regions_failed"`
	// Trails are the ARNs of every trail found.
	Trails []string `json:"trails"`
}

// CloudTrailFactory builds one CloudTrail collector per AWS target.
var CloudTrailFactory = collectors.Factory{
	ID:          "aws.cloudtrail",
	Description: "CloudTrail trails in every region in scope, with their logging status",
	Kinds:       []string{KindCloudTrailTrail, KindCloudTrailAccount},
	Build: func(env *collectors.Env) ([]collectors.Collector, error) {
		return collectorPerTarget(env, func(s *Session, t *Target) collectors.Collector {
			return &CloudTrailCollector{session: s, target: t}
		}), nil
	},
}

// CloudTrailCollector collects the trails of one account.
type CloudTrailCollector struct {
	session *Session
	target  *Target
}

var _ collectors.Collector = (*CloudTrailCollector)(nil)

// ID returns "aws.cloudtrail".
func (c *CloudTrailCollector) ID() string { return "aws.cloudtrail" }

// Scope returns the account scope.
func (c *CloudTrailCollector) Scope() string { return c.target.Scope() }

// Kinds lists the kinds the collector produces.
func (c *CloudTrailCollector) Kinds() []string {
	return []string{KindCloudTrailTrail, KindCloudTrailAccount}
}

type trailSeen struct {
	trail   cttypes.Trail
	regions []string
	prov    evidence.Provenance
}

// Collect describes the trails of every region in scope, keeps each trail
// once by ARN, and reads its status in its home region.
func (c *CloudTrailCollector) Collect(ctx context.Context, req collectors.Request, sink evidence.Sink) error {
	if !selectedCheck(req, "aws.cloudtrail.multi_region", "aws.cloudtrail.logging", "aws.cloudtrail.log_file_validation") {
		return nil
	}
	wantStatus := selectedCheck(req, "aws.cloudtrail.multi_region", "aws.cloudtrail.logging")
	acct, err := c.target.Account(ctx)
	if err != nil {
		return err
	}
	NoteRegionsOutOfScope(acct, sink)

	client := func(region string) *cloudtrail.Client {
		return cloudtrail.NewFromConfig(acct.Config(region), func(o *cloudtrail.Options) {
			if e := acct.Endpoint("cloudtrail"); e != "" {
				o.BaseEndpoint = aws.String(e)
			}
		})
	}

	var mu sync.Mutex
	trails := map[string]*trailSeen{}
	account := CloudTrailAccount{RegionsDescribed: []string{}, RegionsFailed: []string{}, Trails: []string{}}
	accountItem := evidence.MustItem(KindCloudTrailAccount, c.ID(), acct.Scope(), account)

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.session.Concurrency())
	for _, region := range acct.Regions {
		g.Go(func() error {
			var out *cloudtrail.DescribeTrailsOutput
			prov, cerr := acct.Call(gctx, region, "cloudtrail:DescribeTrails", map[string]any{"includeShadowTrails": true}, func(ctx context.Context) error {
				var err error
				out, err = client(region).DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(true)})
				return err
			})
			mu.Lock()
			defer mu.Unlock()
			accountItem.Provenance = append(accountItem.Provenance, prov)
			if cerr != nil {
				account.RegionsFailed = append(account.RegionsFailed, region)
				sink.Fail(evidence.Failure{
					Collector: c.ID(),
					Scope:     acct.RegionScope(region),
					Kinds:     []string{KindCloudTrailTrail, KindCloudTrailAccount},
					Error:     *cerr,
					Time:      time.Now().UTC(),
				})
				return nil
			}
			account.RegionsDescribed = append(account.RegionsDescribed, region)
			for _, t := range out.TrailList {
				arn := aws.ToString(t.TrailARN)
				seen, ok := trails[arn]
				if !ok {
					seen = &trailSeen{trail: t, prov: prov}
					trails[arn] = seen
				}
				// The copy listed in its home region is the trail itself;
				// the others are shadows of it.
				if aws.ToString(t.HomeRegion) == region {
					seen.trail, seen.prov = t, prov
				}
				seen.regions = append(seen.regions, region)
			}
			return nil
		})
	}
	_ = g.Wait()

	arns := make([]string, 0, len(trails))
	for arn := range trails {
		arns = append(arns, arn)
	}
	sort.Strings(arns)
	account.Trails = arns
	sort.Strings(account.RegionsDescribed)
	sort.Strings(account.RegionsFailed)
	_ = accountItem.SetAttributes(account)
	sink.Add(accountItem)

	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(c.session.Concurrency())
	for _, arn := range arns {
		seen := trails[arn]
		g.Go(func() error {
			sink.Add(c.trailItem(gctx, acct, client, seen, wantStatus))
			return nil
		})
	}
	_ = g.Wait()
	return ctx.Err()
}

func (c *CloudTrailCollector) trailItem(ctx context.Context, acct *Account, client func(string) *cloudtrail.Client, seen *trailSeen, wantStatus bool) *evidence.Item {
	t := seen.trail
	sort.Strings(seen.regions)
	attrs := CloudTrailTrail{
		Name:                       aws.ToString(t.Name),
		ARN:                        aws.ToString(t.TrailARN),
		HomeRegion:                 aws.ToString(t.HomeRegion),
		IsMultiRegionTrail:         aws.ToBool(t.IsMultiRegionTrail),
		IncludeGlobalServiceEvents: aws.ToBool(t.IncludeGlobalServiceEvents),
		LogFileValidationEnabled:   aws.ToBool(t.LogFileValidationEnabled),
		IsOrganizationTrail:        aws.ToBool(t.IsOrganizationTrail),
		S3BucketName:               aws.ToString(t.S3BucketName),
		KMSKeyID:                   aws.ToString(t.KmsKeyId),
		CloudWatchLogsLogGroupARN:  aws.ToString(t.CloudWatchLogsLogGroupArn),
		SeenInRegions:              seen.regions,
	}
	item := evidence.MustItem(KindCloudTrailTrail, c.ID(), attrs.ARN, attrs)
	item.Provenance = append(item.Provenance, seen.prov)
	item.AddRaw("cloudtrail:DescribeTrails", t)

	if wantStatus {
		home := attrs.HomeRegion
		if home == "" {
			home = c.session.Config().HomeRegion
		}
		prov, cerr := acct.Call(ctx, home, "cloudtrail:GetTrailStatus", map[string]any{"Name": attrs.ARN}, func(ctx context.Context) error {
			out, err := client(home).GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(attrs.ARN)})
			if err != nil {
				return err
			}
			item.AddRaw("cloudtrail:GetTrailStatus", out)
			attrs.Status = &CloudTrailStatus{
				IsLogging:           aws.ToBool(out.IsLogging),
				StartLoggingTime:    utcPtr(out.StartLoggingTime),
				StopLoggingTime:     utcPtr(out.StopLoggingTime),
				LatestDeliveryTime:  utcPtr(out.LatestDeliveryTime),
				LatestDeliveryError: aws.ToString(out.LatestDeliveryError),
			}
			return nil
		})
		item.Provenance = append(item.Provenance, prov)
		if cerr != nil {
			item.AddError(CloudTrailGroupStatus, *cerr)
		}
	}
	_ = item.SetAttributes(attrs)
	return item
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
