package aws

import (
	"context"
	"testing"
	"time"

	"github.com/auditpack/auditpack/collectors"
	"github.com/auditpack/auditpack/internal/config"
	"github.com/auditpack/auditpack/internal/testenv"
)

// newTestEnv returns a collector environment aimed at endpoint with a short
// retry backoff.
func newTestEnv(endpoint string, regions ...string) *collectors.Env {
	if len(regions) == 0 {
		regions = []string{"us-east-1"}
	}
	cfg := config.Defaults()
	cfg.AWS = &config.AWS{
		Endpoint:    endpoint,
		HomeRegion:  "us-east-1",
		MaxAttempts: 4,
		MaxBackoff:  5 * time.Millisecond,
		Regions:     regions,
	}
	return collectors.NewEnv(cfg, nil)
}

func TestSessionResolvesMotoIdentity(t *testing.T) {
	moto := testenv.RequireMoto(t)
	s := SessionFrom(newTestEnv(moto.Endpoint, "enabled"))
	var ops []string
	s.OnCall = func(service, op, region string) { ops = append(ops, service+":"+op+"@"+region) }

	acct, err := s.Targets()[0].Account(context.Background())
	if err != nil {
		t.Fatalf("resolve account: %v", err)
	}
	if acct.ID != "123456789012" {
		t.Errorf("account id = %q, want moto's 123456789012", acct.ID)
	}
	if acct.Partition != "aws" {
		t.Errorf("partition = %q, want aws", acct.Partition)
	}
	if len(acct.Regions) < 10 {
		t.Errorf("enabled regions = %v, want every region moto lists", acct.Regions)
	}
	if got := acct.IdentityProvenance().Attempts; got != 1 {
		t.Errorf("GetCallerIdentity attempts = %d, want 1", got)
	}
	if len(ops) != 2 || ops[0] != "STS:GetCallerIdentity@us-east-1" || ops[1] != "EC2:DescribeRegions@us-east-1" {
		t.Errorf("start-up calls = %v, want GetCallerIdentity and DescribeRegions in the home region", ops)
	}
}

func TestSessionAccountMismatchIsError(t *testing.T) {
	moto := testenv.RequireMoto(t)
	env := newTestEnv(moto.Endpoint)
	env.Config.AWS.Accounts = []config.AWSAccount{{ID: "111122223333"}}
	s := SessionFrom(env)
	_, err := s.Targets()[0].Account(context.Background())
	if err == nil {
		t.Fatal("resolve account: want an error for credentials of another account")
	}
	if got := s.Targets()[0].Scope(); got != "aws:111122223333" {
		t.Errorf("scope = %q, want aws:111122223333", got)
	}
}
