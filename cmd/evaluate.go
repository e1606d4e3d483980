package cmd

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/internal/pipeline"
)

// source is an evidence store folder or a bundle, read through fs.FS.
type source struct {
	fsys   fs.FS
	closer io.Closer
	// bundle is the zip path, or "" for a folder.
	bundle string
	dir    string
}

func openSource(cmd *cobra.Command) (*source, error) {
	dir, _ := cmd.Flags().GetString("evidence")
	bundle, _ := cmd.Flags().GetString("bundle")
	switch {
	case dir != "" && bundle != "":
		return nil, usageErrorf("--evidence and --bundle cannot be combined; %v", errNoSource)
	case dir != "":
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, usageErrorf("--evidence: folder %q not found", dir)
		}
		if _, err := os.Stat(filepath.Join(dir, pipeline.RunFile)); err != nil {
			return nil, usageErrorf("--evidence: %q is not an evidence store (no %s); write one with 'auditpack collect'", dir, pipeline.RunFile)
		}
		return &source{fsys: os.DirFS(dir), dir: dir}, nil
	case bundle != "":
		// Evidence that no longer matches its manifest must not be evaluated
		// or sealed into a new bundle.
		rep, err := evidence.Verify(bundle, nil)
		if err != nil {
			return nil, usageErrorf("--bundle: cannot open %q as a zip: %v", bundle, err)
		}
		if !rep.OK() {
			var parts []string
			for _, p := range rep.Problems {
				parts = append(parts, p.Kind+" "+p.Path)
			}
			return nil, usageErrorf("--bundle: %s fails verification (%s); run 'auditpack verify' on it, and use only an intact bundle", bundle, strings.Join(parts, ", "))
		}
		zr, err := zip.OpenReader(bundle)
		if err != nil {
			return nil, usageErrorf("--bundle: cannot open %q as a zip: %v", bundle, err)
		}
		return &source{fsys: zr, closer: zr, bundle: bundle}, nil
	}
	return nil, usageErrorf("%v", errNoSource)
}

func (s *source) Close() {
	if s.closer != nil {
		s.closer.Close()
	}
}

func (s *source) readJSON(name string, v any) error {
	data, err := fs.ReadFile(s.fsys, name)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s is not valid: %w", name, err)
	}
	return nil
}

// load reads the evidence, the run state and config.json.
func (s *source) load() (*evidence.Set, pipeline.RunState, pipeline.EvalConfig, error) {
	var st pipeline.RunState
	var ec pipeline.EvalConfig
	if err := s.readJSON(pipeline.RunFile, &st); err != nil {
		return nil, st, ec, err
	}
	if err := s.readJSON(pipeline.ConfigFile, &ec); err != nil {
		return nil, st, ec, err
	}
	set, err := evidence.Load(s.fsys, ".")
	if err != nil {
		return nil, st, ec, err
	}
	return set, st, ec, nil
}

func (s *source) manualFiles(ec pipeline.EvalConfig) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, m := range ec.Manual {
		data, err := fs.ReadFile(s.fsys, m.Path)
		if err != nil {
			return nil, fmt.Errorf("manual evidence %s: %w", m.Path, err)
		}
		out[m.Path] = data
	}
	return out, nil
}

func addSourceFlags(c *cobra.Command) {
	c.Flags().String("evidence", "", "evidence store folder written by 'auditpack collect'")
	c.Flags().String("bundle", "", "bundle zip written by 'auditpack run'")
}

func (a *app) evaluateCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "evaluate",
		Short: "Evaluate stored evidence again and write results.json",
		Long: `evaluate re-runs the checks on an evidence store or a bundle, with the
configuration and evaluation time stored beside the evidence, and writes
results.json. For a bundle the result is byte-identical to the results.json
inside it.`,
		Example: `  auditpack evaluate --bundle evidence/auditpack-20261204T120000Z-1a2b3c.zip --output-dir /tmp/check
  auditpack evaluate --evidence store/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := outputFormat(cmd)
			if err != nil {
				return err
			}
			src, err := openSource(cmd)
			if err != nil {
				return err
			}
			defer src.Close()
			set, st, ec, err := src.load()
			if err != nil {
				return usageErrorf("%v", err)
			}
			threshold, err := thresholdFlag(cmd, ec.Config.FailOn)
			if err != nil {
				return err
			}
			ev, err := pipeline.NewEvaluator(ec)
			if err != nil {
				return usageErrorf("stored configuration: %v", err)
			}
			results, err := ev.Evaluate(set, st)
			if err != nil {
				return abortedError(err)
			}
			data, err := pipeline.MarshalResults(results)
			if err != nil {
				return abortedError(err)
			}
			outDir, _ := cmd.Flags().GetString("output-dir")
			if outDir == "" {
				outDir = src.dir
				if outDir == "" {
					outDir = "."
				}
			}
			if err := os.MkdirAll(outDir, 0o755); err != nil {
				return abortedError(err)
			}
			path := filepath.Join(outDir, pipeline.ResultsFile)
			if src.bundle != "" && sameFile(path, filepath.Join(filepath.Dir(src.bundle), pipeline.ResultsFile)) {
				a.logger.Info("replacing results.json beside the bundle with the re-evaluated copy", "path", path)
			}
			if err := os.WriteFile(path, data, 0o644); err != nil {
				return abortedError(err)
			}
			if src.bundle != "" {
				if inside, err := fs.ReadFile(src.fsys, pipeline.ResultsFile); err == nil {
					if bytes.Equal(inside, data) {
						a.logger.Info("re-evaluation matches the bundle's results.json byte for byte")
					} else {
						a.logger.Warn("re-evaluation differs from the bundle's results.json", "written", path)
					}
				}
			}
			a.logger.Info("results written", "path", path)
			if err := printSummary(a.stdout, format, results, nil); err != nil {
				return abortedError(err)
			}
			return withCode(results.ExitCode(threshold))
		},
	}
	addSourceFlags(c)
	c.Flags().String("output-dir", "", "folder for results.json (default: the evidence folder, or the current folder for --bundle)")
	c.Flags().String("fail-on", "", "least severity whose failing findings change the exit code (default: the stored configuration's)")
	c.Flags().String("format", "table", "how the summary prints on stdout: table or json")
	return c
}

func sameFile(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

func (a *app) reportCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "report",
		Short: "Render reports from an evidence store or a bundle into a new bundle",
		Long: `report renders the chosen formats from stored evidence without collecting.
