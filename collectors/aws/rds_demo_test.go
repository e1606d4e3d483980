package aws_test

import (
	"context"
	"testing"
	"time"

	"github.com/auditpack/auditpack/collectors"
	awscol "github.com/auditpack/auditpack/collectors/aws"
	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/internal/testenv"
)

// TestDemoSeedGivesPassAndFail checks that the demo environment shows each
// KMS, EC2, RDS and AWS Backup check both passing and failing.
func TestDemoSeedGivesPassAndFail(t *testing.T) {
	moto := testenv.RequireMoto(t)
	if err := testenv.SeedDemoKMSEC2RDS(context.Background(), moto.Endpoint); err != nil {
		t.Fatalf("seed: %v", err)
	}
	now := time.Now().UTC()
	fake := startBackupFake(t, testenv.DemoBackupJobs(now))
	env := harnessEnv(moto.Endpoint, testenv.DemoRegion, testenv.DemoRegionUnguarded)
	env.Config.AWS.ServiceEndpoints = map[string]string{"backup": fake.URL}

	checks := append([]string{awscol.CheckKMSKeyRotation, awscol.CheckEBSDefaultEncryption, backupCheck}, rdsChecks...)
	set := &evidence.Set{}
	for _, factory := range []collectors.Factory{awscol.KMSFactory, awscol.EC2Factory, awscol.RDSFactory, awscol.BackupFactory} {
		part := harnessCollect(t, env, factory, now, checks...)
		set.Items = append(set.Items, part.Items...)
		set.Failures = append(set.Failures, part.Failures...)
	}
	set.Sort()
	findings := harnessEvaluate(t, set, now, nil, checks...)

	counts := map[string]map[controls.Status]int{}
	for _, f := range findings {
		if counts[f.CheckID] == nil {
			counts[f.CheckID] = map[controls.Status]int{}
		}
		counts[f.CheckID][f.Status]++
	}
	for _, check := range checks {
		// moto gives every DB instance and cluster a latest restorable time
		// of now, so the demo cannot show a stale recovery point.
		if check == awscol.CheckRDSSnapshotRecent {
			if counts[check][controls.StatusPass] == 0 {
				t.Errorf("%s: %v, want at least one pass", check, counts[check])
			}
			continue
		}
		if counts[check][controls.StatusPass] == 0 || counts[check][controls.StatusFail] == 0 {
			t.Errorf("%s: %v, want at least one pass and one fail", check, counts[check])
		}
		if counts[check][controls.StatusError] != 0 {
			t.Errorf("%s: %d error findings in the demo:%s", check, counts[check][controls.StatusError], harnessDump(findings))
		}
	}
}
