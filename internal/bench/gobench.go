package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// auditLogBenchmark seeds its own audit table; it runs once per size, with
// the row count in AUDITPACK_BENCH_ROWS.
const auditLogBenchmark = "BenchmarkAuditLogCollector"

// goBenchmark is one Benchmark function and what its runs measured.
type goBenchmark struct {
	Dir  string // package folder relative to the root, such as reports/pdf
	Name string
	// Label names the settings of a function run more than once, such as
	// "1000000 rows".
	Label string
	Count int
	Runs  []benchLine
	// MaxRSSKB is the peak RSS of the whole test process (/usr/bin/time -v).
	MaxRSSKB  int
	Benchstat string
	Raw       string
	bin       string
	// Profile is the allocation profile of a benchmark that missed its
	// memory goal, and Limited its run under a soft memory limit.
	Profile string
	Limited *limitedRun
}

// limitedRun is one more run of a benchmark under GOMEMLIMIT.
type limitedRun struct {
	Limit    string
	Seconds  float64
	MaxRSSKB int
}

// benchLine is one result line of `go test -bench`.
type benchLine struct {
	NsPerOp float64
	Metrics map[string]float64
}

// median returns the median of a metric over the runs ("ns/op" for time).
func (b *goBenchmark) median(metric string) (float64, bool) {
	var vs []float64
	for _, r := range b.Runs {
		if metric == "ns/op" {
			vs = append(vs, r.NsPerOp)
		} else if v, ok := r.Metrics[metric]; ok {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return 0, false
	}
	sort.Float64s(vs)
	if len(vs)%2 == 1 {
		return vs[len(vs)/2], true
	}
	return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2, true
}

var benchFunc = regexp.MustCompile(`(?m)^func (Benchmark\w*)\(b \*testing\.B\)`)

// discoverBenchmarks finds every Benchmark function in the repository's
// test files, by package folder.
func discoverBenchmarks(root string) (map[string][]string, error) {
	found := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		for _, m := range benchFunc.FindAllSubmatch(data, -1) {
			found[rel] = append(found[rel], string(m[1]))
		}
		return nil
	})
	for dir := range found {
		sort.Strings(found[dir])
	}
	return found, err
}

