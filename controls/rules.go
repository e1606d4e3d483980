package controls

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"

	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/internal/config"
)

// ruleCostLimit bounds the work of one rule on one evidence item, in CEL cost
// units (roughly one per operation, and one per element a comprehension
// visits). An expression that exceeds it stops with an error finding instead
// of holding up the run. A cost limit, unlike a timeout, stops at the same
// point on every machine, so re-evaluating a bundle gives the same findings.
// The value is PerCallLimit of Kubernetes (k8s.io/apiserver/pkg/apis/cel),
// the limit it sets for one CEL validation call. It was not tuned against
// auditpack's own rules.
const ruleCostLimit = 1_000_000

// ruleTotalCostLimit bounds the work of one rule over all the items of a run,
// so an expression that reaches ruleCostLimit on every item cannot hold up a
// run with many items. Once a rule has spent it, its remaining items get error
// findings without being evaluated. The nested comprehension of
// TestRuleCostLimitStopsRunaway took 0.7 to 2.3 seconds to reach
// ruleCostLimit on a 2-core AMD EPYC virtual machine shared with other builds.
// At that speed this budget stops a runaway rule within about two minutes,
// and a rule costing 100 units per item can still judge 500,000 items. It is a
// variable only so that tests can lower it.
var ruleTotalCostLimit uint64 = 50 * ruleCostLimit

// Rule results other than a bool are maps with these keys.
const (
	ruleStatusKey  = "status"
	ruleMessageKey = "message"
)

var (
	evidenceKindRe     = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)
	ruleMessageFieldRe = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)
)

// ruleMessageFields are the placeholders a rule's message may use.
var ruleMessageFields = []string{"resource", "kind"}

// ruleStatuses are the statuses a rule may return in a map result.
var ruleStatuses = []Status{StatusPass, StatusFail, StatusReview, StatusNotApplicable}

// compiledRule is a custom check whose CEL expression is compiled.
type compiledRule struct {
	rule    config.Rule
	program cel.Program
}

// newRuleEnv declares the variables an expression can use:
//
//   - resource (string): the resource id of the evidence item;
//   - kind (string): its evidence kind;
//   - attributes (map of string to dyn): the item's attributes decoded from
//     JSON, so every number is a double, a missing key is a runtime error
//     ("no such key") and has(attributes.x) tests for one;
//   - now (timestamp): the run's evaluation time.
//
// Numbers compare across types (attributes.days >= 30 works although days is
// a double), time functions use UTC, and the cel-go string, list and set
// extensions are available.
func newRuleEnv() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable("resource", cel.StringType),
		cel.Variable("kind", cel.StringType),
		cel.Variable("attributes", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("now", cel.TimestampType),
		cel.CrossTypeNumericComparisons(true),
		cel.DefaultUTCTimeZone(true),
		ext.Strings(),
		ext.Lists(),
		ext.Sets(),
	)
}

