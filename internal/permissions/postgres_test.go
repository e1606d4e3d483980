package permissions_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/auditpack/auditpack/collectors"
	pgcollect "github.com/auditpack/auditpack/collectors/postgres"
	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/internal/config"
	"github.com/auditpack/auditpack/internal/period"
	"github.com/auditpack/auditpack/internal/permissions"
	"github.com/auditpack/auditpack/internal/testenv"
)

const readerPassword = "reader-Pw-5521"

// documentedDenials are the queries that the role script lists as closed
// to a non-superuser.
var documentedDenials = map[string]bool{
	"postgres:server_hba_rules": true,
	"postgres:role_passwords":   true,
}

func demoPostgresConfig() config.Postgres {
	return config.Postgres{
		Name:             "app",
		DSNEnv:           "APP_DSN",
		StatementTimeout: 20 * time.Second,
		AuditLog: &config.AuditLog{
			Table:   `public."AuditLogs"`,
			Columns: map[string]string{"time": "createdAt", "event_type": "eventType", "outcome": "outcome", "actor": "userId", "source_ip": "ipAddress"},
			Owners:  []string{"postgres"},
			Events: config.AuditLogEvents{
				Login: []string{"user_login"}, FailureOutcomes: []string{"failure"}, Lockout: []string{"account_locked"},
				PermissionChange: []string{"permission_change", "role_change"},
				GDPRRequest:      []string{"gdpr_request"}, GDPRCompleted: []string{"gdpr_completed"},
			},
		},
		Users: &config.Users{
			Table:          `public."Users"`,
			Columns:        map[string]string{"id": "id", "email": "email", "role": "role", "status": "status", "last_login": "lastLoginAt", "mfa": "mfaEnabled"},
			ActiveStatuses: []string{"active"},
			AdminRoles:     []string{"admin", "superadmin"},
		},
	}
}

// TestReaderRoleCollects creates the role from the generated script with
// psql, runs every PostgreSQL collector as that role, and expects no error
// but the documented permission denials.
func TestReaderRoleCollects(t *testing.T) {
	collectAsReader(t, false, documentedDenials)
}

// TestReaderRoleReadsHBARules repeats the run with --grant-hba-rules, where
// only pg_authid stays closed and ssl_required judges the pg_hba rules.
func TestReaderRoleReadsHBARules(t *testing.T) {
	collectAsReader(t, true, map[string]bool{"postgres:role_passwords": true})
}

