// Package oscal writes results as an OSCAL 1.0.4 assessment-results document:
// one observation per evidence item and collection failure, and one finding
// per assessed criterion that links the observations behind it.
package oscal

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/reports"
	"github.com/auditpack/auditpack/templates"
)

// Version is the OSCAL model version the document follows.
const Version = "1.0.4"

// propNS is the name space of auditpack's own property names; it is an
// identifier, not an address that anything fetches.
const propNS = "urn:auditpack:oscal"

// Writer renders oscal.json.
type Writer struct{}

var _ reports.Writer = (*Writer)(nil)

// New returns the OSCAL writer.
func New() *Writer { return &Writer{} }

// Format returns "oscal".
func (*Writer) Format() string { return "oscal" }

// FileName returns "oscal.json".
func (*Writer) FileName() string { return "oscal.json" }

type document struct {
	AssessmentResults assessmentResults `json:"assessment-results"`
}

type assessmentResults struct {
	UUID     string   `json:"uuid"`
	Metadata metadata `json:"metadata"`
	ImportAP importAP `json:"import-ap"`
	Results  []result `json:"results"`
}

type metadata struct {
	Title        string `json:"title"`
	LastModified string `json:"last-modified"`
	Version      string `json:"version"`
	OSCALVersion string `json:"oscal-version"`
	Props        []prop `json:"props,omitempty"`
}

type importAP struct {
	Href    string `json:"href"`
	Remarks string `json:"remarks,omitempty"`
}

type prop struct {
	Name  string `json:"name"`
	NS    string `json:"ns,omitempty"`
	Value string `json:"value"`
}

type result struct {
	UUID             string           `json:"uuid"`
	Title            string           `json:"title"`
	Description      string           `json:"description"`
	Start            string           `json:"start"`
	End              string           `json:"end,omitempty"`
	Props            []prop           `json:"props,omitempty"`
	ReviewedControls reviewedControls `json:"reviewed-controls"`
	Observations     []observation    `json:"observations,omitempty"`
	Findings         []finding        `json:"findings,omitempty"`
	Remarks          string           `json:"remarks,omitempty"`
}

type reviewedControls struct {
	ControlSelections []controlSelection `json:"control-selections"`
}

type controlSelection struct {
	IncludeControls []controlID `json:"include-controls"`
}

type controlID struct {
	ControlID string `json:"control-id"`
}

type observation struct {
	UUID             string             `json:"uuid"`
	Title            string             `json:"title"`
	Description      string             `json:"description"`
	Props            []prop             `json:"props,omitempty"`
	Methods          []string           `json:"methods"`
	RelevantEvidence []relevantEvidence `json:"relevant-evidence,omitempty"`
	Collected        string             `json:"collected"`
	Remarks          string             `json:"remarks,omitempty"`
}

type relevantEvidence struct {
	Href        string `json:"href"`
	Description string `json:"description"`
}

type finding struct {
	UUID                string               `json:"uuid"`
	Title               string               `json:"title"`
	Description         string               `json:"description"`
	Props               []prop               `json:"props,omitempty"`
	Target              target               `json:"target"`
	RelatedObservations []relatedObservation `json:"related-observations,omitempty"`
	Remarks             string               `json:"remarks,omitempty"`
}

type target struct {
	Type     string       `json:"type"`
	TargetID string       `json:"target-id"`
	Status   targetStatus `json:"status"`
}

type targetStatus struct {
	State   string `json:"state"`
	Reason  string `json:"reason,omitempty"`
	Remarks string `json:"remarks,omitempty"`
}

type relatedObservation struct {
	ObservationUUID string `json:"observation-uuid"`
}

// Write renders the document as indented JSON.
func (w *Writer) Write(in *reports.Input, out io.Writer) error {
	doc, err := build(in)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("encode oscal.json: %w", err)
	}
	return nil
}

func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// clean makes text fit OSCAL's string fields that forbid line breaks and
// leading or trailing white space; it returns "" for blank text.
func clean(s string) string { return strings.Join(strings.Fields(s), " ") }

func props(pairs ...string) []prop {
	var out []prop
	for i := 0; i+1 < len(pairs); i += 2 {
		if v := clean(pairs[i+1]); v != "" {
			out = append(out, prop{Name: pairs[i], NS: propNS, Value: v})
		}
	}
	return out
}