// CompileRules turns the `rules:` section into checks, one per rule, with the
// rule's id, title, severity, criteria and evidence kind. An expression must
// return a bool (true means pass) or a map {"status": "pass", "fail",
// "review" or "not_applicable", "message": text}.
//
// Every invalid rule is reported. A rule is invalid when its id is malformed
// or taken by a built-in check or an earlier rule, when its title, kind or
// expression is missing, or when its severity, a criterion or a message
// placeholder is unknown. An expression that does not compile is reported with
// the line:column of each problem. The caller registers the checks with
// Registry.Add.
func CompileRules(rules []config.Rule, cat *Catalog) ([]*Check, error) {
	env, err := newRuleEnv()
	if err != nil {
		return nil, fmt.Errorf("set up the CEL environment: %w", err)
	}
	taken := builtinCheckIDs()
	var checks []*Check
	var errs []error
	for i, r := range rules {
		c, err := compileRule(env, cat, r, taken)
		if err != nil {
			errs = append(errs, ruleError(i, r, err))
			continue
		}
		taken[r.ID] = fmt.Sprintf("rules[%d]", i)
		checks = append(checks, c)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return checks, nil
}

// ruleError names the rule and, for an invalid field, the configuration key:
// `rules[2].severity (custom.s3.owner_tag): invalid severity "urgent": ...`.
func ruleError(i int, r config.Rule, err error) error {
	key := fmt.Sprintf("rules[%d]", i)
	var fe *ruleFieldError
	if errors.As(err, &fe) {
		key += "." + fe.field
		err = fe.err
	}
	if r.ID != "" {
		key += " (" + r.ID + ")"
	}
	return fmt.Errorf("%s: %w", key, err)
}

// builtinCheckIDs maps every built-in check id to a description of its owner.
func builtinCheckIDs() map[string]string {
	taken := map[string]string{}
	for _, group := range builtin {
		for _, c := range group {
			taken[c.ID] = "a built-in check"
		}
	}
	for _, c := range configChecks {
		taken[c.ID] = "a built-in check"
	}
	return taken
}

func compileRule(env *cel.Env, cat *Catalog, r config.Rule, taken map[string]string) (*Check, error) {
	if err := validateRuleFields(cat, r, taken); err != nil {
		return nil, err
	}
	severity, _ := ParseSeverity(r.Severity)

	ast, issues := env.Compile(r.Expression)
	if issues != nil && issues.Err() != nil {
		var parts []string
		for _, e := range issues.Errors() {
			parts = append(parts, fmt.Sprintf("%d:%d: %s", e.Location.Line(), e.Location.Column()+1, e.Message))
		}
		return nil, ruleFieldErrorf("expression", "does not compile: %s", strings.Join(parts, "; "))
	}
	if err := checkRuleOutputType(ast.OutputType()); err != nil {
		return nil, &ruleFieldError{field: "expression", err: err}
	}
	program, err := env.Program(ast, cel.CostLimit(ruleCostLimit))
	if err != nil {
		return nil, ruleFieldErrorf("expression", "cannot be prepared for evaluation: %v", err)
	}

	cr := &compiledRule{rule: r, program: program}
	return &Check{
		ID:          r.ID,
		Title:       r.Title,
		Severity:    severity,
		Criteria:    append([]string(nil), r.Criteria...),
		Description: fmt.Sprintf("Custom rule over %s evidence: %s", r.Kind, r.Expression),
		Kinds:       []string{r.Kind},
		Evaluate:    cr.evaluate,
	}, nil
}

// ruleFieldError is an invalid value in one field of a rule.
type ruleFieldError struct {
	field string
	err   error
}

func (e *ruleFieldError) Error() string { return e.field + ": " + e.err.Error() }

func ruleFieldErrorf(field, format string, args ...any) error {
	return &ruleFieldError{field: field, err: fmt.Errorf(format, args...)}
}

func validateRuleFields(cat *Catalog, r config.Rule, taken map[string]string) error {
	switch {
	case r.ID == "":
		return ruleFieldErrorf("id", "missing value; give the rule a check id such as custom.s3.owner_tag")
	case !checkIDRe.MatchString(r.ID):
		return ruleFieldErrorf("id", "invalid value %q: use two or three dot-separated lower-case segments of letters, digits and underscores, such as custom.s3.owner_tag", r.ID)
	case taken[r.ID] != "":
		return ruleFieldErrorf("id", "%q is already used by %s: choose another id", r.ID, taken[r.ID])
	case strings.TrimSpace(r.Title) == "":
		return ruleFieldErrorf("title", "missing value; say in a few words what the rule requires")
	case strings.TrimSpace(r.Expression) == "":
		return ruleFieldErrorf("expression", "missing value; write a CEL expression that returns true when the resource passes")
	case r.Kind == "":
		return ruleFieldErrorf("kind", "missing value; name the evidence kind the rule reads, such as aws.s3.bucket")
	case !evidenceKindRe.MatchString(r.Kind):
		return ruleFieldErrorf("kind", "invalid value %q: an evidence kind is dot-separated lower-case segments, such as aws.s3.bucket", r.Kind)
	}
	if _, err := ParseSeverity(r.Severity); err != nil {
		return &ruleFieldError{field: "severity", err: err}
	}
	if len(r.Criteria) == 0 {
		return ruleFieldErrorf("criteria", "missing value; list the criteria the rule supports, such as [CC6.1]")
	}
	for _, id := range r.Criteria {
		if _, ok := cat.Lookup(id); !ok {
			return ruleFieldErrorf("criteria", "unknown criterion %q; run 'auditpack controls list' for the ids", id)
		}
	}
	for _, m := range ruleMessageFieldRe.FindAllStringSubmatch(r.Message, -1) {
		if !slices.Contains(ruleMessageFields, m[1]) {
			return ruleFieldErrorf("message", "unknown placeholder %q; use {{resource}} or {{kind}}", m[0])
		}
	}
	return nil
}

// checkRuleOutputType rejects an expression whose type the CEL checker
// determines and which is neither a bool nor a map with string keys. An
// expression typed dyn, such as attributes.enabled, is checked when it runs.
func checkRuleOutputType(t *cel.Type) error {
	switch t.Kind() {
	case types.BoolKind, types.DynKind:
		return nil
	case types.MapKind:
		if key := t.Parameters()[0].Kind(); key == types.StringKind || key == types.DynKind {
			return nil
		}
	}
	return fmt.Errorf("returns %s: it must return a bool (true means pass) or a map {\"status\": ..., \"message\": ...}", t.String())
}

func (cr *compiledRule) evaluate(ec *EvalContext) []Finding {
	if len(ec.Items) == 0 {
		if cr.hasFailure(ec) {
			return nil
		}
		return []Finding{{
			Resource: "check:" + cr.rule.ID,
			Status:   StatusNotApplicable,
			Message:  fmt.Sprintf("no evidence of kind %s was collected", cr.rule.Kind),
		}}
	}
	out := make([]Finding, 0, len(ec.Items))
	var spent uint64
	for _, it := range ec.Items {
		if spent >= ruleTotalCostLimit {
			out = append(out, ec.Finding(it, StatusError,
				"rule %s: not evaluated, because the rule used its budget of %d CEL cost units on earlier resources; simplify the expression or narrow its kind",
				cr.rule.ID, ruleTotalCostLimit))
			continue
		}
		f, cost := cr.evaluateItem(ec, it)
		spent += cost
		out = append(out, f)
	}
	return out
}

// hasFailure reports whether a collection failure covers the rule's kind; the
// evaluator has then already turned it into an error finding.
func (cr *compiledRule) hasFailure(ec *EvalContext) bool {
	for _, f := range ec.Evidence.Failures {
		if slices.Contains(f.Kinds, cr.rule.Kind) && (len(f.Checks) == 0 || slices.Contains(f.Checks, cr.rule.ID)) {
			return true
		}
	}
	return false
}

// evaluateItem judges one item and returns the CEL cost the evaluation used.
func (cr *compiledRule) evaluateItem(ec *EvalContext, it *evidence.Item) (Finding, uint64) {
	attrs, err := ruleAttributes(it)
	if err != nil {
		return ec.Finding(it, StatusError, "rule %s: evidence could not be read: %v", cr.rule.ID, err), 0
	}
	val, details, err := cr.program.Eval(map[string]any{
		"resource":   it.Resource,
		"kind":       it.Kind,
		"attributes": attrs,
		"now":        ec.Now,
	})
	cost := uint64(ruleCostLimit)
	if details != nil && details.ActualCost() != nil {
		cost = *details.ActualCost()
	}
	if err != nil {
		return ec.Finding(it, StatusError, "rule %s: evaluation failed: %v%s%s", cr.rule.ID, err, overloadHint(err), collectionErrors(it)), cost
	}
	status, message, err := ruleVerdict(val)
	if err != nil {
		return ec.Finding(it, StatusError, "rule %s: %v", cr.rule.ID, err), cost
	}
	if message == "" {
		message = cr.defaultMessage(it, status)
	}
	return ec.Finding(it, status, "%s", message), cost
}

// ruleAttributes decodes an item's attributes as CEL reads them.
func ruleAttributes(it *evidence.Item) (map[string]any, error) {
	attrs := map[string]any{}
	if len(it.Attributes) == 0 {
		return attrs, nil
	}
	var v any
	if err := json.Unmarshal(it.Attributes, &v); err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case nil:
		return attrs, nil
	case map[string]any:
		return x, nil
	}
	return nil, fmt.Errorf("attributes are %s in JSON, not an object", jsonKind(v))
}

