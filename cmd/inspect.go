package cmd

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/evidence"
)

func (a *app) verifyCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "verify BUNDLE.zip",
		Short: "Check that a bundle is complete, unchanged and (optionally) signed by a key",
		Long: `verify recomputes the SHA-256 of every file in the bundle and compares it with
manifest.json, checks that SHA256SUMS agrees with the manifest, and checks the
Ed25519 signature. It exits 0 when the bundle is intact and 1 naming each
changed, missing or added file. With --pubkey the bundle must be signed by that
key; without it, a signature is checked against the key shipped inside, which
shows only that the bundle is self-consistent.`,
		Example: `  auditpack verify evidence/auditpack-20261204T120000Z-1a2b3c.zip
  auditpack verify bundle.zip --pubkey auditpack.pub`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := outputFormat(cmd)
			if err != nil {
				return err
			}
			var pub ed25519.PublicKey
			if path, _ := cmd.Flags().GetString("pubkey"); path != "" {
				data, err := os.ReadFile(path)
				if err != nil {
					return usageErrorf("--pubkey: cannot read %q: %v", path, err)
				}
				if pub, err = evidence.ParsePublicKey(data); err != nil {
					return usageErrorf("--pubkey: %s: %v", path, err)
				}
			}
			if _, err := os.Stat(args[0]); err != nil {
				return usageErrorf("bundle %q not found", args[0])
			}
			rep, err := evidence.Verify(args[0], pub)
			if err != nil {
				// A file that is no longer a readable zip fails verification.
				fmt.Fprintf(a.stdout, "FAILED: %s is not a readable bundle: %v\n", args[0], err)
				return withCode(ExitFailed)
			}
			if format == "json" {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				if rep.Problems == nil {
					rep.Problems = []evidence.Problem{}
				}
				if err := enc.Encode(rep); err != nil {
					return abortedError(err)
				}
			} else {
				printVerify(a, args[0], rep)
			}
			if !rep.OK() {
				return withCode(ExitFailed)
			}
			return nil
		},
	}
	c.Flags().String("pubkey", "", "PEM public key the bundle must be signed with")
	c.Flags().String("format", "table", "output on stdout: table or json")
	return c
}

func printVerify(a *app, path string, rep *evidence.VerifyReport) {
	w := a.stdout
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "%s: %s (%s)\n", p.Kind, p.Path, p.Detail)
	}
	fmt.Fprintf(w, "Manifest SHA-256: %s\n", rep.ManifestSHA256)
	switch {
	case !rep.Signed:
		fmt.Fprintln(w, "Signature: none (the bundle is unsigned)")
	case rep.SignatureValid && rep.KeySource == "pubkey":
		fmt.Fprintf(w, "Signature: valid for the given key %s\n", rep.KeyFingerprint)
	case rep.SignatureValid:
		fmt.Fprintf(w, "Signature: valid for the key shipped inside the bundle, %s; compare its fingerprint with the one the organisation sent, or verify with --pubkey\n", rep.KeyFingerprint)
	default:
		fmt.Fprintln(w, "Signature: NOT valid")
	}
	if rep.OK() {
		fmt.Fprintf(w, "OK: %s is intact (%d files match the manifest)\n", path, rep.Files)
	} else {
		fmt.Fprintf(w, "FAILED: %s has %d problem(s)\n", path, len(rep.Problems))
	}
}

func (a *app) controlsCommand() *cobra.Command {
	c := &cobra.Command{Use: "controls", Short: "Show the Trust Services Criteria catalog"}
	list := &cobra.Command{
		Use:     "list",
		Short:   "List the 61 Trust Services Criteria with the checks that support them",
		Example: "  auditpack controls list\n  auditpack controls list --format json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := outputFormat(cmd)
			if err != nil {
				return err
			}
			cat, reg, err := catalogAndRegistry()
			if err != nil {
				return abortedError(err)
			}
			checksOf := map[string][]string{}
			for _, ch := range reg.All() {
				for _, id := range ch.Criteria {
					checksOf[id] = append(checksOf[id], ch.ID)
				}
			}
			type row struct {
				ID          string   `json:"id"`
				Category    string   `json:"category"`
				Description string   `json:"description"`
				Checks      []string `json:"checks"`
			}
			var rows []row
			for _, cr := range cat.Criteria {
				ids := append([]string{}, checksOf[cr.ID]...)
				sort.Strings(ids)
				rows = append(rows, row{ID: cr.ID, Category: cat.CategoryName(cr.Category), Description: cr.Description, Checks: ids})
			}
			if format == "json" {
				return writeJSON(a, rows)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tCATEGORY\tCHECKS\tDESCRIPTION")
			for _, r := range rows {
				checks := "manual"
				if len(r.Checks) > 0 {
					checks = fmt.Sprint(len(r.Checks))
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Category, checks, r.Description)
			}
			return tw.Flush()
		},
	}
	list.Flags().String("format", "table", "output on stdout: table or json")
	c.AddCommand(list)
	return c
}

