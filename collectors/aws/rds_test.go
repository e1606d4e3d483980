package aws_test

import (
	"context"
	"strings"
	"testing"
	"time"

	awsv2 "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	awscol "github.com/auditpack/auditpack/collectors/aws"
	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/internal/testenv"
)

var rdsChecks = []string{
	awscol.CheckRDSStorageEncrypted,
	awscol.CheckRDSBackupRetention,
	awscol.CheckRDSForceSSL,
	awscol.CheckRDSSnapshotRecent,
}

func rdsARN(id string) string { return "arn:aws:rds:us-east-1:" + motoAccount + ":db:" + id }

func clusterARN(id string) string {
	return "arn:aws:rds:us-east-1:" + motoAccount + ":cluster:" + id
}

// createDB creates a DB instance in moto's us-east-1 with the options that
// opts sets on top of a small PostgreSQL default.
func createDB(t *testing.T, client *rds.Client, id string, opts func(*rds.CreateDBInstanceInput)) {
	t.Helper()
	in := &rds.CreateDBInstanceInput{
		DBInstanceIdentifier:  awsv2.String(id),
		DBInstanceClass:       awsv2.String("db.t3.micro"),
		Engine:                awsv2.String("postgres"),
		AllocatedStorage:      awsv2.Int32(20),
		MasterUsername:        awsv2.String("app"),
		MasterUserPassword:    awsv2.String("not-a-secret-1"),
		BackupRetentionPeriod: awsv2.Int32(7),
	}
	if opts != nil {
		opts(in)
	}
	if _, err := client.CreateDBInstance(context.Background(), in); err != nil {
		t.Fatalf("create DB instance %s: %v", id, err)
	}
}

func rdsClient(endpoint string) *rds.Client {
	return rds.NewFromConfig(harnessSDKConfig(endpoint, "us-east-1"))
}

const rdsNamespace = `xmlns="http://rds.amazonaws.com/doc/2014-10-31/"`

// recordedAurora returns RDS's responses for an Aurora PostgreSQL instance in
// cluster orders-prod, encrypted with an AWS-owned key (StorageEncrypted
// true, no KmsKeyId), and the unencrypted cluster legacy-2023.
func recordedAurora(call interceptedCall) (int, string, bool) {
	switch call.Action {
	case "DescribeDBInstances":
		return 200, `<DescribeDBInstancesResponse ` + rdsNamespace + `><DescribeDBInstancesResult><DBInstances>
<DBInstance>
  <DBInstanceIdentifier>orders-1</DBInstanceIdentifier>
  <DBInstanceArn>arn:aws:rds:us-east-1:123456789012:db:orders-1</DBInstanceArn>
  <Engine>aurora-postgresql</Engine>
  <EngineVersion>16.4</EngineVersion>
  <DBInstanceStatus>available</DBInstanceStatus>
  <DBClusterIdentifier>orders-prod</DBClusterIdentifier>
  <StorageEncrypted>false</StorageEncrypted>
  <BackupRetentionPeriod>7</BackupRetentionPeriod>
</DBInstance>
</DBInstances></DescribeDBInstancesResult><ResponseMetadata><RequestId>0b1c2d3e-0000-4000-8000-000000000001</RequestId></ResponseMetadata></DescribeDBInstancesResponse>`, true
	case "DescribeDBClusters":
		return 200, `<DescribeDBClustersResponse ` + rdsNamespace + `><DescribeDBClustersResult><DBClusters>
<DBCluster>
  <DBClusterIdentifier>orders-prod</DBClusterIdentifier>
  <DBClusterArn>arn:aws:rds:us-east-1:123456789012:cluster:orders-prod</DBClusterArn>
  <Engine>aurora-postgresql</Engine>
  <EngineVersion>16.4</EngineVersion>
  <Status>available</Status>
  <StorageEncrypted>true</StorageEncrypted>
  <BackupRetentionPeriod>7</BackupRetentionPeriod>
  <ClusterCreateTime>2026-07-25T10:00:00Z</ClusterCreateTime>
  <LatestRestorableTime>2026-12-04T11:55:00Z</LatestRestorableTime>
  <DBClusterMembers><DBClusterMember><DBInstanceIdentifier>orders-1</DBInstanceIdentifier><IsClusterWriter>true</IsClusterWriter></DBClusterMember></DBClusterMembers>
</DBCluster>
<DBCluster>
  <DBClusterIdentifier>legacy-2023</DBClusterIdentifier>
  <DBClusterArn>arn:aws:rds:us-east-1:123456789012:cluster:legacy-2023</DBClusterArn>
  <Engine>aurora-mysql</Engine>
  <EngineVersion>8.0.mysql_aurora.3.05.2</EngineVersion>
  <Status>available</Status>
  <StorageEncrypted>false</StorageEncrypted>
  <BackupRetentionPeriod>1</BackupRetentionPeriod>
  <ClusterCreateTime>2023-01-01T00:00:00Z</ClusterCreateTime>
</DBCluster>
</DBClusters></DescribeDBClustersResult><ResponseMetadata><RequestId>0b1c2d3e-0000-4000-8000-000000000002</RequestId></ResponseMetadata></DescribeDBClustersResponse>`, true
	}
	return 0, "", false
}

