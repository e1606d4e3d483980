package aws

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"golang.org/x/sync/errgroup"

	"github.com/auditpack/auditpack/collectors"
	"github.com/auditpack/auditpack/evidence"
)

// Evidence kinds of the RDS collector.
const (
	KindRDSInstance = "aws.rds.instance"
	KindRDSCluster  = "aws.rds.cluster"
)

// Checks the RDS collector feeds.
const (
	CheckRDSStorageEncrypted = "aws.rds.storage_encrypted"
	CheckRDSBackupRetention  = "aws.rds.backup_retention"
	CheckRDSForceSSL         = "aws.rds.force_ssl"
	CheckRDSSnapshotRecent   = "aws.rds.snapshot_recent"
)

// Attribute groups of RDS items that can fail on their own.
const (
	RDSGroupParameters = "parameters"
	RDSGroupSnapshots  = "snapshots"
	RDSGroupKMSKey     = "kms_key"
)

// RDSInstance holds one DB instance. Instances that belong to a DB cluster
// (Aurora or Multi-AZ DB cluster) are kept as evidence but judged at their
// cluster.
type RDSInstance struct {
	Identifier    string `json:"identifier"`
	ARN           string `json:"arn"`
	Region        string `json:"region"`
	Engine        string `json:"engine"`
	EngineVersion string `json:"engine_version,omitempty"`
	Status        string `json:"status,omitempty"`
	// ClusterIdentifier names the DB cluster the instance belongs to.
	ClusterIdentifier string `json:"cluster_identifier,omitempty"`
	RDSStorage
	BackupRetentionDays int `json:"backup_retention_days"`
	// ReadReplicaSource is the source instance's identifier (an ARN when the
	// source is in another region), empty for a primary.
	ReadReplicaSource    string             `json:"read_replica_source,omitempty"`
	ParameterGroup       *RDSParameterGroup `json:"parameter_group,omitempty"`
	Snapshots            *RDSSnapshots      `json:"snapshots,omitempty"`
	LatestRestorableTime *time.Time         `json:"latest_restorable_time,omitempty"`
	Created              *time.Time         `json:"created,omitempty"`
}

// RDSCluster holds one DB cluster.
type RDSCluster struct {
	Identifier    string   `json:"identifier"`
	ARN           string   `json:"arn"`
	Region        string   `json:"region"`
	Engine        string   `json:"engine"`
	EngineVersion string   `json:"engine_version,omitempty"`
	Status        string   `json:"status,omitempty"`
	Members       []string `json:"members,omitempty"`
	RDSStorage
	BackupRetentionDays int `json:"backup_retention_days"`
	// ReplicationSource is the ARN of the cluster this one replicates.
	ReplicationSource    string             `json:"replication_source,omitempty"`
	ParameterGroup       *RDSParameterGroup `json:"parameter_group,omitempty"`
	Snapshots            *RDSSnapshots      `json:"snapshots,omitempty"`
	LatestRestorableTime *time.Time         `json:"latest_restorable_time,omitempty"`
	Created              *time.Time         `json:"created,omitempty"`
}

// RDSStorage is the encryption at rest of an instance or cluster, as the
// API returns it.
type RDSStorage struct {
	StorageEncrypted bool `json:"storage_encrypted"`
	// StorageEncryptionType is none, sse-rds (AWS-owned key) or sse-kms, when
	// the API returns it.
	StorageEncryptionType string `json:"storage_encryption_type,omitempty"`
	KMSKeyID              string `json:"kms_key_id,omitempty"`
	// KeyManager is AWS or CUSTOMER from kms:DescribeKey, empty when no key
	// id was returned or the key was not looked up.
	KeyManager string `json:"key_manager,omitempty"`
}

// Encrypted reports whether data at rest is encrypted. An AWS-owned key
// can come with StorageEncrypted false and StorageEncryptionType sse-rds,
// so both fields count. The presence of a key id never does, because moto
// reports one for unencrypted Aurora clusters.
func (s RDSStorage) Encrypted() bool {
	switch s.StorageEncryptionType {
	case "sse-rds", "sse-kms":
		return true
	case "none":
		return false
	}
	return s.StorageEncrypted
}

