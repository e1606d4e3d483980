package postgres_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditpack/auditpack/collectors/postgres"
	"github.com/auditpack/auditpack/controls"
)

var auditChecks = []string{
	postgres.CheckRetention, postgres.CheckGaps, postgres.CheckImmutable,
	postgres.CheckLockout, postgres.CheckPrivilegedChanges, postgres.CheckGDPRSLA,
}

func TestMissingTableErrorsItsChecks(t *testing.T) {
	pg := cluster(t)
	now := time.Now().UTC().Truncate(time.Second)
	db := demoDatabase(t, pg, now)
	pc := demoConfig()
	pc.AuditLog.Table = `public."NoSuchLog"`
	r := newRun(t, now, pg.DSN(db), pc)
	fs := r.evaluate(t, r.collect(t))
	for _, check := range auditChecks {
		f := only(t, fs, check)
		if f.Status != controls.StatusError {
			t.Errorf("%s = %s, want error: %s", check, f.Status, f.Message)
		}
		if !strings.Contains(f.Message, "NoSuchLog") || f.Resource != base(pg, db)+"/tables/public.NoSuchLog" {
			t.Errorf("%s does not name the table: %s %s", check, f.Resource, f.Message)
		}
	}
	// The users table is still read.
	f := byResource(t, fs, postgres.CheckAdminMFA, base(pg, db)+"/users/björn.ødegård@example.com")
	if f.Status != controls.StatusFail {
		t.Errorf("admin_mfa = %s, want fail: %s", f.Status, f.Message)
	}
}

func TestMissingColumnErrorsItsChecksOnly(t *testing.T) {
	pg := cluster(t)
	now := time.Now().UTC().Truncate(time.Second)
	db := demoDatabase(t, pg, now)
	pc := demoConfig()
	pc.AuditLog.Columns["outcome"] = "result"
	pc.Users.Columns["mfa"] = "twoFactor"
	r := newRun(t, now, pg.DSN(db), pc)
	fs := r.evaluate(t, r.collect(t))

	lockout := only(t, fs, postgres.CheckLockout)
	if lockout.Status != controls.StatusError || !strings.Contains(lockout.Message, `"result"`) {
		t.Errorf("lockout = %s, want error naming column result: %s", lockout.Status, lockout.Message)
	}
	want := map[string]controls.Status{
		postgres.CheckRetention:         controls.StatusPass,
		postgres.CheckGaps:              controls.StatusFail,
		postgres.CheckGDPRSLA:           controls.StatusFail,
		postgres.CheckPrivilegedChanges: controls.StatusReview,
	}
	for check, status := range want {
		if f := only(t, fs, check); f.Status != status {
			t.Errorf("%s = %s, want %s: %s", check, f.Status, status, f.Message)
		}
	}
	mfa := only(t, fs, postgres.CheckAdminMFA)
	if mfa.Status != controls.StatusError || !strings.Contains(mfa.Message, `"twoFactor"`) {
		t.Errorf("admin_mfa = %s, want error naming column twoFactor: %s", mfa.Status, mfa.Message)
	}
	if got := findingsOf(fs, postgres.CheckInactive); len(got) != 2 {
		t.Errorf("inactive should still judge users, got %s", describe(got))
	}
}

func TestStatementTimeoutIsError(t *testing.T) {
	pg := cluster(t)
	now := time.Now().UTC().Truncate(time.Second)
	db := demoDatabase(t, pg, now)
	// Every query on the view sleeps longer than the statement timeout.
	err := pg.Exec(context.Background(), db,
		`CREATE VIEW slow_audit AS SELECT a.* FROM public."AuditLogs" a, (SELECT pg_sleep(5)) s`)
	if err != nil {
		t.Fatal(err)
	}
	pc := demoConfig()
	pc.AuditLog.Table = "slow_audit"
	pc.StatementTimeout = time.Second
	r := newRun(t, now, pg.DSN(db), pc)
	r.checks = []string{postgres.CheckRetention, postgres.CheckGaps, postgres.CheckAdminMFA}
	fs := r.evaluate(t, r.collect(t))
	for _, check := range []string{postgres.CheckRetention, postgres.CheckGaps} {
		f := only(t, fs, check)
		if f.Status != controls.StatusError || !strings.Contains(f.Message, "with timeout") {
			t.Errorf("%s = %s, want a timeout error: %s", check, f.Status, f.Message)
		}
	}
	if f := only(t, fs, postgres.CheckAdminMFA); f.Status != controls.StatusFail {
		t.Errorf("admin_mfa = %s, want fail after the timeout: %s", f.Status, f.Message)
	}
}

