package pipeline

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"text/template"

	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/reports"
	"github.com/auditpack/auditpack/reports/junit"
	"github.com/auditpack/auditpack/reports/oscal"
	"github.com/auditpack/auditpack/reports/pdf"
	"github.com/auditpack/auditpack/reports/xlsx"
	"github.com/auditpack/auditpack/templates"
)

// Writers returns the report writer of each format.
func Writers() map[string]reports.Writer {
	return map[string]reports.Writer{
		"pdf":   pdf.New(),
		"xlsx":  xlsx.New(),
		"junit": junit.New(),
		"oscal": oscal.New(),
	}
}

// Output is everything a run writes: the bundle's files and the copies
// beside it.
type Output struct {
	Results     *controls.Results
	ResultsJSON []byte
	// Reports holds each rendered report by file name.
	Reports map[string][]byte
	Bundle  *evidence.Bundle
}

// RenderInput is the input of Render.
type RenderInput struct {
	Results    *controls.Results
	Evidence   *evidence.Set
	Catalog    *controls.Catalog
	EvalConfig EvalConfig
	State      RunState
	Formats    []string
	// Manual holds the manual evidence files by bundle path.
	Manual map[string][]byte
	// PublicKey is the signer's public key PEM, or nil for an unsigned
	// bundle.
	PublicKey      []byte
	KeyFingerprint string
	Logger         *slog.Logger
}

// Render writes results.json and the reports and assembles the bundle.
func Render(in RenderInput) (*Output, error) {
	resultsJSON, err := MarshalResults(in.Results)
	if err != nil {
		return nil, err
	}
	out := &Output{Results: in.Results, ResultsJSON: resultsJSON, Reports: map[string][]byte{}, Bundle: evidence.NewBundle(in.State.ID)}
	rin := &reports.Input{
		Results:         in.Results,
		Evidence:        in.Evidence,
		Catalog:         in.Catalog,
		ResultsSHA256:   sha256Hex(resultsJSON),
		KeyFingerprint:  in.KeyFingerprint,
		PDFFallbackFont: in.EvalConfig.Config.Reports.PDFFallbackFont,
		Logger:          in.Logger,
	}
	writers := Writers()
	for _, f := range in.Formats {
		w, ok := writers[f]
		if !ok {
			return nil, fmt.Errorf("no writer for format %q", f)
		}
		var buf bytes.Buffer
		if err := w.Write(rin, &buf); err != nil {
			return nil, fmt.Errorf("write %s: %w", w.FileName(), err)
		}
		out.Reports[w.FileName()] = buf.Bytes()
	}

	b := out.Bundle
	if err := b.AddSet(in.Evidence); err != nil {
		return nil, err
	}
	add := func(path string, data []byte) {
		if err == nil {
			err = b.Add(path, data)
		}
	}
	add(ResultsFile, resultsJSON)
	cfgJSON, cerr := marshalJSON(in.EvalConfig)
	if cerr != nil {
		return nil, cerr
	}
	add(ConfigFile, cfgJSON)
	runJSON, rerr := marshalJSON(in.State)
	if rerr != nil {
		return nil, rerr
	}
	add(RunFile, runJSON)
	for name, data := range out.Reports {
		add(name, data)
	}
	for _, a := range rin.Attachments() {
		add(a.Path, a.Data)
	}
	for path, data := range in.Manual {
		add(path, data)
	}
	if in.PublicKey != nil {
		add(evidence.PublicKeyName, in.PublicKey)
	}
	readme, rerr := auditorReadme(in)
	if rerr != nil {
		return nil, rerr
	}
	add("README.md", readme)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// auditorReadme renders the bundle's README for auditors.
func auditorReadme(in RenderInput) ([]byte, error) {
	text, err := fs.ReadFile(templates.FS(), "bundle/README.md.tmpl")
	if err != nil {
		return nil, err
	}
	t, err := template.New("README.md").Parse(string(text))
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	err = t.Execute(&buf, map[string]any{
		"Run":            in.Results.Run,
		"State":          in.State,
		"Formats":        in.Formats,
		"Signed":         in.PublicKey != nil,
		"KeyFingerprint": in.KeyFingerprint,
		"Counts":         statusCounts(in.Results),
	})
	return buf.Bytes(), err
}

// WriteOutputs writes the bundle at bundlePath and the results and reports
// beside it in its folder.
func WriteOutputs(out *Output, bundlePath string, signer evidence.Signer) (evidence.WriteResult, error) {
	res, err := out.Bundle.WriteFile(bundlePath, signer)
	if err != nil {
		return res, fmt.Errorf("write bundle: %w", err)
	}
	dir := filepath.Dir(bundlePath)
	files := map[string][]byte{ResultsFile: out.ResultsJSON}
	for name, data := range out.Reports {
		files[name] = data
	}
	for name, data := range files {
		if err := writeFileAtomic(filepath.Join(dir, name), data); err != nil {
			return res, err
		}
	}
	return res, nil
}

// writeFileAtomic replaces path through a temporary file and a rename.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.partial")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// RoundTrip re-reads v through JSON into out, so a run evaluates exactly
// what a later evaluation of its bundle reads.
func RoundTrip(v, out any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, out)
}

// statusCounts returns the number of findings per status, keyed by the
// status name for templates.
func statusCounts(r *controls.Results) map[string]int {
	out := map[string]int{}
	for _, s := range controls.FindingStatuses {
		out[string(s)] = 0
	}
	for s, n := range r.Counts() {
		out[string(s)] = n
	}
	return out
}
