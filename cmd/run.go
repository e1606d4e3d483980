package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/internal/pipeline"
)

// incompleteMarker names the file that marks a work folder of a run that
// did not finish.
const incompleteMarker = "INCOMPLETE"

func addSelectionFlags(fs *pflag.FlagSet) {
	fs.String("period", "", "audit period: 2026-Q4, 2026-11, 2026 or last-90d (default: the current quarter, UTC)")
	fs.String("start", "", "first day of the period (YYYY-MM-DD), with --end")
	fs.String("end", "", "last day of the period (YYYY-MM-DD), inclusive, with --start")
	fs.StringSlice("checks", nil, "check ids or globs to evaluate (default: all)")
	fs.StringSlice("skip-checks", nil, "check ids or globs to leave out")
	fs.StringSlice("collectors", nil, "collector ids or globs to run (default: all that the selected checks need)")
	fs.Int("concurrency", 0, "API calls in flight per service and account (default 16)")
}

func addOutputFlags(fs *pflag.FlagSet) {
	fs.String("output-dir", "", "folder for the bundle, reports and run history (default ./evidence)")
	fs.StringSlice("formats", nil, "report formats: pdf, xlsx, junit, oscal (default: all four)")
	fs.String("fail-on", "", "least severity whose failing findings change the exit code: none, low, medium, high, critical (default high)")
	fs.String("format", "table", "how the summary prints on stdout: table or json")
}

func (a *app) runCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "run",
		Short: "Collect evidence, evaluate every check and write a verifiable bundle",
		Long: `run collects evidence from every configured source, evaluates the selected
checks, and writes a bundle (results.json, evidence, reports, manifest) into the
output folder, with results.json and the reports also beside the zip.`,
		Example: `  auditpack run --config auditpack.yaml --period 2026-Q4
  auditpack run --fail-on critical --formats junit --checks 'aws.s3.*'
  auditpack run --start 2026-10-01 --end 2026-10-31 --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := outputFormat(cmd)
			if err != nil {
				return err
			}
			plan, err := a.prepare(cmd)
			if err != nil {
				return err
			}
			return a.execute(cmd.Context(), plan, format)
		},
	}
	addSelectionFlags(c.Flags())
	addOutputFlags(c.Flags())
	return c
}

func outputFormat(cmd *cobra.Command) (string, error) {
	f, _ := cmd.Flags().GetString("format")
	if f != "table" && f != "json" {
		return "", usageErrorf("--format: invalid value %q; use table or json", f)
	}
	return f, nil
}

// prepare loads and validates the configuration; every error is a usage
// error, found before any system is contacted.
func (a *app) prepare(cmd *cobra.Command) (*pipeline.Plan, error) {
	lc, err := loadConfig(a.configPath, cmd.Flags(), a.getenv)
	if err != nil {
		return nil, err
	}
	plan, err := pipeline.Prepare(lc.Config, pipeline.Options{
		Dir:         lc.Dir,
		Now:         time.Now(),
		Getenv:      a.getenv,
		Logger:      a.logger,
		ToolVersion: Version,
		ToolCommit:  Commit,
	})
	if err != nil {
		if pipeline.IsConfigError(err) {
			return nil, usageErrorf("invalid configuration: %v", err)
		}
		return nil, abortedError(err)
	}
	return plan, nil
}

// execute runs a prepared plan to the end and returns the exit code as an
// error.
func (a *app) execute(ctx context.Context, plan *pipeline.Plan, format string) error {
	outDir := plan.Resolve(plan.Config.OutputDir)
	workDir := filepath.Join(outDir, ".work-"+plan.RunID)
	if err := os.MkdirAll(workDir, 0o755); err != nil {
		return abortedError(fmt.Errorf("create work folder: %w", err))
	}
	marker := filepath.Join(workDir, incompleteMarker)
	if err := os.WriteFile(marker, []byte("This run of auditpack did not finish; no bundle was published from it.\n"), 0o644); err != nil {
		return abortedError(err)
	}

	set, st, err := plan.Collect(ctx, newProgress(a))
	if err != nil {
		return abortedError(fmt.Errorf("run %s interrupted during collection: %w; the work folder %s is incomplete", plan.RunID, err, workDir))
	}
	// Evaluate exactly what a later evaluation of the bundle reads: the
	// evidence and configuration as stored.
	if err := set.WriteDir(workDir); err != nil {
		return abortedError(fmt.Errorf("write evidence: %w", err))
	}
	stored, err := evidence.Load(os.DirFS(workDir), ".")
	if err != nil {
		return abortedError(err)
	}
	var ec pipeline.EvalConfig
	if err := pipeline.RoundTrip(plan.EvalConfig(), &ec); err != nil {
		return abortedError(err)
	}
	ev, err := pipeline.NewEvaluator(ec)
	if err != nil {
		return abortedError(err)
	}
	results, err := ev.Evaluate(stored, st)
	if err != nil {
		return abortedError(err)
	}
	manual := map[string][]byte{}
	for _, m := range plan.Manual {
		manual[m.BundlePath] = m.Data
	}
	in := pipeline.RenderInput{
		Results: results, Evidence: stored, Catalog: ev.Catalog, EvalConfig: ec, State: st,
		Formats: plan.Config.Formats, Manual: manual, Logger: a.logger,
	}
	var signer evidence.Signer
	if plan.Signer != nil {
		pub, err := evidence.MarshalPublicKey(plan.Signer.Public())
		if err != nil {
			return abortedError(err)
		}
		in.PublicKey = pub
		in.KeyFingerprint = evidence.Fingerprint(plan.Signer.Public())
		signer = plan.Signer
	}
	out, err := pipeline.Render(in)
	if err != nil {
		return abortedError(fmt.Errorf("render reports: %w", err))
	}
	if ctx.Err() != nil {
		return abortedError(fmt.Errorf("run %s interrupted before the bundle was written; the work folder %s is incomplete", plan.RunID, workDir))
	}
	bundlePath := filepath.Join(outDir, "auditpack-"+plan.RunID+".zip")
	res, err := pipeline.WriteOutputs(out, bundlePath, signer)
	if err != nil {
		return abortedError(err)
	}
	if err := os.RemoveAll(workDir); err != nil {
		a.logger.Warn("could not remove the work folder", "path", workDir, "error", err.Error())
	}
	a.logger.Info("bundle written", "path", bundlePath, "manifest_sha256", res.ManifestSHA256, "signed", res.Signed)
	code := results.ExitCode(plan.Threshold)
	if err := recordHistory(outDir, results, st, res, code); err != nil {
		a.logger.Warn("could not update the run history", "path", filepath.Join(outDir, pipeline.HistoryFile), "error", err.Error())
	}
	if err := printSummary(a.stdout, format, results, &res); err != nil {
		return abortedError(err)
	}
	return withCode(code)
}

func (a *app) collectCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "collect",
		Short: "Collect evidence into an evidence store folder without evaluating it",
		Example: `  auditpack collect --config auditpack.yaml --output-dir store/
  auditpack evaluate --evidence store/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			plan, err := a.prepare(cmd)
			if err != nil {
				return err
			}
			dir := plan.Resolve(plan.Config.OutputDir)
			if _, err := os.Stat(filepath.Join(dir, pipeline.RunFile)); err == nil {
				return usageErrorf("--output-dir: %s already contains an evidence store; choose an empty folder", dir)
			}
			set, st, err := plan.Collect(cmd.Context(), newProgress(a))
			if err != nil {
				return abortedError(fmt.Errorf("collection interrupted: %w", err))
			}
			if err := writeStore(dir, set, st, plan.EvalConfig(), plan.Manual); err != nil {
				return abortedError(err)
			}
			fmt.Fprintf(a.stdout, "Evidence store written to %s: %d items, %d collection failures\n", dir, len(set.Items), len(set.Failures))
			return nil
		},
	}
	addSelectionFlags(c.Flags())
	c.Flags().String("output-dir", "", "folder for the evidence store (default ./evidence)")
	return c
}