// jsonKind names the JSON type of a decoded value.
func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "an array"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "null"
}

// overloadHint explains cel-go's bare "no such overload" error, which names
// neither the operator nor the types involved.
func overloadHint(err error) string {
	if !strings.Contains(err.Error(), "no such overload") {
		return ""
	}
	return " (an operator or function received a value of a type it does not accept; attribute numbers are doubles and text is a string)"
}

// collectionErrors lists the attribute groups of the item that could not be
// collected, which often explain a missing key.
func collectionErrors(it *evidence.Item) string {
	if len(it.Errors) == 0 {
		return ""
	}
	groups := make([]string, 0, len(it.Errors))
	for g := range it.Errors {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	parts := make([]string, 0, len(groups))
	for _, g := range groups {
		parts = append(parts, it.Errors[g].String())
	}
	return " (evidence incomplete: " + strings.Join(parts, "; ") + ")"
}

// ruleVerdict reads an expression's result.
func ruleVerdict(val ref.Val) (Status, string, error) {
	if b, ok := val.(types.Bool); ok {
		if b {
			return StatusPass, "", nil
		}
		return StatusFail, "", nil
	}
	if val.Type() != types.MapType {
		return "", "", fmt.Errorf("expression returned %s: it must return a bool (true means pass) or a map {\"status\": ..., \"message\": ...}", val.Type().TypeName())
	}
	native, err := val.ConvertToNative(reflect.TypeOf(map[string]any{}))
	if err != nil {
		return "", "", fmt.Errorf("expression returned a map that cannot be read: %v", err)
	}
	m := native.(map[string]any)
	for _, k := range sortedParamKeys(m) {
		if k != ruleStatusKey && k != ruleMessageKey {
			return "", "", fmt.Errorf("expression returned a map with unknown key %q: use only status and message", k)
		}
	}
	text, ok := m[ruleStatusKey].(string)
	status := Status(text)
	if !ok || !slices.Contains(ruleStatuses, status) {
		return "", "", fmt.Errorf("expression returned status %v: use one of pass, fail, review, not_applicable", formatParamValue(m[ruleStatusKey]))
	}
	message, ok := m[ruleMessageKey].(string)
	if _, present := m[ruleMessageKey]; present && !ok {
		return "", "", fmt.Errorf("expression returned message %v: it must be a string", formatParamValue(m[ruleMessageKey]))
	}
	return status, message, nil
}

// defaultMessage is the message of a finding whose expression gave none: the
// rule's message template for a fail, and a sentence naming the rule
// otherwise.
func (cr *compiledRule) defaultMessage(it *evidence.Item, status Status) string {
	if status == StatusFail && cr.rule.Message != "" {
		return ruleMessageFieldRe.ReplaceAllStringFunc(cr.rule.Message, func(m string) string {
			switch ruleMessageFieldRe.FindStringSubmatch(m)[1] {
			case "resource":
				return it.Resource
			case "kind":
				return it.Kind
			}
			return m
		})
	}
	switch status {
	case StatusPass:
		return fmt.Sprintf("meets rule %s: %s", cr.rule.ID, cr.rule.Title)
	case StatusFail:
		return fmt.Sprintf("does not meet rule %s: %s", cr.rule.ID, cr.rule.Title)
	case StatusReview:
		return fmt.Sprintf("needs a person to judge rule %s: %s", cr.rule.ID, cr.rule.Title)
	}
	return fmt.Sprintf("rule %s does not apply: %s", cr.rule.ID, cr.rule.Title)
}
