package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPermissionsAWSMatchesDoc(t *testing.T) {
	e := &e2eEnv{dir: t.TempDir()}
	code, stdout, stderr := e.auditpack(t, "permissions", "aws")
	if code != ExitOK {
		t.Fatalf("permissions aws exit = %d\n%s", code, stderr)
	}
	doc, err := os.ReadFile(filepath.Join("..", "docs", "iam-policy.json"))
	if err != nil {
		t.Fatal(err)
	}
	if stdout != string(doc) {
		t.Errorf("permissions aws prints a policy that differs from docs/iam-policy.json")
	}
}

func TestPermissionsAWSSelectsChecks(t *testing.T) {
	e := &e2eEnv{dir: t.TempDir()}
	code, stdout, stderr := e.auditpack(t, "permissions", "aws", "--checks", "aws.kms.*")
	if code != ExitOK {
		t.Fatalf("permissions aws --checks exit = %d\n%s", code, stderr)
	}
	for _, want := range []string{`"kms:ListKeys"`, `"kms:GetKeyRotationStatus"`, `"arn:aws:kms:*:*:key/*"`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("policy for aws.kms.* lacks %s:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "s3:") {
		t.Errorf("policy for aws.kms.* grants S3 actions:\n%s", stdout)
	}
	code, _, stderr = e.auditpack(t, "permissions", "aws", "--checks", "aws.nosuch.*")
	if code != ExitUsage || !strings.Contains(stderr, "aws.nosuch.*") {
		t.Errorf("unknown check pattern: exit %d, stderr %q; expected 3 naming the pattern", code, stderr)
	}
}

func TestPermissionsPostgresScript(t *testing.T) {
	dir := t.TempDir()
	cfg := `postgres:
  - name: app
    dsn_env: APP_DSN
    audit_log:
      table: audit."Events"
      columns: {time: at, event_type: kind}
`
	path := filepath.Join(dir, "auditpack.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	const password = "Hidden-pw-3309"
	e := &e2eEnv{dir: dir, env: []string{"APP_DSN=postgres://owner:" + password + "@127.0.0.1:5544/appdb"}}
	code, stdout, stderr := e.auditpack(t, "permissions", "postgres", "--config", path, "--role", "audit_ro")
	if code != ExitOK {
		t.Fatalf("permissions postgres exit = %d\n%s", code, stderr)
	}
	for _, want := range []string{
		`CREATE ROLE "audit_ro" LOGIN PASSWORD :'password'`,
		`ALTER ROLE "audit_ro" SET default_transaction_read_only = on;`,
		`GRANT pg_read_all_settings TO "audit_ro";`,
		`GRANT CONNECT ON DATABASE "appdb" TO "audit_ro";`,
		`GRANT USAGE ON SCHEMA "audit" TO "audit_ro";`,
		`GRANT SELECT ON TABLE "audit"."Events" TO "audit_ro";`,
		"-- Server 127.0.0.1:5544",
		"pg_hba_file_rules",
		"pg_authid",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("script lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, password) || strings.Contains(stderr, password) {
		t.Error("the script or the error output contains the DSN password")
	}

	code, stdout, stderr = e.auditpack(t, "permissions", "postgres", "--config", path, "--grant-hba-rules")
	if code != ExitOK {
		t.Fatalf("permissions postgres --grant-hba-rules exit = %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, `GRANT SELECT ON pg_catalog.pg_hba_file_rules TO "auditpack_reader";`) {
		t.Errorf("--grant-hba-rules script lacks the pg_hba_file_rules grant:\n%s", stdout)
	}

	e.env = nil
	code, _, stderr = e.auditpack(t, "permissions", "postgres", "--config", path)
	if code != ExitUsage || !strings.Contains(stderr, "APP_DSN") {
		t.Errorf("unset dsn_env: exit %d, stderr %q; expected 3 naming APP_DSN", code, stderr)
	}
}
