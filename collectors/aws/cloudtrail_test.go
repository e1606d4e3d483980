package aws_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	awsv2 "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"

	awscol "github.com/auditpack/auditpack/collectors/aws"
	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/internal/testenv"
)

var trailChecks = []string{"aws.cloudtrail.multi_region", "aws.cloudtrail.logging", "aws.cloudtrail.log_file_validation"}

func trailARN(account, region, name string) string {
	return "arn:aws:cloudtrail:" + region + ":" + account + ":trail/" + name
}

func TestCloudTrailMotoDedupAndHomeRegionStatus(t *testing.T) {
	moto := testenv.RequireMoto(t)
	ctx := context.Background()
	createBucket(t, moto.Endpoint, "acme-trail-logs", "us-east-1")
	east := cloudtrail.NewFromConfig(sdkConfig(moto.Endpoint, "us-east-1"))
	west := cloudtrail.NewFromConfig(sdkConfig(moto.Endpoint, "eu-west-1"))
	_, err := east.CreateTrail(ctx, &cloudtrail.CreateTrailInput{
		Name: awsv2.String("org-main"), S3BucketName: awsv2.String("acme-trail-logs"),
		IsMultiRegionTrail: awsv2.Bool(true), EnableLogFileValidation: awsv2.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := east.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: awsv2.String("org-main")}); err != nil {
		t.Fatal(err)
	}
	if _, err := west.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: awsv2.String("eu-app"), S3BucketName: awsv2.String("acme-trail-logs")}); err != nil {
		t.Fatal(err)
	}
	if _, err := west.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: awsv2.String("eu-app")}); err != nil {
		t.Fatal(err)
	}
	if _, err := west.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: awsv2.String("eu-app")}); err != nil {
		t.Fatal(err)
	}

	set := collectWith(t, storageEnv(moto.Endpoint, "us-east-1", "eu-west-1"), awscol.CloudTrailFactory, trailChecks...)
	trails := set.ByKind(awscol.KindCloudTrailTrail)
	if len(trails) != 2 {
		t.Fatalf("%d trail items, want 2 (the multi-region trail once)", len(trails))
	}
	mainARN := trailARN(motoAccountID, "us-east-1", "org-main")
	euARN := trailARN(motoAccountID, "eu-west-1", "eu-app")
	var main awscol.CloudTrailTrail
	if err := itemOf(t, set, awscol.KindCloudTrailTrail, mainARN).Decode(&main); err != nil {
		t.Fatal(err)
	}
	if strings.Join(main.SeenInRegions, ",") != "eu-west-1,us-east-1" {
		t.Errorf("org-main seen in %v, want both regions", main.SeenInRegions)
	}
	for _, it := range trails {
		for _, p := range it.Provenance {
			if p.Operation == "cloudtrail:GetTrailStatus" && !strings.Contains(it.Resource, ":"+p.Region+":") {
				t.Errorf("status of %s read in %s, not its home region", it.Resource, p.Region)
			}
		}
	}

	findings := evaluateChecks(t, set, nil, trailChecks...)
	wantStatus(t, findingOf(t, findings, "aws.cloudtrail.multi_region", "aws:"+motoAccountID), controls.StatusPass, "org-main")
	wantStatus(t, findingOf(t, findings, "aws.cloudtrail.logging", mainARN), controls.StatusPass, "logging")
	wantStatus(t, findingOf(t, findings, "aws.cloudtrail.logging", euARN), controls.StatusFail, "stopped")
	wantStatus(t, findingOf(t, findings, "aws.cloudtrail.log_file_validation", mainARN), controls.StatusPass, "enabled")
	wantStatus(t, findingOf(t, findings, "aws.cloudtrail.log_file_validation", euARN), controls.StatusFail, "disabled")
}

func TestCloudTrailMotoNoTrailFails(t *testing.T) {
	moto := testenv.RequireMoto(t)
	findings := evaluateChecks(t, collectWith(t, storageEnv(moto.Endpoint), awscol.CloudTrailFactory, trailChecks...), nil, trailChecks...)
	wantStatus(t, findingOf(t, findings, "aws.cloudtrail.multi_region", "aws:"+motoAccountID), controls.StatusFail, "no CloudTrail trail")
	if len(findings) != 1 {
		t.Errorf("findings without trails:\n%s", dumpFindings(findings))
	}
}

