package controls

import (
	"reflect"
	"strings"
	"testing"

	"github.com/google/cel-go/cel"

	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/internal/config"
)

func ownerTagRule() config.Rule {
	return config.Rule{
		ID:         "custom.s3.owner_tag",
		Title:      "Buckets carry an owner tag",
		Severity:   "Medium",
		Criteria:   []string{"CC6.1", "A1.2"},
		Kind:       "aws.s3.bucket",
		Expression: `has(attributes.tags) && "owner" in attributes.tags && attributes.tags.owner != ""`,
		Message:    "{{resource}} has no owner tag",
	}
}

func ruleTestSet() *evidence.Set {
	set := &evidence.Set{Items: []*evidence.Item{
		evidence.MustItem("aws.s3.bucket", "aws.s3", "arn:aws:s3:::tagged", map[string]any{"tags": map[string]string{"owner": "data-team"}, "size": 10}),
		evidence.MustItem("aws.s3.bucket", "aws.s3", "arn:aws:s3:::untagged", map[string]any{"tags": map[string]string{}, "size": 20}),
		evidence.MustItem("aws.s3.bucket", "aws.s3", "arn:aws:s3:::no-tags-key", map[string]any{"size": "big"}),
		evidence.MustItem("aws.iam.user", "aws.iam", "arn:aws:iam::111122223333:user/ops/jürgen", map[string]any{"tags": map[string]string{}}),
	}}
	set.Sort()
	return set
}

// evaluateRules compiles rules, registers them and evaluates them over set.
func evaluateRules(t *testing.T, rules []config.Rule, set *evidence.Set) map[string]Finding {
	t.Helper()
	cat := MustCatalog()
	checks, err := CompileRules(rules, cat)
	if err != nil {
		t.Fatal(err)
	}
	reg := policyTestRegistry(t)
	for _, c := range checks {
		if err := reg.Add(cat, c); err != nil {
			t.Fatal(err)
		}
	}
	findings, _ := Evaluate(cat, reg, checks, set, EvalOptions{Now: policyTestNow})
	byResource := map[string]Finding{}
	for _, f := range findings {
		byResource[f.CheckID+" "+f.Resource] = f
	}
	return byResource
}

func TestRuleCompilesToCheck(t *testing.T) {
	checks, err := CompileRules([]config.Rule{ownerTagRule()}, MustCatalog())
	if err != nil {
		t.Fatal(err)
	}
	if len(checks) != 1 {
		t.Fatalf("got %d checks, want 1", len(checks))
	}
	c := checks[0]
	if c.ID != "custom.s3.owner_tag" || c.Title != "Buckets carry an owner tag" || c.Severity != SeverityMedium {
		t.Errorf("check = %s %q %s", c.ID, c.Title, c.Severity)
	}
	if !reflect.DeepEqual(c.Criteria, []string{"CC6.1", "A1.2"}) || !reflect.DeepEqual(c.Kinds, []string{"aws.s3.bucket"}) {
		t.Errorf("criteria %v, kinds %v", c.Criteria, c.Kinds)
	}
}

func TestRulePassAndFail(t *testing.T) {
	got := evaluateRules(t, []config.Rule{ownerTagRule()}, ruleTestSet())
	if len(got) != 3 {
		t.Errorf("got %d findings, want 3 (one per bucket): %v", len(got), got)
	}
	tagged := got["custom.s3.owner_tag arn:aws:s3:::tagged"]
	if tagged.Status != StatusPass {
		t.Errorf("tagged: status = %s (%s), want pass", tagged.Status, tagged.Message)
	}
	if tagged.Message != "meets rule custom.s3.owner_tag: Buckets carry an owner tag" {
		t.Errorf("tagged: message = %q", tagged.Message)
	}
	untagged := got["custom.s3.owner_tag arn:aws:s3:::untagged"]
	if untagged.Status != StatusFail {
		t.Errorf("untagged: status = %s, want fail", untagged.Status)
	}
	if untagged.Message != "arn:aws:s3:::untagged has no owner tag" {
		t.Errorf("untagged: message = %q", untagged.Message)
	}
	if untagged.Severity != SeverityMedium || !reflect.DeepEqual(untagged.Criteria, []string{"CC6.1", "A1.2"}) {
		t.Errorf("untagged: severity %s, criteria %v", untagged.Severity, untagged.Criteria)
	}
	if len(untagged.Evidence) != 1 || !strings.HasPrefix(untagged.Evidence[0], "evidence/aws.s3.bucket/") {
		t.Errorf("untagged: evidence = %v", untagged.Evidence)
	}
	if f := got["custom.s3.owner_tag arn:aws:s3:::no-tags-key"]; f.Status != StatusFail {
		t.Errorf("no tags key: status = %s (%s), want fail", f.Status, f.Message)
	}
}

