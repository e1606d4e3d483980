package controls

import (
	"time"

	"github.com/auditpack/auditpack/internal/period"
)

// SchemaVersion is the version of the results.json format. Fields are only
// ever added, never renamed or removed.
const SchemaVersion = "1.0"

// Results is the content of results.json.
type Results struct {
	SchemaVersion string            `json:"schema_version"`
	Run           RunInfo           `json:"run"`
	Checks        []CheckInfo       `json:"checks"`
	Findings      []Finding         `json:"findings"`
	Criteria      []CriterionResult `json:"criteria"`
	// Notes hold context from collection, such as regions out of scope.
	Notes []RunNote `json:"notes"`
	// Waivers lists every configured waiver with its state.
	Waivers []WaiverStatus `json:"waivers,omitempty"`
	// Excluded lists the resources taken out of the audit scope.
	Excluded []ExcludedResource `json:"excluded,omitempty"`
	// ControlIDs maps the company's own control ids to criteria and checks.
	ControlIDs []ControlMapping `json:"control_ids,omitempty"`
	// ChainOfCustody records who collected the evidence, with what, from
	// which identities and servers, and when.
	ChainOfCustody *ChainOfCustody `json:"chain_of_custody,omitempty"`
}

// ChainOfCustody is the provenance of a whole run.
type ChainOfCustody struct {
	ToolVersion string      `json:"tool_version"`
	ToolCommit  string      `json:"tool_commit,omitempty"`
	Host        string      `json:"host,omitempty"`
	Operator    string      `json:"operator,omitempty"`
	Started     time.Time   `json:"started"`
	Finished    time.Time   `json:"finished"`
	Collectors  []Collector `json:"collectors"`
	// AWSIdentities are the caller identities evidence was read with.
	AWSIdentities []AWSIdentity `json:"aws_identities"`
	Databases     []Database    `json:"databases"`
}

// Collector is one collector run, with the tool version it shipped in.
type Collector struct {
	ID      string `json:"id"`
	Scope   string `json:"scope"`
	Version string `json:"version"`
}

// AWSIdentity is an AWS account and the caller ARN used in it.
type AWSIdentity struct {
	Account string `json:"account"`
	Caller  string `json:"caller"`
}

// Database is a database server evidence was read from.
type Database struct {
	Endpoint      string `json:"endpoint"`
	Role          string `json:"role"`
	ServerVersion string `json:"server_version,omitempty"`
}

// WaiverStatus is a configured waiver and what it matched.
type WaiverStatus struct {
	ID              string `json:"id"`
	CheckID         string `json:"check_id"`
	ResourcePattern string `json:"resource"`
	Justification   string `json:"justification"`
	Approver        string `json:"approver"`
	Expires         string `json:"expires"`
	// State is "active", "expired" or "unmatched".
	State string `json:"state"`
	// Matched counts the findings the waiver matched.
	Matched int `json:"matched"`
}

// ExcludedResource is a resource left out of evaluation by scope.exclude.
type ExcludedResource struct {
	Resource string `json:"resource"`
	Kind     string `json:"kind"`
	Pattern  string `json:"pattern"`
}

// ControlMapping is one company control id.
type ControlMapping struct {
	ID       string          `json:"id"`
	Criteria []string        `json:"criteria"`
	Checks   []string        `json:"checks"`
	Status   CriterionStatus `json:"status"`
}

// RunInfo describes one run.
type RunInfo struct {
	ID             string        `json:"id"`
	ToolVersion    string        `json:"tool_version"`
	Organization   string        `json:"organization,omitempty"`
	Operator       string        `json:"operator,omitempty"`
	EvaluationTime time.Time     `json:"evaluation_time"`
	Started        time.Time     `json:"started"`
	Finished       time.Time     `json:"finished"`
	Period         period.Period `json:"period"`
	// Scope lists the targets collected: AWS accounts and databases.
	Scope []string `json:"scope"`
}

// CheckInfo describes a check as it ran.
type CheckInfo struct {
	ID       string         `json:"id"`
	Title    string         `json:"title"`
	Severity Severity       `json:"severity"`
	Criteria []string       `json:"criteria"`
	Params   map[string]any `json:"params"`
	Selected bool           `json:"selected"`
}

// RunNote is a note from collection, carried into the results.
type RunNote struct {
	Collector string `json:"collector"`
	Scope     string `json:"scope"`
	Message   string `json:"message"`
}

// CheckInfos describes every registered check, marking the selected ones,
// with their effective parameters.
func CheckInfos(reg *Registry, selected []*Check, params map[string]Params) []CheckInfo {
	sel := map[string]bool{}
	for _, c := range selected {
		sel[c.ID] = true
	}
	var out []CheckInfo
	for _, c := range reg.All() {
		p := c.DefaultParams()
		for k, v := range params[c.ID] {
			p[k] = v
		}
		out = append(out, CheckInfo{
			ID:       c.ID,
			Title:    c.Title,
			Severity: c.Severity,
			Criteria: append([]string(nil), c.Criteria...),
			Params:   p,
			Selected: sel[c.ID],
		})
	}
	return out
}

// Counts returns the number of findings per status.
func (r *Results) Counts() map[Status]int {
	n := map[Status]int{}
	for _, f := range r.Findings {
		n[f.Status]++
	}
	return n
}

// CriterionCounts returns the number of criteria per status.
func (r *Results) CriterionCounts() map[CriterionStatus]int {
	n := map[CriterionStatus]int{}
	for _, c := range r.Criteria {
		n[c.Status]++
	}
	return n
}

// ExitCode applies the exit-code contract to finished results: 1 when a
// finding at or above the threshold failed, else 2 when one is an error, else 0.
func (r *Results) ExitCode(t Threshold) int {
	failed, incomplete := false, false
	for _, f := range r.Findings {
		if !t.Covers(f.Severity) {
			continue
		}
		switch f.Status {
		case StatusFail:
			failed = true
		case StatusError:
			incomplete = true
		}
	}
	switch {
	case failed:
		return 1
	case incomplete:
		return 2
	}
	return 0
}
