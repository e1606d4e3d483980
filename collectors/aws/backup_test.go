package aws_test

import (
	"strings"
	"testing"
	"time"

	awscol "github.com/auditpack/auditpack/collectors/aws"
	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/internal/testenv"
)

const backupCheck = awscol.CheckBackupJobResults

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// backupCaseJobs are the five jobs of one night, plus a job older than the
// 30-day window that the request must leave out.
func backupCaseJobs() []testenv.BackupJob {
	rds := func(name string) string { return "arn:aws:rds:us-east-1:" + motoAccount + ":db:" + name }
	return []testenv.BackupJob{
		{ID: "j1", ResourceARN: rds("orders-db"), ResourceType: "RDS", State: "COMPLETED", MessageCategory: "SUCCESS",
			CreationDate: at("2026-12-03T03:00:00Z"), CompletionDate: at("2026-12-03T03:40:00Z")},
		{ID: "j2", ResourceARN: "arn:aws:s3:::acme-config", ResourceType: "S3", State: "COMPLETED", MessageCategory: "PARTIAL_BACKUP",
			StatusMessage: "some objects in archive storage classes not backed up",
			CreationDate:  at("2026-12-03T03:00:00Z"), CompletionDate: at("2026-12-03T03:55:00Z")},
		{ID: "j3", ResourceARN: rds("billing-db"), ResourceType: "RDS", State: "FAILED", MessageCategory: "ACCESS_DENIED",
			StatusMessage: "backup role not allowed to use KMS key", CreationDate: at("2026-12-03T03:00:00Z")},
		{ID: "j4", ResourceARN: "arn:aws:ec2:us-east-1:" + motoAccount + ":volume/vol-0a1b", ResourceType: "EBS", State: "EXPIRED",
			StatusMessage: "job did not start within window", CreationDate: at("2026-12-02T23:00:00Z")},
		{ID: "j5", ResourceARN: "arn:aws:s3:::acme-archive", ResourceType: "S3", State: "PARTIAL", IsParent: true,
			CreationDate: at("2026-12-02T03:00:00Z"), CompletionDate: at("2026-12-02T04:10:00Z")},
		{ID: "j0-old", ResourceARN: rds("orders-db"), ResourceType: "RDS", State: "FAILED",
			CreationDate: at("2026-10-20T03:00:00Z")},
	}
}

func startBackupFake(t *testing.T, jobs []testenv.BackupJob) *testenv.BackupFake {
	t.Helper()
	fake, err := testenv.StartBackupFake(jobs)
	if err != nil {
		t.Fatalf("start AWS Backup fake: %v", err)
	}
	t.Cleanup(fake.Close)
	return fake
}

func TestBAK_01_OnlyFullSuccessCounts(t *testing.T) {
	moto := testenv.RequireMoto(t)
	fake := startBackupFake(t, backupCaseJobs())
	fake.SetPageSize(3)
	env := harnessEnv(moto.Endpoint)
	env.Config.AWS.ServiceEndpoints = map[string]string{"backup": fake.URL}
	now := at("2026-12-04T00:00:00Z")

	set := harnessCollect(t, env, awscol.BackupFactory, now, backupCheck)
	findings := harnessEvaluate(t, set, now, nil, backupCheck)

	requests := fake.Requests()
	if len(requests) != 2 {
		t.Fatalf("ListBackupJobs requests = %d, want 2 pages", len(requests))
	}
	if got := requests[0].Query.Get("createdAfter"); !strings.HasPrefix(got, "2026-11-04T00:00:00") {
		t.Errorf("createdAfter = %q, want 2026-11-04T00:00:00Z (30 days before evaluation)", got)
	}
	if requests[1].Query.Get("nextToken") == "" {
		t.Error("second request carries no nextToken")
	}

	rds := func(name string) string { return "arn:aws:rds:us-east-1:" + motoAccount + ":db:" + name }
	want := []struct {
		resource string
		status   controls.Status
		message  string
	}{
		{rds("orders-db"), controls.StatusPass, "last fully successful job j1"},
		{"arn:aws:s3:::acme-config", controls.StatusReview, "completed with issues: some objects in archive storage classes not backed up"},
		{rds("billing-db"), controls.StatusFail, "no recovery point in 24 h (job failed: backup role not allowed to use KMS key)"},
		{"arn:aws:ec2:us-east-1:" + motoAccount + ":volume/vol-0a1b", controls.StatusFail, "no recovery point in 24 h (job expired)"},
		{"arn:aws:s3:::acme-archive", controls.StatusFail, "no recovery point in 24 h (job partial)"},
	}
	for _, w := range want {
		f := harnessFinding(t, findings, backupCheck, w.resource)
		if f.Status != w.status {
			t.Errorf("%s status = %s (%s), want %s", w.resource, f.Status, f.Message, w.status)
		}
		if !strings.HasPrefix(f.Message, w.message) {
			t.Errorf("%s message = %q, want it to start with %q", w.resource, f.Message, w.message)
		}
		if note, _ := f.Details["window_note"].(string); !strings.Contains(note, "only the last 30 days") {
			t.Errorf("%s details lack the 30-day window statement: %v", w.resource, f.Details)
		}
	}
	if len(findings) != len(want) {
		t.Errorf("got %d findings, want %d:%s", len(findings), len(want), harnessDump(findings))
	}
	if f := harnessFinding(t, findings, backupCheck, "arn:aws:s3:::acme-archive"); f.Details["exception"] != "partial" {
		t.Errorf("acme-archive exception = %v, want partial", f.Details["exception"])
	}
	if f := harnessFinding(t, findings, backupCheck, "arn:aws:s3:::acme-config"); f.Details["success_rate"] != 0.0 {
		t.Errorf("acme-config success rate = %v, want 0: completed with issues is no success", f.Details["success_rate"])
	}

	regions := set.ByKind(awscol.KindBackupRegion)
	if len(regions) != 1 {
		t.Fatalf("region items = %d, want 1", len(regions))
	}
	var summary awscol.BackupRegion
	if err := regions[0].Decode(&summary); err != nil {
		t.Fatal(err)
	}
	if summary.Jobs != 5 || !strings.Contains(summary.Window.Note, "only the last 30 days") {
		t.Errorf("region evidence = %+v, want 5 jobs and the 30-day statement", summary)
	}
	if got := len(regions[0].Provenance); got != 2 {
		t.Errorf("region provenance = %d calls, want one per page", got)
	}
}