func build(in *reports.Input) (*document, error) {
	res := in.Results
	if res == nil {
		return nil, fmt.Errorf("oscal: no results to render")
	}
	run := res.Run
	id := newIDs(run.ID)
	org := run.Organization
	if org == "" {
		org = "the organisation"
	}

	r := result{
		UUID:        id.of("result", run.ID),
		Title:       "SOC 2 automated control assessment, " + run.Period.String(),
		Description: fmt.Sprintf("Automated evidence collection and evaluation by auditpack %s for %s against the AICPA Trust Services Criteria over %s.", run.ToolVersion, org, run.Period.String()),
		Start:       timestamp(firstNonZero(run.Started, run.EvaluationTime)),
		Props: props(
			"period-start", run.Period.Start.Format("2006-01-02"),
			"period-end", run.Period.LastDay().Format("2006-01-02"),
			"evaluation-time", timestamp(run.EvaluationTime),
			"scope", strings.Join(run.Scope, " "),
		),
	}
	if !run.Finished.IsZero() {
		r.End = timestamp(run.Finished)
	}
	for _, cr := range res.Criteria {
		r.ReviewedControls.ControlSelections = appendControl(r.ReviewedControls.ControlSelections, cr.ID)
	}

	obsByPath := map[string]string{}
	if in.Evidence != nil {
		for _, it := range in.Evidence.Items {
			o := itemObservation(id, it, run.EvaluationTime)
			obsByPath[evidence.ItemPath(it)] = o.UUID
			r.Observations = append(r.Observations, o)
		}
		for _, f := range in.Evidence.Failures {
			o := failureObservation(id, f, run.EvaluationTime)
			obsByPath[evidence.FailurePath(f)] = o.UUID
			r.Observations = append(r.Observations, o)
		}
	}

	byCriterion := map[string][]controls.Finding{}
	for _, f := range res.Findings {
		for _, c := range f.Criteria {
			byCriterion[c] = append(byCriterion[c], f)
		}
	}
	period := run.Period.String()
	for _, cr := range res.Criteria {
		fs := byCriterion[cr.ID]
		if len(fs) == 0 {
			continue
		}
		f, err := criterionFinding(id, cr, fs, obsByPath, period)
		if err != nil {
			return nil, err
		}
		r.Findings = append(r.Findings, f)
	}
	var notes []string
	for _, n := range res.Notes {
		notes = append(notes, n.Scope+": "+n.Message)
	}
	r.Remarks = strings.Join(notes, "\n")

	doc := &document{AssessmentResults: assessmentResults{
		UUID: id.of("assessment-results", run.ID),
		Metadata: metadata{
			Title:        fmt.Sprintf("SOC 2 assessment results for %s, %s", org, period),
			LastModified: timestamp(run.EvaluationTime),
			Version:      clean(run.ID),
			OSCALVersion: Version,
			Props: props(
				"run-id", run.ID,
				"tool-version", run.ToolVersion,
				"results-sha256", in.ResultsSHA256,
			),
		},
		ImportAP: importAP{
			Href:    "results.json",
			Remarks: "auditpack runs without an OSCAL assessment plan. The checks it ran, their parameters and the criteria they support are in results.json of the same bundle.",
		},
		Results: []result{r},
	}}
	if doc.AssessmentResults.Metadata.Version == "" {
		doc.AssessmentResults.Metadata.Version = "unversioned"
	}
	return doc, nil
}

func appendControl(sel []controlSelection, id string) []controlSelection {
	if len(sel) == 0 {
		sel = []controlSelection{{}}
	}
	sel[0].IncludeControls = append(sel[0].IncludeControls, controlID{ControlID: strings.ToLower(id)})
	return sel
}

