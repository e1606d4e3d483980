package aws

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	backuptypes "github.com/aws/aws-sdk-go-v2/service/backup/types"
	"golang.org/x/sync/errgroup"

	"github.com/auditpack/auditpack/collectors"
	"github.com/auditpack/auditpack/evidence"
)

// Evidence kinds of the AWS Backup collector.
const (
	// KindBackupResource is one protected resource with its backup jobs.
	KindBackupResource = "aws.backup.protected_resource"
	// KindBackupRegion records the job window read in one region.
	KindBackupRegion = "aws.backup.region"
)

// CheckBackupJobResults is the check the AWS Backup collector feeds.
const CheckBackupJobResults = "aws.backup.job_results"

// BackupJobWindow is how far back ListBackupJobs returns jobs.
const BackupJobWindow = 30 * 24 * time.Hour

// BackupWindowNote states the limit of ListBackupJobs for evidence and
// findings.
const BackupWindowNote = "ListBackupJobs covers only the last 30 days, which is shorter than a SOC 2 Type II " +
	"period; evidence for the rest of the audit period comes from AWS Backup Audit Manager reports and the " +
	"CloudTrail events of AWS Backup."

// BackupWindow is the span of job creation times a region's evidence
// covers.
type BackupWindow struct {
	// Start is the later of the audit period's start and 30 days before
	// collection.
	Start time.Time `json:"start"`
	// End is the period's end, or the collection time while it runs.
	End time.Time `json:"end"`
	// Note is BackupWindowNote.
	Note string `json:"note"`
}

// BackupResource holds the backup jobs of one protected resource.
type BackupResource struct {
	ResourceARN  string       `json:"resource_arn"`
	ResourceType string       `json:"resource_type,omitempty"`
	ResourceName string       `json:"resource_name,omitempty"`
	Region       string       `json:"region"`
	Window       BackupWindow `json:"window"`
	// Jobs are sorted by creation time, oldest first.
	Jobs []BackupJobRecord `json:"jobs"`
}

// BackupJobRecord is one backup job as ListBackupJobs returns it.
type BackupJobRecord struct {
	ID              string     `json:"id"`
	State           string     `json:"state"`
	MessageCategory string     `json:"message_category,omitempty"`
	StatusMessage   string     `json:"status_message,omitempty"`
	Created         time.Time  `json:"created"`
	Completed       *time.Time `json:"completed,omitempty"`
	VaultName       string     `json:"vault_name,omitempty"`
	IsParent        bool       `json:"is_parent,omitempty"`
	ParentJobID     string     `json:"parent_job_id,omitempty"`
}

// BackupRegion is the job window of one region and what it held.
type BackupRegion struct {
	Region    string       `json:"region"`
	Window    BackupWindow `json:"window"`
	Jobs      int          `json:"jobs"`
	Resources int          `json:"resources"`
	// Skipped is set when the window is empty because the audit period
	// ended more than 30 days before collection; no call is then made.
	Skipped bool `json:"skipped,omitempty"`
}

// BackupFactory builds one AWS Backup collector per AWS target.
var BackupFactory = collectors.Factory{
	ID:          "aws.backup",
	Description: "AWS Backup jobs of the last 30 days, grouped by protected resource",
	Kinds:       []string{KindBackupResource, KindBackupRegion},
	Build: func(env *collectors.Env) ([]collectors.Collector, error) {
		return collectorPerTarget(env, func(_ *Session, t *Target) collectors.Collector {
			return &BackupCollector{target: t}
		}), nil
	},
}

// BackupCollector collects the AWS Backup jobs of one account.
type BackupCollector struct{ target *Target }

var _ collectors.Collector = (*BackupCollector)(nil)

func (c *BackupCollector) ID() string      { return "aws.backup" }
func (c *BackupCollector) Scope() string   { return c.target.Scope() }
func (c *BackupCollector) Kinds() []string { return []string{KindBackupResource, KindBackupRegion} }

// Collect lists the backup jobs of every region in scope.
//
// NOTE: a resource appears only when it had a job in the window. One whose
// backups stopped more than 30 days ago is not listed at all; finding it
// needs ListProtectedResources, which this collector does not call yet.
func (c *BackupCollector) Collect(ctx context.Context, req collectors.Request, sink evidence.Sink) error {
	if !req.Wants(CheckBackupJobResults) {
		return nil
	}
	acct, err := c.target.Account(ctx)
	if err != nil {
		return err
	}
	NoteRegionsOutOfScope(acct, sink)
	window := backupWindow(req)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(acct.session.Concurrency())
	for _, region := range acct.Regions {
		g.Go(func() error {
			c.collectRegion(gctx, acct, region, window, sink)
			return nil
		})
	}
	return g.Wait()
}

