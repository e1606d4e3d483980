package postgres_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/auditpack/auditpack/collectors"
	"github.com/auditpack/auditpack/collectors/postgres"
	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/internal/config"
	"github.com/auditpack/auditpack/internal/period"
	"github.com/auditpack/auditpack/internal/testenv"
)

// BenchmarkAuditLogCollector seeds a large audit table (10 million rows by
// default, AUDITPACK_BENCH_ROWS to change) spread over 140 days with an index
// on the time column. It then times, in the same run, the audit-log
// collector with every audit-log check selected, one grouped pass over the
// period (GROUP BY hour, event type and outcome) and a bare count(*), and
// samples the client's peak heap. Run it once:
//
//	go test -run '^$' -bench AuditLogCollector -benchtime 1x -timeout 60m ./collectors/postgres/
//
// With AUDITPACK_BENCH_OUT set, it appends a Markdown table row to that file.
func BenchmarkAuditLogCollector(b *testing.B) {
	testenv.RequirePostgres(b)
	rows := 10_000_000
	if v := os.Getenv("AUDITPACK_BENCH_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1000 {
			b.Fatalf("invalid AUDITPACK_BENCH_ROWS %q: use a whole number of at least 1000", v)
		}
		rows = n
	}
	ctx := context.Background()
	pg, err := testenv.StartPostgres(ctx, testenv.PostgresOptions{Settings: map[string]string{
		"shared_buffers":       "512MB",
		"work_mem":             "64MB",
		"maintenance_work_mem": "512MB",
		"max_wal_size":         "8GB",
	}})
	if err != nil {
		b.Fatal(err)
	}
	defer pg.Stop()
	if err := pg.CreateDatabase(ctx, "bench"); err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	seedStart := time.Now()
	err = pg.Exec(ctx, "bench",
		`CREATE UNLOGGED TABLE public."AuditLogs" (id bigserial, "createdAt" timestamptz NOT NULL, "eventType" text NOT NULL, outcome text NOT NULL, "userId" integer, "ipAddress" text)`,
		fmt.Sprintf(`INSERT INTO public."AuditLogs" ("createdAt", "eventType", outcome, "userId", "ipAddress")
		SELECT '%[1]s'::timestamptz - interval '140 days' + (n * (interval '140 days' / %[2]d)),
		       CASE WHEN n %% 1000 = 0 THEN 'permission_change'
		            WHEN n %% 50000 = 1 THEN 'gdpr_request'
		            WHEN n %% 50000 = 2 THEN 'gdpr_completed'
		            WHEN n %% 7 = 0 THEN 'user_login'
		            ELSE 'record_view' END,
		       CASE WHEN n %% 29 = 0 THEN 'failure' ELSE 'success' END,
		       (n %% 5000)::int,
		       '198.51.100.' || (n %% 250)
		FROM generate_series(1, %[2]d) AS n`, now.Format(time.RFC3339), rows),
		`CREATE INDEX ON public."AuditLogs" ("createdAt")`,
		`VACUUM ANALYZE public."AuditLogs"`)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d rows in %s", rows, time.Since(seedStart).Round(time.Second))

	p, err := period.Parse("last-90d", now)
	if err != nil {
		b.Fatal(err)
	}
	pc := demoConfig()
	pc.StatementTimeout = 30 * time.Minute
	cfg := config.Defaults()
	cfg.Postgres = []config.Postgres{pc}
	env := collectors.NewEnv(cfg, nil)
	dsn := pg.DSN("bench")
	env.Getenv = func(string) string { return dsn }
	cs, err := postgres.AuditLogFactory.Build(env)
	if err != nil || len(cs) != 1 {
		b.Fatalf("build: %v", err)
	}
	checks := map[string]bool{}
	for _, id := range auditChecks {
		checks[id] = true
	}
	req := collectors.Request{Now: now, Period: p, Checks: checks}

	conn, err := pgx.Connect(ctx, pg.DSN("bench"))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	timeQuery := func(sql string, args ...any) time.Duration {
		start := time.Now()
		rows, err := conn.Query(ctx, sql, args...)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	var inPeriod int64
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM public."AuditLogs" WHERE "createdAt" >= $1 AND "createdAt" < $2`, p.Start, p.EffectiveEnd(now)).Scan(&inPeriod); err != nil {
		b.Fatal(err)
	}

	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		countTime := timeQuery(`SELECT count(*) FROM public."AuditLogs"`)
		groupedTime := timeQuery(`SELECT date_trunc('hour', "createdAt"), "eventType", outcome, count(*)
			FROM public."AuditLogs" WHERE "createdAt" >= $1 AND "createdAt" < $2 GROUP BY 1, 2, 3`, p.Start, p.EffectiveEnd(now))

		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		var peak atomic.Uint64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			var m runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak.Load() {
					peak.Store(m.HeapInuse)
				}
			}
		}()
		var sink evidence.Memory
		start := time.Now()
		if err := cs[0].Collect(ctx, req, &sink); err != nil {
			b.Fatal(err)
		}
		collectTime := time.Since(start)
		close(stop)
		wg.Wait()
		for _, it := range sink.Set().Items {
			if len(it.Errors) > 0 {
				b.Fatalf("collector errors: %+v", it.Errors)
			}
			prev := start
			for _, pr := range it.Provenance {
				b.Logf("%-36s %s", pr.Operation, pr.Time.Sub(prev).Round(time.Millisecond))
				prev = pr.Time
			}
		}
		peakMiB := float64(peak.Load()) / (1 << 20)
		baseMiB := float64(base.HeapInuse) / (1 << 20)

		b.ReportMetric(collectTime.Seconds(), "collector-s")
		b.ReportMetric(groupedTime.Seconds(), "grouped-s")
		b.ReportMetric(countTime.Seconds(), "count-s")
		b.ReportMetric(peakMiB, "peak-heap-MiB")
		line := fmt.Sprintf("| %s | %d | %d | %.2f s | %.2f s | %.2f s | %.1f× | %.1f MiB (%.1f MiB before) |\n",
			now.Format("2006-01-02"), rows, inPeriod, countTime.Seconds(), groupedTime.Seconds(), collectTime.Seconds(),
			collectTime.Seconds()/groupedTime.Seconds(), peakMiB, baseMiB)
		b.Log(line)
		if out := os.Getenv("AUDITPACK_BENCH_OUT"); out != "" {
			f, err := os.OpenFile(out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				b.Fatal(err)
			}
			f.WriteString(line)
			f.Close()
		}
	}
}
