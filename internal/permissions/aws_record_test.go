package permissions_test

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/auditpack/auditpack/collectors"
	awscollect "github.com/auditpack/auditpack/collectors/aws"
	"github.com/auditpack/auditpack/collectors/builtin"
	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/internal/config"
	"github.com/auditpack/auditpack/internal/doctor"
	"github.com/auditpack/auditpack/internal/period"
	"github.com/auditpack/auditpack/internal/permissions"
	"github.com/auditpack/auditpack/internal/testenv"
)

// recorder collects the API operations the SDK sends, as
// "service:Operation" with the service prefix of the permission table.
type recorder struct {
	mu  sync.Mutex
	ops map[string]bool
}

func (r *recorder) record(service, operation, _ string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops[servicePrefix(service)+":"+operation] = true
}

func (r *recorder) sorted() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for op := range r.ops {
		out = append(out, op)
	}
	sort.Strings(out)
	return out
}

// servicePrefix turns an SDK service id ("S3 Control", "CloudTrail") into
// the prefix the table uses ("s3control", "cloudtrail").
func servicePrefix(serviceID string) string {
	return strings.ToLower(strings.ReplaceAll(serviceID, " ", ""))
}

// TestPolicyCoversRecordedCalls runs every AWS collector the default checks
// need against moto and the AWS Backup fake, then doctor, and records each
// operation the SDK sends. Every recorded operation must map to an action of
// the default policy, and every action of the policy must be exercised.
func TestPolicyCoversRecordedCalls(t *testing.T) {
	moto := testenv.RequireMoto(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	ctx := context.Background()
	if err := testenv.SeedDemoS3IAMCloudTrail(ctx, moto.Endpoint); err != nil {
		t.Fatal(err)
	}
	if err := testenv.SeedDemoKMSEC2RDS(ctx, moto.Endpoint); err != nil {
		t.Fatal(err)
	}
	createRole(t, moto.Endpoint)
	now := time.Now().UTC()
	fake, err := testenv.StartBackupFake(testenv.DemoBackupJobs(now))
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()

	cat, err := controls.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	reg, err := controls.DefaultRegistry(cat)
	if err != nil {
		t.Fatal(err)
	}
	checks := reg.All()
	policy, err := permissions.BuildAWSPolicy(checks, "aws")
	if err != nil {
		t.Fatal(err)
	}

	cfg := config.Defaults()
	cfg.AWS = &config.AWS{
		Endpoint:                moto.Endpoint,
		Regions:                 []string{testenv.DemoRegion, testenv.DemoRegionUnguarded},
		MaxAttempts:             2,
		MaxBackoff:              5 * time.Millisecond,
		CredentialReportTimeout: 30 * time.Second,
		ArchiveBuckets:          []string{testenv.DemoArchiveBucket},
		ServiceEndpoints:        map[string]string{"backup": fake.URL},
	}
	rec := &recorder{ops: map[string]bool{}}
	env := collectors.NewEnv(cfg, nil)
	env.Getenv = func(string) string { return "" }
	awscollect.SessionFrom(env).OnCall = rec.record

	needed := map[string]bool{}
	ids := map[string]bool{}
	for _, c := range checks {
		ids[c.ID] = true
		for _, id := range c.Collectors {
			needed[id] = true
		}
	}
	var list []collectors.Collector
	built := map[string]bool{}
	for _, f := range builtin.Factories() {
		if !strings.HasPrefix(f.ID, "aws.") || !needed[f.ID] {
			continue
		}
		cs, err := f.Build(env)
		if err != nil {
			t.Fatalf("build %s: %v", f.ID, err)
		}
		built[f.ID] = len(cs) > 0
		list = append(list, cs...)
	}
	for id := range needed {
		if strings.HasPrefix(id, "aws.") && !built[id] {
			t.Errorf("no built-in collector %s was built, so its operations go unrecorded", id)
		}
	}

	per, err := period.Parse("last-90d", now)
	if err != nil {
		t.Fatal(err)
	}
	var mem evidence.Memory
	if err := (&collectors.Runner{}).Run(ctx, list, collectors.Request{Now: now, Period: per, Checks: ids}, &mem); err != nil {
		t.Fatal(err)
	}
	for _, f := range mem.Set().Failures {
		t.Logf("collector %s on %s: %s", f.Collector, f.Scope, f.Error.String())
	}

	results := doctor.Run(ctx, doctor.Options{Env: env, Checks: checks, OnCall: rec.record})
	for _, r := range results {
		if !r.OK() {
			t.Errorf("doctor against moto: %s", r.Line())
		}
	}

	granted := map[string]bool{}
	for _, a := range policy.Actions() {
		granted[a] = true
	}
	exercised := map[string]bool{}
	for _, op := range rec.sorted() {
		if op == "sts:GetCallerIdentity" || op == "sts:AssumeRole" {
			continue
		}
		g, ok := permissions.GrantFor(op)
		if !ok {
			t.Errorf("recorded operation %s has no IAM action in the table", op)
			continue
		}
		if !granted[g.Action] {
			t.Errorf("recorded operation %s needs %s, which the default policy does not grant", op, g.Action)
		}
		exercised[g.Action] = true
	}
	for _, a := range policy.Actions() {
		if !exercised[a] {
			t.Errorf("policy action %s was exercised by no recorded operation", a)
		}
	}
}

// createRole adds an IAM role, which the demo seed lacks, so that the
// access-review collector reads a role's attached policies.
func createRole(t *testing.T, endpoint string) {
	t.Helper()
	client := iam.New(iam.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	})
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	_, err := client.CreateRole(context.Background(), &iam.CreateRoleInput{RoleName: aws.String("deploy"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatalf("create IAM role in moto: %v", err)
	}
}