// KeyType names the kind of key that protects encrypted storage.
func (s RDSStorage) KeyType() string {
	switch {
	case s.StorageEncryptionType == "sse-rds":
		return "AWS-owned key"
	case s.KMSKeyID == "" && s.StorageEncryptionType != "sse-kms":
		return "AWS-owned key"
	case s.KeyManager == "CUSTOMER":
		return "customer-managed key"
	case s.KeyManager == "AWS":
		return "AWS-managed key (alias/aws/rds)"
	}
	return "KMS key of unknown type"
}

// RDSParameterGroup is the TLS setting of the parameter group in use.
type RDSParameterGroup struct {
	Name string `json:"name"`
	// Cluster is true for a DB cluster parameter group.
	Cluster bool `json:"cluster,omitempty"`
	// ApplyStatus is in-sync or pending-reboot.
	ApplyStatus string `json:"apply_status,omitempty"`
	// Parameter is rds.force_ssl or require_secure_transport.
	Parameter string `json:"parameter"`
	// Value is the parameter's value, nil when the group does not set it and
	// the engine default applies.
	Value  *string `json:"value,omitempty"`
	Source string  `json:"source,omitempty"`
}

// RDSSnapshots summarises the snapshots of one instance or cluster.
type RDSSnapshots struct {
	Count  int             `json:"count"`
	Latest *RDSSnapshotRef `json:"latest,omitempty"`
}

// RDSSnapshotRef is one available snapshot.
type RDSSnapshotRef struct {
	ID string `json:"id"`
	// Type is automated, manual or awsbackup.
	Type    string    `json:"type"`
	Created time.Time `json:"created"`
}

// TLSParameter returns the parameter that forces TLS for an engine, or "".
func TLSParameter(engine string) string {
	switch {
	case strings.Contains(engine, "postgres"):
		return "rds.force_ssl"
	case strings.Contains(engine, "mysql"), engine == "mariadb", engine == "aurora":
		return "require_secure_transport"
	}
	return ""
}

// RDSFactory builds one RDS collector per AWS target.
var RDSFactory = collectors.Factory{
	ID:          "aws.rds",
	Description: "RDS DB instances and clusters: encryption, backup retention, TLS parameters and snapshots",
	Kinds:       []string{KindRDSInstance, KindRDSCluster},
	Build: func(env *collectors.Env) ([]collectors.Collector, error) {
		return collectorPerTarget(env, func(_ *Session, t *Target) collectors.Collector {
			return &RDSCollector{target: t}
		}), nil
	},
}

// RDSCollector collects the DB instances and clusters of one account.
type RDSCollector struct{ target *Target }

var _ collectors.Collector = (*RDSCollector)(nil)

func (c *RDSCollector) ID() string      { return "aws.rds" }
func (c *RDSCollector) Scope() string   { return c.target.Scope() }
func (c *RDSCollector) Kinds() []string { return []string{KindRDSInstance, KindRDSCluster} }

// Collect reads every region in scope. A region whose instance or cluster
// list cannot be read becomes a failure of that region and kind. A part of
// one resource that cannot be read is an error of that resource.
func (c *RDSCollector) Collect(ctx context.Context, req collectors.Request, sink evidence.Sink) error {
	if !req.Wants(CheckRDSStorageEncrypted, CheckRDSBackupRetention, CheckRDSForceSSL, CheckRDSSnapshotRecent) {
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
			r := &rdsRegion{collector: c, acct: acct, region: region, req: req, sink: sink}
			r.collect(gctx)
			return nil
		})
	}
	return g.Wait()
}

// rdsRegion is the collection state of one region.
type rdsRegion struct {
	collector *RDSCollector
	acct      *Account
	region    string
	req       collectors.Request
	sink      evidence.Sink
	client    *rds.Client

	instances []*rdsEntry
	clusters  []*rdsEntry
}

// rdsEntry is an instance or cluster being assembled into an item.
type rdsEntry struct {
	item     *evidence.Item
	instance *RDSInstance
	cluster  *RDSCluster
}

func (e *rdsEntry) storage() *RDSStorage {
	if e.cluster != nil {
		return &e.cluster.RDSStorage
	}
	return &e.instance.RDSStorage
}

