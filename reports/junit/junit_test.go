package junit

import (
	"bytes"
	"encoding/xml"
	"flag"
	"strings"
	"testing"

	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/reports/internal/fixture"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func render(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := New().Write(fixture.Small(), &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestJUnitParsesWithCountsOfResults(t *testing.T) {
	data := render(t)
	var doc Suites
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("junit.xml does not parse: %v", err)
	}
	res := fixture.Small().Results
	if len(doc.Suites) != len(res.Criteria) {
		t.Errorf("suites = %d, want one per criterion (%d)", len(doc.Suites), len(res.Criteria))
	}

	// Every finding appears once per criterion it supports.
	want := map[string]int{}
	total := map[controls.Status]int{}
	for _, f := range res.Findings {
		for range f.Criteria {
			want[string(f.Status)]++
			total[f.Status]++
		}
	}
	got := map[string]int{}
	var tests, failures, errs, skipped int
	for _, s := range doc.Suites {
		var sf, se, ss int
		for _, c := range s.Cases {
			switch {
			case c.Failure != nil:
				sf++
			case c.Error != nil:
				se++
			case c.Skipped != nil:
				ss++
				got[c.Skipped.Message]++
			}
		}
		if s.Tests != len(s.Cases) || s.Failures != sf || s.Errors != se || s.Skipped != ss {
			t.Errorf("suite %s attributes tests=%d failures=%d errors=%d skipped=%d, cases give %d/%d/%d/%d",
				s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, len(s.Cases), sf, se, ss)
		}
		tests += s.Tests
		failures += sf
		errs += se
		skipped += ss
	}
	if doc.Tests != tests || doc.Failures != failures || doc.Errors != errs || doc.Skipped != skipped {
		t.Errorf("root counts %d/%d/%d/%d, suites add up to %d/%d/%d/%d", doc.Tests, doc.Failures, doc.Errors, doc.Skipped, tests, failures, errs, skipped)
	}
	if failures != total[controls.StatusFail] {
		t.Errorf("failures = %d, want %d", failures, total[controls.StatusFail])
	}
	if errs != total[controls.StatusError] {
		t.Errorf("errors = %d, want %d", errs, total[controls.StatusError])
	}
	for _, st := range []string{"review", "waived", "not_applicable"} {
		if got[st] != want[st] {
			t.Errorf("skipped with message %s = %d, want %d", st, got[st], want[st])
		}
	}
	var all int
	for _, n := range want {
		all += n
	}
	if tests != all {
		t.Errorf("tests = %d, want %d", tests, all)
	}
}

func TestJUnitFindingInEverySupportedSuite(t *testing.T) {
	var doc Suites
	if err := xml.Unmarshal(render(t), &doc); err != nil {
		t.Fatal(err)
	}
	name := "arn:aws:iam::111122223333:user/" + fixture.UserDorde
	var in []string
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			if c.Classname == "aws.iam.console_mfa" && c.Name == name {
				in = append(in, s.Name)
				if c.Failure == nil {
					t.Errorf("%s in %s is not a failure", name, s.Name)
				}
			}
		}
	}
	if strings.Join(in, ",") != "CC6.1,CC6.2,CC6.6" {
		t.Errorf("%s appears in suites %v, want CC6.1, CC6.2 and CC6.6", name, in)
	}
}

func TestJUnitBackupNoteAndWaiver(t *testing.T) {
	data := string(render(t))
	if !strings.Contains(data, "last 30 days") {
		t.Error("backup findings lack the 30-day window note")
	}
	if !strings.Contains(data, "W-2026-004") {
		t.Error("waived finding lacks its waiver")
	}
}

func TestJUnitDeterministicGolden(t *testing.T) {
	a, b := render(t), render(t)
	if !bytes.Equal(a, b) {
		t.Fatal("two renders of the same results differ")
	}
	fixture.Golden(t, "small.golden.xml", a, *update)
}
