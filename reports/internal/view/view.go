// Package view derives what the human-readable reports (PDF and workbook)
// show from results and evidence: per-check coverage, the exceptions list,
// provenance grouped per collector, and the display forms of statuses, times
// and resources. Both renderers use it so that they never disagree.
package view

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/templates"
)

// TimeLayout is the format of every time the reports show. Times are
// converted to UTC first, and column headers name the zone.
const TimeLayout = "2006-01-02T15:04:05Z"

// FormatTime formats t in UTC, or returns "" for the zero time.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(TimeLayout)
}

// RGB is a colour with 8-bit channels.
type RGB struct{ R, G, B int }

// Hex returns the colour as RRGGBB.
func (c RGB) Hex() string { return fmt.Sprintf("%02X%02X%02X", c.R, c.G, c.B) }

// Status colours: a fill for the status cell and a matching text colour.
var (
	fillFail     = RGB{0xF8, 0xD7, 0xDA}
	fillError    = RGB{0xFF, 0xE5, 0xCC}
	fillReview   = RGB{0xFF, 0xF3, 0xCD}
	fillWaived   = RGB{0xE2, 0xE3, 0xF3}
	fillPass     = RGB{0xD4, 0xED, 0xDA}
	fillNeutral  = RGB{0xEC, 0xEE, 0xF0}
	textFail     = RGB{0x8A, 0x1C, 0x24}
	textError    = RGB{0x8A, 0x4B, 0x08}
	textReview   = RGB{0x6B, 0x55, 0x00}
	textWaived   = RGB{0x3D, 0x3F, 0x8F}
	textPass     = RGB{0x1E, 0x5E, 0x32}
	textNeutral  = RGB{0x4A, 0x50, 0x57}
	chartFail    = RGB{0xC6, 0x28, 0x28}
	chartError   = RGB{0xE6, 0x7E, 0x22}
	chartReview  = RGB{0xD4, 0xA0, 0x17}
	chartWaived  = RGB{0x5C, 0x6B, 0xC0}
	chartPass    = RGB{0x2E, 0x7D, 0x32}
	chartNeutral = RGB{0x90, 0x98, 0xA0}
)

// StatusColors returns the cell fill, the text colour and the chart colour of
// a finding or criterion status.
func StatusColors(status string) (fill, text, chart RGB) {
	switch status {
	case string(controls.StatusFail):
		return fillFail, textFail, chartFail
	case string(controls.StatusError):
		return fillError, textError, chartError
	case string(controls.StatusReview):
		return fillReview, textReview, chartReview
	case string(controls.StatusWaived):
		return fillWaived, textWaived, chartWaived
	case string(controls.StatusPass):
		return fillPass, textPass, chartPass
	}
	return fillNeutral, textNeutral, chartNeutral
}