func (r *rdsRegion) fail(kind string, ce evidence.CollectError) {
	r.sink.Fail(evidence.Failure{
		Collector: r.collector.ID(),
		Scope:     r.acct.RegionScope(r.region),
		Kinds:     []string{kind},
		Error:     ce,
		Time:      time.Now().UTC(),
	})
}

func (r *rdsRegion) collect(ctx context.Context) {
	r.client = rds.NewFromConfig(r.acct.Config(r.region), func(o *rds.Options) {
		if e := r.acct.Endpoint("rds"); e != "" {
			o.BaseEndpoint = aws.String(e)
		}
	})
	// A failed list call is a failure of its kind; it never becomes an
	// empty list.
	instancesOK := r.listInstances(ctx)
	clustersOK := r.listClusters(ctx)
	if !instancesOK && !clustersOK {
		return
	}
	if r.req.Wants(CheckRDSStorageEncrypted) {
		r.lookupKeys(ctx)
	}
	if r.req.Wants(CheckRDSForceSSL) {
		r.readParameters(ctx)
	}
	if r.req.Wants(CheckRDSSnapshotRecent) {
		r.readSnapshots(ctx)
	}
	for _, e := range r.instances {
		setAttributes(e.item, e.instance)
		r.sink.Add(e.item)
	}
	for _, e := range r.clusters {
		setAttributes(e.item, e.cluster)
		r.sink.Add(e.item)
	}
}

func (r *rdsRegion) listInstances(ctx context.Context) bool {
	p := rds.NewDescribeDBInstancesPaginator(r.client, &rds.DescribeDBInstancesInput{MaxRecords: aws.Int32(100)})
	for page := 1; p.HasMorePages(); page++ {
		var out *rds.DescribeDBInstancesOutput
		prov, cerr := r.acct.Call(ctx, r.region, "rds:DescribeDBInstances", map[string]any{"MaxRecords": 100, "page": page}, func(ctx context.Context) error {
			var err error
			out, err = p.NextPage(ctx)
			return err
		})
		if cerr != nil {
			r.instances = nil
			r.fail(KindRDSInstance, *cerr)
			return false
		}
		for _, db := range out.DBInstances {
			r.instances = append(r.instances, r.newInstance(db, prov))
		}
	}
	return true
}

func (r *rdsRegion) newInstance(db rdstypes.DBInstance, prov evidence.Provenance) *rdsEntry {
	id := aws.ToString(db.DBInstanceIdentifier)
	arn := aws.ToString(db.DBInstanceArn)
	if arn == "" {
		arn = r.acct.ARN("rds", r.region, "db:"+id)
	}
	inst := &RDSInstance{
		Identifier:        id,
		ARN:               arn,
		Region:            r.region,
		Engine:            aws.ToString(db.Engine),
		EngineVersion:     aws.ToString(db.EngineVersion),
		Status:            aws.ToString(db.DBInstanceStatus),
		ClusterIdentifier: aws.ToString(db.DBClusterIdentifier),
		RDSStorage: RDSStorage{
			StorageEncrypted:      aws.ToBool(db.StorageEncrypted),
			StorageEncryptionType: string(db.StorageEncryptionType),
			KMSKeyID:              aws.ToString(db.KmsKeyId),
		},
		BackupRetentionDays:  int(aws.ToInt32(db.BackupRetentionPeriod)),
		ReadReplicaSource:    aws.ToString(db.ReadReplicaSourceDBInstanceIdentifier),
		LatestRestorableTime: utcPtr(db.LatestRestorableTime),
		Created:              utcPtr(db.InstanceCreateTime),
	}
	if len(db.DBParameterGroups) > 0 {
		pg := db.DBParameterGroups[0]
		inst.ParameterGroup = &RDSParameterGroup{
			Name:        aws.ToString(pg.DBParameterGroupName),
			ApplyStatus: aws.ToString(pg.ParameterApplyStatus),
			Parameter:   TLSParameter(inst.Engine),
		}
	}
	item := evidence.MustItem(KindRDSInstance, r.collector.ID(), arn, inst)
	item.AddRaw("rds:DescribeDBInstances", db)
	item.Provenance = append(item.Provenance, prov)
	return &rdsEntry{item: item, instance: inst}
}

