package controls

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/auditpack/auditpack/accessreview"
)

// accessReviewCollectors produce the decisions and the current accounts
// they are compared with.
var accessReviewCollectors = []string{"accessreview", "aws.iam_access", "aws.iam", "postgres.roles", "postgres.users", "files.hr_roster"}

// accessReviewCalls are the calls and queries behind the review's rows:
// the IAM access collector's lists, the credential report with MFA
// devices, the PostgreSQL role catalog and the users table.
var accessReviewCalls = []string{
	"file:read access-reviews/*.json",
	"iam:ListUsers", "iam:ListGroupsForUser", "iam:ListAttachedUserPolicies", "iam:ListUserPolicies",
	"iam:ListRoles", "iam:ListAttachedRolePolicies",
	"iam:GenerateCredentialReport", "iam:GetCredentialReport", "iam:ListMFADevices",
	"postgres:roles", "postgres:role_memberships", "postgres:table_grants", "postgres:users",
}

var accessReviewChecks = []*Check{
	{
		ID:       "accessreview.completed",
		Title:    "User access was reviewed within the period",
		Severity: SeverityHigh,
		Criteria: []string{"CC6.2", "CC6.3"},
		Description: "An access-review workbook exported with 'auditpack access-review export' was imported for the " +
			"period, and every exported account (IAM users and roles, PostgreSQL login roles, application users) has " +
			"a decision by a named reviewer dated within the period (CC6.2, CC6.3). Without an import the check fails. " +
			"Accounts in the current evidence that the export lacks are listed: review when created after the export " +
			"or when the system does not record creation, because the next review covers them and their provisioning " +
			"is approved on its own; fail when the account already existed at the export, because the review missed it.",
		Collectors: accessReviewCollectors,
		Kinds:      append([]string{accessreview.KindExport, accessreview.KindDecisions}, accessreview.AccessKinds...),
		Calls:      accessReviewCalls,
		Evaluate:   evalAccessReviewCompleted,
	},
	{
		ID:       "accessreview.revocations_applied",
		Title:    "Access marked Revoke was removed",
		Severity: SeverityHigh,
		Criteria: []string{"CC6.2", "CC6.3"},
		Description: "Every account a reviewer marked Revoke in the imported access review is gone or disabled in the " +
			"current collection: an IAM user deleted or without console password and active access keys, a role " +
			"deleted, a PostgreSQL login role dropped, expired or without LOGIN, an application user no longer in an " +
			"active status (CC6.2 removal of access). One still active is a fail. A system whose current accounts were " +
			"not collected is an error.",
		Collectors: accessReviewCollectors,
		Kinds:      append([]string{accessreview.KindExport, accessreview.KindDecisions}, accessreview.AccessKinds...),
		Calls:      accessReviewCalls,
		Evaluate:   evalAccessReviewRevocations,
	},
	{
		ID:       "accessreview.self_review",
		Title:    "No reviewer decided on their own access",
		Severity: SeverityMedium,
		Criteria: []string{"CC6.2", "CC6.3"},
		Description: "No decision of the imported access review was made by the account's own holder: the reviewer " +
			"equals the account's e-mail address or name, or the local part of either. Such a decision is review, " +
			"because segregation of duties (CC6.3) wants another person to confirm it.",
		Collectors: []string{"accessreview"},
		Kinds:      []string{accessreview.KindExport, accessreview.KindDecisions},
		Calls:      []string{"file:read access-reviews/*.json"},
		Evaluate:   evalAccessReviewSelfReview,
	},
}

// accessReviewResource is the resource of findings about the period's
// review as a whole.
func accessReviewResource(ec *EvalContext) string {
	return "accessreview:" + ec.Period.Start.Format("2006-01-02") + ".." + ec.Period.LastDay().Format("2006-01-02")
}

// latestReview returns the latest imported review, or the findings to
// report when there is none: an error per decisions file without its
// export record, and noReview for the period.
func latestReview(ec *EvalContext, noReview Status) (*accessreview.Imported, []Finding) {
	latest, orphans := accessreview.Latest(ec.Evidence)
	var out []Finding
	for _, it := range orphans {
		out = append(out, ec.Finding(it, StatusError, "decisions file has no readable export record in the access-reviews folder; restore export-%s.json or export and import again", strings.TrimPrefix(it.Resource, "accessreview:decisions/")))
	}
	if latest != nil {
		return latest, out
	}
	f := Finding{
		Resource: accessReviewResource(ec),
		Status:   noReview,
		Message: fmt.Sprintf("no access review was imported for the period %s; run 'auditpack access-review export --config FILE --out review.xlsx', "+
			"have reviewers fill Decision, Reviewer and Date on every row, then run 'auditpack access-review import --config FILE review.xlsx'", ec.Period),
	}
	return nil, append(out, f)
}

