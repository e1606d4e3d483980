package aws

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"golang.org/x/sync/errgroup"

	"github.com/auditpack/auditpack/collectors"
	"github.com/auditpack/auditpack/evidence"
)

// KindKMSKey is one KMS key with its metadata and rotation status.
const KindKMSKey = "aws.kms.key"

// CheckKMSKeyRotation is the check the KMS collector feeds.
const CheckKMSKeyRotation = "aws.kms.key_rotation"

// Attribute groups of KMSKey that can fail on their own.
const (
	KMSGroupMetadata = "metadata"
	KMSGroupRotation = "rotation"
)

// KMSKey holds one KMS key.
type KMSKey struct {
	KeyID  string `json:"key_id"`
	ARN    string `json:"arn"`
	Region string `json:"region"`
	// KeyManager is CUSTOMER or AWS.
	KeyManager  string     `json:"key_manager,omitempty"`
	KeyState    string     `json:"key_state,omitempty"`
	KeySpec     string     `json:"key_spec,omitempty"`
	KeyUsage    string     `json:"key_usage,omitempty"`
	Origin      string     `json:"origin,omitempty"`
	Description string     `json:"description,omitempty"`
	MultiRegion string     `json:"multi_region,omitempty"` // PRIMARY or REPLICA
	Created     *time.Time `json:"created,omitempty"`
	// Rotatable tells whether KMS can rotate the key automatically, decided
	// from KeySpec, KeyUsage and Origin; NotRotatable says why not.
	Rotatable    bool   `json:"rotatable"`
	NotRotatable string `json:"not_rotatable,omitempty"`
	// RotationEnabled is the result of GetKeyRotationStatus, nil when the call
	// was not made (not a rotatable customer-managed key) or failed.
	RotationEnabled    *bool      `json:"rotation_enabled,omitempty"`
	RotationPeriodDays *int       `json:"rotation_period_days,omitempty"`
	NextRotation       *time.Time `json:"next_rotation,omitempty"`
}

// PendingDeletion reports whether the key is scheduled for deletion.
func (k KMSKey) PendingDeletion() bool {
	return k.KeyState == string(kmstypes.KeyStatePendingDeletion) || k.KeyState == string(kmstypes.KeyStatePendingReplicaDeletion)
}

// kmsRotatability decides whether KMS can rotate a key automatically: only
// symmetric encryption keys whose key material KMS generated can.
// Asymmetric and HMAC keys, imported key material and keys in a custom key
// store cannot. A symmetric default key is always an encryption key, so an
// absent KeyUsage (moto 5.2.1 leaves it out) does not make it unrotatable.
func kmsRotatability(md *kmstypes.KeyMetadata) (bool, string) {
	spec := string(md.KeySpec)
	if spec == "" {
		spec = string(md.CustomerMasterKeySpec)
	}
	switch {
	case spec != string(kmstypes.KeySpecSymmetricDefault):
		return false, fmt.Sprintf("key spec %s (%s) cannot rotate automatically; only symmetric encryption keys can", spec, md.KeyUsage)
	case md.KeyUsage != "" && md.KeyUsage != kmstypes.KeyUsageTypeEncryptDecrypt:
		return false, fmt.Sprintf("key usage %s cannot rotate automatically", md.KeyUsage)
	case md.Origin == kmstypes.OriginTypeExternal:
		return false, "imported key material (origin EXTERNAL) cannot rotate automatically"
	case md.Origin != "" && md.Origin != kmstypes.OriginTypeAwsKms:
		return false, fmt.Sprintf("keys in a custom key store (origin %s) cannot rotate automatically", md.Origin)
	}
	return true, ""
}

// KMSFactory builds one KMS collector per AWS target.
var KMSFactory = collectors.Factory{
	ID:          "aws.kms",
	Description: "KMS keys: type, origin, manager, state and automatic rotation",
	Kinds:       []string{KindKMSKey},
	Build: func(env *collectors.Env) ([]collectors.Collector, error) {
		return collectorPerTarget(env, func(_ *Session, t *Target) collectors.Collector {
			return &KMSCollector{target: t}
		}), nil
	},
}

// KMSCollector collects the KMS keys of one account.
type KMSCollector struct{ target *Target }

var _ collectors.Collector = (*KMSCollector)(nil)

func (c *KMSCollector) ID() string      { return "aws.kms" }
func (c *KMSCollector) Scope() string   { return c.target.Scope() }
func (c *KMSCollector) Kinds() []string { return []string{KindKMSKey} }