func TestRDS_01_AuroraJudgedAtCluster(t *testing.T) {
	moto := testenv.RequireMoto(t)
	proxy := newInterceptProxy(t, moto.Endpoint, recordedAurora)
	env := harnessEnv(proxy.URL)
	set := harnessCollect(t, env, awscol.RDSFactory, harnessNow, rdsChecks...)
	check := awscol.CheckRDSStorageEncrypted
	findings := harnessEvaluate(t, set, harnessNow, nil, check)

	orders := harnessFinding(t, findings, check, clusterARN("orders-prod"))
	if orders.Status != controls.StatusPass {
		t.Errorf("orders-prod status = %s (%s), want pass", orders.Status, orders.Message)
	}
	if got := orders.Details["key_type"]; got != "AWS-owned key" {
		t.Errorf("orders-prod key type = %v, want AWS-owned key", got)
	}
	legacy := harnessFinding(t, findings, check, clusterARN("legacy-2023"))
	if legacy.Status != controls.StatusFail {
		t.Errorf("legacy-2023 status = %s, want fail", legacy.Status)
	}
	for _, f := range findings {
		if f.Resource == rdsARN("orders-1") {
			t.Errorf("Aurora instance orders-1 has an encryption finding of its own: %s %s", f.Status, f.Message)
		}
	}
	if len(set.ByKind(awscol.KindRDSInstance)) != 1 {
		t.Errorf("instance items = %d, want orders-1 kept as evidence", len(set.ByKind(awscol.KindRDSInstance)))
	}

	strict := harnessEvaluate(t, set, harnessNow, map[string]controls.Params{check: {"require_cmk": true}}, check)
	cmk := harnessFinding(t, strict, check, clusterARN("orders-prod"))
	if cmk.Status != controls.StatusFail || cmk.Message != "AWS-owned key; CMK required" {
		t.Errorf("orders-prod with require_cmk = %s %q, want fail \"AWS-owned key; CMK required\"", cmk.Status, cmk.Message)
	}
}

