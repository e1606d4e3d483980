package testenv

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// proxyBackend counts requests the proxy forwarded and returns HTTP 418,
// which tells a forwarded request from an injected fault.
func proxyBackend(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	n := new(atomic.Int32)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusTeapot)
	}))
	t.Cleanup(srv.Close)
	return srv, n
}

func startTestProxy(t *testing.T, opts FaultProxyOptions) *FaultProxy {
	t.Helper()
	p, err := StartFaultProxy(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func sdkConfig(endpoint, region string) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(endpoint),
		Retryer:      func() aws.Retryer { return retry.AddWithMaxAttempts(retry.NewStandard(), 1) },
	}
}

func errorCode(t *testing.T, err error) string {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error %v is not a service error", err)
	}
	return apiErr.ErrorCode()
}

func TestFaultProxyAnswersInEachWireFormat(t *testing.T) {
	backend, forwarded := proxyBackend(t)
	deny := FaultProxyOptions{Target: backend.URL, Rules: []FaultRule{{Fault: FaultAccessDenied}}}
	throttle := FaultProxyOptions{Target: backend.URL, Rules: []FaultRule{{Fault: FaultThrottle}}}
	ctx := context.Background()

	cases := []struct {
		name string
		call func(endpoint string) error
		deny string
		slow string
	}{
		{"s3", func(ep string) error {
			_, err := s3.NewFromConfig(sdkConfig(ep, "us-east-1"), func(o *s3.Options) { o.UsePathStyle = true }).
				GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("acme")})
			return err
		}, "AccessDenied", "SlowDown"},
		{"iam", func(ep string) error {
			_, err := iam.NewFromConfig(sdkConfig(ep, "us-east-1")).ListUsers(ctx, &iam.ListUsersInput{})
			return err
		}, "AccessDenied", "ThrottlingException"},
		{"cloudtrail", func(ep string) error {
			_, err := cloudtrail.NewFromConfig(sdkConfig(ep, "us-east-1")).DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
			return err
		}, "AccessDeniedException", "ThrottlingException"},
		{"ec2", func(ep string) error {
			_, err := ec2.NewFromConfig(sdkConfig(ep, "us-east-1")).DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
			return err
		}, "UnauthorizedOperation", "ThrottlingException"},
	}
	denyProxy := startTestProxy(t, deny)
	throttleProxy := startTestProxy(t, throttle)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := errorCode(t, c.call(denyProxy.URL)); got != c.deny {
				t.Errorf("denied call: code %q, want %q", got, c.deny)
			}
			if got := errorCode(t, c.call(throttleProxy.URL)); got != c.slow {
				t.Errorf("throttled call: code %q, want %q", got, c.slow)
			}
		})
	}
	if forwarded.Load() != 0 {
		t.Errorf("%d requests forwarded although every request matched a rule", forwarded.Load())
	}
}

func TestFaultProxyMatchesRegionBucketAndOperation(t *testing.T) {
	backend, forwarded := proxyBackend(t)
	p := startTestProxy(t, FaultProxyOptions{Target: backend.URL, Rules: []FaultRule{
		{Region: "eu-north-1", Fault: FaultAccessDenied},
		{Service: "s3", Bucket: "acme-secret", Operation: "GetBucketEncryption", Fault: FaultAccessDenied},
	}})
	ctx := context.Background()
	client := func(region string) *s3.Client {
		return s3.NewFromConfig(sdkConfig(p.URL, region), func(o *s3.Options) { o.UsePathStyle = true })
	}
	_, err := client("eu-north-1").GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("acme-any")})
	if got := errorCode(t, err); got != "AccessDenied" {
		t.Errorf("call in the refused region: %q, want AccessDenied", got)
	}
	_, err = client("us-east-1").GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String("acme-secret")})
	if got := errorCode(t, err); got != "AccessDenied" {
		t.Errorf("denied bucket operation: %q, want AccessDenied", got)
	}
	before := forwarded.Load()
	_, _ = client("us-east-1").GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("acme-secret")})
	_, _ = client("us-east-1").GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String("acme-open")})
	if got := forwarded.Load() - before; got != 2 {
		t.Errorf("%d requests forwarded, want 2: another operation on the bucket and another bucket pass through", got)
	}

	reqs := p.Requests()
	if len(reqs) != 4 {
		t.Fatalf("%d requests recorded, want 4", len(reqs))
	}
	first := reqs[0]
	if first.Service != "s3" || first.Region != "eu-north-1" || first.Bucket != "acme-any" || first.Operation != "GetBucketVersioning" {
		t.Errorf("first request described as %+v", first)
	}
}

func TestFaultProxyFractionIsSeeded(t *testing.T) {
	count := func(seed int64) int {
		backend, _ := proxyBackend(t)
		p := startTestProxy(t, FaultProxyOptions{Target: backend.URL, Seed: seed, Rules: []FaultRule{{Fault: FaultThrottle, Fraction: 0.3}}})
		client := iam.NewFromConfig(sdkConfig(p.URL, "us-east-1"))
		for i := 0; i < 200; i++ {
			_, _ = client.ListUsers(context.Background(), &iam.ListUsersInput{})
		}
		return p.Injected(FaultThrottle)
	}
	a, b := count(7), count(7)
	if a != b {
		t.Errorf("same seed injected %d and %d faults, want the same count", a, b)
	}
	if a < 40 || a > 80 {
		t.Errorf("%d of 200 requests throttled, want about 30%%", a)
	}
}

func TestFaultProxyAddsLatency(t *testing.T) {
	backend, _ := proxyBackend(t)
	p := startTestProxy(t, FaultProxyOptions{Target: backend.URL, Latency: 50 * time.Millisecond})
	start := time.Now()
	resp, err := http.Get(p.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if elapsed := time.Since(start); elapsed < 50*time.Millisecond {
		t.Errorf("request took %s, want at least the 50ms latency", elapsed)
	}
	if resp.StatusCode != http.StatusTeapot {
		t.Errorf("status %d, want the backend's answer forwarded", resp.StatusCode)
	}
}

func TestStartFaultProxyRejectsBadTarget(t *testing.T) {
	if _, err := StartFaultProxy(FaultProxyOptions{Target: "not a url"}); err == nil {
		t.Error("want an error for a target without a host")
	}
}
