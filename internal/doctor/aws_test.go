package doctor

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditpack/auditpack/collectors"
	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/internal/config"
	"github.com/auditpack/auditpack/internal/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopSharedMoto()
	os.Exit(code)
}

func selectChecks(t *testing.T, patterns ...string) []*controls.Check {
	t.Helper()
	cat, err := controls.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	reg, err := controls.DefaultRegistry(cat)
	if err != nil {
		t.Fatal(err)
	}
	checks, err := reg.Select(patterns, nil)
	if err != nil {
		t.Fatal(err)
	}
	return checks
}

// TestAWSAccessDeniedNamesAction makes the AWS Backup fake deny every call
// and expects the account to be unusable with the IAM action to allow.
func TestAWSAccessDeniedNamesAction(t *testing.T) {
	moto := testenv.RequireMoto(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	fake, err := testenv.StartBackupFake(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	fake.FailWith(403, "AccessDeniedException", "User is not authorized to perform: backup:ListBackupJobs")

	cfg := config.Defaults()
	cfg.AWS = &config.AWS{
		Endpoint:         moto.Endpoint,
		Regions:          []string{"us-east-1"},
		MaxAttempts:      1,
		MaxBackoff:       time.Millisecond,
		ServiceEndpoints: map[string]string{"backup": fake.URL},
	}
	env := collectors.NewEnv(cfg, nil)
	env.Getenv = func(string) string { return "" }

	var sent []string
	results := Run(context.Background(), Options{
		Env:    env,
		Checks: selectChecks(t, "aws.backup.*", "aws.s3.versioning"),
		OnCall: func(service, operation, _ string) { sent = append(sent, service+":"+operation) },
	})
	if len(results) != 1 {
		t.Fatalf("got %d results, expected one for the account", len(results))
	}
	r := results[0]
	if r.OK() {
		t.Fatalf("account with a denied call is usable: %s", r.Line())
	}
	line := r.Line()
	for _, want := range []string{"aws:123456789012", "backup:ListBackupJobs failed with AccessDeniedException", "allow backup:ListBackupJobs"} {
		if !strings.Contains(line, want) {
			t.Errorf("line %q lacks %q", line, want)
		}
	}
	for _, op := range sent {
		if strings.HasPrefix(op, "KMS:") || strings.HasPrefix(op, "RDS:") || strings.HasPrefix(op, "IAM:") {
			t.Errorf("doctor sent %s although no selected check uses that service", op)
		}
	}
	if !strings.Contains(strings.Join(sent, " "), "S3:ListBuckets") {
		t.Errorf("doctor did not try S3 for aws.s3.versioning; sent %v", sent)
	}
}
