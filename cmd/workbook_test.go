package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestS3_01_WorkbookShowsAlgorithmAsReturned checks that the collected S3
// encryption algorithm and versioning fields have columns of their own in
// the workbook, with the values exactly as S3 returned them.
func TestS3_01_WorkbookShowsAlgorithmAsReturned(t *testing.T) {
	e := newE2E(t, "none", "")
	if code, _, stderr := e.auditpack(t, "run", "--checks", "aws.s3.default_encryption,aws.s3.versioning", "--formats", "xlsx"); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	f, err := excelize.OpenFile(filepath.Join(e.out, "report.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("aws.s3.bucket")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 2 {
		t.Fatalf("aws.s3.bucket sheet has %d rows", len(rows))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, h := range []string{"encryption.rules[0].sse_algorithm", "versioning.status", "versioning.mfa_delete"} {
		if _, ok := col[h]; !ok {
			t.Errorf("no column %q in %v", h, rows[0])
		}
	}
	found := false
	for _, r := range rows[1:] {
		if len(r) > 0 && r[0] == "arn:aws:s3:::e2e-good" {
			found = true
			if i := col["encryption.rules[0].sse_algorithm"]; i >= len(r) || r[i] != "AES256" {
				t.Errorf("e2e-good algorithm cell = %v, want AES256", r)
			}
			if i := col["versioning.status"]; i >= len(r) || r[i] != "Enabled" {
				t.Errorf("e2e-good versioning cell = %v, want Enabled", r)
			}
		}
	}
	if !found {
		t.Error("no row for e2e-good")
	}
}

// TestReportsShowScopeWaiversAndCustody checks that the PDF and the
// workbook list the waivers with their state, the excluded resources, the
// company control ids, the chain of custody and the signing key.
func TestReportsShowScopeWaiversAndCustody(t *testing.T) {
	e := newE2E(t, "none", `waivers: waivers.yaml
scope:
  exclude: ["arn:aws:s3:::e2e-unversioned"]
control_ids:
  - {id: SEC-07, criteria: [A1.2], checks: [aws.s3.versioning]}
signing: {key_env: TEST_SIGNING_KEY}
`)
	e.writeFile(t, "waivers.yaml", `waivers:
  - {id: W-BARE, check: aws.s3.versioning, resource: "arn:aws:s3:::e2e-bare", justification: Scratch bucket, approver: Jane Roe, expires: 2099-12-31}
  - {id: W-STALE, check: aws.s3.versioning, resource: "arn:aws:s3:::gone-*", justification: Old exception, approver: Jane Roe, expires: 2099-12-31}
`)
	keys := filepath.Join(e.dir, "keys")
	e.auditpack(t, "keygen", "--out-dir", keys)
	priv, err := os.ReadFile(filepath.Join(keys, "auditpack.key"))
	if err != nil {
		t.Fatal(err)
	}
	e.env = append(e.env, "TEST_SIGNING_KEY="+string(priv))
	if code, _, stderr := e.auditpack(t, "run", "--checks", "aws.s3.versioning", "--formats", "pdf,xlsx"); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	if text := pdfText(t, filepath.Join(e.out, "report.pdf")); text != "" {
		for _, want := range []string{"W-BARE", "W-STALE", "unmatched", "arn:aws:s3:::e2e-unversioned", "SEC-07", "Chain of custody", "aws:123456789012", "SHA256:"} {
			if !strings.Contains(text, want) {
				t.Errorf("the PDF lacks %q", want)
			}
		}
	}
	f, err := excelize.OpenFile(filepath.Join(e.out, "report.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheets := map[string]string{}
	for _, name := range []string{"Waivers", "Scope", "Company controls", "Chain of custody"} {
		rows, err := f.GetRows(name)
		if err != nil {
			t.Errorf("sheet %s: %v", name, err)
			continue
		}
		var all []string
		for _, r := range rows {
			all = append(all, strings.Join(r, "|"))
		}
		sheets[name] = strings.Join(all, "\n")
	}
	checks := map[string][]string{
		"Waivers":          {"W-BARE", "active", "W-STALE", "unmatched"},
		"Scope":            {"excluded by scope.exclude", "arn:aws:s3:::e2e-unversioned"},
		"Company controls": {"SEC-07", "aws.s3.versioning"},
		"Chain of custody": {"AWS caller identity", "Manifest signed by"},
	}
	for sheet, wants := range checks {
		for _, want := range wants {
			if !strings.Contains(sheets[sheet], want) {
				t.Errorf("sheet %s lacks %q:\n%s", sheet, want, sheets[sheet])
			}
		}
	}
}