func firstNonZero(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

func itemObservation(id ids, it *evidence.Item, fallback time.Time) observation {
	collected := time.Time{}
	var ops []string
	seen := map[string]bool{}
	for _, p := range it.Provenance {
		if p.Time.After(collected) {
			collected = p.Time
		}
		if !seen[p.Operation] {
			seen[p.Operation] = true
			ops = append(ops, p.Operation)
		}
	}
	if collected.IsZero() {
		collected = fallback
	}
	o := observation{
		UUID:        id.of("observation", evidence.ItemPath(it)),
		Title:       clean(it.Kind + " " + it.Resource),
		Description: fmt.Sprintf("Evidence of kind %s for %s, collected by %s.", it.Kind, it.Resource, it.Collector),
		Props:       props("resource", it.Resource, "kind", it.Kind, "collector", it.Collector, "operations", strings.Join(ops, " ")),
		Methods:     []string{"EXAMINE"},
		RelevantEvidence: []relevantEvidence{{
			Href:        evidence.ItemPath(it),
			Description: "Evidence file in the bundle: the normalised attributes, the raw responses and their provenance.",
		}},
		Collected: timestamp(collected),
	}
	if len(it.Errors) > 0 {
		groups := make([]string, 0, len(it.Errors))
		for g := range it.Errors {
			groups = append(groups, g)
		}
		sort.Strings(groups)
		var lines []string
		for _, g := range groups {
			lines = append(lines, g+": "+it.Errors[g].String())
		}
		o.Remarks = "Parts that could not be collected:\n" + strings.Join(lines, "\n")
	}
	return o
}

func failureObservation(id ids, f evidence.Failure, fallback time.Time) observation {
	t := f.Time
	if t.IsZero() {
		t = fallback
	}
	return observation{
		UUID:        id.of("observation", evidence.FailurePath(f)),
		Title:       clean("collection failure " + f.Scope),
		Description: fmt.Sprintf("Collector %s could not collect %s on %s: %s", f.Collector, strings.Join(f.Kinds, ", "), f.Scope, f.Error.String()),
		Props:       props("scope", f.Scope, "collector", f.Collector, "operation", f.Error.Operation, "error-code", f.Error.Code),
		Methods:     []string{"EXAMINE"},
		RelevantEvidence: []relevantEvidence{{
			Href:        evidence.FailurePath(f),
			Description: "Collection failure record in the bundle.",
		}},
		Collected: timestamp(t),
	}
}

func criterionFinding(id ids, cr controls.CriterionResult, fs []controls.Finding, obsByPath map[string]string, period string) (finding, error) {
	counts := map[controls.Status]int{}
	related := map[string]bool{}
	var lines []string
	for _, f := range fs {
		counts[f.Status]++
		for _, p := range f.Evidence {
			if u, ok := obsByPath[p]; ok {
				related[u] = true
			}
		}
		if f.Status != controls.StatusPass {
			line := fmt.Sprintf("%s %s %s: %s", f.Status, f.CheckID, f.Resource, f.Message)
			if f.Waiver != nil {
				line += fmt.Sprintf(" (waiver %s, approved by %s, expires %s)", f.Waiver.ID, f.Waiver.Approver, f.Waiver.Expires)
			}
			lines = append(lines, line)
		}
	}
	var parts []string
	for _, st := range controls.FindingStatuses {
		if counts[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
		}
	}

	state := "not-satisfied"
	if cr.Status == controls.CriterionPass {
		state = "satisfied"
	}
	out := finding{
		UUID:        id.of("finding", cr.ID),
		Title:       cr.ID + ": " + cr.Description,
		Description: fmt.Sprintf("Criterion %s is %s from %d findings (%s) of the checks %s.", cr.ID, cr.Status, len(fs), strings.Join(parts, ", "), strings.Join(cr.CheckIDs, ", ")),
		Props:       props("criterion-status", string(cr.Status), "checks", strings.Join(cr.CheckIDs, " ")),
		Target: target{
			Type:     "objective-id",
			TargetID: strings.ToLower(cr.ID),
			Status:   targetStatus{State: state, Reason: string(cr.Status)},
		},
	}

	notes := map[string]bool{}
	for _, f := range fs {
		if notes[f.CheckID] {
			continue
		}
		notes[f.CheckID] = true
		note, ok, err := templates.CheckNote(f.CheckID, templates.CheckNoteData{Period: period})
		if err != nil {
			return out, err
		}
		if ok {
			lines = append(lines, "note on "+f.CheckID+": "+note)
		}
	}
	out.Remarks = strings.Join(lines, "\n")

	uuids := make([]string, 0, len(related))
	for u := range related {
		uuids = append(uuids, u)
	}
	sort.Strings(uuids)
	for _, u := range uuids {
		out.RelatedObservations = append(out.RelatedObservations, relatedObservation{ObservationUUID: u})
	}
	return out, nil
}
