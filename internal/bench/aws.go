package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/auditpack/auditpack/internal/testenv"
)

// benchChecks are the checks the AWS runs select: every S3, IAM, RDS and
// KMS check. CloudTrail, EC2 and Backup are left out because moto_server
// returns HTTP 500 for GetEbsDefaultKmsKeyId (which the SDK retries with
// backoff) and does not serve ListBackupJobs, so their time would measure
// moto's gaps, not auditpack.
var benchChecks = []string{"aws.s3.*", "aws.iam.*", "aws.rds.*", "aws.kms.*"}

// s3Checks select only the S3 checks, for the per-bucket comparison with
// the manual ways.
var s3Checks = []string{"aws.s3.*"}

// s3PerBucketOps are the calls the S3 checks need for each bucket outside
// the archive list, against moto: moto leaves BucketRegion out of
// ListBuckets, so the region comes from GetBucketLocation.
var s3PerBucketOps = []string{"GetBucketEncryption", "GetBucketLocation", "GetBucketPolicy", "GetBucketVersioning", "GetPublicAccessBlock"}

// encryptionCheck is selected alone to show that a narrower selection makes
// fewer calls: per bucket only encryptionOps.
const encryptionCheck = "aws.s3.default_encryption"

var encryptionOps = []string{"GetBucketEncryption", "GetBucketLocation"}

// timedRun is one timed process run.
type timedRun struct {
	Seconds float64
	// MaxRSSKB is the process's peak resident set size from /usr/bin/time.
	MaxRSSKB int
	// Calls counts the API calls the proxy saw, by "service:Operation".
	Calls map[string]int
	// PerBucket maps the sorted operations made on one bucket to the number
	// of buckets that got exactly those.
	PerBucket map[string]int
	Output    string
}

func (r timedRun) totalCalls() int {
	n := 0
	for _, c := range r.Calls {
		n += c
	}
	return n
}

// awsResult is everything the AWS part measured.
type awsResult struct {
	Size        awsSize
	ScaleNote   string
	Seed        seedResult
	Latency     time.Duration
	Concurrency int
	Auditpack   []timedRun
	Floor       []timedRun
	S3Only      timedRun
	// EncryptionOnly is a run with only encryptionCheck selected.
	EncryptionOnly timedRun
	CLI            timedRun
	CLIBuckets     int
	CLIUsers       int
	Boto3          timedRun
	Boto3Buckets   int
}

// runAWS starts moto_server and the latency proxy, seeds them and runs
// auditpack, the floor client and the manual ways against the proxy.
func (h *harness) runAWS(ctx context.Context) (*awsResult, error) {
	res := &awsResult{Size: h.size, ScaleNote: h.scaleNote, Latency: h.latency, Concurrency: h.concurrency,
		CLIBuckets: h.cliBuckets, CLIUsers: h.cliUsers, Boto3Buckets: h.boto3Buckets}
	moto, err := testenv.StartMoto(ctx)
	if err != nil {
		return nil, err
	}
	defer moto.Stop()
	proxy, err := testenv.StartFaultProxy(testenv.FaultProxyOptions{Target: moto.Endpoint, Latency: h.latency})
	if err != nil {
		return nil, err
	}
	defer proxy.Close()

	h.logf("seeding moto_server: %d buckets, %d IAM users, %d DB instances, %d KMS keys", h.size.Buckets, h.size.Users, h.size.RDS, h.size.KMS)
	res.Seed, err = seedAWS(ctx, moto.Endpoint, h.size, h.seedWorkers)
	if err != nil {
		return nil, fmt.Errorf("seed moto_server: %w", err)
	}
	h.logf("seeded with %d calls in %s", res.Seed.Calls, res.Seed.Duration.Round(time.Millisecond))

	cfgPath, err := h.writeAuditpackConfig(proxy.URL)
	if err != nil {
		return nil, err
	}
	outDir := filepath.Join(h.tmp, "collect-out")
	collect := func(checks []string) []string {
		return []string{h.auditpackBin, "collect", "--config", cfgPath, "--output-dir", outDir, "--checks", strings.Join(checks, ",")}
	}
	floor := []string{h.floorBin, "-endpoint", proxy.URL, "-concurrency", strconv.Itoa(h.concurrency)}

	// Rounds alternate auditpack and the floor, so a change in the load of
	// the shared machine falls on both.
	for round := 1; round <= h.rounds; round++ {
		h.logf("AWS round %d of %d: auditpack collect", round, h.rounds)
		os.RemoveAll(outDir)
		run, err := h.timeProcess(ctx, proxy, fmt.Sprintf("auditpack-%d", round), collect(benchChecks))
		if err != nil {
			return nil, err
		}
		res.Auditpack = append(res.Auditpack, run)
		h.logf("  %.2f s, %d calls", run.Seconds, run.totalCalls())

		h.logf("AWS round %d of %d: floor", round, h.rounds)
		run, err = h.timeProcess(ctx, proxy, fmt.Sprintf("floor-%d", round), floor)
		if err != nil {
			return nil, err
		}
		res.Floor = append(res.Floor, run)
		h.logf("  %.2f s, %d calls", run.Seconds, run.totalCalls())
	}

	h.logf("auditpack collect with only the S3 checks")
	os.RemoveAll(outDir)
	res.S3Only, err = h.timeProcess(ctx, proxy, "auditpack-s3", collect(s3Checks))
	if err != nil {
		return nil, err
	}
	os.RemoveAll(outDir)

	h.logf("auditpack collect with only %s", encryptionCheck)
	res.EncryptionOnly, err = h.timeProcess(ctx, proxy, "auditpack-encryption", collect([]string{encryptionCheck}))
	if err != nil {
		return nil, err
	}
	os.RemoveAll(outDir)

	if h.cliBuckets > 0 {
		h.logf("AWS CLI loop over %d buckets and %d users", h.cliBuckets, h.cliUsers)
		res.CLI, err = h.timeProcess(ctx, proxy, "aws-cli", []string{"bash", filepath.Join(h.root, "internal/bench/manual/cli_loop.sh"), proxy.URL, strconv.Itoa(h.cliBuckets), strconv.Itoa(h.cliUsers)})
		if err != nil {
			return nil, err
		}
	}
	if h.boto3Buckets > 0 {
		h.logf("sequential boto3 script over %d buckets", h.boto3Buckets)
		res.Boto3, err = h.timeProcess(ctx, proxy, "boto3", []string{"python3", filepath.Join(h.root, "internal/bench/manual/boto3_scan.py"), proxy.URL, strconv.Itoa(h.boto3Buckets)})
		if err != nil {
			return nil, err
		}
	}
	return res, nil
}

