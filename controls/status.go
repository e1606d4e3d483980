package controls

import (
	"fmt"
	"strings"
)

// Status is the verdict of a finding.
type Status string

// Finding statuses.
const (
	StatusPass          Status = "pass"
	StatusFail          Status = "fail"
	StatusError         Status = "error"
	StatusReview        Status = "review"
	StatusWaived        Status = "waived"
	StatusNotApplicable Status = "not_applicable"
)

// FindingStatuses lists the finding statuses in report order.
var FindingStatuses = []Status{StatusFail, StatusError, StatusReview, StatusWaived, StatusPass, StatusNotApplicable}

// CriterionStatus is the rolled-up status of a criterion.
type CriterionStatus string

// Criterion statuses.
const (
	CriterionFail      CriterionStatus = "fail"
	CriterionError     CriterionStatus = "error"
	CriterionReview    CriterionStatus = "review"
	CriterionPass      CriterionStatus = "pass"
	CriterionNotTested CriterionStatus = "not_tested"
	CriterionManual    CriterionStatus = "manual"
)

// CriterionStatuses lists the criterion statuses in report order.
var CriterionStatuses = []CriterionStatus{CriterionFail, CriterionError, CriterionReview, CriterionPass, CriterionNotTested, CriterionManual}

// Severity ranks how much a failed check matters.
type Severity string

// Severities from least to most severe.
const (
	SeverityInfo     Severity = "info"
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Severities lists every severity from least to most severe.
var Severities = []Severity{SeverityInfo, SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}

// Rank orders severities: info 0 … critical 4; unknown values rank -1.
func (s Severity) Rank() int {
	for i, v := range Severities {
		if v == s {
			return i
		}
	}
	return -1
}

// ParseSeverity reads a severity name.
func ParseSeverity(s string) (Severity, error) {
	v := Severity(strings.ToLower(strings.TrimSpace(s)))
	if v.Rank() < 0 {
		return "", fmt.Errorf("invalid severity %q: use one of info, low, medium, high, critical", s)
	}
	return v, nil
}

// Threshold is the --fail-on setting: the least severity whose fail or error
// findings change the exit code, or none.
type Threshold string

// ThresholdNone makes a finished run exit 0 whatever it found.
const ThresholdNone Threshold = "none"

// ParseThreshold reads a --fail-on value.
func ParseThreshold(s string) (Threshold, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	switch v {
	case "none", "low", "medium", "high", "critical":
		return Threshold(v), nil
	}
	return "", fmt.Errorf("invalid value %q: use one of none, low, medium, high, critical", s)
}

// Covers reports whether a finding of severity sev counts against the
// threshold.
func (t Threshold) Covers(sev Severity) bool {
	if t == ThresholdNone || t == "" {
		return false
	}
	return sev.Rank() >= Severity(t).Rank()
}
