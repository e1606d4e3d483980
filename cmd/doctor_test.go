package cmd

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auditpack/auditpack/internal/testenv"
)

// newDoctor writes a configuration for doctor that points at awsEndpoint,
// backupEndpoint and dsn, with timeColumn as the audit log's time column.
func newDoctor(t *testing.T, awsEndpoint, backupEndpoint, dsn, timeColumn string) *e2eEnv {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`aws:
  endpoint: %s
  service_endpoints: {backup: %s}
  regions: [us-east-1, eu-west-1]
  max_attempts: 2
  max_backoff: 5ms
postgres:
  - name: app
    dsn_env: APP_DSN
    statement_timeout: 20s
    audit_log:
      table: public."AuditLogs"
      columns: {time: %s, event_type: eventType, outcome: outcome, actor: userId, source_ip: ipAddress}
    users:
      table: public."Users"
      columns: {id: id, email: email, role: role, status: status, last_login: lastLoginAt, mfa: mfaEnabled}
`, awsEndpoint, backupEndpoint, timeColumn)
	path := filepath.Join(dir, "auditpack.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return &e2eEnv{dir: dir, config: path, out: filepath.Join(dir, "out"), env: []string{
		"APP_DSN=" + dsn, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_EC2_METADATA_DISABLED=true",
	}}
}

// doctorTargets starts what a healthy configuration points at: moto, the
// AWS Backup fake and the seeded database, and returns their addresses.
func doctorTargets(t *testing.T) (motoURL, backupURL, dsn string) {
	t.Helper()
	moto := testenv.RequireMoto(t)
	pg := requireDemoDatabase(t)
	fake, err := testenv.StartBackupFake(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	dsn = strings.Replace(pg.DSN("app"), "postgres@", "postgres:"+dsnPassword+"@", 1)
	return moto.Endpoint, fake.URL, dsn
}

func closedLoopbackURL(t *testing.T, scheme string) string {
	t.Helper()
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s://127.0.0.1:%d", scheme, port)
}

func lineFor(stdout, prefix string) string {
	for _, l := range strings.Split(stdout, "\n") {
		if strings.Contains(l, prefix) {
			return l
		}
	}
	return ""
}

func TestDoctorAllGood(t *testing.T) {
	motoURL, backupURL, dsn := doctorTargets(t)
	e := newDoctor(t, motoURL, backupURL, dsn, "createdAt")
	code, stdout, stderr := e.auditpack(t, "doctor", "--config", e.config)
	if code != ExitOK {
		t.Fatalf("doctor exit = %d, expected 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	awsLine := lineFor(stdout, "aws:")
	if !strings.HasPrefix(awsLine, "ok") {
		t.Errorf("AWS line %q does not start with ok", awsLine)
	}
	for _, want := range []string{"caller arn:aws:", "regions us-east-1, eu-west-1 reachable", "s3:ListBuckets", "iam:GetAccountSummary", "backup:ListBackupJobs"} {
		if !strings.Contains(awsLine, want) {
			t.Errorf("AWS line %q lacks %q", awsLine, want)
		}
	}
	pgLine := lineFor(stdout, "postgres app")
	if !strings.HasPrefix(pgLine, "ok") {
		t.Errorf("database line %q does not start with ok", pgLine)
	}
	for _, want := range []string{"read-only", `audit_log.table public."AuditLogs" readable`, `users.table public."Users" readable`, "superuser"} {
		if !strings.Contains(pgLine, want) {
			t.Errorf("database line %q lacks %q", pgLine, want)
		}
	}
	if strings.Contains(stdout+stderr, dsnPassword) {
		t.Error("doctor output contains the database password")
	}
}

func TestDoctorUnreachableDatabase(t *testing.T) {
	motoURL, backupURL, _ := doctorTargets(t)
	closed := closedLoopbackURL(t, "postgres")
	dsn := strings.Replace(closed, "postgres://", "postgres://postgres:"+dsnPassword+"@", 1) + "/app?sslmode=disable&connect_timeout=5"
	e := newDoctor(t, motoURL, backupURL, dsn, "createdAt")
	code, stdout, stderr := e.auditpack(t, "doctor", "--config", e.config)
	if code != ExitUsage {
		t.Fatalf("doctor exit = %d, expected 3\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	pgLine := lineFor(stdout, "postgres app")
	if !strings.HasPrefix(pgLine, "FAIL") || !strings.Contains(pgLine, strings.TrimPrefix(closed, "postgres://")) || !strings.Contains(pgLine, "connect failed") {
		t.Errorf("database line %q does not name the unreachable address and the failed connection", pgLine)
	}
	if !strings.HasPrefix(lineFor(stdout, "aws:"), "ok") {
		t.Errorf("AWS line is not ok although moto is up:\n%s", stdout)
	}
	if strings.Contains(stdout+stderr, dsnPassword) {
		t.Error("doctor output contains the database password")
	}
}

func TestDoctorMissingColumn(t *testing.T) {
	motoURL, backupURL, dsn := doctorTargets(t)
	e := newDoctor(t, motoURL, backupURL, dsn, "loggedAt")
	code, stdout, stderr := e.auditpack(t, "doctor", "--config", e.config)
	if code != ExitUsage {
		t.Fatalf("doctor exit = %d, expected 3\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	pgLine := lineFor(stdout, "postgres app")
	if !strings.HasPrefix(pgLine, "FAIL") {
		t.Errorf("database line %q does not start with FAIL", pgLine)
	}
	if !strings.Contains(pgLine, `column "loggedAt" (audit_log.columns.time) not found`) {
		t.Errorf("database line %q does not name the missing column and its key", pgLine)
	}
}

func TestDoctorWrongAWSEndpoint(t *testing.T) {
	_, backupURL, dsn := doctorTargets(t)
	closed := closedLoopbackURL(t, "http")
	e := newDoctor(t, closed, backupURL, dsn, "createdAt")
	code, stdout, stderr := e.auditpack(t, "doctor", "--config", e.config)
	if code != ExitUsage {
		t.Fatalf("doctor exit = %d, expected 3\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	awsLine := lineFor(stdout, "aws:")
	if !strings.HasPrefix(awsLine, "FAIL") {
		t.Errorf("AWS line %q does not start with FAIL", awsLine)
	}
	for _, want := range []string{closed, "sts:GetCallerIdentity", "caller identity"} {
		if !strings.Contains(awsLine, want) {
			t.Errorf("AWS line %q lacks %q", awsLine, want)
		}
	}
	if !strings.HasPrefix(lineFor(stdout, "postgres app"), "ok") {
		t.Errorf("database line is not ok although the database is up:\n%s", stdout)
	}
	if !strings.Contains(stderr, "unusable") {
		t.Errorf("stderr %q does not say a target is unusable", stderr)
	}
}
