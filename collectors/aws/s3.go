package aws

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
	"golang.org/x/sync/errgroup"

	"github.com/auditpack/auditpack/collectors"
	"github.com/auditpack/auditpack/evidence"
)

// Evidence kinds of the S3 collector.
const (
	// KindS3Bucket is one bucket with the settings the selected checks read.
	KindS3Bucket = "aws.s3.bucket"
	// KindS3Account is the account-level S3 Block Public Access setting.
	KindS3Account = "aws.s3.account"
)

// Attribute groups of an S3 bucket item. A group that could not be read is
// an entry in the item's Errors under the same name.
const (
	S3GroupRegion            = "region"
	S3GroupEncryption        = "encryption"
	S3GroupVersioning        = "versioning"
	S3GroupPublicAccessBlock = "public_access_block"
	S3GroupPolicy            = "policy"
	S3GroupObjectLock        = "object_lock"
	S3GroupLifecycle         = "lifecycle"
)

// S3 error codes that mean "not configured" rather than a failure.
const (
	codeNoEncryptionConfig  = "ServerSideEncryptionConfigurationNotFoundError"
	codeNoPublicAccessBlock = "NoSuchPublicAccessBlockConfiguration"
	codeNoBucketPolicy      = "NoSuchBucketPolicy"
	codeNoObjectLockConfig  = "ObjectLockConfigurationNotFoundError"
	codeNoLifecycleConfig   = "NoSuchLifecycleConfiguration"
)

// ListBucketsPageSize is the MaxBuckets sent with every ListBuckets page, the
// largest value S3 accepts.
const ListBucketsPageSize = 10000

// S3Bucket are the attributes of a KindS3Bucket item. A nil group was not
// requested by the selected checks, or could not be read (see Item.Errors).
type S3Bucket struct {
	Name string `json:"name"`
	// Region is the bucket's region, to which its calls were sent.
	Region string `json:"region"`
	// RegionSource is "ListBuckets" when ListBuckets returned BucketRegion,
	// else "GetBucketLocation".
	RegionSource string `json:"region_source"`
	// LocationConstraint is GetBucketLocation's result as returned ("" means
	// us-east-1, "EU" means eu-west-1), when that call was made.
	LocationConstraint *string    `json:"location_constraint,omitempty"`
	CreationDate       *time.Time `json:"creation_date,omitempty"`
	// Archive marks a bucket that configuration names as an audit-log
	// archive; only those get the object lock and retention checks.
	Archive           bool                 `json:"archive"`
	Encryption        *S3Encryption        `json:"encryption,omitempty"`
	Versioning        *S3Versioning        `json:"versioning,omitempty"`
	PublicAccessBlock *S3PublicAccessBlock `json:"public_access_block,omitempty"`
	Policy            *S3Policy            `json:"policy,omitempty"`
	ObjectLock        *S3ObjectLock        `json:"object_lock,omitempty"`
	Lifecycle         *S3Lifecycle         `json:"lifecycle,omitempty"`
}

// S3Encryption is the bucket's default-encryption configuration.
type S3Encryption struct {
	// Configured is false when GetBucketEncryption returned that the bucket
	// has no configuration. NotFoundCode then keeps the error code.
	Configured   bool               `json:"configured"`
	NotFoundCode string             `json:"not_found_code,omitempty"`
	Rules        []S3EncryptionRule `json:"rules"`
}

// S3EncryptionRule is one server-side encryption rule.
type S3EncryptionRule struct {
	// HasDefault is false for a rule without ApplyServerSideEncryptionByDefault.
	HasDefault bool `json:"has_default"`
	// SSEAlgorithm is exactly as returned: AES256, aws:kms, aws:kms:dsse or
	// a value S3 adds later.
	SSEAlgorithm     string `json:"sse_algorithm"`
	KMSMasterKeyID   string `json:"kms_master_key_id,omitempty"`
	BucketKeyEnabled *bool  `json:"bucket_key_enabled,omitempty"`
}

