package controls

import (
	"fmt"
	"strings"
	"time"

	awscol "github.com/auditpack/auditpack/collectors/aws"
	"github.com/auditpack/auditpack/evidence"
)

var iamReportCalls = []string{"iam:GenerateCredentialReport", "iam:GetCredentialReport", "iam:ListUsers"}

var awsIAMChecks = []*Check{
	{
		ID:       "aws.iam.root_mfa",
		Title:    "Root user has MFA",
		Severity: SeverityCritical,
		Criteria: []string{"CC6.1", "CC6.6"},
		Description: "The root user, which no policy can restrict, has MFA enabled (GetAccountSummary " +
			"AccountMFAEnabled, and the credential report's root row when present), protecting the most " +
			"privileged sign-in against stolen passwords (CC6.1, CC6.6). Sources that disagree are review.",
		Collectors: []string{"aws.iam"},
		Kinds:      []string{awscol.KindIAMRoot},
		Calls:      []string{"iam:GetAccountSummary"},
		Evaluate:   evalIAMRootMFA,
	},
	{
		ID:       "aws.iam.root_access_keys",
		Title:    "Root user has no active access keys",
		Severity: SeverityCritical,
		Criteria: []string{"CC6.1", "CC6.3"},
		Description: "Neither access-key slot of the root user holds an active key, so no program can act with " +
			"unrestricted privileges (CC6.1, least privilege under CC6.3). Read from the credential report's " +
			"root row; when the report has no root row, from GetAccountSummary AccountAccessKeysPresent.",
		Collectors: []string{"aws.iam"},
		Kinds:      []string{awscol.KindIAMRoot},
		Calls:      append([]string{"iam:GetAccountSummary"}, iamReportCalls[:2]...),
		Evaluate:   evalIAMRootAccessKeys,
	},
	{
		ID:       "aws.iam.root_usage",
		Title:    "Root user not used during the period",
		Severity: SeverityHigh,
		Criteria: []string{"CC6.1", "CC7.2"},
		Description: "The root user's console sign-in and access keys were not used within the audit period " +
			"(or the last 90 days when no period is set). Use is review with the dates, because a person must " +
			"judge whether it was one of the few tasks that need root (CC6.1) and whether it was monitored (CC7.2).",
		Collectors: []string{"aws.iam"},
		Kinds:      []string{awscol.KindIAMRoot},
		Calls:      iamReportCalls[:2],
		Evaluate:   evalIAMRootUsage,
	},
	{
		ID:       "aws.iam.console_mfa",
		Title:    "IAM users with a console password have MFA",
		Severity: SeverityHigh,
		Criteria: []string{"CC6.1", "CC6.6"},
		Description: "Every IAM user with a console password has an MFA device (credential report mfa_active, " +
			"or a device from ListMFADevices), so a leaked password alone does not give access (CC6.1, CC6.6). " +
			"Users without a password and the root user are outside this check. When the report and ListUsers " +
			"disagree, passing users become review.",
		Collectors: []string{"aws.iam"},
		Kinds:      []string{awscol.KindIAMUser, awscol.KindIAMCredentialReport},
		Calls:      append(append([]string{}, iamReportCalls...), "iam:ListMFADevices"),
		Evaluate:   evalIAMConsoleMFA,
	},
	{
		ID:       "aws.iam.access_key_rotation",
		Title:    "Active IAM access keys are rotated",
		Severity: SeverityMedium,
		Criteria: []string{"CC6.1", "CC6.2"},
		Description: "Every active access key, in either slot, was created or rotated within max_age_days, " +
			"limiting how long a leaked key stays useful (CC6.1, CC6.2). Inactive keys are not judged and " +
			"appear as a note suggesting their deletion. The root user is judged by aws.iam.root_access_keys.",
		Collectors: []string{"aws.iam"},
		Kinds:      []string{awscol.KindIAMUser, awscol.KindIAMCredentialReport},
		Calls:      iamReportCalls,
		Params: []Param{{
			Name:        "max_age_days",
			Default:     90,
			Description: "Maximum age of an active access key in days.",
			Loosest:     365,
		}},
		Evaluate: evalIAMAccessKeyRotation,
	},
	{
		ID:       "aws.iam.unused_credentials",
		Title:    "Unused IAM credentials are removed",
		Severity: SeverityMedium,
		Criteria: []string{"CC6.2", "CC6.3"},
		Description: "No IAM user has a console password or an active access key that went unused for more " +
			"than max_unused_days, or that was never used and is older than grace_days, so access that is no " +
			"longer needed is removed (CC6.2, CC6.3). The grace period spares credentials created days ago. " +
			"The root user is judged by aws.iam.root_usage.",
		Collectors: []string{"aws.iam"},
		Kinds:      []string{awscol.KindIAMUser, awscol.KindIAMCredentialReport},
		Calls:      iamReportCalls,
		Params: []Param{
			{Name: "max_unused_days", Default: 90, Description: "Days a credential may go unused.", Loosest: 180},
			{Name: "grace_days", Default: 7, Description: "Days a new credential may stay unused before it counts as never used.", Loosest: 30},
		},
		Evaluate: evalIAMUnusedCredentials,
	},
	{
		ID:       "aws.iam.password_policy",
		Title:    "Account password policy is strong enough",
		Severity: SeverityMedium,
		Criteria: []string{"CC6.1"},
		Description: "The account has a custom password policy with at least min_length characters, " +
			"reuse_prevention remembered passwords and the character classes the require_* parameters name " +
			"(CC6.1). An account without a custom policy fails with every requirement listed, because the AWS " +
			"default sets none of them. Complexity rules can be turned off: NIST SP 800-63B no longer asks for them.",
		Collectors: []string{"aws.iam"},
		Kinds:      []string{awscol.KindIAMPasswordPolicy},
		Calls:      []string{"iam:GetAccountPasswordPolicy"},
		Params: []Param{
			{Name: "min_length", Default: 14, Description: "Minimum password length.", Loosest: 8, HigherIsStricter: true},
			{Name: "reuse_prevention", Default: 24, Description: "Number of previous passwords that cannot be reused.", Loosest: 4, HigherIsStricter: true},
			{Name: "require_uppercase", Default: true, Description: "Require an uppercase letter.", Loosest: false},
			{Name: "require_lowercase", Default: true, Description: "Require a lowercase letter.", Loosest: false},
			{Name: "require_numbers", Default: true, Description: "Require a number.", Loosest: false},
			{Name: "require_symbols", Default: true, Description: "Require a symbol.", Loosest: false},
		},
		Evaluate: evalIAMPasswordPolicy,
	},
}

