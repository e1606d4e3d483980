package postgres_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditpack/auditpack/collectors/postgres"
	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/internal/config"
	"github.com/auditpack/auditpack/internal/testenv"
)

// TestDemoDatabaseFindings runs every PostgreSQL check on the seeded demo
// company and asserts each verdict the seed was built to produce.
func TestDemoDatabaseFindings(t *testing.T) {
	pg := cluster(t)
	now := time.Now().UTC().Truncate(time.Second)
	db := demoDatabase(t, pg, now)
	roster := filepath.Join(t.TempDir(), "roster.csv")
	if err := testenv.WriteDemoRoster(roster); err != nil {
		t.Fatal(err)
	}
	r := newRun(t, now, pg.DSN(db), demoConfig())
	r.cfg.HRRoster = &config.HRRoster{Path: roster, EmailColumn: "Work Email", StatusColumn: "Status", TerminatedValues: []string{"Terminated"}}
	set := r.collect(t)
	if len(set.Failures) > 0 {
		t.Fatalf("unexpected collection failures: %+v", set.Failures)
	}
	fs := r.evaluate(t, set)
	t.Log(describe(fs))
	table := base(pg, db) + "/tables/public.AuditLogs"
	users := base(pg, db) + "/users/"

	t.Run("gaps", func(t *testing.T) {
		f := byResource(t, fs, postgres.CheckGaps, table)
		if f.Status != controls.StatusFail {
			t.Fatalf("status = %s, want fail: %s", f.Status, f.Message)
		}
		outage := now.AddDate(0, 0, -testenv.DemoOutageStartDays).Format("2006-01-02")
		if !strings.Contains(f.Message, outage) {
			t.Errorf("message does not name the outage starting %s: %s", outage, f.Message)
		}
		if !strings.HasPrefix(f.Message, "1 gap longer") || strings.Count(f.Message, " h)") != 1 {
			t.Errorf("want exactly one gap over 24 h: %s", f.Message)
		}
	})
	t.Run("retention", func(t *testing.T) {
		f := byResource(t, fs, postgres.CheckRetention, table)
		if f.Status != controls.StatusPass {
			t.Errorf("status = %s, want pass: %s", f.Status, f.Message)
		}
	})
	t.Run("admin_mfa", func(t *testing.T) {
		got := findingsOf(fs, postgres.CheckAdminMFA)
		if len(got) != 1 || got[0].Resource != users+"björn.ødegård@example.com" || got[0].Status != controls.StatusFail {
			t.Errorf("want one fail for björn.ødegård@example.com, got %s", describe(got))
		}
	})
	t.Run("inactive", func(t *testing.T) {
		got := findingsOf(fs, postgres.CheckInactive)
		want := map[string]bool{users + "günther.weiß@example.com": true, users + "李.娜@example.com": true}
		if len(got) != len(want) {
			t.Fatalf("want %d findings, got %s", len(want), describe(got))
		}
		for _, f := range got {
			if !want[f.Resource] || f.Status != controls.StatusFail {
				t.Errorf("unexpected finding %s %s: %s", f.Status, f.Resource, f.Message)
			}
		}
	})
	t.Run("terminated_active", func(t *testing.T) {
		got := findingsOf(fs, postgres.CheckTerminatedActive)
		if len(got) != 1 || got[0].Resource != users+"mark.ellis@example.com" || got[0].Status != controls.StatusFail {
			t.Errorf("want one fail for mark.ellis@example.com, got %s", describe(got))
		}
	})
	t.Run("immutable", func(t *testing.T) {
		f := byResource(t, fs, postgres.CheckImmutable, table)
		if f.Status != controls.StatusFail || !strings.Contains(f.Message, testenv.DemoAuditEditor+" (UPDATE)") {
			t.Errorf("want fail naming %s: %s %s", testenv.DemoAuditEditor, f.Status, f.Message)
		}
	})
	t.Run("lockout", func(t *testing.T) {
		f := byResource(t, fs, postgres.CheckLockout, table)
		if f.Status != controls.StatusFail {
			t.Fatalf("status = %s, want fail: %s", f.Status, f.Message)
		}
		if !strings.HasPrefix(f.Message, "1 burst of") || !strings.Contains(f.Message, "6 at ") {
			t.Errorf("want one unlocked burst by actor 6: %s", f.Message)
		}
	})
	t.Run("privileged_changes", func(t *testing.T) {
		f := byResource(t, fs, postgres.CheckPrivilegedChanges, table)
		if f.Status != controls.StatusReview || !strings.HasPrefix(f.Message, "3 permission-change events") {
			t.Errorf("want review of 3 events: %s %s", f.Status, f.Message)
		}
	})
	t.Run("gdpr_sla", func(t *testing.T) {
		f := byResource(t, fs, postgres.CheckGDPRSLA, table)
		if f.Status != controls.StatusFail || !strings.Contains(f.Message, "1 of 3") || !strings.Contains(f.Message, "7 requested") {
			t.Errorf("want fail for actor 7 only: %s %s", f.Status, f.Message)
		}
	})
	t.Run("roles", func(t *testing.T) {
		f := only(t, fs, postgres.CheckSuperusers)
		if f.Status == controls.StatusError {
			t.Errorf("superusers: %s", f.Message)
		}
		for _, f := range findingsOf(fs, postgres.CheckPasswordExpiry) {
			if f.Resource == base(pg, db)+"/roles/postgres" {
				t.Errorf("bootstrap role without a password is flagged: %s", f.Message)
			}
		}
	})
	t.Run("provenance", func(t *testing.T) {
		it := set.ByKind(postgres.KindAuditLog)[0]
		if len(it.Provenance) < 3 {
			t.Fatalf("only %d provenance records", len(it.Provenance))
		}
		for _, p := range it.Provenance {
			if p.SQL == "" || p.Identity != "postgres" || p.ServerVersion == "" || p.Time.Location() != time.UTC {
				t.Errorf("incomplete provenance %+v", p)
			}
			if want := strings.TrimPrefix(base(pg, db), "postgres://"); p.Endpoint != want {
				t.Errorf("endpoint = %q, want %q", p.Endpoint, want)
			}
		}
	})
	t.Run("daily_counts", func(t *testing.T) {
		var a postgres.AuditLogAttrs
		item(t, set, postgres.KindAuditLog, &a)
		if len(a.Daily) == 0 {
			t.Fatal("no daily counts")
		}
		days := map[string]bool{}
		for _, d := range a.Daily {
			days[d.Day] = true
		}
		outageDay := now.AddDate(0, 0, -testenv.DemoOutageStartDays+1).Format("2006-01-02")
		if days[outageDay] {
			t.Errorf("daily counts hold %s, a day inside the outage", outageDay)
		}
		if a.Extent == nil || a.Extent.Oldest == nil || now.Sub(*a.Extent.Oldest) < 119*24*time.Hour {
			t.Errorf("extent = %+v, want the oldest event about 120 days back", a.Extent)
		}
	})
}
