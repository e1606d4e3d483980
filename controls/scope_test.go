package controls

import (
	"reflect"
	"strings"
	"testing"

	"github.com/auditpack/auditpack/evidence"
)

func TestMatchResourceScope(t *testing.T) {
	tests := []struct {
		name     string
		pattern  string
		resource string
		want     bool
	}{
		{"exact", "arn:aws:s3:::logs", "arn:aws:s3:::logs", true},
		{"exact differs", "arn:aws:s3:::logs", "arn:aws:s3:::logs2", false},
		{"prefix star", "arn:aws:s3:::example-sandbox-*", "arn:aws:s3:::example-sandbox-eu", true},
		{"prefix star no match", "arn:aws:s3:::example-sandbox-*", "arn:aws:s3:::example-prod", false},
		{"star crosses slash and colon", "arn:aws:iam::*/admin", "arn:aws:iam::111122223333:role/ops/admin", true},
		{"star in middle of ARN", "arn:aws:rds:*:111122223333:db:*", "arn:aws:rds:eu-west-1:111122223333:db:app", true},
		{"star in middle wrong account", "arn:aws:rds:*:111122223333:db:*", "arn:aws:rds:eu-west-1:444455556666:db:app", false},
		{"star alone", "*", "postgres://db:5432/app/roles/x", true},
		{"star matches empty", "arn:aws:s3:::logs*", "arn:aws:s3:::logs", true},
		{"two stars in order", "*:role/*admin*", "arn:aws:iam::1:role/team/admin-ro", true},
		{"two stars out of order", "*admin*:role/*", "arn:aws:iam::1:role/team/admin-ro", false},
		{"overlapping prefix and suffix", "ab*ba", "aba", false},
		{"utf-8 resource", "postgres://db:5432/app/users/jürgen*", "postgres://db:5432/app/users/jürgen@beispiel.de", true},
		{"utf-8 exact", "postgres://db:5432/app/roles/名前", "postgres://db:5432/app/roles/名前", true},
		{"question mark is literal", "arn:aws:s3:::log?", "arn:aws:s3:::logs", false},
		{"bracket is literal", "arn:aws:s3:::[ab]", "arn:aws:s3:::[ab]", true},
		{"case-sensitive", "arn:aws:s3:::Logs", "arn:aws:s3:::logs", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MatchResource(tt.pattern, tt.resource); got != tt.want {
				t.Errorf("MatchResource(%q, %q) = %v, want %v", tt.pattern, tt.resource, got, tt.want)
			}
		})
	}
}

func scopeTestSet() *evidence.Set {
	set := &evidence.Set{
		Items: []*evidence.Item{
			evidence.MustItem("aws.s3.bucket", "aws.s3", "arn:aws:s3:::example-sandbox-b", map[string]any{}),
			evidence.MustItem("aws.s3.bucket", "aws.s3", "arn:aws:s3:::example-prod", map[string]any{}),
			evidence.MustItem("aws.s3.bucket", "aws.s3", "arn:aws:s3:::example-sandbox-a", map[string]any{}),
			evidence.MustItem("postgres.role", "postgres", "postgres://db:5432/app/roles/tëst", map[string]any{}),
		},
		Failures: []evidence.Failure{{ID: "f1", Scope: "aws:111122223333:eu-west-1", Kinds: []string{"aws.s3.bucket"}}},
		Notes:    []evidence.Note{{ID: "n1", Scope: "aws:111122223333:ap-east-1", Message: "region not enabled"}},
	}
	set.Sort()
	return set
}

func TestExcludeScopeRemovesMatchingItems(t *testing.T) {
	set := scopeTestSet()
	kept, excluded := ExcludeScope(set, []string{"arn:aws:s3:::example-sandbox-*", "postgres://db:5432/app/roles/t*"})

	var keptResources []string
	for _, it := range kept.Items {
		keptResources = append(keptResources, it.Resource)
	}
	if want := []string{"arn:aws:s3:::example-prod"}; !reflect.DeepEqual(keptResources, want) {
		t.Errorf("kept items = %v, want %v", keptResources, want)
	}
	want := []ExcludedResource{
		{Resource: "arn:aws:s3:::example-sandbox-a", Kind: "aws.s3.bucket", Pattern: "arn:aws:s3:::example-sandbox-*"},
		{Resource: "arn:aws:s3:::example-sandbox-b", Kind: "aws.s3.bucket", Pattern: "arn:aws:s3:::example-sandbox-*"},
		{Resource: "postgres://db:5432/app/roles/tëst", Kind: "postgres.role", Pattern: "postgres://db:5432/app/roles/t*"},
	}
	if !reflect.DeepEqual(excluded, want) {
		t.Errorf("excluded = %+v, want %+v", excluded, want)
	}
	if !reflect.DeepEqual(kept.Failures, set.Failures) {
		t.Errorf("failures changed: %+v", kept.Failures)
	}
	if !reflect.DeepEqual(kept.Notes, set.Notes) {
		t.Errorf("notes changed: %+v", kept.Notes)
	}
	if len(set.Items) != 4 {
		t.Errorf("input set has %d items after ExcludeScope, want 4 (unchanged)", len(set.Items))
	}
}

