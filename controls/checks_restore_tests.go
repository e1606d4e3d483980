package controls

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/auditpack/auditpack/collectors/files"
	"github.com/auditpack/auditpack/evidence"
)

var restoreTestChecks = []*Check{
	{
		ID:       files.CheckRestoreTests,
		Title:    "Restores from backup are tested and meet the RTO",
		Severity: SeverityHigh,
		Criteria: []string{"A1.3"},
		Description: "Reads the restore-drill log that restore_tests.path names (CSV or YAML: date, system, backup " +
			"used, result, time to restore). Per system (restore_tests.systems, else every system in the log): " +
			"passes when a drill succeeded within max_age_days before evaluation and restored within " +
			"max_rto_hours; fails when there is no such drill, naming the latest one and why it does not count. " +
			"A malformed line is an error finding naming the file and line, and the other lines are still " +
			"judged. Supports A1.3 (recovery plan procedures, including restores from backup, are tested).",
		Collectors: []string{"files.restore_tests"},
		Kinds:      []string{files.KindRestoreTests},
		Calls:      []string{"file:read"},
		Params: []Param{
			{Name: "max_age_days", Default: 365, Description: "maximum age of the latest successful drill, in days", Loosest: 365},
			{Name: "max_rto_hours", Default: 4, Description: "recovery time objective: maximum time a successful drill may take to restore, in hours"},
		},
		Evaluate: evalRestoreTests,
	},
}

func evalRestoreTests(ec *EvalContext) []Finding {
	var out []Finding
	for _, it := range ec.Items {
		var log files.RestoreTestLog
		if f, ok := ec.Decode(it, &log); !ok {
			out = append(out, f)
			continue
		}
		for _, le := range log.LineErrors {
			f := ec.Finding(it, StatusError, "%s", le.Message)
			f.Resource = fmt.Sprintf("file:%s#L%d", log.Path, le.Line)
			f.Details = map[string]any{"file": log.Path, "line": le.Line}
			out = append(out, f)
		}
		systems := restoreSystems(log)
		if len(systems) == 0 && len(log.LineErrors) == 0 {
			out = append(out, ec.Finding(it, StatusFail, "restore-drill log %s lists no drills", log.Path))
			continue
		}
		for _, system := range systems {
			f := restoreSystemFinding(ec, it, log, system)
			f.Resource = "file:" + log.Path + "#" + system
			out = append(out, f)
		}
	}
	return out
}

// restoreSystems returns the configured systems, or every system in the
// log, sorted.
func restoreSystems(log files.RestoreTestLog) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if !seen[strings.ToLower(s)] {
			seen[strings.ToLower(s)] = true
			out = append(out, s)
		}
	}
	if len(log.Systems) > 0 {
		for _, s := range log.Systems {
			add(strings.TrimSpace(s))
		}
	} else {
		for _, d := range log.Drills {
			add(d.System)
		}
	}
	sort.Strings(out)
	return out
}

func restoreSystemFinding(ec *EvalContext, it *evidence.Item, log files.RestoreTestLog, system string) Finding {
	maxAge := time.Duration(ec.Params.Int("max_age_days")) * 24 * time.Hour
	rto := time.Duration(ec.Params.Float("max_rto_hours") * float64(time.Hour))
	oldest := ec.Now.Add(-maxAge)

	// A drill dated after the evaluation time cannot count as evidence.
	var drills []files.RestoreDrill
	future := 0
	for _, d := range log.Drills {
		switch {
		case !strings.EqualFold(d.System, system):
		case d.Date.After(ec.Now):
			future++
		default:
			drills = append(drills, d)
		}
	}
	details := map[string]any{"system": system, "max_age_days": ec.Params.Int("max_age_days"), "max_rto_hours": ec.Params.Float("max_rto_hours")}
	if future > 0 {
		details["drills_after_evaluation"] = future
	}
	if len(drills) == 0 {
		msg := fmt.Sprintf("no restore drill of %s is recorded in %s", system, log.Path)
		if future > 0 {
			msg = fmt.Sprintf("the only restore drills of %s in %s are dated after the evaluation time", system, log.Path)
		}
		f := ec.Finding(it, StatusFail, "%s", msg)
		f.Details = details
		return f
	}

	// Drills are sorted by date, so the last match is the latest.
	var latest, latestSuccess, latestWithinRTO *files.RestoreDrill
	inWindow := 0
	for i := range drills {
		d := &drills[i]
		latest = d
		if d.Date.Before(oldest) {
			continue
		}
		inWindow++
		if d.Succeeded {
			latestSuccess = d
			if d.Duration() <= rto {
				latestWithinRTO = d
			}
		}
	}
	details["drills_in_window"] = inWindow
	details["latest_drill"] = drillSummary(*latest)

	var f Finding
	switch {
	case latestWithinRTO != nil:
		d := latestWithinRTO
		details["backup"] = d.Backup
		details["time_to_restore"] = d.TimeToRestore
		f = ec.Finding(it, StatusPass, "restore of %s succeeded on %s from %s in %s (RTO %s)", system, d.Date.Format("2006-01-02"), backupName(d.Backup), durationText(d.Duration()), durationText(rto))
	case latestSuccess != nil:
		d := latestSuccess
		details["time_to_restore"] = d.TimeToRestore
		f = ec.Finding(it, StatusFail, "latest successful restore of %s on %s took %s, over the %s RTO", system, d.Date.Format("2006-01-02"), durationText(d.Duration()), durationText(rto))
	case inWindow > 0:
		f = ec.Finding(it, StatusFail, "no successful restore of %s in the last %d days; the latest drill on %s %s", system, ec.Params.Int("max_age_days"), latest.Date.Format("2006-01-02"), strings.ToLower(latest.Result))
	default:
		f = ec.Finding(it, StatusFail, "latest restore drill of %s on %s is older than %d days", system, latest.Date.Format("2006-01-02"), ec.Params.Int("max_age_days"))
	}
	f.Details = details
	return f
}

func drillSummary(d files.RestoreDrill) string {
	s := fmt.Sprintf("%s %s (line %d)", d.Date.Format("2006-01-02"), strings.ToLower(d.Result), d.Line)
	if d.TimeToRestore != "" {
		s += ", time to restore " + d.TimeToRestore
	}
	return s
}

func backupName(b string) string {
	if b == "" {
		return "an unnamed backup"
	}
	return b
}

// durationText formats a duration as hours and minutes: "4 h", "1 h 20 min",
// "45 min".
func durationText(d time.Duration) string {
	h := int(d / time.Hour)
	m := int((d % time.Hour) / time.Minute)
	switch {
	case h == 0:
		return fmt.Sprintf("%d min", m)
	case m == 0:
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %d min", h, m)
}
