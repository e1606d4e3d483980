// Package aws collects SOC 2 evidence from AWS accounts. One file per
// service; session.go holds what they share: credentials per account,
// regions in scope, retries, per-service concurrency and provenance.
package aws

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/auditpack/auditpack/collectors"
	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/internal/config"
)

// Session is the AWS state shared by every AWS collector of one run.
type Session struct {
	cfg         config.AWS
	concurrency int
	getenv      func(string) string
	logger      *slog.Logger
	targets     []*Target

	// OnCall, when set, is called for every API operation the SDK sends,
	// once per attempt. Tests use it to record operations.
	OnCall func(service, operation, region string)

	baseOnce sync.Once
	base     aws.Config
	baseErr  error
}

// SessionFrom returns the run's AWS session, creating it on first use. It
// returns nil when AWS is not configured.
func SessionFrom(env *collectors.Env) *Session {
	if env.Config == nil || env.Config.AWS == nil {
		return nil
	}
	return env.Shared("aws.session", func() any { return NewSession(env) }).(*Session)
}

// NewSession builds a session from the configuration without contacting AWS.
func NewSession(env *collectors.Env) *Session {
	cfg := *env.Config.AWS
	cfg.ApplyDefaults()
	s := &Session{cfg: cfg, concurrency: env.Config.Concurrency, getenv: env.Getenv, logger: env.Logger}
	if s.concurrency <= 0 {
		s.concurrency = 16
	}
	if s.getenv == nil {
		s.getenv = func(string) string { return "" }
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if len(cfg.Accounts) == 0 {
		s.targets = []*Target{{session: s}}
	}
	for _, a := range cfg.Accounts {
		s.targets = append(s.targets, &Target{session: s, configuredID: a.ID, roleARN: a.RoleARN, externalIDEnv: a.ExternalIDEnv})
	}
	return s
}

// Targets returns one target per configured account, or one for the default
// credential chain when no account is listed.
func (s *Session) Targets() []*Target { return s.targets }

// Config returns the session's AWS configuration with defaults applied.
func (s *Session) Config() config.AWS { return s.cfg }

// Concurrency is the number of API calls in flight per service and account.
func (s *Session) Concurrency() int { return s.concurrency }

func (s *Session) baseConfig(ctx context.Context) (aws.Config, error) {
	s.baseOnce.Do(func() {
		opts := []func(*awsconfig.LoadOptions) error{
			awsconfig.WithRegion(s.cfg.HomeRegion),
			awsconfig.WithRetryer(func() aws.Retryer {
				// Standard mode with many attempts and no client-side retry
				// quota: under heavy throttling adaptive mode was measured
				// about ten times slower, and the quota would turn throttling
				// into lost resources.
				return retry.NewStandard(func(o *retry.StandardOptions) {
					o.MaxAttempts = s.cfg.MaxAttempts
					o.MaxBackoff = s.cfg.MaxBackoff
					o.RateLimiter = ratelimit.None
				})
			}),
		}
		if s.cfg.Profile != "" {
			opts = append(opts, awsconfig.WithSharedConfigProfile(s.cfg.Profile))
		}
		if s.cfg.CallTimeout > 0 {
			// Without a timeout an endpoint that accepts the connection and
			// never replies holds the attempt forever, and max_attempts
			// never comes into play.
			client := awshttp.NewBuildableClient().WithTimeout(s.cfg.CallTimeout).WithDialerOptions(func(d *net.Dialer) {
				d.Timeout = min(s.cfg.CallTimeout, 10*time.Second)
			})
			opts = append(opts, awsconfig.WithHTTPClient(client))
		}
		if s.cfg.Endpoint != "" {
			// An emulator has no instance metadata service; never look for one.
			opts = append(opts, awsconfig.WithEC2IMDSClientEnableState(imds.ClientDisabled))
		}
		cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
		if err != nil {
			s.baseErr = fmt.Errorf("load AWS configuration: %w", err)
			return
		}
		if s.cfg.Endpoint != "" {
			cfg.BaseEndpoint = aws.String(s.cfg.Endpoint)
		}
		cfg.APIOptions = append(cfg.APIOptions, s.addAttemptCounter)
		s.base = cfg
	})
	return s.base, s.baseErr
}

// Target is one AWS account to collect from. Its identity is resolved on
// first use and shared by every collector of the account.
type Target struct {
	session       *Session
	configuredID  string
	roleARN       string
	externalIDEnv string

	once    sync.Once
	account *Account
	err     error
}

// Scope is "aws:ACCOUNT_ID", or "aws:default" before the default chain's
// account is known.
func (t *Target) Scope() string {
	if t.account != nil {
		return "aws:" + t.account.ID
	}
	if t.configuredID != "" {
		return "aws:" + t.configuredID
	}
	return "aws:default"
}

// Account resolves the target's credentials, caller identity and regions.
func (t *Target) Account(ctx context.Context) (*Account, error) {
	t.once.Do(func() { t.account, t.err = t.resolve(ctx) })
	return t.account, t.err
}

func (t *Target) resolve(ctx context.Context) (*Account, error) {
	s := t.session
	base, err := s.baseConfig(ctx)
	if err != nil {
		return nil, err
	}
	cfg := base.Copy()
	if t.roleARN != "" {
		stsClient := sts.NewFromConfig(base)
		externalID := ""
		if t.externalIDEnv != "" {
			externalID = s.getenv(t.externalIDEnv)
		}
		provider := stscreds.NewAssumeRoleProvider(stsClient, t.roleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "auditpack"
			if externalID != "" {
				o.ExternalID = aws.String(externalID)
			}
		})
		cfg.Credentials = aws.NewCredentialsCache(provider)
	}
	acct := &Account{session: s, cfg: cfg, sems: map[string]chan struct{}{}}

	var ident *sts.GetCallerIdentityOutput
	prov, cerr := acct.Call(ctx, s.cfg.HomeRegion, "sts:GetCallerIdentity", nil, func(ctx context.Context) error {
		out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		ident = out
		return err
	})
	if cerr != nil {
		return nil, &CallError{Err: *cerr}
	}
	acct.ID = aws.ToString(ident.Account)
	acct.CallerARN = aws.ToString(ident.Arn)
	acct.Partition = partitionOf(acct.CallerARN)
	acct.identityProvenance = prov
	if t.configuredID != "" && acct.ID != t.configuredID {
		return nil, fmt.Errorf("credentials for configured account %s belong to account %s (caller %s)", t.configuredID, acct.ID, acct.CallerARN)
	}
	if err := acct.resolveRegions(ctx); err != nil {
		return nil, err
	}
	return acct, nil
}

