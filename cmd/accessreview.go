package cmd

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/auditpack/auditpack/accessreview"
	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/internal/pipeline"
)

func (a *app) accessReviewCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "access-review",
		Short: "Export an access-review workbook and import the reviewers' decisions",
		Long: `access-review exports a workbook listing every account of the configured
systems for reviewers to decide on, and imports the filled-in workbook as
evidence in the output folder (access-reviews/), where every later run of the
period reads it for the accessreview.* checks.`,
		Example: `  auditpack access-review export --config auditpack.yaml --out review.xlsx
  # reviewers fill Decision, Reviewer and Date on every row
  auditpack access-review import --config auditpack.yaml review.xlsx
  auditpack run --config auditpack.yaml`,
	}
	c.AddCommand(a.accessReviewExportCommand(), a.accessReviewImportCommand())
	return c
}

func (a *app) accessReviewExportCommand() *cobra.Command {
	var out string
	c := &cobra.Command{
		Use:   "export",
		Short: "Collect the accounts of every configured system into a review workbook",
		Long: `export collects IAM users and roles of each AWS account, the login roles of
each PostgreSQL server and the users of each application's users table (with
the HR roster match when hr_roster is configured), and writes one sheet per
system. Reviewers fill the Decision (Keep, Revoke or Modify), Reviewer, Date
and Comment columns; the other columns are locked. The export record, with a
SHA-256 of each row, is kept in the output folder's access-reviews/ folder
for the import. The workbook and the record are not redacted, because
reviewers must recognise the accounts; a run's bundle redacts them as
configured. When some accounts could not be collected, nothing is written
and the command exits 4.`,
		Example: `  auditpack access-review export --config auditpack.yaml --out review.xlsx
  auditpack access-review export --period 2026-Q4 --out q4-review.xlsx`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.exportAccessReview(cmd, out)
		},
	}
	fs := c.Flags()
	fs.StringVar(&out, "out", "", "workbook to write (default: OUTPUT_DIR/access-review-EXPORT_ID.xlsx)")
	fs.String("period", "", "review period: 2026-Q4, 2026-11, 2026 or last-90d (default: the configured period, else the current quarter)")
	fs.String("start", "", "first day of the period (YYYY-MM-DD), with --end")
	fs.String("end", "", "last day of the period (YYYY-MM-DD), inclusive, with --start")
	fs.String("output-dir", "", "output folder that keeps the export record (default ./evidence)")
	return c
}

func (a *app) exportAccessReview(cmd *cobra.Command, out string) error {
	lc, err := loadConfig(a.configPath, cmd.Flags(), a.getenv)
	if err != nil {
		return err
	}
	cfg := lc.Config
	if cfg.AWS == nil && len(cfg.Postgres) == 0 {
		return usageErrorf("the configuration has no system to review: configure aws or postgres, and export again")
	}
	cfg.Checks.Select = append([]string(nil), accessreview.ExportChecks...)
	cfg.Checks.Skip = nil
	// Reviewers must recognise the accounts, so the workbook and the export
	// record keep names and addresses; a run redacts them in its bundle.
	cfg.Redact = nil
	plan, err := pipeline.Prepare(cfg, pipeline.Options{
		Dir: lc.Dir, Now: time.Now(), Getenv: a.getenv, Logger: a.logger,
		ToolVersion: Version, ToolCommit: Commit,
	})
	if err != nil {
		if pipeline.IsConfigError(err) {
			return usageErrorf("invalid configuration: %v", err)
		}
		return abortedError(err)
	}
	outDir := plan.Resolve(cfg.OutputDir)
	meta := accessreview.Meta{
		ExportID:     accessreview.NewExportID(plan.Opts.Now),
		Organization: cfg.Organization,
		Period:       plan.Period,
		Created:      plan.Opts.Now,
		Exporter:     cfg.Operator,
	}
	if out == "" {
		if err := os.MkdirAll(outDir, 0o755); err != nil {
			return abortedError(fmt.Errorf("create the output folder: %w", err))
		}
		out = filepath.Join(outDir, "access-review-"+meta.ExportID+".xlsx")
	}
	if info, err := os.Stat(filepath.Dir(out)); err != nil || !info.IsDir() {
		return usageErrorf("--out: folder %s does not exist; create it or choose another path", filepath.Dir(out))
	}

	set, _, err := plan.Collect(cmd.Context(), newProgress(a))
	if err != nil {
		return abortedError(fmt.Errorf("collection interrupted: %w; no workbook was written", err))
	}
	review, err := accessreview.Build(set, meta)
	if err != nil {
		return abortedError(fmt.Errorf("%w\nno workbook was written", err))
	}
	review.Exclude(cfg.Scope.Exclude, controls.MatchResource)
	if len(review.Sheets) == 0 {
		return abortedError(errors.New("the collection found no system to review; no workbook was written"))
	}
	recordPath, err := accessreview.SaveExport(outDir, review)
	if err != nil {
		return abortedError(fmt.Errorf("write the export record: %w", err))
	}
	if err := writeWorkbook(out, review); err != nil {
		return abortedError(fmt.Errorf("write workbook %s: %w", out, err))
	}
	a.logger.Info("access-review workbook written", "path", out, "export_id", meta.ExportID, "record", recordPath)
	fmt.Fprintf(a.stdout, "Access-review workbook: %s\nExport %s, period %s: %d accounts on %d sheets.\n",
		out, meta.ExportID, meta.Period, review.RowCount(), len(review.Sheets))
	return nil
}

