package cmd

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/evidence"
)

// summary is the JSON form of a run's summary on stdout.
type summary struct {
	RunID          string                           `json:"run_id"`
	Period         string                           `json:"period"`
	Criteria       map[controls.CriterionStatus]int `json:"criteria"`
	Findings       map[controls.Status]int          `json:"findings"`
	Exceptions     []controls.Finding               `json:"exceptions"`
	Bundle         string                           `json:"bundle,omitempty"`
	ManifestSHA256 string                           `json:"manifest_sha256,omitempty"`
	Signed         bool                             `json:"signed"`
}

// printSummary prints the criteria and findings by status, then every fail
// and error finding; res is nil when no bundle was written.
func printSummary(w io.Writer, format string, r *controls.Results, res *evidence.WriteResult) error {
	var exceptions []controls.Finding
	for _, f := range r.Findings {
		if f.Status == controls.StatusFail || f.Status == controls.StatusError {
			exceptions = append(exceptions, f)
		}
	}
	if format == "json" {
		s := summary{
			RunID:      r.Run.ID,
			Period:     r.Run.Period.String(),
			Criteria:   r.CriterionCounts(),
			Findings:   r.Counts(),
			Exceptions: exceptions,
		}
		if s.Exceptions == nil {
			s.Exceptions = []controls.Finding{}
		}
		if res != nil {
			s.Bundle, s.ManifestSHA256, s.Signed = res.Path, res.ManifestSHA256, res.Signed
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(s)
	}

	fmt.Fprintf(w, "Run %s, period %s (UTC)\n", r.Run.ID, r.Run.Period)
	cc := r.CriterionCounts()
	var parts []string
	for _, s := range controls.CriterionStatuses {
		parts = append(parts, fmt.Sprintf("%d %s", cc[s], s))
	}
	fmt.Fprintf(w, "Criteria (%d): %s\n", len(r.Criteria), strings.Join(parts, ", "))
	fc := r.Counts()
	parts = parts[:0]
	for _, s := range controls.FindingStatuses {
		parts = append(parts, fmt.Sprintf("%d %s", fc[s], s))
	}
	fmt.Fprintf(w, "Findings (%d): %s\n", len(r.Findings), strings.Join(parts, ", "))
	if len(exceptions) > 0 {
		fmt.Fprintf(w, "\nFailing and error findings:\n")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "STATUS\tSEVERITY\tCHECK\tRESOURCE\tMESSAGE")
		for _, f := range exceptions {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.Status, f.Severity, f.CheckID, f.Resource, oneLine(f.Message))
		}
		tw.Flush()
	}
	if res != nil {
		fmt.Fprintf(w, "\nBundle: %s\nManifest SHA-256: %s\n", res.Path, res.ManifestSHA256)
		if res.Signed {
			fmt.Fprintln(w, "Signed: yes")
		} else {
			fmt.Fprintln(w, "Signed: no (configure signing to sign the manifest)")
		}
	}
	return nil
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
