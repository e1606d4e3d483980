// Command bench runs every benchmark of auditpack in one go and rewrites
// docs/benchmarks.md from that run. `make bench` runs it from the
// repository root:
//
//	go run ./internal/bench -out docs/benchmarks.md
//
// It needs moto_server, the AWS CLI, python3 with boto3, PostgreSQL's
// server binaries, hyperfine, benchstat and GNU time (/usr/bin/time). Every
// server it starts listens on 127.0.0.1 on a port chosen at run time, and
// every AWS client it runs gets that loopback endpoint and fake credentials.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// harness holds the run's settings and the paths it builds.
type harness struct {
	root         string
	tmp          string
	out          string
	size         awsSize
	scaleNote    string
	latency      time.Duration
	concurrency  int
	rounds       int
	seedWorkers  int
	cliBuckets   int
	cliUsers     int
	boto3Buckets int
	pgRows       int
	pgSmallRows  int
	benchCount   int
	skip         map[string]bool

	auditpackBin string
	floorBin     string
	benchstatBin string
	started      time.Time
	steps        []step
}

// step is one part of the run and how long it took.
type step struct {
	Name     string
	Duration time.Duration
}

func main() {
	h := &harness{started: time.Now()}
	flag.StringVar(&h.out, "out", "docs/benchmarks.md", "Markdown page to rewrite from this run")
	flag.IntVar(&h.size.Buckets, "buckets", 2000, "S3 buckets to seed")
	flag.IntVar(&h.size.Users, "users", 500, "IAM users to seed")
	flag.IntVar(&h.size.RDS, "rds", 100, "RDS DB instances to seed")
	flag.IntVar(&h.size.KMS, "kms", 200, "KMS keys to seed")
	flag.StringVar(&h.scaleNote, "scale-note", "", "reason recorded in the page when the AWS sizes are smaller than the defaults")
	flag.DurationVar(&h.latency, "latency", 20*time.Millisecond, "latency the proxy adds to every AWS call")
	flag.IntVar(&h.concurrency, "concurrency", 16, "API calls in flight per service, for auditpack and the floor")
	flag.IntVar(&h.rounds, "rounds", 3, "alternating rounds of auditpack and the floor")
	flag.IntVar(&h.seedWorkers, "seed-workers", 32, "parallel requests while seeding moto_server")
	flag.IntVar(&h.cliBuckets, "cli-buckets", 25, "buckets the AWS CLI loop reads (0 skips it)")
	flag.IntVar(&h.cliUsers, "cli-users", 25, "IAM users the AWS CLI loop reads")
	flag.IntVar(&h.boto3Buckets, "boto3-buckets", 500, "buckets the sequential boto3 script reads (0 skips it)")
	flag.IntVar(&h.pgRows, "pg-rows", 10_000_000, "audit-log rows of the large PostgreSQL run")
	flag.IntVar(&h.pgSmallRows, "pg-small-rows", 1_000_000, "audit-log rows of the small PostgreSQL run, for the memory comparison")
	flag.IntVar(&h.benchCount, "count", 3, "runs of each other Go benchmark, for benchstat")
	skip := flag.String("skip", "", "comma-separated parts to leave out: aws, postgres, go")
	flag.Parse()
	h.skip = map[string]bool{}
	for _, s := range strings.Split(*skip, ",") {
		if s != "" {
			h.skip[s] = true
		}
	}
	def := awsSize{Buckets: 2000, Users: 500, RDS: 100, KMS: 200}
	if h.size != def && h.scaleNote == "" {
		fatal(errors.New("the AWS sizes differ from 2000 buckets, 500 users, 100 DB instances and 200 KMS keys: give -scale-note with the reason, which the page records"))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := h.run(ctx); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

func (h *harness) logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%6.1fs] %s\n", time.Since(h.started).Seconds(), fmt.Sprintf(format, args...))
}

// timed runs fn and records its duration as a step of the run.
func (h *harness) timed(name string, fn func() error) error {
	start := time.Now()
	err := fn()
	h.steps = append(h.steps, step{Name: name, Duration: time.Since(start)})
	return err
}

