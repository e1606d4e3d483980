package controls

import (
	"strings"
	"time"

	awscol "github.com/auditpack/auditpack/collectors/aws"
	"github.com/auditpack/auditpack/evidence"
)

var awsCloudTrailChecks = []*Check{
	{
		ID:       "aws.cloudtrail.multi_region",
		Title:    "A multi-region CloudTrail trail is logging",
		Severity: SeverityHigh,
		Criteria: []string{"CC7.2", "CC4.1"},
		Description: "Each account has at least one multi-region trail whose GetTrailStatus returned " +
			"IsLogging true, so API activity in every region, including regions nobody uses, is recorded " +
			"for monitoring (CC7.2) and evaluation (CC4.1). Configuration alone never passes.",
		Collectors: []string{"aws.cloudtrail"},
		Kinds:      []string{awscol.KindCloudTrailTrail, awscol.KindCloudTrailAccount},
		Calls:      []string{"cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus"},
		Evaluate:   evalTrailMultiRegion,
	},
	{
		ID:       "aws.cloudtrail.logging",
		Title:    "CloudTrail trails are logging",
		Severity: SeverityHigh,
		Criteria: []string{"CC7.2"},
		Description: "Each trail is actively logging as GetTrailStatus reports it in the trail's home region " +
			"(IsLogging). A stopped trail fails with the time it stopped, because a trail that is configured " +
			"but stopped records nothing (CC7.2).",
		Collectors: []string{"aws.cloudtrail"},
		Kinds:      []string{awscol.KindCloudTrailTrail},
		Calls:      []string{"cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus"},
		Evaluate:   evalTrailLogging,
	},
	{
		ID:       "aws.cloudtrail.log_file_validation",
		Title:    "CloudTrail log file validation is on",
		Severity: SeverityMedium,
		Criteria: []string{"CC7.2", "PI1.5"},
		Description: "Each trail has log file validation enabled, so signed digest files show whether a log " +
			"file was changed or deleted after delivery, keeping the audit record trustworthy (CC7.2) and " +
			"stored output complete and accurate (PI1.5).",
		Collectors: []string{"aws.cloudtrail"},
		Kinds:      []string{awscol.KindCloudTrailTrail},
		Calls:      []string{"cloudtrail:DescribeTrails"},
		Evaluate:   evalTrailLogFileValidation,
	},
}

type trailItem struct {
	item  *evidence.Item
	attrs awscol.CloudTrailTrail
}

// trailItems decodes the trail items, returning decode failures as error
// findings.
func trailItems(ec *EvalContext) ([]trailItem, []Finding) {
	var out []trailItem
	var errs []Finding
	for _, it := range ec.Items {
		if it.Kind != awscol.KindCloudTrailTrail {
			continue
		}
		var t awscol.CloudTrailTrail
		if f, ok := ec.Decode(it, &t); !ok {
			errs = append(errs, f)
			continue
		}
		out = append(out, trailItem{item: it, attrs: t})
	}
	return out, errs
}

// trailTime formats a CloudTrail time to the minute, in UTC.
func trailTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04Z") }