From a bundle it writes a new bundle beside it; a bundle is never modified.`,
		Example: `  auditpack report --bundle evidence/auditpack-20261204T120000Z-1a2b3c.zip --formats pdf,xlsx
  auditpack report --evidence store/ --output-dir out/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			src, err := openSource(cmd)
			if err != nil {
				return err
			}
			defer src.Close()
			set, st, ec, err := src.load()
			if err != nil {
				return usageErrorf("%v", err)
			}
			formats, _ := cmd.Flags().GetStringSlice("formats")
			if len(formats) == 0 {
				formats = ec.Config.Formats
			}
			for _, f := range formats {
				if _, ok := pipeline.Writers()[f]; !ok {
					return usageErrorf("--formats: unknown format %q; allowed: pdf, xlsx, junit, oscal", f)
				}
			}
			ev, err := pipeline.NewEvaluator(ec)
			if err != nil {
				return usageErrorf("stored configuration: %v", err)
			}
			results, err := ev.Evaluate(set, st)
			if err != nil {
				return abortedError(err)
			}
			manual, err := src.manualFiles(ec)
			if err != nil {
				return usageErrorf("%v", err)
			}
			ec.Config.Formats = formats
			signer, err := a.reportSigner(cmd)
			if err != nil {
				return err
			}
			in := pipeline.RenderInput{
				Results: results, Evidence: set, Catalog: ev.Catalog, EvalConfig: ec, State: st,
				Formats: formats, Manual: manual, Logger: a.logger,
			}
			var bundleSigner evidence.Signer
			if signer != nil {
				pub, err := evidence.MarshalPublicKey(signer.Public())
				if err != nil {
					return abortedError(err)
				}
				in.PublicKey, in.KeyFingerprint, bundleSigner = pub, evidence.Fingerprint(signer.Public()), signer
			}
			out, err := pipeline.Render(in)
			if err != nil {
				return abortedError(err)
			}
			outDir, _ := cmd.Flags().GetString("output-dir")
			var bundlePath string
			stamp := time.Now().UTC().Format("20060102T150405Z")
			switch {
			case src.bundle != "":
				if outDir == "" {
					outDir = filepath.Dir(src.bundle)
				}
				base := strings.TrimSuffix(filepath.Base(src.bundle), ".zip")
				bundlePath = filepath.Join(outDir, base+"-report-"+stamp+".zip")
			default:
				if outDir == "" {
					outDir = src.dir
				}
				bundlePath = filepath.Join(outDir, "auditpack-"+st.ID+"-report-"+stamp+".zip")
			}
			res, err := pipeline.WriteOutputs(out, bundlePath, bundleSigner)
			if err != nil {
				if errors.Is(err, fs.ErrExist) {
					return usageErrorf("%v", err)
				}
				return abortedError(err)
			}
			fmt.Fprintf(a.stdout, "Bundle: %s\nManifest SHA-256: %s\n", res.Path, res.ManifestSHA256)
			if res.Signed {
				fmt.Fprintln(a.stdout, "Signed: yes")
			} else {
				fmt.Fprintln(a.stdout, "Signed: no (give --config with signing configured to sign the new bundle)")
			}
			return nil
		},
	}
	addSourceFlags(c)
	c.Flags().StringSlice("formats", nil, "report formats: pdf, xlsx, junit, oscal (default: the stored configuration's)")
	c.Flags().String("output-dir", "", "folder for the new bundle (default: beside the source)")
	return c
}

func jsonBytes(v any) ([]byte, error) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// reportSigner returns the signing key of the configuration named by
// --config, or nil when no configuration is given or it configures none.
func (a *app) reportSigner(cmd *cobra.Command) (*evidence.Ed25519Signer, error) {
	if a.configPath == "" {
		return nil, nil
	}
	lc, err := loadConfig(a.configPath, nil, a.getenv)
	if err != nil {
		return nil, err
	}
	signer, err := pipeline.LoadSigner(lc.Config.Signing, lc.Dir, a.getenv)
	if err != nil {
		return nil, usageErrorf("invalid configuration: %v", err)
	}
	return signer, nil
}
