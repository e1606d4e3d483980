package accessreview

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/auditpack/auditpack/collectors"
	"github.com/auditpack/auditpack/evidence"
)

// Dir is the folder inside the output folder that holds export records and
// imported decisions.
const Dir = "access-reviews"

// Checks are the check ids the access review feeds.
var Checks = []string{"accessreview.completed", "accessreview.revocations_applied", "accessreview.self_review"}

// ExportChecks are the checks an export selects: the access-review checks,
// and the checks whose selection makes the IAM, users-table and HR roster
// collectors read what the review lists (credential-report rows with MFA
// devices, application users and the roster).
var ExportChecks = append(append([]string(nil), Checks...), "aws.iam.console_mfa", "postgres.users.terminated_active")

// ExportPath returns the export record's path inside an output folder.
func ExportPath(outputDir, exportID string) string {
	return filepath.Join(outputDir, Dir, "export-"+exportID+".json")
}

// DecisionsPath returns the decisions file's path inside an output folder.
// A second import of the same export replaces the first.
func DecisionsPath(outputDir, exportID string) string {
	return filepath.Join(outputDir, Dir, "decisions-"+exportID+".json")
}

// SaveExport writes the export record atomically.
func SaveExport(outputDir string, r *Review) (string, error) {
	path := ExportPath(outputDir, r.ExportID)
	return path, writeJSONAtomic(path, r)
}

// SaveDecisions writes the decisions file atomically: a reader sees either
// the previous file or the complete new one.
func SaveDecisions(outputDir string, d *Decisions) (string, error) {
	path := DecisionsPath(outputDir, d.ExportID)
	return path, writeJSONAtomic(path, d)
}

// LoadExport reads the export record of an id.
func LoadExport(outputDir, exportID string) (*Review, error) {
	if strings.ContainsAny(exportID, `/\`) || strings.Contains(exportID, "..") {
		return nil, fmt.Errorf("export id %q is invalid", exportID)
	}
	path := ExportPath(outputDir, exportID)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("export %s is not recorded in %s: import the workbook with the configuration (output_dir) it was exported with, or export a new workbook", exportID, filepath.Join(outputDir, Dir))
	}
	if err != nil {
		return nil, err
	}
	var r Review
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("read export record %s: %w", path, err)
	}
	return &r, nil
}

func writeJSONAtomic(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return WriteFileAtomic(path, append(data, '\n'))
}

// WriteFileAtomic replaces path through a synced temporary file in the same
// folder and a rename, so a reader never sees a partial file.
func WriteFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
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

// Factory builds the collector that reads export records and decisions from
// the output folder.
var Factory = collectors.Factory{
	ID:          "accessreview",
	Description: "Access-review exports and imported decisions kept in the output folder",
	Kinds:       []string{KindExport, KindDecisions},
	Build: func(env *collectors.Env) ([]collectors.Collector, error) {
		if env.Config == nil || env.Config.OutputDir == "" {
			return nil, nil
		}
		dir := env.Config.OutputDir
		if !filepath.IsAbs(dir) && env.Dir != "" {
			dir = filepath.Join(env.Dir, dir)
		}
		return []collectors.Collector{&Collector{OutputDir: dir}}, nil
	},
}

// Collector reads the export records and decisions files whose period
// overlaps the run's period.
type Collector struct {
	OutputDir string
}

var _ collectors.Collector = (*Collector)(nil)

// ID returns "accessreview".
func (c *Collector) ID() string { return "accessreview" }

// Scope returns file: and the access-review folder.
func (c *Collector) Scope() string { return "file:" + filepath.Join(c.OutputDir, Dir) }

// Kinds returns the export and decisions kinds.
func (c *Collector) Kinds() []string { return []string{KindExport, KindDecisions} }

// Collect adds one item per export record and per decisions file of the
// period. A file that cannot be read fails the collector, because a
// missing review must never look like one that was not done.
func (c *Collector) Collect(ctx context.Context, req collectors.Request, sink evidence.Sink) error {
	if !req.Wants(Checks...) {
		return nil
	}
	dir := filepath.Join(c.OutputDir, Dir)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read access-review folder: %w", err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, name := range names {
		path := filepath.Join(dir, name)
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		sum := sha256.Sum256(data)
		prov := evidence.Provenance{
			Operation:  "file:read",
			Parameters: map[string]any{"path": path, "sha256": hex.EncodeToString(sum[:])},
			Endpoint:   path,
			Time:       time.Now().UTC(),
		}
		var item *evidence.Item
		switch {
		case strings.HasPrefix(name, "export-"):
			var r Review
			if err := json.Unmarshal(data, &r); err != nil {
				return fmt.Errorf("read export record %s: %w", path, err)
			}
			if !overlaps(r.Period.Start, r.Period.End, req.Period.Start, req.Period.End) {
				continue
			}
			item, err = evidence.NewItem(KindExport, c.ID(), "accessreview:export/"+r.ExportID, r)
		case strings.HasPrefix(name, "decisions-"):
			var d Decisions
			if err := json.Unmarshal(data, &d); err != nil {
				return fmt.Errorf("read decisions file %s: %w", path, err)
			}
			if !overlaps(d.Period.Start, d.Period.End, req.Period.Start, req.Period.End) {
				continue
			}
			item, err = evidence.NewItem(KindDecisions, c.ID(), "accessreview:decisions/"+d.ExportID, d)
		default:
			continue
		}
		if err != nil {
			return err
		}
		item.Provenance = []evidence.Provenance{prov}
		sink.Add(item)
	}
	return ctx.Err()
}

func overlaps(aStart, aEnd, bStart, bEnd time.Time) bool {
	return aStart.Before(bEnd) && bStart.Before(aEnd)
}