func (h *harness) run(ctx context.Context) error {
	var err error
	if h.root, err = os.Getwd(); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(h.root, "go.mod")); err != nil {
		return errors.New("run bench from the repository root (where go.mod is)")
	}
	if err := h.findTools(); err != nil {
		return err
	}
	if h.tmp, err = os.MkdirTemp("", "auditpack-bench-"); err != nil {
		return err
	}
	defer os.RemoveAll(h.tmp)
	machine := readMachine(ctx, h)

	page := &pageData{Machine: machine, Started: h.started.UTC(), Harness: h}
	err = h.timed("build auditpack and the floor client", func() error {
		h.auditpackBin = filepath.Join(h.tmp, "auditpack")
		h.floorBin = filepath.Join(h.tmp, "floor")
		if _, err := h.command(ctx, "go", "build", "-o", h.auditpackBin, "."); err != nil {
			return err
		}
		_, err := h.command(ctx, "go", "build", "-o", h.floorBin, "./internal/bench/floor")
		return err
	})
	if err != nil {
		return err
	}
	if !h.skip["aws"] {
		err := h.timed("AWS collection, floor and manual ways", func() error {
			var err error
			page.AWS, err = h.runAWS(ctx)
			return err
		})
		if err != nil {
			return fmt.Errorf("AWS benchmark: %w", err)
		}
	}
	if !h.skip["postgres"] || !h.skip["go"] {
		err := h.timed("Go benchmarks", func() error {
			var err error
			if page.Go, err = h.runGoBenchmarks(ctx); err != nil {
				return err
			}
			return h.profileMissedMemoryGoals(ctx, page.Go)
		})
		if err != nil {
			return fmt.Errorf("Go benchmarks: %w", err)
		}
	}
	page.Finished = time.Now().UTC()
	page.Steps = h.steps
	page.LoadEnd = readLoad()
	text, err := renderPage(page)
	if err != nil {
		return err
	}
	if err := os.WriteFile(h.out, []byte(text), 0o644); err != nil {
		return err
	}
	h.logf("wrote %s", h.out)
	return nil
}

// findTools checks for the tools the run needs before anything starts.
func (h *harness) findTools() error {
	var missing []string
	need := map[string]string{
		"hyperfine":   "apt-get install hyperfine",
		"moto_server": "pip install 'moto[server]'",
		"aws":         "pip install awscli",
		"python3":     "apt-get install python3",
	}
	for tool, install := range need {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, fmt.Sprintf("%s (%s)", tool, install))
		}
	}
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		missing = append(missing, "/usr/bin/time (apt-get install time)")
	}
	h.benchstatBin = "benchstat"
	if _, err := exec.LookPath("benchstat"); err != nil {
		gopath, _ := exec.Command("go", "env", "GOPATH").Output()
		h.benchstatBin = filepath.Join(strings.TrimSpace(string(gopath)), "bin", "benchstat")
		if _, err := os.Stat(h.benchstatBin); err != nil {
			missing = append(missing, "benchstat (go install golang.org/x/perf/cmd/benchstat@latest)")
		}
	}
	if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
		missing = append(missing, "boto3 for python3 (pip install boto3)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing tools: %s", strings.Join(missing, "; "))
	}
	return nil
}

// command runs a program from the repository root with AWS variables that
// keep every SDK and CLI away from real credentials and the instance
// metadata service, and returns its standard output.
func (h *harness) command(ctx context.Context, name string, args ...string) (string, error) {
	return h.commandEnv(ctx, nil, h.root, name, args...)
}

func (h *harness) commandEnv(ctx context.Context, env []string, dir, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		// Real credentials and profiles never reach a benchmarked process.
		if !strings.HasPrefix(kv, "AWS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env,
		"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing",
		"AWS_DEFAULT_REGION=us-east-1", "AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	)
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr strings.Builder
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, tail(stderr.String(), 4000))
	}
	return stdout.String(), nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// hyperfineMean reads the mean time in seconds of the first command of a
// hyperfine JSON export.
func hyperfineMean(path string) (float64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var export struct {
		Results []struct {
			Mean float64 `json:"mean"`
		} `json:"results"`
	}
	if err := json.Unmarshal(data, &export); err != nil {
		return 0, fmt.Errorf("read hyperfine export %s: %w", path, err)
	}
	if len(export.Results) == 0 {
		return 0, fmt.Errorf("hyperfine export %s has no results", path)
	}
	return export.Results[0].Mean, nil
}