func (a *app) checksCommand() *cobra.Command {
	c := &cobra.Command{Use: "checks", Short: "Show the automated checks"}
	list := &cobra.Command{
		Use:     "list",
		Short:   "List every check with its severity, criteria and parameters",
		Example: "  auditpack checks list\n  auditpack checks list --format json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := outputFormat(cmd)
			if err != nil {
				return err
			}
			_, reg, err := catalogAndRegistry()
			if err != nil {
				return abortedError(err)
			}
			type row struct {
				ID         string            `json:"id"`
				Title      string            `json:"title"`
				Severity   controls.Severity `json:"severity"`
				Criteria   []string          `json:"criteria"`
				Collectors []string          `json:"collectors"`
				Params     map[string]any    `json:"params"`
				Calls      []string          `json:"calls"`
			}
			var rows []row
			for _, ch := range reg.All() {
				rows = append(rows, row{ID: ch.ID, Title: ch.Title, Severity: ch.Severity, Criteria: ch.Criteria, Collectors: ch.Collectors, Params: ch.DefaultParams(), Calls: ch.Calls})
			}
			if format == "json" {
				return writeJSON(a, rows)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSEVERITY\tCRITERIA\tTITLE")
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Severity, strings.Join(r.Criteria, ","), r.Title)
			}
			return tw.Flush()
		},
	}
	list.Flags().String("format", "table", "output on stdout: table or json")
	c.AddCommand(list)
	return c
}

func catalogAndRegistry() (*controls.Catalog, *controls.Registry, error) {
	cat, err := controls.LoadCatalog()
	if err != nil {
		return nil, nil, err
	}
	reg, err := controls.DefaultRegistry(cat)
	return cat, reg, err
}

func writeJSON(a *app, v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func (a *app) keygenCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "keygen",
		Short: "Create an Ed25519 key pair for signing bundles",
		Long: `keygen writes auditpack.key (the PEM private key, mode 0600) and auditpack.pub
(the PEM public key) into --out-dir, and prints the public key's fingerprint.
Give auditors the public key by a channel other than the bundle.`,
		Example: "  auditpack keygen --out-dir keys/\n  export AUDITPACK_SIGNING_KEY=\"$(cat keys/auditpack.key)\"",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, _ := cmd.Flags().GetString("out-dir")
			privPath := filepath.Join(dir, "auditpack.key")
			pubPath := filepath.Join(dir, "auditpack.pub")
			for _, p := range []string{privPath, pubPath} {
				if _, err := os.Stat(p); err == nil {
					return usageErrorf("%s already exists; keygen never overwrites a key, choose another --out-dir", p)
				}
			}
			priv, pub, err := evidence.GenerateKey()
			if err != nil {
				return abortedError(err)
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return abortedError(err)
			}
			if err := os.WriteFile(privPath, priv, 0o600); err != nil {
				return abortedError(err)
			}
			if err := os.WriteFile(pubPath, pub, 0o644); err != nil {
				return abortedError(err)
			}
			key, err := evidence.ParsePublicKey(pub)
			if err != nil {
				return abortedError(err)
			}
			fmt.Fprintf(a.stdout, "Private key: %s (mode 0600)\nPublic key: %s\nFingerprint: %s\n", privPath, pubPath, evidence.Fingerprint(key))
			return nil
		},
	}
	c.Flags().String("out-dir", ".", "folder for auditpack.key and auditpack.pub")
	return c
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of auditpack",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(a.stdout, "auditpack %s (commit %s, %s, %s/%s)\n", Version, Commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}
