package testenv

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// Regions the demo seeds: EBS encryption by default is on in the first
// and off in the second.
const (
	DemoRegion          = "us-east-1"
	DemoRegionUnguarded = "eu-west-1"
)

// motoDemoAccount is the account moto_server reports for any credentials.
const motoDemoAccount = "123456789012"

func demoAWSConfig(endpoint, region string) aws.Config {
	return aws.Config{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	}
}

// SeedDemoKMSEC2RDS seeds moto_server at endpoint with the demo company's
// KMS keys, EBS settings and databases, so that every KMS, EC2 and RDS check
// has a passing and a failing case:
//
//   - KMS (us-east-1): "orders data" rotating, "billing exports" not
//     rotating, and an RSA signing key that cannot rotate.
//   - EBS: encryption by default on in us-east-1 and off in eu-west-1.
//   - RDS (us-east-1): orders-db (PostgreSQL 16, encrypted with the
//     "orders data" key, 7-day retention, rds.force_ssl=1 in a custom
//     parameter group) with a read replica; billing-db (unencrypted, 1-day
//     retention, the default parameter group); and the Aurora PostgreSQL
//     cluster analytics (encrypted, rds.force_ssl=1 in its cluster parameter
//     group) with one instance and a manual cluster snapshot.
//
// It expects an empty server and fails on the first call that fails.
func SeedDemoKMSEC2RDS(ctx context.Context, endpoint string) error {
	ordersKey, err := seedDemoKMS(ctx, kms.NewFromConfig(demoAWSConfig(endpoint, DemoRegion)))
	if err != nil {
		return err
	}
	if _, err := ec2.NewFromConfig(demoAWSConfig(endpoint, DemoRegion)).EnableEbsEncryptionByDefault(ctx, &ec2.EnableEbsEncryptionByDefaultInput{}); err != nil {
		return fmt.Errorf("seed demo: enable EBS encryption by default in %s: %w", DemoRegion, err)
	}
	if _, err := ec2.NewFromConfig(demoAWSConfig(endpoint, DemoRegionUnguarded)).CreateVolume(ctx, &ec2.CreateVolumeInput{
		AvailabilityZone: aws.String(DemoRegionUnguarded + "a"), Size: aws.Int32(20),
	}); err != nil {
		return fmt.Errorf("seed demo: create a volume in %s: %w", DemoRegionUnguarded, err)
	}
	return seedDemoRDS(ctx, rds.NewFromConfig(demoAWSConfig(endpoint, DemoRegion)), ordersKey)
}

// seedDemoKMS creates the demo keys and returns the ARN of "orders data".
func seedDemoKMS(ctx context.Context, client *kms.Client) (string, error) {
	keys := []struct {
		description string
		spec        kmstypes.KeySpec
		usage       kmstypes.KeyUsageType
		rotate      bool
	}{
		{"orders data", kmstypes.KeySpecSymmetricDefault, kmstypes.KeyUsageTypeEncryptDecrypt, true},
		{"billing exports", kmstypes.KeySpecSymmetricDefault, kmstypes.KeyUsageTypeEncryptDecrypt, false},
		{"release signing", kmstypes.KeySpecRsa2048, kmstypes.KeyUsageTypeSignVerify, false},
	}
	var ordersKey string
	for _, k := range keys {
		out, err := client.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String(k.description), KeySpec: k.spec, KeyUsage: k.usage})
		if err != nil {
			return "", fmt.Errorf("seed demo: create KMS key %q: %w", k.description, err)
		}
		if k.rotate {
			if _, err := client.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: out.KeyMetadata.KeyId}); err != nil {
				return "", fmt.Errorf("seed demo: enable rotation of %q: %w", k.description, err)
			}
		}
		if ordersKey == "" {
			ordersKey = aws.ToString(out.KeyMetadata.Arn)
		}
	}
	return ordersKey, nil
}

