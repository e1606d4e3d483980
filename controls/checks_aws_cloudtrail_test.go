package controls

import (
	"testing"

	awscol "github.com/auditpack/auditpack/collectors/aws"
	"github.com/auditpack/auditpack/evidence"
)

// trailEvidence returns a trail item collected from account 111122223333.
// The trail's own ARN names that account unless tr.ARN is set.
func trailEvidence(tr awscol.CloudTrailTrail) *evidence.Item {
	if tr.ARN == "" {
		tr.ARN = "arn:aws:cloudtrail:us-east-1:111122223333:trail/" + tr.Name
	}
	tr.HomeRegion = "us-east-1"
	it := evidence.MustItem(awscol.KindCloudTrailTrail, "aws.cloudtrail", tr.ARN, tr)
	it.Provenance = []evidence.Provenance{{Operation: "cloudtrail:DescribeTrails", Account: "111122223333", Time: storageNow}}
	return it
}

func trailAccountItem(described ...string) *evidence.Item {
	return evidence.MustItem(awscol.KindCloudTrailAccount, "aws.cloudtrail", storageAccount, awscol.CloudTrailAccount{RegionsDescribed: described})
}

func TestCloudTrailMultiRegionNeedsLoggingStatus(t *testing.T) {
	stopped := trailEvidence(awscol.CloudTrailTrail{Name: "org", IsMultiRegionTrail: true, Status: &awscol.CloudTrailStatus{IsLogging: false}})
	expectFinding(t, onlyFinding(t, evalStorageCheck(t, "aws.cloudtrail.multi_region", nil, trailAccountItem("us-east-1"), stopped)), StatusFail, "multi-region trail not logging: org")

	unknown := trailEvidence(awscol.CloudTrailTrail{Name: "org", IsMultiRegionTrail: true})
	expectFinding(t, onlyFinding(t, evalStorageCheck(t, "aws.cloudtrail.multi_region", nil, trailAccountItem("us-east-1"), unknown)), StatusError, "could not be read")

	single := trailEvidence(awscol.CloudTrailTrail{Name: "app", Status: &awscol.CloudTrailStatus{IsLogging: true}})
	logging := trailEvidence(awscol.CloudTrailTrail{Name: "org", IsMultiRegionTrail: true, Status: &awscol.CloudTrailStatus{IsLogging: true}})
	expectFinding(t, onlyFinding(t, evalStorageCheck(t, "aws.cloudtrail.multi_region", nil, trailAccountItem("us-east-1"), single)), StatusFail, "single-region trails only: app")
	expectFinding(t, onlyFinding(t, evalStorageCheck(t, "aws.cloudtrail.multi_region", nil, trailAccountItem("us-east-1"), single, logging)), StatusPass, "org")

	// An organization trail carries the management account's ARN but covers
	// the member account that listed it.
	org := trailEvidence(awscol.CloudTrailTrail{Name: "org", ARN: "arn:aws:cloudtrail:us-east-1:999988887777:trail/org", IsMultiRegionTrail: true, IsOrganizationTrail: true, Status: &awscol.CloudTrailStatus{IsLogging: true}})
	expectFinding(t, onlyFinding(t, evalStorageCheck(t, "aws.cloudtrail.multi_region", nil, trailAccountItem("us-east-1"), org)), StatusPass, "org")

	if fs := evalStorageCheck(t, "aws.cloudtrail.multi_region", nil, trailAccountItem()); len(fs) != 0 {
		t.Errorf("an account whose regions all failed got findings beyond its failures: %+v", fs)
	}
}

func TestCloudTrailLoggingNeverPassesWithoutStatus(t *testing.T) {
	configured := trailEvidence(awscol.CloudTrailTrail{Name: "main", LogFileValidationEnabled: true, IncludeGlobalServiceEvents: true})
	expectFinding(t, onlyFinding(t, evalStorageCheck(t, "aws.cloudtrail.logging", nil, configured)), StatusError, "configuration alone does not show logging")

	noStop := trailEvidence(awscol.CloudTrailTrail{Name: "main", Status: &awscol.CloudTrailStatus{}})
	expectFinding(t, onlyFinding(t, evalStorageCheck(t, "aws.cloudtrail.logging", nil, noStop)), StatusFail, "no stop time returned")

	start := credDate("2026-01-05T08:00:00Z").Time
	delivering := trailEvidence(awscol.CloudTrailTrail{Name: "main", Status: &awscol.CloudTrailStatus{IsLogging: true, StartLoggingTime: start, LatestDeliveryError: "AccessDenied"}})
	expectFinding(t, onlyFinding(t, evalStorageCheck(t, "aws.cloudtrail.logging", nil, delivering)), StatusPass, "latest delivery error AccessDenied")
}
