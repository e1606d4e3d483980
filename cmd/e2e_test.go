package cmd

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/internal/testenv"
)

const dsnPassword = "e2e-Secret-pw-7781"

var (
	pgOnce   sync.Once
	sharedPG *testenv.Postgres
	pgErr    error
)

func requireDemoDatabase(t *testing.T) *testenv.Postgres {
	t.Helper()
	testenv.RequirePostgres(t)
	pgOnce.Do(func() {
		ctx := context.Background()
		sharedPG, pgErr = testenv.StartPostgres(ctx, testenv.PostgresOptions{})
		if pgErr != nil {
			return
		}
		if pgErr = sharedPG.CreateDatabase(ctx, "app"); pgErr != nil {
			return
		}
		pgErr = testenv.SeedDemoDatabase(ctx, sharedPG.DSN("app"), time.Now())
	})
	if pgErr != nil {
		testenv.Unavailable(t, "PostgreSQL", pgErr)
	}
	return sharedPG
}

func stopSharedPostgres() {
	if sharedPG != nil {
		sharedPG.Stop()
	}
}

// seedBuckets creates three buckets in moto: encrypted and versioned,
// encrypted only, and neither.
func seedBuckets(t *testing.T, endpoint string) {
	t.Helper()
	ctx := context.Background()
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion("us-east-1"),
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")))
	if err != nil {
		t.Fatal(err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
	})
	for _, b := range []string{"e2e-good", "e2e-unversioned", "e2e-bare"} {
		if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range []string{"e2e-good", "e2e-unversioned"} {
		_, err := client.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{
			Bucket: aws.String(b),
			ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{{
				ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAes256},
			}}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = client.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("e2e-good"),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}})
	if err != nil {
		t.Fatal(err)
	}
}

type e2eEnv struct {
	dir, config, out string
	env              []string
}

