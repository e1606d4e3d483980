package postgres_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditpack/auditpack/collectors/postgres"
	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/internal/config"
	"github.com/auditpack/auditpack/internal/testenv"
)

// TestDemoDatabaseRemediated fixes every problem the demo seed was built
// with and expects every application and audit-log check to pass, so each
// check is shown to pass as well as fail on the same data.
func TestDemoDatabaseRemediated(t *testing.T) {
	pg := cluster(t)
	now := time.Now().UTC().Truncate(time.Second)
	db := demoDatabase(t, pg, now)
	ctx := context.Background()
	outageStart := now.AddDate(0, 0, -testenv.DemoOutageStartDays)
	lockAt := testenv.DemoUnlockedBurstEnd(now).Add(30 * time.Second)
	err := pg.Exec(ctx, db,
		`UPDATE public."Users" SET "mfaEnabled" = true WHERE role IN ('admin', 'superadmin')`,
		`UPDATE public."Users" SET "lastLoginAt" = now() - interval '1 day' WHERE status = 'active'`,
		// Fill the logging outage.
		`INSERT INTO public."AuditLogs" ("createdAt", "eventType", outcome, "userId", "ipAddress")
		 SELECT ts, 'record_view', 'success', 1, '198.51.100.1'
		 FROM generate_series('`+outageStart.Format(time.RFC3339)+`'::timestamptz, '`+outageStart.AddDate(0, 0, testenv.DemoOutageDays).Format(time.RFC3339)+`'::timestamptz, interval '20 minutes') AS ts`,
		// Lock the account whose burst had no lockout.
		`INSERT INTO public."AuditLogs" ("createdAt", "eventType", outcome, "userId", "ipAddress")
		 VALUES ('`+lockAt.Format(time.RFC3339)+`', 'account_locked', 'success', 6, '203.0.113.7')`,
		// Complete the late data-subject request in time.
		`UPDATE public."AuditLogs" SET "createdAt" = "createdAt" - interval '45 days' WHERE "eventType" = 'gdpr_completed' AND "userId" = 7`,
		`REVOKE UPDATE ON public."AuditLogs" FROM `+testenv.DemoAuditEditor,
	)
	if err != nil {
		t.Fatal(err)
	}
	roster := filepath.Join(t.TempDir(), "roster.csv")
	data := "Work Email,Status\nana.silva@example.com,Active\nMark.Ellis@Example.com,Active\nnora.berg@example.com,Terminated\n"
	if err := os.WriteFile(roster, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}

	r := newRun(t, now, pg.DSN(db), demoConfig())
	r.cfg.HRRoster = &config.HRRoster{Path: roster, EmailColumn: "Work Email", StatusColumn: "Status", TerminatedValues: []string{"Terminated"}}
	r.checks = []string{"postgres.users.*", "postgres.auditlog.*"}
	fs := r.evaluate(t, r.collect(t))
	for _, f := range fs {
		want := controls.StatusPass
		if f.CheckID == postgres.CheckPrivilegedChanges {
			want = controls.StatusReview
		}
		if f.Status != want {
			t.Errorf("%s on %s = %s, want %s: %s", f.CheckID, f.Resource, f.Status, want, f.Message)
		}
	}
	if len(fs) != 9 {
		t.Errorf("got %d findings, want one per check: %s", len(fs), describe(fs))
	}
}

func TestPasswordExpiryPassesWithValidUntil(t *testing.T) {
	pg := cluster(t)
	db := newDatabase(t, pg)
	ctx := context.Background()
	t.Cleanup(func() {
		if err := pg.Exec(ctx, "postgres", `ALTER ROLE auditor VALID UNTIL 'infinity'`); err != nil {
			t.Error(err)
		}
	})
	r := newRun(t, time.Now().UTC(), pg.DSN(db), demoConfig())
	r.checks = []string{postgres.CheckPasswordExpiry}

	// 'infinity' never expires, so it counts as no VALID UNTIL.
	if err := pg.Exec(ctx, "postgres", `ALTER ROLE auditor VALID UNTIL 'infinity'`); err != nil {
		t.Fatal(err)
	}
	f := byResource(t, r.evaluate(t, r.collect(t)), postgres.CheckPasswordExpiry, base(pg, db)+"/roles/auditor")
	if f.Status != controls.StatusReview {
		t.Errorf("VALID UNTIL infinity = %s, want review: %s", f.Status, f.Message)
	}

	if err := pg.Exec(ctx, "postgres", `ALTER ROLE auditor VALID UNTIL '2030-01-01 00:00:00+00'`); err != nil {
		t.Fatal(err)
	}
	f = only(t, r.evaluate(t, r.collect(t)), postgres.CheckPasswordExpiry)
	if f.Status != controls.StatusPass {
		t.Errorf("with VALID UNTIL = %s, want pass: %s", f.Status, f.Message)
	}
}

func TestTerminatedActiveRosterErrors(t *testing.T) {
	pg := cluster(t)
	now := time.Now().UTC().Truncate(time.Second)
	db := demoDatabase(t, pg, now)
	roster := filepath.Join(t.TempDir(), "roster.csv")
	data := "Work Email,Status\nmark.ellis@EXAMPLE.com,Terminated\n\"broken,Terminated\n"
	if err := os.WriteFile(roster, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	r := newRun(t, now, pg.DSN(db), demoConfig())
	r.cfg.HRRoster = &config.HRRoster{Path: roster, EmailColumn: "Work Email", StatusColumn: "Status", TerminatedValues: []string{"Terminated"}}
	r.checks = []string{postgres.CheckTerminatedActive}
	fs := r.evaluate(t, r.collect(t))
	errFinding := byResource(t, fs, postgres.CheckTerminatedActive, "file:"+roster)
	if errFinding.Status != controls.StatusError || !strings.Contains(errFinding.Message, roster+" line 3") {
		t.Errorf("roster error = %s: %s", errFinding.Status, errFinding.Message)
	}
	f := byResource(t, fs, postgres.CheckTerminatedActive, base(pg, db)+"/users/mark.ellis@example.com")
	if f.Status != controls.StatusFail {
		t.Errorf("the readable line is still matched: %s %s", f.Status, f.Message)
	}

	// Without a roster the check reports an error instead of a verdict.
	r.cfg.HRRoster = nil
	f = only(t, r.evaluate(t, r.collect(t)), postgres.CheckTerminatedActive)
	if f.Status != controls.StatusError {
		t.Errorf("without a roster = %s, want error: %s", f.Status, f.Message)
	}
}