func TestRuleVariablesAndNumbers(t *testing.T) {
	rule := config.Rule{
		ID: "custom.s3.variables", Title: "Variables", Severity: "low", Criteria: []string{"CC6.1"}, Kind: "aws.s3.bucket",
		// size is a JSON number, so a double; it still compares with the
		// int literal 15 and equals 10 and 20.
		Expression: `kind == "aws.s3.bucket" && resource.startsWith("arn:aws:s3:::") && ` +
			`now == timestamp("2026-12-31T18:30:00Z") && type(attributes.size) == double && attributes.size < 15 && attributes.size == 10`,
	}
	set := ruleTestSet()
	set.Items = set.Items[:0]
	for _, it := range ruleTestSet().Items {
		if it.Resource != "arn:aws:s3:::no-tags-key" {
			set.Items = append(set.Items, it)
		}
	}
	got := evaluateRules(t, []config.Rule{rule}, set)
	if f := got["custom.s3.variables arn:aws:s3:::tagged"]; f.Status != StatusPass {
		t.Errorf("tagged: status = %s (%s), want pass", f.Status, f.Message)
	}
	if f := got["custom.s3.variables arn:aws:s3:::untagged"]; f.Status != StatusFail {
		t.Errorf("untagged: status = %s (%s), want fail", f.Status, f.Message)
	}
}

func TestRuleMapResult(t *testing.T) {
	rule := config.Rule{
		ID: "custom.s3.map_result", Title: "Map result", Severity: "high", Criteria: []string{"CC6.1"}, Kind: "aws.s3.bucket",
		Expression: `resource.endsWith("tagged") && !resource.endsWith("untagged") ? {"status": "pass", "message": "owner " + attributes.tags.owner} :
  resource.endsWith("untagged") ? {"status": "review", "message": "ask the data team"} : {"status": "fail"}`,
		Message: "{{ resource }} ({{kind}}) failed",
	}
	got := evaluateRules(t, []config.Rule{rule}, ruleTestSet())
	tests := []struct {
		resource string
		status   Status
		message  string
	}{
		{"arn:aws:s3:::tagged", StatusPass, "owner data-team"},
		{"arn:aws:s3:::untagged", StatusReview, "ask the data team"},
		{"arn:aws:s3:::no-tags-key", StatusFail, "arn:aws:s3:::no-tags-key (aws.s3.bucket) failed"},
	}
	for _, tt := range tests {
		f := got["custom.s3.map_result "+tt.resource]
		if f.Status != tt.status || f.Message != tt.message {
			t.Errorf("%s: %s %q, want %s %q", tt.resource, f.Status, f.Message, tt.status, tt.message)
		}
	}
}

