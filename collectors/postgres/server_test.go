package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/auditpack/auditpack/collectors/postgres"
	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/internal/testenv"
)

// setForceSSL sets or, with value "", removes the custom rds.force_ssl
// setting on the shared cluster, as an RDS parameter group would.
func setForceSSL(t *testing.T, pg *testenv.Postgres, value string) {
	t.Helper()
	ctx := context.Background()
	settings := map[string]string{}
	if value != "" {
		settings["rds.force_ssl"] = value
	}
	if err := pg.SetSettings(ctx, settings); err != nil {
		t.Fatal(err)
	}
	// pg_reload_conf only signals the postmaster; wait until new sessions
	// see the value.
	deadline := time.Now().Add(5 * time.Second)
	check := fmt.Sprintf(`DO $$ BEGIN IF coalesce(current_setting('rds.force_ssl', true), '') <> '%s' THEN RAISE EXCEPTION 'not yet'; END IF; END $$`, value)
	for {
		err := pg.Exec(ctx, "postgres", check)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("rds.force_ssl did not become %q: %v", value, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func serverRun(t *testing.T, pg *testenv.Postgres, dsn string) []controls.Finding {
	t.Helper()
	r := newRun(t, time.Now().UTC(), dsn, demoConfig())
	r.checks = []string{"postgres.server.*"}
	return r.evaluate(t, r.collect(t))
}

func TestPG_01_SSLOnWithHostRuleFails(t *testing.T) {
	pg := cluster(t)
	db := newDatabase(t, pg)
	r := newRun(t, time.Now().UTC(), pg.DSN(db), demoConfig())
	r.checks = []string{postgres.CheckSSLRequired}
	set := r.collect(t)
	f := only(t, r.evaluate(t, set), postgres.CheckSSLRequired)
	if f.Status != controls.StatusFail {
		t.Fatalf("status = %s, want fail: %s", f.Status, f.Message)
	}
	if !strings.Contains(f.Message, "TLS available") {
		t.Errorf("message lacks %q: %s", "TLS available", f.Message)
	}
	if !strings.Contains(f.Message, "line 3 (host all all 127.0.0.1") {
		t.Errorf("message does not name the plain host rule: %s", f.Message)
	}
	var a postgres.ServerAttrs
	item(t, set, postgres.KindServer, &a)
	if a.SessionSSL == nil || !a.SessionSSL.SSL {
		t.Fatalf("the test's own session should use TLS, evidence has %+v", a.SessionSSL)
	}
	if note, _ := f.Details["auditpack_session"].(string); !strings.Contains(note, "context only") {
		t.Errorf("own TLS session should be context only, details: %v", f.Details)
	}
}

func TestPG_01_ForceSSL(t *testing.T) {
	pg := cluster(t)
	db := newDatabase(t, pg)
	t.Cleanup(func() { setForceSSL(t, pg, "") })
	auditor := pg.UserDSN("auditor", auditorPassword, db)

	cases := []struct {
		name, force, dsn string
		want             controls.Status
	}{
		{"superuser force 0", "0", pg.DSN(db), controls.StatusFail},
		{"superuser force 1", "1", pg.DSN(db), controls.StatusPass},
		// Without superuser rights pg_hba cannot be read, as on RDS.
		{"rds force 0", "0", auditor, controls.StatusFail},
		{"rds force 1", "1", auditor, controls.StatusPass},
		{"no force, hba unreadable", "", auditor, controls.StatusReview},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			setForceSSL(t, pg, c.force)
			f := only(t, serverRun(t, pg, c.dsn), postgres.CheckSSLRequired)
			if f.Status != c.want {
				t.Errorf("status = %s, want %s: %s", f.Status, c.want, f.Message)
			}
			if !strings.Contains(f.Message, "TLS available") {
				t.Errorf("message lacks %q: %s", "TLS available", f.Message)
			}
		})
	}
}

func TestPG_01_HostsslOnlyPasses(t *testing.T) {
	pg := cluster(t)
	db := newDatabase(t, pg)
	ctx := context.Background()
	t.Cleanup(func() {
		if err := pg.WriteHBA(sharedHBA); err != nil {
			t.Error(err)
		}
		if err := pg.Reload(ctx); err != nil {
			t.Error(err)
		}
	})
	if err := pg.WriteHBA([]string{
		"local all all trust",
		"hostssl all auditor 127.0.0.1/32 scram-sha-256",
		"hostssl all all 127.0.0.1/32 trust",
		"host all all 0.0.0.0/0 reject",
	}); err != nil {
		t.Fatal(err)
	}
	if err := pg.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	f := only(t, serverRun(t, pg, pg.DSN(db)), postgres.CheckSSLRequired)
	if f.Status != controls.StatusPass {
		t.Errorf("status = %s, want pass: %s", f.Status, f.Message)
	}
}

func TestPG_01_TwoHostsSeparateResults(t *testing.T) {
	pg := cluster(t)
	db := newDatabase(t, pg)
	dsn := fmt.Sprintf("postgres://postgres@127.0.0.1:%d,localhost:%d/%s?sslmode=require", pg.Port, pg.Port, db)
	fs := findingsOf(serverRun(t, pg, dsn), postgres.CheckSSLRequired)
	want := []string{
		fmt.Sprintf("postgres://127.0.0.1:%d/%s", pg.Port, db),
		fmt.Sprintf("postgres://localhost:%d/%s", pg.Port, db),
	}
	if len(fs) != len(want) {
		t.Fatalf("got %d findings, want one per host: %s", len(fs), describe(fs))
	}
	for i, f := range fs {
		if f.Resource != want[i] {
			t.Errorf("finding %d resource = %s, want %s", i, f.Resource, want[i])
		}
		host := strings.TrimPrefix(strings.Split(want[i], ":")[1], "//")
		if !strings.Contains(f.Message, "host "+host+":") {
			t.Errorf("finding on %s does not name its host: %s", f.Resource, f.Message)
		}
		if f.Status != controls.StatusFail {
			t.Errorf("%s: status = %s, want fail", f.Resource, f.Status)
		}
	}
}

func TestServerSettingsWithoutTLS(t *testing.T) {
	pg := testenv.StartPostgresT(t, testenv.PostgresOptions{Settings: map[string]string{
		"log_connections":     "on",
		"log_disconnections":  "on",
		"password_encryption": "md5",
	}})
	fs := serverRun(t, pg, pg.DSN("postgres"))
	want := map[string]controls.Status{
		postgres.CheckSSLRequired:        controls.StatusFail,
		postgres.CheckTLSMinVersion:      controls.StatusNotApplicable,
		postgres.CheckConnectionLogging:  controls.StatusPass,
		postgres.CheckPasswordEncryption: controls.StatusFail,
	}
	for check, status := range want {
		f := only(t, fs, check)
		if f.Status != status {
			t.Errorf("%s = %s, want %s: %s", check, f.Status, status, f.Message)
		}
	}
}

func TestTLSMinVersionFailsForTLSv1(t *testing.T) {
	pg := cluster(t)
	db := newDatabase(t, pg)
	ctx := context.Background()
	t.Cleanup(func() {
		if err := pg.SetSettings(ctx, map[string]string{}); err != nil {
			t.Error(err)
		}
	})
	if err := pg.SetSettings(ctx, map[string]string{"ssl_min_protocol_version": "TLSv1"}); err != nil {
		t.Fatal(err)
	}
	var f controls.Finding
	// A reload reaches new sessions shortly after pg_reload_conf returns.
	for i := 0; i < 50; i++ {
		f = only(t, serverRun(t, pg, pg.DSN(db)), postgres.CheckTLSMinVersion)
		if f.Status == controls.StatusFail {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if f.Status != controls.StatusFail || !strings.Contains(f.Message, "TLSv1 is below TLSv1.2") {
		t.Errorf("status = %s, want fail: %s", f.Status, f.Message)
	}
}