// newE2E prepares moto, the seeded database and a configuration selecting
// the foundation checks.
func newE2E(t *testing.T, failOn, extraYAML string) *e2eEnv {
	t.Helper()
	moto := testenv.RequireMoto(t)
	pg := requireDemoDatabase(t)
	seedBuckets(t, moto.Endpoint)
	dir := t.TempDir()
	cfg := fmt.Sprintf(`organization: E2E Corp
period: last-90d
output_dir: out
formats: [junit, oscal]
fail_on: %s
aws:
  endpoint: %s
  regions: [us-east-1]
  max_attempts: 2
  max_backoff: 5ms
postgres:
  - name: app
    dsn_env: APP_DSN
    statement_timeout: 20s
    audit_log:
      table: public."AuditLogs"
      columns: {time: createdAt, event_type: eventType, outcome: outcome, actor: userId, source_ip: ipAddress}
checks:
  select: [aws.s3.default_encryption, aws.s3.versioning, postgres.auditlog.retention, postgres.auditlog.gaps]
%s`, failOn, moto.Endpoint, extraYAML)
	path := filepath.Join(dir, "auditpack.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	dsn := strings.Replace(pg.DSN("app"), "postgres@", "postgres:"+dsnPassword+"@", 1)
	return &e2eEnv{dir: dir, config: path, out: filepath.Join(dir, "out"), env: []string{
		"APP_DSN=" + dsn, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_EC2_METADATA_DISABLED=true",
	}}
}

// auditpack runs the built binary and returns its exit code and output.
func (e *e2eEnv) auditpack(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = e.dir
	cmd.Env = append(os.Environ(), e.env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("run auditpack: %v", err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

func (e *e2eEnv) bundle(t *testing.T) string {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(e.out, "auditpack-*.zip"))
	sort.Strings(matches)
	if len(matches) == 0 {
		t.Fatalf("no bundle in %s", e.out)
	}
	return matches[len(matches)-1]
}

func readZip(t *testing.T, path string) map[string][]byte {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = data
	}
	return out
}

func TestRunEndToEnd(t *testing.T) {
	e := newE2E(t, "high", "")
	code, stdout, stderr := e.auditpack(t, "run", "--log-format", "json")
	// The seeded outage and the unversioned buckets fail high-severity
	// checks.
	if code != ExitFailed {
		t.Fatalf("exit code = %d, want 1; stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	bundle := e.bundle(t)
	files := readZip(t, bundle)

	var res controls.Results
	if err := json.Unmarshal(files["results.json"], &res); err != nil {
		t.Fatal(err)
	}
	if err := controls.ValidateResults(files["results.json"]); err != nil {
		t.Errorf("results.json: %v", err)
	}
	if len(res.Criteria) != 61 {
		t.Errorf("criteria = %d, want 61", len(res.Criteria))
	}
	status := map[string]controls.Status{}
	for _, f := range res.Findings {
		status[f.CheckID+" "+f.Resource] = f.Status
	}
	want := map[string]controls.Status{
		"aws.s3.default_encryption arn:aws:s3:::e2e-good": controls.StatusPass,
		"aws.s3.versioning arn:aws:s3:::e2e-good":         controls.StatusPass,
		"aws.s3.versioning arn:aws:s3:::e2e-unversioned":  controls.StatusFail,
		"aws.s3.versioning arn:aws:s3:::e2e-bare":         controls.StatusFail,
	}
	for k, v := range want {
		if status[k] != v {
			t.Errorf("finding %s = %q, want %q", k, status[k], v)
		}
	}
	var gaps, retention []controls.Finding
	for _, f := range res.Findings {
		switch f.CheckID {
		case "postgres.auditlog.gaps":
			gaps = append(gaps, f)
		case "postgres.auditlog.retention":
			retention = append(retention, f)
		}
	}
	if len(gaps) != 1 || gaps[0].Status != controls.StatusFail {
		t.Errorf("postgres.auditlog.gaps findings = %+v, want one fail for the seeded outage", gaps)
	}
	if len(retention) != 1 || retention[0].Status != controls.StatusPass {
		t.Errorf("postgres.auditlog.retention findings = %+v, want one pass (120 days kept)", retention)
	}
	for _, name := range []string{"results.json", "config.json", "run.json", "manifest.json", "SHA256SUMS", "junit.xml", "oscal.json", "README.md"} {
		if _, ok := files[name]; !ok {
			t.Errorf("bundle lacks %s", name)
		}
	}
	for _, name := range []string{"results.json", "junit.xml", "oscal.json"} {
		if _, err := os.Stat(filepath.Join(e.out, name)); err != nil {
			t.Errorf("%s is not beside the bundle: %v", name, err)
		}
	}

	// The password in the DSN appears nowhere.
	if strings.Contains(stdout+stderr, dsnPassword) {
		t.Error("the DSN password appears in stdout or stderr")
	}
	for name, data := range files {
		if bytes.Contains(data, []byte(dsnPassword)) {
			t.Errorf("the DSN password appears in bundle file %s", name)
		}
	}

	// verify passes on the intact bundle.
	if code, out, errOut := e.auditpack(t, "verify", bundle); code != 0 {
		t.Fatalf("verify intact bundle: exit %d\n%s%s", code, out, errOut)
	}

	// Re-evaluating the bundle reproduces results.json byte for byte.
	reeval := filepath.Join(e.dir, "reeval")
	if code, _, errOut := e.auditpack(t, "evaluate", "--bundle", bundle, "--output-dir", reeval); code != ExitFailed {
		t.Fatalf("evaluate --bundle: exit %d, want 1\n%s", code, errOut)
	}
	again, err := os.ReadFile(filepath.Join(reeval, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, files["results.json"]) {
		t.Error("evaluate --bundle did not reproduce results.json byte for byte")
	}
}

// TestVerifyNamesChangedFile changes one byte of each kind of file inside a
// bundle and checks that verify exits 1 naming it.
func TestVerifyNamesChangedFile(t *testing.T) {
	e := newE2E(t, "none", "")
	if code, _, stderr := e.auditpack(t, "run"); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	bundle := e.bundle(t)
	files := readZip(t, bundle)
	var names []string
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, target := range names {
		if target == "manifest.json" || target == "SHA256SUMS" {
			continue
		}
		tampered := filepath.Join(e.dir, "tampered.zip")
		changed := map[string][]byte{}
		for n, d := range files {
			changed[n] = d
		}
		data := append([]byte(nil), files[target]...)
		data[len(data)/2] ^= 0x01
		changed[target] = data
		writeTestZip(t, tampered, changed)
		code, stdout, _ := e.auditpack(t, "verify", tampered)
		if code != 1 {
			t.Errorf("verify after changing %s: exit %d, want 1", target, code)
		}
		if !strings.Contains(stdout, "changed: "+target) {
			t.Errorf("verify after changing %s does not name it:\n%s", target, stdout)
		}
		os.Remove(tampered)
	}
}

func writeTestZip(t *testing.T, path string, files map[string][]byte) {
	t.Helper()
	var names []string
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(files[n])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func enableVersioning(t *testing.T, endpoint, bucket string) {
	t.Helper()
	ctx := context.Background()
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion("us-east-1"),
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")))
	if err != nil {
		t.Fatal(err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
	})
	_, err = client.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}})
	if err != nil {
		t.Fatal(err)
	}
}

func sha256hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