func seedDemoRDS(ctx context.Context, client *rds.Client, ordersKey string) error {
	if _, err := client.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{
		DBParameterGroupName: aws.String("orders-postgres16"), DBParameterGroupFamily: aws.String("postgres16"),
		Description: aws.String("orders database: TLS required"),
	}); err != nil {
		return fmt.Errorf("seed demo: create parameter group: %w", err)
	}
	if _, err := client.ModifyDBParameterGroup(ctx, &rds.ModifyDBParameterGroupInput{
		DBParameterGroupName: aws.String("orders-postgres16"),
		Parameters: []rdstypes.Parameter{{
			ParameterName: aws.String("rds.force_ssl"), ParameterValue: aws.String("1"), ApplyMethod: rdstypes.ApplyMethodImmediate,
		}},
	}); err != nil {
		return fmt.Errorf("seed demo: set rds.force_ssl: %w", err)
	}
	instances := []*rds.CreateDBInstanceInput{
		{
			DBInstanceIdentifier: aws.String("orders-db"), Engine: aws.String("postgres"), EngineVersion: aws.String("16.4"),
			DBParameterGroupName: aws.String("orders-postgres16"), StorageEncrypted: aws.Bool(true), KmsKeyId: aws.String(ordersKey),
			BackupRetentionPeriod: aws.Int32(7),
		},
		{
			DBInstanceIdentifier: aws.String("billing-db"), Engine: aws.String("postgres"),
			StorageEncrypted: aws.Bool(false), BackupRetentionPeriod: aws.Int32(1),
		},
	}
	for _, in := range instances {
		in.DBInstanceClass = aws.String("db.t3.micro")
		in.AllocatedStorage = aws.Int32(20)
		in.MasterUsername = aws.String("app")
		in.MasterUserPassword = aws.String("demo-password-1")
		if _, err := client.CreateDBInstance(ctx, in); err != nil {
			return fmt.Errorf("seed demo: create DB instance %s: %w", aws.ToString(in.DBInstanceIdentifier), err)
		}
	}
	if _, err := client.CreateDBInstanceReadReplica(ctx, &rds.CreateDBInstanceReadReplicaInput{
		DBInstanceIdentifier: aws.String("orders-db-replica"), SourceDBInstanceIdentifier: aws.String("orders-db"),
	}); err != nil {
		return fmt.Errorf("seed demo: create read replica: %w", err)
	}
	if _, err := client.CreateDBClusterParameterGroup(ctx, &rds.CreateDBClusterParameterGroupInput{
		DBClusterParameterGroupName: aws.String("analytics-apg16"), DBParameterGroupFamily: aws.String("aurora-postgresql16"),
		Description: aws.String("analytics cluster: TLS required"),
	}); err != nil {
		return fmt.Errorf("seed demo: create cluster parameter group: %w", err)
	}
	if _, err := client.ModifyDBClusterParameterGroup(ctx, &rds.ModifyDBClusterParameterGroupInput{
		DBClusterParameterGroupName: aws.String("analytics-apg16"),
		Parameters: []rdstypes.Parameter{{
			ParameterName: aws.String("rds.force_ssl"), ParameterValue: aws.String("1"), ApplyMethod: rdstypes.ApplyMethodImmediate,
		}},
	}); err != nil {
		return fmt.Errorf("seed demo: set rds.force_ssl for the cluster: %w", err)
	}
	if _, err := client.CreateDBCluster(ctx, &rds.CreateDBClusterInput{
		DBClusterIdentifier: aws.String("analytics"), Engine: aws.String("aurora-postgresql"), EngineVersion: aws.String("16.4"),
		DBClusterParameterGroupName: aws.String("analytics-apg16"),
		MasterUsername:              aws.String("app"), MasterUserPassword: aws.String("demo-password-1"),
		StorageEncrypted: aws.Bool(true), KmsKeyId: aws.String(ordersKey), BackupRetentionPeriod: aws.Int32(14),
	}); err != nil {
		return fmt.Errorf("seed demo: create Aurora cluster: %w", err)
	}
	if _, err := client.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String("analytics-1"), DBInstanceClass: aws.String("db.r6g.large"),
		Engine: aws.String("aurora-postgresql"), DBClusterIdentifier: aws.String("analytics"),
	}); err != nil {
		return fmt.Errorf("seed demo: create Aurora instance: %w", err)
	}
	if _, err := client.CreateDBClusterSnapshot(ctx, &rds.CreateDBClusterSnapshotInput{
		DBClusterIdentifier: aws.String("analytics"), DBClusterSnapshotIdentifier: aws.String("analytics-before-upgrade"),
	}); err != nil {
		return fmt.Errorf("seed demo: create cluster snapshot: %w", err)
	}
	return nil
}

