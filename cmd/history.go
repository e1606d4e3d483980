package cmd

import (
	"fmt"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/internal/pipeline"
)

// historyDir returns the output folder whose run history a command reads:
// --output-dir, else the configuration's output_dir.
func (a *app) historyDir(cmd *cobra.Command) (string, error) {
	lc, err := loadConfig(a.configPath, cmd.Flags(), a.getenv)
	if err != nil {
		return "", err
	}
	dir := lc.Config.OutputDir
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(lc.Dir, dir)
	}
	return dir, nil
}

func (a *app) historyCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "history",
		Short: "List the runs kept in the output folder",
		Long: `history lists every run whose bundle is kept in the output folder, newest
last, with its period, findings by status and exit code. 'history prune'
removes old bundles.`,
		Example: "  auditpack history\n  auditpack history --output-dir evidence --format json\n  auditpack history prune --keep 8",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := outputFormat(cmd)
			if err != nil {
				return err
			}
			dir, err := a.historyDir(cmd)
			if err != nil {
				return err
			}
			h, err := pipeline.LoadHistory(dir)
			if err != nil {
				return usageErrorf("%v", err)
			}
			if format == "json" {
				return writeJSON(a, h)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "RUN\tPERIOD\tFAIL\tERROR\tREVIEW\tPASS\tEXIT\tBUNDLE")
			for _, e := range h.Runs {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\n", e.RunID, e.Period,
					e.Findings[controls.StatusFail], e.Findings[controls.StatusError], e.Findings[controls.StatusReview], e.Findings[controls.StatusPass], e.ExitCode, e.Bundle)
			}
			return tw.Flush()
		},
	}
	c.PersistentFlags().String("output-dir", "", "output folder holding the runs (default: the configuration's output_dir)")
	c.Flags().String("format", "table", "output on stdout: table or json")

	prune := &cobra.Command{
		Use:     "prune",
		Short:   "Remove the bundles of all but the newest runs",
		Example: "  auditpack history prune --keep 8",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			keep, _ := cmd.Flags().GetInt("keep")
			if keep < 1 {
				return usageErrorf("--keep: %d is not allowed; keep at least 1 run", keep)
			}
			dir, err := a.historyDir(cmd)
			if err != nil {
				return err
			}
			h, err := pipeline.LoadHistory(dir)
			if err != nil {
				return usageErrorf("%v", err)
			}
			removed, err := h.Prune(dir, keep)
			if err != nil {
				return abortedError(err)
			}
			if err := h.Save(dir); err != nil {
				return abortedError(err)
			}
			for _, e := range removed {
				fmt.Fprintf(a.stdout, "removed run %s (%s)\n", e.RunID, e.Bundle)
			}
			fmt.Fprintf(a.stdout, "%d run(s) kept\n", len(h.Runs))
			return nil
		},
	}
	prune.Flags().Int("keep", 0, "number of newest runs to keep")
	_ = prune.MarkFlagRequired("keep")
	c.AddCommand(prune)
	return c
}

func (a *app) diffCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "diff RUN_A RUN_B",
		Short: "Show findings that appeared, were fixed or changed status between two runs",
		Long: `diff compares the findings of two runs of the output folder's history,
given by run id (or a unique prefix) or bundle file name, by check and
resource.`,
		Example: "  auditpack diff 20260904T090000Z 20261204T090000Z\n  auditpack diff RUN_A RUN_B --format json",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := outputFormat(cmd)
			if err != nil {
				return err
			}
			dir, err := a.historyDir(cmd)
			if err != nil {
				return err
			}
			h, err := pipeline.LoadHistory(dir)
			if err != nil {
				return usageErrorf("%v", err)
			}
			var results [2]*controls.Results
			for i, id := range args {
				e, err := h.Find(id)
				if err != nil {
					return usageErrorf("%v", err)
				}
				r, err := pipeline.ReadBundleResults(filepath.Join(dir, e.Bundle))
				if err != nil {
					return usageErrorf("run %s: %v", e.RunID, err)
				}
				results[i] = r
			}
			changes := pipeline.Diff(results[0], results[1])
			if format == "json" {
				if changes == nil {
					changes = []pipeline.Change{}
				}
				return writeJSON(a, map[string]any{"from": results[0].Run.ID, "to": results[1].Run.ID, "changes": changes})
			}
			fmt.Fprintf(a.stdout, "From run %s to run %s: %d change(s)\n", results[0].Run.ID, results[1].Run.ID, len(changes))
			if len(changes) == 0 {
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "CHANGE\tCHECK\tRESOURCE\tBEFORE\tAFTER\tMESSAGE")
			for _, ch := range changes {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", ch.Kind, ch.CheckID, ch.Resource, dash(string(ch.Before)), dash(string(ch.After)), oneLine(ch.Message))
			}
			return tw.Flush()
		},
	}
	c.Flags().String("output-dir", "", "output folder holding the runs (default: the configuration's output_dir)")
	c.Flags().String("format", "table", "output on stdout: table or json")
	return c
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
