package xlsx

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/reports"
	"github.com/auditpack/auditpack/reports/internal/fixture"
)

func render(t *testing.T, in *reports.Input) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := New().Write(in, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func open(t *testing.T, data []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("reopen workbook: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// sheetRows returns a sheet's rows as header name → value maps.
func sheetRows(t *testing.T, f *excelize.File, sheet string) []map[string]string {
	t.Helper()
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatalf("read sheet %s: %v", sheet, err)
	}
	if len(rows) == 0 {
		t.Fatalf("sheet %s is empty", sheet)
	}
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			if i < len(r) {
				m[h] = r[i]
			}
		}
		out = append(out, m)
	}
	return out
}

func findRow(rows []map[string]string, col, value string) map[string]string {
	for _, r := range rows {
		if r[col] == value {
			return r
		}
	}
	return nil
}

func TestWorkbookSheetsAndValues(t *testing.T) {
	in := fixture.Small()
	f := open(t, render(t, in))

	want := []string{"Summary", "Criteria", "Checks", "Findings", "Exceptions", "Waivers", "Scope", "aws.iam.user", "aws.s3.bucket", "postgres.audit_event", "postgres.server", "Provenance"}
	if got := f.GetSheetList(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("sheets = %v, want %v", got, want)
	}

	findings := sheetRows(t, f, "Findings")
	if len(findings) != len(in.Results.Findings) {
		t.Errorf("Findings rows = %d, want %d", len(findings), len(in.Results.Findings))
	}
	crit := sheetRows(t, f, "Criteria")
	if len(crit) != 61 {
		t.Errorf("Criteria rows = %d, want 61", len(crit))
	}
	if r := findRow(crit, "Criterion", "CC1.4"); r == nil || !strings.Contains(r["Manual evidence"], "MISSING: manual/hr/training-records.xlsx") {
		t.Errorf("CC1.4 row does not mark its manual evidence missing: %v", r)
	}
	if r := findRow(crit, "Criterion", "CC2.1"); r == nil || !strings.Contains(r["Manual evidence"], "No manual evidence is attached") {
		t.Errorf("CC2.1 row does not say its manual evidence is missing: %v", r)
	}

	checks := sheetRows(t, f, "Checks")
	if r := findRow(checks, "Check", "aws.s3.versioning"); r == nil || r["Coverage"] != "2 of 3 resources assessed" {
		t.Errorf("aws.s3.versioning coverage = %v, want 2 of 3 resources assessed", r)
	}

	backup := 0
	for _, r := range findings {
		if r["Check"] == "aws.backup.job_results" {
			backup++
			if !strings.Contains(r["Note"], "last 30 days") {
				t.Errorf("backup finding %s lacks the 30-day note", r["Resource"])
			}
		}
	}
	if backup != 5 {
		t.Errorf("backup findings = %d, want 5", backup)
	}
	if r := findRow(findings, "Resource", fixture.RootARN+" (root user)"); r == nil {
		t.Error("the root user's finding is not marked as root")
	}
	if r := findRow(findings, "Status", "waived"); r == nil || !strings.Contains(r["Waiver"], "W-2026-004") {
		t.Errorf("waived finding lacks its waiver: %v", r)
	}
}

func TestWorkbookExceptionsListErrorFindings(t *testing.T) {
	in := fixture.Small()
	f := open(t, render(t, in))
	rows := sheetRows(t, f, "Exceptions")
	listed := map[string]string{}
	for _, r := range rows {
		listed[r["Check"]+" "+r["Resource"]] = r["Operation and error"]
	}
	n := 0
	for _, fd := range in.Results.Findings {
		if fd.Status != controls.StatusError {
			continue
		}
		n++
		msg, ok := listed[fd.CheckID+" "+fd.Resource]
		if !ok {
			t.Errorf("error finding %s on %s is not listed", fd.CheckID, fd.Resource)
			continue
		}
		if msg != fd.Message || !strings.Contains(msg, "AccessDenied") {
			t.Errorf("exception %s on %s reads %q, want its message %q", fd.CheckID, fd.Resource, msg, fd.Message)
		}
	}
	if n != 4 {
		t.Errorf("fixture has %d error findings, want 4", n)
	}
	failure := listed["checks reading aws.ec2.region "+fixture.RegionFailure.Scope]
	if !strings.Contains(failure, "collector aws.ec2: ec2:GetEbsEncryptionByDefault failed with AccessDenied") {
		t.Errorf("collection failure row = %q", failure)
	}
}

