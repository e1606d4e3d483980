package pipeline

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/auditpack/auditpack/controls"
)

// HistoryFile is the run index kept in the output folder.
const HistoryFile = "history.json"

// HistoryEntry is one finished run in the index.
type HistoryEntry struct {
	RunID          string                  `json:"run_id"`
	Started        time.Time               `json:"started"`
	Finished       time.Time               `json:"finished"`
	Period         string                  `json:"period"`
	Bundle         string                  `json:"bundle"`
	ManifestSHA256 string                  `json:"manifest_sha256"`
	Signed         bool                    `json:"signed"`
	Findings       map[controls.Status]int `json:"findings"`
	ExitCode       int                     `json:"exit_code"`
}

// History is the run index of an output folder, oldest run first.
type History struct {
	Runs []HistoryEntry `json:"runs"`
}

// LoadHistory reads the index of dir; a folder without one has no runs.
func LoadHistory(dir string) (*History, error) {
	data, err := os.ReadFile(filepath.Join(dir, HistoryFile))
	if errors.Is(err, os.ErrNotExist) {
		return &History{Runs: []HistoryEntry{}}, nil
	}
	if err != nil {
		return nil, err
	}
	var h History
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, fmt.Errorf("%s is not valid: %w", filepath.Join(dir, HistoryFile), err)
	}
	return &h, nil
}

// Save writes the index atomically.
func (h *History) Save(dir string) error {
	sort.Slice(h.Runs, func(i, j int) bool { return h.Runs[i].RunID < h.Runs[j].RunID })
	data, err := marshalJSON(h)
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, HistoryFile), data)
}

// Add records a run, replacing an entry with the same id.
func (h *History) Add(e HistoryEntry) {
	for i := range h.Runs {
		if h.Runs[i].RunID == e.RunID {
			h.Runs[i] = e
			return
		}
	}
	h.Runs = append(h.Runs, e)
}

// Find returns the entry whose run id is id or starts with it, or whose
// bundle file is named id.
func (h *History) Find(id string) (HistoryEntry, error) {
	var found []HistoryEntry
	for _, e := range h.Runs {
		if e.RunID == id || e.Bundle == id {
			return e, nil
		}
		if strings.HasPrefix(e.RunID, id) {
			found = append(found, e)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return HistoryEntry{}, fmt.Errorf("no run %q in the history; list runs with 'auditpack history'", id)
	}
	return HistoryEntry{}, fmt.Errorf("run id %q is ambiguous: it starts %d run ids", id, len(found))
}

// Prune keeps the newest keep runs and removes the bundles of the others
// from dir. It returns the removed entries.
func (h *History) Prune(dir string, keep int) ([]HistoryEntry, error) {
	sort.Slice(h.Runs, func(i, j int) bool { return h.Runs[i].RunID < h.Runs[j].RunID })
	if keep < 0 || len(h.Runs) <= keep {
		return nil, nil
	}
	cut := len(h.Runs) - keep
	removed := append([]HistoryEntry(nil), h.Runs[:cut]...)
	for _, e := range removed {
		p := filepath.Join(dir, e.Bundle)
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("remove bundle %s: %w", p, err)
		}
	}
	h.Runs = append([]HistoryEntry(nil), h.Runs[cut:]...)
	return removed, nil
}

// ReadBundleResults reads results.json from a bundle.
func ReadBundleResults(path string) (*controls.Results, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	f, err := zr.Open(ResultsFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	var r controls.Results
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: results.json is not valid: %w", path, err)
	}
	return &r, nil
}

// Change is one difference between two runs' findings.
type Change struct {
	CheckID  string `json:"check_id"`
	Resource string `json:"resource"`
	// Kind is appeared, disappeared, fixed, broke or changed.
	Kind    string          `json:"kind"`
	Before  controls.Status `json:"before,omitempty"`
	After   controls.Status `json:"after,omitempty"`
	Message string          `json:"message"`
}

// Diff compares the findings of two runs by check and resource.
func Diff(a, b *controls.Results) []Change {
	key := func(f controls.Finding) string { return f.CheckID + "\x00" + f.Resource }
	before := map[string]controls.Finding{}
	for _, f := range a.Findings {
		before[key(f)] = f
	}
	after := map[string]controls.Finding{}
	for _, f := range b.Findings {
		after[key(f)] = f
	}
	bad := func(s controls.Status) bool { return s == controls.StatusFail || s == controls.StatusError }
	var out []Change
	for k, fb := range after {
		fa, ok := before[k]
		switch {
		case !ok:
			out = append(out, Change{CheckID: fb.CheckID, Resource: fb.Resource, Kind: "appeared", After: fb.Status, Message: fb.Message})
		case fa.Status == fb.Status:
		case bad(fa.Status) && !bad(fb.Status):
			out = append(out, Change{CheckID: fb.CheckID, Resource: fb.Resource, Kind: "fixed", Before: fa.Status, After: fb.Status, Message: fb.Message})
		case !bad(fa.Status) && bad(fb.Status):
			out = append(out, Change{CheckID: fb.CheckID, Resource: fb.Resource, Kind: "broke", Before: fa.Status, After: fb.Status, Message: fb.Message})
		default:
			out = append(out, Change{CheckID: fb.CheckID, Resource: fb.Resource, Kind: "changed", Before: fa.Status, After: fb.Status, Message: fb.Message})
		}
	}
	for k, fa := range before {
		if _, ok := after[k]; !ok {
			out = append(out, Change{CheckID: fa.CheckID, Resource: fa.Resource, Kind: "disappeared", Before: fa.Status, Message: fa.Message})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].CheckID != out[j].CheckID {
			return out[i].CheckID < out[j].CheckID
		}
		return out[i].Resource < out[j].Resource
	})
	return out
}
