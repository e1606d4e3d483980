package testenv

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
)

// Demo application facts that tests and the demo configuration rely on.
const (
	// DemoOutageStartDays is how many days before now the demo audit log's
	// three-day outage starts, so it falls inside last-90d on any day.
	DemoOutageStartDays = 40
	// DemoOutageDays is the length of the outage.
	DemoOutageDays = 3
	// DemoAuditDays is how many days of events the demo audit log holds.
	DemoAuditDays = 120
	// DemoAuditEditor is the non-owner login role that can UPDATE the demo
	// audit log.
	DemoAuditEditor = "audit_editor"
	// DemoTerminatedEmail is the active user whom the demo HR roster lists
	// as terminated, in the roster's spelling.
	DemoTerminatedEmail = "Mark.Ellis@Example.com"
)

// The demo's burst of failed logins that no lockout follows: user 6 fails
// seven times, 90 seconds apart.
const (
	demoUnlockedActor    = 6
	demoUnlockedFailures = 7
	demoFailureSpacing   = 90 * time.Second
)

// DemoUnlockedBurst returns when the demo's burst of failed logins without
// a lockout starts, for a seed at now.
func DemoUnlockedBurst(now time.Time) time.Time {
	return now.UTC().Truncate(time.Second).AddDate(0, 0, -10).Add(5 * time.Hour)
}

// DemoUnlockedBurstEnd returns the time of that burst's last failure.
func DemoUnlockedBurstEnd(now time.Time) time.Time {
	return DemoUnlockedBurst(now).Add((demoUnlockedFailures - 1) * demoFailureSpacing)
}

// DemoUser is one row of the demo "Users" table.
type DemoUser struct {
	ID        int
	Email     string
	Role      string
	Status    string
	MFA       bool
	LastLogin time.Duration // before now; 0 means never
}

// DemoUsers are the demo company's application users: admins with and
// without MFA, UTF-8 addresses, a user who has not logged in for months,
// an inactive account and an active account of a terminated person.
var DemoUsers = []DemoUser{
	{1, "ana.silva@example.com", "admin", "active", true, 2 * time.Hour},
	{2, "björn.ødegård@example.com", "admin", "active", false, 26 * time.Hour},
	{3, "chloé.dupont@example.com", "user", "active", false, 3 * 24 * time.Hour},
	{4, "dmitri.ivanov@example.com", "user", "active", true, 5 * 24 * time.Hour},
	{5, "erin.oconnor@example.com", "superadmin", "active", true, 12 * time.Hour},
	{6, "fatima.zahra@example.com", "user", "active", false, 7 * 24 * time.Hour},
	{7, "günther.weiß@example.com", "user", "active", false, 200 * 24 * time.Hour},
	{8, "mark.ellis@example.com", "user", "active", false, 30 * 24 * time.Hour},
	{9, "nora.berg@example.com", "admin", "inactive", false, 400 * 24 * time.Hour},
	{10, "李.娜@example.com", "user", "active", true, 0},
}

