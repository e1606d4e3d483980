package controls

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/auditpack/auditpack/evidence"
)

// evaluateGuardrail runs config.thresholds over the evidence item that
// GuardrailEvidence builds from params, after a JSON round trip as through an
// evidence store.
func evaluateGuardrail(t *testing.T, params map[string]map[string]any) []Finding {
	t.Helper()
	reg := policyTestRegistry(t)
	item := GuardrailEvidence(reg, params)
	data, err := json.Marshal(item)
	if err != nil {
		t.Fatal(err)
	}
	var stored evidence.Item
	if err := json.Unmarshal(data, &stored); err != nil {
		t.Fatal(err)
	}
	check, _ := reg.Lookup("config.thresholds")
	findings, _ := Evaluate(MustCatalog(), reg, []*Check{check}, &evidence.Set{Items: []*evidence.Item{&stored}}, EvalOptions{Now: policyTestNow})
	return findings
}

func TestGuardrailEvidenceAttributes(t *testing.T) {
	reg := policyTestRegistry(t)
	item := GuardrailEvidence(reg, map[string]map[string]any{
		"test.rds.backup_retention": {"ratio": 0.8, "min_days": 30},
	})
	if item.Kind != KindCheckParams || item.Resource != CheckParamsResource || item.Collector != ConfigCollector {
		t.Errorf("item kind, resource, collector = %s, %s, %s", item.Kind, item.Resource, item.Collector)
	}
	var attrs map[string]any
	if err := item.Decode(&attrs); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"parameters": []any{
		map[string]any{"check": "test.rds.backup_retention", "parameter": "min_days", "configured": 30.0, "default": 35.0, "loosest": 7.0, "higher_is_stricter": true, "declared": true},
		map[string]any{"check": "test.rds.backup_retention", "parameter": "ratio", "configured": 0.8, "default": 0.5, "loosest": 0.9, "higher_is_stricter": false, "declared": true},
	}}
	if !reflect.DeepEqual(attrs, want) {
		t.Errorf("attributes =\n%v\nwant\n%v", attrs, want)
	}
	if _, ok := item.Raw["config:checks.params"]; !ok {
		t.Errorf("raw configured values missing: %v", item.Raw)
	}
}

func TestGuardrailParamJudgement(t *testing.T) {
	tests := []struct {
		name  string
		param string
		value any
		want  Status
		// message must contain these when the status is not pass.
		message []string
	}{
		{"higher stricter above default", "min_days", 40, StatusPass, nil},
		{"higher stricter at loosest", "min_days", 7, StatusPass, nil},
		{"higher stricter below loosest", "min_days", 3, StatusFail,
			[]string{"checks.params.test.rds.backup_retention.min_days is 3", "looser than the loosest accepted value 7", "(default 35)"}},
		{"higher stricter float below loosest", "min_days", 6.5, StatusFail, []string{"min_days is 6.5"}},
		{"lower stricter below loosest", "ratio", 0.2, StatusPass, nil},
		{"lower stricter at loosest", "ratio", 0.9, StatusPass, nil},
		{"lower stricter above loosest", "ratio", 1, StatusFail, []string{"ratio is 1", "loosest accepted value 0.9", "(default 0.5)"}},
		{"bool kept strict", "require_mfa", true, StatusPass, nil},
		{"bool weakened", "require_mfa", false, StatusFail, []string{"require_mfa is false", "loosest accepted value true"}},
		{"allow-list within loosest", "allowed_algorithms", []any{"AES256"}, StatusPass, nil},
		{"allow-list widened", "allowed_algorithms", []string{"aws:kms", "DES"}, StatusFail, []string{`is ["aws:kms", "DES"]`, `["aws:kms", "AES256"]`}},
		{"required list kept", "required_tags", []any{"owner", "team"}, StatusPass, nil},
		{"required list shortened", "required_tags", []any{"team"}, StatusFail, []string{`required_tags is ["team"]`}},
		{"duration within", "max_age", "1000h", StatusPass, nil},
		{"duration beyond", "max_age", "4000h", StatusFail, []string{`max_age is "4000h"`, `"2160h"`}},
		{"unordered text equal", "mode", "strict", StatusPass, nil},
		{"unordered text differs", "mode", "lenient", StatusReview, []string{`mode is "lenient"`, "a person must judge"}},
		{"no limit declared", "note", "anything", StatusPass, nil},
		{"bool direction from default, default value", "require_symbols", true, StatusPass, nil},
		{"bool direction from default, loosest value", "require_symbols", false, StatusPass, nil},
		{"number direction from default, within", "max_age_days", 365, StatusPass, nil},
		{"number direction from default, beyond", "max_age_days", 400, StatusFail, []string{"max_age_days is 400", "loosest accepted value 365"}},
		{"version stricter", "min_version", "TLSv1.3", StatusPass, nil},
		{"version equal", "min_version", "tlsv1.2", StatusPass, nil},
		{"version looser", "min_version", "TLSv1.1", StatusFail, []string{`min_version is "TLSv1.1"`, `"TLSv1.2"`}},
		{"version without minor looser", "min_version", "TLSv1", StatusFail, nil},
		{"version other prefix", "min_version", "SSLv3", StatusReview, []string{"cannot be ordered"}},
		{"undeclared parameter", "nope", 1, StatusError, []string{"checks.params.test.rds.backup_retention.nope is not a parameter"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			findings := evaluateGuardrail(t, map[string]map[string]any{"test.rds.backup_retention": {tt.param: tt.value}})
			if len(findings) != 1 {
				t.Fatalf("got %d findings, want 1: %+v", len(findings), findings)
			}
			f := findings[0]
			if f.Status != tt.want {
				t.Errorf("status = %s, want %s (%s)", f.Status, tt.want, f.Message)
			}
			if f.CheckID != "config.thresholds" || f.Severity != SeverityHigh || !reflect.DeepEqual(f.Criteria, []string{"CC4.1"}) {
				t.Errorf("check, severity, criteria = %s, %s, %v", f.CheckID, f.Severity, f.Criteria)
			}
			if tt.want == StatusPass {
				if f.Message != "1 configured parameter within accepted limits" || f.Resource != CheckParamsResource {
					t.Errorf("pass finding = %q on %s", f.Message, f.Resource)
				}
				return
			}
			if want := "config:checks.params.test.rds.backup_retention." + tt.param; f.Resource != want {
				t.Errorf("resource = %q, want %q", f.Resource, want)
			}
			for _, m := range tt.message {
				if !strings.Contains(f.Message, m) {
					t.Errorf("message %q does not contain %q", f.Message, m)
				}
			}
		})
	}
}