func TestWorkbookEvidenceAsCollected(t *testing.T) {
	f := open(t, render(t, fixture.Small()))
	buckets := sheetRows(t, f, "aws.s3.bucket")
	app := findRow(buckets, "Resource", "arn:aws:s3:::acme-app-data")
	if app == nil {
		t.Fatal("acme-app-data row missing")
	}
	if app["algorithm"] != "AES256" {
		t.Errorf("algorithm = %q, want AES256 exactly as returned", app["algorithm"])
	}
	if app["mfa_delete"] != "Disabled" {
		t.Errorf("mfa_delete = %q, want Disabled", app["mfa_delete"])
	}
	if app["created (UTC)"] != "2019-03-02T10:00:00Z" {
		t.Errorf("created (UTC) = %q", app["created (UTC)"])
	}
	if backups := findRow(buckets, "Resource", "arn:aws:s3:::acme-backups"); backups["created (UTC)"] != "2021-07-14T06:30:00Z" {
		t.Errorf("a +02:00 time is not shown in UTC: %q", backups["created (UTC)"])
	}
	if app["policy.Version"] != "2012-10-17" {
		t.Errorf("nested object not spread into columns: policy.Version = %q", app["policy.Version"])
	}
	if got := app["policy.Statement[0].Condition.Bool"]; got != `{"aws:SecureTransport":"false"}` {
		t.Errorf("a value below the spread depth is not compact JSON text: %q", got)
	}
	denied := findRow(buckets, "Resource", "arn:aws:s3:::acme-ses-inbound")
	if denied == nil || !strings.Contains(denied["Collection errors"], "s3:GetBucketEncryption failed with AccessDenied") {
		t.Errorf("denied bucket row lacks its collection errors: %v", denied)
	}

	users := sheetRows(t, f, "aws.iam.user")
	root := findRow(users, "Resource", fixture.RootARN+" (root user)")
	if root == nil {
		t.Fatal("root user row is not shown as root")
	}
	if root["password_enabled"] != "n/a (root)" {
		t.Errorf("root password_enabled = %q, want n/a (root)", root["password_enabled"])
	}
	if dorde := findRow(users, "user", fixture.UserDorde); dorde == nil || dorde["password_enabled"] != "true" {
		t.Errorf("an ordinary user's row was changed: %v", dorde)
	}

	audit := sheetRows(t, f, "postgres.audit_event")
	if len(audit) != 1 || audit[0]["created_at (UTC)"] != "2026-03-29T00:30:00Z" {
		t.Errorf("audit event rows = %v", audit)
	}

	prov := sheetRows(t, f, "Provenance")
	if r := findRow(prov, "Operation", "s3:ListBuckets"); r == nil || r["Attempts"] != "4" || r["Time (UTC)"] == "" {
		t.Errorf("provenance lacks the attempts of s3:ListBuckets: %v", r)
	}
	if r := findRow(prov, "Operation", "postgres:ssl_settings"); r == nil || !strings.HasPrefix(r["SQL"], "SELECT name, setting FROM pg_settings") {
		t.Errorf("provenance lacks the SQL text: %v", r)
	}
}

func TestPDF_01_WorkbookKeepsNames(t *testing.T) {
	f := open(t, render(t, fixture.Small()))
	users := sheetRows(t, f, "aws.iam.user")
	for _, name := range []string{fixture.UserJurgen, fixture.UserDorde, fixture.UserLi, fixture.UserZoe} {
		if findRow(users, "user", name) == nil {
			t.Errorf("no aws.iam.user row holds %q exactly", name)
		}
	}
	checks := sheetRows(t, f, "Checks")
	if r := findRow(checks, "Check", "aws.iam.unused_credentials"); r == nil || !strings.Contains(r["Title"], fixture.AtLeast90) {
		t.Errorf("check title lost %q: %v", fixture.AtLeast90, r)
	}
}

// sheetXML returns the worksheet parts of a workbook.
func sheetXML(t *testing.T, data []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, zf := range zr.File {
		if !strings.HasPrefix(zf.Name, "xl/worksheets/sheet") {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[zf.Name] = string(b)
	}
	return out
}

func TestWorkbookFormulaLikeValuesStayText(t *testing.T) {
	data := render(t, fixture.Small())
	for name, xml := range sheetXML(t, data) {
		if strings.Contains(xml, "<f>") || strings.Contains(xml, "<f ") {
			t.Errorf("%s contains a formula", name)
		}
	}
	f := open(t, data)
	buckets := sheetRows(t, f, "aws.s3.bucket")
	var got []string
	for _, r := range buckets {
		if r["owner_tag"] != "" {
			got = append(got, r["owner_tag"], r["cost_center_tag"])
		}
	}
	if strings.Join(got, "|") != strings.Join(fixture.FormulaLike, "|") {
		t.Errorf("formula-like values = %q, want %q", got, fixture.FormulaLike)
	}
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for r, row := range rows {
			for c, v := range row {
				if v == "" {
					continue
				}
				ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if formula, _ := f.GetCellFormula(sheet, ref); formula != "" {
					t.Errorf("%s!%s holds formula %q", sheet, ref, formula)
				}
				if strings.IndexAny(v[:1], "=+-@") == 0 {
					if typ, _ := f.GetCellType(sheet, ref); typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString {
						t.Errorf("%s!%s = %q has cell type %v, want a string cell", sheet, ref, v, typ)
					}
				}
			}
		}
	}
}