// trailFake returns the trails given from DescribeTrails per region and
// GetTrailStatus results from statuses by trail ARN. A region in refused
// gets that error code for every call.
func trailFake(t *testing.T, trails map[string][]string, statuses map[string]string, refused map[string]string) *fakeAWS {
	t.Helper()
	return newFakeAWS(t, func(w http.ResponseWriter, r *http.Request, info testenv.RequestInfo) bool {
		if code, ok := refused[info.Region]; ok {
			testenv.WriteAWSError(w, info.Protocol, testenv.AWSError{Status: http.StatusBadRequest, Code: code, Message: "recorded refusal"})
			return true
		}
		switch info.Service + ":" + info.Operation {
		case "cloudtrail:DescribeTrails":
			writeJSON(w, `{"trailList":[`+strings.Join(trails[info.Region], ",")+`]}`)
			return true
		case "cloudtrail:GetTrailStatus":
			var in struct{ Name string }
			if err := json.Unmarshal(info.Body, &in); err != nil {
				return false
			}
			status, ok := statuses[in.Name]
			if !ok {
				testenv.WriteAWSError(w, info.Protocol, testenv.AWSError{Status: http.StatusBadRequest, Code: "TrailNotFoundException", Message: in.Name})
				return true
			}
			if strings.HasPrefix(status, "!") {
				testenv.WriteAWSError(w, info.Protocol, testenv.AWSError{Status: http.StatusBadRequest, Code: status[1:], Message: "recorded"})
				return true
			}
			writeJSON(w, status)
			return true
		case "ec2:DescribeRegions":
			writeXML(w, `<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>1</requestId><regionInfo>`+
				regionItem("us-east-1", "opt-in-not-required")+regionItem("ap-east-1", "not-opted-in")+
				regionItem("me-central-1", "opted-in")+regionItem("eu-north-1", "opt-in-not-required")+
				`</regionInfo></DescribeRegionsResponse>`)
			return true
		}
		return false
	})
}

func regionItem(name, optIn string) string {
	return "<item><regionName>" + name + "</regionName><regionEndpoint>ec2." + name + ".amazonaws.com</regionEndpoint><optInStatus>" + optIn + "</optInStatus></item>"
}

func trailJSON(name, home string, multiRegion, validation bool) string {
	return fmt.Sprintf(`{"Name":%q,"TrailARN":%q,"HomeRegion":%q,"IsMultiRegionTrail":%t,"IncludeGlobalServiceEvents":true,"LogFileValidationEnabled":%t,"S3BucketName":"acme-trail"}`,
		name, trailARN(fakeAccount, home, name), home, multiRegion, validation)
}

func epoch(s string) int64 {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.Unix()
}

func TestCT_02_ConfiguredButNotLogging(t *testing.T) {
	stopped := fmt.Sprintf(`{"IsLogging":false,"StopLoggingTime":%d,"LatestDeliveryTime":%d}`, epoch("2026-09-30T22:10:00Z"), epoch("2026-09-30T22:05:00Z"))
	arn := trailARN(fakeAccount, "us-east-1", "main")
	for _, validation := range []bool{true, false} {
		t.Run(fmt.Sprintf("validation %t", validation), func(t *testing.T) {
			fake := trailFake(t, map[string][]string{"us-east-1": {trailJSON("main", "us-east-1", false, validation)}}, map[string]string{arn: stopped}, nil)
			findings := evaluateChecks(t, collectWith(t, storageEnv(fake.URL), awscol.CloudTrailFactory, trailChecks...), nil, trailChecks...)

			logging := findingOf(t, findings, "aws.cloudtrail.logging", arn)
			wantStatus(t, logging, controls.StatusFail, "stopped 2026-09-30T22:10Z, 64 days before evaluation")
			if validation {
				wantStatus(t, findingOf(t, findings, "aws.cloudtrail.log_file_validation", arn), controls.StatusPass, "enabled")
			} else {
				wantStatus(t, findingOf(t, findings, "aws.cloudtrail.log_file_validation", arn), controls.StatusFail, "disabled")
			}
			wantStatus(t, findingOf(t, findings, "aws.cloudtrail.multi_region", "aws:"+fakeAccount), controls.StatusFail, "no multi-region trail")
		})
	}
}

