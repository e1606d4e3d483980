package cmd

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/internal/testenv"
)

// TestS3_05_AccessDeniedOnOneBucketBuiltBinary runs the built binary with one
// bucket denying the auditor: all three buckets stay in the results, the
// denied one gets an error finding per check naming the operation and
// AccessDenied, the reports list the exceptions, and the run exits 2.
func TestS3_05_AccessDeniedOnOneBucketBuiltBinary(t *testing.T) {
	moto := testenv.RequireMoto(t)
	ctx := context.Background()
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion("us-east-1"),
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")))
	if err != nil {
		t.Fatal(err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(moto.Endpoint)
		o.UsePathStyle = true
	})
	buckets := []string{"acme-app-data", "acme-ses-inbound", "acme-backups"}
	for _, b := range buckets {
		if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	var rules []testenv.FaultRule
	for _, op := range []string{"GetBucketEncryption", "GetBucketVersioning", "GetPublicAccessBlock"} {
		rules = append(rules, testenv.FaultRule{Service: "s3", Operation: op, Bucket: "acme-ses-inbound", Fault: testenv.FaultAccessDenied})
	}
	proxy, err := testenv.StartFaultProxy(testenv.FaultProxyOptions{Target: moto.Endpoint, Rules: rules})
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()

	dir := t.TempDir()
	config := `period: last-90d
output_dir: out
formats: [pdf, xlsx, junit]
fail_on: medium
aws:
  endpoint: ` + proxy.URL + `
  regions: [us-east-1]
  max_attempts: 2
  max_backoff: 5ms
checks:
  select: [aws.s3.default_encryption, aws.s3.versioning, aws.s3.public_access_block]
`
	if err := os.WriteFile(filepath.Join(dir, "auditpack.yaml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	e := &e2eEnv{dir: dir, out: filepath.Join(dir, "out"), env: []string{"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_EC2_METADATA_DISABLED=true"}}
	code, stdout, stderr := e.auditpack(t, "run")
	r := e.results(t)

	seen := map[string]bool{}
	for _, f := range r.Findings {
		seen[f.Resource] = true
	}
	for _, b := range buckets {
		if !seen["arn:aws:s3:::"+b] {
			t.Errorf("bucket %s is missing from results.json", b)
		}
	}
	wantOps := map[string]string{
		"aws.s3.default_encryption":  "GetBucketEncryption",
		"aws.s3.versioning":          "GetBucketVersioning",
		"aws.s3.public_access_block": "GetPublicAccessBlock",
	}
	for check, op := range wantOps {
		f, ok := findingOf(r, check, "arn:aws:s3:::acme-ses-inbound")
		if !ok {
			t.Errorf("%s has no finding for acme-ses-inbound", check)
			continue
		}
		if f.Status != controls.StatusError {
			t.Errorf("%s acme-ses-inbound = %s, want error", check, f.Status)
		}
		if !strings.Contains(f.Message, op) || !strings.Contains(f.Message, "AccessDenied") {
			t.Errorf("%s message %q does not name %s and AccessDenied", check, f.Message, op)
		}
	}
	for _, c := range r.Criteria {
		if c.ID == "CC6.1" && c.Status == controls.CriterionPass {
			t.Error("CC6.1 is pass although a bucket could not be assessed")
		}
	}
	// Nothing fails at or above medium except what the denied bucket hides,
	// so the run reports incomplete evidence unless a seeded bucket fails.
	failed := false
	for _, f := range r.Findings {
		if f.Status == controls.StatusFail && controls.Threshold("medium").Covers(f.Severity) {
			failed = true
		}
	}
	want := ExitIncomplete
	if failed {
		want = ExitFailed
	}
	if code != want {
		t.Errorf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", code, want, stdout, stderr)
	}
	if !strings.Contains(stdout, "acme-ses-inbound") {
		t.Errorf("the summary does not list the error findings:\n%s", stdout)
	}
	if text := pdfText(t, filepath.Join(e.out, "report.pdf")); text != "" {
		if !strings.Contains(text, "acme-ses-inbound") || !strings.Contains(text, "AccessDenied") {
			t.Error("the PDF's exceptions do not name acme-ses-inbound and AccessDenied")
		}
		if !strings.Contains(text, "2 of 3") {
			t.Error("the PDF does not say 2 of 3 buckets assessed")
		}
	}
}

// pdfText extracts a PDF's text with pdftotext. It returns "" (and the test
// goes on without the PDF checks) when pdftotext is missing outside CI.
func pdfText(t *testing.T, path string) string {
	t.Helper()
	tool, err := exec.LookPath("pdftotext")
	if err != nil {
		if testenv.InCI() {
			t.Fatalf("pdftotext is not installed (apt-get install poppler-utils)")
		}
		t.Log("pdftotext is not installed; skipping the PDF checks")
		return ""
	}
	out, err := exec.Command(tool, "-layout", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext %s: %v", path, err)
	}
	return string(out)
}
