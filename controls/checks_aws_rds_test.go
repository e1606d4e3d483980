package controls

import (
	"strings"
	"testing"
	"time"

	awscol "github.com/auditpack/auditpack/collectors/aws"
	"github.com/auditpack/auditpack/evidence"
)

var rdsNow = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

// evalAWSCheck runs one check of group over items at rdsNow.
func evalAWSCheck(t *testing.T, group []*Check, id string, params Params, items ...*evidence.Item) []Finding {
	t.Helper()
	cat := MustCatalog()
	reg, err := NewRegistry(cat, group)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := reg.Lookup(id)
	if !ok {
		t.Fatalf("no check %s", id)
	}
	set := &evidence.Set{Items: items}
	set.Sort()
	fs, _ := Evaluate(cat, reg, []*Check{c}, set, EvalOptions{Now: rdsNow, Params: map[string]Params{id: params}})
	return fs
}

func rdsInstanceItem(db awscol.RDSInstance) *evidence.Item {
	db.ARN = "arn:aws:rds:us-east-1:111122223333:db:" + db.Identifier
	return evidence.MustItem(awscol.KindRDSInstance, "aws.rds", db.ARN, db)
}

func TestForceSSLEngineDefaultsAndReboot(t *testing.T) {
	one := "1"
	cases := []struct {
		name    string
		db      awscol.RDSInstance
		status  Status
		message string
	}{
		{"postgres 16 unset", awscol.RDSInstance{Identifier: "pg16", Engine: "postgres", EngineVersion: "16.4",
			ParameterGroup: &awscol.RDSParameterGroup{Name: "default.postgres16", Parameter: "rds.force_ssl"}}, StatusPass, "15+ default 1"},
		{"postgres 14 unset", awscol.RDSInstance{Identifier: "pg14", Engine: "postgres", EngineVersion: "14.9",
			ParameterGroup: &awscol.RDSParameterGroup{Name: "default.postgres14", Parameter: "rds.force_ssl"}}, StatusFail, "engine default allows"},
		{"mysql unset", awscol.RDSInstance{Identifier: "my", Engine: "mysql", EngineVersion: "8.0.35",
			ParameterGroup: &awscol.RDSParameterGroup{Name: "default.mysql8.0", Parameter: "require_secure_transport"}}, StatusFail, "engine default allows"},
		{"pending reboot", awscol.RDSInstance{Identifier: "pending", Engine: "postgres", EngineVersion: "13.12",
			ParameterGroup: &awscol.RDSParameterGroup{Name: "tls", Parameter: "rds.force_ssl", Value: &one, ApplyStatus: "pending-reboot"}}, StatusReview, "waits for a reboot"},
		{"no group", awscol.RDSInstance{Identifier: "nogroup", Engine: "postgres"}, StatusReview, "no parameter group"},
		{"sql server", awscol.RDSInstance{Identifier: "mssql", Engine: "sqlserver-se"}, StatusNotApplicable, "neither PostgreSQL nor MySQL"},
	}
	for _, c := range cases {
		fs := evalAWSCheck(t, awsRDSChecks, awscol.CheckRDSForceSSL, nil, rdsInstanceItem(c.db))
		if len(fs) != 1 {
			t.Fatalf("%s: %d findings, want 1", c.name, len(fs))
		}
		if fs[0].Status != c.status || !strings.Contains(fs[0].Message, c.message) {
			t.Errorf("%s = %s %q, want %s containing %q", c.name, fs[0].Status, fs[0].Message, c.status, c.message)
		}
	}
}

func TestForceSSLParameterErrorIsError(t *testing.T) {
	it := rdsInstanceItem(awscol.RDSInstance{Identifier: "denied", Engine: "postgres",
		ParameterGroup: &awscol.RDSParameterGroup{Name: "tls", Parameter: "rds.force_ssl"}})
	it.AddError(awscol.RDSGroupParameters, evidence.CollectError{Operation: "rds:DescribeDBParameters", Code: "AccessDenied", Message: "denied", Attempts: 1})
	fs := evalAWSCheck(t, awsRDSChecks, awscol.CheckRDSForceSSL, nil, it)
	if len(fs) != 1 || fs[0].Status != StatusError || !strings.Contains(fs[0].Message, "rds:DescribeDBParameters failed with AccessDenied") {
		t.Errorf("findings = %+v, want one error naming the call", fs)
	}
}

