package controls

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/auditpack/auditpack/evidence"
)

// Evidence kind and resource of the configured check parameters, which the
// run records as evidence so that the guardrail check is judged, and judged
// again from a bundle, like every other check.
const (
	KindCheckParams     = "config.check_params"
	CheckParamsResource = "config:checks.params"
	// ConfigCollector is the collector id recorded on evidence that comes
	// from the configuration rather than from a system.
	ConfigCollector = "config"
)

// configChecks judge the configuration itself.
var configChecks = []*Check{
	{
		ID:       "config.thresholds",
		Title:    "Check parameters are within the limits SOC 2 practice accepts",
		Severity: SeverityHigh,
		Criteria: []string{"CC4.1"},
		Description: "Passes when every parameter set under checks.params is at least as strict as the loosest " +
			"value its check declares. Fails for each parameter set beyond that value, so an auditor sees " +
			"when a threshold was weakened. Not applicable when no parameter is configured.",
		Kinds:    []string{KindCheckParams},
		Evaluate: evaluateThresholds,
	},
}

// ConfiguredParam is one configured check parameter as recorded in the
// config.check_params evidence item.
type ConfiguredParam struct {
	Check      string `json:"check"`
	Parameter  string `json:"parameter"`
	Configured any    `json:"configured"`
	Default    any    `json:"default"`
	// Loosest is the weakest accepted value, or null when the check declares
	// no limit for the parameter.
	Loosest any `json:"loosest"`
	// HigherIsStricter is the check's declaration. It decides the direction
	// only when Default equals Loosest; see beyondLoosest.
	HigherIsStricter bool `json:"higher_is_stricter"`
	// Declared is false when the registry has no such check or parameter.
	// ValidateParams rejects that case before a run, so it appears only in
	// evidence evaluated by a version with other checks.
	Declared bool `json:"declared"`
}

// checkParamsAttributes are the attributes of the config.check_params item.
type checkParamsAttributes struct {
	Parameters []ConfiguredParam `json:"parameters"`
}

// GuardrailEvidence records the configured check parameters, each with the
// default and loosest value its check declares, as one evidence item for the
// config.thresholds check. params is checks.params from the configuration;
// an empty map gives an item with no parameters. The item carries no
// provenance entry because it comes from the configuration, not from an API
// call. The configured values as written are kept under Raw.
func GuardrailEvidence(reg *Registry, params map[string]map[string]any) *evidence.Item {
	attrs := checkParamsAttributes{Parameters: []ConfiguredParam{}}
	for _, checkID := range sortedParamKeys(params) {
		c, checkKnown := reg.Lookup(checkID)
		for _, name := range sortedParamKeys(params[checkID]) {
			p := ConfiguredParam{Check: checkID, Parameter: name, Configured: normalizeParamValue(params[checkID][name])}
			if checkKnown {
				if decl, ok := c.Param(name); ok {
					p.Declared = true
					p.Default = normalizeParamValue(decl.Default)
					p.Loosest = normalizeParamValue(decl.Loosest)
					p.HigherIsStricter = decl.HigherIsStricter
				}
			}
			attrs.Parameters = append(attrs.Parameters, p)
		}
	}
	it, err := evidence.NewItem(KindCheckParams, ConfigCollector, CheckParamsResource, attrs)
	if err != nil {
		// A value JSON cannot encode, such as a YAML .nan, is kept as text so
		// the finding still names it; ValidateParams rejects it before a run.
		for i := range attrs.Parameters {
			attrs.Parameters[i].Configured = fmt.Sprint(attrs.Parameters[i].Configured)
		}
		it = evidence.MustItem(KindCheckParams, ConfigCollector, CheckParamsResource, attrs)
	}
	it.Provenance = []evidence.Provenance{}
	raw := params
	if raw == nil {
		raw = map[string]map[string]any{}
	}
	it.AddRaw("config:checks.params", raw)
	return it
}

func evaluateThresholds(ec *EvalContext) []Finding {
	if len(ec.Items) == 0 {
		return []Finding{{
			Resource: CheckParamsResource,
			Status:   StatusError,
			Message:  "no config.check_params evidence item: a run records checks.params as evidence only when config.thresholds is selected, so collect again with it selected",
		}}
	}
	var out []Finding
	for _, it := range ec.Items {
		var attrs checkParamsAttributes
		if f, ok := ec.Decode(it, &attrs); !ok {
			out = append(out, f)
			continue
		}
		if len(attrs.Parameters) == 0 {
			out = append(out, ec.Finding(it, StatusNotApplicable, "no check parameter is configured; every check uses its defaults"))
			continue
		}
		within := 0
		for _, p := range attrs.Parameters {
			f, ok := judgeParam(ec, it, p)
			if ok {
				within++
				continue
			}
			out = append(out, f)
		}
		if within > 0 {
			out = append(out, ec.Finding(it, StatusPass, "%d configured %s within accepted limits", within, countNoun(within, "parameter", "parameters")))
		}
	}
	return out
}

