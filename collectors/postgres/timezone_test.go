package postgres_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/auditpack/auditpack/collectors/postgres"
	"github.com/auditpack/auditpack/internal/config"
	"github.com/auditpack/auditpack/internal/period"
)

// pg02Config reads the audit_log table of the time-zone case with the given
// time column and configured zone.
func pg02Config(timeColumn, zone string) config.Postgres {
	return config.Postgres{
		Name: "app", DSNEnv: "APP_DATABASE_URL", StatementTimeout: 10 * time.Second,
		AuditLog: &config.AuditLog{
			Table:    "audit_log",
			Columns:  map[string]string{"time": timeColumn, "event_type": "event_type", "actor": "username"},
			TimeZone: zone,
			Events:   config.AuditLogEvents{Login: []string{"login_success"}},
		},
	}
}

type pg02Result struct {
	Oldest, Newest string
	Gaps           []postgres.Gap
	Zone           string
	Findings       string
}

// collectPG02 collects and evaluates with time.Local set to zone, so the
// process's local zone differs from UTC as TZ would make it.
func collectPG02(t *testing.T, dsn string, pc config.Postgres, local string) pg02Result {
	t.Helper()
	loc, err := time.LoadLocation(local)
	if err != nil {
		t.Fatal(err)
	}
	saved := time.Local
	time.Local = loc
	defer func() { time.Local = saved }()

	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	r := newRun(t, now, dsn, pc)
	r.period, err = period.FromDates("2026-01-01", "2026-12-31")
	if err != nil {
		t.Fatal(err)
	}
	r.checks = []string{postgres.CheckRetention, postgres.CheckGaps}
	set := r.collect(t)
	var a postgres.AuditLogAttrs
	item(t, set, postgres.KindAuditLog, &a)
	if a.Extent == nil || a.Extent.Oldest == nil || a.Gaps == nil {
		t.Fatalf("incomplete statistics: %+v", a)
	}
	for _, g := range a.Gaps.Longest {
		if g.Start.Location() != time.UTC || g.End.Location() != time.UTC {
			t.Errorf("gap %v–%v is not in UTC", g.Start, g.End)
		}
	}
	return pg02Result{
		Oldest:   a.Extent.Oldest.Format(time.RFC3339Nano),
		Newest:   a.Extent.Newest.Format(time.RFC3339Nano),
		Gaps:     a.Gaps.Longest,
		Zone:     a.TimeZone,
		Findings: describe(r.evaluate(t, set)),
	}
}

func TestPG_02_TimesAreUTCInstants(t *testing.T) {
	pg := cluster(t)
	db := newDatabase(t, pg)
	err := pg.Exec(context.Background(), db,
		`CREATE TABLE audit_log(id bigserial, created_at timestamptz, created_local timestamp, event_type text, username text)`,
		`INSERT INTO audit_log(created_at, created_local, event_type, username)
		 VALUES ('2026-03-29 00:30:00+00', '2026-03-28 20:30:00', 'login_success', 'ana.silva')`)
	if err != nil {
		t.Fatal(err)
	}
	// The session's TimeZone differs from both UTC and the process zone.
	dsn := pg.DSN(db) + "&TimeZone=America/New_York"

	t.Run("timestamptz", func(t *testing.T) {
		want := collectPG02(t, dsn, pg02Config("created_at", ""), "UTC")
		if want.Oldest != "2026-03-29T00:30:00Z" {
			t.Fatalf("oldest = %s, want 2026-03-29T00:30:00Z", want.Oldest)
		}
		if want.Zone != "" {
			t.Errorf("time zone label = %q, want none for timestamptz", want.Zone)
		}
		for _, local := range []string{"Europe/Berlin", "Pacific/Kiritimati"} {
			got := collectPG02(t, dsn, pg02Config("created_at", ""), local)
			a, _ := json.Marshal(got)
			b, _ := json.Marshal(want)
			if string(a) != string(b) {
				t.Errorf("TZ %s changed the results:\n got %s\nwant %s", local, a, b)
			}
		}
	})

	t.Run("timestamp in configured zone", func(t *testing.T) {
		for _, local := range []string{"UTC", "Europe/Berlin", "Pacific/Kiritimati"} {
			got := collectPG02(t, dsn, pg02Config("created_local", "America/New_York"), local)
			if got.Oldest != "2026-03-29T00:30:00Z" {
				t.Errorf("TZ %s: oldest = %s, want 2026-03-29T00:30:00Z", local, got.Oldest)
			}
			if got.Zone != "America/New_York" {
				t.Errorf("TZ %s: zone label = %q", local, got.Zone)
			}
		}
	})

	t.Run("timestamp without configured zone", func(t *testing.T) {
		got := collectPG02(t, dsn, pg02Config("created_local", ""), "Europe/Berlin")
		if got.Oldest != "2026-03-28T20:30:00Z" {
			t.Errorf("oldest = %s, want 2026-03-28T20:30:00Z (read as UTC)", got.Oldest)
		}
		if got.Zone != postgres.ZoneUnknown {
			t.Errorf("zone label = %q, want %q", got.Zone, postgres.ZoneUnknown)
		}
	})
}