// DemoBackupJobs returns the demo company's AWS Backup jobs of the night
// before now, for a BackupFake: one fully successful job, one completed with
// issues, one failed, one expired and one partial, plus an older success.
func DemoBackupJobs(now time.Time) []BackupJob {
	night := time.Date(now.Year(), now.Month(), now.Day(), 3, 0, 0, 0, time.UTC)
	if !night.Before(now) {
		night = night.AddDate(0, 0, -1)
	}
	arn := func(service, resource string) string {
		return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, DemoRegion, motoDemoAccount, resource)
	}
	job := func(id, resource, typ, state, category, message string, created time.Time, took time.Duration) BackupJob {
		j := BackupJob{
			ID: id, AccountID: motoDemoAccount, ResourceARN: resource, ResourceType: typ, Region: DemoRegion,
			State: state, MessageCategory: category, StatusMessage: message, BackupVaultName: "Default", CreationDate: created,
		}
		if took > 0 {
			j.CompletionDate = created.Add(took)
		}
		return j
	}
	return []BackupJob{
		job("demo-orders-1", arn("rds", "db:orders-db"), "RDS", "COMPLETED", "SUCCESS", "", night.AddDate(0, 0, -1), 35*time.Minute),
		job("demo-orders-2", arn("rds", "db:orders-db"), "RDS", "COMPLETED", "SUCCESS", "", night, 40*time.Minute),
		job("demo-config", "arn:aws:s3:::demo-config", "S3", "COMPLETED", "PARTIAL_BACKUP",
			"some objects in archive storage classes not backed up", night, 55*time.Minute),
		job("demo-billing", arn("rds", "db:billing-db"), "RDS", "FAILED", "ACCESS_DENIED",
			"backup role not allowed to use KMS key", night, 0),
		job("demo-volume", arn("ec2", "volume/vol-0a1b2c3d"), "EBS", "EXPIRED", "", "job did not start within window", night.Add(-4*time.Hour), 0),
		job("demo-archive", "arn:aws:s3:::demo-archive", "S3", "PARTIAL", "", "", night.AddDate(0, 0, -1), 70*time.Minute),
	}
}

// WriteDemoRestoreTests writes the demo company's restore-drill log as CSV:
// orders-db restored recently within the RTO, billing-db restored but over
// a 4-hour RTO, search whose latest drill failed, and analytics whose only
// drill is more than a year old.
func WriteDemoRestoreTests(path string, now time.Time) error {
	day := func(daysAgo int) string { return now.UTC().AddDate(0, 0, -daysAgo).Format("2006-01-02") }
	rows := []string{
		"date,system,backup used,result,time to restore",
		day(40) + ",orders-db,rds:orders-db-" + day(41) + ",success,1h20m",
		day(200) + ",orders-db,rds:orders-db-" + day(201) + ",success,1h05m",
		day(25) + ",billing-db,awsbackup:demo-billing-" + day(26) + ",success,5h10m",
		day(60) + ",search,snapshot search-" + day(61) + ",failed,",
		day(400) + ",analytics,analytics-before-upgrade,success,2h",
	}
	if err := os.WriteFile(path, []byte(strings.Join(rows, "\n")+"\n"), 0o644); err != nil {
		return fmt.Errorf("write demo restore-drill log: %w", err)
	}
	return nil
}