// S3Versioning is GetBucketVersioning's result.
type S3Versioning struct {
	// Status is Enabled, Suspended, or "" when versioning was never enabled.
	Status string `json:"status"`
	// MFADelete is Enabled, Disabled, or "" when S3 did not return it.
	MFADelete string `json:"mfa_delete"`
}

// S3PublicAccessBlock is a Block Public Access setting of a bucket or of an
// account. Configured is false when no configuration exists (HTTP 404), in
// which case every flag is off.
type S3PublicAccessBlock struct {
	Configured            bool `json:"configured"`
	BlockPublicAcls       bool `json:"block_public_acls"`
	IgnorePublicAcls      bool `json:"ignore_public_acls"`
	BlockPublicPolicy     bool `json:"block_public_policy"`
	RestrictPublicBuckets bool `json:"restrict_public_buckets"`
}

// Flags returns the four flags by their S3 names, in S3's order.
func (p S3PublicAccessBlock) Flags() []S3Flag {
	return []S3Flag{
		{"BlockPublicAcls", p.BlockPublicAcls},
		{"IgnorePublicAcls", p.IgnorePublicAcls},
		{"BlockPublicPolicy", p.BlockPublicPolicy},
		{"RestrictPublicBuckets", p.RestrictPublicBuckets},
	}
}

// S3Flag is one named Block Public Access flag.
type S3Flag struct {
	Name string
	On   bool
}

// S3Policy is the bucket policy document as returned.
type S3Policy struct {
	Present  bool   `json:"present"`
	Document string `json:"document,omitempty"`
}

// S3ObjectLock is the bucket's Object Lock configuration.
type S3ObjectLock struct {
	// Configured is false when S3 returned that no configuration exists.
	Configured bool `json:"configured"`
	// Enabled is ObjectLockEnabled as returned ("Enabled" or "").
	Enabled string `json:"enabled"`
	// Mode is the default retention mode: COMPLIANCE, GOVERNANCE or "".
	Mode string `json:"mode,omitempty"`
	// Days and Years are the default retention period; S3 sets one of them,
	// but both are kept as returned.
	Days  *int32 `json:"days,omitempty"`
	Years *int32 `json:"years,omitempty"`
}

// S3Lifecycle is the bucket's lifecycle configuration.
type S3Lifecycle struct {
	// Configured is false when the bucket has no lifecycle configuration.
	Configured bool              `json:"configured"`
	Rules      []S3LifecycleRule `json:"rules"`
}

// S3LifecycleRule is the part of a lifecycle rule that deletes data.
type S3LifecycleRule struct {
	ID     string `json:"id,omitempty"`
	Status string `json:"status"`
	// Filter describes which objects the rule applies to, for reports.
	Filter                    string     `json:"filter"`
	ExpirationDays            *int32     `json:"expiration_days,omitempty"`
	ExpirationDate            *time.Time `json:"expiration_date,omitempty"`
	NoncurrentDays            *int32     `json:"noncurrent_days,omitempty"`
	NewerNoncurrentVersions   *int32     `json:"newer_noncurrent_versions,omitempty"`
	ExpiredObjectDeleteMarker *bool      `json:"expired_object_delete_marker,omitempty"`
}

// S3Account are the attributes of a KindS3Account item.
type S3Account struct {
	// PublicAccessBlock is nil when s3control:GetPublicAccessBlock failed;
	// the item's Errors then hold the reason.
	PublicAccessBlock *S3PublicAccessBlock `json:"public_access_block,omitempty"`
}

// S3Factory builds one S3 collector per AWS target.
var S3Factory = collectors.Factory{
	ID:          "aws.s3",
	Description: "S3 buckets: default encryption, versioning, Block Public Access, bucket policy, Object Lock and lifecycle",
	Kinds:       []string{KindS3Bucket, KindS3Account},
	Build: func(env *collectors.Env) ([]collectors.Collector, error) {
		return collectorPerTarget(env, func(s *Session, t *Target) collectors.Collector {
			return &S3Collector{session: s, target: t}
		}), nil
	},
}

