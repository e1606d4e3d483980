package testenv

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Protocol is the wire format of an AWS API.
type Protocol string

// AWS wire protocols the fault proxy distinguishes.
const (
	// ProtocolRESTXML is S3: REST paths, XML errors in an Error element.
	ProtocolRESTXML Protocol = "rest-xml"
	// ProtocolS3Control is S3 Control: REST paths, XML errors wrapped in
	// an ErrorResponse element.
	ProtocolS3Control Protocol = "s3control"
	// ProtocolQuery is IAM, STS, RDS and the other form-encoded services.
	ProtocolQuery Protocol = "query"
	// ProtocolEC2 is EC2's variant of the query protocol.
	ProtocolEC2 Protocol = "ec2"
	// ProtocolJSON is awsJson1.0/1.1 (CloudTrail, KMS, Backup …).
	ProtocolJSON Protocol = "json"
)

// RequestInfo describes one AWS API request.
type RequestInfo struct {
	// Service is the SigV4 signing name ("s3", "iam", "cloudtrail"), or
	// "s3control" for S3 Control paths.
	Service string
	// Region is read from the SigV4 credential scope.
	Region string
	// Operation is the API operation name, such as "GetBucketEncryption".
	Operation string
	// Bucket is the S3 bucket of a path-style request.
	Bucket   string
	Protocol Protocol
	// Params are the query-protocol form parameters.
	Params url.Values
	// Body is the request body as sent.
	Body []byte
}

// DescribeRequest reads the service, region, operation and bucket of an AWS
// request. It consumes r.Body and puts back an identical reader.
func DescribeRequest(r *http.Request) RequestInfo {
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	info := RequestInfo{Body: body}
	info.Region, info.Service = credentialScope(r.Header.Get("Authorization"))

	switch {
	case strings.HasPrefix(r.URL.Path, "/v20180820/"):
		info.Service = "s3control"
		info.Protocol = ProtocolS3Control
		info.Operation = s3ControlOperation(r)
	case r.Header.Get("X-Amz-Target") != "":
		info.Protocol = ProtocolJSON
		target := r.Header.Get("X-Amz-Target")
		info.Operation = target[strings.LastIndex(target, ".")+1:]
	case strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
		info.Params, _ = url.ParseQuery(string(body))
		info.Operation = info.Params.Get("Action")
		info.Protocol = ProtocolQuery
		if info.Service == "ec2" {
			info.Protocol = ProtocolEC2
		}
	default:
		info.Protocol = ProtocolRESTXML
		info.Bucket, info.Operation = s3Operation(r)
	}
	return info
}

// credentialScope returns the region and service of a SigV4 Authorization
// header ("… Credential=AKID/DATE/REGION/SERVICE/aws4_request, …").
func credentialScope(auth string) (region, service string) {
	i := strings.Index(auth, "Credential=")
	if i < 0 {
		return "", ""
	}
	cred := auth[i+len("Credential="):]
	if j := strings.IndexAny(cred, ", "); j >= 0 {
		cred = cred[:j]
	}
	parts := strings.Split(cred, "/")
	if len(parts) < 5 {
		return "", ""
	}
	return parts[2], parts[3]
}

// s3Operation names the S3 operation of a path-style request from its
// method and subresource.
func s3Operation(r *http.Request) (bucket, op string) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ := strings.Cut(path, "/")
	q := r.URL.Query()
	if bucket == "" {
		if r.Method == http.MethodGet {
			return "", "ListBuckets"
		}
		return "", r.Method
	}
	if key != "" {
		switch r.Method {
		case http.MethodGet:
			return bucket, "GetObject"
		case http.MethodPut:
			return bucket, "PutObject"
		case http.MethodDelete:
			return bucket, "DeleteObject"
		case http.MethodHead:
			return bucket, "HeadObject"
		}
	}
	prefix := map[string]string{http.MethodGet: "Get", http.MethodPut: "Put", http.MethodDelete: "Delete"}[r.Method]
	subresources := []struct{ query, name string }{
		{"encryption", "BucketEncryption"},
		{"versioning", "BucketVersioning"},
		{"publicAccessBlock", "PublicAccessBlock"},
		{"policy", "BucketPolicy"},
		{"location", "BucketLocation"},
		{"object-lock", "ObjectLockConfiguration"},
		{"lifecycle", "BucketLifecycleConfiguration"},
		{"tagging", "BucketTagging"},
		{"acl", "BucketAcl"},
	}
	for _, s := range subresources {
		if _, ok := q[s.query]; ok && prefix != "" {
			return bucket, prefix + s.name
		}
	}
	switch r.Method {
	case http.MethodPut:
		return bucket, "CreateBucket"
	case http.MethodDelete:
		return bucket, "DeleteBucket"
	case http.MethodHead:
		return bucket, "HeadBucket"
	}
	return bucket, "ListObjects"
}

func s3ControlOperation(r *http.Request) string {
	if strings.HasSuffix(r.URL.Path, "/configuration/publicAccessBlock") {
		switch r.Method {
		case http.MethodGet:
			return "GetPublicAccessBlock"
		case http.MethodPut:
			return "PutPublicAccessBlock"
		case http.MethodDelete:
			return "DeletePublicAccessBlock"
		}
	}
	return r.Method + " " + r.URL.Path
}

// Fault is a kind of failure the proxy injects.
type Fault string

// Faults the proxy can inject.
const (
	// FaultThrottle returns the error AWS sends when a caller exceeds its rate:
	// HTTP 503 SlowDown for S3, HTTP 400 ThrottlingException elsewhere.
	FaultThrottle Fault = "throttle"
	// FaultAccessDenied returns the error AWS sends when a policy denies
	// the call.
	FaultAccessDenied Fault = "access_denied"
)