func (r *rdsRegion) listClusters(ctx context.Context) bool {
	p := rds.NewDescribeDBClustersPaginator(r.client, &rds.DescribeDBClustersInput{MaxRecords: aws.Int32(100)})
	for page := 1; p.HasMorePages(); page++ {
		var out *rds.DescribeDBClustersOutput
		prov, cerr := r.acct.Call(ctx, r.region, "rds:DescribeDBClusters", map[string]any{"MaxRecords": 100, "page": page}, func(ctx context.Context) error {
			var err error
			out, err = p.NextPage(ctx)
			return err
		})
		if cerr != nil {
			r.clusters = nil
			r.fail(KindRDSCluster, *cerr)
			return false
		}
		for _, db := range out.DBClusters {
			r.clusters = append(r.clusters, r.newCluster(db, prov))
		}
	}
	return true
}

func (r *rdsRegion) newCluster(db rdstypes.DBCluster, prov evidence.Provenance) *rdsEntry {
	id := aws.ToString(db.DBClusterIdentifier)
	arn := aws.ToString(db.DBClusterArn)
	if arn == "" {
		arn = r.acct.ARN("rds", r.region, "cluster:"+id)
	}
	cl := &RDSCluster{
		Identifier:    id,
		ARN:           arn,
		Region:        r.region,
		Engine:        aws.ToString(db.Engine),
		EngineVersion: aws.ToString(db.EngineVersion),
		Status:        aws.ToString(db.Status),
		RDSStorage: RDSStorage{
			StorageEncrypted:      aws.ToBool(db.StorageEncrypted),
			StorageEncryptionType: string(db.StorageEncryptionType),
			KMSKeyID:              aws.ToString(db.KmsKeyId),
		},
		BackupRetentionDays:  int(aws.ToInt32(db.BackupRetentionPeriod)),
		ReplicationSource:    aws.ToString(db.ReplicationSourceIdentifier),
		LatestRestorableTime: utcPtr(db.LatestRestorableTime),
		Created:              utcPtr(db.ClusterCreateTime),
	}
	for _, m := range db.DBClusterMembers {
		cl.Members = append(cl.Members, aws.ToString(m.DBInstanceIdentifier))
	}
	sort.Strings(cl.Members)
	if name := aws.ToString(db.DBClusterParameterGroup); name != "" {
		cl.ParameterGroup = &RDSParameterGroup{Name: name, Cluster: true, Parameter: TLSParameter(cl.Engine)}
	}
	item := evidence.MustItem(KindRDSCluster, r.collector.ID(), arn, cl)
	item.AddRaw("rds:DescribeDBClusters", db)
	item.Provenance = append(item.Provenance, prov)
	return &rdsEntry{item: item, cluster: cl}
}

// lookupKeys looks up in KMS who manages each key id of encrypted storage, so
// that a customer-managed key can be required. Each key is looked up once.
func (r *rdsRegion) lookupKeys(ctx context.Context) {
	users := map[string][]*rdsEntry{}
	for _, e := range append(append([]*rdsEntry(nil), r.instances...), r.clusters...) {
		if e.instance != nil && e.instance.ClusterIdentifier != "" {
			continue // judged at the cluster
		}
		st := e.storage()
		if st.Encrypted() && st.KMSKeyID != "" && st.StorageEncryptionType != "sse-rds" {
			users[st.KMSKeyID] = append(users[st.KMSKeyID], e)
		}
	}
	client := kms.NewFromConfig(r.acct.Config(r.region), func(o *kms.Options) {
		if e := r.acct.Endpoint("kms"); e != "" {
			o.BaseEndpoint = aws.String(e)
		}
	})
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.acct.session.Concurrency())
	for keyID, entries := range users {
		g.Go(func() error {
			var out *kms.DescribeKeyOutput
			prov, cerr := r.acct.Call(gctx, r.region, "kms:DescribeKey", map[string]any{"KeyId": keyID}, func(ctx context.Context) error {
				var err error
				out, err = client.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(keyID)})
				return err
			})
			mu.Lock()
			defer mu.Unlock()
			for _, e := range entries {
				e.item.Provenance = append(e.item.Provenance, prov)
				if cerr != nil {
					e.item.AddError(RDSGroupKMSKey, *cerr)
					continue
				}
				e.storage().KeyManager = string(out.KeyMetadata.KeyManager)
			}
			return nil
		})
	}
	_ = g.Wait()
}

