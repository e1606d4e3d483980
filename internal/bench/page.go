package main

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"

	"strings"
	"time"
)

// pageData is everything docs/benchmarks.md is written from.
type pageData struct {
	Machine  machine
	Harness  *harness
	Started  time.Time
	Finished time.Time
	LoadEnd  string
	Steps    []step
	AWS      *awsResult
	Go       []*goBenchmark
}

// runBudget is how long `make bench` may take on a 2-core machine.
const runBudget = 20 * time.Minute

// goal is one row of the goals table.
type goal struct {
	Goal, Measured string
	Met            *bool
}

func met(ok bool) *bool { return &ok }

func (g goal) status() string {
	switch {
	case g.Met == nil:
		return "not measured"
	case *g.Met:
		return "met"
	}
	return "**missed**"
}

func medianOf(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := append([]float64(nil), vs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func seconds(runs []timedRun) []float64 {
	var out []float64
	for _, r := range runs {
		out = append(out, r.Seconds)
	}
	return out
}

// thousands puts commas between groups of three digits of a whole number.
func thousands(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	head := len(digits) % 3
	if head == 0 {
		head = 3
	}
	out := digits[:head]
	for i := head; i < len(digits); i += 3 {
		out += "," + digits[i:i+3]
	}
	return out
}

func num(n int) string { return thousands(strconv.Itoa(n)) }

func mb(kb int) string { return fmt.Sprintf("%.0f MB", float64(kb)/1024) }

// renderPage writes the Markdown page.
func renderPage(p *pageData) (string, error) {
	var b strings.Builder
	h := p.Harness
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	w("# Benchmarks\n\n")
	w("`make bench` writes this page from one run of `go run ./internal/bench`; edit the program, not the page. ")
	w("Every number below comes from the run described under [Run](#run). ")
	w("Other processes shared the machine's cores during the run, so absolute times vary from run to run; ")
	w("the goals are ratios of times measured in the same run, which the load affects on both sides.\n\n")

	goals, sections := buildSections(p)
	w("## Goals\n\n| Goal | Measured | Result |\n| --- | --- | --- |\n")
	for _, g := range goals {
		w("| %s | %s | %s |\n", g.Goal, g.Measured, g.status())
	}
	w("\n")
	b.WriteString(sections)

	w("## Run\n\n")
	w("- Command: `make bench`, which runs `go run ./internal/bench -out %s`", h.out)
	if args := h.nonDefaultFlags(); args != "" {
		w(" with `%s`", args)
	}
	if p.Machine.Commit != "" {
		w("\n- Code measured: commit %s", p.Machine.Commit)
	}
	total := p.Finished.Sub(p.Started)
	budget := "within"
	if total > runBudget {
		budget = "**over**"
	}
	w("\n- Started %s, finished %s: %s in all, %s the %.0f-minute budget of `make bench`\n", p.Started.Format("2006-01-02 15:04:05 UTC"), p.Finished.Format("15:04:05 UTC"), total.Round(time.Second), budget, runBudget.Minutes())
	w("- Machine: %s CPUs (`nproc`), %s, %s of memory (MemTotal), Linux %s\n", p.Machine.CPUs, p.Machine.CPUModel, p.Machine.Memory, p.Machine.Kernel)
	w("- Load average (1, 5, 15 min) at the start: %s; at the end: %s\n", p.Machine.LoadStart, p.LoadEnd)
	for _, v := range p.Machine.Versions {
		w("- %s\n", v)
	}
	w("\n| Step | Duration |\n| --- | --- |\n")
	for _, s := range p.Steps {
		w("| %s | %s |\n", s.Name, s.Duration.Round(time.Second))
	}
	w("\n")

	w("## How each figure was measured\n\n")
	w("- **Process wall times** (auditpack, the floor client, the AWS CLI loop, the boto3 script): hyperfine, one run per invocation (`hyperfine --runs 1 --export-json`), so the API calls of each run can be counted on their own. auditpack and the floor alternate over the rounds and the median is used.\n")
	w("- **Peak memory of a process**: the \"Maximum resident set size\" of `/usr/bin/time -v`, which wraps each timed process inside hyperfine and each Go benchmark process.\n")
	w("- **API calls**: counted at the latency proxy (`internal/testenv` fault proxy, no faults, fixed added latency) by service, operation and bucket.\n")
	w("- **Go benchmarks**: each `Benchmark` function of the repository runs in its own test process (`go test -c`, then `-test.bench '^Name$' -test.count N`), summarised with benchstat; the tables use the median of the runs. Metrics such as `peak-RSS-MB` and `collector-s` are reported by the benchmarks themselves with `b.ReportMetric`.\n")
	w("- **Audit-log statistics**: `BenchmarkAuditLogCollector` seeds the table with `generate_series` in a throwaway PostgreSQL cluster, with an index on the time column and `VACUUM ANALYZE`. ")
	w("In one process it then times a bare `count(*)`, one grouped pass (`GROUP BY` hour, event type and outcome over the period) and the collector with every audit-log check selected. ")
	w("It samples the Go heap in use every 20 ms while the collector runs.\n\n")

	w("## Go benchmark output\n\n")
	w("benchstat's summary for benchmarks run several times, the `go test` result line for those run once.\n\n")
	for _, g := range p.Go {
		if g.Benchstat == "" {
			continue
		}
		title := g.Name
		if g.Label != "" {
			title += " (" + g.Label + ")"
		}
		w("`./%s` %s, %d run(s):\n\n```\n%s\n```\n\n", g.Dir, title, len(g.Runs), g.Benchstat)
	}
	return b.String(), nil
}

// nonDefaultFlags lists the flags that changed a default, for the page.
func (h *harness) nonDefaultFlags() string {
	var parts []string
	add := func(name string, v, def any) {
		if fmt.Sprint(v) != fmt.Sprint(def) {
			parts = append(parts, fmt.Sprintf("-%s %v", name, v))
		}
	}
	add("buckets", h.size.Buckets, 2000)
	add("users", h.size.Users, 500)
	add("rds", h.size.RDS, 100)
	add("kms", h.size.KMS, 200)
	add("latency", h.latency, 20*time.Millisecond)
	add("concurrency", h.concurrency, 16)
	add("rounds", h.rounds, 3)
	add("cli-buckets", h.cliBuckets, 25)
	add("cli-users", h.cliUsers, 25)
	add("boto3-buckets", h.boto3Buckets, 500)
	add("pg-rows", h.pgRows, 10_000_000)
	add("pg-small-rows", h.pgSmallRows, 1_000_000)
	add("count", h.benchCount, 3)
	var skip []string
	for s := range h.skip {
		skip = append(skip, s)
	}
	sort.Strings(skip)
	if len(skip) > 0 {
		parts = append(parts, "-skip "+strings.Join(skip, ","))
	}
	return strings.Join(parts, " ")
}

func buildSections(p *pageData) ([]goal, string) {
	var goals []goal
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	if a := p.AWS; a != nil {
		g, text := awsSection(a)
		goals = append(goals, g...)
		b.WriteString(text)
	} else {
		for _, name := range []string{"AWS collection within 1.25 × the floor", "Per bucket exactly the calls the selected checks need", "At least 20 × faster per resource than the AWS CLI loop", "At least 5 × faster per resource than the sequential boto3 script"} {
			goals = append(goals, goal{Goal: name, Measured: "left out of this run (-skip aws)"})
		}
	}

	var audit []*goBenchmark
	byName := map[string]*goBenchmark{}
	var others []*goBenchmark
	for _, g := range p.Go {
		switch {
		case g.Name == auditLogBenchmark:
			audit = append(audit, g)
		case g.Dir == "reports/pdf" || g.Dir == "reports/xlsx":
			byName[g.Name] = g
		default:
			others = append(others, g)
		}
	}
	g, text := auditLogSection(audit)
	goals = append(goals, g...)
	b.WriteString(text)
	g, text = reportsSection(byName)
	goals = append(goals, g...)
	b.WriteString(text)

	if len(others) > 0 {
		w("## Other benchmarks\n\n| Package | Benchmark | Runs | Median time | Median allocated | Process peak RSS |\n| --- | --- | --- | --- | --- | --- |\n")
		for _, o := range others {
			ns, _ := o.median("ns/op")
			alloc, _ := o.median("B/op")
			w("| `./%s` | %s | %d | %s | %s | %s |\n", o.Dir, o.Name, len(o.Runs), time.Duration(ns).Round(time.Microsecond), fmt.Sprintf("%.0f B/op", alloc), mb(o.MaxRSSKB))
		}
		w("\n")
	}
	return goals, b.String()
}

func awsSection(a *awsResult) ([]goal, string) {
	var goals []goal
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	apTimes, floorTimes := seconds(a.Auditpack), seconds(a.Floor)
	apMedian, floorMedian := medianOf(apTimes), medianOf(floorTimes)
	ratio := apMedian / floorMedian
	last := a.Auditpack[len(a.Auditpack)-1]
	sameCalls := true
	for i := range a.Auditpack {
		sameCalls = sameCalls && equalCounts(a.Auditpack[i].Calls, a.Floor[i].Calls)
	}
	measured := fmt.Sprintf("%.2f × (auditpack %.1f s, floor %.1f s, medians of %d rounds)", ratio, apMedian, floorMedian, len(apTimes))
	if !sameCalls {
		measured += "; the floor did not make the same calls, see the table below"
	}
	goals = append(goals, goal{
		Goal:     fmt.Sprintf("AWS collection within 1.25 × the floor at the default concurrency (%d)", a.Concurrency),
		Measured: measured,
		Met:      met(ratio <= 1.25 && sameCalls),
	})

	want := strings.Join(s3PerBucketOps, " ")
	wantEncryption := strings.Join(encryptionOps, " ")
	exact := last.PerBucket[want]
	goals = append(goals, goal{
		Goal: "Per bucket exactly the calls the selected checks need",
		Measured: fmt.Sprintf("%s of %s buckets got exactly %s with the S3, IAM, RDS and KMS checks selected, %s of %s with only the S3 checks; with only %s, %s of %s got exactly %s",
			num(exact), num(a.Size.Buckets), strings.Join(s3PerBucketOps, ", "), num(a.S3Only.PerBucket[want]), num(a.Size.Buckets),
			encryptionCheck, num(a.EncryptionOnly.PerBucket[wantEncryption]), num(a.Size.Buckets), strings.Join(encryptionOps, ", ")),
		Met: met(exact == a.Size.Buckets && len(last.PerBucket) == 1 &&
			a.S3Only.PerBucket[want] == a.Size.Buckets && len(a.S3Only.PerBucket) == 1 &&
			a.EncryptionOnly.PerBucket[wantEncryption] == a.Size.Buckets && len(a.EncryptionOnly.PerBucket) == 1),
	})

	resources := a.Size.resources()
	apPerResource := apMedian / float64(resources)
	s3PerBucket := a.S3Only.Seconds / float64(a.Size.Buckets)
	var cliPer, botoPer float64
	if a.CLIBuckets > 0 {
		cliPer = a.CLI.Seconds / float64(max(1, outputCount(a.CLI.Output, "resources")))
		goals = append(goals, goal{
			Goal:     "At least 20 × faster per resource than the AWS CLI loop",
			Measured: fmt.Sprintf("%.0f × (CLI %.0f ms, auditpack %.1f ms per resource)", cliPer/apPerResource, cliPer*1000, apPerResource*1000),
			Met:      met(cliPer/apPerResource >= 20),
		})
	}
	if a.Boto3Buckets > 0 {
		botoPer = a.Boto3.Seconds / float64(max(1, outputCount(a.Boto3.Output, "resources")))
		goals = append(goals, goal{
			Goal:     "At least 5 × faster per resource than the sequential boto3 script",
			Measured: fmt.Sprintf("%.1f × (boto3 %.1f ms, auditpack %.1f ms per bucket)", botoPer/s3PerBucket, botoPer*1000, s3PerBucket*1000),
			Met:      met(botoPer/s3PerBucket >= 5),
		})
	}

	w("## AWS collection\n\n")
	w("moto_server on 127.0.0.1 behind the fault proxy of `internal/testenv`, which adds %d ms before forwarding each call. ", a.Latency.Milliseconds())
	w("Seeded straight into moto (not through the proxy) with %s buckets, %d IAM users, %d RDS DB instances and %d KMS keys: %s API calls with %d in flight took %.1f s.", thousands(strconv.Itoa(a.Size.Buckets)), a.Size.Users, a.Size.RDS, a.Size.KMS, thousands(strconv.FormatInt(a.Seed.Calls, 10)), a.Seed.Workers, a.Seed.Duration.Seconds())
	if a.ScaleNote != "" {
		w(" These sizes are smaller than the goal's 2,000 buckets, 500 users, 100 instances and 200 keys: %s.", a.ScaleNote)
	}
	w("\n\nauditpack runs `auditpack collect` with every S3, IAM, RDS and KMS check selected (CloudTrail, EC2 and Backup are left out because moto does not serve some of their calls) and %d calls in flight per service. ", a.Concurrency)
	w("The floor is `internal/bench/floor`, a minimal Go client with aws-sdk-go-v2 that makes the same calls with the same per-service limit and reads the responses only to find the next calls.\n\n")
	w("| Round | auditpack collect | floor | auditpack ÷ floor |\n| --- | --- | --- | --- |\n")
	for i := range a.Auditpack {
		w("| %d | %.2f s | %.2f s | %.2f |\n", i+1, a.Auditpack[i].Seconds, a.Floor[i].Seconds, a.Auditpack[i].Seconds/a.Floor[i].Seconds)
	}
	w("| median | %.2f s | %.2f s | %.2f |\n\n", apMedian, floorMedian, ratio)
	w("auditpack printed: \"%s\". ", lastLine(last.Output))
	if sameCalls {
		w("In every round the floor made exactly the calls auditpack made, operation by operation. ")
	} else {
		w("**In at least one round the floor's calls differed from auditpack's.** ")
	}
	w("Peak RSS (last round): auditpack %s, floor %s. ", mb(last.MaxRSSKB), mb(a.Floor[len(a.Floor)-1].MaxRSSKB))
	w("moto served %.0f calls a second to auditpack and %.0f to the floor (calls of the last round ÷ its wall time).\n\n", float64(last.totalCalls())/last.Seconds, float64(a.Floor[len(a.Floor)-1].totalCalls())/a.Floor[len(a.Floor)-1].Seconds)

	w("API calls of the last round, as the proxy counted them:\n\n| Service | Operation | auditpack | floor |\n| --- | --- | --- | --- |\n")
	floorCalls := a.Floor[len(a.Floor)-1].Calls
	ops := map[string]bool{}
	for k := range last.Calls {
		ops[k] = true
	}
	for k := range floorCalls {
		ops[k] = true
	}
	var keys []string
	for k := range ops {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		svc, op, _ := strings.Cut(k, ":")
		w("| %s | %s | %s | %s |\n", svc, op, num(last.Calls[k]), num(floorCalls[k]))
	}
	w("| all | | %s | %s |\n\n", num(last.totalCalls()), num(a.Floor[len(a.Floor)-1].totalCalls()))
	w("By service:\n\n| Service | auditpack | floor |\n| --- | --- | --- |\n")
	apByService, floorByService := byService(last.Calls), byService(floorCalls)
	for _, svc := range sortedKeys(apByService) {
		w("| %s | %s | %s |\n", svc, num(apByService[svc]), num(floorByService[svc]))
	}
	w("\n")
	w("Calls per bucket, by selection (moto leaves BucketRegion out of ListBuckets, so GetBucketLocation is needed here, while against AWS ListBuckets returns the region):\n\n| Checks selected | Operations on one bucket | Buckets | Wall time |\n| --- | --- | --- | --- |\n")
	for _, sel := range []struct {
		name string
		run  timedRun
	}{{"S3, IAM, RDS and KMS (last round)", last}, {"S3 only", a.S3Only}, {encryptionCheck + " only", a.EncryptionOnly}} {
		for _, sig := range sortedKeys(sel.run.PerBucket) {
			w("| %s | %s | %s | %.2f s |\n", sel.name, sig, num(sel.run.PerBucket[sig]), sel.run.Seconds)
		}
	}
	w("\n")

	w("## The manual way\n\n")
	w("The same per-bucket calls made one at a time: a shell loop over `aws s3api` and `aws iam` (`internal/bench/manual/cli_loop.sh`) and a sequential boto3 script (`internal/bench/manual/boto3_scan.py`), both against the same proxy with fake credentials. ")
	w("The CLI loop is compared per resource with the full auditpack run above; the boto3 script reads only buckets, so it is compared per bucket with `auditpack collect` run with only the S3 checks over all %s buckets.\n\n", num(a.Size.Buckets))
	w("| Way | Resources | API calls | Wall time | Per resource | auditpack is faster by |\n| --- | --- | --- | --- | --- | --- |\n")
	w("| auditpack collect, S3, IAM, RDS and KMS checks (median) | %s | %s | %.2f s | %.2f ms | |\n", num(resources), num(last.totalCalls()), apMedian, apPerResource*1000)
	w("| auditpack collect, S3 checks only | %s buckets | %s | %.2f s | %.2f ms | |\n", num(a.Size.Buckets), num(a.S3Only.totalCalls()), a.S3Only.Seconds, s3PerBucket*1000)
	if a.CLIBuckets > 0 {
		w("| AWS CLI loop | %d buckets + %d users | %d | %.1f s | %.0f ms | %.0f × |\n", a.CLIBuckets, a.CLIUsers, a.CLI.totalCalls(), a.CLI.Seconds, cliPer*1000, cliPer/apPerResource)
	}
	if a.Boto3Buckets > 0 {
		w("| sequential boto3 | %d buckets | %s | %.1f s | %.1f ms | %.1f × |\n", a.Boto3Buckets, num(a.Boto3.totalCalls()), a.Boto3.Seconds, botoPer*1000, botoPer/s3PerBucket)
	}
	w("\n")
	// The scripts exit non-zero, which stops the run, when a call fails
	// with an error other than a "not configured" code.
	if a.CLIBuckets > 0 {
		w("The CLI loop ended with `%s`. ", lastLine(a.CLI.Output))
	}
	if a.Boto3Buckets > 0 {
		w("The boto3 script ended with `%s`.", lastLine(a.Boto3.Output))
	}
	w("\n\n")
	return goals, b.String()
}

// byService adds up "service:Operation" counts by service.
func byService(calls map[string]int) map[string]int {
	out := map[string]int{}
	for k, n := range calls {
		svc, _, _ := strings.Cut(k, ":")
		out[svc] += n
	}
	return out
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "\n"); i >= 0 {
		return s[i+1:]
	}
	return s
}

// outputCount reads "name=N" from a manual script's closing line.
func outputCount(out, name string) int {
	for _, f := range strings.Fields(lastLine(out)) {
		if v, ok := strings.CutPrefix(f, name+"="); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return 0
}

func sortedKeys(m map[string]int) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Lines that BenchmarkAuditLogCollector logs: how long seeding took, and
// each query of the collector with its time.
var (
	seededLine = regexp.MustCompile(`seeded (\d+) rows in (\S+)`)
	queryLines = regexp.MustCompile(`(?m)bench_test\.go:\d+: (postgres:\S+)\s+(\S+)\s*$`)
)

var auditLogRow = regexp.MustCompile(`\|\s*\d{4}-\d{2}-\d{2}\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|`)

func auditLogSection(runs []*goBenchmark) ([]goal, string) {
	if len(runs) == 0 {
		return []goal{
			{Goal: "Audit-log collector within 2 × one grouped pass", Measured: "left out of this run"},
			{Goal: "Flat client memory from 1 to 10 million rows", Measured: "left out of this run"},
		}, ""
	}

	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("## Audit-log statistics\n\n")
	w("The audit-log collector computes its statistics on the database and never pulls the log's rows. ")
	w("It makes one grouped pass over the period for daily counts and gaps, and one more scan for the few events that the lockout, permission-change and data-subject statistics need. ")
	w("The oldest and newest event come from the time column's index.\n\n")
	w("`BenchmarkAuditLogCollector` in `./collectors/postgres` starts a throwaway PostgreSQL cluster (shared_buffers 512MB, work_mem 64MB), seeds an audit table whose rows span 140 days with `generate_series`, with a B-tree index on the time column, and selects the last 90 days as the period. ")
	w("It runs once per size; on its own, run it with `AUDITPACK_BENCH_ROWS=N go test -run '^$' -bench AuditLogCollector -benchtime 1x -timeout 60m ./collectors/postgres/`.\n\n")

	w("| Rows | Rows in period | `count(*)` | Grouped pass | Collector | Collector ÷ grouped | Peak Go heap during the collector | Process peak RSS |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	var goals []goal
	var heaps []float64
	var largest *goBenchmark
	for _, r := range runs {
		rows, inPeriod := r.Label, ""
		if m := auditLogRow.FindStringSubmatch(r.Raw); m != nil {
			rows, inPeriod = thousands(m[1]), thousands(m[2])
		}
		count, _ := r.median("count-s")
		grouped, _ := r.median("grouped-s")
		collector, _ := r.median("collector-s")
		heap, _ := r.median("peak-heap-MiB")
		heaps = append(heaps, heap)
		w("| %s | %s | %.2f s | %.2f s | %.2f s | %.2f | %.1f MiB | %s |\n", rows, inPeriod, count, grouped, collector, collector/grouped, heap, mb(r.MaxRSSKB))
		largest = r
	}

	w("\nThe process peak RSS includes seeding the table and the timed queries; the heap figure covers only the collector.")
	if m := seededLine.FindStringSubmatch(largest.Raw); m != nil {
		w(" Seeding the %s rows took %s.", thousands(m[1]), m[2])
	}
	w("\n\n")
	if queries := queryLines.FindAllStringSubmatch(largest.Raw, -1); len(queries) > 0 {
		w("The collector's queries at %s, from its provenance (time since the previous query ended):\n\n| Query | Time |\n| --- | --- |\n", largest.Label)
		for _, q := range queries {
			w("| %s | %s |\n", q[1], q[2])
		}
		w("\n")
	}

	grouped, _ := largest.median("grouped-s")
	collector, _ := largest.median("collector-s")
	goals = append(goals, goal{
		Goal:     "Audit-log collector within 2 × one grouped pass",
		Measured: fmt.Sprintf("%.2f × at %s (collector %.2f s, grouped pass %.2f s)", collector/grouped, largest.Label, collector, grouped),
		Met:      met(collector/grouped <= 2),
	})
	if len(heaps) >= 2 {
		lo, hi := heaps[0], heaps[len(heaps)-1]
		goals = append(goals, goal{
			Goal:     "Flat client memory from 1 to 10 million rows",
			Measured: fmt.Sprintf("peak Go heap %.1f MiB at %s, %.1f MiB at %s", lo, runs[0].Label, hi, largest.Label),
			// Flat: the tenfold table may not grow the heap by more than
			// a quarter or 4 MiB, whichever is larger.
			Met: met(hi <= max(lo*1.25, lo+4)),
		})
	}
	return goals, b.String()
}

func reportsSection(byName map[string]*goBenchmark) ([]goal, string) {
	if len(byName) == 0 {
		return []goal{
			{Goal: "Reports peak RSS at most 300 MB", Measured: "left out of this run"},
			{Goal: "XLSX at most 4 × encoding/csv", Measured: "left out of this run"},
		}, ""
	}

	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("## Reports\n\n")
	w("10,000 findings and 100,000 evidence rows (`reports/internal/fixture.Large`), each benchmark in its own process. ")
	w("`BenchmarkCSVBaseline` writes the same evidence rows with encoding/csv. `peak-RSS-MB` is the process's VmHWM read by the benchmark, which includes building the input.\n\n")

	w("| Benchmark | Runs | Median time | Median allocated | peak-RSS-MB (max of runs) | Process peak RSS |\n| --- | --- | --- | --- | --- | --- |\n")
	var goals []goal
	var profiles []*goBenchmark
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		g := byName[n]
		ns, _ := g.median("ns/op")
		alloc, _ := g.median("B/op")
		peak := 0.0
		for _, r := range g.Runs {
			peak = max(peak, r.Metrics["peak-RSS-MB"])
		}
		w("| `./%s` %s | %d | %.2f s | %.0f MB | %.0f MB | %s |\n", g.Dir, n, len(g.Runs), ns/1e9, alloc/1e6, peak, mb(g.MaxRSSKB))
		if n == "BenchmarkPDF" || n == "BenchmarkXLSX" {
			rss := float64(g.MaxRSSKB) / 1024
			if g.Limited != nil {
				profiles = append(profiles, g)
			}
			goals = append(goals, goal{
				Goal:     "Report peak RSS at most 300 MB: " + strings.TrimPrefix(n, "Benchmark"),
				Measured: fmt.Sprintf("%.0f MB (whole benchmark process, input included)", rss),
				Met:      met(rss <= 300),
			})
		}
	}
	w("\n")
	for _, g := range profiles {
		w("%s missed the memory goal, so the run profiled one more run of it. ", g.Name)
		if c := byName["BenchmarkCSVBaseline"]; c != nil {
			w("The CSV baseline's process, which builds the same input and writes its rows to io.Discard, peaked at %s, so the input accounts for about that much of the %s. ", mb(c.MaxRSSKB), mb(g.MaxRSSKB))
		}
		w("Under a soft memory limit (`GOMEMLIMIT=%s`, which makes the Go collector run more often as the heap nears it) the process peaked at %s and took %.2f s. ", g.Limited.Limit, mb(g.Limited.MaxRSSKB), g.Limited.Seconds)
		w("Allocations by call path (`go tool pprof -sample_index=alloc_space -top -cum`):\n\n```\n%s\n```\n\n", g.Profile)
	}
	if x, c := byName["BenchmarkXLSX"], byName["BenchmarkCSVBaseline"]; x != nil && c != nil {
		xs, _ := x.median("ns/op")
		cs, _ := c.median("ns/op")
		goals = append(goals, goal{
			Goal:     "XLSX at most 4 × encoding/csv writing the same rows",
			Measured: fmt.Sprintf("%.2f × (XLSX %.2f s, CSV %.2f s)", xs/cs, xs/1e9, cs/1e9),
			Met:      met(xs/cs <= 4),
		})
	}
	return goals, b.String()
}