// Collect lists the keys of every region in scope and describes each.
func (c *KMSCollector) Collect(ctx context.Context, req collectors.Request, sink evidence.Sink) error {
	if !req.Wants(CheckKMSKeyRotation) {
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

func (c *KMSCollector) collectRegion(ctx context.Context, acct *Account, region string, sink evidence.Sink) {
	client := kms.NewFromConfig(acct.Config(region), func(o *kms.Options) {
		if e := acct.Endpoint("kms"); e != "" {
			o.BaseEndpoint = aws.String(e)
		}
	})
	var keys []kmstypes.KeyListEntry
	var listProvs []evidence.Provenance
	p := kms.NewListKeysPaginator(client, &kms.ListKeysInput{Limit: aws.Int32(1000)})
	for page := 1; p.HasMorePages(); page++ {
		var out *kms.ListKeysOutput
		prov, cerr := acct.Call(ctx, region, "kms:ListKeys", map[string]any{"Limit": 1000, "page": page}, func(ctx context.Context) error {
			var err error
			out, err = p.NextPage(ctx)
			return err
		})
		if cerr != nil {
			sink.Fail(evidence.Failure{
				Collector: c.ID(),
				Scope:     acct.RegionScope(region),
				Kinds:     []string{KindKMSKey},
				Error:     *cerr,
				Time:      time.Now().UTC(),
			})
			return
		}
		listProvs = append(listProvs, prov)
		keys = append(keys, out.Keys...)
	}

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(acct.session.Concurrency())
	for _, entry := range keys {
		g.Go(func() error {
			item := c.describeKey(gctx, acct, client, region, entry)
			item.Provenance = append(item.Provenance, listProvs...)
			sink.Add(item)
			return nil
		})
	}
	_ = g.Wait()
}

// describeKey reads one key's metadata and, for a rotatable
// customer-managed key that is not pending deletion, its rotation status.
func (c *KMSCollector) describeKey(ctx context.Context, acct *Account, client *kms.Client, region string, entry kmstypes.KeyListEntry) *evidence.Item {
	key := KMSKey{KeyID: aws.ToString(entry.KeyId), ARN: aws.ToString(entry.KeyArn), Region: region}
	if key.ARN == "" {
		key.ARN = acct.ARN("kms", region, "key/"+key.KeyID)
	}
	item := evidence.MustItem(KindKMSKey, c.ID(), key.ARN, key)

	var desc *kms.DescribeKeyOutput
	prov, cerr := acct.Call(ctx, region, "kms:DescribeKey", map[string]any{"KeyId": key.ARN}, func(ctx context.Context) error {
		var err error
		desc, err = client.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(key.ARN)})
		return err
	})
	item.Provenance = append(item.Provenance, prov)
	if cerr != nil {
		item.AddError(KMSGroupMetadata, *cerr)
		setAttributes(item, key)
		return item
	}
	md := desc.KeyMetadata
	item.AddRaw("kms:DescribeKey", md)
	key.KeyManager = string(md.KeyManager)
	key.KeyState = string(md.KeyState)
	key.KeySpec = string(md.KeySpec)
	key.KeyUsage = string(md.KeyUsage)
	key.Origin = string(md.Origin)
	key.Description = aws.ToString(md.Description)
	key.Created = utcPtr(md.CreationDate)
	if md.MultiRegionConfiguration != nil {
		key.MultiRegion = string(md.MultiRegionConfiguration.MultiRegionKeyType)
	}
	key.Rotatable, key.NotRotatable = kmsRotatability(md)

	if key.KeyManager == string(kmstypes.KeyManagerTypeCustomer) && key.Rotatable && !key.PendingDeletion() {
		var rot *kms.GetKeyRotationStatusOutput
		prov, cerr := acct.Call(ctx, region, "kms:GetKeyRotationStatus", map[string]any{"KeyId": key.ARN}, func(ctx context.Context) error {
			var err error
			rot, err = client.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: aws.String(key.ARN)})
			return err
		})
		item.Provenance = append(item.Provenance, prov)
		if cerr != nil {
			item.AddError(KMSGroupRotation, *cerr)
		} else {
			item.AddRaw("kms:GetKeyRotationStatus", map[string]any{
				"KeyRotationEnabled": rot.KeyRotationEnabled, "RotationPeriodInDays": rot.RotationPeriodInDays, "NextRotationDate": rot.NextRotationDate,
			})
			key.RotationEnabled = aws.Bool(rot.KeyRotationEnabled)
			if rot.RotationPeriodInDays != nil {
				days := int(*rot.RotationPeriodInDays)
				key.RotationPeriodDays = &days
			}
			key.NextRotation = utcPtr(rot.NextRotationDate)
		}
	}
	setAttributes(item, key)
	return item
}