func TestGuardrailMixedFindings(t *testing.T) {
	findings := evaluateGuardrail(t, map[string]map[string]any{
		"test.rds.backup_retention": {"min_days": 1, "ratio": 0.5, "require_mfa": true},
	})
	var got []string
	for _, f := range findings {
		got = append(got, string(f.Status)+" "+f.Resource)
	}
	want := []string{
		"pass config:checks.params",
		"fail config:checks.params.test.rds.backup_retention.min_days",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("findings = %v, want %v", got, want)
	}
	if findings[0].Message != "2 configured parameters within accepted limits" {
		t.Errorf("pass message = %q", findings[0].Message)
	}
	if len(findings[1].Evidence) != 1 || !strings.HasPrefix(findings[1].Evidence[0], "evidence/config.check_params/") {
		t.Errorf("fail finding evidence = %v, want the config.check_params item", findings[1].Evidence)
	}
}

func TestGuardrailNothingConfigured(t *testing.T) {
	for _, params := range []map[string]map[string]any{nil, {}} {
		findings := evaluateGuardrail(t, params)
		if len(findings) != 1 || findings[0].Status != StatusNotApplicable {
			t.Errorf("params %v: findings = %+v, want one not_applicable", params, findings)
		}
	}
}

func TestGuardrailMissingEvidence(t *testing.T) {
	reg := policyTestRegistry(t)
	check, _ := reg.Lookup("config.thresholds")
	findings, _ := Evaluate(MustCatalog(), reg, []*Check{check}, &evidence.Set{}, EvalOptions{Now: policyTestNow})
	if len(findings) != 1 || findings[0].Status != StatusError || findings[0].Resource != CheckParamsResource {
		t.Errorf("findings = %+v, want one error on %s", findings, CheckParamsResource)
	}
}