// Account is a resolved AWS account.
type Account struct {
	ID        string
	CallerARN string
	// Partition is aws, aws-us-gov or aws-cn, as STS reports it.
	Partition string
	// Regions are the regions in scope, sorted as configured.
	Regions []string
	// NotEnabled are regions DescribeRegions listed as not opted in; they are
	// out of scope, not errors.
	NotEnabled []string

	identityProvenance evidence.Provenance
	session            *Session
	cfg                aws.Config

	mu   sync.Mutex
	sems map[string]chan struct{}
}

// Scope is "aws:ACCOUNT_ID".
func (a *Account) Scope() string { return "aws:" + a.ID }

// RegionScope is "aws:ACCOUNT_ID:REGION".
func (a *Account) RegionScope(region string) string { return "aws:" + a.ID + ":" + region }

// IdentityProvenance is the sts:GetCallerIdentity call that named the caller.
func (a *Account) IdentityProvenance() evidence.Provenance { return a.identityProvenance }

// Config returns the account's SDK configuration for a region.
func (a *Account) Config(region string) aws.Config {
	cfg := a.cfg.Copy()
	cfg.Region = region
	return cfg
}

// Endpoint returns the endpoint override for an SDK service id ("s3",
// "backup"), or "" to use AWS's own endpoint.
func (a *Account) Endpoint(service string) string {
	if e := a.session.cfg.ServiceEndpoints[service]; e != "" {
		return e
	}
	return a.session.cfg.Endpoint
}

// Emulated reports whether calls go to a configured endpoint instead of AWS.
func (a *Account) Emulated() bool { return a.session.cfg.Endpoint != "" }

// ARN builds an ARN in the account's partition.
func (a *Account) ARN(service, region, resource string) string {
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", a.Partition, service, region, a.ID, resource)
}

func (a *Account) resolveRegions(ctx context.Context) error {
	s := a.session
	wantEnabled := len(s.cfg.Regions) == 1 && s.cfg.Regions[0] == "enabled"
	if !wantEnabled {
		a.Regions = append([]string(nil), s.cfg.Regions...)
		return nil
	}
	var out *ec2.DescribeRegionsOutput
	_, cerr := a.Call(ctx, s.cfg.HomeRegion, "ec2:DescribeRegions", map[string]any{"AllRegions": true}, func(ctx context.Context) error {
		var err error
		out, err = ec2.NewFromConfig(a.Config(s.cfg.HomeRegion)).DescribeRegions(ctx, &ec2.DescribeRegionsInput{AllRegions: aws.Bool(true)})
		return err
	})
	if cerr != nil {
		return &CallError{Err: *cerr}
	}
	for _, r := range out.Regions {
		name := aws.ToString(r.RegionName)
		switch aws.ToString(r.OptInStatus) {
		case "not-opted-in":
			a.NotEnabled = append(a.NotEnabled, name)
		default:
			a.Regions = append(a.Regions, name)
		}
	}
	sort.Strings(a.Regions)
	sort.Strings(a.NotEnabled)
	return nil
}