func TestStorageEncryptionTypeSSERDSCountsAsEncrypted(t *testing.T) {
	// The SDK documents that a cluster encrypted with an AWS-owned key may
	// report StorageEncrypted false with StorageEncryptionType sse-rds.
	cl := awscol.RDSCluster{Identifier: "owned", Engine: "aurora-postgresql",
		RDSStorage: awscol.RDSStorage{StorageEncrypted: false, StorageEncryptionType: "sse-rds"}}
	cl.ARN = "arn:aws:rds:us-east-1:111122223333:cluster:owned"
	plain := cl
	plain.Identifier, plain.ARN = "plain", "arn:aws:rds:us-east-1:111122223333:cluster:plain"
	plain.RDSStorage = awscol.RDSStorage{StorageEncrypted: false, StorageEncryptionType: "none", KMSKeyID: "default_kms_key_id"}
	fs := evalAWSCheck(t, awsRDSChecks, awscol.CheckRDSStorageEncrypted, nil,
		evidence.MustItem(awscol.KindRDSCluster, "aws.rds", cl.ARN, cl),
		evidence.MustItem(awscol.KindRDSCluster, "aws.rds", plain.ARN, plain))
	if len(fs) != 2 {
		t.Fatalf("got %d findings, want 2", len(fs))
	}
	for _, f := range fs {
		switch f.Resource {
		case cl.ARN:
			if f.Status != StatusPass || f.Details["key_type"] != "AWS-owned key" {
				t.Errorf("owned = %s %v, want pass with AWS-owned key", f.Status, f.Details["key_type"])
			}
		case plain.ARN:
			if f.Status != StatusFail {
				t.Errorf("plain = %s, want fail despite a key id", f.Status)
			}
		}
	}
}

func TestRequireCMKWithUnreadKeyIsError(t *testing.T) {
	it := rdsInstanceItem(awscol.RDSInstance{Identifier: "orders", Engine: "postgres",
		RDSStorage: awscol.RDSStorage{StorageEncrypted: true, KMSKeyID: "arn:aws:kms:us-east-1:111122223333:key/1"}})
	it.AddError(awscol.RDSGroupKMSKey, evidence.CollectError{Operation: "kms:DescribeKey", Code: "AccessDeniedException", Message: "denied", Attempts: 1})

	fs := evalAWSCheck(t, awsRDSChecks, awscol.CheckRDSStorageEncrypted, Params{"require_cmk": true}, it)
	if len(fs) != 1 || fs[0].Status != StatusError {
		t.Errorf("with require_cmk = %+v, want one error", fs)
	}
	fs = evalAWSCheck(t, awsRDSChecks, awscol.CheckRDSStorageEncrypted, nil, it)
	if len(fs) != 1 || fs[0].Status != StatusPass {
		t.Errorf("without require_cmk = %+v, want pass: the key type does not matter", fs)
	}
}

func TestReplicaOfSourceOutsideEvidenceIsReview(t *testing.T) {
	it := rdsInstanceItem(awscol.RDSInstance{Identifier: "reader", Engine: "postgres", BackupRetentionDays: 0,
		ReadReplicaSource: "arn:aws:rds:eu-west-1:111122223333:db:orders"})
	fs := evalAWSCheck(t, awsRDSChecks, awscol.CheckRDSBackupRetention, nil, it)
	if len(fs) != 1 || fs[0].Status != StatusReview || !strings.Contains(fs[0].Message, "not in the collected evidence") {
		t.Errorf("findings = %+v, want review naming the missing source", fs)
	}
}
