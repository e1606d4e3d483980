package controls

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/internal/period"
)

// Check judges one property of collected evidence and produces findings.
type Check struct {
	// ID is source, optional service and property: "aws.s3.versioning".
	ID       string
	Title    string
	Severity Severity
	// Criteria are the criterion ids the check supports.
	Criteria []string
	// Description states what passes and what fails, for the check reference.
	Description string
	// Collectors are the ids of the collectors whose evidence the check
	// reads; only collectors that a selected check needs are run.
	Collectors []string
	// Kinds are the evidence kinds the check reads. A collection failure for
	// one of them becomes an error finding of this check.
	Kinds []string
	// Calls lists the API operations or queries the check needs, for the
	// check reference and the permission policy.
	Calls []string
	// Params declares the check's parameters with their defaults.
	Params []Param
	// Evaluate turns evidence into findings. It sets CheckID, Status,
	// Resource, Message and Evidence; the evaluator fills the rest.
	Evaluate func(ec *EvalContext) []Finding
}

// Param is one tunable parameter of a check.
type Param struct {
	Name        string
	Default     any
	Description string
	// Loosest is the weakest value that SOC 2 practice accepts, or nil when
	// there is none. A configured value beyond it is reported.
	Loosest any
	// HigherIsStricter sets which direction of change weakens the check.
	HigherIsStricter bool
}

// Params are the effective parameter values of one check.
type Params map[string]any

// Int returns a whole-number parameter.
func (p Params) Int(name string) int {
	switch v := p[name].(type) {
	case int:
		return v
	case int64:
		return int(v)
	case float64:
		return int(v)
	case json.Number:
		n, _ := v.Int64()
		return int(n)
	}
	return 0
}

// Float returns a numeric parameter.
func (p Params) Float(name string) float64 {
	switch v := p[name].(type) {
	case int:
		return float64(v)
	case int64:
		return float64(v)
	case float64:
		return v
	case json.Number:
		f, _ := v.Float64()
		return f
	}
	return 0
}

// Bool returns a boolean parameter.
func (p Params) Bool(name string) bool {
	v, _ := p[name].(bool)
	return v
}

// String returns a text parameter.
func (p Params) String(name string) string {
	v, _ := p[name].(string)
	return v
}

// Strings returns a list-of-text parameter.
func (p Params) Strings(name string) []string {
	switch v := p[name].(type) {
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			out = append(out, fmt.Sprint(x))
		}
		return out
	}
	return nil
}

// Finding is the verdict of one check on one resource.
type Finding struct {
	CheckID  string   `json:"check_id"`
	Resource string   `json:"resource"`
	Status   Status   `json:"status"`
	Severity Severity `json:"severity"`
	Criteria []string `json:"criteria"`
	Message  string   `json:"message"`
	// Evidence are the paths of the evidence files behind the finding.
	Evidence []string `json:"evidence"`
	// Details are structured facts shown in reports (for example the
	// encryption algorithm exactly as returned).
	Details map[string]any `json:"details,omitempty"`
	// Waiver names the waiver that turned a fail into waived, or the one
	// that matched but had expired.
	Waiver *WaiverRef `json:"waiver,omitempty"`
}

// WaiverRef is the part of a waiver shown with a finding.
type WaiverRef struct {
	ID            string `json:"id"`
	Justification string `json:"justification"`
	Approver      string `json:"approver"`
	Expires       string `json:"expires"`
	Expired       bool   `json:"expired"`
}

// EvalContext is the input of a check's Evaluate function.
type EvalContext struct {
	Check *Check
	// Now is the evaluation time, fixed for a run and stored in results.json.
	Now    time.Time
	Period period.Period
	Params Params
	// Evidence is the whole evidence set; Items are those of Check.Kinds.
	Evidence *evidence.Set
	Items    []*evidence.Item
}

// Finding starts a finding of the current check for an evidence item.
func (ec *EvalContext) Finding(it *evidence.Item, status Status, format string, args ...any) Finding {
	f := Finding{
		CheckID: ec.Check.ID,
		Status:  status,
		Message: fmt.Sprintf(format, args...),
	}
	if it != nil {
		f.Resource = it.Resource
		f.Evidence = []string{evidence.ItemPath(it)}
	}
	return f
}

// ItemError returns an error finding when any of the attribute groups of the
// item could not be collected. Checks call it before reading those groups.
func (ec *EvalContext) ItemError(it *evidence.Item, groups ...string) (Finding, bool) {
	var parts []string
	for _, g := range groups {
		if e, ok := it.Errors[g]; ok {
			parts = append(parts, e.String())
		}
	}
	if len(parts) == 0 {
		return Finding{}, false
	}
	return ec.Finding(it, StatusError, "%s", strings.Join(parts, "; ")), true
}

// Decode reads an item's attributes, returning an error finding when they do
// not parse.
func (ec *EvalContext) Decode(it *evidence.Item, v any) (Finding, bool) {
	if err := it.Decode(v); err != nil {
		return ec.Finding(it, StatusError, "evidence could not be read: %v", err), false
	}
	return Finding{}, true
}

// DefaultParams returns the declared defaults of a check.
func (c *Check) DefaultParams() Params {
	p := Params{}
	for _, d := range c.Params {
		p[d.Name] = d.Default
	}
	return p
}

// Param returns the declaration of a parameter.
func (c *Check) Param(name string) (Param, bool) {
	for _, d := range c.Params {
		if d.Name == name {
			return d, true
		}
	}
	return Param{}, false
}

// ParamNames lists the check's parameter names, sorted.
func (c *Check) ParamNames() []string {
	var names []string
	for _, d := range c.Params {
		names = append(names, d.Name)
	}
	sort.Strings(names)
	return names
}