// judgeParam returns a finding for a parameter that is beyond its limit or
// cannot be judged, and ok when it is within limits.
func judgeParam(ec *EvalContext, it *evidence.Item, p ConfiguredParam) (Finding, bool) {
	key := "checks.params." + p.Check + "." + p.Parameter
	finding := func(status Status, format string, args ...any) (Finding, bool) {
		f := ec.Finding(it, status, format, args...)
		f.Resource = "config:" + key
		f.Details = map[string]any{
			"check":      p.Check,
			"parameter":  p.Parameter,
			"configured": p.Configured,
			"default":    p.Default,
			"loosest":    p.Loosest,
		}
		return f, false
	}
	if !p.Declared {
		return finding(StatusError, "%s is not a parameter of any registered check, so it cannot be judged", key)
	}
	beyond, comparable := beyondLoosest(p)
	switch {
	case !comparable:
		return finding(StatusReview, "%s is %s and the loosest accepted value is %s (default %s); the two cannot be ordered, so a person must judge whether the check was weakened",
			key, formatParamValue(p.Configured), formatParamValue(p.Loosest), formatParamValue(p.Default))
	case beyond:
		return finding(StatusFail, "%s is %s, looser than the loosest accepted value %s (default %s)",
			key, formatParamValue(p.Configured), formatParamValue(p.Loosest), formatParamValue(p.Default))
	}
	return Finding{}, true
}

// beyondLoosest reports whether the configured value is looser than the
// loosest accepted one. Numbers compare by size, false is below true, and
// strings compare by size when both are Go durations ("720h") or versions
// with the same prefix ("TLSv1.2" < "TLSv1.3"). Lists compare as sets: a list
// of requirements is beyond loosest when it lacks one of its elements, and an
// allow-list is beyond it when it has an element loosest does not. Other
// strings compare only as equal or not, and comparable is false when they
// differ.
//
// Which direction is stricter comes from the declaration: the default is
// always within limits, so when default and loosest differ, the default's side
// is the strict one. HigherIsStricter decides only when they are equal,
// because nothing else then shows which way the check weakens.
func beyondLoosest(p ConfiguredParam) (beyond, comparable bool) {
	if p.Loosest == nil {
		return false, true
	}
	if order, ok := compareParamValues(p.Configured, p.Loosest); ok {
		higherIsStricter := p.HigherIsStricter
		if d, ok := compareParamValues(p.Default, p.Loosest); ok && d != 0 {
			higherIsStricter = d > 0
		}
		if higherIsStricter {
			return order < 0, true
		}
		return order > 0, true
	}
	value, vOK := p.Configured.([]any)
	loosest, lOK := p.Loosest.([]any)
	if vOK && lOK {
		requirements := p.HigherIsStricter
		if def, ok := p.Default.([]any); ok {
			switch d, l := paramTextSet(def), paramTextSet(loosest); {
			case isStrictSubset(l, d):
				requirements = true
			case isStrictSubset(d, l):
				requirements = false
			}
		}
		if requirements {
			return !isSubset(paramTextSet(loosest), paramTextSet(value)), true
		}
		return !isSubset(paramTextSet(value), paramTextSet(loosest)), true
	}
	if reflect.DeepEqual(p.Configured, p.Loosest) {
		return false, true
	}
	return false, false
}

// compareParamValues orders two numbers, two booleans, two durations or two
// versions with the same prefix, returning -1, 0 or +1.
func compareParamValues(a, b any) (int, bool) {
	if x, ok := numberValue(a); ok {
		if y, ok := numberValue(b); ok {
			return cmp.Compare(x, y), true
		}
		return 0, false
	}
	if x, ok := a.(bool); ok {
		if y, ok := b.(bool); ok {
			return cmp.Compare(boolRank(x), boolRank(y)), true
		}
		return 0, false
	}
	x, xOK := a.(string)
	y, yOK := b.(string)
	if !xOK || !yOK {
		return 0, false
	}
	dx, errX := time.ParseDuration(x)
	dy, errY := time.ParseDuration(y)
	if errX == nil && errY == nil {
		return cmp.Compare(dx, dy), true
	}
	return compareVersions(x, y)
}

// versionRe splits a version into a prefix without digits and dot-separated
// numbers: "TLSv1.2" is "TLSv" and "1.2".
var versionRe = regexp.MustCompile(`^([^0-9]*)([0-9]+(?:\.[0-9]+)*)$`)