// readParameters reads the TLS parameter of every parameter group that a
// PostgreSQL or MySQL instance or cluster uses, each group once.
func (r *rdsRegion) readParameters(ctx context.Context) {
	type groupKey struct {
		name    string
		cluster bool
	}
	users := map[groupKey][]*rdsEntry{}
	groupOf := func(e *rdsEntry) *RDSParameterGroup {
		if e.cluster != nil {
			return e.cluster.ParameterGroup
		}
		return e.instance.ParameterGroup
	}
	for _, e := range append(append([]*rdsEntry(nil), r.instances...), r.clusters...) {
		if e.instance != nil && e.instance.ClusterIdentifier != "" {
			continue // the cluster parameter group decides
		}
		pg := groupOf(e)
		if pg == nil || pg.Parameter == "" {
			continue
		}
		k := groupKey{pg.Name, pg.Cluster}
		users[k] = append(users[k], e)
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.acct.session.Concurrency())
	for k, entries := range users {
		g.Go(func() error {
			params, provs, cerr := r.describeParameters(gctx, k.name, k.cluster)
			mu.Lock()
			defer mu.Unlock()
			for _, e := range entries {
				e.item.Provenance = append(e.item.Provenance, provs...)
				if cerr != nil {
					e.item.AddError(RDSGroupParameters, *cerr)
					continue
				}
				pg := groupOf(e)
				if p, ok := params[pg.Parameter]; ok {
					pg.Value = p.ParameterValue
					pg.Source = aws.ToString(p.Source)
					e.item.AddRaw(operationForGroup(k.cluster), p)
				}
			}
			return nil
		})
	}
	_ = g.Wait()
}

func operationForGroup(cluster bool) string {
	if cluster {
		return "rds:DescribeDBClusterParameters"
	}
	return "rds:DescribeDBParameters"
}

// describeParameters pages through a DB or DB cluster parameter group and
// returns the TLS parameters it lists.
func (r *rdsRegion) describeParameters(ctx context.Context, name string, cluster bool) (map[string]rdstypes.Parameter, []evidence.Provenance, *evidence.CollectError) {
	found := map[string]rdstypes.Parameter{}
	keep := func(ps []rdstypes.Parameter) {
		for _, p := range ps {
			switch n := aws.ToString(p.ParameterName); n {
			case "rds.force_ssl", "require_secure_transport":
				found[n] = p
			}
		}
	}
	var provs []evidence.Provenance
	op := operationForGroup(cluster)
	var next func(ctx context.Context) ([]rdstypes.Parameter, error)
	var more func() bool
	if cluster {
		p := rds.NewDescribeDBClusterParametersPaginator(r.client, &rds.DescribeDBClusterParametersInput{DBClusterParameterGroupName: aws.String(name), MaxRecords: aws.Int32(100)})
		more = p.HasMorePages
		next = func(ctx context.Context) ([]rdstypes.Parameter, error) {
			out, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			return out.Parameters, nil
		}
	} else {
		p := rds.NewDescribeDBParametersPaginator(r.client, &rds.DescribeDBParametersInput{DBParameterGroupName: aws.String(name), MaxRecords: aws.Int32(100)})
		more = p.HasMorePages
		next = func(ctx context.Context) ([]rdstypes.Parameter, error) {
			out, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			return out.Parameters, nil
		}
	}
	for page := 1; more(); page++ {
		var ps []rdstypes.Parameter
		prov, cerr := r.acct.Call(ctx, r.region, op, map[string]any{"group": name, "MaxRecords": 100, "page": page}, func(ctx context.Context) error {
			var err error
			ps, err = next(ctx)
			return err
		})
		provs = append(provs, prov)
		if cerr != nil {
			return nil, provs, cerr
		}
		keep(ps)
	}
	return found, provs, nil
}

