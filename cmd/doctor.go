package cmd

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/auditpack/auditpack/internal/doctor"
	"github.com/auditpack/auditpack/internal/pipeline"
)

func (a *app) doctorCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "doctor",
		Short: "Check that every configured AWS account and database can be collected from",
		Long: `doctor checks each configured target before a run and prints one line per
target: ok with what it confirmed, or FAIL with what is missing.

For AWS it resolves the credentials and caller identity (sts:GetCallerIdentity),
sends ec2:DescribeRegions to each region in scope, and makes one cheap read call
per service that the selected checks use (s3:ListBuckets for one bucket,
iam:GetAccountSummary, cloudtrail:DescribeTrails, kms:ListKeys for one key,
rds:DescribeDBInstances, backup:ListBackupJobs for one job). For each PostgreSQL
database it connects, opens a read-only transaction, and checks that the
configured audit-log and user tables and columns exist and can be selected.

It contacts only the configured endpoints and changes nothing. Exit codes: 0 when
every target is usable; 3 when the configuration is invalid or a target is
unusable.`,
		Example: `  auditpack doctor --config auditpack.yaml
  auditpack doctor --checks 'aws.s3.*'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			lc, err := loadConfig(a.configPath, cmd.Flags(), a.getenv)
			if err != nil {
				return err
			}
			plan, err := pipeline.Prepare(lc.Config, pipeline.Options{
				Dir: lc.Dir, Now: time.Now(), Getenv: a.getenv, Logger: a.logger, ToolVersion: Version, ToolCommit: Commit,
			})
			if err != nil {
				if pipeline.IsConfigError(err) {
					return usageErrorf("invalid configuration: %v", err)
				}
				return abortedError(err)
			}
			results := doctor.Run(cmd.Context(), doctor.Options{Env: plan.Env, Checks: plan.Selected})
			if len(results) == 0 {
				return usageErrorf("no AWS account or PostgreSQL database is configured; add aws or postgres to the configuration")
			}
			unusable := 0
			for _, r := range results {
				fmt.Fprintln(a.stdout, r.Line())
				if !r.OK() {
					unusable++
				}
			}
			if unusable > 0 {
				return usageErrorf("%d of %d targets are unusable; fix what the FAIL lines name and run doctor again", unusable, len(results))
			}
			return nil
		},
	}
	c.Flags().StringSlice("checks", nil, "check ids or globs whose AWS services are tried (default: all)")
	c.Flags().StringSlice("skip-checks", nil, "check ids or globs to leave out")
	return c
}