func evalAccessReviewCompleted(ec *EvalContext) []Finding {
	imp, out := latestReview(ec, StatusFail)
	if imp == nil {
		return out
	}
	for _, s := range imp.Review.Sheets {
		out = append(out, judgeSheetDecisions(ec, imp, s))
	}
	out = append(out, newAccountFindings(ec, imp)...)
	return out
}

// judgeSheetDecisions checks that every exported row of a sheet has a
// decision with a reviewer and a date inside the period.
func judgeSheetDecisions(ec *EvalContext, imp *accessreview.Imported, s accessreview.Sheet) Finding {
	var problems []string
	var decided []accessreview.Decision
	counts := map[string]int{}
	first, last := "", ""
	for _, row := range s.Rows {
		d, ok := imp.Decision(row.Account)
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s (row %d) has no decision", row.Name, row.Row))
			continue
		case d.Reviewer == "":
			problems = append(problems, fmt.Sprintf("%s (row %d) has no reviewer", row.Name, row.Row))
			continue
		case d.Decision != accessreview.DecisionKeep && d.Decision != accessreview.DecisionRevoke && d.Decision != accessreview.DecisionModify:
			problems = append(problems, fmt.Sprintf("%s (row %d) has the decision %q, not Keep, Revoke or Modify", row.Name, row.Row, d.Decision))
			continue
		}
		date, err := time.Parse("2006-01-02", d.Date)
		if err != nil || date.Before(ec.Period.Start) || !date.Before(ec.Period.End) {
			problems = append(problems, fmt.Sprintf("%s (row %d) was decided on %q, outside the period %s", row.Name, row.Row, d.Date, ec.Period))
			continue
		}
		decided = append(decided, d)
		counts[d.Decision]++
		if first == "" || d.Date < first {
			first = d.Date
		}
		if d.Date > last {
			last = d.Date
		}
	}

	f := Finding{Resource: s.System, Evidence: imp.Evidence()}
	details := map[string]any{
		"export_id": imp.Review.ExportID, "sheet": s.Name, "accounts": len(s.Rows),
		"keep": counts[accessreview.DecisionKeep], "revoke": counts[accessreview.DecisionRevoke], "modify": counts[accessreview.DecisionModify],
		"reviewers": accessreview.Reviewers(decided), "workbook_sha256": imp.Decisions.WorkbookSHA256,
	}
	f.Details = details
	if len(problems) > 0 {
		f.Status = StatusFail
		f.Message = fmt.Sprintf("%d of %d accounts on sheet %q lack a valid decision: %s", len(problems), len(s.Rows), s.Name, strings.Join(problems, "; "))
		return f
	}
	if len(s.Rows) == 0 {
		f.Status = StatusPass
		f.Message = fmt.Sprintf("sheet %q of export %s had no account to review", s.Name, imp.Review.ExportID)
		return f
	}
	f.Status = StatusPass
	f.Message = fmt.Sprintf("%d accounts on sheet %q reviewed by %s from %s to %s (export %s): %d keep, %d revoke, %d modify",
		len(s.Rows), s.Name, strings.Join(accessreview.Reviewers(decided), ", "), first, last, imp.Review.ExportID,
		counts[accessreview.DecisionKeep], counts[accessreview.DecisionRevoke], counts[accessreview.DecisionModify])
	return f
}

// newAccountFindings lists accounts of the current evidence that the export
// lacks, and systems the export did not cover at all.
func newAccountFindings(ec *EvalContext, imp *accessreview.Imported) []Finding {
	current := accessreview.BuildPartial(ec.Evidence, accessreview.Meta{})
	exported := imp.Review.Created.UTC()
	var out []Finding
	for _, cs := range current.Sheets {
		es := imp.Review.SheetOf(cs.System)
		if es == nil {
			if len(cs.Rows) > 0 {
				out = append(out, Finding{
					Resource: cs.System,
					Status:   StatusReview,
					Evidence: imp.Evidence(),
					Message: fmt.Sprintf("system %s with %d accounts is not in export %s of %s; export again to review it",
						cs.System, len(cs.Rows), imp.Review.ExportID, exported.Format(time.RFC3339)),
				})
			}
			continue
		}
		inExport := map[string]bool{}
		for _, r := range es.Rows {
			inExport[r.Account] = true
		}
		for _, r := range cs.Rows {
			if inExport[r.Account] || accessreview.MatchesAny(imp.Review.ScopeExclude, r.Account, MatchResource) {
				continue
			}
			f := Finding{Resource: r.Account, Evidence: imp.Evidence(), Details: map[string]any{"export_id": imp.Review.ExportID, "export_created": exported.Format(time.RFC3339)}}
			switch {
			case r.Created != nil && r.Created.Before(exported):
				f.Status = StatusFail
				f.Message = fmt.Sprintf("%s was created on %s, before export %s of %s, but is missing from it, so the review did not cover it; export and review again",
					r.Name, r.Created.UTC().Format("2006-01-02"), imp.Review.ExportID, exported.Format(time.RFC3339))
			case r.Created != nil:
				f.Status = StatusReview
				f.Message = fmt.Sprintf("%s was created on %s, after export %s of %s; it is not covered by this review, so confirm its access was approved or review it in the next export",
					r.Name, r.Created.UTC().Format("2006-01-02"), imp.Review.ExportID, exported.Format(time.RFC3339))
			default:
				f.Status = StatusReview
				f.Message = fmt.Sprintf("%s is not in export %s of %s: created after the export (the system records no creation time); confirm its access was approved or review it in the next export",
					r.Name, imp.Review.ExportID, exported.Format(time.RFC3339))
			}
			out = append(out, f)
		}
	}
	return out
}