// iamDays returns whole days from t to now.
func iamDays(t, now time.Time) int {
	return int(now.Sub(t) / (24 * time.Hour))
}

// iamOlderThan reports whether more than days whole days have passed since
// t. It compares durations, so 7 days and 20 hours is more than 7 days.
func iamOlderThan(t, now time.Time, days int) bool {
	return now.Sub(t) > time.Duration(days)*24*time.Hour
}

func iamDate(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// iamRoot decodes a root item, or returns the error finding.
func iamRoot(ec *EvalContext, it *evidence.Item) (awscol.IAMRoot, Finding, bool) {
	var root awscol.IAMRoot
	f, ok := ec.Decode(it, &root)
	return root, f, ok
}

func evalIAMRootMFA(ec *EvalContext) []Finding {
	var out []Finding
	for _, it := range ec.Items {
		root, bad, ok := iamRoot(ec, it)
		if !ok {
			out = append(out, bad)
			continue
		}
		var sources []string
		var on []bool
		details := map[string]any{}
		if root.AccountMFAEnabled != nil {
			v := *root.AccountMFAEnabled == 1
			sources, on = append(sources, "GetAccountSummary"), append(on, v)
			details["account_mfa_enabled"] = *root.AccountMFAEnabled
		}
		if root.Row != nil {
			sources, on = append(sources, "credential report"), append(on, root.Row.MFAActive)
			details["mfa_active"] = root.Row.MFAActive
		}
		details["sources"] = sources
		var f Finding
		switch {
		case len(on) == 0:
			if ef, bad := ec.ItemError(it, awscol.IAMGroupAccountSummary, awscol.IAMGroupCredentialReport); bad {
				f = ef
			} else {
				f = ec.Finding(it, StatusError, "no evidence of root MFA: neither GetAccountSummary nor a credential-report root row was read")
			}
		case len(on) == 2 && on[0] != on[1]:
			f = ec.Finding(it, StatusReview, "root MFA sources disagree: GetAccountSummary says %t, credential report says %t", on[0], on[1])
		case on[0]:
			f = ec.Finding(it, StatusPass, "root user has MFA enabled (%s)", strings.Join(sources, ", "))
		default:
			f = ec.Finding(it, StatusFail, "root user has no MFA (%s)", strings.Join(sources, ", "))
		}
		f.Details = details
		out = append(out, f)
	}
	return out
}

func evalIAMRootAccessKeys(ec *EvalContext) []Finding {
	var out []Finding
	for _, it := range ec.Items {
		if ef, failed := ec.ItemError(it, awscol.IAMGroupCredentialReport); failed {
			out = append(out, ef)
			continue
		}
		root, bad, ok := iamRoot(ec, it)
		if !ok {
			out = append(out, bad)
			continue
		}
		var f Finding
		switch {
		case root.Row != nil:
			var active []string
			details := map[string]any{}
			for _, k := range root.Row.AccessKeys {
				details[fmt.Sprintf("access_key_%d_active", k.Slot)] = k.Active
				if k.Active {
					active = append(active, fmt.Sprintf("key %d", k.Slot))
				}
			}
			if len(active) > 0 {
				f = ec.Finding(it, StatusFail, "root user has active access keys: %s", strings.Join(active, ", "))
			} else {
				f = ec.Finding(it, StatusPass, "root user has no active access keys")
			}
			f.Details = details
		case root.AccountAccessKeysPresent != nil:
			n := *root.AccountAccessKeysPresent
			if n > 0 {
				f = ec.Finding(it, StatusFail, "root user has access keys (GetAccountSummary AccountAccessKeysPresent = %d)", n)
			} else {
				f = ec.Finding(it, StatusPass, "root user has no access keys (GetAccountSummary; the credential report has no root row)")
			}
			f.Details = map[string]any{"account_access_keys_present": n}
		default:
			if ef, bad := ec.ItemError(it, awscol.IAMGroupAccountSummary); bad {
				f = ef
			} else {
				f = ec.Finding(it, StatusError, "credential report has no %s row and the account summary was not read", awscol.RootUserName)
			}
		}
		out = append(out, f)
	}
	return out
}

// iamWindowStart is the start of the time in which root use is reported:
// the audit period, or the last 90 days when no period is set.
func iamWindowStart(ec *EvalContext) time.Time {
	if !ec.Period.Start.IsZero() {
		return ec.Period.Start
	}
	return ec.Now.AddDate(0, 0, -90)
}

func evalIAMRootUsage(ec *EvalContext) []Finding {
	var out []Finding
	start := iamWindowStart(ec)
	for _, it := range ec.Items {
		if ef, failed := ec.ItemError(it, awscol.IAMGroupCredentialReport); failed {
			out = append(out, ef)
			continue
		}
		root, bad, ok := iamRoot(ec, it)
		if !ok {
			out = append(out, bad)
			continue
		}
		if root.Row == nil {
			out = append(out, ec.Finding(it, StatusError, "credential report has no %s row, so root use is unknown", awscol.RootUserName))
			continue
		}
		details := map[string]any{
			"password_last_used": root.Row.PasswordLastUsed.Raw,
			"window_start":       start.UTC().Format(time.RFC3339),
		}
		var uses []string
		if d := root.Row.PasswordLastUsed; d.State == awscol.DateSet && !d.Time.Before(start) {
			uses = append(uses, fmt.Sprintf("root console sign-in %s, %d days before evaluation", iamDate(*d.Time), iamDays(*d.Time, ec.Now)))
		}
		for _, k := range root.Row.AccessKeys {
			details[fmt.Sprintf("access_key_%d_last_used", k.Slot)] = k.LastUsed.Raw
			if d := k.LastUsed; d.State == awscol.DateSet && !d.Time.Before(start) {
				uses = append(uses, fmt.Sprintf("root access key %d used %s, %d days before evaluation", k.Slot, iamDate(*d.Time), iamDays(*d.Time, ec.Now)))
			}
		}
		var f Finding
		if len(uses) > 0 {
			f = ec.Finding(it, StatusReview, "%s", strings.Join(uses, "; "))
		} else {
			f = ec.Finding(it, StatusPass, "root user not used since %s (console last used: %s)", iamDate(start), root.Row.PasswordLastUsed.Raw)
		}
		f.Details = details
		out = append(out, f)
	}
	return out
}

// iamReports returns the credential-report attributes by account id.
func iamReports(ec *EvalContext) map[string]*evidence.Item {
	out := map[string]*evidence.Item{}
	for _, it := range ec.Items {
		if it.Kind == awscol.KindIAMCredentialReport {
			out[strings.TrimPrefix(it.Resource, "aws:")] = it
		}
	}
	return out
}

// iamAccountOfARN returns the account id of an IAM ARN.
func iamAccountOfARN(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 5 {
		return ""
	}
	return parts[4]
}

// iamEvalUsers runs judge over every user item and applies the consistency
// rule: when ListUsers and the credential report name different users, a
// passing user becomes review, and the account gets a review finding that
// names the difference. A ListUsers failure is an error on the account.
func iamEvalUsers(ec *EvalContext, judge func(it *evidence.Item, u awscol.IAMUser) (Finding, bool)) []Finding {
	reports := iamReports(ec)
	type reportState struct {
		attrs awscol.IAMCredentialReport
		note  string
	}
	states := map[string]*reportState{}
	var out []Finding
	for acct, it := range reports {
		if _, bad := it.Errors[awscol.IAMGroupCredentialReport]; bad {
			// The collector records a failure of the user kind for the same
			// cause, which becomes the error finding.
			continue
		}
		var r awscol.IAMCredentialReport
		if f, ok := ec.Decode(it, &r); !ok {
			out = append(out, f)
			continue
		}
		st := &reportState{attrs: r}
		states[acct] = st
		if f, bad := ec.ItemError(it, awscol.IAMGroupListUsers); bad {
			f.Message = "users could not be compared with the credential report: " + f.Message
			out = append(out, f)
			continue
		}
		if !r.Consistent() {
			st.note = fmt.Sprintf("credential report lists %d users, ListUsers %d", r.UserRows, r.ListUsersCount)
			var parts []string
			if len(r.NotInReport) > 0 {
				parts = append(parts, "missing from the report: "+strings.Join(r.NotInReport, ", "))
			}
			if len(r.NotInListUsers) > 0 {
				parts = append(parts, "missing from ListUsers: "+strings.Join(r.NotInListUsers, ", "))
			}
			f := ec.Finding(it, StatusReview, "%s; %s", st.note, strings.Join(parts, "; "))
			f.Details = map[string]any{"not_in_report": r.NotInReport, "not_in_list_users": r.NotInListUsers, "report_generated_time": r.GeneratedTime}
			out = append(out, f)
		}
	}
	for _, it := range ec.Items {
		if it.Kind != awscol.KindIAMUser {
			continue
		}
		var u awscol.IAMUser
		if f, ok := ec.Decode(it, &u); !ok {
			out = append(out, f)
			continue
		}
		f, ok := judge(it, u)
		if !ok {
			continue
		}
		if st := states[iamAccountOfARN(u.ARN)]; st != nil && st.note != "" && f.Status == StatusPass {
			f.Status = StatusReview
			f.Message += " (" + st.note + ")"
		}
		out = append(out, f)
	}
	return out
}

func evalIAMConsoleMFA(ec *EvalContext) []Finding {
	return iamEvalUsers(ec, func(it *evidence.Item, u awscol.IAMUser) (Finding, bool) {
		if !u.HasConsolePassword() {
			return Finding{}, false
		}
		details := map[string]any{"mfa_active": u.MFAActive, "mfa_devices": u.MFADevices, "password_last_used": u.PasswordLastUsed.Raw}
		var f Finding
		switch {
		case u.MFAActive:
			f = ec.Finding(it, StatusPass, "console user has MFA")
		case len(u.MFADevices) > 0:
			f = ec.Finding(it, StatusPass, "console user has MFA device %s (registered after the credential report was generated)", u.MFADevices[0])
		default:
			if ef, bad := ec.ItemError(it, awscol.IAMGroupMFADevices); bad {
				return ef, true
			}
			f = ec.Finding(it, StatusFail, "console user without MFA")
		}
		f.Details = details
		return f, true
	})
}

func evalIAMAccessKeyRotation(ec *EvalContext) []Finding {
	maxAge := ec.Params.Int("max_age_days")
	return iamEvalUsers(ec, func(it *evidence.Item, u awscol.IAMUser) (Finding, bool) {
		var stale, fresh, unknown, notes []string
		details := map[string]any{"max_age_days": maxAge}
		for _, k := range u.AccessKeys {
			details[fmt.Sprintf("access_key_%d_active", k.Slot)] = k.Active
			details[fmt.Sprintf("access_key_%d_last_rotated", k.Slot)] = k.LastRotated.Raw
			if !k.Exists() {
				continue
			}
			if !k.Active {
				since := "an unknown date"
				if k.LastRotated.Time != nil {
					since = fmt.Sprint(k.LastRotated.Time.Year())
				}
				notes = append(notes, fmt.Sprintf("inactive key %d present since %s; consider deleting", k.Slot, since))
				continue
			}
			if k.LastRotated.State != awscol.DateSet {
				unknown = append(unknown, fmt.Sprintf("active key %d has no rotation date (%s)", k.Slot, k.LastRotated.Raw))
				continue
			}
			age := iamDays(*k.LastRotated.Time, ec.Now)
			text := fmt.Sprintf("key %d last rotated %s, %d days ago", k.Slot, iamDate(*k.LastRotated.Time), age)
			if iamOlderThan(*k.LastRotated.Time, ec.Now, maxAge) {
				stale = append(stale, text)
			} else {
				fresh = append(fresh, text)
			}
		}
		if len(notes) > 0 {
			details["notes"] = notes
		}
		var f Finding
		switch {
		case len(stale) > 0:
			f = ec.Finding(it, StatusFail, "access key older than %d days: %s", maxAge, strings.Join(stale, "; "))
		case len(unknown) > 0:
			f = ec.Finding(it, StatusReview, "%s", strings.Join(unknown, "; "))
		case len(fresh) > 0:
			f = ec.Finding(it, StatusPass, "active keys rotated within %d days: %s", maxAge, strings.Join(fresh, "; "))
		case len(notes) > 0:
			f = ec.Finding(it, StatusNotApplicable, "no active access keys; %s", strings.Join(notes, "; "))
		default:
			return Finding{}, false
		}
		if len(notes) > 0 && f.Status != StatusNotApplicable {
			f.Message += " (" + strings.Join(notes, "; ") + ")"
		}
		f.Details = details
		return f, true
	})
}

func evalIAMUnusedCredentials(ec *EvalContext) []Finding {
	maxUnused := ec.Params.Int("max_unused_days")
	grace := ec.Params.Int("grace_days")
	return iamEvalUsers(ec, func(it *evidence.Item, u awscol.IAMUser) (Finding, bool) {
		var failed, unclear, fine []string
		details := map[string]any{"max_unused_days": maxUnused, "grace_days": grace}

		if u.HasConsolePassword() {
			d := u.PasswordLastUsed
			details["password_last_used"] = d.Raw
			details["password_last_used_state"] = d.State
			switch d.State {
			case awscol.DateSet:
				age := iamDays(*d.Time, ec.Now)
				if iamOlderThan(*d.Time, ec.Now, maxUnused) {
					failed = append(failed, fmt.Sprintf("console password last used %s, %d days ago (> %d days)", iamDate(*d.Time), age, maxUnused))
				} else {
					fine = append(fine, fmt.Sprintf("console password used %s", iamDate(*d.Time)))
				}
			case awscol.DateNeverUsed:
				set := u.PasswordLastChanged
				if set.State != awscol.DateSet {
					set = u.UserCreation
				}
				if set.State != awscol.DateSet {
					unclear = append(unclear, "console password never used and its creation date is unknown")
					break
				}
				age := iamDays(*set.Time, ec.Now)
				switch {
				case iamOlderThan(*set.Time, ec.Now, maxUnused):
					failed = append(failed, fmt.Sprintf("console credential unused since creation (> %d days): set %s, %d days ago", maxUnused, iamDate(*set.Time), age))
				case iamOlderThan(*set.Time, ec.Now, grace):
					failed = append(failed, fmt.Sprintf("console credential unused since creation: set %s, %d days ago (grace period %d days)", iamDate(*set.Time), age, grace))
				default:
					fine = append(fine, fmt.Sprintf("console password set %s, within the %d-day grace period", iamDate(*set.Time), grace))
				}
			default:
				unclear = append(unclear, fmt.Sprintf("console password last use not reported (%s)", d.Raw))
			}
		}

		for _, k := range u.AccessKeys {
			if !k.Active {
				continue
			}
			d := k.LastUsed
			details[fmt.Sprintf("access_key_%d_last_used", k.Slot)] = d.Raw
			details[fmt.Sprintf("access_key_%d_last_used_state", k.Slot)] = d.State
			switch d.State {
			case awscol.DateSet:
				age := iamDays(*d.Time, ec.Now)
				if iamOlderThan(*d.Time, ec.Now, maxUnused) {
					failed = append(failed, fmt.Sprintf("access key %d last used %s, %d days ago (> %d days)", k.Slot, iamDate(*d.Time), age, maxUnused))
				} else {
					fine = append(fine, fmt.Sprintf("access key %d used %s", k.Slot, iamDate(*d.Time)))
				}
			case awscol.DateNeverUsed:
				if k.LastRotated.State != awscol.DateSet {
					unclear = append(unclear, fmt.Sprintf("access key %d never used and its creation date is unknown", k.Slot))
					continue
				}
				age := iamDays(*k.LastRotated.Time, ec.Now)
				if iamOlderThan(*k.LastRotated.Time, ec.Now, grace) {
					failed = append(failed, fmt.Sprintf("active key never used: key %d created %s, %d days ago", k.Slot, iamDate(*k.LastRotated.Time), age))
				} else {
					fine = append(fine, fmt.Sprintf("access key %d created %s, within the %d-day grace period", k.Slot, iamDate(*k.LastRotated.Time), grace))
				}
			default:
				unclear = append(unclear, fmt.Sprintf("access key %d last use not reported (%s)", k.Slot, d.Raw))
			}
		}

		var f Finding
		switch {
		case len(failed) > 0:
			f = ec.Finding(it, StatusFail, "%s", strings.Join(failed, "; "))
		case len(unclear) > 0:
			f = ec.Finding(it, StatusReview, "%s", strings.Join(unclear, "; "))
		case len(fine) > 0:
			f = ec.Finding(it, StatusPass, "credentials in use: %s", strings.Join(fine, "; "))
		default:
			f = ec.Finding(it, StatusNotApplicable, "no console password and no active access key")
		}
		f.Details = details
		return f, true
	})
}

func evalIAMPasswordPolicy(ec *EvalContext) []Finding {
	minLength := ec.Params.Int("min_length")
	reuse := ec.Params.Int("reuse_prevention")
	var out []Finding
	for _, it := range ec.Items {
		if f, bad := ec.ItemError(it, awscol.IAMGroupPasswordPolicy); bad {
			out = append(out, f)
			continue
		}
		var p awscol.IAMPasswordPolicy
		if f, ok := ec.Decode(it, &p); !ok {
			out = append(out, f)
			continue
		}
		type requirement struct {
			param, text string
			met         bool
			actual      string
		}
		reqs := []requirement{
			{"min_length", fmt.Sprintf("minimum length ≥ %d", minLength), p.MinimumPasswordLength != nil && int(*p.MinimumPasswordLength) >= minLength, iamOptInt(p.MinimumPasswordLength)},
			{"reuse_prevention", fmt.Sprintf("reuse prevention ≥ %d", reuse), reuse <= 0 || p.PasswordReusePrevention != nil && int(*p.PasswordReusePrevention) >= reuse, iamOptInt(p.PasswordReusePrevention)},
		}
		for _, c := range []struct {
			param, text string
			set         bool
		}{
			{"require_uppercase", "uppercase letters", p.RequireUppercaseCharacters},
			{"require_lowercase", "lowercase letters", p.RequireLowercaseCharacters},
			{"require_numbers", "numbers", p.RequireNumbers},
			{"require_symbols", "symbols", p.RequireSymbols},
		} {
			if ec.Params.Bool(c.param) {
				reqs = append(reqs, requirement{c.param, c.text, c.set, fmt.Sprint(c.set)})
			}
		}
		var unmet []string
		details := map[string]any{"custom_policy": p.Custom}
		for _, r := range reqs {
			details[r.param] = r.actual
			if !r.met {
				unmet = append(unmet, r.text)
			}
		}
		var f Finding
		switch {
		case !p.Custom:
			details["note"] = awscol.NoCustomPasswordPolicy
			details["unmet"] = unmet
			f = ec.Finding(it, StatusFail, "%s; needs a custom setting for: %s", awscol.NoCustomPasswordPolicy, strings.Join(unmet, ", "))
		case len(unmet) > 0:
			details["unmet"] = unmet
			f = ec.Finding(it, StatusFail, "password policy does not require: %s", strings.Join(unmet, ", "))
		default:
			f = ec.Finding(it, StatusPass, "password policy meets every requirement")
		}
		f.Details = details
		out = append(out, f)
	}
	return out
}

func iamOptInt(v *int32) string {
	if v == nil {
		return "not set"
	}
	return fmt.Sprint(*v)
}