// compareVersions orders two versions with the same prefix, ignoring case, by
// their numbers, so "TLSv1" < "TLSv1.1" < "TLSv1.2".
func compareVersions(a, b string) (int, bool) {
	ma, mb := versionRe.FindStringSubmatch(a), versionRe.FindStringSubmatch(b)
	if ma == nil || mb == nil || !strings.EqualFold(ma[1], mb[1]) {
		return 0, false
	}
	pa, pb := strings.Split(ma[2], "."), strings.Split(mb[2], ".")
	for i := 0; i < max(len(pa), len(pb)); i++ {
		var na, nb int
		if i < len(pa) {
			na, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			nb, _ = strconv.Atoi(pb[i])
		}
		if c := cmp.Compare(na, nb); c != 0 {
			return c, true
		}
	}
	return 0, true
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

func isSubset(small, large map[string]bool) bool {
	for x := range small {
		if !large[x] {
			return false
		}
	}
	return true
}

func isStrictSubset(small, large map[string]bool) bool {
	return len(small) < len(large) && isSubset(small, large)
}

func paramTextSet(list []any) map[string]bool {
	set := map[string]bool{}
	for _, x := range list {
		set[fmt.Sprint(x)] = true
	}
	return set
}

// ValidateParams checks checks.params against the registry: every check id
// and parameter must exist, and each value must have the type of the
// parameter's default (number, whole number, true/false, text, list or
// mapping). YAML integers and floats are both numbers, so `min_days: 30` is
// accepted for an integer default. Every problem is reported, sorted by key.
func ValidateParams(reg *Registry, params map[string]map[string]any) error {
	var errs []error
	for _, checkID := range sortedParamKeys(params) {
		c, ok := reg.Lookup(checkID)
		if !ok {
			errs = append(errs, fmt.Errorf("checks.params.%s: unknown check id %q; run 'auditpack checks list' for the ids", checkID, checkID))
			continue
		}
		for _, name := range sortedParamKeys(params[checkID]) {
			key := "checks.params." + checkID + "." + name
			decl, ok := c.Param(name)
			if !ok {
				if len(c.Params) == 0 {
					errs = append(errs, fmt.Errorf("%s: unknown parameter %q; check %s has no parameters", key, name, checkID))
				} else {
					errs = append(errs, fmt.Errorf("%s: unknown parameter %q; check %s accepts %s", key, name, checkID, strings.Join(c.ParamNames(), ", ")))
				}
				continue
			}
			if err := checkParamType(params[checkID][name], decl.Default); err != nil {
				errs = append(errs, fmt.Errorf("%s: invalid value %s: %v", key, formatParamValue(normalizeParamValue(params[checkID][name])), err))
			}
		}
	}
	return errors.Join(errs...)
}

// checkParamType compares a configured value with the type of the default.
func checkParamType(value, def any) error {
	if def == nil {
		return nil
	}
	expected := fmt.Sprintf("expected %s, like the default %s", describeParamType(def), formatParamValue(normalizeParamValue(def)))
	if value == nil {
		return errors.New(expected)
	}
	dt, vt := reflect.TypeOf(def), reflect.TypeOf(value)
	switch {
	case isNumberKind(dt.Kind()):
		f, ok := numberValue(value)
		if !ok {
			return fmt.Errorf("%s, not %s", expected, describeParamType(value))
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%s, not an infinite or undefined number", expected)
		}
		if isIntegerKind(dt.Kind()) && f != math.Trunc(f) {
			return fmt.Errorf("%s, not a fraction", expected)
		}
	case dt.Kind() == reflect.Bool, dt.Kind() == reflect.String:
		if vt.Kind() != dt.Kind() {
			return fmt.Errorf("%s, not %s", expected, describeParamType(value))
		}
	case dt.Kind() == reflect.Slice || dt.Kind() == reflect.Array:
		if vt.Kind() != reflect.Slice && vt.Kind() != reflect.Array {
			return fmt.Errorf("%s, not %s", expected, describeParamType(value))
		}
		elem := dt.Elem()
		if elem.Kind() == reflect.Interface {
			return nil
		}
		v := reflect.ValueOf(value)
		for i := 0; i < v.Len(); i++ {
			x := v.Index(i).Interface()
			if x == nil || checkParamType(x, reflect.Zero(elem).Interface()) != nil {
				return fmt.Errorf("%s; element %d is %s", expected, i, describeParamType(x))
			}
		}
	case dt.Kind() == reflect.Map:
		if vt.Kind() != reflect.Map {
			return fmt.Errorf("%s, not %s", expected, describeParamType(value))
		}
	}
	return nil
}

// NormalizeParams converts configured values to the Go types of the
// parameters' defaults. A check then reads `min_days: 30` the same way whether
// the YAML decoder produced an int, an int64 or a float64, and reads a YAML
// list of text as []string. Values of unknown checks or parameters are kept as
// they are. Call it after ValidateParams, and pass the result as
// EvalOptions.Params.
func NormalizeParams(reg *Registry, params map[string]map[string]any) map[string]Params {
	out := map[string]Params{}
	for checkID, values := range params {
		p := Params{}
		c, known := reg.Lookup(checkID)
		for name, v := range values {
			p[name] = v
			if !known {
				continue
			}
			if decl, ok := c.Param(name); ok && decl.Default != nil {
				p[name] = convertLike(v, decl.Default)
			}
		}
		out[checkID] = p
	}
	return out
}

func convertLike(v, def any) any {
	dt := reflect.TypeOf(def)
	if f, ok := numberValue(v); ok && isNumberKind(dt.Kind()) {
		return reflect.ValueOf(f).Convert(dt).Interface()
	}
	if dt.Kind() != reflect.Slice || dt.Elem().Kind() == reflect.Interface {
		return v
	}
	src := reflect.ValueOf(v)
	if src.Kind() != reflect.Slice {
		return v
	}
	dst := reflect.MakeSlice(dt, src.Len(), src.Len())
	zero := reflect.Zero(dt.Elem()).Interface()
	for i := 0; i < src.Len(); i++ {
		x := reflect.ValueOf(convertLike(src.Index(i).Interface(), zero))
		if !x.IsValid() || !x.Type().AssignableTo(dt.Elem()) {
			return v
		}
		dst.Index(i).Set(x)
	}
	return dst.Interface()
}

// normalizeParamValue turns numbers of every Go type into float64 and lists into
// []any, the shapes JSON decoding produces, so values compare the same before
// and after an evidence item is written and read again.
func normalizeParamValue(v any) any {
	if v == nil {
		return nil
	}
	if f, ok := numberValue(v); ok {
		return f
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return v
		}
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = normalizeParamValue(rv.Index(i).Interface())
		}
		return out
	case reflect.Map:
		// Some YAML decoders produce map[any]any, which JSON cannot encode.
		out := make(map[string]any, rv.Len())
		iter := rv.MapRange()
		for iter.Next() {
			out[fmt.Sprint(iter.Key().Interface())] = normalizeParamValue(iter.Value().Interface())
		}
		return out
	}
	return v
}