func TestWorkbookFrozenHeaderAndFilter(t *testing.T) {
	data := render(t, fixture.Small())
	f := open(t, data)
	filters := map[int]bool{}
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm._FilterDatabase" {
			idx, err := f.GetSheetIndex(dn.Scope)
			if err != nil {
				t.Fatal(err)
			}
			filters[idx] = true
		}
	}
	parts := sheetXML(t, data)
	for i, sheet := range f.GetSheetList()[1:] {
		panes, err := f.GetPanes(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("%s: header row is not frozen: %+v", sheet, panes)
		}
		if !filters[i+1] {
			t.Errorf("%s: no filter name in the workbook", sheet)
		}
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		last, _ := excelize.CoordinatesToCellName(len(rows[0]), max(len(rows), 2))
		part := parts[fmt.Sprintf("xl/worksheets/sheet%d.xml", i+2)]
		if !strings.Contains(part, `<autoFilter ref="A1:`+last+`"/>`) {
			t.Errorf("%s: no autoFilter over A1:%s", sheet, last)
		}
	}
}

func TestWorkbookSummaryChart(t *testing.T) {
	data := render(t, fixture.Small())
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, zf := range zr.File {
		if zf.Name == "xl/charts/chart1.xml" {
			found = true
		}
	}
	if !found {
		t.Error("workbook has no native chart")
	}
	f := open(t, data)
	v, _ := f.GetCellValue("Summary", "B5")
	if v != fixture.Small().Results.Run.ID {
		t.Errorf("Summary!B5 = %q, want the run id", v)
	}
}

func TestWorkbookDeterministic(t *testing.T) {
	a, b := render(t, fixture.Small()), render(t, fixture.Small())
	if !bytes.Equal(a, b) {
		t.Error("two renders of the same input differ")
	}
}

