package permissions

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auditpack/auditpack/controls"
)

func defaultChecks(t *testing.T) []*controls.Check {
	t.Helper()
	cat, err := controls.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	reg, err := controls.DefaultRegistry(cat)
	if err != nil {
		t.Fatal(err)
	}
	return reg.All()
}

// statementOf returns the statement that grants action, or nil.
func statementOf(p *Policy, action string) *Statement {
	for i := range p.Statement {
		for _, a := range p.Statement[i].Action {
			if a == action {
				return &p.Statement[i]
			}
		}
	}
	return nil
}

func TestEveryRegistryCallMaps(t *testing.T) {
	for _, c := range defaultChecks(t) {
		if !IsAWSCheck(c) {
			continue
		}
		if len(c.Calls) == 0 {
			t.Errorf("AWS check %s declares no Calls, so the policy cannot cover it", c.ID)
		}
		for _, op := range c.Calls {
			source, _, ok := strings.Cut(op, ":")
			if !ok || nonAWSSources[source] {
				continue
			}
			if _, ok := GrantFor(op); !ok {
				t.Errorf("check %s: operation %q has no IAM action in the table", c.ID, op)
			}
		}
	}
}

func TestUnknownOperationIsError(t *testing.T) {
	c := &controls.Check{ID: "aws.test.unknown", Collectors: []string{"aws.test"}, Calls: []string{"s3:GetBucketAcl"}}
	_, err := BuildAWSPolicy([]*controls.Check{c}, "aws")
	if err == nil {
		t.Fatal("BuildAWSPolicy accepted an operation missing from the table")
	}
	if !strings.Contains(err.Error(), "aws.test.unknown") || !strings.Contains(err.Error(), "s3:GetBucketAcl") {
		t.Errorf("error %q does not name the check and the operation", err)
	}
}

func TestPolicyActionNamesDiffer(t *testing.T) {
	p, err := BuildAWSPolicy(defaultChecks(t), "aws")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		action   string
		resource string
	}{
		{"s3:GetEncryptionConfiguration", "arn:aws:s3:::*"},
		{"s3:ListAllMyBuckets", "*"},
		{"s3:GetAccountPublicAccessBlock", "*"},
		{"s3:GetBucketPublicAccessBlock", "arn:aws:s3:::*"},
		{"s3:GetBucketObjectLockConfiguration", "arn:aws:s3:::*"},
		{"s3:GetLifecycleConfiguration", "arn:aws:s3:::*"},
		{"iam:GenerateCredentialReport", "*"},
		{"iam:ListMFADevices", "arn:aws:iam::*:user/*"},
		{"kms:DescribeKey", "arn:aws:kms:*:*:key/*"},
		{"rds:DescribeDBInstances", "arn:aws:rds:*:*:db:*"},
		{"ec2:DescribeRegions", "*"},
		{"backup:ListBackupJobs", "*"},
	}
	for _, tc := range cases {
		st := statementOf(p, tc.action)
		if st == nil {
			t.Errorf("policy lacks %s", tc.action)
			continue
		}
		if !contains(st.Resource, tc.resource) {
			t.Errorf("%s is granted on %v, expected %s", tc.action, st.Resource, tc.resource)
		}
	}
	for _, a := range []string{"s3:GetBucketEncryption", "s3:ListBuckets", "sts:GetCallerIdentity", "sts:AssumeRole"} {
		if statementOf(p, a) != nil {
			t.Errorf("policy grants %s, which is not an IAM action it needs", a)
		}
	}
}

func TestPolicyStarOnlyWithoutResourceType(t *testing.T) {
	p, err := BuildAWSPolicy(defaultChecks(t), "aws-us-gov")
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range p.Statement {
		if contains(st.Resource, "*") && st.Sid != anyResource.sid {
			t.Errorf("statement %s grants on * besides the statement for actions without resource types", st.Sid)
		}
		for _, r := range st.Resource {
			if r != "*" && !strings.HasPrefix(r, "arn:aws-us-gov:") {
				t.Errorf("statement %s: resource %s is not in the requested partition", st.Sid, r)
			}
		}
	}
}

func TestPolicyOnlySelectedChecks(t *testing.T) {
	var s3 []*controls.Check
	for _, c := range defaultChecks(t) {
		if c.ID == "aws.s3.default_encryption" {
			s3 = append(s3, c)
		}
	}
	if len(s3) != 1 {
		t.Fatal("aws.s3.default_encryption is not registered")
	}
	p, err := BuildAWSPolicy(s3, "aws")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ec2:DescribeRegions", "s3:GetBucketLocation", "s3:GetEncryptionConfiguration", "s3:ListAllMyBuckets"}
	got := p.Actions()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("actions = %v, expected %v", got, want)
	}
}

func TestPolicyEmptyWithoutAWSChecks(t *testing.T) {
	c := &controls.Check{ID: "postgres.server.x", Collectors: []string{"postgres.server"}, Calls: []string{"server_settings"}}
	p, err := BuildAWSPolicy([]*controls.Check{c}, "aws")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Statement) != 0 {
		t.Errorf("policy for PostgreSQL checks has statements: %+v", p.Statement)
	}
}

// TestIAMPolicyDocCurrent fails when docs/iam-policy.json differs from the
// policy of the default check set. Refresh it with
// `go run . permissions aws > docs/iam-policy.json`.
func TestIAMPolicyDocCurrent(t *testing.T) {
	want, err := AWSPolicy(defaultChecks(t))
	if err != nil {
		t.Fatal(err)
	}
	var p Policy
	if err := json.Unmarshal(want, &p); err != nil {
		t.Fatalf("generated policy is not valid JSON: %v", err)
	}
	got, err := os.ReadFile(filepath.Join("..", "..", "docs", "iam-policy.json"))
	if err != nil {
		t.Fatalf("docs/iam-policy.json: %v (run go run . permissions aws > docs/iam-policy.json)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("docs/iam-policy.json is stale; run go run . permissions aws > docs/iam-policy.json and commit the result")
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