// collectorPerTarget builds one collector per AWS target, or none when AWS
// is not configured.
func collectorPerTarget(env *collectors.Env, build func(*Session, *Target) collectors.Collector) []collectors.Collector {
	s := SessionFrom(env)
	if s == nil {
		return nil
	}
	var out []collectors.Collector
	for _, t := range s.Targets() {
		out = append(out, build(s, t))
	}
	return out
}

// S3Collector collects the S3 evidence of one account.
type S3Collector struct {
	session *Session
	target  *Target
}

var _ collectors.Collector = (*S3Collector)(nil)

// ID returns "aws.s3".
func (c *S3Collector) ID() string { return "aws.s3" }

// Scope returns the account scope.
func (c *S3Collector) Scope() string { return c.target.Scope() }

// Kinds lists the kinds the collector produces.
func (c *S3Collector) Kinds() []string { return []string{KindS3Bucket, KindS3Account} }

// s3Needs lists which S3 calls the selected checks need.
type s3Needs struct {
	encryption, versioning, publicAccessBlock, policy, objectLock, lifecycle bool
}

func (n s3Needs) any() bool {
	return n.everyBucket() || n.objectLock || n.lifecycle
}

// everyBucket reports whether a selected check reads every bucket, not only
// the archive buckets.
func (n s3Needs) everyBucket() bool {
	return n.encryption || n.versioning || n.publicAccessBlock || n.policy
}

func s3NeedsOf(req collectors.Request) s3Needs {
	return s3Needs{
		encryption:        selectedCheck(req, "aws.s3.default_encryption"),
		versioning:        selectedCheck(req, "aws.s3.versioning"),
		publicAccessBlock: selectedCheck(req, "aws.s3.public_access_block"),
		policy:            selectedCheck(req, "aws.s3.tls_only"),
		objectLock:        selectedCheck(req, "aws.s3.object_lock"),
		lifecycle:         selectedCheck(req, "aws.s3.lifecycle_retention"),
	}
}

// selectedCheck reports whether a check is selected. A request without a
// selection wants every check.
func selectedCheck(req collectors.Request, ids ...string) bool {
	if req.Checks == nil {
		return true
	}
	return req.Wants(ids...)
}

// Collect lists the account's buckets and reads, per bucket and in the
// bucket's own region, the settings the selected checks need.
//
// NOTE: ListBuckets is account-wide, so every bucket is collected whatever
// aws.regions lists; only buckets in regions that are not enabled are left
// out, as notes.
func (c *S3Collector) Collect(ctx context.Context, req collectors.Request, sink evidence.Sink) error {
	needs := s3NeedsOf(req)
	if !needs.any() {
		return nil
	}
	acct, err := c.target.Account(ctx)
	if err != nil {
		return err
	}
	NoteRegionsOutOfScope(acct, sink)
	clients := &s3Clients{acct: acct, byRegion: map[string]*s3.Client{}}

	if needs.publicAccessBlock {
		sink.Add(c.collectAccountBlock(ctx, acct))
	}

	buckets, cerr := c.listBuckets(ctx, acct, clients)
	if cerr != nil {
		sink.Fail(evidence.Failure{
			Collector: c.ID(),
			Scope:     acct.Scope(),
			Kinds:     []string{KindS3Bucket},
			Error:     *cerr,
			Time:      time.Now().UTC(),
		})
		return nil
	}

	archives := map[string]bool{}
	for _, name := range c.session.Config().ArchiveBuckets {
		archives[name] = true
	}
	notEnabled := map[string]bool{}
	for _, r := range acct.NotEnabled {
		notEnabled[r] = true
	}

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.session.Concurrency())
	for _, listed := range buckets {
		name := aws.ToString(listed.bucket.Name)
		_, archive := archives[name]
		delete(archives, name)
		if !archive && !needs.everyBucket() {
			continue
		}
		g.Go(func() error {
			item := c.collectBucket(gctx, acct, clients, listed.bucket, listed.page, needs)
			var attrs S3Bucket
			if err := item.Decode(&attrs); err == nil && notEnabled[attrs.Region] {
				sink.Note(evidence.Note{
					Collector: c.ID(),
					Scope:     acct.RegionScope(attrs.Region),
					Message:   fmt.Sprintf("bucket %s is in region %s, which is not enabled for account %s; out of scope", name, attrs.Region, acct.ID),
					Time:      time.Now().UTC(),
				})
				return nil
			}
			sink.Add(item)
			return nil
		})
	}
	_ = g.Wait()

	// A configured archive bucket that ListBuckets did not return cannot
	// be judged; its archive checks become errors instead of disappearing.
	if needs.objectLock || needs.lifecycle {
		var missing []string
		for name := range archives {
			missing = append(missing, name)
		}
		sort.Strings(missing)
		for _, name := range missing {
			sink.Fail(evidence.Failure{
				Collector: c.ID(),
				Scope:     S3BucketARN(acct.Partition, name),
				Kinds:     []string{KindS3Bucket},
				Checks:    []string{"aws.s3.object_lock", "aws.s3.lifecycle_retention"},
				Error: evidence.CollectError{
					Operation: "s3:ListBuckets",
					Code:      "NoSuchBucket",
					Message:   fmt.Sprintf("archive bucket %s is configured but not owned by account %s", name, acct.ID),
				},
				Time: time.Now().UTC(),
			})
		}
	}
	return ctx.Err()
}