func TestRDS_01_ClusterSnapshotsCollected(t *testing.T) {
	moto := testenv.RequireMoto(t)
	client := rdsClient(moto.Endpoint)
	ctx := context.Background()
	for _, c := range []struct {
		id        string
		encrypted bool
	}{{"orders-prod", true}, {"legacy-2023", false}} {
		_, err := client.CreateDBCluster(ctx, &rds.CreateDBClusterInput{
			DBClusterIdentifier: awsv2.String(c.id), Engine: awsv2.String("aurora-postgresql"),
			MasterUsername: awsv2.String("app"), MasterUserPassword: awsv2.String("not-a-secret-1"),
			StorageEncrypted: awsv2.Bool(c.encrypted), BackupRetentionPeriod: awsv2.Int32(7),
		})
		if err != nil {
			t.Fatalf("create cluster %s: %v", c.id, err)
		}
	}
	createDB(t, client, "orders-1", func(in *rds.CreateDBInstanceInput) {
		in.Engine = awsv2.String("aurora-postgresql")
		in.DBClusterIdentifier = awsv2.String("orders-prod")
		in.AllocatedStorage, in.MasterUsername, in.MasterUserPassword, in.BackupRetentionPeriod = nil, nil, nil, nil
	})
	if _, err := client.CreateDBClusterSnapshot(ctx, &rds.CreateDBClusterSnapshotInput{
		DBClusterIdentifier: awsv2.String("orders-prod"), DBClusterSnapshotIdentifier: awsv2.String("orders-prod-manual"),
	}); err != nil {
		t.Fatalf("create cluster snapshot: %v", err)
	}

	now := time.Now().UTC()
	set := harnessCollect(t, harnessEnv(moto.Endpoint), awscol.RDSFactory, now, rdsChecks...)
	findings := harnessEvaluate(t, set, now, nil, rdsChecks...)

	var orders awscol.RDSCluster
	for _, it := range set.ByKind(awscol.KindRDSCluster) {
		if it.Resource == clusterARN("orders-prod") {
			if err := it.Decode(&orders); err != nil {
				t.Fatal(err)
			}
		}
	}
	if orders.Snapshots == nil || orders.Snapshots.Latest == nil || orders.Snapshots.Latest.ID != "orders-prod-manual" {
		t.Fatalf("orders-prod snapshots = %+v, want the manual cluster snapshot from DescribeDBClusterSnapshots", orders.Snapshots)
	}
	if f := harnessFinding(t, findings, awscol.CheckRDSSnapshotRecent, clusterARN("orders-prod")); f.Status != controls.StatusPass {
		t.Errorf("orders-prod snapshot_recent = %s %s, want pass", f.Status, f.Message)
	}
	if f := harnessFinding(t, findings, awscol.CheckRDSStorageEncrypted, clusterARN("legacy-2023")); f.Status != controls.StatusFail {
		t.Errorf("legacy-2023 storage = %s %s, want fail (moto's key id placeholder must not count)", f.Status, f.Message)
	}
	if f := harnessFinding(t, findings, awscol.CheckRDSStorageEncrypted, clusterARN("orders-prod")); f.Status != controls.StatusPass {
		t.Errorf("orders-prod storage = %s %s, want pass", f.Status, f.Message)
	}
	for _, f := range findings {
		if f.Resource == rdsARN("orders-1") {
			t.Errorf("cluster member orders-1 judged on its own: %s %s %s", f.CheckID, f.Status, f.Message)
		}
	}
}

// throttleDescribeDBInstances returns HTTP 400 ThrottlingException for the
// first times DescribeDBInstances requests, or for all of them when times
// is negative.
func throttleDescribeDBInstances(times int) intercept {
	return func(call interceptedCall) (int, string, bool) {
		if call.Action != "DescribeDBInstances" || (times >= 0 && call.N > times) {
			return 0, "", false
		}
		return 400, `<ErrorResponse ` + rdsNamespace + `><Error><Type>Sender</Type><Code>ThrottlingException</Code><Message>Rate exceeded</Message></Error><RequestId>0b1c2d3e-0000-4000-8000-000000000003</RequestId></ErrorResponse>`, true
	}
}

func TestTHR_01_DescribeDBInstancesThrottledFourTimes(t *testing.T) {
	moto := testenv.RequireMoto(t)
	client := rdsClient(moto.Endpoint)
	for _, id := range []string{"app-a", "app-b", "app-c"} {
		createDB(t, client, id, func(in *rds.CreateDBInstanceInput) { in.StorageEncrypted = awsv2.Bool(true) })
	}
	proxy := newInterceptProxy(t, moto.Endpoint, throttleDescribeDBInstances(4))
	env := harnessEnv(proxy.URL)
	env.Config.AWS.MaxAttempts = 10

	set := harnessCollect(t, env, awscol.RDSFactory, harnessNow, awscol.CheckRDSBackupRetention)
	items := set.ByKind(awscol.KindRDSInstance)
	if len(items) != 3 {
		t.Fatalf("instance items = %d, want 3 after four throttled attempts", len(items))
	}
	for _, it := range items {
		attempts := 0
		for _, p := range it.Provenance {
			if p.Operation == "rds:DescribeDBInstances" {
				attempts = p.Attempts
			}
		}
		if attempts != 5 {
			t.Errorf("%s: DescribeDBInstances attempts = %d, want 5 (4 retries)", it.Resource, attempts)
		}
	}
	findings := harnessEvaluate(t, set, harnessNow, nil, awscol.CheckRDSBackupRetention)
	for _, id := range []string{"app-a", "app-b", "app-c"} {
		if f := harnessFinding(t, findings, awscol.CheckRDSBackupRetention, rdsARN(id)); f.Status != controls.StatusPass {
			t.Errorf("%s retention = %s %s, want pass", id, f.Status, f.Message)
		}
	}
}

