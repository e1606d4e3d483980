package testenv

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	"github.com/aws/smithy-go"
)

func fakeBackupClient(endpoint, region string) *backup.Client {
	return backup.NewFromConfig(aws.Config{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	})
}

func TestBackupFakePagesThroughSDKPaginator(t *testing.T) {
	base := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	var jobs []BackupJob
	for i, id := range []string{"a", "b", "c", "d", "e"} {
		jobs = append(jobs, BackupJob{
			ID: id, ResourceARN: "arn:aws:s3:::bucket-" + id, ResourceType: "S3", State: "COMPLETED",
			MessageCategory: "SUCCESS", CreationDate: base.Add(time.Duration(i) * time.Hour),
			CompletionDate: base.Add(time.Duration(i)*time.Hour + 90*time.Second + 250*time.Millisecond),
		})
	}
	jobs = append(jobs, BackupJob{ID: "old", ResourceARN: "arn:aws:s3:::old", State: "FAILED", CreationDate: base.AddDate(0, -2, 0)})
	fake, err := StartBackupFake(jobs)
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	fake.SetPageSize(2)

	client := fakeBackupClient(fake.URL, "us-east-1")
	p := backup.NewListBackupJobsPaginator(client, &backup.ListBackupJobsInput{ByCreatedAfter: aws.Time(base.AddDate(0, 0, -30))})
	var got []string
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("page %d: %v", pages+1, err)
		}
		pages++
		for _, j := range out.BackupJobs {
			got = append(got, aws.ToString(j.BackupJobId))
			if id := aws.ToString(j.BackupJobId); id == "a" {
				want := base.Add(90*time.Second + 250*time.Millisecond)
				if !aws.ToTime(j.CompletionDate).Equal(want) {
					t.Errorf("completion of a = %v, want %v", aws.ToTime(j.CompletionDate), want)
				}
				if aws.ToString(j.MessageCategory) != "SUCCESS" {
					t.Errorf("message category of a = %q, want SUCCESS", aws.ToString(j.MessageCategory))
				}
			}
		}
	}
	if pages != 3 {
		t.Errorf("pages = %d, want 3 of at most 2 jobs", pages)
	}
	want := []string{"e", "d", "c", "b", "a"}
	if len(got) != len(want) {
		t.Fatalf("jobs = %v, want %v (newest first, the old job filtered out)", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("job %d = %s, want %s", i, got[i], want[i])
		}
	}
	reqs := fake.Requests()
	if len(reqs) != 3 || reqs[0].Query.Get("createdAfter") == "" || reqs[2].Query.Get("nextToken") != "offset-4" {
		t.Errorf("requests = %+v, want three with createdAfter and the last with nextToken offset-4", reqs)
	}
	if reqs[0].Region != "us-east-1" {
		t.Errorf("request region = %q, want us-east-1 from the signature", reqs[0].Region)
	}
}

func TestBackupFakeFiltersByRegionAndFails(t *testing.T) {
	now := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	fake, err := StartBackupFake([]BackupJob{
		{ID: "east", ResourceARN: "arn:aws:ec2:us-east-1:111122223333:volume/vol-1", Region: "us-east-1", State: "COMPLETED", CreationDate: now.Add(-time.Hour)},
		{ID: "west", ResourceARN: "arn:aws:ec2:eu-west-1:111122223333:volume/vol-2", Region: "eu-west-1", State: "COMPLETED", CreationDate: now.Add(-time.Hour)},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()

	out, err := fakeBackupClient(fake.URL, "eu-west-1").ListBackupJobs(context.Background(), &backup.ListBackupJobsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.BackupJobs) != 1 || aws.ToString(out.BackupJobs[0].BackupJobId) != "west" {
		t.Errorf("eu-west-1 jobs = %d, want only west", len(out.BackupJobs))
	}

	fake.FailWith(http.StatusForbidden, "AccessDeniedException", "denied")
	_, err = fakeBackupClient(fake.URL, "us-east-1").ListBackupJobs(context.Background(), &backup.ListBackupJobsInput{})
	if err == nil {
		t.Fatal("want an error after FailWith")
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDeniedException" {
		t.Errorf("error = %v, want code AccessDeniedException", err)
	}
}