// S3BucketARN returns the ARN of a bucket in a partition.
func S3BucketARN(partition, name string) string {
	return "arn:" + partition + ":s3:::" + name
}

// listedBucket is a bucket with the ListBuckets page call that returned it.
type listedBucket struct {
	bucket s3types.Bucket
	page   evidence.Provenance
}

// listBuckets reads every page of ListBuckets.
func (c *S3Collector) listBuckets(ctx context.Context, acct *Account, clients *s3Clients) ([]listedBucket, *evidence.CollectError) {
	home := c.session.Config().HomeRegion
	client := clients.get(home)
	pager := s3.NewListBucketsPaginator(client, &s3.ListBucketsInput{MaxBuckets: aws.Int32(ListBucketsPageSize)})
	var buckets []listedBucket
	for page := 1; pager.HasMorePages(); page++ {
		var out *s3.ListBucketsOutput
		prov, cerr := acct.Call(ctx, home, "s3:ListBuckets", map[string]any{"MaxBuckets": ListBucketsPageSize, "page": page}, func(ctx context.Context) error {
			var err error
			out, err = pager.NextPage(ctx)
			return err
		})
		if cerr != nil {
			return nil, cerr
		}
		for _, b := range out.Buckets {
			buckets = append(buckets, listedBucket{bucket: b, page: prov})
		}
	}
	return buckets, nil
}

func (c *S3Collector) collectAccountBlock(ctx context.Context, acct *Account) *evidence.Item {
	resource := acct.Scope()
	attrs := S3Account{}
	item := evidence.MustItem(KindS3Account, c.ID(), resource, attrs)
	home := c.session.Config().HomeRegion
	client := s3controlClient(acct, home)
	prov, cerr := acct.Call(ctx, home, "s3control:GetPublicAccessBlock", map[string]any{"AccountId": acct.ID}, func(ctx context.Context) error {
		out, err := client.GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: aws.String(acct.ID)})
		if err != nil {
			if ErrorCode(err) == codeNoPublicAccessBlock {
				attrs.PublicAccessBlock = &S3PublicAccessBlock{}
				item.AddRaw("s3control:GetPublicAccessBlock", map[string]string{"error_code": codeNoPublicAccessBlock})
				return nil
			}
			return err
		}
		item.AddRaw("s3control:GetPublicAccessBlock", out)
		attrs.PublicAccessBlock = &S3PublicAccessBlock{Configured: true}
		if cfg := out.PublicAccessBlockConfiguration; cfg != nil {
			attrs.PublicAccessBlock = publicAccessBlockOf(cfg.BlockPublicAcls, cfg.IgnorePublicAcls, cfg.BlockPublicPolicy, cfg.RestrictPublicBuckets)
		}
		return nil
	})
	item.Provenance = append(item.Provenance, prov)
	if cerr != nil {
		item.AddError(S3GroupPublicAccessBlock, *cerr)
	}
	_ = item.SetAttributes(attrs)
	return item
}