func TestBackupOlderSuccessFails(t *testing.T) {
	moto := testenv.RequireMoto(t)
	arn := "arn:aws:dynamodb:us-east-1:" + motoAccount + ":table/orders"
	fake := startBackupFake(t, []testenv.BackupJob{
		{ID: "a", ResourceARN: arn, ResourceType: "DynamoDB", State: "COMPLETED", CreationDate: at("2026-12-01T01:00:00Z"), CompletionDate: at("2026-12-01T01:10:00Z")},
		{ID: "b", ResourceARN: arn, ResourceType: "DynamoDB", State: "RUNNING", CreationDate: at("2026-12-03T23:30:00Z")},
	})
	env := harnessEnv(moto.Endpoint)
	env.Config.AWS.ServiceEndpoints = map[string]string{"backup": fake.URL}
	now := at("2026-12-04T00:00:00Z")
	set := harnessCollect(t, env, awscol.BackupFactory, now, backupCheck)

	f := harnessFinding(t, harnessEvaluate(t, set, now, nil, backupCheck), backupCheck, arn)
	if f.Status != controls.StatusFail || !strings.Contains(f.Message, "job b running since") {
		t.Errorf("status = %s %q, want fail naming the running job", f.Status, f.Message)
	}
	loose := harnessFinding(t, harnessEvaluate(t, set, now, map[string]controls.Params{backupCheck: {"max_age_hours": 72}}, backupCheck), backupCheck, arn)
	if loose.Status != controls.StatusPass {
		t.Errorf("with max_age_hours 72 = %s %q, want pass", loose.Status, loose.Message)
	}
}

func TestBackupDeniedIsRegionError(t *testing.T) {
	moto := testenv.RequireMoto(t)
	fake := startBackupFake(t, backupCaseJobs())
	fake.FailWith(403, "AccessDeniedException", "User is not authorized to perform: backup:ListBackupJobs")
	env := harnessEnv(moto.Endpoint)
	env.Config.AWS.ServiceEndpoints = map[string]string{"backup": fake.URL}
	now := at("2026-12-04T00:00:00Z")
	set := harnessCollect(t, env, awscol.BackupFactory, now, backupCheck)
	findings := harnessEvaluate(t, set, now, nil, backupCheck)

	if len(findings) != 1 {
		t.Fatalf("got %d findings, want one region error:%s", len(findings), harnessDump(findings))
	}
	f := findings[0]
	if f.Status != controls.StatusError || f.Resource != "aws:"+motoAccount+":us-east-1" {
		t.Errorf("finding = %s on %s, want error on the region", f.Status, f.Resource)
	}
	if !strings.Contains(f.Message, "backup:ListBackupJobs failed with AccessDeniedException") {
		t.Errorf("message = %q, want the operation and error code", f.Message)
	}
}

func TestBackupNoJobsIsNotApplicable(t *testing.T) {
	moto := testenv.RequireMoto(t)
	fake := startBackupFake(t, nil)
	env := harnessEnv(moto.Endpoint)
	env.Config.AWS.ServiceEndpoints = map[string]string{"backup": fake.URL}
	now := at("2026-12-04T00:00:00Z")
	set := harnessCollect(t, env, awscol.BackupFactory, now, backupCheck)

	f := harnessFinding(t, harnessEvaluate(t, set, now, nil, backupCheck), backupCheck, "aws:"+motoAccount+":us-east-1")
	if f.Status != controls.StatusNotApplicable || !strings.Contains(f.Message, "no AWS Backup jobs") {
		t.Errorf("finding = %s %q, want not_applicable with no jobs", f.Status, f.Message)
	}
}