// policyJSON builds a bucket policy of exactly n ASCII characters.
func policyJSON(n int) string {
	var b strings.Builder
	b.WriteString(`{"Version":"2012-10-17","Statement":[`)
	for i := 0; b.Len() < n-200; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"Sid":"AllowRole%04d","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app-%04d"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-data/*"}`, i, i)
	}
	b.WriteString(`],"Id":"`)
	pad := n - b.Len() - 2
	b.WriteString(strings.Repeat("p", pad))
	b.WriteString(`"}`)
	return b.String()
}

func credentialReport(n int) string {
	var b strings.Builder
	b.WriteString("user,arn,user_creation_time,password_enabled,password_last_used,mfa_active\n")
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "user-%05d,arn:aws:iam::111122223333:user/user-%05d,2024-01-10T00:05:00+00:00,true,2026-11-01T10:00:00+00:00,false\n", i, i)
	}
	return b.String()[:n]
}

var markerRe = regexp.MustCompile(`…\[truncated; (\d+) chars total; full text: (attachments/[^,]+), sha256=([0-9a-f]{64})\]$`)

func TestXLSX_02_LongCellsCutWithMarker(t *testing.T) {
	policy := policyJSON(41000)
	report := credentialReport(58000)
	synthetic := strings.Repeat("A", 32765) + "😀𩸽"
	if len(policy) != 41000 || len(report) != 58000 || utf8.RuneCountInString(synthetic) != 32767 || utf16Len(synthetic) != 32769 {
		t.Fatalf("inputs have the wrong size: %d, %d, %d runes / %d units", len(policy), len(report), utf8.RuneCountInString(synthetic), utf16Len(synthetic))
	}
	if got := cutUTF16(synthetic, MaxCellUnits); got != strings.Repeat("A", 32765)+"😀" {
		t.Errorf("cut without marker keeps %d units, want 32,765 × A + 😀", utf16Len(got))
	}

	in := fixture.Small()
	add := func(kind, resource string, attrs map[string]any) {
		in.Evidence.Items = append(in.Evidence.Items, mustItem(kind, resource, attrs))
	}
	add("aws.s3.bucket", "arn:aws:s3:::acme-data", map[string]any{"name": "acme-data", "policy": policy})
	add("aws.iam.credential_report", "aws:111122223333", map[string]any{"content": report})
	add("synthetic.long", "synthetic:astral", map[string]any{"value": synthetic})
	in.Evidence.Sort()

	f := open(t, render(t, in))
	originals := map[string]string{"policy": policy, "content": report, "value": synthetic}
	cut := map[string]string{}
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		for r, row := range rows {
			for c, v := range row {
				if n := utf16Len(v); n > MaxCellUnits {
					t.Errorf("%s row %d col %d holds %d UTF-16 units", sheet, r+1, c+1, n)
				}
				if !utf8.ValidString(v) || strings.ContainsRune(v, utf8.RuneError) {
					t.Errorf("%s row %d col %d holds an invalid or replaced character", sheet, r+1, c+1)
				}
				if strings.Contains(v, "…[truncated;") && r > 0 {
					cut[rows[0][c]] = v
				}
			}
		}
	}

	attachments := map[string][]byte{}
	for _, a := range in.Attachments() {
		attachments[a.Path] = a.Data
	}
	for col, orig := range originals {
		v, ok := cut[col]
		if !ok {
			t.Errorf("%s was not cut with a marker", col)
			continue
		}
		m := markerRe.FindStringSubmatch(v)
		if m == nil {
			t.Errorf("%s: marker missing or malformed at the end of %q", col, v[len(v)-200:])
			continue
		}
		if m[1] != fmt.Sprint(utf8.RuneCountInString(orig)) {
			t.Errorf("%s: marker total %s, want %d", col, m[1], utf8.RuneCountInString(orig))
		}
		prefix := strings.TrimSuffix(v, m[0])
		if !strings.HasPrefix(orig, prefix) {
			t.Errorf("%s: kept text is not a prefix of the original", col)
		}
		if utf16Len(v) > MaxCellUnits || utf16Len(v) < MaxCellUnits-2 {
			t.Errorf("%s: cell holds %d units, want the limit filled up to the last whole character", col, utf16Len(v))
		}
		data, ok := attachments[m[2]]
		if !ok {
			t.Errorf("%s: attachment %s is not in the bundle (have %v)", col, m[2], keys(attachments))
			continue
		}
		if !bytes.Equal(data, []byte(orig)) {
			t.Errorf("%s: attachment differs from the original value", col)
		}
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) != m[3] {
			t.Errorf("%s: marker sha256 does not match the attachment", col)
		}
	}
	if got := cut["value"]; got != "" && strings.ContainsRune(got, '𩸽') {
		t.Error("synthetic value kept the character beyond the limit")
	}
	if _, ok := attachments["attachments/aws.s3.bucket/arn_aws_s3___acme-data.policy.json"]; !ok {
		t.Errorf("policy attachment path = %v, want attachments/aws.s3.bucket/arn_aws_s3___acme-data.policy.json", keys(attachments))
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestSheetNamesValidAndUnique(t *testing.T) {
	n := newSheetNames()
	cases := []struct{ in, want string }{
		{"Summary", "Summary"},
		{"summary", "summary (2)"},
		{"History", "History data"},
		{"a:b\\c/d?e*f[g]h", "a_b_c_d_e_f_g_h"},
		{"'quoted'", "_quoted_"},
		{"Zoë's sheet", "Zoë_s sheet"},
		{"", "Sheet"},
		{"aws.organizations.delegated_administrator", "aws.organizations.delegated_adm"},
		{"aws.organizations.delegated_administrator2", "aws.organizations.delegated (2)"},
		{strings.Repeat("x", 30) + "😀", strings.Repeat("x", 30)},
	}
	for _, c := range cases {
		got := n.name(c.in)
		if got != c.want {
			t.Errorf("name(%q) = %q, want %q", c.in, got, c.want)
		}
		if utf16Len(got) > MaxSheetUnits || strings.ContainsAny(got, invalidSheetChars) {
			t.Errorf("name(%q) = %q is not a valid sheet name", c.in, got)
		}
	}
}

func TestWorkbookEscapesControlAndEscapeLikeText(t *testing.T) {
	in := fixture.Small()
	values := []string{"line1\nline2\ttab", "bell\a and nul\x00", "_x0041_ stays literal", "<tag> & \"quotes\""}
	in.Evidence.Items = append(in.Evidence.Items, mustItem("synthetic.text", "synthetic:escapes", map[string]any{
		"a": values[0], "b": values[1], "c": values[2], "d": values[3],
	}))
	in.Evidence.Sort()
	f := open(t, render(t, in))
	rows := sheetRows(t, f, "synthetic.text")
	if len(rows) != 1 {
		t.Fatalf("rows = %d, want 1", len(rows))
	}
	for i, key := range []string{"a", "b", "c", "d"} {
		if rows[0][key] != values[i] {
			t.Errorf("%s = %q, want %q exactly", key, rows[0][key], values[i])
		}
	}
}