// FaultRule injects a fault into requests it matches. Empty match fields
// match anything.
type FaultRule struct {
	Service   string
	Operation string
	Bucket    string
	Region    string
	Fault     Fault
	// Fraction of matching requests that get the fault, drawn from the
	// proxy's seeded random source; 0 means every matching request.
	Fraction float64
}

func (r FaultRule) matches(info RequestInfo) bool {
	return (r.Service == "" || r.Service == info.Service) &&
		(r.Operation == "" || r.Operation == info.Operation) &&
		(r.Bucket == "" || r.Bucket == info.Bucket) &&
		(r.Region == "" || r.Region == info.Region)
}

// FaultProxyOptions configures a fault proxy.
type FaultProxyOptions struct {
	// Target is the base URL of the server behind the proxy (moto_server).
	Target string
	Rules  []FaultRule
	// Seed makes the fraction-based faults repeatable.
	Seed int64
	// Latency is added before every forwarded request.
	Latency time.Duration
}

// FaultProxy is a reverse proxy on 127.0.0.1 that injects faults by rule in
// the wire format of each AWS protocol.
type FaultProxy struct {
	// URL is the proxy's base URL, to use as the AWS endpoint.
	URL string

	opts   FaultProxyOptions
	server *http.Server
	proxy  *httputil.ReverseProxy

	mu       sync.Mutex
	rng      *rand.Rand
	requests []RequestInfo
	injected map[Fault]int
}

// StartFaultProxy starts a fault proxy in front of opts.Target on a free
// loopback port.
func StartFaultProxy(opts FaultProxyOptions) (*FaultProxy, error) {
	target, err := url.Parse(opts.Target)
	if err != nil || target.Host == "" {
		return nil, fmt.Errorf("invalid fault proxy target %q: want a base URL such as http://127.0.0.1:5000", opts.Target)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for fault proxy: %w", err)
	}
	p := &FaultProxy{
		URL:      "http://" + ln.Addr().String(),
		opts:     opts,
		proxy:    httputil.NewSingleHostReverseProxy(target),
		rng:      rand.New(rand.NewSource(opts.Seed)),
		injected: map[Fault]int{},
	}
	p.server = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.server.Serve(ln) }()
	return p, nil
}

// Close stops the proxy.
func (p *FaultProxy) Close() error { return p.server.Close() }

// Injected returns how many requests got each fault.
func (p *FaultProxy) Injected(f Fault) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.injected[f]
}

// Requests returns every request seen, in arrival order.
func (p *FaultProxy) Requests() []RequestInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]RequestInfo(nil), p.requests...)
}

// ServeHTTP applies the first matching rule or forwards the request.
func (p *FaultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	info := DescribeRequest(r)
	if p.opts.Latency > 0 {
		time.Sleep(p.opts.Latency)
	}
	p.mu.Lock()
	p.requests = append(p.requests, info)
	var fault Fault
	for _, rule := range p.opts.Rules {
		if !rule.matches(info) {
			continue
		}
		if rule.Fraction > 0 && p.rng.Float64() >= rule.Fraction {
			continue
		}
		fault = rule.Fault
		p.injected[fault]++
		break
	}
	p.mu.Unlock()

	switch fault {
	case FaultThrottle:
		WriteAWSError(w, info.Protocol, throttleAnswer(info.Protocol))
	case FaultAccessDenied:
		WriteAWSError(w, info.Protocol, deniedAnswer(info))
	default:
		p.proxy.ServeHTTP(w, r)
	}
}

// AWSError is an error response of an AWS API.
type AWSError struct {
	Status  int
	Code    string
	Message string
}

func throttleAnswer(p Protocol) AWSError {
	if p == ProtocolRESTXML || p == ProtocolS3Control {
		return AWSError{Status: http.StatusServiceUnavailable, Code: "SlowDown", Message: "Please reduce your request rate."}
	}
	return AWSError{Status: http.StatusBadRequest, Code: "ThrottlingException", Message: "Rate exceeded"}
}

func deniedAnswer(info RequestInfo) AWSError {
	msg := fmt.Sprintf("User is not authorized to perform: %s:%s (injected by the fault proxy)", info.Service, info.Operation)
	switch info.Protocol {
	case ProtocolJSON:
		return AWSError{Status: http.StatusBadRequest, Code: "AccessDeniedException", Message: msg}
	case ProtocolEC2:
		return AWSError{Status: http.StatusForbidden, Code: "UnauthorizedOperation", Message: msg}
	}
	return AWSError{Status: http.StatusForbidden, Code: "AccessDenied", Message: msg}
}

// WriteAWSError writes e in the wire format of the protocol, so the SDK
// reads its code as it would from AWS.
func WriteAWSError(w http.ResponseWriter, p Protocol, e AWSError) {
	const requestID = "00000000-0000-4000-8000-000000000000"
	switch p {
	case ProtocolJSON:
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-ErrorType", e.Code)
		w.Header().Set("X-Amzn-RequestId", requestID)
		w.WriteHeader(e.Status)
		fmt.Fprintf(w, `{"__type":%q,"message":%q}`, e.Code, e.Message)
	case ProtocolEC2:
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(e.Status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>`, xmlEscape(e.Code), xmlEscape(e.Message), requestID)
	case ProtocolS3Control:
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(e.Status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`, xmlEscape(e.Code), xmlEscape(e.Message), requestID)
	case ProtocolQuery:
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(e.Status)
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`, xmlEscape(e.Code), xmlEscape(e.Message), requestID)
	default:
		w.Header().Set("Content-Type", "application/xml")
		w.Header().Set("x-amz-request-id", requestID)
		w.WriteHeader(e.Status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>%s</RequestId></Error>`, xmlEscape(e.Code), xmlEscape(e.Message), requestID)
	}
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
