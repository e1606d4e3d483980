package controls

import (
	"strings"
	"testing"
	"time"

	awscol "github.com/auditpack/auditpack/collectors/aws"
	"github.com/auditpack/auditpack/evidence"
)

func TestBackupJobReasons(t *testing.T) {
	window := awscol.BackupWindow{Start: rdsNow.AddDate(0, 0, -30), End: rdsNow, Note: awscol.BackupWindowNote}
	done := func(t time.Time) *time.Time { return &t }
	cases := []struct {
		name    string
		jobs    []awscol.BackupJobRecord
		status  Status
		message string
	}{
		{"aborted", []awscol.BackupJobRecord{{ID: "a", State: "ABORTED", StatusMessage: "stopped by operator", Created: rdsNow.Add(-3 * time.Hour)}},
			StatusFail, "job aborted: stopped by operator"},
		{"old success then failure", []awscol.BackupJobRecord{
			{ID: "ok", State: "COMPLETED", MessageCategory: "SUCCESS", Created: rdsNow.Add(-50 * time.Hour), Completed: done(rdsNow.Add(-49 * time.Hour))},
			{ID: "bad", State: "FAILED", StatusMessage: "vault locked", Created: rdsNow.Add(-2 * time.Hour)}},
			StatusFail, "job failed: vault locked"},
		{"success after failure", []awscol.BackupJobRecord{
			{ID: "bad", State: "FAILED", Created: rdsNow.Add(-20 * time.Hour)},
			{ID: "ok", State: "COMPLETED", Created: rdsNow.Add(-6 * time.Hour), Completed: done(rdsNow.Add(-5 * time.Hour))}},
			StatusPass, "1 of 2 finished jobs fully successful (50%)"},
		{"issues long ago", []awscol.BackupJobRecord{
			{ID: "old", State: "COMPLETED", MessageCategory: "PARTIAL_BACKUP", Created: rdsNow.Add(-80 * time.Hour), Completed: done(rdsNow.Add(-79 * time.Hour))}},
			StatusFail, "last job completed with issues"},
	}
	for _, c := range cases {
		res := awscol.BackupResource{ResourceARN: "arn:aws:rds:us-east-1:111122223333:db:x", Region: "us-east-1", Window: window, Jobs: c.jobs}
		fs := evalAWSCheck(t, awsBackupChecks, awscol.CheckBackupJobResults, nil, evidence.MustItem(awscol.KindBackupResource, "aws.backup", res.ResourceARN, res))
		if len(fs) != 1 {
			t.Fatalf("%s: %d findings, want 1", c.name, len(fs))
		}
		if fs[0].Status != c.status || !strings.Contains(fs[0].Message, c.message) {
			t.Errorf("%s = %s %q, want %s containing %q", c.name, fs[0].Status, fs[0].Message, c.status, c.message)
		}
	}
}