var rootARN = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:root$`)

// IsRoot reports whether a resource id names an AWS account's root user.
func IsRoot(resource string) bool { return rootARN.MatchString(resource) }

// Resource returns a resource id for display: the id as recorded, with the
// root user marked as such.
func Resource(resource string) string {
	if IsRoot(resource) {
		return resource + " (root user)"
	}
	return resource
}

// Waiver describes a finding's waiver in one line.
func Waiver(w *controls.WaiverRef) string {
	if w == nil {
		return ""
	}
	state := "expires"
	if w.Expired {
		state = "expired"
	}
	s := fmt.Sprintf("Waiver %s, approved by %s, %s %s", w.ID, w.Approver, state, w.Expires)
	if w.Justification != "" {
		s += ": " + w.Justification
	}
	return s
}

// Details formats a finding's structured facts as "key: value" lines sorted by
// key; nested values are compact JSON.
func Details(d map[string]any) []string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k+": "+Value(d[k]))
	}
	return out
}

// Value formats a decoded JSON value: strings as they are, everything else as
// compact JSON.
func Value(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case time.Time:
		return FormatTime(x)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(data)
}

// CheckCoverage counts one check's findings and resources.
type CheckCoverage struct {
	Check    controls.CheckInfo
	Findings []controls.Finding
	Counts   map[controls.Status]int
	// Resources is the number of distinct resources with a finding, and
	// Assessed those of them without an error finding.
	Resources int
	Assessed  int
	// Note is the check's note from templates/notes, or "".
	Note string
}

// AssessedText reads "N of M resources assessed".
func (c *CheckCoverage) AssessedText() string {
	noun := "resources"
	if c.Resources == 1 {
		noun = "resource"
	}
	return fmt.Sprintf("%d of %d %s assessed", c.Assessed, c.Resources, noun)
}

// Model is the derived view of one run.
type Model struct {
	Results  *controls.Results
	Catalog  *controls.Catalog
	Checks   map[string]*CheckCoverage
	CheckIDs []string
	// Exceptions are the error findings in results order.
	Exceptions []controls.Finding
	// Resources is the number of distinct resources with a finding.
	Resources int
}

// Build derives the model from results. Checks that appear in findings but
// not in results.checks still get an entry, titled by their id.
func Build(res *controls.Results, cat *controls.Catalog) (*Model, error) {
	if cat == nil {
		cat = controls.MustCatalog()
	}
	m := &Model{Results: res, Catalog: cat, Checks: map[string]*CheckCoverage{}}
	for _, ci := range res.Checks {
		m.Checks[ci.ID] = &CheckCoverage{Check: ci, Counts: map[controls.Status]int{}}
	}
	period := res.Run.Period.String()
	allResources := map[string]bool{}
	perCheck := map[string]map[string]bool{}
	errored := map[string]map[string]bool{}
	for _, f := range res.Findings {
		cc := m.Checks[f.CheckID]
		if cc == nil {
			cc = &CheckCoverage{Check: controls.CheckInfo{ID: f.CheckID, Title: f.CheckID, Severity: f.Severity, Criteria: f.Criteria}, Counts: map[controls.Status]int{}}
			m.Checks[f.CheckID] = cc
		}
		cc.Findings = append(cc.Findings, f)
		cc.Counts[f.Status]++
		if perCheck[f.CheckID] == nil {
			perCheck[f.CheckID], errored[f.CheckID] = map[string]bool{}, map[string]bool{}
		}
		perCheck[f.CheckID][f.Resource] = true
		if f.Status == controls.StatusError {
			errored[f.CheckID][f.Resource] = true
			m.Exceptions = append(m.Exceptions, f)
		}
		allResources[f.Resource] = true
	}
	m.Resources = len(allResources)
	for id, cc := range m.Checks {
		m.CheckIDs = append(m.CheckIDs, id)
		cc.Resources = len(perCheck[id])
		cc.Assessed = cc.Resources - len(errored[id])
		note, ok, err := templates.CheckNote(id, templates.CheckNoteData{Period: period})
		if err != nil {
			return nil, err
		}
		if ok {
			cc.Note = note
		}
	}
	sort.Strings(m.CheckIDs)
	return m, nil
}

// PrimaryCriterion is the criterion under which a check's findings are
// listed: the first one it supports in framework order.
func (m *Model) PrimaryCriterion(cc *CheckCoverage) string {
	best := ""
	for _, id := range cc.Check.Criteria {
		if best == "" || m.Catalog.Index(id) < m.Catalog.Index(best) {
			best = id
		}
	}
	return best
}

// TopFailing returns up to n checks with failed findings, most severe first,
// then by the number of failed findings.
func (m *Model) TopFailing(n int) []*CheckCoverage {
	var out []*CheckCoverage
	for _, id := range m.CheckIDs {
		if cc := m.Checks[id]; cc.Counts[controls.StatusFail] > 0 {
			out = append(out, cc)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Check.Severity.Rank() != b.Check.Severity.Rank() {
			return a.Check.Severity.Rank() > b.Check.Severity.Rank()
		}
		return a.Counts[controls.StatusFail] > b.Counts[controls.StatusFail]
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// Automated counts the criteria with at least one automated check.
func (m *Model) Automated() int {
	n := 0
	for _, c := range m.Results.Criteria {
		if len(c.CheckIDs) > 0 {
			n++
		}
	}
	return n
}

// CallGroup is the provenance of one collector's calls of one operation with
// the same identity and target.
type CallGroup struct {
	Collector string
	Operation string
	SQL       string
	Identity  string
	// Target is the region and account, or the endpoint.
	Target string
	Calls  int
	// Retried counts the calls that took more than one attempt, and
	// MaxAttempts is the most attempts one call took.
	Retried     int
	MaxAttempts int
	First, Last time.Time
}

// Provenance groups the provenance of every evidence item per collector,
// sorted by collector, operation, SQL text, identity and target.
func Provenance(set *evidence.Set) []CallGroup {
	if set == nil {
		return nil
	}
	type key struct{ collector, op, sql, identity, target string }
	groups := map[key]*CallGroup{}
	for _, it := range set.Items {
		for _, p := range it.Provenance {
			k := key{it.Collector, p.Operation, p.SQL, p.Identity, Target(p)}
			g := groups[k]
			if g == nil {
				g = &CallGroup{Collector: k.collector, Operation: k.op, SQL: k.sql, Identity: k.identity, Target: k.target}
				groups[k] = g
			}
			g.Calls++
			if p.Attempts > 1 {
				g.Retried++
			}
			if p.Attempts > g.MaxAttempts {
				g.MaxAttempts = p.Attempts
			}
			t := p.Time.UTC()
			if g.First.IsZero() || t.Before(g.First) {
				g.First = t
			}
			if t.After(g.Last) {
				g.Last = t
			}
		}
	}
	out := make([]CallGroup, 0, len(groups))
	for _, g := range groups {
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		for _, c := range [][2]string{{a.Collector, b.Collector}, {a.Operation, b.Operation}, {a.SQL, b.SQL}, {a.Identity, b.Identity}, {a.Target, b.Target}} {
			if c[0] != c[1] {
				return c[0] < c[1]
			}
		}
		return false
	})
	return out
}

// Target describes where a call went: "REGION, account ACCOUNT" for AWS,
// the endpoint otherwise.
func Target(p evidence.Provenance) string {
	var parts []string
	if p.Region != "" {
		parts = append(parts, p.Region)
	}
	if p.Account != "" {
		parts = append(parts, "account "+p.Account)
	}
	if len(parts) == 0 {
		return p.Endpoint
	}
	return strings.Join(parts, ", ")
}