// writeWorkbook writes the workbook through a temporary file in the same
// folder, so a failed write leaves no partial workbook at path.
func writeWorkbook(path string, review *accessreview.Review) error {
	var buf bytes.Buffer
	if err := review.Write(&buf); err != nil {
		return err
	}
	return accessreview.WriteFileAtomic(path, buf.Bytes())
}

func (a *app) accessReviewImportCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "import WORKBOOK",
		Short: "Validate a filled-in review workbook and store its decisions as evidence",
		Long: `import checks the workbook against its export record in the output folder:
the same export id, no changed data cell, a decision, reviewer and date on
every row, and every date inside the review period, not before the export
and not in the future. A bad workbook exits 3 with each problem listed by
sheet and row, and nothing is written. A valid one is stored as
access-reviews/decisions-EXPORT_ID.json (who decided what and when, the
export id and the workbook's SHA-256), replacing an earlier import of the
same export.`,
		Example: `  auditpack access-review import --config auditpack.yaml review.xlsx`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.importAccessReview(cmd, args[0])
		},
	}
	c.Flags().String("output-dir", "", "output folder that keeps the export record and the decisions (default ./evidence)")
	return c
}

func (a *app) importAccessReview(cmd *cobra.Command, path string) error {
	lc, err := loadConfig(a.configPath, cmd.Flags(), a.getenv)
	if err != nil {
		return err
	}
	cfg := lc.Config
	if cfg.OutputDir == "" {
		return usageErrorf("output_dir: must not be empty; give the folder that holds access-reviews/")
	}
	outDir := cfg.OutputDir
	if !filepath.IsAbs(outDir) {
		outDir = filepath.Join(lc.Dir, outDir)
	}
	if _, err := os.Stat(path); err != nil {
		return usageErrorf("workbook %s not found; give the path of the filled-in workbook", path)
	}

	exportID, err := accessreview.ReadExportID(path)
	if err != nil {
		return usageErrorf("%v", err)
	}
	record, err := accessreview.LoadExport(outDir, exportID)
	if err != nil {
		return usageErrorf("%v", err)
	}
	decisions, err := accessreview.Import(path, record, time.Now())
	var importErr *accessreview.ImportError
	if errors.As(err, &importErr) {
		return usageErrorf("%v", importErr)
	}
	if err != nil {
		return usageErrorf("%v", err)
	}

	decisions.ImportedBy = cfg.Operator
	if decisions.ImportedBy == "" {
		if u, err := user.Current(); err == nil {
			decisions.ImportedBy = u.Username
		}
	}
	saved, err := accessreview.SaveDecisions(outDir, decisions)
	if err != nil {
		return abortedError(fmt.Errorf("store the decisions: %w; nothing was imported", err))
	}
	a.logger.Info("access-review decisions imported", "workbook", path, "export_id", exportID, "decisions", len(decisions.Decisions), "path", saved)
	fmt.Fprintf(a.stdout, "Imported %d decisions of export %s from %s into %s.\n", len(decisions.Decisions), exportID, path, saved)
	return nil
}