func (h *harness) writeAuditpackConfig(endpoint string) (string, error) {
	cfg := fmt.Sprintf(`# Written by internal/bench for one benchmark run.
organization: Benchmark
period: last-90d
fail_on: none
formats: [junit]
concurrency: %d
aws:
  endpoint: %s
  home_region: us-east-1
  regions: [us-east-1]
`, h.concurrency, endpoint)
	path := filepath.Join(h.tmp, "auditpack-bench.yaml")
	return path, os.WriteFile(path, []byte(cfg), 0o644)
}

var maxRSSLine = regexp.MustCompile(`(?m)^\s*Maximum resident set size \(kbytes\): (\d+)`)

// timeProcess runs argv once under hyperfine, inside /usr/bin/time -v, and
// counts the API calls the proxy saw while it ran.
func (h *harness) timeProcess(ctx context.Context, proxy *testenv.FaultProxy, name string, argv []string) (timedRun, error) {
	timeOut := filepath.Join(h.tmp, name+".time")
	jsonOut := filepath.Join(h.tmp, name+".json")
	stdout := filepath.Join(h.tmp, name+".out")
	inner := append([]string{"/usr/bin/time", "-v", "-o", timeOut}, argv...)
	// hyperfine starts the command through sh and subtracts the shell's
	// start-up time. The command's output goes to a file for the page.
	command := shellJoin(inner) + " > " + shellQuote(stdout) + " 2>&1"
	before := len(proxy.Requests())
	_, err := h.command(ctx, "hyperfine", "--runs", "1", "--style", "basic", "--export-json", jsonOut, "--command-name", name, command)
	if err != nil {
		out, _ := os.ReadFile(stdout)
		return timedRun{}, fmt.Errorf("%s failed: %w\n%s", name, err, out)
	}
	requests := proxy.Requests()[before:]
	run := timedRun{Calls: map[string]int{}, PerBucket: map[string]int{}}
	perBucket := map[string][]string{}
	for _, r := range requests {
		run.Calls[r.Service+":"+r.Operation]++
		if r.Bucket != "" && r.Service == "s3" {
			perBucket[r.Bucket] = append(perBucket[r.Bucket], r.Operation)
		}
	}
	for _, ops := range perBucket {
		sort.Strings(ops)
		run.PerBucket[strings.Join(ops, " ")]++
	}
	run.Seconds, err = hyperfineMean(jsonOut)
	if err != nil {
		return timedRun{}, err
	}
	tv, err := os.ReadFile(timeOut)
	if err != nil {
		return timedRun{}, err
	}
	if m := maxRSSLine.FindSubmatch(tv); m != nil {
		run.MaxRSSKB, _ = strconv.Atoi(string(m[1]))
	}
	out, _ := os.ReadFile(stdout)
	run.Output = strings.TrimSpace(strings.ReplaceAll(string(out), h.tmp, "$TMPDIR"))
	return run, nil
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func shellJoin(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}
