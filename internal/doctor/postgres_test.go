package doctor

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/auditpack/auditpack/internal/config"
	"github.com/auditpack/auditpack/internal/testenv"
)

func auditLogConfig(dsnEnv string) config.Postgres {
	return config.Postgres{
		Name:             "app",
		DSNEnv:           dsnEnv,
		StatementTimeout: 10 * time.Second,
		AuditLog: &config.AuditLog{
			Table:   `public."AuditLogs"`,
			Columns: map[string]string{"time": "createdAt", "event_type": `"eventType"`},
		},
	}
}

// TestPostgresTargetProblems covers what only a live server shows: a role
// without SELECT on the table, a role that can read it, and an unset DSN
// variable.
func TestPostgresTargetProblems(t *testing.T) {
	pg := testenv.StartPostgresT(t, testenv.PostgresOptions{})
	ctx := context.Background()
	if err := pg.CreateDatabase(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	err := pg.Exec(ctx, "app",
		`CREATE TABLE public."AuditLogs" ("createdAt" timestamptz, "eventType" text)`,
		`CREATE ROLE outsider LOGIN PASSWORD 'outsider-pw-11'`,
		`CREATE ROLE reader LOGIN PASSWORD 'reader-pw-22'`,
		`GRANT SELECT ON public."AuditLogs" TO reader`,
	)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"OUTSIDER_DSN": pg.UserDSN("outsider", "outsider-pw-11", "app"),
		"READER_DSN":   pg.UserDSN("reader", "reader-pw-22", "app"),
	}
	getenv := func(name string) string { return env[name] }

	r := checkPostgres(ctx, auditLogConfig("OUTSIDER_DSN"), getenv)
	if r.OK() {
		t.Fatalf("a role without SELECT is usable: %s", r.Line())
	}
	line := r.Line()
	if !strings.Contains(line, `audit_log.table public."AuditLogs" is not readable`) || !strings.Contains(line, "GRANT SELECT") {
		t.Errorf("line %q does not say the table is unreadable and what to grant", line)
	}
	if strings.Contains(line, "outsider-pw-11") {
		t.Error("line contains the password")
	}

	r = checkPostgres(ctx, auditLogConfig("READER_DSN"), getenv)
	if !r.OK() {
		t.Fatalf("reader with SELECT is unusable: %s", r.Line())
	}
	if len(r.Warnings) != 0 {
		t.Errorf("non-superuser reader has warnings: %v", r.Warnings)
	}
	if !strings.Contains(r.Line(), "connected as reader, read-only") {
		t.Errorf("line %q does not confirm the read-only session", r.Line())
	}

	r = checkPostgres(ctx, auditLogConfig("UNSET_DSN"), getenv)
	if r.OK() || !strings.Contains(r.Line(), "UNSET_DSN") {
		t.Errorf("unset DSN variable: %s", r.Line())
	}
}

func TestResultLine(t *testing.T) {
	ok := Result{Target: "aws:111122223333", Confirmed: []string{"caller arn:aws:iam::111122223333:user/a"}}
	if got := ok.Line(); got != "ok   aws:111122223333: caller arn:aws:iam::111122223333:user/a" {
		t.Errorf("ok line = %q", got)
	}
	bad := Result{Target: "postgres app", Confirmed: []string{"connected"}, Problems: []string{"column x missing"}, Warnings: []string{"superuser"}}
	if got := bad.Line(); got != "FAIL postgres app: column x missing; warning: superuser" {
		t.Errorf("FAIL line = %q", got)
	}
}
