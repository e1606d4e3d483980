package aws

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"golang.org/x/sync/errgroup"

	"github.com/auditpack/auditpack/collectors"
	"github.com/auditpack/auditpack/evidence"
)

// KindEC2Region is the per-region EC2 evidence: EBS encryption by default,
// its default KMS key and the volumes that exist in the region.
const KindEC2Region = "aws.ec2.region"

// CheckEBSDefaultEncryption is the check the EC2 collector feeds.
const CheckEBSDefaultEncryption = "aws.ec2.ebs_default_encryption"

// EBSDefaultKeyAlias is the alias EC2 returns when no customer-managed key
// has been set as the default EBS key.
const EBSDefaultKeyAlias = "alias/aws/ebs"

// EC2Region holds the EBS settings of one account and region.
type EC2Region struct {
	Region string `json:"region"`
	// EncryptionByDefault is the value GetEbsEncryptionByDefault returned.
	EncryptionByDefault bool `json:"encryption_by_default"`
	// DefaultKMSKeyID is the key id, ARN or alias exactly as
	// GetEbsDefaultKmsKeyId returned it. It is empty when encryption by
	// default is off, because the call is then not made, or when the call failed.
	DefaultKMSKeyID string `json:"default_kms_key_id,omitempty"`
	// DefaultKeyLabel names the default key for reports:
	// "AWS-managed (alias/aws/ebs)", "customer-managed (KEY)" or "unknown".
	DefaultKeyLabel string `json:"default_key_label,omitempty"`
	// Volumes and UnencryptedVolumes count the volumes in the region at
	// collection time; nil when DescribeVolumes failed.
	Volumes            *int `json:"volumes,omitempty"`
	UnencryptedVolumes *int `json:"unencrypted_volumes,omitempty"`
}

// Attribute groups of EC2Region that can fail on their own.
const (
	EC2GroupEncryption = "encryption_by_default"
	EC2GroupDefaultKey = "default_key"
	EC2GroupVolumes    = "volumes"
)

// EBSKeyLabel names a default EBS key as GetEbsDefaultKmsKeyId returns it.
// Only alias/aws/ebs, the key EC2 manages itself, is AWS-managed; any other
// alias, key id or ARN was set by the account and is customer-managed.
func EBSKeyLabel(keyID string) string {
	switch {
	case keyID == "":
		return "unknown"
	case keyID == EBSDefaultKeyAlias || strings.HasSuffix(keyID, ":"+EBSDefaultKeyAlias):
		return "AWS-managed (" + EBSDefaultKeyAlias + ")"
	default:
		return "customer-managed (" + keyID + ")"
	}
}

// EC2Factory builds one EC2 collector per AWS target.
var EC2Factory = collectors.Factory{
	ID:          "aws.ec2",
	Description: "EBS encryption by default, its default KMS key and volume counts per region",
	Kinds:       []string{KindEC2Region},
	Build: func(env *collectors.Env) ([]collectors.Collector, error) {
		return collectorPerTarget(env, func(_ *Session, t *Target) collectors.Collector {
			return &EC2Collector{target: t}
		}), nil
	},
}

// EC2Collector collects the EBS settings of every region in scope of one
// account.
type EC2Collector struct{ target *Target }

var _ collectors.Collector = (*EC2Collector)(nil)

func (c *EC2Collector) ID() string      { return "aws.ec2" }
func (c *EC2Collector) Scope() string   { return c.target.Scope() }
func (c *EC2Collector) Kinds() []string { return []string{KindEC2Region} }

// Collect reads every region in scope; a region whose encryption setting
// cannot be read becomes a failure of that region only.
func (c *EC2Collector) Collect(ctx context.Context, req collectors.Request, sink evidence.Sink) error {
	if !req.Wants(CheckEBSDefaultEncryption) {
		return nil
	}
	acct, err := c.target.Account(ctx)
	if err != nil {
		return err
	}
	NoteRegionsOutOfScope(acct, sink)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(acct.session.Concurrency())
	for _, region := range acct.Regions {
		g.Go(func() error {
			c.collectRegion(gctx, acct, region, sink)
			return nil
		})
	}
	return g.Wait()
}