// s3controlClient returns an S3 Control client. Against an emulator the SDK
// would put the account id in front of the endpoint's host, which does not
// resolve, so the configured endpoint is used unchanged. The endpoint is
// aws.service_endpoints' s3control entry, else the one S3 uses.
func s3controlClient(acct *Account, region string) *s3control.Client {
	endpoint := acct.session.Config().ServiceEndpoints["s3control"]
	if endpoint == "" {
		endpoint = acct.Endpoint("s3")
	}
	return s3control.NewFromConfig(acct.Config(region), func(o *s3control.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			o.EndpointResolverV2 = fixedS3ControlEndpoint{url: endpoint}
		}
	})
}

type fixedS3ControlEndpoint struct{ url string }

func (e fixedS3ControlEndpoint) ResolveEndpoint(_ context.Context, _ s3control.EndpointParameters) (smithyendpoints.Endpoint, error) {
	u, err := url.Parse(e.url)
	if err != nil {
		return smithyendpoints.Endpoint{}, fmt.Errorf("invalid S3 endpoint %q: %w", e.url, err)
	}
	return smithyendpoints.Endpoint{URI: *u}, nil
}

// s3Clients caches one S3 client per region of an account.
type s3Clients struct {
	acct     *Account
	mu       sync.Mutex
	byRegion map[string]*s3.Client
}

func (cs *s3Clients) get(region string) *s3.Client {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if c, ok := cs.byRegion[region]; ok {
		return c
	}
	endpoint := cs.acct.Endpoint("s3")
	c := s3.NewFromConfig(cs.acct.Config(region), func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			o.UsePathStyle = true
		}
	})
	cs.byRegion[region] = c
	return c
}

// bucketRegion maps GetBucketLocation's LocationConstraint to a region: ""
// is us-east-1 and the legacy "EU" is eu-west-1.
func bucketRegion(constraint string) string {
	switch constraint {
	case "":
		return "us-east-1"
	case "EU":
		return "eu-west-1"
	}
	return constraint
}

