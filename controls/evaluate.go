package controls

import (
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/internal/period"
)

// EvalOptions configures one evaluation.
type EvalOptions struct {
	// Now is the evaluation time; a re-evaluation passes the stored one.
	Now    time.Time
	Period period.Period
	// Params holds configured parameter values by check id; missing ones
	// take the check's default.
	Params map[string]Params
	// Manual lists manual evidence by criterion id.
	Manual map[string][]ManualRef
	Logger *slog.Logger
}

// ManualRef is a manual evidence file attached to criteria.
type ManualRef struct {
	Path        string `json:"path"`
	Description string `json:"description,omitempty"`
	SHA256      string `json:"sha256,omitempty"`
	Missing     bool   `json:"missing,omitempty"`
}

// CriterionResult is the rolled-up status of one criterion.
type CriterionResult struct {
	ID          string          `json:"id"`
	Category    string          `json:"category"`
	Description string          `json:"description"`
	Status      CriterionStatus `json:"status"`
	// CheckIDs are the built-in and custom checks that support the criterion,
	// selected or not.
	CheckIDs []string `json:"check_ids"`
	// Counts holds the number of findings per status.
	Counts         map[Status]int `json:"counts"`
	ManualEvidence []ManualRef    `json:"manual_evidence,omitempty"`
}

// Evaluate runs the selected checks over the evidence and rolls the findings
// up to criteria. A panic inside one check becomes an error finding of that
// check and evaluation goes on.
func Evaluate(cat *Catalog, reg *Registry, selected []*Check, set *evidence.Set, opts EvalOptions) ([]Finding, []CriterionResult) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var findings []Finding
	for _, c := range selected {
		findings = append(findings, runCheck(c, set, opts, logger)...)
	}
	SortFindings(findings)
	return findings, Rollup(cat, reg, selected, findings, opts.Manual)
}

func runCheck(c *Check, set *evidence.Set, opts EvalOptions, logger *slog.Logger) (out []Finding) {
	params := c.DefaultParams()
	for k, v := range opts.Params[c.ID] {
		params[k] = v
	}
	kinds := map[string]bool{}
	for _, k := range c.Kinds {
		kinds[k] = true
	}
	var items []*evidence.Item
	for _, it := range set.Items {
		if kinds[it.Kind] {
			items = append(items, it)
		}
	}
	ec := &EvalContext{Check: c, Now: opts.Now.UTC(), Period: opts.Period, Params: params, Evidence: set, Items: items}

	// Collection failures of a whole scope become error findings first, so a
	// region or database that could not be read never looks like a pass.
	for _, f := range set.Failures {
		if !failureApplies(f, c, kinds) {
			continue
		}
		out = append(out, Finding{
			CheckID:  c.ID,
			Resource: f.Scope,
			Status:   StatusError,
			Message:  f.Error.String(),
			Evidence: []string{evidence.FailurePath(f)},
		})
	}

	defer func() {
		if r := recover(); r != nil {
			logger.Error("check panicked", "check", c.ID, "panic", fmt.Sprint(r))
			out = append(out, Finding{
				CheckID:  c.ID,
				Resource: "check:" + c.ID,
				Status:   StatusError,
				Message:  fmt.Sprintf("check %s failed while evaluating: %v", c.ID, r),
			})
			out = complete(c, out)
		}
	}()
	out = append(out, c.Evaluate(ec)...)
	return complete(c, out)
}

func failureApplies(f evidence.Failure, c *Check, kinds map[string]bool) bool {
	if len(f.Checks) > 0 {
		for _, id := range f.Checks {
			if id == c.ID {
				return true
			}
		}
		return false
	}
	for _, k := range f.Kinds {
		if kinds[k] {
			return true
		}
	}
	return false
}

// complete fills the fields every finding of a check shares.
func complete(c *Check, fs []Finding) []Finding {
	for i := range fs {
		fs[i].CheckID = c.ID
		if fs[i].Severity == "" {
			fs[i].Severity = c.Severity
		}
		fs[i].Criteria = append([]string(nil), c.Criteria...)
		if fs[i].Evidence == nil {
			fs[i].Evidence = []string{}
		}
	}
	return fs
}

// SortFindings orders findings by check id, then resource, then message.
func SortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.CheckID != b.CheckID {
			return a.CheckID < b.CheckID
		}
		if a.Resource != b.Resource {
			return a.Resource < b.Resource
		}
		return a.Message < b.Message
	})
}

// Rollup computes every criterion's status from the findings: fail if any
// finding fails; else error; else review; else pass if any passed or was
// waived; else not_tested when the criterion has checks, and manual when it
// has none.
func Rollup(cat *Catalog, reg *Registry, selected []*Check, findings []Finding, manual map[string][]ManualRef) []CriterionResult {
	checksOf := map[string][]string{}
	for _, c := range reg.All() {
		for _, id := range c.Criteria {
			checksOf[id] = append(checksOf[id], c.ID)
		}
	}
	counts := map[string]map[Status]int{}
	for _, f := range findings {
		for _, id := range f.Criteria {
			if counts[id] == nil {
				counts[id] = map[Status]int{}
			}
			counts[id][f.Status]++
		}
	}
	out := make([]CriterionResult, 0, len(cat.Criteria))
	for _, cr := range cat.Criteria {
		n := counts[cr.ID]
		if n == nil {
			n = map[Status]int{}
		}
		res := CriterionResult{
			ID:             cr.ID,
			Category:       cr.Category,
			Description:    cr.Description,
			CheckIDs:       append([]string{}, checksOf[cr.ID]...),
			Counts:         n,
			ManualEvidence: manual[cr.ID],
		}
		sort.Strings(res.CheckIDs)
		switch {
		case n[StatusFail] > 0:
			res.Status = CriterionFail
		case n[StatusError] > 0:
			res.Status = CriterionError
		case n[StatusReview] > 0:
			res.Status = CriterionReview
		case n[StatusPass] > 0 || n[StatusWaived] > 0:
			res.Status = CriterionPass
		case len(res.CheckIDs) > 0:
			res.Status = CriterionNotTested
		default:
			res.Status = CriterionManual
		}
		out = append(out, res)
	}
	return out
}