func TestTHR_01_ThrottledOnEveryAttempt(t *testing.T) {
	moto := testenv.RequireMoto(t)
	client := rdsClient(moto.Endpoint)
	for _, id := range []string{"app-a", "app-b", "app-c"} {
		createDB(t, client, id, nil)
	}
	proxy := newInterceptProxy(t, moto.Endpoint, throttleDescribeDBInstances(-1))
	env := harnessEnv(proxy.URL)
	env.Config.AWS.MaxAttempts = 10

	set := harnessCollect(t, env, awscol.RDSFactory, harnessNow, rdsChecks...)
	if n := len(set.ByKind(awscol.KindRDSInstance)); n != 0 {
		t.Errorf("instance items = %d, want none from a failed list call", n)
	}
	if got := proxy.Calls("DescribeDBInstances", "us-east-1"); got != 10 {
		t.Errorf("DescribeDBInstances requests = %d, want 10", got)
	}
	findings := harnessEvaluate(t, set, harnessNow, nil, rdsChecks...)
	for _, check := range rdsChecks {
		f := harnessFinding(t, findings, check, "aws:"+motoAccount+":us-east-1")
		if f.Status != controls.StatusError {
			t.Errorf("%s status = %s, want error", check, f.Status)
		}
		if !strings.Contains(f.Message, "rds:DescribeDBInstances failed with ThrottlingException after 10 attempts") {
			t.Errorf("%s message = %q, want the operation, code and attempt count", check, f.Message)
		}
	}
	for _, f := range findings {
		if f.Status == controls.StatusPass || f.Status == controls.StatusNotApplicable {
			t.Errorf("%s %s is %s while DescribeDBInstances failed", f.CheckID, f.Resource, f.Status)
		}
	}
}

func TestRDSStorageEncryptedInstances(t *testing.T) {
	moto := testenv.RequireMoto(t)
	ctx := context.Background()
	key, err := kms.NewFromConfig(harnessSDKConfig(moto.Endpoint, "us-east-1")).CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatalf("create KMS key: %v", err)
	}
	keyARN := awsv2.ToString(key.KeyMetadata.Arn)
	client := rdsClient(moto.Endpoint)
	createDB(t, client, "plain", nil)
	createDB(t, client, "with-cmk", func(in *rds.CreateDBInstanceInput) {
		in.StorageEncrypted = awsv2.Bool(true)
		in.KmsKeyId = awsv2.String(keyARN)
	})

	check := awscol.CheckRDSStorageEncrypted
	set := harnessCollect(t, harnessEnv(moto.Endpoint), awscol.RDSFactory, harnessNow, check)
	findings := harnessEvaluate(t, set, harnessNow, map[string]controls.Params{check: {"require_cmk": true}}, check)

	if f := harnessFinding(t, findings, check, rdsARN("plain")); f.Status != controls.StatusFail {
		t.Errorf("plain = %s %s, want fail", f.Status, f.Message)
	}
	cmk := harnessFinding(t, findings, check, rdsARN("with-cmk"))
	if cmk.Status != controls.StatusPass || cmk.Details["key_type"] != "customer-managed key" {
		t.Errorf("with-cmk = %s %s (key type %v), want pass with a customer-managed key", cmk.Status, cmk.Message, cmk.Details["key_type"])
	}
}