func collectAsReader(t *testing.T, readHBA bool, expectedDenials map[string]bool) {
	t.Helper()
	pg := testenv.StartPostgresT(t, testenv.PostgresOptions{SSL: true})
	ctx := context.Background()
	if err := pg.CreateDatabase(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := testenv.SeedDemoDatabase(ctx, pg.DSN("app"), now); err != nil {
		t.Fatal(err)
	}

	pc := demoPostgresConfig()
	script, err := permissions.PostgresRole(permissions.PostgresInput{
		Databases: []permissions.Database{{Name: "app", Host: pg.Host, Port: uint16(pg.Port), DBName: "app", AuditLogTable: pc.AuditLog.Table, UsersTable: pc.Users.Table}},
		Collectors: map[string]bool{
			permissions.CollectorServer: true, permissions.CollectorRoles: true,
			permissions.CollectorUsers: true, permissions.CollectorAuditLog: true,
		},
		ReadHBARules: readHBA,
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(script, readerPassword) {
		t.Fatal("the script contains the password")
	}
	runPsql(t, pg, script)

	readerDSN := pg.UserDSN(permissions.DefaultRole, readerPassword, "app")
	assertReadOnlyRole(t, readerDSN)

	cfg := &config.Config{Postgres: []config.Postgres{pc}, Checks: config.Checks{Select: []string{"*"}}}
	env := collectors.NewEnv(cfg, nil)
	env.Getenv = func(name string) string {
		if name == "APP_DSN" {
			return readerDSN
		}
		return ""
	}
	var list []collectors.Collector
	for _, f := range pgcollect.Factories() {
		built, err := f.Build(env)
		if err != nil {
			t.Fatalf("build %s: %v", f.ID, err)
		}
		list = append(list, built...)
	}
	if len(list) != 4 {
		t.Fatalf("built %d PostgreSQL collectors, expected 4", len(list))
	}

	cat, err := controls.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	reg, err := controls.DefaultRegistry(cat)
	if err != nil {
		t.Fatal(err)
	}
	selected, err := reg.Select([]string{"postgres.*"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	selectedIDs := map[string]bool{}
	for _, c := range selected {
		selectedIDs[c.ID] = true
	}
	per, err := period.Parse("last-90d", now)
	if err != nil {
		t.Fatal(err)
	}
	var mem evidence.Memory
	req := collectors.Request{Now: now, Period: per, Checks: selectedIDs}
	if err := (&collectors.Runner{}).Run(ctx, list, req, &mem); err != nil {
		t.Fatal(err)
	}
	set := mem.Set()

	for _, f := range set.Failures {
		t.Errorf("collector %s failed on %s as %s: %s", f.Collector, f.Scope, permissions.DefaultRole, f.Error.String())
	}
	denied := map[string]bool{}
	for _, it := range set.Items {
		for group, e := range it.Errors {
			if expectedDenials[e.Operation] && e.Code == "permission_denied" {
				denied[e.Operation] = true
				continue
			}
			t.Errorf("%s %s: %s: %s", it.Kind, it.Resource, group, e.String())
		}
	}
	for op := range expectedDenials {
		if !denied[op] {
			t.Errorf("%s did not fail with permission_denied, so the script documents a limit that does not exist", op)
		}
	}

	findings, _ := controls.Evaluate(cat, reg, selected, set, controls.EvalOptions{Now: now, Period: per})
	for _, f := range findings {
		// The throwaway cluster's pg_hba.conf has plain host rules, so a
		// reader that can see them gets fail, and one that cannot gets review.
		expected := controls.StatusReview
		if readHBA {
			expected = controls.StatusFail
		}
		if f.CheckID == "postgres.server.ssl_required" && f.Status != expected {
			t.Errorf("ssl_required as the reader on a server with ssl on = %s (%s), expected %s", f.Status, f.Message, expected)
		}
		if f.CheckID == "postgres.roles.password_expiry" && f.Status == controls.StatusError {
			t.Errorf("password_expiry as the reader = error (%s), expected it to degrade to review", f.Message)
		}
	}
}

// runPsql runs the role script with psql as the superuser, connected to the
// database the script starts in.
func runPsql(t *testing.T, pg *testenv.Postgres, script string) {
	t.Helper()
	bin, err := testenv.PostgresBinDir()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "role.sql")
	if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(bin, "psql"), "--no-psqlrc", "-X", pg.DSN("postgres"), "-v", "password="+readerPassword, "-f", path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("psql -f role script: %v\n%s\nscript:\n%s", err, out, script)
	}
}

// assertReadOnlyRole checks that the role's sessions start read-only and
// that it cannot write even after turning that default off.
func assertReadOnlyRole(t *testing.T, dsn string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect as %s: %v", permissions.DefaultRole, err)
	}
	defer conn.Close(ctx)
	var readOnly string
	if err := conn.QueryRow(ctx, "SHOW default_transaction_read_only").Scan(&readOnly); err != nil {
		t.Fatal(err)
	}
	if readOnly != "on" {
		t.Errorf("default_transaction_read_only = %s for %s, expected on", readOnly, permissions.DefaultRole)
	}
	if _, err := conn.Exec(ctx, "SET default_transaction_read_only = off"); err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, `DELETE FROM public."AuditLogs"`)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
		t.Errorf("DELETE on the audit log as %s: error %v, expected permission denied (42501)", permissions.DefaultRole, err)
	}
}