// backupWindow returns the creation-time span to list: from the later of
// the period's start and 30 days before now, to the period's end or now.
func backupWindow(req collectors.Request) BackupWindow {
	now := req.Now.UTC()
	if now.IsZero() {
		now = time.Now().UTC()
	}
	now = now.Truncate(time.Second)
	start := now.Add(-BackupJobWindow)
	if !req.Period.Start.IsZero() && req.Period.Start.After(start) {
		start = req.Period.Start.UTC()
	}
	end := now
	if !req.Period.End.IsZero() {
		end = req.Period.EffectiveEnd(now).UTC()
	}
	return BackupWindow{Start: start, End: end, Note: BackupWindowNote}
}

func (c *BackupCollector) collectRegion(ctx context.Context, acct *Account, region string, window BackupWindow, sink evidence.Sink) {
	regionItem := evidence.MustItem(KindBackupRegion, c.ID(), acct.RegionScope(region), nil)
	summary := BackupRegion{Region: region, Window: window}
	if !window.Start.Before(window.End) {
		summary.Skipped = true
		setAttributes(regionItem, summary)
		sink.Add(regionItem)
		return
	}

	client := backup.NewFromConfig(acct.Config(region), func(o *backup.Options) {
		if e := acct.Endpoint("backup"); e != "" {
			o.BaseEndpoint = aws.String(e)
		}
	})
	input := &backup.ListBackupJobsInput{
		ByCreatedAfter:  aws.Time(window.Start),
		ByCreatedBefore: aws.Time(window.End),
		MaxResults:      aws.Int32(1000),
	}
	params := map[string]any{
		"ByCreatedAfter":  window.Start.Format(time.RFC3339),
		"ByCreatedBefore": window.End.Format(time.RFC3339),
		"MaxResults":      1000,
	}

	byResource := map[string][]backuptypes.BackupJob{}
	var provs []evidence.Provenance
	p := backup.NewListBackupJobsPaginator(client, input)
	for page := 1; p.HasMorePages(); page++ {
		var out *backup.ListBackupJobsOutput
		pageParams := map[string]any{"page": page}
		for k, v := range params {
			pageParams[k] = v
		}
		prov, cerr := acct.Call(ctx, region, "backup:ListBackupJobs", pageParams, func(ctx context.Context) error {
			var err error
			out, err = p.NextPage(ctx)
			return err
		})
		provs = append(provs, prov)
		if cerr != nil {
			// A partial job list would read as missing backups.
			sink.Fail(evidence.Failure{
				Collector: c.ID(),
				Scope:     acct.RegionScope(region),
				Kinds:     []string{KindBackupResource, KindBackupRegion},
				Error:     *cerr,
				Time:      time.Now().UTC(),
			})
			return
		}
		for _, j := range out.BackupJobs {
			arn := aws.ToString(j.ResourceArn)
			byResource[arn] = append(byResource[arn], j)
			summary.Jobs++
		}
	}
	summary.Resources = len(byResource)
	regionItem.Provenance = provs
	setAttributes(regionItem, summary)
	sink.Add(regionItem)

	for arn, jobs := range byResource {
		sink.Add(backupResourceItem(c.ID(), region, arn, jobs, window, provs))
	}
}

func backupResourceItem(collector, region, arn string, jobs []backuptypes.BackupJob, window BackupWindow, provs []evidence.Provenance) *evidence.Item {
	res := BackupResource{ResourceARN: arn, Region: region, Window: window}
	for _, j := range jobs {
		if res.ResourceType == "" {
			res.ResourceType = aws.ToString(j.ResourceType)
		}
		if res.ResourceName == "" {
			res.ResourceName = aws.ToString(j.ResourceName)
		}
		res.Jobs = append(res.Jobs, BackupJobRecord{
			ID:              aws.ToString(j.BackupJobId),
			State:           string(j.State),
			MessageCategory: aws.ToString(j.MessageCategory),
			StatusMessage:   aws.ToString(j.StatusMessage),
			Created:         aws.ToTime(j.CreationDate).UTC(),
			Completed:       utcPtr(j.CompletionDate),
			VaultName:       aws.ToString(j.BackupVaultName),
			IsParent:        j.IsParent,
			ParentJobID:     aws.ToString(j.ParentJobId),
		})
	}
	sort.Slice(res.Jobs, func(a, b int) bool {
		if !res.Jobs[a].Created.Equal(res.Jobs[b].Created) {
			return res.Jobs[a].Created.Before(res.Jobs[b].Created)
		}
		return res.Jobs[a].ID < res.Jobs[b].ID
	})
	if res.ResourceARN == "" {
		res.ResourceARN = fmt.Sprintf("unknown resource in %s", region)
	}
	item := evidence.MustItem(KindBackupResource, collector, res.ResourceARN, res)
	item.AddRaw("backup:ListBackupJobs", jobs)
	item.Provenance = append([]evidence.Provenance(nil), provs...)
	return item
}