func TestTableWithoutEventsInPeriod(t *testing.T) {
	pg := cluster(t)
	now := time.Now().UTC().Truncate(time.Second)
	db := demoDatabase(t, pg, now)
	err := pg.Exec(context.Background(), db, `DELETE FROM public."AuditLogs" WHERE "createdAt" > now() - interval '100 days'`)
	if err != nil {
		t.Fatal(err)
	}
	r := newRun(t, now, pg.DSN(db), demoConfig())
	fs := r.evaluate(t, r.collect(t))
	gaps := only(t, fs, postgres.CheckGaps)
	if gaps.Status != controls.StatusFail || !strings.Contains(gaps.Message, r.period.Start.Format(time.RFC3339)) {
		t.Errorf("gaps = %s, want one gap over the whole window: %s", gaps.Status, gaps.Message)
	}
	want := map[string]controls.Status{
		postgres.CheckRetention:         controls.StatusPass,
		postgres.CheckLockout:           controls.StatusPass,
		postgres.CheckPrivilegedChanges: controls.StatusPass,
		postgres.CheckGDPRSLA:           controls.StatusNotApplicable,
	}
	for check, status := range want {
		if f := only(t, fs, check); f.Status != status {
			t.Errorf("%s = %s, want %s: %s", check, f.Status, status, f.Message)
		}
	}

	if err := pg.Exec(context.Background(), db, `TRUNCATE public."AuditLogs"`); err != nil {
		t.Fatal(err)
	}
	fs = r.evaluate(t, r.collect(t))
	if f := only(t, fs, postgres.CheckRetention); f.Status != controls.StatusFail || !strings.Contains(f.Message, "no events") {
		t.Errorf("retention on an empty table = %s: %s", f.Status, f.Message)
	}
}