func (c *EC2Collector) collectRegion(ctx context.Context, acct *Account, region string, sink evidence.Sink) {
	client := ec2.NewFromConfig(acct.Config(region), func(o *ec2.Options) {
		if e := acct.Endpoint("ec2"); e != "" {
			o.BaseEndpoint = aws.String(e)
		}
	})
	attrs := EC2Region{Region: region}
	item := evidence.MustItem(KindEC2Region, c.ID(), acct.RegionScope(region), attrs)

	var enc *ec2.GetEbsEncryptionByDefaultOutput
	prov, cerr := acct.Call(ctx, region, "ec2:GetEbsEncryptionByDefault", nil, func(ctx context.Context) error {
		var err error
		enc, err = client.GetEbsEncryptionByDefault(ctx, &ec2.GetEbsEncryptionByDefaultInput{})
		return err
	})
	if cerr != nil {
		// Without the setting nothing of the region can be judged.
		sink.Fail(evidence.Failure{
			Collector: c.ID(),
			Scope:     acct.RegionScope(region),
			Kinds:     []string{KindEC2Region},
			Error:     *cerr,
			Time:      time.Now().UTC(),
		})
		return
	}
	item.Provenance = append(item.Provenance, prov)
	item.AddRaw("ec2:GetEbsEncryptionByDefault", map[string]any{"EbsEncryptionByDefault": enc.EbsEncryptionByDefault})
	attrs.EncryptionByDefault = aws.ToBool(enc.EbsEncryptionByDefault)

	if attrs.EncryptionByDefault {
		var key *ec2.GetEbsDefaultKmsKeyIdOutput
		prov, cerr := acct.Call(ctx, region, "ec2:GetEbsDefaultKmsKeyId", nil, func(ctx context.Context) error {
			var err error
			key, err = client.GetEbsDefaultKmsKeyId(ctx, &ec2.GetEbsDefaultKmsKeyIdInput{})
			return err
		})
		item.Provenance = append(item.Provenance, prov)
		if cerr != nil {
			attrs.DefaultKeyLabel = "unknown"
			item.AddError(EC2GroupDefaultKey, *cerr)
		} else {
			item.AddRaw("ec2:GetEbsDefaultKmsKeyId", map[string]any{"KmsKeyId": key.KmsKeyId})
			attrs.DefaultKMSKeyID = aws.ToString(key.KmsKeyId)
			attrs.DefaultKeyLabel = EBSKeyLabel(attrs.DefaultKMSKeyID)
		}
	}

	total, unencrypted, provs, cerr := countVolumes(ctx, acct, client, region)
	item.Provenance = append(item.Provenance, provs...)
	if cerr != nil {
		item.AddError(EC2GroupVolumes, *cerr)
	} else {
		attrs.Volumes, attrs.UnencryptedVolumes = &total, &unencrypted
		item.AddRaw("ec2:DescribeVolumes", map[string]int{"volumes": total, "unencrypted_volumes": unencrypted})
	}

	setAttributes(item, attrs)
	sink.Add(item)
}

// countVolumes pages through DescribeVolumes and counts all and unencrypted
// volumes.
func countVolumes(ctx context.Context, acct *Account, client *ec2.Client, region string) (total, unencrypted int, provs []evidence.Provenance, cerr *evidence.CollectError) {
	p := ec2.NewDescribeVolumesPaginator(client, &ec2.DescribeVolumesInput{MaxResults: aws.Int32(500)})
	for page := 1; p.HasMorePages(); page++ {
		var out *ec2.DescribeVolumesOutput
		prov, cerr := acct.Call(ctx, region, "ec2:DescribeVolumes", map[string]any{"MaxResults": 500, "page": page}, func(ctx context.Context) error {
			var err error
			out, err = p.NextPage(ctx)
			return err
		})
		provs = append(provs, prov)
		if cerr != nil {
			return 0, 0, provs, cerr
		}
		for _, v := range out.Volumes {
			total++
			if !aws.ToBool(v.Encrypted) {
				unencrypted++
			}
		}
	}
	return total, unencrypted, provs, nil
}

// setAttributes stores attrs on item. The attribute types of this package
// are plain structs that always encode, so a failure is a programming error.
func setAttributes(item *evidence.Item, attrs any) {
	if err := item.SetAttributes(attrs); err != nil {
		panic(err)
	}
}