func evalAccessReviewRevocations(ec *EvalContext) []Finding {
	imp, out := latestReview(ec, StatusNotApplicable)
	if imp == nil {
		return out
	}
	current := accessreview.BuildPartial(ec.Evidence, accessreview.Meta{})
	revoked := 0
	for _, d := range imp.Decisions.Decisions {
		if d.Decision != accessreview.DecisionRevoke {
			continue
		}
		revoked++
		f := Finding{Resource: d.Account, Evidence: imp.Evidence(), Details: map[string]any{"reviewer": d.Reviewer, "date": d.Date, "export_id": imp.Review.ExportID}}
		cs := current.SheetOf(d.System)
		if cs == nil {
			f.Status = StatusError
			f.Message = fmt.Sprintf("%s was marked Revoke by %s on %s, but the current accounts of %s were not collected, so its removal cannot be confirmed; select the checks that collect them (for application users, postgres.users.*)",
				d.Name, d.Reviewer, d.Date, d.System)
			out = append(out, f)
			continue
		}
		var now *accessreview.Row
		for i := range cs.Rows {
			if cs.Rows[i].Account == d.Account {
				now = &cs.Rows[i]
				break
			}
		}
		switch {
		case now == nil:
			f.Status = StatusPass
			f.Message = fmt.Sprintf("%s, marked Revoke by %s on %s, is no longer among the active accounts of %s", d.Name, d.Reviewer, d.Date, d.System)
		case !now.Active:
			f.Status = StatusPass
			f.Message = fmt.Sprintf("%s, marked Revoke by %s on %s, still exists but is disabled", d.Name, d.Reviewer, d.Date)
		default:
			f.Status = StatusFail
			f.Message = fmt.Sprintf("%s was marked Revoke by %s on %s but is still active; remove its access or record why it stays", d.Name, d.Reviewer, d.Date)
			// IAM regenerates the credential report at most every four
			// hours, so name its age: a removal after it shows on the next
			// collection.
			if now.Observed != nil {
				f.Message += fmt.Sprintf(" (per the credential report generated at %s)", now.Observed.UTC().Format(time.RFC3339))
			}
			if d.Comment != "" {
				f.Message += fmt.Sprintf(" (reviewer's comment: %s)", d.Comment)
			}
		}
		out = append(out, f)
	}
	if revoked == 0 {
		out = append(out, Finding{
			Resource: accessReviewResource(ec),
			Status:   StatusNotApplicable,
			Evidence: imp.Evidence(),
			Message:  fmt.Sprintf("no account was marked Revoke in export %s", imp.Review.ExportID),
		})
	}
	return out
}

func evalAccessReviewSelfReview(ec *EvalContext) []Finding {
	imp, out := latestReview(ec, StatusNotApplicable)
	if imp == nil {
		return out
	}
	var self []accessreview.Decision
	for _, d := range imp.Decisions.Decisions {
		if accessreview.IsSelfReview(d) {
			self = append(self, d)
		}
	}
	sort.Slice(self, func(i, j int) bool { return self[i].Account < self[j].Account })
	for _, d := range self {
		out = append(out, Finding{
			Resource: d.Account,
			Status:   StatusReview,
			Evidence: imp.Evidence(),
			Details:  map[string]any{"reviewer": d.Reviewer, "decision": d.Decision, "date": d.Date},
			Message: fmt.Sprintf("%s decided %s on their own account %s (sheet %q row %d) on %s; have another reviewer confirm the decision",
				d.Reviewer, d.Decision, d.Name, d.Sheet, d.Row, d.Date),
		})
	}
	if len(self) == 0 {
		out = append(out, Finding{
			Resource: "accessreview:export/" + imp.Review.ExportID,
			Status:   StatusPass,
			Evidence: imp.Evidence(),
			Message:  fmt.Sprintf("none of the %d decisions of export %s was made on the reviewer's own account", len(imp.Decisions.Decisions), imp.Review.ExportID),
		})
	}
	return out
}
