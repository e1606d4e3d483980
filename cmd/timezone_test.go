package cmd

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auditpack/auditpack/controls"
)

// auditLogEvidence reads the audit-log item's extent and zone from the
// newest bundle's evidence.
func auditLogEvidence(t *testing.T, e *e2eEnv) (oldest string, zone string) {
	t.Helper()
	files := readZip(t, e.bundle(t))
	for name, data := range files {
		if !strings.HasPrefix(name, "evidence/postgres.auditlog/") {
			continue
		}
		var it struct {
			Attributes struct {
				TimeZone string `json:"time_zone"`
				Extent   struct {
					Oldest string `json:"oldest"`
				} `json:"extent"`
			} `json:"attributes"`
		}
		if err := json.Unmarshal(data, &it); err != nil {
			t.Fatal(err)
		}
		return it.Attributes.Extent.Oldest, it.Attributes.TimeZone
	}
	t.Fatal("no postgres.auditlog evidence in the bundle")
	return "", ""
}

// TestPG_02_TimesIndependentOfTZ runs the built binary under three process
// time zones, with the session's TimeZone set to New York, on one row
// written as timestamptz and as timestamp without time zone.
func TestPG_02_TimesIndependentOfTZ(t *testing.T) {
	pg := requireDemoDatabase(t)
	ctx := context.Background()
	if err := pg.CreateDatabase(ctx, "tzcase"); err != nil {
		t.Fatal(err)
	}
	err := pg.Exec(ctx, "tzcase",
		`CREATE TABLE audit_log(id bigserial, created_at timestamptz, created_local timestamp, event_type text, username text)`,
		`INSERT INTO audit_log(created_at, created_local, event_type, username) VALUES ('2026-03-29 00:30:00+00', '2026-03-28 20:30:00', 'login_success', 'ana.silva')`,
		`ALTER DATABASE tzcase SET "TimeZone" = 'America/New_York'`,
	)
	if err != nil {
		t.Fatal(err)
	}
	configFor := func(column, zone string) string {
		cfg := `period: {start: 2026-03-01, end: 2026-03-31}
output_dir: out
formats: [junit]
fail_on: none
postgres:
  - name: app
    dsn_env: TZ_DSN
    audit_log:
      table: audit_log
      columns: {time: ` + column + `, event_type: event_type, actor: username}
`
		if zone != "" {
			cfg += "      time_zone: " + zone + "\n"
		}
		return cfg + "checks:\n  select: [postgres.auditlog.retention, postgres.auditlog.gaps]\n"
	}
	run := func(t *testing.T, tz, config string) (*controls.Results, string, string) {
		t.Helper()
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "auditpack.yaml"), []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
		e := &e2eEnv{dir: dir, out: filepath.Join(dir, "out"), env: []string{"TZ=" + tz, "TZ_DSN=" + pg.DSN("tzcase")}}
		cmd := exec.Command(binary, "run")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), e.env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("run under TZ=%s: %v\n%s", tz, err, out)
		}
		oldest, zone := auditLogEvidence(t, e)
		return e.results(t), oldest, zone
	}

	var first []string
	for _, tz := range []string{"UTC", "Europe/Berlin", "Pacific/Kiritimati"} {
		r, oldest, zone := run(t, tz, configFor("created_at", ""))
		if oldest != "2026-03-29T00:30:00Z" {
			t.Errorf("TZ=%s: oldest event = %q, want 2026-03-29T00:30:00Z", tz, oldest)
		}
		if zone != "" {
			t.Errorf("TZ=%s: a timestamptz column got zone %q", tz, zone)
		}
		var got []string
		for _, f := range r.Findings {
			got = append(got, f.CheckID+" "+string(f.Status)+" "+f.Message)
		}
		if first == nil {
			first = got
		} else if strings.Join(got, "\n") != strings.Join(first, "\n") {
			t.Errorf("TZ=%s: findings differ from TZ=UTC:\n%s\nwant:\n%s", tz, strings.Join(got, "\n"), strings.Join(first, "\n"))
		}
	}

	_, oldest, zone := run(t, "Europe/Berlin", configFor("created_local", "America/New_York"))
	if oldest != "2026-03-29T00:30:00Z" || zone != "America/New_York" {
		t.Errorf("timestamp column in New York time: oldest %q zone %q, want 2026-03-29T00:30:00Z in America/New_York", oldest, zone)
	}
	_, oldest, zone = run(t, "Europe/Berlin", configFor("created_local", ""))
	if oldest != "2026-03-28T20:30:00Z" || zone != "zone unknown (assumed UTC)" {
		t.Errorf("timestamp column without a zone: oldest %q zone %q, want 2026-03-28T20:30:00Z marked as assumed UTC", oldest, zone)
	}
}