func TestValidateParamsGuardrail(t *testing.T) {
	reg := policyTestRegistry(t)
	valid := []map[string]any{
		{"min_days": 30},
		{"min_days": int64(30)},
		{"min_days": uint64(30)},
		{"min_days": 30.0},
		{"ratio": 1},
		{"ratio": 0.75},
		{"require_mfa": false},
		{"allowed_algorithms": []any{"aws:kms"}},
		{"allowed_algorithms": []any{}},
		{"required_tags": []string{"owner"}},
		{"max_age": "1h"},
	}
	for _, p := range valid {
		if err := ValidateParams(reg, map[string]map[string]any{"test.rds.backup_retention": p}); err != nil {
			t.Errorf("%v rejected: %v", p, err)
		}
	}

	tests := []struct {
		name   string
		params map[string]map[string]any
		want   []string
	}{
		{"unknown check", map[string]map[string]any{"aws.rds.backup": {"min_days": 1}},
			[]string{"checks.params.aws.rds.backup", `unknown check id "aws.rds.backup"`, "auditpack checks list"}},
		{"unknown parameter", map[string]map[string]any{"test.rds.backup_retention": {"min_day": 1}},
			[]string{"checks.params.test.rds.backup_retention.min_day", `unknown parameter "min_day"`,
				"accepts allowed_algorithms, max_age, max_age_days, min_days, min_version, mode, note, ratio, require_mfa, require_symbols, required_tags"}},
		{"check without parameters", map[string]map[string]any{"test.s3.encrypted": {"x": 1}},
			[]string{"checks.params.test.s3.encrypted.x", "has no parameters"}},
		{"text for number", map[string]map[string]any{"test.rds.backup_retention": {"min_days": "thirty"}},
			[]string{"checks.params.test.rds.backup_retention.min_days", `invalid value "thirty"`, "expected a whole number, like the default 35, not text"}},
		{"fraction for whole number", map[string]map[string]any{"test.rds.backup_retention": {"min_days": 30.5}},
			[]string{"min_days: invalid value 30.5", "not a fraction"}},
		{"list for number", map[string]map[string]any{"test.rds.backup_retention": {"ratio": []any{1}}},
			[]string{"ratio: invalid value [1]", "expected a number, like the default 0.5, not a list"}},
		{"number for bool", map[string]map[string]any{"test.rds.backup_retention": {"require_mfa": 1}},
			[]string{"require_mfa: invalid value 1", "expected a boolean (true or false)"}},
		{"bool for text", map[string]map[string]any{"test.rds.backup_retention": {"mode": true}},
			[]string{"mode: invalid value true", `expected text, like the default "strict"`}},
		{"text for list", map[string]map[string]any{"test.rds.backup_retention": {"allowed_algorithms": "aws:kms"}},
			[]string{"allowed_algorithms: invalid value \"aws:kms\"", "expected a list of text"}},
		{"numbers in text list", map[string]map[string]any{"test.rds.backup_retention": {"allowed_algorithms": []any{"aws:kms", 3}}},
			[]string{"allowed_algorithms", "element 1 is a whole number"}},
		{"not a number", map[string]map[string]any{"test.rds.backup_retention": {"ratio": math.NaN()}},
			[]string{"ratio: invalid value NaN", "not an infinite or undefined number"}},
		{"no value", map[string]map[string]any{"test.rds.backup_retention": {"min_days": nil}},
			[]string{"min_days: invalid value none", "expected a whole number"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateParams(reg, tt.params)
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

func TestValidateParamsReportsAllSorted(t *testing.T) {
	reg := policyTestRegistry(t)
	err := ValidateParams(reg, map[string]map[string]any{
		"test.rds.backup_retention": {"ratio": "high", "min_days": "low"},
		"nope.check":                {"a": 1},
	})
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d errors, want 3: %q", len(lines), err)
	}
	for i, prefix := range []string{"checks.params.nope.check:", "checks.params.test.rds.backup_retention.min_days:", "checks.params.test.rds.backup_retention.ratio:"} {
		if !strings.HasPrefix(lines[i], prefix) {
			t.Errorf("error %d = %q, want prefix %q", i, lines[i], prefix)
		}
	}
}

func TestNormalizeParamsGuardrail(t *testing.T) {
	reg := policyTestRegistry(t)
	got := NormalizeParams(reg, map[string]map[string]any{
		"test.rds.backup_retention": {"min_days": 30.0, "ratio": 1, "required_tags": []any{"owner"}, "mode": "strict"},
		"other.check":               {"x": uint64(3)},
	})
	want := map[string]Params{
		"test.rds.backup_retention": {"min_days": 30, "ratio": 1.0, "required_tags": []string{"owner"}, "mode": "strict"},
		"other.check":               {"x": uint64(3)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("NormalizeParams = %#v, want %#v", got, want)
	}
	if n := got["test.rds.backup_retention"].Int("min_days"); n != 30 {
		t.Errorf("Int(min_days) = %d, want 30", n)
	}
}

// Configuring every built-in parameter at its default must never fail the
// guardrail: a default is within limits by definition.
func TestGuardrailBuiltinDefaultsWithinLimits(t *testing.T) {
	cat := MustCatalog()
	reg, err := DefaultRegistry(cat)
	if err != nil {
		t.Fatal(err)
	}
	params := map[string]map[string]any{}
	for _, c := range reg.All() {
		for _, p := range c.Params {
			if params[c.ID] == nil {
				params[c.ID] = map[string]any{}
			}
			params[c.ID][p.Name] = p.Default
		}
	}
	if err := ValidateParams(reg, params); err != nil {
		t.Fatalf("defaults rejected: %v", err)
	}
	check, ok := reg.Lookup("config.thresholds")
	if !ok {
		t.Fatal("config.thresholds is not a built-in check")
	}
	set := &evidence.Set{Items: []*evidence.Item{GuardrailEvidence(reg, params)}}
	findings, _ := Evaluate(cat, reg, []*Check{check}, set, EvalOptions{Now: policyTestNow})
	for _, f := range findings {
		if f.Status != StatusPass && f.Status != StatusNotApplicable {
			t.Errorf("%s: %s %q", f.Resource, f.Status, f.Message)
		}
	}
}

func TestGuardrailEvidenceUnencodableValues(t *testing.T) {
	item := GuardrailEvidence(policyTestRegistry(t), map[string]map[string]any{
		"test.rds.backup_retention": {"ratio": math.Inf(1), "note": map[any]any{1: "x"}},
	})
	var attrs checkParamsAttributes
	if err := item.Decode(&attrs); err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for _, p := range attrs.Parameters {
		got[p.Parameter] = p.Configured
	}
	if got["ratio"] != "+Inf" {
		t.Errorf("ratio recorded as %#v, want the text +Inf", got["ratio"])
	}
	if !strings.Contains(fmt.Sprint(got["note"]), "1:x") {
		t.Errorf("note recorded as %#v, want the mapping kept", got["note"])
	}
}