func numberValue(v any) (float64, bool) {
	if n, ok := v.(json.Number); ok {
		f, err := n.Float64()
		return f, err == nil
	}
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return 0, false
	}
	switch {
	case isIntegerKind(rv.Kind()) && rv.CanInt():
		return float64(rv.Int()), true
	case isIntegerKind(rv.Kind()):
		return float64(rv.Uint()), true
	case rv.Kind() == reflect.Float32 || rv.Kind() == reflect.Float64:
		return rv.Float(), true
	}
	return 0, false
}

func isIntegerKind(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

func isNumberKind(k reflect.Kind) bool {
	return isIntegerKind(k) || k == reflect.Float32 || k == reflect.Float64
}

// describeParamType names the kind of a value the way messages to users do.
func describeParamType(v any) string {
	if v == nil {
		return "no value"
	}
	if _, ok := v.(json.Number); ok {
		return "a number"
	}
	t := reflect.TypeOf(v)
	switch {
	case isIntegerKind(t.Kind()):
		return "a whole number"
	case isNumberKind(t.Kind()):
		return "a number"
	case t.Kind() == reflect.Bool:
		return "a boolean (true or false)"
	case t.Kind() == reflect.String:
		return "text"
	case t.Kind() == reflect.Map:
		return "a mapping"
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		switch elem := t.Elem().Kind(); {
		case elem == reflect.String:
			return "a list of text"
		case elem == reflect.Bool:
			return "a list of true/false values"
		case isIntegerKind(elem):
			return "a list of whole numbers"
		case isNumberKind(elem):
			return "a list of numbers"
		}
		return "a list"
	}
	return t.String()
}

// formatParamValue renders a parameter value for a message: numbers without a
// trailing .0, text quoted, lists in brackets.
func formatParamValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "none"
	case string:
		return fmt.Sprintf("%q", x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = formatParamValue(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	if f, ok := numberValue(v); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice {
		return formatParamValue(normalizeParamValue(v))
	}
	return fmt.Sprint(v)
}

func countNoun(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func sortedParamKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
