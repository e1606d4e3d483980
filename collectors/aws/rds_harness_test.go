package aws_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
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

// harnessNow is the evaluation time of the tests in this file's package
// that do not set their own.
var harnessNow = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

// harnessEnv returns a collector environment aimed at endpoint, with few
// attempts and a millisecond backoff, so that retried HTTP 500 responses
// keep tests fast.
func harnessEnv(endpoint string, regions ...string) *collectors.Env {
	if len(regions) == 0 {
		regions = []string{"us-east-1"}
	}
	cfg := config.Defaults()
	cfg.AWS = &config.AWS{
		Endpoint:    endpoint,
		HomeRegion:  "us-east-1",
		MaxAttempts: 4,
		MaxBackoff:  2 * time.Millisecond,
		Regions:     regions,
	}
	return collectors.NewEnv(cfg, nil)
}

// harnessCollect builds the factory's collectors and runs them for the
// selected checks into a fresh memory store.
func harnessCollect(t *testing.T, env *collectors.Env, f collectors.Factory, now time.Time, checks ...string) *evidence.Set {
	t.Helper()
	list, err := f.Build(env)
	if err != nil {
		t.Fatalf("build %s: %v", f.ID, err)
	}
	if len(list) == 0 {
		t.Fatalf("factory %s built no collector", f.ID)
	}
	per, err := period.Parse("2026-Q4", now)
	if err != nil {
		t.Fatal(err)
	}
	req := collectors.Request{Now: now, Period: per, Checks: map[string]bool{}}
	for _, id := range checks {
		req.Checks[id] = true
	}
	mem := &evidence.Memory{}
	runner := &collectors.Runner{}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := runner.Run(ctx, list, req, mem); err != nil {
		t.Fatalf("run %s: %v", f.ID, err)
	}
	return mem.Set()
}

// harnessEvaluate runs the named checks of the default registry over set.
func harnessEvaluate(t *testing.T, set *evidence.Set, now time.Time, params map[string]controls.Params, checks ...string) []controls.Finding {
	t.Helper()
	cat := controls.MustCatalog()
	reg, err := controls.DefaultRegistry(cat)
	if err != nil {
		t.Fatalf("default registry: %v", err)
	}
	var selected []*controls.Check
	for _, id := range checks {
		c, ok := reg.Lookup(id)
		if !ok {
			t.Fatalf("check %s is not registered", id)
		}
		selected = append(selected, c)
	}
	per, err := period.Parse("2026-Q4", now)
	if err != nil {
		t.Fatal(err)
	}
	findings, _ := controls.Evaluate(cat, reg, selected, set, controls.EvalOptions{Now: now, Period: per, Params: params})
	return findings
}

// harnessFinding returns the only finding of check on resource.
func harnessFinding(t *testing.T, findings []controls.Finding, check, resource string) controls.Finding {
	t.Helper()
	var found []controls.Finding
	for _, f := range findings {
		if f.CheckID == check && f.Resource == resource {
			found = append(found, f)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s on %s: got %d findings, want 1; all findings: %s", check, resource, len(found), harnessDump(findings))
	}
	return found[0]
}

func harnessDump(findings []controls.Finding) string {
	var b strings.Builder
	for _, f := range findings {
		b.WriteString("\n  " + f.CheckID + " " + f.Resource + " " + string(f.Status) + ": " + f.Message)
	}
	return b.String()
}

// harnessSDKConfig is an SDK configuration for seeding moto directly.
func harnessSDKConfig(endpoint, region string) awsv2.Config {
	return awsv2.Config{
		Region:       region,
		BaseEndpoint: awsv2.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	}
}

// interceptProxy forwards requests to moto unless its intercept function
// returns a response for them. It replaces AWS where moto cannot produce the
// response a test needs: a recorded response, or throttling.
type interceptProxy struct {
	*httptest.Server
	mu    sync.Mutex
	calls map[string]int
}

// interceptedCall is one request seen by an interceptProxy.
type interceptedCall struct {
	// Action is the form's Action (query protocols) or the operation of the
	// X-Amz-Target header (JSON protocols).
	Action string
	// Region is read from the request signature.
	Region string
	// N counts the requests of this action and region so far, this one
	// included.
	N    int
	Body string
}

// intercept returns the response to one request, or ok false to forward
// it to moto.
type intercept func(call interceptedCall) (status int, body string, ok bool)

func newInterceptProxy(t *testing.T, target string, answer intercept) *interceptProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &interceptProxy{calls: map[string]int{}}
	forward := httputil.NewSingleHostReverseProxy(u)
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		action := form.Get("Action")
		if target := r.Header.Get("X-Amz-Target"); target != "" {
			_, action, _ = strings.Cut(target, ".")
		}
		region := testenv.SigV4Region(r.Header.Get("Authorization"))
		p.mu.Lock()
		p.calls[action+"@"+region]++
		n := p.calls[action+"@"+region]
		p.mu.Unlock()
		if status, resp, ok := answer(interceptedCall{Action: action, Region: region, N: n, Body: string(body)}); ok {
			contentType := "text/xml"
			if strings.HasPrefix(resp, "{") {
				contentType = "application/x-amz-json-1.1"
			}
			w.Header().Set("Content-Type", contentType)
			w.WriteHeader(status)
			io.WriteString(w, resp)
			return
		}
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

// Calls returns how often action was requested in region.
func (p *interceptProxy) Calls(action, region string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[action+"@"+region]
}