func TestRDSBackupRetention(t *testing.T) {
	moto := testenv.RequireMoto(t)
	client := rdsClient(moto.Endpoint)
	createDB(t, client, "week", nil)
	createDB(t, client, "one-day", func(in *rds.CreateDBInstanceInput) { in.BackupRetentionPeriod = awsv2.Int32(1) })
	createDB(t, client, "no-backups", func(in *rds.CreateDBInstanceInput) { in.BackupRetentionPeriod = awsv2.Int32(0) })
	if _, err := client.CreateDBInstanceReadReplica(context.Background(), &rds.CreateDBInstanceReadReplicaInput{
		DBInstanceIdentifier: awsv2.String("week-replica"), SourceDBInstanceIdentifier: awsv2.String("week"),
	}); err != nil {
		t.Fatalf("create read replica: %v", err)
	}

	check := awscol.CheckRDSBackupRetention
	set := harnessCollect(t, harnessEnv(moto.Endpoint), awscol.RDSFactory, harnessNow, check)
	findings := harnessEvaluate(t, set, harnessNow, nil, check)

	want := map[string]controls.Status{"week": controls.StatusPass, "one-day": controls.StatusFail, "no-backups": controls.StatusFail}
	for id, status := range want {
		if f := harnessFinding(t, findings, check, rdsARN(id)); f.Status != status {
			t.Errorf("%s = %s %q, want %s", id, f.Status, f.Message, status)
		}
	}
	replica := harnessFinding(t, findings, check, rdsARN("week-replica"))
	if replica.Status != controls.StatusNotApplicable || !strings.Contains(replica.Message, rdsARN("week")) {
		t.Errorf("replica = %s %q, want not_applicable naming its source", replica.Status, replica.Message)
	}
	if f := harnessFinding(t, findings, check, rdsARN("no-backups")); !strings.Contains(f.Message, "off") {
		t.Errorf("no-backups message = %q, want backups reported off", f.Message)
	}

	strict := harnessEvaluate(t, set, harnessNow, map[string]controls.Params{check: {"min_days": 30}}, check)
	if f := harnessFinding(t, strict, check, rdsARN("week")); f.Status != controls.StatusFail {
		t.Errorf("week with min_days 30 = %s, want fail", f.Status)
	}
}

func createParameterGroup(t *testing.T, client *rds.Client, name, family, param, value string) {
	t.Helper()
	ctx := context.Background()
	if _, err := client.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{
		DBParameterGroupName: awsv2.String(name), DBParameterGroupFamily: awsv2.String(family), Description: awsv2.String("test"),
	}); err != nil {
		t.Fatalf("create parameter group %s: %v", name, err)
	}
	if _, err := client.ModifyDBParameterGroup(ctx, &rds.ModifyDBParameterGroupInput{
		DBParameterGroupName: awsv2.String(name),
		Parameters:           []rdstypes.Parameter{{ParameterName: awsv2.String(param), ParameterValue: awsv2.String(value), ApplyMethod: rdstypes.ApplyMethodImmediate}},
	}); err != nil {
		t.Fatalf("set %s in %s: %v", param, name, err)
	}
}

func TestRDSForceSSL(t *testing.T) {
	moto := testenv.RequireMoto(t)
	client := rdsClient(moto.Endpoint)
	createParameterGroup(t, client, "pg-tls", "postgres16", "rds.force_ssl", "1")
	createParameterGroup(t, client, "pg-plain", "postgres16", "rds.force_ssl", "0")
	createParameterGroup(t, client, "mysql-tls", "mysql8.0", "require_secure_transport", "ON")
	createDB(t, client, "pg-forced", func(in *rds.CreateDBInstanceInput) { in.DBParameterGroupName = awsv2.String("pg-tls") })
	createDB(t, client, "pg-optional", func(in *rds.CreateDBInstanceInput) { in.DBParameterGroupName = awsv2.String("pg-plain") })
	createDB(t, client, "pg-default", nil)
	createDB(t, client, "mysql-forced", func(in *rds.CreateDBInstanceInput) {
		in.Engine = awsv2.String("mysql")
		in.DBParameterGroupName = awsv2.String("mysql-tls")
	})
	createDB(t, client, "oracle", func(in *rds.CreateDBInstanceInput) { in.Engine = awsv2.String("oracle-ee") })

	check := awscol.CheckRDSForceSSL
	set := harnessCollect(t, harnessEnv(moto.Endpoint), awscol.RDSFactory, harnessNow, check)
	findings := harnessEvaluate(t, set, harnessNow, nil, check)

	want := map[string]controls.Status{
		"pg-forced":    controls.StatusPass,
		"pg-optional":  controls.StatusFail,
		"pg-default":   controls.StatusFail, // moto's default group sets nothing and its default engine is 9.3
		"mysql-forced": controls.StatusPass,
		"oracle":       controls.StatusNotApplicable,
	}
	for id, status := range want {
		if f := harnessFinding(t, findings, check, rdsARN(id)); f.Status != status {
			t.Errorf("%s = %s %q, want %s", id, f.Status, f.Message, status)
		}
	}
	if f := harnessFinding(t, findings, check, rdsARN("pg-optional")); f.Details["parameter_group"] != "pg-plain" || f.Details["value"] != "0" {
		t.Errorf("pg-optional details = %v, want group pg-plain and value 0", f.Details)
	}
}

