package controls

import (
	"strings"
	"testing"
	"time"

	pg "github.com/auditpack/auditpack/collectors/postgres"
	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/internal/period"
)

const pgTable = "postgres://db.example.internal:5432/app/tables/public.AuditLogs"

var pgNow = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

// evalPostgres runs one PostgreSQL check over items.
func evalPostgres(t *testing.T, id string, p period.Period, params Params, items ...*evidence.Item) []Finding {
	t.Helper()
	cat, err := LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	reg, err := NewRegistry(cat, postgresChecks)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := reg.Lookup(id)
	if !ok {
		t.Fatalf("no check %s", id)
	}
	set := &evidence.Set{Items: items}
	fs, _ := Evaluate(cat, reg, []*Check{c}, set, EvalOptions{Now: pgNow, Period: p, Params: map[string]Params{id: params}})
	return fs
}

func auditItem(a pg.AuditLogAttrs) *evidence.Item {
	return evidence.MustItem(pg.KindAuditLog, "postgres.auditlog", pgTable, a)
}

func quarter(t *testing.T) period.Period {
	t.Helper()
	p, err := period.Parse("2026-Q4", pgNow)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPostgresChecksDeclared(t *testing.T) {
	cat, err := LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewRegistry(cat, postgresChecks); err != nil {
		t.Fatal(err)
	}
	if len(postgresChecks) != 15 {
		t.Errorf("%d postgres checks, want 15", len(postgresChecks))
	}
	for _, c := range postgresChecks {
		if len(c.Collectors) == 0 || len(c.Kinds) == 0 || len(c.Calls) == 0 {
			t.Errorf("%s lacks collectors, kinds or calls", c.ID)
		}
		for _, id := range c.Criteria {
			if !strings.Contains(c.Description, id) {
				t.Errorf("%s description does not justify criterion %s", c.ID, id)
			}
		}
		for _, p := range c.Params {
			if p.Default == nil || p.Description == "" {
				t.Errorf("%s param %s lacks a default or description", c.ID, p.Name)
			}
		}
	}
}

func TestRetentionUsesRunForRunningPeriod(t *testing.T) {
	oldest := pgNow.AddDate(0, 0, -95)
	it := auditItem(pg.AuditLogAttrs{Table: "public.AuditLogs", Extent: &pg.Extent{Oldest: &oldest}})
	// The quarter is still running, so 95 days before the run suffice
	// although the quarter's end is later.
	fs := evalPostgres(t, pg.CheckRetention, quarter(t), nil, it)
	if len(fs) != 1 || fs[0].Status != StatusPass {
		t.Fatalf("running period: %+v", fs)
	}
	if !strings.Contains(fs[0].Message, "2026-12-04T12:00:00Z") {
		t.Errorf("message does not measure from the run: %s", fs[0].Message)
	}

	// For an ended period the end of the period counts.
	ended, err := period.Parse("2026-11", pgNow)
	if err != nil {
		t.Fatal(err)
	}
	oldest = ended.End.AddDate(0, 0, -80)
	it = auditItem(pg.AuditLogAttrs{Table: "public.AuditLogs", Extent: &pg.Extent{Oldest: &oldest}})
	fs = evalPostgres(t, pg.CheckRetention, ended, Params{"min_days": 90}, it)
	if len(fs) != 1 || fs[0].Status != StatusFail || !strings.Contains(fs[0].Message, "80.0 days") {
		t.Errorf("ended period: %+v", fs)
	}
}

func TestGapsLimitAndThreshold(t *testing.T) {
	start := pgNow.AddDate(0, 0, -10)
	var gaps []pg.Gap
	for i := 0; i < 10; i++ {
		s := start.AddDate(0, 0, i)
		gaps = append(gaps, pg.Gap{Start: s, End: s.Add(30 * time.Hour), Hours: 30})
	}
	it := auditItem(pg.AuditLogAttrs{Table: "public.AuditLogs", Gaps: &pg.GapStats{Longest: gaps, Limit: 10}})
	fs := evalPostgres(t, pg.CheckGaps, quarter(t), nil, it)
	if len(fs) != 1 || fs[0].Status != StatusFail || !strings.HasPrefix(fs[0].Message, "at least 10 gaps") {
		t.Errorf("full list of long gaps: %+v", fs)
	}
	fs = evalPostgres(t, pg.CheckGaps, quarter(t), Params{"max_gap_hours": 48}, it)
	if len(fs) != 1 || fs[0].Status != StatusPass {
		t.Errorf("gaps under a 48 h limit: %+v", fs)
	}
}

func TestGapsMissingGroupIsError(t *testing.T) {
	it := auditItem(pg.AuditLogAttrs{Table: "public.AuditLogs"})
	it.AddError(pg.GroupGaps, evidence.CollectError{Operation: "postgres:auditlog_gaps", Code: "timeout", Message: "canceling statement due to statement timeout"})
	fs := evalPostgres(t, pg.CheckGaps, quarter(t), nil, it)
	if len(fs) != 1 || fs[0].Status != StatusError || !strings.Contains(fs[0].Message, "timeout") {
		t.Errorf("got %+v, want one timeout error", fs)
	}
}

func TestGDPRSLAOpenRequests(t *testing.T) {
	done := pgNow.AddDate(0, 0, -20)
	it := auditItem(pg.AuditLogAttrs{
		Table: "public.AuditLogs", WindowEnd: pgNow,
		GDPR: &pg.GDPRStats{Total: 2, Requests: []pg.GDPRRequest{
			{Actor: "4", RequestedAt: pgNow.AddDate(0, 0, -25), CompletedAt: &done},
			{Actor: "9", RequestedAt: pgNow.AddDate(0, 0, -10)},
		}},
	})
	fs := evalPostgres(t, pg.CheckGDPRSLA, quarter(t), nil, it)
	if len(fs) != 1 || fs[0].Status != StatusPass || !strings.Contains(fs[0].Message, "1 still open") {
		t.Errorf("open within the limit: %+v", fs)
	}
	it = auditItem(pg.AuditLogAttrs{
		Table: "public.AuditLogs", WindowEnd: pgNow,
		GDPR: &pg.GDPRStats{Total: 1, Requests: []pg.GDPRRequest{{Actor: "9", RequestedAt: pgNow.AddDate(0, 0, -31)}}},
	})
	fs = evalPostgres(t, pg.CheckGDPRSLA, quarter(t), nil, it)
	if len(fs) != 1 || fs[0].Status != StatusFail || !strings.Contains(fs[0].Message, "still open") {
		t.Errorf("open past the limit: %+v", fs)
	}
}

func TestLockoutParamsMustMatchCollection(t *testing.T) {
	it := auditItem(pg.AuditLogAttrs{
		Table:   "public.AuditLogs",
		Lockout: &pg.LockoutStats{MaxFailures: 5, WindowMinutes: 15, Bursts: []pg.Burst{}},
	})
	fs := evalPostgres(t, pg.CheckLockout, quarter(t), Params{"max_failures": 3}, it)
	if len(fs) != 1 || fs[0].Status != StatusError || !strings.Contains(fs[0].Message, "collect again") {
		t.Errorf("got %+v, want an error asking to collect again", fs)
	}
}

func TestTLSMinVersionParam(t *testing.T) {
	it := evidence.MustItem(pg.KindServer, "postgres.server", "postgres://db.example.internal:5432/app", pg.ServerAttrs{
		Host:     "db.example.internal",
		Settings: map[string]string{"ssl": "on", "ssl_min_protocol_version": "TLSv1.2"},
	})
	if fs := evalPostgres(t, pg.CheckTLSMinVersion, quarter(t), nil, it); len(fs) != 1 || fs[0].Status != StatusPass {
		t.Errorf("TLSv1.2 against the default: %+v", fs)
	}
	if fs := evalPostgres(t, pg.CheckTLSMinVersion, quarter(t), Params{"min_version": "TLSv1.3"}, it); len(fs) != 1 || fs[0].Status != StatusFail {
		t.Errorf("TLSv1.2 against TLSv1.3: %+v", fs)
	}
}

func TestSSLRequiredReviewWhenNothingProves(t *testing.T) {
	it := evidence.MustItem(pg.KindServer, "postgres.server", "postgres://db.example.internal:5432/app", pg.ServerAttrs{
		Host:       "db.example.internal",
		Settings:   map[string]string{"ssl": "on"},
		SessionSSL: &pg.SessionSSL{SSL: true, Version: "TLSv1.3"},
	})
	it.AddError(pg.GroupHBA, evidence.CollectError{Operation: "postgres:server_hba_rules", Code: "permission_denied", Message: "permission denied for view pg_hba_file_rules"})
	fs := evalPostgres(t, pg.CheckSSLRequired, quarter(t), nil, it)
	if len(fs) != 1 || fs[0].Status != StatusReview || !strings.Contains(fs[0].Message, "TLS available") {
		t.Errorf("got %+v, want review although the session used TLS", fs)
	}
}

func TestAdminMFANeedsAdminRoles(t *testing.T) {
	it := evidence.MustItem(pg.KindAppUsers, "postgres.users", "postgres://db.example.internal:5432/app/tables/public.Users", pg.AppUsersAttrs{
		Table:  "public.Users",
		Active: []pg.AppUser{{Email: "ana@example.com", Role: "admin", Status: "active"}},
	})
	fs := evalPostgres(t, pg.CheckAdminMFA, quarter(t), nil, it)
	if len(fs) != 1 || fs[0].Status != StatusError || !strings.Contains(fs[0].Message, "admin_roles") {
		t.Errorf("got %+v, want an error naming admin_roles", fs)
	}
}