// Call runs one API call under the service's concurrency limit and returns
// its provenance. A failed call is returned as a CollectError naming the
// operation, the service's error code and the attempts made. operation is
// "service:Operation", for example "s3:GetBucketEncryption".
func (a *Account) Call(ctx context.Context, region, operation string, params map[string]any, fn func(ctx context.Context) error) (evidence.Provenance, *evidence.CollectError) {
	service, _, _ := strings.Cut(operation, ":")
	release, err := a.acquire(ctx, service)
	if err != nil {
		return evidence.Provenance{}, &evidence.CollectError{Operation: operation, Code: "canceled", Message: err.Error()}
	}
	defer release()

	counter := new(atomic.Int32)
	err = fn(context.WithValue(ctx, attemptKey{}, counter))
	prov := evidence.Provenance{
		Operation:  operation,
		Parameters: params,
		Region:     region,
		Account:    a.ID,
		Identity:   a.CallerARN,
		Endpoint:   a.Endpoint(service),
		Attempts:   int(counter.Load()),
		Time:       time.Now().UTC(),
	}
	if prov.Endpoint == "" {
		prov.Endpoint = "aws:" + service + ":" + region
	}
	if err == nil {
		return prov, nil
	}
	ce := ClassifyError(operation, err)
	ce.Attempts = prov.Attempts
	return prov, &ce
}

func (a *Account) acquire(ctx context.Context, service string) (func(), error) {
	a.mu.Lock()
	sem, ok := a.sems[service]
	if !ok {
		sem = make(chan struct{}, a.session.concurrency)
		a.sems[service] = sem
	}
	a.mu.Unlock()
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

type attemptKey struct{}

// addAttemptCounter counts every attempt the retryer makes, so provenance
// records the attempts each call took, failed calls included.
func (s *Session) addAttemptCounter(stack *middleware.Stack) error {
	mw := middleware.FinalizeMiddlewareFunc("auditpackAttemptCounter", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
		if c, ok := ctx.Value(attemptKey{}).(*atomic.Int32); ok {
			c.Add(1)
		}
		if s.OnCall != nil {
			s.OnCall(middleware.GetServiceID(ctx), middleware.GetOperationName(ctx), awsmiddleware.GetRegion(ctx))
		}
		return next.HandleFinalize(ctx, in)
	})
	return stack.Finalize.Insert(mw, "Retry", middleware.After)
}

// CallError wraps a CollectError as a Go error, so a collector can return it
// and the runner keeps its code.
type CallError struct{ Err evidence.CollectError }

func (e *CallError) Error() string     { return e.Err.String() }
func (e *CallError) ErrorCode() string { return e.Err.Code }

// ClassifyError turns an SDK error into a CollectError, reading the service
// error code through smithy's APIError and never from the message text.
func ClassifyError(operation string, err error) evidence.CollectError {
	ce := evidence.CollectError{Operation: operation, Message: err.Error()}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		ce.Code = apiErr.ErrorCode()
		ce.Message = apiErr.ErrorMessage()
		if ce.Message == "" {
			ce.Message = http.StatusText(httpStatus(err))
		}
	} else if status := httpStatus(err); status != 0 {
		ce.Code = fmt.Sprintf("HTTP%d", status)
	}
	var re *retry.MaxAttemptsError
	if errors.As(err, &re) && ce.Code == "" {
		ce.Code = "MaxAttemptsExceeded"
	}
	if ce.Code == "" {
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			ce.Code = "timeout"
		case errors.Is(err, context.Canceled):
			ce.Code = "canceled"
		default:
			ce.Code = "RequestFailed"
		}
	}
	return ce
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// ErrorCode returns the service error code of err, or "".
func ErrorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

func partitionOf(arn string) string {
	parts := strings.SplitN(arn, ":", 3)
	if len(parts) >= 2 && parts[0] == "arn" && parts[1] != "" {
		return parts[1]
	}
	return "aws"
}

// NoteRegionsOutOfScope records every region that is not enabled for the
// account as out of scope. Every AWS collector calls it; the notes share ids,
// so the evidence holds each region once.
func NoteRegionsOutOfScope(acct *Account, sink evidence.Sink) {
	for _, r := range acct.NotEnabled {
		sink.Note(evidence.Note{
			Collector: "aws",
			Scope:     acct.RegionScope(r),
			Message:   fmt.Sprintf("region %s is not enabled for account %s; out of scope", r, acct.ID),
			Time:      time.Now().UTC(),
		})
	}
}