func TestExcludeScopeFirstPatternWins(t *testing.T) {
	_, excluded := ExcludeScope(scopeTestSet(), []string{"arn:aws:s3:::example-sandbox-a", "arn:aws:s3:::*"})
	got := map[string]string{}
	for _, e := range excluded {
		got[e.Resource] = e.Pattern
	}
	want := map[string]string{
		"arn:aws:s3:::example-sandbox-a": "arn:aws:s3:::example-sandbox-a",
		"arn:aws:s3:::example-sandbox-b": "arn:aws:s3:::*",
		"arn:aws:s3:::example-prod":      "arn:aws:s3:::*",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("patterns by resource = %v, want %v", got, want)
	}
}

func TestExcludeScopeNoPatterns(t *testing.T) {
	set := scopeTestSet()
	kept, excluded := ExcludeScope(set, nil)
	if len(kept.Items) != len(set.Items) {
		t.Errorf("kept %d items, want %d", len(kept.Items), len(set.Items))
	}
	if len(excluded) != 0 {
		t.Errorf("excluded = %+v, want none", excluded)
	}
}

// An excluded resource yields no finding at all, so a waiver written for it
// matches nothing and is reported as unmatched.
func TestExcludeScopeWaiverBecomesUnmatched(t *testing.T) {
	cat := MustCatalog()
	check := &Check{
		ID: "test.s3.encrypted", Title: "t", Severity: SeverityHigh, Criteria: []string{"CC6.1"},
		Kinds: []string{"aws.s3.bucket"},
		Evaluate: func(ec *EvalContext) []Finding {
			var out []Finding
			for _, it := range ec.Items {
				out = append(out, ec.Finding(it, StatusFail, "bucket is not encrypted"))
			}
			return out
		},
	}
	reg, err := NewRegistry(cat, []*Check{check})
	if err != nil {
		t.Fatal(err)
	}

	kept, _ := ExcludeScope(scopeTestSet(), []string{"arn:aws:s3:::example-sandbox-*"})
	findings, _ := Evaluate(cat, reg, reg.All(), kept, EvalOptions{Now: policyTestNow})
	for _, f := range findings {
		if MatchResource("arn:aws:s3:::example-sandbox-*", f.Resource) {
			t.Errorf("excluded resource has a finding: %+v", f)
		}
	}

	waivers := []Waiver{
		{ID: "sandbox", Check: "test.s3.encrypted", Resource: "arn:aws:s3:::example-sandbox-a", Justification: "j", Approver: "a", Expires: "2027-01-31"},
		{ID: "prod", Check: "test.s3.encrypted", Resource: "arn:aws:s3:::example-prod", Justification: "j", Approver: "a", Expires: "2027-01-31"},
	}
	_, statuses := ApplyWaivers(findings, waivers, policyTestNow)

	states := map[string]string{}
	for _, s := range statuses {
		states[s.ID] = s.State
	}
	if states["sandbox"] != WaiverUnmatched {
		t.Errorf("waiver on excluded resource is %q, want %q", states["sandbox"], WaiverUnmatched)
	}
	if states["prod"] != WaiverActive {
		t.Errorf("waiver on kept resource is %q, want %q", states["prod"], WaiverActive)
	}
}

func TestValidateScopeEmptyPattern(t *testing.T) {
	if err := ValidateScope([]string{"arn:aws:s3:::a-*"}); err != nil {
		t.Errorf("valid pattern rejected: %v", err)
	}
	err := ValidateScope([]string{"arn:aws:s3:::a-*", " "})
	if err == nil {
		t.Fatal("empty pattern accepted")
	}
	if want := "scope.exclude[1] is empty"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
}

func TestExcludeScopeKeepsConfigEvidence(t *testing.T) {
	set := scopeTestSet()
	set.Items = append(set.Items, GuardrailEvidence(policyTestRegistry(t), nil))
	kept, excluded := ExcludeScope(set, []string{"*"})
	if len(kept.Items) != 1 || kept.Items[0].Kind != KindCheckParams {
		t.Errorf("kept items = %v, want only the config.check_params item", kept.Items)
	}
	if len(excluded) != 4 {
		t.Errorf("excluded %d resources, want 4", len(excluded))
	}
}