// runGoBenchmarks compiles each package's test binary once and runs each of
// its benchmarks in its own process under /usr/bin/time -v.
func (h *harness) runGoBenchmarks(ctx context.Context) ([]*goBenchmark, error) {
	found, err := discoverBenchmarks(h.root)
	if err != nil {
		return nil, err
	}
	var dirs []string
	for d := range found {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	var results []*goBenchmark
	for _, dir := range dirs {
		isPostgres := false
		for _, name := range found[dir] {
			isPostgres = isPostgres || name == auditLogBenchmark
		}
		if (isPostgres && h.skip["postgres"]) || (!isPostgres && h.skip["go"]) {
			continue
		}
		bin := filepath.Join(h.tmp, strings.ReplaceAll(dir, string(filepath.Separator), "_")+".test")
		h.logf("compiling the benchmarks of ./%s", dir)
		if _, err := h.command(ctx, "go", "test", "-c", "-o", bin, "./"+dir); err != nil {
			return nil, err
		}
		var rounds []*goBenchmark
		for _, name := range found[dir] {
			if name == auditLogBenchmark {
				for _, rows := range []int{h.pgSmallRows, h.pgRows} {
					b := &goBenchmark{Dir: dir, Name: name, Label: thousands(strconv.Itoa(rows)) + " rows", Count: 1, bin: bin}
					env := []string{"AUDITPACK_BENCH_ROWS=" + strconv.Itoa(rows)}
					if err := h.runBenchmark(ctx, b, env, "-test.benchtime", "1x", "-test.timeout", "60m"); err != nil {
						return nil, err
					}
					if err := h.summarise(ctx, b); err != nil {
						return nil, err
					}
					results = append(results, b)
				}
				continue
			}
			rounds = append(rounds, &goBenchmark{Dir: dir, Name: name, Count: h.benchCount, bin: bin})
		}
		// The benchmarks of one package take turns, one process each, so a
		// change in the machine's load falls on all of them. Ratios such as
		// XLSX ÷ CSV then compare runs made close together.
		for round := 1; round <= h.benchCount; round++ {
			for _, b := range rounds {
				h.logf("running %s of ./%s, round %d of %d", b.Name, b.Dir, round, h.benchCount)
				if err := h.runBenchmark(ctx, b, nil, "-test.timeout", "30m"); err != nil {
					return nil, err
				}
			}
		}
		for _, b := range rounds {
			if err := h.summarise(ctx, b); err != nil {
				return nil, err
			}
			results = append(results, b)
		}
	}
	return results, nil
}

var benchResult = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.*)$`)

// runBenchmark runs one benchmark once in its own process under
// /usr/bin/time -v and adds the result lines and the peak RSS to b.
func (h *harness) runBenchmark(ctx context.Context, b *goBenchmark, env []string, extra ...string) error {
	label := b.Name
	if b.Label != "" {
		label += " (" + b.Label + ")"
		h.logf("running %s of ./%s", label, b.Dir)
	}
	timeOut := filepath.Join(h.tmp, "time-"+b.Name+".txt")
	args := append([]string{"-v", "-o", timeOut, b.bin,
		"-test.run", "^$", "-test.bench", "^" + b.Name + "$", "-test.benchmem"}, extra...)
	out, err := h.commandEnv(ctx, env, filepath.Join(h.root, b.Dir), "/usr/bin/time", args...)
	b.Raw += out
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", label, err, tail(out, 4000))
	}
	found := 0
	for _, line := range strings.Split(out, "\n") {
		m := benchResult.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		found++
		r := benchLine{Metrics: map[string]float64{}}
		fields := strings.Fields(m[3])
		for i := 0; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				continue
			}
			if fields[i+1] == "ns/op" {
				r.NsPerOp = v
			} else {
				r.Metrics[fields[i+1]] = v
			}
		}
		b.Runs = append(b.Runs, r)
	}
	if found == 0 {
		return fmt.Errorf("%s printed no result line:\n%s", label, tail(out, 4000))
	}
	if tv, err := os.ReadFile(timeOut); err == nil {
		if m := maxRSSLine.FindSubmatch(tv); m != nil {
			rss, _ := strconv.Atoi(string(m[1]))
			b.MaxRSSKB = max(b.MaxRSSKB, rss)
		}
	}
	return nil
}

// summarise runs benchstat over a benchmark's runs, or keeps the result line
// of a benchmark run once.
func (h *harness) summarise(ctx context.Context, b *goBenchmark) error {
	if len(b.Runs) < 2 {
		// benchstat needs several runs; one run is shown as go test printed it.
		for _, line := range strings.Split(b.Raw, "\n") {
			if benchResult.MatchString(strings.TrimSpace(line)) {
				b.Benchstat += strings.TrimSpace(line) + "\n"
			}
		}
		b.Benchstat = strings.TrimSpace(b.Benchstat)
		return nil
	}
	rawFile := filepath.Join(h.tmp, "bench-"+b.Name+".txt")
	if err := os.WriteFile(rawFile, []byte(b.Raw), 0o644); err != nil {
		return err
	}
	stat, err := h.command(ctx, h.benchstatBin, rawFile)
	if err != nil {
		return err
	}
	b.Benchstat = strings.TrimSpace(strings.ReplaceAll(stat, rawFile, b.Name))
	return nil
}

// reportRSSGoalMB is the peak RSS goal of the report writers.
const reportRSSGoalMB = 300

// profileMissedMemoryGoals reruns each report benchmark whose process peak
// RSS exceeded the goal, once with an allocation profile and once under a
// soft memory limit (GOMEMLIMIT). The page shows where the memory goes and
// what the limit changes.
func (h *harness) profileMissedMemoryGoals(ctx context.Context, results []*goBenchmark) error {
	for _, b := range results {
		if (b.Name != "BenchmarkPDF" && b.Name != "BenchmarkXLSX") || float64(b.MaxRSSKB)/1024 <= reportRSSGoalMB {
			continue
		}
		h.logf("profiling the allocations of %s, which missed the memory goal", b.Name)
		prof := filepath.Join(h.tmp, "mem-"+b.Name+".pprof")
		dir := filepath.Join(h.root, b.Dir)
		if _, err := h.commandEnv(ctx, nil, dir, b.bin, "-test.run", "^$", "-test.bench", "^"+b.Name+"$", "-test.benchtime", "1x", "-test.memprofile", prof); err != nil {
			return err
		}
		top, err := h.command(ctx, "go", "tool", "pprof", "-sample_index=alloc_space", "-top", "-cum", "-nodecount", "25", b.bin, prof)
		if err != nil {
			return err
		}
		// The header's file, build id and time change from run to run and
		// say nothing about where the memory goes.
		var lines []string
		for _, line := range strings.Split(strings.TrimSpace(top), "\n") {
			if !strings.HasPrefix(line, "File:") && !strings.HasPrefix(line, "Build ID:") && !strings.HasPrefix(line, "Time:") {
				lines = append(lines, line)
			}
		}
		b.Profile = strings.Join(lines, "\n")

		limit := fmt.Sprintf("%dMiB", reportRSSGoalMB*3/4)
		timeOut := filepath.Join(h.tmp, "time-limited-"+b.Name+".txt")
		out, err := h.commandEnv(ctx, []string{"GOMEMLIMIT=" + limit}, dir, "/usr/bin/time", "-v", "-o", timeOut, b.bin, "-test.run", "^$", "-test.bench", "^"+b.Name+"$", "-test.benchtime", "1x")
		if err != nil {
			return err
		}
		run := &limitedRun{Limit: limit}
		for _, line := range strings.Split(out, "\n") {
			if m := benchResult.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
				f := strings.Fields(m[3])
				if len(f) > 1 && f[1] == "ns/op" {
					ns, _ := strconv.ParseFloat(f[0], 64)
					run.Seconds = ns / 1e9
				}
			}
		}
		if tv, err := os.ReadFile(timeOut); err == nil {
			if m := maxRSSLine.FindSubmatch(tv); m != nil {
				run.MaxRSSKB, _ = strconv.Atoi(string(m[1]))
			}
		}
		b.Limited = run
	}
	return nil
}
