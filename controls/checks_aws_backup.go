package controls

import (
	"fmt"
	"strings"
	"time"

	awscol "github.com/auditpack/auditpack/collectors/aws"
	"github.com/auditpack/auditpack/evidence"
)

var awsBackupChecks = []*Check{
	{
		ID:       awscol.CheckBackupJobResults,
		Title:    "AWS Backup jobs complete successfully within the RPO",
		Severity: SeverityHigh,
		Criteria: []string{"A1.2", "CC9.1"},
		Description: "Per protected resource: passes when the last fully successful backup job (state COMPLETED " +
			"with message category SUCCESS or none) completed within max_age_hours of evaluation; review when " +
			"only a job that completed with issues (COMPLETED with another message category) is that recent; " +
			"fails otherwise, naming the job that ended FAILED, EXPIRED, ABORTED or PARTIAL. The success rate " +
			"over the jobs listed is reported. " + awscol.BackupWindowNote + " Supports A1.2 (backups " +
			"maintained) and CC9.1 (business disruption risk mitigated).",
		Collectors: []string{"aws.backup"},
		Kinds:      []string{awscol.KindBackupResource, awscol.KindBackupRegion},
		Calls:      []string{"backup:ListBackupJobs"},
		Params: []Param{{
			Name:        "max_age_hours",
			Default:     24,
			Description: "recovery point objective: maximum age of the last fully successful job, in hours",
			Loosest:     168,
		}},
		Evaluate: evalBackupJobResults,
	},
}

// backupFinished lists the job states that end a job. Only COMPLETED with
// a SUCCESS (or empty) message category is a full success; the other states
// count against the success rate.
var backupFinished = map[string]bool{"COMPLETED": true, "FAILED": true, "EXPIRED": true, "ABORTED": true, "PARTIAL": true}

func fullySuccessful(j awscol.BackupJobRecord) bool {
	return j.State == "COMPLETED" && (j.MessageCategory == "" || strings.EqualFold(j.MessageCategory, "SUCCESS"))
}

func completedWithIssues(j awscol.BackupJobRecord) bool {
	return j.State == "COMPLETED" && !fullySuccessful(j)
}

// jobEnd is when a job finished, or its creation time when the API gave no
// completion date.
func jobEnd(j awscol.BackupJobRecord) time.Time {
	if j.Completed != nil {
		return *j.Completed
	}
	return j.Created
}

func evalBackupJobResults(ec *EvalContext) []Finding {
	var out []Finding
	maxAge := time.Duration(ec.Params.Float("max_age_hours") * float64(time.Hour))
	for _, it := range ec.Items {
		switch it.Kind {
		case awscol.KindBackupRegion:
			var r awscol.BackupRegion
			if f, ok := ec.Decode(it, &r); !ok {
				out = append(out, f)
				continue
			}
			if f, ok := backupRegionFinding(ec, it, r); ok {
				out = append(out, f)
			}
		case awscol.KindBackupResource:
			var res awscol.BackupResource
			if f, ok := ec.Decode(it, &res); !ok {
				out = append(out, f)
				continue
			}
			out = append(out, backupResourceFinding(ec, it, res, maxAge))
		}
	}
	return out
}

// backupRegionFinding reports a region whose window held no job at all, so
// the absence is visible; regions with jobs are judged per resource.
func backupRegionFinding(ec *EvalContext, it *evidence.Item, r awscol.BackupRegion) (Finding, bool) {
	details := backupWindowDetails(r.Window)
	switch {
	case r.Skipped:
		f := ec.Finding(it, StatusReview, "the audit period ended more than 30 days before collection, so ListBackupJobs cannot list its backup jobs in %s; use AWS Backup Audit Manager reports or CloudTrail", r.Region)
		f.Details = details
		return f, true
	case r.Jobs == 0:
		f := ec.Finding(it, StatusNotApplicable, "no AWS Backup jobs created in %s between %s and %s", r.Region, r.Window.Start.Format(time.RFC3339), r.Window.End.Format(time.RFC3339))
		f.Details = details
		return f, true
	}
	return Finding{}, false
}

