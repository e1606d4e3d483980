package postgres_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/auditpack/auditpack/collectors"
	"github.com/auditpack/auditpack/collectors/files"
	"github.com/auditpack/auditpack/collectors/postgres"
	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/internal/config"
	"github.com/auditpack/auditpack/internal/period"
	"github.com/auditpack/auditpack/internal/testenv"
)

// auditorPassword is the password of the non-superuser role; tests assert
// it appears in no evidence or error.
const auditorPassword = "Zq7-audit-Pässwort-91"

// shared is the package's cluster: TLS on, plain host rules (so TLS is
// available but not required), and password authentication for the
// auditor role.
var (
	shared    *testenv.Postgres
	sharedErr error
	dbSeq     atomic.Int64
)

var sharedHBA = []string{
	"local all all trust",
	"host all auditor 127.0.0.1/32 scram-sha-256",
	"host all all 127.0.0.1/32 trust",
	"host all all ::1/128 trust",
}

func TestMain(m *testing.M) {
	code := func() int {
		if _, err := testenv.PostgresBinDir(); err != nil {
			sharedErr = err
			return m.Run()
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		shared, sharedErr = testenv.StartPostgres(ctx, testenv.PostgresOptions{SSL: true, HBA: sharedHBA})
		if sharedErr == nil {
			defer shared.Stop()
			sharedErr = shared.Exec(ctx, "postgres",
				fmt.Sprintf("CREATE ROLE auditor LOGIN PASSWORD '%s'", auditorPassword),
				"GRANT pg_read_all_settings TO auditor")
		}
		return m.Run()
	}()
	os.Exit(code)
}

// cluster returns the shared cluster, or skips (fails under CI) without one.
func cluster(t *testing.T) *testenv.Postgres {
	t.Helper()
	testenv.RequirePostgres(t)
	if sharedErr != nil {
		t.Fatalf("shared PostgreSQL cluster: %v", sharedErr)
	}
	return shared
}

// newDatabase creates an empty database with a fresh name.
func newDatabase(t *testing.T, pg *testenv.Postgres) string {
	t.Helper()
	name := fmt.Sprintf("app_%d", dbSeq.Add(1))
	if err := pg.CreateDatabase(context.Background(), name); err != nil {
		t.Fatal(err)
	}
	return name
}

// demoDatabase creates a database seeded with the demo company at now.
func demoDatabase(t *testing.T, pg *testenv.Postgres, now time.Time) string {
	t.Helper()
	db := newDatabase(t, pg)
	if err := testenv.SeedDemoDatabase(context.Background(), pg.DSN(db), now); err != nil {
		t.Fatal(err)
	}
	return db
}

// demoConfig is the configuration of the demo application, reading the DSN
// from APP_DATABASE_URL.
func demoConfig() config.Postgres {
	return config.Postgres{
		Name:             "app",
		DSNEnv:           "APP_DATABASE_URL",
		StatementTimeout: 10 * time.Second,
		AuditLog: &config.AuditLog{
			Table: `public."AuditLogs"`,
			Columns: map[string]string{
				"time": "createdAt", "event_type": "eventType", "outcome": "outcome",
				"actor": "userId", "source_ip": "ipAddress",
			},
			Owners: []string{},
			Events: config.AuditLogEvents{
				Login:            []string{"user_login"},
				FailureOutcomes:  []string{"failure"},
				Lockout:          []string{"account_locked"},
				PermissionChange: []string{"permission_change", "role_change"},
				GDPRRequest:      []string{"gdpr_request"},
				GDPRCompleted:    []string{"gdpr_completed"},
			},
		},
		Users: &config.Users{
			Table: `public."Users"`,
			Columns: map[string]string{
				"id": "id", "email": "email", "role": "role", "status": "status",
				"last_login": "lastLoginAt", "mfa": "mfaEnabled",
			},
			ActiveStatuses: []string{"active"},
			AdminRoles:     []string{"admin", "superadmin"},
		},
	}
}

// run is one collection and evaluation.
type run struct {
	cfg    *config.Config
	env    map[string]string
	now    time.Time
	period period.Period
	checks []string
}

func newRun(t *testing.T, now time.Time, dsn string, pcs ...config.Postgres) *run {
	t.Helper()
	cfg := config.Defaults()
	cfg.Postgres = pcs
	p, err := period.Parse("last-90d", now)
	if err != nil {
		t.Fatal(err)
	}
	return &run{cfg: cfg, env: map[string]string{"APP_DATABASE_URL": dsn}, now: now, period: p, checks: []string{"postgres.*"}}
}

// collect runs the PostgreSQL and HR roster collectors into memory.
func (r *run) collect(t *testing.T) *evidence.Set {
	t.Helper()
	env := collectors.NewEnv(r.cfg, nil)
	env.Getenv = func(k string) string { return r.env[k] }
	var list []collectors.Collector
	for _, f := range append(postgres.Factories(), files.HRRosterFactory) {
		cs, err := f.Build(env)
		if err != nil {
			t.Fatalf("build %s: %v", f.ID, err)
		}
		list = append(list, cs...)
	}
	selected := map[string]bool{}
	for _, c := range r.selected(t) {
		selected[c.ID] = true
	}
	var sink evidence.Memory
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req := collectors.Request{Now: r.now, Period: r.period, Checks: selected}
	if err := (&collectors.Runner{}).Run(ctx, list, req, &sink); err != nil {
		t.Fatal(err)
	}
	return sink.Set()
}

func (r *run) selected(t *testing.T) []*controls.Check {
	t.Helper()
	reg := registry(t)
	sel, err := reg.Select(r.checks, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sel
}

// evaluate runs the selected checks with configured parameters.
func (r *run) evaluate(t *testing.T, set *evidence.Set) []controls.Finding {
	t.Helper()
	cat, err := controls.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	params := map[string]controls.Params{}
	for id, p := range r.cfg.Checks.Params {
		params[id] = controls.Params(p)
	}
	findings, _ := controls.Evaluate(cat, registry(t), r.selected(t), set, controls.EvalOptions{Now: r.now, Period: r.period, Params: params})
	return findings
}

func registry(t *testing.T) *controls.Registry {
	t.Helper()
	cat, err := controls.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	reg, err := controls.DefaultRegistry(cat)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// findingsOf returns the findings of one check.
func findingsOf(fs []controls.Finding, check string) []controls.Finding {
	var out []controls.Finding
	for _, f := range fs {
		if f.CheckID == check {
			out = append(out, f)
		}
	}
	return out
}

// only returns the single finding of a check, failing the test otherwise.
func only(t *testing.T, fs []controls.Finding, check string) controls.Finding {
	t.Helper()
	got := findingsOf(fs, check)
	if len(got) != 1 {
		t.Fatalf("%s: got %d findings, want 1: %s", check, len(got), describe(got))
	}
	return got[0]
}

// byResource returns the finding of a check on a resource.
func byResource(t *testing.T, fs []controls.Finding, check, resource string) controls.Finding {
	t.Helper()
	for _, f := range findingsOf(fs, check) {
		if f.Resource == resource {
			return f
		}
	}
	t.Fatalf("%s: no finding on %s; have %s", check, resource, describe(findingsOf(fs, check)))
	return controls.Finding{}
}

func describe(fs []controls.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "\n  %s %s %s: %s", f.CheckID, f.Status, f.Resource, f.Message)
	}
	return b.String()
}

// item returns the only item of a kind.
func item(t *testing.T, set *evidence.Set, kind string, v any) *evidence.Item {
	t.Helper()
	items := set.ByKind(kind)
	if len(items) != 1 {
		t.Fatalf("%d items of kind %s, want 1", len(items), kind)
	}
	if err := items[0].Decode(v); err != nil {
		t.Fatal(err)
	}
	return items[0]
}

func base(pg *testenv.Postgres, db string) string {
	return fmt.Sprintf("postgres://127.0.0.1:%d/%s", pg.Port, db)
}
