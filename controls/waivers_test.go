package controls

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// policyTestNow is the fixed evaluation time of the waiver, scope, rule and
// control id tests.
var policyTestNow = time.Date(2026, 12, 31, 18, 30, 0, 0, time.UTC)

func writeWaiverFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "waivers.yaml")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadWaiversValid(t *testing.T) {
	p := writeWaiverFile(t, `waivers:
  - id: W-1
    check: aws.s3.default_encryption
    resource: "arn:aws:s3:::example-sandbox-*"
    justification: Sandbox buckets hold no customer data.
    approver: Jane Roe
    expires: 2027-03-31
  - check: "aws.iam.*"
    resource: arn:aws:iam::111122223333:user/break-glass
    justification: Break-glass user, reviewed monthly.
    approver: "CISO"
    expires: "2026-12-31"
`)
	ws, err := LoadWaivers(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 2 {
		t.Fatalf("got %d waivers, want 2", len(ws))
	}
	want0 := Waiver{ID: "W-1", Check: "aws.s3.default_encryption", Resource: "arn:aws:s3:::example-sandbox-*",
		Justification: "Sandbox buckets hold no customer data.", Approver: "Jane Roe", Expires: "2027-03-31"}
	if ws[0] != want0 {
		t.Errorf("waiver 1 = %+v, want %+v", ws[0], want0)
	}
	if !strings.HasPrefix(ws[1].ID, "waiver-") || len(ws[1].ID) != len("waiver-")+8 {
		t.Errorf("derived id = %q, want waiver- and 8 hex digits", ws[1].ID)
	}
	again, err := LoadWaivers(p)
	if err != nil {
		t.Fatal(err)
	}
	if again[1].ID != ws[1].ID {
		t.Errorf("derived id changed between loads: %q, %q", ws[1].ID, again[1].ID)
	}
}

func TestLoadWaiversEmptyList(t *testing.T) {
	for _, content := range []string{"waivers: []\n", "waivers:\n"} {
		ws, err := LoadWaivers(writeWaiverFile(t, content))
		if err != nil {
			t.Errorf("%q: %v", content, err)
		}
		if len(ws) != 0 {
			t.Errorf("%q: got %d waivers, want 0", content, len(ws))
		}
	}
}

func TestLoadWaiversInvalid(t *testing.T) {
	const valid = `    check: aws.s3.default_encryption
    resource: arn:aws:s3:::b
    justification: j
    approver: a
`
	tests := []struct {
		name    string
		content string
		want    []string
	}{
		{"empty file", "", []string{"is empty", `"waivers:"`}},
		{"not a mapping", "- a\n", []string{"line 1", `expected a mapping with the key "waivers"`}},
		{"unknown top-level key", "waiver: []\n", []string{`unknown top-level key "waiver"`, `the only allowed key is "waivers"`}},
		{"list is a string", "waivers: yes\n", []string{`"waivers" must be a list`}},
		{"entry not a mapping", "waivers:\n  - just text\n", []string{"entry 1 (line 2)", "expected a mapping"}},
		{"unknown key", "waivers:\n  - expiry: 2027-01-01\n" + valid, []string{"entry 1 (line 2)", `unknown key "expiry"`, "allowed keys are id, check, resource, justification, approver, expires"}},
		{"missing expires", "waivers:\n  -\n" + valid, []string{"entry 1", `missing key "expires"`, "YYYY-MM-DD"}},
		{"missing approver second entry", "waivers:\n  -\n" + valid + "    expires: 2027-01-01\n  - check: a.b\n    resource: r\n    justification: j\n    expires: 2027-01-01\n",
			[]string{"entry 2 (line 8)", `missing key "approver"`}},
		{"empty justification", "waivers:\n  - check: a.b\n    resource: r\n    justification: \"  \"\n    approver: a\n    expires: 2027-01-01\n", []string{`missing key "justification"`}},
		{"null value", "waivers:\n  - check: a.b\n    resource: r\n    justification:\n    approver: a\n    expires: 2027-01-01\n", []string{`key "justification" has no value`}},
		{"list value", "waivers:\n  - check: [a.b]\n    resource: r\n    justification: j\n    approver: a\n    expires: 2027-01-01\n", []string{`key "check" must be a single text value`}},
		{"bad date", "waivers:\n  -\n" + valid + "    expires: 2027-02-30\n", []string{"entry 1", `key "expires"`, `invalid date "2027-02-30"`, "use YYYY-MM-DD"}},
		{"date with time", "waivers:\n  -\n" + valid + "    expires: 2027-02-01T00:00:00Z\n", []string{`key "expires"`, "use YYYY-MM-DD"}},
		{"repeated key", "waivers:\n  -\n" + valid + "    expires: 2027-01-01\n    approver: b\n", []string{`key "approver" appears twice`}},
		{"bad check pattern", "waivers:\n  - check: \"aws.[s3\"\n    resource: r\n    justification: j\n    approver: a\n    expires: 2027-01-01\n", []string{`key "check": invalid pattern "aws.[s3"`}},
		{"empty id", "waivers:\n  - id: \"\"\n" + valid + "    expires: 2027-01-01\n", []string{`key "id" is empty`}},
		{"duplicate id", "waivers:\n  - id: W\n" + valid + "    expires: 2027-01-01\n  - id: W\n" + valid + "    expires: 2027-01-01\n", []string{"entry 2", `"W" is also the id of entry 1`}},
		{"repeated top-level key", "waivers: []\nwaivers: []\n", []string{"line 2", `key "waivers" appears twice`}},
		{"invalid yaml", "waivers: [\n", []string{"invalid YAML"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeWaiverFile(t, tt.content)
			_, err := LoadWaivers(p)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), p) {
				t.Errorf("error %q does not name the file", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadWaiversMissingFile(t *testing.T) {
	_, err := LoadWaivers(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Errorf("error = %v, want one naming nope.yaml", err)
	}
}

func TestValidateWaiversUnknownCheck(t *testing.T) {
	reg := policyTestRegistry(t)
	ok := []Waiver{{ID: "a", Check: "test.s3.*"}, {ID: "b", Check: "test.iam.root_mfa"}}
	if err := ValidateWaivers(ok, reg); err != nil {
		t.Errorf("valid waivers rejected: %v", err)
	}
	bad := []Waiver{{ID: "a", Check: "test.s3.encryptoin"}, {ID: "b", Check: "aws.*"}}
	err := ValidateWaivers(bad, reg)
	if err == nil {
		t.Fatal("unknown checks accepted")
	}
	for _, w := range []string{`waiver a: check "test.s3.encryptoin" matches no check`, `waiver b: check "aws.*" matches no check`, "auditpack checks list"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}

func waiverTestFindings() []Finding {
	return []Finding{
		{CheckID: "test.s3.encrypted", Resource: "arn:aws:s3:::example-sandbox-a", Status: StatusFail, Message: "bucket is not encrypted"},
		{CheckID: "test.s3.encrypted", Resource: "arn:aws:s3:::example-prod", Status: StatusPass, Message: "bucket is encrypted"},
		{CheckID: "test.s3.encrypted", Resource: "arn:aws:s3:::example-sandbox-b", Status: StatusError, Message: "s3:GetBucketEncryption failed with AccessDenied"},
		{CheckID: "test.iam.root_mfa", Resource: "arn:aws:iam::111122223333:root", Status: StatusReview, Message: "root signed in"},
		{CheckID: "test.iam.user_mfa", Resource: "arn:aws:iam::111122223333:user/ops/break-glass", Status: StatusFail, Message: "user has no MFA"},
		{CheckID: "test.pg.role", Resource: "postgres://db.example:5432/app/users/zoë@example.com", Status: StatusFail, Message: "admin without MFA"},
	}
}

func TestApplyWaivers(t *testing.T) {
	ws := []Waiver{
		// Expires today: still active until the end of the UTC day.
		{ID: "W-today", Check: "test.s3.*", Resource: "arn:aws:s3:::example-sandbox-*", Justification: "sandbox", Approver: "Jane", Expires: "2026-12-31"},
		{ID: "W-expired", Check: "test.iam.user_mfa", Resource: "arn:aws:iam::*:user/*/break-glass", Justification: "break glass", Approver: "CISO", Expires: "2026-12-30"},
		{ID: "W-unicode", Check: "test.pg.role", Resource: "postgres://db.example:5432/app/users/zoë@*", Justification: "contractor", Approver: "CTO", Expires: "2027-06-30"},
		{ID: "W-unmatched", Check: "test.s3.encrypted", Resource: "arn:aws:s3:::retired-bucket", Justification: "gone", Approver: "Jane", Expires: "2027-01-01"},
		{ID: "W-review", Check: "test.iam.root_mfa", Resource: "*", Justification: "never applies to review", Approver: "Jane", Expires: "2027-01-01"},
	}
	in := waiverTestFindings()
	out, statuses := ApplyWaivers(in, ws, policyTestNow)

	byResource := map[string]Finding{}
	for _, f := range out {
		byResource[f.Resource] = f
	}
	sandboxA := byResource["arn:aws:s3:::example-sandbox-a"]
	if sandboxA.Status != StatusWaived {
		t.Errorf("sandbox-a status = %s, want waived", sandboxA.Status)
	}
	wantRef := &WaiverRef{ID: "W-today", Justification: "sandbox", Approver: "Jane", Expires: "2026-12-31"}
	if !reflect.DeepEqual(sandboxA.Waiver, wantRef) {
		t.Errorf("sandbox-a waiver = %+v, want %+v", sandboxA.Waiver, wantRef)
	}
	if sandboxA.Message != "bucket is not encrypted" {
		t.Errorf("waived message changed to %q", sandboxA.Message)
	}

	breakGlass := byResource["arn:aws:iam::111122223333:user/ops/break-glass"]
	if breakGlass.Status != StatusFail {
		t.Errorf("expired waiver: status = %s, want fail", breakGlass.Status)
	}
	if breakGlass.Waiver == nil || !breakGlass.Waiver.Expired || breakGlass.Waiver.ID != "W-expired" {
		t.Errorf("expired waiver: ref = %+v, want W-expired marked expired", breakGlass.Waiver)
	}
	if want := "user has no MFA (waiver W-expired expired 2026-12-30)"; breakGlass.Message != want {
		t.Errorf("expired waiver: message = %q, want %q", breakGlass.Message, want)
	}

	if f := byResource["postgres://db.example:5432/app/users/zoë@example.com"]; f.Status != StatusWaived {
		t.Errorf("UTF-8 resource: status = %s, want waived", f.Status)
	}

	for _, r := range []string{"arn:aws:s3:::example-prod", "arn:aws:s3:::example-sandbox-b", "arn:aws:iam::111122223333:root"} {
		f := byResource[r]
		for _, orig := range in {
			if orig.Resource == r && (f.Status != orig.Status || f.Waiver != nil || f.Message != orig.Message) {
				t.Errorf("%s: %s finding changed to %+v", r, orig.Status, f)
			}
		}
	}
	if in[0].Status != StatusFail || in[0].Waiver != nil {
		t.Errorf("input finding modified: %+v", in[0])
	}

	wantStatuses := []WaiverStatus{
		{ID: "W-expired", CheckID: "test.iam.user_mfa", ResourcePattern: "arn:aws:iam::*:user/*/break-glass", Justification: "break glass", Approver: "CISO", Expires: "2026-12-30", State: WaiverExpired, Matched: 1},
		{ID: "W-review", CheckID: "test.iam.root_mfa", ResourcePattern: "*", Justification: "never applies to review", Approver: "Jane", Expires: "2027-01-01", State: WaiverUnmatched, Matched: 0},
		{ID: "W-today", CheckID: "test.s3.*", ResourcePattern: "arn:aws:s3:::example-sandbox-*", Justification: "sandbox", Approver: "Jane", Expires: "2026-12-31", State: WaiverActive, Matched: 1},
		{ID: "W-unicode", CheckID: "test.pg.role", ResourcePattern: "postgres://db.example:5432/app/users/zoë@*", Justification: "contractor", Approver: "CTO", Expires: "2027-06-30", State: WaiverActive, Matched: 1},
		{ID: "W-unmatched", CheckID: "test.s3.encrypted", ResourcePattern: "arn:aws:s3:::retired-bucket", Justification: "gone", Approver: "Jane", Expires: "2027-01-01", State: WaiverUnmatched, Matched: 0},
	}
	if !reflect.DeepEqual(statuses, wantStatuses) {
		t.Errorf("statuses =\n%+v\nwant\n%+v", statuses, wantStatuses)
	}
}

func TestApplyWaiversExpiryBoundary(t *testing.T) {
	w := Waiver{ID: "W", Check: "test.s3.encrypted", Resource: "*", Justification: "j", Approver: "a", Expires: "2026-12-31"}
	tests := []struct {
		name string
		now  time.Time
		want Status
	}{
		{"start of expiry day", time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), StatusWaived},
		{"last second of expiry day", time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC), StatusWaived},
		{"first second after", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), StatusFail},
		// 00:30 on 2027-01-01 at UTC+1 is still 2026-12-31 in UTC.
		{"other time zone converted to UTC", time.Date(2027, 1, 1, 0, 30, 0, 0, time.FixedZone("UTC+1", 3600)), StatusWaived},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _ := ApplyWaivers([]Finding{{CheckID: "test.s3.encrypted", Resource: "arn:aws:s3:::b", Status: StatusFail}}, []Waiver{w}, tt.now)
			if out[0].Status != tt.want {
				t.Errorf("status = %s, want %s", out[0].Status, tt.want)
			}
		})
	}
}

func TestApplyWaiversActiveBeatsExpired(t *testing.T) {
	ws := []Waiver{
		{ID: "A-old", Check: "test.s3.encrypted", Resource: "*", Justification: "old", Approver: "a", Expires: "2026-01-31"},
		{ID: "B-new", Check: "test.s3.encrypted", Resource: "arn:aws:s3:::*", Justification: "renewed", Approver: "a", Expires: "2027-01-31"},
	}
	out, statuses := ApplyWaivers([]Finding{{CheckID: "test.s3.encrypted", Resource: "arn:aws:s3:::b", Status: StatusFail, Message: "m"}}, ws, policyTestNow)
	if out[0].Status != StatusWaived || out[0].Waiver.ID != "B-new" {
		t.Errorf("finding = %+v, want waived by B-new", out[0])
	}
	if out[0].Message != "m" {
		t.Errorf("message = %q, want unchanged", out[0].Message)
	}
	if statuses[0].ID != "A-old" || statuses[0].State != WaiverExpired || statuses[0].Matched != 1 {
		t.Errorf("A-old status = %+v, want expired with 1 match", statuses[0])
	}
}

func TestApplyWaiversNone(t *testing.T) {
	in := waiverTestFindings()
	out, statuses := ApplyWaivers(in, nil, policyTestNow)
	if !reflect.DeepEqual(out, in) {
		t.Errorf("findings changed without waivers")
	}
	if len(statuses) != 0 {
		t.Errorf("statuses = %+v, want none", statuses)
	}
}

// policyTestChecks are small checks for the waiver, guardrail, rule and
// control id tests. Each fails every item of its kind, except where noted.
func policyTestChecks() []*Check {
	failAll := func(ec *EvalContext) []Finding {
		var out []Finding
		for _, it := range ec.Items {
			out = append(out, ec.Finding(it, StatusFail, "fails"))
		}
		return out
	}
	return []*Check{
		{ID: "test.s3.encrypted", Title: "Buckets are encrypted", Severity: SeverityHigh, Criteria: []string{"CC6.1", "CC6.7"},
			Kinds: []string{"aws.s3.bucket"}, Evaluate: failAll},
		{ID: "test.iam.root_mfa", Title: "Root has MFA", Severity: SeverityCritical, Criteria: []string{"CC6.1"},
			Kinds: []string{"aws.iam.account"}, Evaluate: failAll},
		{ID: "test.iam.user_mfa", Title: "Users have MFA", Severity: SeverityHigh, Criteria: []string{"CC6.2"},
			Kinds: []string{"aws.iam.user"}, Evaluate: failAll},
		{ID: "test.pg.role", Title: "Admins have MFA", Severity: SeverityMedium, Criteria: []string{"CC6.3"},
			Kinds: []string{"postgres.user"}, Evaluate: failAll},
		{ID: "test.rds.backup_retention", Title: "Backups are kept", Severity: SeverityMedium, Criteria: []string{"A1.2"},
			Kinds: []string{"aws.rds.instance"}, Evaluate: failAll,
			Params: []Param{
				{Name: "min_days", Default: 35, Loosest: 7, HigherIsStricter: true},
				{Name: "ratio", Default: 0.5, Loosest: 0.9},
				{Name: "require_mfa", Default: true, Loosest: true, HigherIsStricter: true},
				{Name: "allowed_algorithms", Default: []string{"aws:kms"}, Loosest: []string{"aws:kms", "AES256"}},
				{Name: "required_tags", Default: []string{"owner", "env"}, Loosest: []string{"owner"}, HigherIsStricter: true},
				{Name: "max_age", Default: "720h", Loosest: "2160h"},
				{Name: "mode", Default: "strict", Loosest: "strict"},
				{Name: "note", Default: "x"},
				// Declared with the wrong direction: the default's side of
				// loosest decides instead.
				{Name: "require_symbols", Default: true, Loosest: false},
				{Name: "max_age_days", Default: 90, Loosest: 365, HigherIsStricter: true},
				{Name: "min_version", Default: "TLSv1.2", Loosest: "TLSv1.2", HigherIsStricter: true},
			}},
	}
}

func policyTestRegistry(t *testing.T) *Registry {
	t.Helper()
	reg, err := NewRegistry(MustCatalog(), policyTestChecks(), configChecks)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}