func TestRDSSnapshotRecent(t *testing.T) {
	moto := testenv.RequireMoto(t)
	client := rdsClient(moto.Endpoint)
	createDB(t, client, "orders-db", nil)

	check := awscol.CheckRDSSnapshotRecent
	now := time.Now().UTC()
	set := harnessCollect(t, harnessEnv(moto.Endpoint), awscol.RDSFactory, now, check)

	fresh := harnessFinding(t, harnessEvaluate(t, set, now, nil, check), check, rdsARN("orders-db"))
	if fresh.Status != controls.StatusPass {
		t.Errorf("at collection = %s %q, want pass (moto takes an automated snapshot at creation)", fresh.Status, fresh.Message)
	}
	later := now.Add(49 * time.Hour)
	stale := harnessFinding(t, harnessEvaluate(t, set, later, nil, check), check, rdsARN("orders-db"))
	if stale.Status != controls.StatusFail || !strings.Contains(stale.Message, "at most 24 h allowed") {
		t.Errorf("49 h later = %s %q, want fail with the limit", stale.Status, stale.Message)
	}
	loose := harnessFinding(t, harnessEvaluate(t, set, later, map[string]controls.Params{check: {"max_age_hours": 72}}, check), check, rdsARN("orders-db"))
	if loose.Status != controls.StatusPass {
		t.Errorf("49 h later with max_age_hours 72 = %s, want pass", loose.Status)
	}
}

func TestRDSForceSSLAuroraClusterParameterGroup(t *testing.T) {
	moto := testenv.RequireMoto(t)
	client := rdsClient(moto.Endpoint)
	ctx := context.Background()
	if _, err := client.CreateDBClusterParameterGroup(ctx, &rds.CreateDBClusterParameterGroupInput{
		DBClusterParameterGroupName: awsv2.String("reports-mysql"), DBParameterGroupFamily: awsv2.String("aurora-mysql8.0"),
		Description: awsv2.String("test"),
	}); err != nil {
		t.Fatalf("create cluster parameter group: %v", err)
	}
	if _, err := client.ModifyDBClusterParameterGroup(ctx, &rds.ModifyDBClusterParameterGroupInput{
		DBClusterParameterGroupName: awsv2.String("reports-mysql"),
		Parameters:                  []rdstypes.Parameter{{ParameterName: awsv2.String("require_secure_transport"), ParameterValue: awsv2.String("OFF"), ApplyMethod: rdstypes.ApplyMethodImmediate}},
	}); err != nil {
		t.Fatalf("set require_secure_transport: %v", err)
	}
	if _, err := client.CreateDBCluster(ctx, &rds.CreateDBClusterInput{
		DBClusterIdentifier: awsv2.String("reports"), Engine: awsv2.String("aurora-mysql"),
		DBClusterParameterGroupName: awsv2.String("reports-mysql"),
		MasterUsername:              awsv2.String("app"), MasterUserPassword: awsv2.String("not-a-secret-1"),
	}); err != nil {
		t.Fatalf("create cluster: %v", err)
	}
	createDB(t, client, "reports-1", func(in *rds.CreateDBInstanceInput) {
		in.Engine = awsv2.String("aurora-mysql")
		in.DBClusterIdentifier = awsv2.String("reports")
		in.AllocatedStorage, in.MasterUsername, in.MasterUserPassword, in.BackupRetentionPeriod = nil, nil, nil, nil
	})

	check := awscol.CheckRDSForceSSL
	set := harnessCollect(t, harnessEnv(moto.Endpoint), awscol.RDSFactory, harnessNow, check)
	findings := harnessEvaluate(t, set, harnessNow, nil, check)

	f := harnessFinding(t, findings, check, clusterARN("reports"))
	if f.Status != controls.StatusFail || !strings.Contains(f.Message, "require_secure_transport is OFF in DB cluster parameter group reports-mysql") {
		t.Errorf("reports = %s %q, want fail naming the cluster parameter group", f.Status, f.Message)
	}
	if len(findings) != 1 {
		t.Errorf("got %d findings, want only the cluster's:%s", len(findings), harnessDump(findings))
	}
}