// SeedDemoDatabase creates the demo company's application schema in the
// database at dsn, the way Sequelize names it: public."Users" and
// public."AuditLogs" with camel-case columns. The audit log holds
// DemoAuditDays days of events up to now. One DemoOutageDays-day outage
// starts DemoOutageStartDays days before now. The log also holds bursts of
// failed logins with and without a lockout, permission changes and
// data-subject requests. The login role DemoAuditEditor can UPDATE it;
// roles are cluster-wide, so seeding a second database reuses the role.
func SeedDemoDatabase(ctx context.Context, dsn string, now time.Time) error {
	now = now.UTC().Truncate(time.Second)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("connect to demo database: %w", err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)

	schema := []string{
		`CREATE TABLE public."Users" (
			id integer PRIMARY KEY,
			email text NOT NULL UNIQUE,
			role text NOT NULL,
			status text NOT NULL,
			"lastLoginAt" timestamptz,
			"mfaEnabled" boolean NOT NULL DEFAULT false,
			"createdAt" timestamptz NOT NULL,
			"updatedAt" timestamptz NOT NULL)`,
		`CREATE TABLE public."AuditLogs" (
			id bigserial PRIMARY KEY,
			"createdAt" timestamptz NOT NULL,
			"eventType" text NOT NULL,
			outcome text NOT NULL,
			"userId" integer,
			"ipAddress" text)`,
		`CREATE INDEX "AuditLogs_createdAt_idx" ON public."AuditLogs" ("createdAt")`,
		fmt.Sprintf(`DO $$ BEGIN
			IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '%[1]s') THEN
				CREATE ROLE %[1]s LOGIN;
			END IF;
		END $$`, DemoAuditEditor),
		fmt.Sprintf(`GRANT SELECT, UPDATE ON public."AuditLogs" TO %s`, DemoAuditEditor),
	}
	for _, s := range schema {
		if _, err := tx.Exec(ctx, s); err != nil {
			return fmt.Errorf("create demo schema: %w", err)
		}
	}

	for _, u := range DemoUsers {
		var last *time.Time
		if u.LastLogin > 0 {
			t := now.Add(-u.LastLogin)
			last = &t
		}
		_, err := tx.Exec(ctx, `INSERT INTO public."Users" (id, email, role, status, "lastLoginAt", "mfaEnabled", "createdAt", "updatedAt")
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`, u.ID, u.Email, u.Role, u.Status, last, u.MFA, now.AddDate(-1, 0, 0))
		if err != nil {
			return fmt.Errorf("insert demo user %s: %w", u.Email, err)
		}
	}

	outageStart := now.AddDate(0, 0, -DemoOutageStartDays)
	// Routine traffic every 20 minutes, except during the outage.
	_, err = tx.Exec(ctx, `INSERT INTO public."AuditLogs" ("createdAt", "eventType", outcome, "userId", "ipAddress")
		SELECT ts,
		       (ARRAY['user_login', 'record_view', 'record_update', 'export'])[1 + (n % 4)],
		       CASE WHEN n % 37 = 0 THEN 'failure' ELSE 'success' END,
		       1 + (n % 8),
		       '198.51.100.' || (n % 200)
		FROM generate_series($1::timestamptz, $2::timestamptz, interval '20 minutes') WITH ORDINALITY AS g(ts, n)
		WHERE NOT (ts >= $3::timestamptz AND ts < $3::timestamptz + make_interval(days => $4))`,
		now.AddDate(0, 0, -DemoAuditDays), now.Add(-time.Minute), outageStart, DemoOutageDays)
	if err != nil {
		return fmt.Errorf("insert demo audit events: %w", err)
	}

	type event struct {
		at      time.Time
		typ     string
		outcome string
		user    int
	}
	var events []event
	burst := func(start time.Time, user, failures int, lock bool) {
		for i := 0; i < failures; i++ {
			events = append(events, event{start.Add(time.Duration(i) * demoFailureSpacing), "user_login", "failure", user})
		}
		if lock {
			events = append(events, event{start.Add(time.Duration(failures)*demoFailureSpacing + 30*time.Second), "account_locked", "success", user})
		}
	}
	// A burst followed by a lockout, and one with none.
	burst(now.AddDate(0, 0, -20).Add(3*time.Hour), 3, 6, true)
	burst(DemoUnlockedBurst(now), demoUnlockedActor, demoUnlockedFailures, false)
	events = append(events,
		event{now.AddDate(0, 0, -55), "permission_change", "success", 1},
		event{now.AddDate(0, 0, -33), "role_change", "success", 5},
		event{now.AddDate(0, 0, -12), "permission_change", "success", 1},
		// Data-subject requests: one on time, one late, one still open.
		event{now.AddDate(0, 0, -60), "gdpr_request", "success", 4},
		event{now.AddDate(0, 0, -50), "gdpr_completed", "success", 4},
		event{now.AddDate(0, 0, -80), "gdpr_request", "success", 7},
		event{now.AddDate(0, 0, -30), "gdpr_completed", "success", 7},
		event{now.AddDate(0, 0, -5), "gdpr_request", "success", 10},
	)
	for _, e := range events {
		_, err := tx.Exec(ctx, `INSERT INTO public."AuditLogs" ("createdAt", "eventType", outcome, "userId", "ipAddress") VALUES ($1, $2, $3, $4, '203.0.113.7')`,
			e.at, e.typ, e.outcome, e.user)
		if err != nil {
			return fmt.Errorf("insert demo audit event %s: %w", e.typ, err)
		}
	}
	return tx.Commit(ctx)
}

// WriteDemoRoster writes the demo HR roster CSV, with a UTF-8 byte order
// mark as spreadsheet exports have it. It lists DemoTerminatedEmail as
// terminated in different letter case from the "Users" table.
func WriteDemoRoster(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := f.WriteString("\xef\xbb\xbf"); err != nil {
		f.Close()
		return err
	}
	w := csv.NewWriter(f)
	rows := [][]string{
		{"Employee ID", "Name", "Work Email", "Department", "Status"},
		{"E001", "Ana Silva", "ana.silva@example.com", "Engineering", "Active"},
		{"E002", "Björn Ødegård", "Björn.Ødegård@example.com", "Engineering", "Active"},
		{"E003", "Chloé Dupont", "chloe.dupont@example.com", "Support", "Active"},
		{"E004", "Erin O'Connor", "erin.oconnor@example.com", "Operations", "Active"},
		{"E005", "Mark Ellis", DemoTerminatedEmail, "Sales", "Terminated"},
		{"E006", "Nora Berg", "nora.berg@example.com", "Finance", "Terminated"},
		{"E007", "Günther Weiß", "günther.weiß@example.com", "Sales", "On Leave"},
	}
	if err := w.WriteAll(rows); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