func writeStore(dir string, set *evidence.Set, st pipeline.RunState, ec pipeline.EvalConfig, manual []pipeline.ManualFile) error {
	if err := set.WriteDir(dir); err != nil {
		return err
	}
	files := map[string]any{pipeline.RunFile: st, pipeline.ConfigFile: ec}
	for name, v := range files {
		data, err := jsonBytes(v)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	for _, m := range manual {
		p := filepath.Join(dir, filepath.FromSlash(m.BundlePath))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, m.Data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

var errNoSource = errors.New("give --evidence DIR or --bundle ZIP")

func thresholdFlag(cmd *cobra.Command, stored string) (controls.Threshold, error) {
	v, _ := cmd.Flags().GetString("fail-on")
	if v == "" {
		v = stored
	}
	if v == "" {
		v = "high"
	}
	t, err := controls.ParseThreshold(v)
	if err != nil {
		return "", usageErrorf("--fail-on: %v", err)
	}
	return t, nil
}

func recordHistory(dir string, r *controls.Results, st pipeline.RunState, res evidence.WriteResult, code int) error {
	h, err := pipeline.LoadHistory(dir)
	if err != nil {
		return err
	}
	h.Add(pipeline.HistoryEntry{
		RunID:          st.ID,
		Started:        st.Started,
		Finished:       st.Finished,
		Period:         st.Period.String(),
		Bundle:         filepath.Base(res.Path),
		ManifestSHA256: res.ManifestSHA256,
		Signed:         res.Signed,
		Findings:       r.Counts(),
		ExitCode:       code,
	})
	return h.Save(dir)
}