func evalTrailMultiRegion(ec *EvalContext) []Finding {
	trails, out := trailItems(ec)
	byAccount := map[string][]trailItem{}
	for _, t := range trails {
		acct := provenanceAccount(t.item)
		byAccount[acct] = append(byAccount[acct], t)
	}
	for _, it := range ec.Items {
		if it.Kind != awscol.KindCloudTrailAccount {
			continue
		}
		var a awscol.CloudTrailAccount
		if f, ok := ec.Decode(it, &a); !ok {
			out = append(out, f)
			continue
		}
		if len(a.RegionsDescribed) == 0 {
			// DescribeTrails failed in every region; those failures are
			// the error findings, and "no trail" would be a false fail.
			continue
		}
		acct := strings.TrimPrefix(it.Resource, "aws:")
		var logging, stopped, unknown, single []string
		for _, t := range byAccount[acct] {
			switch {
			case !t.attrs.IsMultiRegionTrail:
				single = append(single, t.attrs.Name)
			case t.attrs.Status == nil:
				unknown = append(unknown, t.attrs.Name)
			case t.attrs.Status.IsLogging:
				logging = append(logging, t.attrs.Name)
			default:
				stopped = append(stopped, t.attrs.Name)
			}
		}
		details := map[string]any{
			"multi_region_logging":        logging,
			"multi_region_not_logging":    stopped,
			"multi_region_status_unknown": unknown,
			"single_region":               single,
			"regions_described":           a.RegionsDescribed,
		}
		var f Finding
		switch {
		case len(logging) > 0:
			f = ec.Finding(it, StatusPass, "multi-region trail logging: %s", strings.Join(logging, ", "))
		case len(unknown) > 0:
			f = ec.Finding(it, StatusError, "logging status of multi-region trail %s could not be read", strings.Join(unknown, ", "))
		case len(stopped) > 0:
			f = ec.Finding(it, StatusFail, "multi-region trail not logging: %s", strings.Join(stopped, ", "))
		case len(single) > 0:
			f = ec.Finding(it, StatusFail, "no multi-region trail; single-region trails only: %s", strings.Join(single, ", "))
		default:
			f = ec.Finding(it, StatusFail, "no CloudTrail trail in the regions described (%s)", strings.Join(a.RegionsDescribed, ", "))
		}
		f.Details = details
		out = append(out, f)
	}
	return out
}

func evalTrailLogging(ec *EvalContext) []Finding {
	trails, out := trailItems(ec)
	for _, t := range trails {
		if f, bad := ec.ItemError(t.item, awscol.CloudTrailGroupStatus); bad {
			out = append(out, f)
			continue
		}
		st := t.attrs.Status
		if st == nil {
			out = append(out, ec.Finding(t.item, StatusError, "trail status was not collected; configuration alone does not show logging"))
			continue
		}
		details := map[string]any{"is_logging": st.IsLogging, "home_region": t.attrs.HomeRegion}
		for k, v := range map[string]*time.Time{"start_logging_time": st.StartLoggingTime, "stop_logging_time": st.StopLoggingTime, "latest_delivery_time": st.LatestDeliveryTime} {
			if v != nil {
				details[k] = v.UTC().Format(time.RFC3339)
			}
		}
		if st.LatestDeliveryError != "" {
			details["latest_delivery_error"] = st.LatestDeliveryError
		}
		var f Finding
		switch {
		case st.IsLogging:
			msg := "logging"
			if st.StartLoggingTime != nil {
				msg += " since " + trailTime(*st.StartLoggingTime)
			}
			if st.LatestDeliveryError != "" {
				msg += "; latest delivery error " + st.LatestDeliveryError
			}
			f = ec.Finding(t.item, StatusPass, "%s", msg)
		case st.StopLoggingTime != nil:
			f = ec.Finding(t.item, StatusFail, "stopped %s, %d days before evaluation", trailTime(*st.StopLoggingTime), iamDays(*st.StopLoggingTime, ec.Now))
		default:
			f = ec.Finding(t.item, StatusFail, "not logging (no stop time returned)")
		}
		f.Details = details
		out = append(out, f)
	}
	return out
}

func evalTrailLogFileValidation(ec *EvalContext) []Finding {
	trails, out := trailItems(ec)
	for _, t := range trails {
		var f Finding
		if t.attrs.LogFileValidationEnabled {
			f = ec.Finding(t.item, StatusPass, "log file validation enabled")
		} else {
			f = ec.Finding(t.item, StatusFail, "log file validation disabled")
		}
		f.Details = map[string]any{"log_file_validation_enabled": t.attrs.LogFileValidationEnabled}
		out = append(out, f)
	}
	return out
}