// collectBucket reads one bucket. Every failed call becomes an error on
// the group it would have filled. A bucket in a region that is not enabled
// gets no calls after its region is known.
func (c *S3Collector) collectBucket(ctx context.Context, acct *Account, clients *s3Clients, b s3types.Bucket, listProv evidence.Provenance, needs s3Needs) *evidence.Item {
	name := aws.ToString(b.Name)
	attrs := S3Bucket{Name: name, CreationDate: b.CreationDate}
	for _, a := range c.session.Config().ArchiveBuckets {
		if a == name {
			attrs.Archive = true
		}
	}
	item := evidence.MustItem(KindS3Bucket, c.ID(), S3BucketARN(acct.Partition, name), attrs)
	item.Provenance = append(item.Provenance, listProv)
	item.AddRaw("s3:ListBuckets", b)
	defer func() { _ = item.SetAttributes(attrs) }()

	home := c.session.Config().HomeRegion
	if r := aws.ToString(b.BucketRegion); r != "" {
		attrs.Region, attrs.RegionSource = r, "ListBuckets"
	} else {
		prov, cerr := acct.Call(ctx, home, "s3:GetBucketLocation", map[string]any{"Bucket": name}, func(ctx context.Context) error {
			out, err := clients.get(home).GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(name)})
			if err != nil {
				return err
			}
			item.AddRaw("s3:GetBucketLocation", out)
			constraint := string(out.LocationConstraint)
			attrs.LocationConstraint = &constraint
			attrs.Region, attrs.RegionSource = bucketRegion(constraint), "GetBucketLocation"
			return nil
		})
		item.Provenance = append(item.Provenance, prov)
		if cerr != nil {
			item.AddError(S3GroupRegion, *cerr)
			return item
		}
	}
	if slices.Contains(acct.NotEnabled, attrs.Region) {
		return item
	}

	region := attrs.Region
	client := clients.get(region)
	// read makes one call for a group. An error whose code is absentCode
	// means "not configured", so it is kept as raw evidence and absent
	// fills the group. Any other error becomes the group's error.
	read := func(group, operation, absentCode string, fetch func(ctx context.Context) (any, error), absent func()) {
		prov, cerr := acct.Call(ctx, region, operation, map[string]any{"Bucket": name}, func(ctx context.Context) error {
			out, err := fetch(ctx)
			if err != nil && absentCode != "" && ErrorCode(err) == absentCode {
				item.AddRaw(operation, map[string]string{"error_code": absentCode})
				absent()
				return nil
			}
			if err != nil {
				return err
			}
			item.AddRaw(operation, out)
			return nil
		})
		item.Provenance = append(item.Provenance, prov)
		if cerr != nil {
			item.AddError(group, *cerr)
		}
	}
	bucket := aws.String(name)

	if needs.encryption {
		read(S3GroupEncryption, "s3:GetBucketEncryption", codeNoEncryptionConfig, func(ctx context.Context) (any, error) {
			out, err := client.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: bucket})
			if err == nil {
				attrs.Encryption = encryptionOf(out)
			}
			return out, err
		}, func() {
			attrs.Encryption = &S3Encryption{NotFoundCode: codeNoEncryptionConfig, Rules: []S3EncryptionRule{}}
		})
	}
	if needs.versioning {
		read(S3GroupVersioning, "s3:GetBucketVersioning", "", func(ctx context.Context) (any, error) {
			out, err := client.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: bucket})
			if err == nil {
				attrs.Versioning = &S3Versioning{Status: string(out.Status), MFADelete: string(out.MFADelete)}
			}
			return out, err
		}, nil)
	}
	if needs.publicAccessBlock {
		read(S3GroupPublicAccessBlock, "s3:GetPublicAccessBlock", codeNoPublicAccessBlock, func(ctx context.Context) (any, error) {
			out, err := client.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: bucket})
			if err == nil {
				attrs.PublicAccessBlock = &S3PublicAccessBlock{Configured: true}
				if cfg := out.PublicAccessBlockConfiguration; cfg != nil {
					attrs.PublicAccessBlock = publicAccessBlockOf(cfg.BlockPublicAcls, cfg.IgnorePublicAcls, cfg.BlockPublicPolicy, cfg.RestrictPublicBuckets)
				}
			}
			return out, err
		}, func() { attrs.PublicAccessBlock = &S3PublicAccessBlock{} })
	}
	if needs.policy {
		read(S3GroupPolicy, "s3:GetBucketPolicy", codeNoBucketPolicy, func(ctx context.Context) (any, error) {
			out, err := client.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: bucket})
			if err == nil {
				attrs.Policy = &S3Policy{Present: true, Document: aws.ToString(out.Policy)}
			}
			return out, err
		}, func() { attrs.Policy = &S3Policy{} })
	}
	if needs.objectLock && attrs.Archive {
		read(S3GroupObjectLock, "s3:GetObjectLockConfiguration", codeNoObjectLockConfig, func(ctx context.Context) (any, error) {
			out, err := client.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: bucket})
			if err == nil {
				attrs.ObjectLock = objectLockOf(out.ObjectLockConfiguration)
			}
			return out, err
		}, func() { attrs.ObjectLock = &S3ObjectLock{} })
	}
	if needs.lifecycle && attrs.Archive {
		read(S3GroupLifecycle, "s3:GetBucketLifecycleConfiguration", codeNoLifecycleConfig, func(ctx context.Context) (any, error) {
			out, err := client.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: bucket})
			if err == nil {
				attrs.Lifecycle = lifecycleOf(out.Rules)
			}
			return out, err
		}, func() { attrs.Lifecycle = &S3Lifecycle{Rules: []S3LifecycleRule{}} })
	}
	return item
}

