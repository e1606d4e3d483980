package aws_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	awsv2 "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/auditpack/auditpack/collectors"
	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/internal/config"
	"github.com/auditpack/auditpack/internal/period"
	"github.com/auditpack/auditpack/internal/testenv"
)

// evalNow is the evaluation time of every test here.
var evalNow = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

// fakeAccount is the account of the recorded-response fakes.
const fakeAccount = "111122223333"

// storageEnv returns a collector environment aimed at endpoint, with a
// short retry backoff so retries cost milliseconds.
func storageEnv(endpoint string, regions ...string) *collectors.Env {
	if len(regions) == 0 {
		regions = []string{"us-east-1"}
	}
	cfg := config.Defaults()
	cfg.Concurrency = 8
	cfg.AWS = &config.AWS{
		Endpoint:    endpoint,
		HomeRegion:  "us-east-1",
		MaxAttempts: 10,
		MaxBackoff:  2 * time.Millisecond,
		Regions:     regions,
	}
	return collectors.NewEnv(cfg, nil)
}

// collectWith builds the factory's collectors and runs them with the
// checks selected, returning the evidence.
func collectWith(t *testing.T, env *collectors.Env, f collectors.Factory, checks ...string) *evidence.Set {
	t.Helper()
	list, err := f.Build(env)
	if err != nil {
		t.Fatalf("build %s collectors: %v", f.ID, err)
	}
	return runCollectors(t, list, checks...)
}

func runCollectors(t *testing.T, list []collectors.Collector, checks ...string) *evidence.Set {
	t.Helper()
	selected := map[string]bool{}
	for _, c := range checks {
		selected[c] = true
	}
	mem := &evidence.Memory{}
	req := collectors.Request{Now: evalNow, Period: q4(t), Checks: selected}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := (&collectors.Runner{}).Run(ctx, list, req, mem); err != nil {
		t.Fatalf("run collectors: %v", err)
	}
	return mem.Set()
}

func q4(t *testing.T) period.Period {
	t.Helper()
	p, err := period.Parse("2026-Q4", evalNow)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// evaluateChecks runs the named checks of the default registry over set at
// evalNow.
func evaluateChecks(t *testing.T, set *evidence.Set, params map[string]controls.Params, checks ...string) []controls.Finding {
	t.Helper()
	return evaluateAt(t, set, evalNow, params, checks...)
}

// evaluateAt is evaluateChecks at another evaluation time.
func evaluateAt(t *testing.T, set *evidence.Set, now time.Time, params map[string]controls.Params, checks ...string) []controls.Finding {
	t.Helper()
	cat := controls.MustCatalog()
	reg, err := controls.DefaultRegistry(cat)
	if err != nil {
		t.Fatalf("registry: %v", err)
	}
	selected, err := reg.Select(checks, nil)
	if err != nil {
		t.Fatalf("select %v: %v", checks, err)
	}
	findings, _ := controls.Evaluate(cat, reg, selected, set, controls.EvalOptions{Now: now, Period: q4(t), Params: params})
	return findings
}

// findingOf returns the single finding of check on resource.
func findingOf(t *testing.T, findings []controls.Finding, check, resource string) controls.Finding {
	t.Helper()
	var match []controls.Finding
	for _, f := range findings {
		if f.CheckID == check && f.Resource == resource {
			match = append(match, f)
		}
	}
	if len(match) != 1 {
		t.Fatalf("%d findings of %s on %s, want 1; findings:\n%s", len(match), check, resource, dumpFindings(findings))
	}
	return match[0]
}

// findingsOf returns the findings of one check.
func findingsOf(findings []controls.Finding, check string) []controls.Finding {
	var out []controls.Finding
	for _, f := range findings {
		if f.CheckID == check {
			out = append(out, f)
		}
	}
	return out
}

func dumpFindings(findings []controls.Finding) string {
	var b strings.Builder
	for _, f := range findings {
		fmt.Fprintf(&b, "  %s %s %s: %s\n", f.CheckID, f.Resource, f.Status, f.Message)
	}
	return b.String()
}

func wantStatus(t *testing.T, f controls.Finding, status controls.Status, messageContains string) {
	t.Helper()
	if f.Status != status {
		t.Errorf("%s on %s: status %s (%q), want %s", f.CheckID, f.Resource, f.Status, f.Message, status)
	}
	if !strings.Contains(f.Message, messageContains) {
		t.Errorf("%s on %s: message %q, want it to contain %q", f.CheckID, f.Resource, f.Message, messageContains)
	}
}

// itemOf returns the item of kind on resource.
func itemOf(t *testing.T, set *evidence.Set, kind, resource string) *evidence.Item {
	t.Helper()
	for _, it := range set.ByKind(kind) {
		if it.Resource == resource {
			return it
		}
	}
	var have []string
	for _, it := range set.ByKind(kind) {
		have = append(have, it.Resource)
	}
	t.Fatalf("no %s item for %s; have %v", kind, resource, have)
	return nil
}

// sdkConfig returns an SDK configuration with fake credentials aimed at an
// emulator, for seeding moto in tests.
func sdkConfig(endpoint, region string) awsv2.Config {
	return awsv2.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: awsv2.String(endpoint),
	}
}

// fakeAWS is an httptest server that serves AWS API calls from recorded
// responses in the real wire formats (XML for S3, IAM and STS, JSON for
// CloudTrail). It returns fakeAccount from sts:GetCallerIdentity itself.
type fakeAWS struct {
	*httptest.Server
	mu     sync.Mutex
	calls  []testenv.RequestInfo
	answer func(w http.ResponseWriter, r *http.Request, info testenv.RequestInfo) bool
}

func newFakeAWS(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, info testenv.RequestInfo) bool) *fakeAWS {
	t.Helper()
	f := &fakeAWS{answer: answer}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := testenv.DescribeRequest(r)
		f.mu.Lock()
		f.calls = append(f.calls, info)
		f.mu.Unlock()
		if info.Service == "sts" && info.Operation == "GetCallerIdentity" {
			writeXML(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>
<Arn>arn:aws:iam::`+fakeAccount+`:user/auditor</Arn><UserId>AIDAFAKEAUDITOR</UserId><Account>`+fakeAccount+`</Account>
</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
			return
		}
		if f.answer != nil && f.answer(w, r, info) {
			return
		}
		testenv.WriteAWSError(w, info.Protocol, testenv.AWSError{Status: http.StatusNotImplemented, Code: "NotImplemented", Message: "the fake has no answer for " + info.Service + ":" + info.Operation})
	}))
	t.Cleanup(f.Close)
	return f
}

// Calls returns the operations sent, as "service:Operation", in order.
func (f *fakeAWS) Calls() []testenv.RequestInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]testenv.RequestInfo(nil), f.calls...)
}

// CountOf returns how many calls of service:operation the fake received.
func (f *fakeAWS) CountOf(op string) int {
	n := 0
	for _, c := range f.Calls() {
		if c.Service+":"+c.Operation == op {
			n++
		}
	}
	return n
}

func writeXML(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprint(w, body)
}

func writeJSON(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	fmt.Fprint(w, body)
}
