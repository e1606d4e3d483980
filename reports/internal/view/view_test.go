package view

import (
	"strings"
	"testing"

	"github.com/auditpack/auditpack/reports/internal/fixture"
)

func TestBuildCountsAssessedResources(t *testing.T) {
	in := fixture.Small()
	m, err := Build(in.Results, in.Catalog)
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{
		"aws.s3.versioning":      "2 of 3 resources assessed",
		"aws.backup.job_results": "5 of 5 resources assessed",
		"aws.iam.root_usage":     "1 of 1 resource assessed",
	} {
		if got := m.Checks[id].AssessedText(); got != want {
			t.Errorf("%s: %q, want %q", id, got, want)
		}
	}
	if len(m.Exceptions) != 4 {
		t.Errorf("exceptions = %d, want the 4 error findings", len(m.Exceptions))
	}
	if !strings.Contains(m.Checks["aws.backup.job_results"].Note, "30 days") {
		t.Error("backup check has no window note")
	}
	if m.Checks["aws.s3.versioning"].Note != "" {
		t.Error("a check without a note file got one")
	}
}

func TestTopFailingOrdersBySeverity(t *testing.T) {
	in := fixture.Small()
	m, err := Build(in.Results, in.Catalog)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, cc := range m.TopFailing(3) {
		ids = append(ids, cc.Check.ID)
	}
	want := "aws.iam.console_mfa,aws.backup.job_results,postgres.server.ssl_required"
	if strings.Join(ids, ",") != want {
		t.Errorf("top failing = %v, want %s", ids, want)
	}
}

func TestProvenanceGroupsCalls(t *testing.T) {
	groups := Provenance(fixture.Small().Evidence)
	for _, g := range groups {
		if g.Operation == "iam:GetCredentialReport" {
			if g.Calls != 5 || g.Retried != 5 || g.MaxAttempts != 3 || g.Target != "us-east-1, account 111122223333" {
				t.Errorf("credential report group = %+v", g)
			}
			return
		}
	}
	t.Error("no group for iam:GetCredentialReport")
}

func TestResourceMarksRootUser(t *testing.T) {
	if got := Resource(fixture.RootARN); got != fixture.RootARN+" (root user)" {
		t.Errorf("Resource(root) = %q", got)
	}
	if got := Resource("arn:aws:iam::111122223333:user/root"); strings.Contains(got, "(root user)") {
		t.Errorf("a user named root was marked as the root user: %q", got)
	}
}
