package cmd

import (
	"path/filepath"
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