func TestCT_02_LoggingNeedsTrailStatus(t *testing.T) {
	arn := trailARN(fakeAccount, "us-east-1", "org")
	fake := trailFake(t, map[string][]string{"us-east-1": {trailJSON("org", "us-east-1", true, true)}}, map[string]string{arn: "!AccessDeniedException"}, nil)
	findings := evaluateChecks(t, collectWith(t, storageEnv(fake.URL), awscol.CloudTrailFactory, trailChecks...), nil, trailChecks...)
	wantStatus(t, findingOf(t, findings, "aws.cloudtrail.logging", arn), controls.StatusError, "cloudtrail:GetTrailStatus failed with AccessDeniedException")
	wantStatus(t, findingOf(t, findings, "aws.cloudtrail.multi_region", "aws:"+fakeAccount), controls.StatusError, "could not be read")

	logging := fmt.Sprintf(`{"IsLogging":true,"StartLoggingTime":%d}`, epoch("2026-01-05T08:00:00Z"))
	fake = trailFake(t, map[string][]string{"us-east-1": {trailJSON("org", "us-east-1", true, true)}}, map[string]string{arn: logging}, nil)
	findings = evaluateChecks(t, collectWith(t, storageEnv(fake.URL), awscol.CloudTrailFactory, trailChecks...), nil, trailChecks...)
	wantStatus(t, findingOf(t, findings, "aws.cloudtrail.logging", arn), controls.StatusPass, "logging since 2026-01-05T08:00Z")
	wantStatus(t, findingOf(t, findings, "aws.cloudtrail.multi_region", "aws:"+fakeAccount), controls.StatusPass, "org")
}

func TestREG_01_OptInRegionsAndDeniedRegion(t *testing.T) {
	orgARN := trailARN(fakeAccount, "us-east-1", "org")
	org := trailJSON("org", "us-east-1", true, true)
	fake := trailFake(t,
		map[string][]string{
			"us-east-1":    {org},
			"me-central-1": {org, trailJSON("me-app", "me-central-1", false, true)},
		},
		map[string]string{
			orgARN: `{"IsLogging":true}`,
			trailARN(fakeAccount, "me-central-1", "me-app"): `{"IsLogging":true}`,
		},
		map[string]string{"ap-east-1": "UnrecognizedClientException", "eu-north-1": "AccessDeniedException"},
	)
	set := collectWith(t, storageEnv(fake.URL, "enabled"), awscol.CloudTrailFactory, trailChecks...)
	findings := evaluateChecks(t, set, nil, trailChecks...)

	var described []string
	for _, c := range fake.Calls() {
		if c.Region == "ap-east-1" {
			t.Errorf("%s:%s sent to ap-east-1, a region that is not enabled", c.Service, c.Operation)
		}
		if c.Operation == "DescribeTrails" {
			described = append(described, c.Region)
		}
		if (c.Operation == "GetCallerIdentity" || c.Operation == "DescribeRegions") && c.Region != "us-east-1" {
			t.Errorf("start-up call %s sent to %s, want the home region us-east-1", c.Operation, c.Region)
		}
	}
	sort.Strings(described)
	if strings.Join(described, ",") != "eu-north-1,me-central-1,us-east-1" {
		t.Errorf("DescribeTrails regions = %v, want eu-north-1, me-central-1 and us-east-1", described)
	}
	outOfScope := false
	for _, n := range set.Notes {
		if n.Scope == "aws:"+fakeAccount+":ap-east-1" && strings.Contains(n.Message, "out of scope") {
			outOfScope = true
		}
	}
	if !outOfScope {
		t.Errorf("notes %+v lack ap-east-1 as out of scope", set.Notes)
	}
	for _, check := range trailChecks {
		wantStatus(t, findingOf(t, findings, check, "aws:"+fakeAccount+":eu-north-1"), controls.StatusError, "cloudtrail:DescribeTrails failed with AccessDeniedException")
	}
	for _, f := range findings {
		if strings.Contains(f.Resource, "ap-east-1") {
			t.Errorf("finding for a region that is not enabled: %s %s %s", f.CheckID, f.Status, f.Message)
		}
	}
	wantStatus(t, findingOf(t, findings, "aws.cloudtrail.multi_region", "aws:"+fakeAccount), controls.StatusPass, "org")
	if got := fake.CountOf("cloudtrail:GetTrailStatus"); got != 2 {
		t.Errorf("GetTrailStatus called %d times, want 2 (each trail once)", got)
	}
}