// readSnapshots pages through the region's DB snapshots and DB cluster
// snapshots (Aurora snapshots appear only in the latter) and keeps the
// latest available one per instance and cluster.
func (r *rdsRegion) readSnapshots(ctx context.Context) {
	if len(r.instances) > 0 {
		latest, provs, cerr := r.instanceSnapshots(ctx)
		for _, e := range r.instances {
			e.item.Provenance = append(e.item.Provenance, provs...)
			if cerr != nil {
				e.item.AddError(RDSGroupSnapshots, *cerr)
				continue
			}
			s := latest[e.instance.Identifier]
			e.instance.Snapshots = &s
		}
	}
	if len(r.clusters) > 0 {
		latest, provs, cerr := r.clusterSnapshots(ctx)
		for _, e := range r.clusters {
			e.item.Provenance = append(e.item.Provenance, provs...)
			if cerr != nil {
				e.item.AddError(RDSGroupSnapshots, *cerr)
				continue
			}
			s := latest[e.cluster.Identifier]
			e.cluster.Snapshots = &s
		}
	}
}

// noteSnapshot counts an available snapshot and keeps it when it is the
// latest of its owner.
func noteSnapshot(byOwner map[string]RDSSnapshots, owner, id, typ, status string, created *time.Time) {
	if status != "available" || created == nil {
		return
	}
	s := byOwner[owner]
	s.Count++
	if s.Latest == nil || created.After(s.Latest.Created) {
		s.Latest = &RDSSnapshotRef{ID: id, Type: typ, Created: created.UTC()}
	}
	byOwner[owner] = s
}

func (r *rdsRegion) instanceSnapshots(ctx context.Context) (map[string]RDSSnapshots, []evidence.Provenance, *evidence.CollectError) {
	byOwner := map[string]RDSSnapshots{}
	var provs []evidence.Provenance
	p := rds.NewDescribeDBSnapshotsPaginator(r.client, &rds.DescribeDBSnapshotsInput{MaxRecords: aws.Int32(100)})
	for page := 1; p.HasMorePages(); page++ {
		var out *rds.DescribeDBSnapshotsOutput
		prov, cerr := r.acct.Call(ctx, r.region, "rds:DescribeDBSnapshots", map[string]any{"MaxRecords": 100, "page": page}, func(ctx context.Context) error {
			var err error
			out, err = p.NextPage(ctx)
			return err
		})
		provs = append(provs, prov)
		if cerr != nil {
			return nil, provs, cerr
		}
		for _, s := range out.DBSnapshots {
			noteSnapshot(byOwner, aws.ToString(s.DBInstanceIdentifier), aws.ToString(s.DBSnapshotIdentifier), aws.ToString(s.SnapshotType), aws.ToString(s.Status), s.SnapshotCreateTime)
		}
	}
	return byOwner, provs, nil
}

func (r *rdsRegion) clusterSnapshots(ctx context.Context) (map[string]RDSSnapshots, []evidence.Provenance, *evidence.CollectError) {
	byOwner := map[string]RDSSnapshots{}
	var provs []evidence.Provenance
	p := rds.NewDescribeDBClusterSnapshotsPaginator(r.client, &rds.DescribeDBClusterSnapshotsInput{MaxRecords: aws.Int32(100)})
	for page := 1; p.HasMorePages(); page++ {
		var out *rds.DescribeDBClusterSnapshotsOutput
		prov, cerr := r.acct.Call(ctx, r.region, "rds:DescribeDBClusterSnapshots", map[string]any{"MaxRecords": 100, "page": page}, func(ctx context.Context) error {
			var err error
			out, err = p.NextPage(ctx)
			return err
		})
		provs = append(provs, prov)
		if cerr != nil {
			return nil, provs, cerr
		}
		for _, s := range out.DBClusterSnapshots {
			noteSnapshot(byOwner, aws.ToString(s.DBClusterIdentifier), aws.ToString(s.DBClusterSnapshotIdentifier), aws.ToString(s.SnapshotType), aws.ToString(s.Status), s.SnapshotCreateTime)
		}
	}
	return byOwner, provs, nil
}