func backupWindowDetails(w awscol.BackupWindow) map[string]any {
	return map[string]any{
		"window_start": w.Start.UTC().Format(time.RFC3339),
		"window_end":   w.End.UTC().Format(time.RFC3339),
		"window_note":  awscol.BackupWindowNote,
	}
}

func backupResourceFinding(ec *EvalContext, it *evidence.Item, res awscol.BackupResource, maxAge time.Duration) Finding {
	details := backupWindowDetails(res.Window)
	details["resource_type"] = res.ResourceType
	details["jobs"] = len(res.Jobs)

	var lastSuccess, lastIssues, lastBad, lastRunning *awscol.BackupJobRecord
	finished, succeeded := 0, 0
	states := map[string]int{}
	for i := range res.Jobs {
		j := &res.Jobs[i]
		states[j.State]++
		switch {
		case fullySuccessful(*j):
			finished++
			succeeded++
			if lastSuccess == nil || jobEnd(*j).After(jobEnd(*lastSuccess)) {
				lastSuccess = j
			}
		case completedWithIssues(*j):
			finished++
			if lastIssues == nil || jobEnd(*j).After(jobEnd(*lastIssues)) {
				lastIssues = j
			}
		case backupFinished[j.State]:
			finished++
			if lastBad == nil || !j.Created.Before(lastBad.Created) {
				lastBad = j
			}
		default:
			if lastRunning == nil || j.Created.After(lastRunning.Created) {
				lastRunning = j
			}
		}
	}
	details["job_states"] = states
	rate := "no finished jobs"
	if finished > 0 {
		rate = fmt.Sprintf("%d of %d finished jobs fully successful (%.0f%%)", succeeded, finished, 100*float64(succeeded)/float64(finished))
		details["success_rate"] = float64(succeeded) / float64(finished)
	}
	details["success_summary"] = rate
	if lastSuccess != nil {
		details["last_success"] = jobEnd(*lastSuccess).UTC().Format(time.RFC3339)
	}

	within := func(j *awscol.BackupJobRecord) bool { return j != nil && ec.Now.Sub(jobEnd(*j)) <= maxAge }
	hours := hoursText(maxAge)
	var f Finding
	switch {
	case within(lastSuccess):
		f = ec.Finding(it, StatusPass, "last fully successful job %s completed %s; %s", lastSuccess.ID, jobEnd(*lastSuccess).UTC().Format(time.RFC3339), rate)
	case within(lastIssues):
		msg := lastIssues.StatusMessage
		if msg == "" {
			msg = "message category " + lastIssues.MessageCategory
		}
		f = ec.Finding(it, StatusReview, "completed with issues: %s (job %s)", msg, lastIssues.ID)
		details["exception"] = "completed with issues"
		details["status_message"] = lastIssues.StatusMessage
		details["message_category"] = lastIssues.MessageCategory
	default:
		reason, exception := backupFailureReason(lastSuccess, lastIssues, lastBad, lastRunning)
		f = ec.Finding(it, StatusFail, "no recovery point in %s (%s)", hours, reason)
		details["exception"] = exception
	}
	f.Details = details
	return f
}

// backupFailureReason explains why no recent recovery point exists, from
// the most telling job: a job that ended badly, then one still running, then
// an older success or one with issues.
func backupFailureReason(lastSuccess, lastIssues, lastBad, lastRunning *awscol.BackupJobRecord) (reason, exception string) {
	switch {
	case lastBad != nil:
		state := strings.ToLower(lastBad.State)
		reason = "job " + state
		if lastBad.State == "FAILED" || lastBad.State == "ABORTED" {
			if lastBad.StatusMessage != "" {
				reason += ": " + lastBad.StatusMessage
			}
		}
		return reason, state
	case lastRunning != nil:
		return fmt.Sprintf("job %s %s since %s", lastRunning.ID, strings.ToLower(lastRunning.State), lastRunning.Created.UTC().Format(time.RFC3339)), "no recent success"
	case lastSuccess != nil:
		return "last fully successful job " + jobEnd(*lastSuccess).UTC().Format(time.RFC3339), "no recent success"
	case lastIssues != nil:
		return "last job completed with issues " + jobEnd(*lastIssues).UTC().Format(time.RFC3339), "completed with issues"
	}
	return "no job", "no recent success"
}