func TestRuleCompileErrorPosition(t *testing.T) {
	tests := []struct {
		name       string
		expression string
		want       []string
	}{
		{"syntax error", "attributes.size >", []string{"rules[0].expression (custom.s3.owner_tag): does not compile: 1:18:", "Syntax error"}},
		{"syntax error second line", "attributes.size > 1 &&\n  (resource ==", []string{"2:15:"}},
		{"undeclared variable", "resource == bucket", []string{"1:13:", "undeclared reference to 'bucket'"}},
		{"type error", "resource > 5", []string{"1:10:", "no matching overload"}},
		{"non-bool result", `resource + "x"`, []string{"rules[0].expression (custom.s3.owner_tag): returns string", "must return a bool"}},
		{"list result", `[true]`, []string{"returns list(bool)"}},
		{"int-keyed map result", `{1: "pass"}`, []string{"returns map(int, string)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rule := ownerTagRule()
			rule.Expression = tt.expression
			_, err := CompileRules([]config.Rule{rule}, MustCatalog())
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestRuleInvalidFields(t *testing.T) {
	tests := []struct {
		name   string
		modify func(r *config.Rule)
		want   []string
	}{
		{"missing id", func(r *config.Rule) { r.ID = "" }, []string{"rules[0].id: missing value"}},
		{"upper-case id", func(r *config.Rule) { r.ID = "Custom.S3" }, []string{`rules[0].id (Custom.S3): invalid value "Custom.S3"`, "two or three dot-separated lower-case segments"}},
		{"one segment", func(r *config.Rule) { r.ID = "custom" }, []string{`rules[0].id (custom): invalid value "custom"`}},
		{"four segments", func(r *config.Rule) { r.ID = "a.b.c.d" }, []string{`invalid value "a.b.c.d"`}},
		{"built-in id", func(r *config.Rule) { r.ID = "config.thresholds" }, []string{`rules[0].id (config.thresholds): "config.thresholds" is already used by a built-in check`}},
		{"missing title", func(r *config.Rule) { r.Title = " " }, []string{"rules[0].title (custom.s3.owner_tag): missing value"}},
		{"bad severity", func(r *config.Rule) { r.Severity = "urgent" }, []string{"rules[0].severity (custom.s3.owner_tag)", `invalid severity "urgent"`, "info, low, medium, high, critical"}},
		{"no criteria", func(r *config.Rule) { r.Criteria = nil }, []string{"rules[0].criteria (custom.s3.owner_tag): missing value"}},
		{"unknown criterion", func(r *config.Rule) { r.Criteria = []string{"CC6.1", "CC9.9"} }, []string{`rules[0].criteria (custom.s3.owner_tag): unknown criterion "CC9.9"`}},
		{"missing kind", func(r *config.Rule) { r.Kind = "" }, []string{"rules[0].kind (custom.s3.owner_tag): missing value"}},
		{"bad kind", func(r *config.Rule) { r.Kind = "S3 Bucket" }, []string{`rules[0].kind (custom.s3.owner_tag): invalid value "S3 Bucket"`}},
		{"missing expression", func(r *config.Rule) { r.Expression = "" }, []string{"rules[0].expression (custom.s3.owner_tag): missing value"}},
		{"unknown placeholder", func(r *config.Rule) { r.Message = "{{bucket}} is bad" }, []string{`rules[0].message (custom.s3.owner_tag): unknown placeholder "{{bucket}}"`, "{{resource}}"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rule := ownerTagRule()
			tt.modify(&rule)
			_, err := CompileRules([]config.Rule{rule}, MustCatalog())
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestRuleDuplicateIDsAllReported(t *testing.T) {
	second := ownerTagRule()
	third := ownerTagRule()
	third.ID = "custom.s3.other"
	third.Expression = "1 +"
	_, err := CompileRules([]config.Rule{ownerTagRule(), second, third}, MustCatalog())
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{`rules[1].id (custom.s3.owner_tag): "custom.s3.owner_tag" is already used by rules[0]`, "rules[2].expression (custom.s3.other): does not compile"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}

func TestRuleRuntimeErrorPerItem(t *testing.T) {
	rule := ownerTagRule()
	// no-tags-key has size "big", a string, and no tags key at all.
	rule.Expression = `attributes.size > 5 && attributes.tags.size() >= 0`
	got := evaluateRules(t, []config.Rule{rule}, ruleTestSet())

	if f := got["custom.s3.owner_tag arn:aws:s3:::tagged"]; f.Status != StatusPass {
		t.Errorf("tagged: status = %s (%s), want pass", f.Status, f.Message)
	}
	if f := got["custom.s3.owner_tag arn:aws:s3:::untagged"]; f.Status != StatusPass {
		t.Errorf("untagged: status = %s (%s), want pass", f.Status, f.Message)
	}
	bad := got["custom.s3.owner_tag arn:aws:s3:::no-tags-key"]
	if bad.Status != StatusError {
		t.Fatalf("type mismatch: status = %s (%s), want error", bad.Status, bad.Message)
	}
	for _, w := range []string{"rule custom.s3.owner_tag", "evaluation failed", "no such overload"} {
		if !strings.Contains(bad.Message, w) {
			t.Errorf("message %q does not contain %q", bad.Message, w)
		}
	}
}

func TestRuleMissingKeyError(t *testing.T) {
	rule := ownerTagRule()
	rule.Expression = `attributes.tags.owner == "data-team"`
	set := ruleTestSet()
	for _, it := range set.Items {
		if it.Resource == "arn:aws:s3:::no-tags-key" {
			it.AddError("tags", evidence.CollectError{Operation: "s3:GetBucketTagging", Code: "AccessDenied"})
		}
	}
	got := evaluateRules(t, []config.Rule{rule}, set)
	untagged := got["custom.s3.owner_tag arn:aws:s3:::untagged"]
	if untagged.Status != StatusError || !strings.Contains(untagged.Message, "no such key: owner") {
		t.Errorf("untagged: %s %q, want error naming the missing key", untagged.Status, untagged.Message)
	}
	denied := got["custom.s3.owner_tag arn:aws:s3:::no-tags-key"]
	if denied.Status != StatusError || !strings.Contains(denied.Message, "s3:GetBucketTagging failed with AccessDenied") {
		t.Errorf("denied: %s %q, want error naming the collection error", denied.Status, denied.Message)
	}
}

func TestRuleNonBoolResultAtRuntime(t *testing.T) {
	tests := []struct {
		name       string
		expression string
		want       string
	}{
		{"double", `attributes.size`, "expression returned double"},
		{"unknown map key", `{"status": "pass", "reason": "x"}`, `unknown key "reason"`},
		{"bad status", `{"status": "waived"}`, `status "waived": use one of pass, fail, review, not_applicable`},
		{"missing status", `{"message": "x"}`, "status none"},
		{"non-string message", `{"status": "pass", "message": dyn(1)}`, "message 1: it must be a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rule := ownerTagRule()
			rule.Expression = tt.expression
			got := evaluateRules(t, []config.Rule{rule}, ruleTestSet())
			f := got["custom.s3.owner_tag arn:aws:s3:::tagged"]
			if f.Status != StatusError {
				t.Errorf("status = %s (%s), want error", f.Status, f.Message)
			}
			if !strings.Contains(f.Message, tt.want) {
				t.Errorf("message %q does not contain %q", f.Message, tt.want)
			}
		})
	}
}

func TestRuleCostLimitStopsRunaway(t *testing.T) {
	list := make([]int, 2000)
	set := &evidence.Set{Items: []*evidence.Item{
		evidence.MustItem("aws.s3.bucket", "aws.s3", "arn:aws:s3:::big", map[string]any{"xs": list}),
		evidence.MustItem("aws.s3.bucket", "aws.s3", "arn:aws:s3:::small", map[string]any{"xs": []int{1, 2}}),
	}}
	rule := ownerTagRule()
	rule.Expression = `attributes.xs.all(a, attributes.xs.all(b, attributes.xs.all(c, true)))`
	got := evaluateRules(t, []config.Rule{rule}, set)
	big := got["custom.s3.owner_tag arn:aws:s3:::big"]
	if big.Status != StatusError || !strings.Contains(big.Message, "cost limit exceeded") {
		t.Errorf("big: %s %q, want an error naming the cost limit", big.Status, big.Message)
	}
	if f := got["custom.s3.owner_tag arn:aws:s3:::small"]; f.Status != StatusPass {
		t.Errorf("small: status = %s (%s), want pass", f.Status, f.Message)
	}
}

func TestRuleNoEvidenceOfKind(t *testing.T) {
	rule := ownerTagRule()
	rule.Kind = "aws.s3.access_point"
	got := evaluateRules(t, []config.Rule{rule}, ruleTestSet())
	f, ok := got["custom.s3.owner_tag check:custom.s3.owner_tag"]
	if !ok || f.Status != StatusNotApplicable || !strings.Contains(f.Message, "aws.s3.access_point") {
		t.Errorf("findings = %v, want one not_applicable naming the kind", got)
	}

	set := ruleTestSet()
	set.Failures = []evidence.Failure{{ID: "f", Scope: "aws:111122223333:eu-west-1", Kinds: []string{"aws.s3.access_point"},
		Error: evidence.CollectError{Operation: "s3control:ListAccessPoints", Code: "AccessDenied"}}}
	got = evaluateRules(t, []config.Rule{rule}, set)
	if len(got) != 1 {
		t.Fatalf("with a collection failure: findings = %v, want only the error", got)
	}
	if f := got["custom.s3.owner_tag aws:111122223333:eu-west-1"]; f.Status != StatusError {
		t.Errorf("failure finding = %+v, want error", f)
	}
}

func TestRuleNone(t *testing.T) {
	checks, err := CompileRules(nil, MustCatalog())
	if err != nil || len(checks) != 0 {
		t.Errorf("CompileRules(nil) = %v, %v; want no checks and no error", checks, err)
	}
}

func TestRuleAttributesNotAnObject(t *testing.T) {
	set := &evidence.Set{Items: []*evidence.Item{
		{ID: "a", Kind: "aws.s3.bucket", Resource: "arn:aws:s3:::list", Attributes: []byte(`[1, 2]`)},
		{ID: "b", Kind: "aws.s3.bucket", Resource: "arn:aws:s3:::null", Attributes: []byte(`null`)},
	}}
	rule := ownerTagRule()
	rule.Expression = `!has(attributes.tags)`
	got := evaluateRules(t, []config.Rule{rule}, set)
	list := got["custom.s3.owner_tag arn:aws:s3:::list"]
	if list.Status != StatusError || !strings.Contains(list.Message, "attributes are an array in JSON, not an object") {
		t.Errorf("array attributes: %s %q, want an error", list.Status, list.Message)
	}
	if f := got["custom.s3.owner_tag arn:aws:s3:::null"]; f.Status != StatusPass {
		t.Errorf("null attributes: %s %q, want pass on an empty map", f.Status, f.Message)
	}
}

func TestRuleTotalCostBudget(t *testing.T) {
	saved := ruleTotalCostLimit
	t.Cleanup(func() { ruleTotalCostLimit = saved })

	set := &evidence.Set{}
	for _, name := range []string{"a", "b", "c", "d", "e", "f"} {
		set.Items = append(set.Items, evidence.MustItem("aws.s3.bucket", "aws.s3", "arn:aws:s3:::"+name, map[string]any{"xs": make([]int, 10)}))
	}
	rule := ownerTagRule()
	rule.Expression = `attributes.xs.all(a, attributes.xs.all(b, true))`

	// Measure what one item costs, then allow a little more than two items.
	env, err := newRuleEnv()
	if err != nil {
		t.Fatal(err)
	}
	ast, issues := env.Compile(rule.Expression)
	if issues.Err() != nil {
		t.Fatal(issues.Err())
	}
	program, err := env.Program(ast, cel.CostLimit(ruleCostLimit))
	if err != nil {
		t.Fatal(err)
	}
	_, details, err := program.Eval(map[string]any{"resource": "r", "kind": "k", "attributes": map[string]any{"xs": make([]any, 10)}, "now": policyTestNow})
	if err != nil {
		t.Fatal(err)
	}
	perItem := *details.ActualCost()
	ruleTotalCostLimit = 2*perItem + 1

	got := evaluateRules(t, []config.Rule{rule}, set)
	for _, name := range []string{"a", "b", "c"} {
		if f := got["custom.s3.owner_tag arn:aws:s3:::"+name]; f.Status != StatusPass {
			t.Errorf("%s: %s %q, want pass within the budget", name, f.Status, f.Message)
		}
	}
	for _, name := range []string{"d", "e", "f"} {
		f := got["custom.s3.owner_tag arn:aws:s3:::"+name]
		if f.Status != StatusError || !strings.Contains(f.Message, "not evaluated, because the rule used its budget") {
			t.Errorf("%s: %s %q, want an error naming the budget", name, f.Status, f.Message)
		}
	}
}