func TestNonSuperuserRunLeaksNoPassword(t *testing.T) {
	pg := cluster(t)
	now := time.Now().UTC().Truncate(time.Second)
	db := demoDatabase(t, pg, now)
	if err := pg.Exec(context.Background(), db, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO auditor"); err != nil {
		t.Fatal(err)
	}
	r := newRun(t, now, pg.UserDSN("auditor", auditorPassword, db), demoConfig())
	set := r.collect(t)
	fs := r.evaluate(t, set)

	if f := only(t, fs, postgres.CheckSSLRequired); f.Status != controls.StatusReview {
		t.Errorf("ssl_required without pg_hba access = %s, want review: %s", f.Status, f.Message)
	}
	for _, f := range findingsOf(fs, postgres.CheckPasswordExpiry) {
		if f.Status != controls.StatusReview || !strings.Contains(f.Message, "unknown") {
			t.Errorf("password_expiry %s = %s: %s", f.Resource, f.Status, f.Message)
		}
	}
	for _, check := range []string{postgres.CheckGaps, postgres.CheckLockout, postgres.CheckImmutable, postgres.CheckAdminMFA} {
		for _, f := range findingsOf(fs, check) {
			if f.Status == controls.StatusError {
				t.Errorf("%s errors as a non-superuser: %s", check, f.Message)
			}
		}
	}
	var a postgres.ServerAttrs
	item(t, set, postgres.KindServer, &a)
	if a.Role != "auditor" {
		t.Errorf("evidence role = %q, want auditor", a.Role)
	}

	// A wrong password fails the connection; its error must not show it
	// either.
	wrong := "Wr0ng-" + auditorPassword
	bad := newRun(t, now, pg.UserDSN("auditor", wrong, db), demoConfig())
	badSet := bad.collect(t)
	if len(badSet.Failures) == 0 {
		t.Fatal("a wrong password produced no failure")
	}
	badFindings := bad.evaluate(t, badSet)
	for _, f := range badFindings {
		if f.Status != controls.StatusError {
			t.Errorf("%s on %s = %s with a wrong password, want error", f.CheckID, f.Resource, f.Status)
		}
	}

	dir := t.TempDir()
	if err := set.WriteDir(filepath.Join(dir, "ok")); err != nil {
		t.Fatal(err)
	}
	if err := badSet.WriteDir(filepath.Join(dir, "bad")); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal([]any{fs, badFindings})
	if err := os.WriteFile(filepath.Join(dir, "findings.json"), out, 0o644); err != nil {
		t.Fatal(err)
	}
	files := 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, secret := range []string{auditorPassword, wrong} {
			if strings.Contains(string(data), secret) {
				t.Errorf("%s contains the DSN password", p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 5 {
		t.Fatalf("only %d evidence files written; the search proves nothing", files)
	}
}

func TestGapsCountRunStartAsEdge(t *testing.T) {
	pg := cluster(t)
	now := time.Now().UTC().Truncate(time.Second)
	db := demoDatabase(t, pg, now)
	// Only the last two days are missing: the log stopped before the run.
	err := pg.Exec(context.Background(), db,
		`DELETE FROM public."AuditLogs" WHERE "createdAt" > now() - interval '2 days' OR "createdAt" < now() - interval '30 days'`)
	if err != nil {
		t.Fatal(err)
	}
	r := newRun(t, now, pg.DSN(db), demoConfig())
	r.checks = []string{postgres.CheckGaps}
	f := only(t, r.evaluate(t, r.collect(t)), postgres.CheckGaps)
	if f.Status != controls.StatusFail {
		t.Fatalf("status = %s, want fail: %s", f.Status, f.Message)
	}
	if !strings.Contains(f.Message, "to "+now.Format(time.RFC3339)+" (") {
		t.Errorf("no gap ending at the run's start %s: %s", now.Format(time.RFC3339), f.Message)
	}
	if !strings.Contains(f.Message, r.period.Start.Format(time.RFC3339)+" to ") {
		t.Errorf("no gap starting at the period start: %s", f.Message)
	}
}

func TestLockoutWithoutLoginTypes(t *testing.T) {
	pg := cluster(t)
	now := time.Now().UTC().Truncate(time.Second)
	db := demoDatabase(t, pg, now)
	pc := demoConfig()
	// Without login types every event with a failure outcome counts.
	pc.AuditLog.Events.Login = nil
	r := newRun(t, now, pg.DSN(db), pc)
	r.checks = []string{postgres.CheckLockout}
	set := r.collect(t)
	f := only(t, r.evaluate(t, set), postgres.CheckLockout)
	if f.Status != controls.StatusFail || !strings.Contains(f.Message, "6 at ") {
		t.Errorf("want the unlocked burst of actor 6: %s %s", f.Status, f.Message)
	}
	var a postgres.AuditLogAttrs
	item(t, set, postgres.KindAuditLog, &a)
	if a.Lockout == nil || len(a.Lockout.Bursts) != 2 {
		t.Fatalf("want 2 bursts, got %+v", a.Lockout)
	}
	if a.Lockout.Bursts[1].LockedAt == nil || a.Lockout.Bursts[1].Actor != "3" {
		t.Errorf("burst of actor 3 should be locked: %+v", a.Lockout.Bursts[1])
	}
	if a.Privileged != nil || a.GDPR != nil {
		t.Error("statistics of unselected checks were collected")
	}
}

func TestTwoDatabasesAreJudgedSeparately(t *testing.T) {
	pg := cluster(t)
	now := time.Now().UTC().Truncate(time.Second)
	seeded := demoDatabase(t, pg, now)
	empty := newDatabase(t, pg)
	second := demoConfig()
	second.Name, second.DSNEnv = "reporting", "REPORTING_DATABASE_URL"
	r := newRun(t, now, pg.DSN(seeded), demoConfig(), second)
	r.env["REPORTING_DATABASE_URL"] = pg.DSN(empty)
	r.checks = []string{postgres.CheckGaps, postgres.CheckAdminMFA}
	fs := r.evaluate(t, r.collect(t))

	if f := byResource(t, fs, postgres.CheckGaps, base(pg, seeded)+"/tables/public.AuditLogs"); f.Status != controls.StatusFail {
		t.Errorf("seeded gaps = %s: %s", f.Status, f.Message)
	}
	for _, check := range []string{postgres.CheckGaps, postgres.CheckAdminMFA} {
		table := "AuditLogs"
		if check == postgres.CheckAdminMFA {
			table = "Users"
		}
		f := byResource(t, fs, check, base(pg, empty)+"/tables/public."+table)
		if f.Status != controls.StatusError {
			t.Errorf("%s on the database without tables = %s, want error: %s", check, f.Status, f.Message)
		}
	}
}

func TestUnconfiguredEventTypesAreErrors(t *testing.T) {
	pg := cluster(t)
	now := time.Now().UTC().Truncate(time.Second)
	db := demoDatabase(t, pg, now)
	pc := demoConfig()
	pc.AuditLog.Events.GDPRRequest = nil
	pc.AuditLog.Events.PermissionChange = nil
	r := newRun(t, now, pg.DSN(db), pc)
	r.checks = []string{postgres.CheckGDPRSLA, postgres.CheckPrivilegedChanges, postgres.CheckLockout}
	fs := r.evaluate(t, r.collect(t))
	for check, key := range map[string]string{postgres.CheckGDPRSLA: "gdpr_request", postgres.CheckPrivilegedChanges: "permission_change"} {
		f := only(t, fs, check)
		if f.Status != controls.StatusError || !strings.Contains(f.Message, "audit_log.events."+key+" is not configured") {
			t.Errorf("%s = %s, want an error naming events.%s: %s", check, f.Status, key, f.Message)
		}
	}
	if f := only(t, fs, postgres.CheckLockout); f.Status != controls.StatusFail {
		t.Errorf("lockout should still be judged: %s %s", f.Status, f.Message)
	}
}
