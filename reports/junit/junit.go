// Package junit writes results as JUnit XML for CI systems: one test suite
// per criterion and one test case per check and resource in it.
package junit

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/reports"
	"github.com/auditpack/auditpack/reports/internal/view"
	"github.com/auditpack/auditpack/templates"
)

// Writer renders junit.xml.
type Writer struct{}

var _ reports.Writer = (*Writer)(nil)

// New returns the JUnit writer.
func New() *Writer { return &Writer{} }

// Format returns "junit".
func (*Writer) Format() string { return "junit" }

// FileName returns "junit.xml".
func (*Writer) FileName() string { return "junit.xml" }

// Suites is the document root.
type Suites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Name     string   `xml:"name,attr"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Time     string   `xml:"time,attr"`
	Suites   []Suite  `xml:"testsuite"`
}

// Suite holds the findings of one criterion.
type Suite struct {
	Name       string     `xml:"name,attr"`
	Tests      int        `xml:"tests,attr"`
	Failures   int        `xml:"failures,attr"`
	Errors     int        `xml:"errors,attr"`
	Skipped    int        `xml:"skipped,attr"`
	Time       string     `xml:"time,attr"`
	Timestamp  string     `xml:"timestamp,attr"`
	Properties []Property `xml:"properties>property"`
	Cases      []Case     `xml:"testcase"`
}

// Property is a name and value of a suite.
type Property struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// Case is one finding: a check on one resource.
type Case struct {
	Name      string   `xml:"name,attr"`
	Classname string   `xml:"classname,attr"`
	Time      string   `xml:"time,attr"`
	Failure   *Outcome `xml:"failure,omitempty"`
	Error     *Outcome `xml:"error,omitempty"`
	Skipped   *Outcome `xml:"skipped,omitempty"`
	SystemOut string   `xml:"system-out,omitempty"`
}

// Outcome is the failure, error or skipped element of a case.
type Outcome struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// Write renders the results. Every criterion of the catalog gets a suite,
// also one without findings, so that the file shows the whole framework.
func (w *Writer) Write(in *reports.Input, out io.Writer) error {
	doc, err := Build(in)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(out, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(out)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("encode junit.xml: %w", err)
	}
	_, err = io.WriteString(out, "\n")
	return err
}

// Build assembles the document from the input.
func Build(in *reports.Input) (*Suites, error) {
	res := in.Results
	if res == nil {
		return nil, fmt.Errorf("junit: no results to render")
	}
	byCriterion := map[string][]controls.Finding{}
	for _, f := range res.Findings {
		for _, id := range f.Criteria {
			byCriterion[id] = append(byCriterion[id], f)
		}
	}
	period := res.Run.Period.String()
	stamp := res.Run.EvaluationTime.UTC().Format("2006-01-02T15:04:05")
	doc := &Suites{Name: "auditpack " + res.Run.ID, Time: "0"}
	for _, cr := range res.Criteria {
		s := Suite{
			Name: cr.ID, Time: "0", Timestamp: stamp,
			Properties: []Property{
				{Name: "criterion.status", Value: string(cr.Status)},
				{Name: "criterion.description", Value: cr.Description},
			},
		}
		if len(cr.CheckIDs) > 0 {
			s.Properties = append(s.Properties, Property{Name: "checks", Value: strings.Join(cr.CheckIDs, " ")})
		}
		for _, m := range cr.ManualEvidence {
			v := m.Path
			if m.Missing {
				v += " (missing)"
			}
			s.Properties = append(s.Properties, Property{Name: "manual_evidence", Value: v})
		}
		for _, f := range byCriterion[cr.ID] {
			c, err := testCase(f, period)
			if err != nil {
				return nil, err
			}
			s.Tests++
			switch {
			case c.Failure != nil:
				s.Failures++
			case c.Error != nil:
				s.Errors++
			case c.Skipped != nil:
				s.Skipped++
			}
			s.Cases = append(s.Cases, c)
		}
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Skipped += s.Skipped
		doc.Suites = append(doc.Suites, s)
	}
	return doc, nil
}

func testCase(f controls.Finding, period string) (Case, error) {
	// CI systems show a case as classname and name, here the check and
	// the resource.
	name := f.Resource
	if name == "" {
		name = "(no resource)"
	}
	c := Case{Name: name, Classname: f.CheckID, Time: "0"}
	var body []string
	body = append(body, "severity: "+string(f.Severity))
	body = append(body, "message: "+f.Message)
	if len(f.Evidence) > 0 {
		body = append(body, "evidence: "+strings.Join(f.Evidence, ", "))
	}
	body = append(body, view.Details(f.Details)...)
	if f.Waiver != nil {
		body = append(body, view.Waiver(f.Waiver))
	}
	note, ok, err := templates.CheckNote(f.CheckID, templates.CheckNoteData{Period: period})
	if err != nil {
		return c, err
	}
	if ok {
		body = append(body, "note: "+note)
	}
	text := strings.Join(body, "\n")
	switch f.Status {
	case controls.StatusFail:
		c.Failure = &Outcome{Message: f.Message, Type: string(f.Severity), Text: text}
	case controls.StatusError:
		c.Error = &Outcome{Message: f.Message, Type: "evidence_error", Text: text}
	case controls.StatusReview, controls.StatusWaived, controls.StatusNotApplicable:
		c.Skipped = &Outcome{Message: string(f.Status), Text: text}
	default:
		c.SystemOut = text
	}
	return c, nil
}