// publicAccessBlockOf builds a configured Block Public Access setting from
// the four optional flags S3 and S3 Control return.
func publicAccessBlockOf(acls, ignore, policy, restrict *bool) *S3PublicAccessBlock {
	return &S3PublicAccessBlock{
		Configured:            true,
		BlockPublicAcls:       aws.ToBool(acls),
		IgnorePublicAcls:      aws.ToBool(ignore),
		BlockPublicPolicy:     aws.ToBool(policy),
		RestrictPublicBuckets: aws.ToBool(restrict),
	}
}

// encryptionOf normalises GetBucketEncryption's result. Every field of a
// rule is optional, so a rule with only BucketKeyEnabled is kept as a rule
// without a default algorithm.
func encryptionOf(out *s3.GetBucketEncryptionOutput) *S3Encryption {
	enc := &S3Encryption{Configured: true, Rules: []S3EncryptionRule{}}
	if out == nil || out.ServerSideEncryptionConfiguration == nil {
		return enc
	}
	for _, r := range out.ServerSideEncryptionConfiguration.Rules {
		rule := S3EncryptionRule{BucketKeyEnabled: r.BucketKeyEnabled}
		if d := r.ApplyServerSideEncryptionByDefault; d != nil {
			rule.HasDefault = true
			rule.SSEAlgorithm = string(d.SSEAlgorithm)
			rule.KMSMasterKeyID = aws.ToString(d.KMSMasterKeyID)
		}
		enc.Rules = append(enc.Rules, rule)
	}
	return enc
}

func objectLockOf(cfg *s3types.ObjectLockConfiguration) *S3ObjectLock {
	lock := &S3ObjectLock{Configured: true}
	if cfg == nil {
		return lock
	}
	lock.Enabled = string(cfg.ObjectLockEnabled)
	if cfg.Rule != nil && cfg.Rule.DefaultRetention != nil {
		d := cfg.Rule.DefaultRetention
		lock.Mode = string(d.Mode)
		lock.Days = d.Days
		lock.Years = d.Years
	}
	return lock
}

func lifecycleOf(rules []s3types.LifecycleRule) *S3Lifecycle {
	lc := &S3Lifecycle{Configured: true, Rules: []S3LifecycleRule{}}
	for _, r := range rules {
		rule := S3LifecycleRule{ID: aws.ToString(r.ID), Status: string(r.Status), Filter: lifecycleFilterText(r)}
		if e := r.Expiration; e != nil {
			rule.ExpirationDays = e.Days
			if e.Date != nil {
				d := e.Date.UTC()
				rule.ExpirationDate = &d
			}
			rule.ExpiredObjectDeleteMarker = e.ExpiredObjectDeleteMarker
		}
		if n := r.NoncurrentVersionExpiration; n != nil {
			rule.NoncurrentDays = n.NoncurrentDays
			rule.NewerNoncurrentVersions = n.NewerNoncurrentVersions
		}
		lc.Rules = append(lc.Rules, rule)
	}
	return lc
}

// lifecycleFilterText describes which objects a rule applies to.
func lifecycleFilterText(r s3types.LifecycleRule) string {
	var parts []string
	if p := aws.ToString(r.Prefix); p != "" {
		parts = append(parts, "prefix "+p)
	}
	if f := r.Filter; f != nil {
		if p := aws.ToString(f.Prefix); p != "" {
			parts = append(parts, "prefix "+p)
		}
		if f.Tag != nil {
			parts = append(parts, "tag "+aws.ToString(f.Tag.Key))
		}
		if f.And != nil {
			if p := aws.ToString(f.And.Prefix); p != "" {
				parts = append(parts, "prefix "+p)
			}
			for _, t := range f.And.Tags {
				parts = append(parts, "tag "+aws.ToString(t.Key))
			}
		}
		if f.ObjectSizeGreaterThan != nil || (f.And != nil && f.And.ObjectSizeGreaterThan != nil) {
			parts = append(parts, "minimum size")
		}
		if f.ObjectSizeLessThan != nil || (f.And != nil && f.And.ObjectSizeLessThan != nil) {
			parts = append(parts, "maximum size")
		}
	}
	if len(parts) == 0 {
		return "all objects"
	}
	return strings.Join(parts, ", ")
}
