package files

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/auditpack/auditpack/collectors"
	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/internal/config"
)

// KindRestoreTests is the evidence kind of a restore-drill log.
const KindRestoreTests = "restore_tests.log"

// CheckRestoreTests is the check the restore-drill log feeds.
const CheckRestoreTests = "backup.restore_tests"

// RestoreTestLog is a restore-drill log: one row per drill.
type RestoreTestLog struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	// Format is csv or yaml.
	Format string `json:"format"`
	// Systems are the systems that restore_tests.systems lists; empty means
	// every system in the log is judged.
	Systems []string       `json:"systems,omitempty"`
	Drills  []RestoreDrill `json:"drills"`
	// LineErrors lists lines that could not be read; the other lines are.
	LineErrors []LineError `json:"line_errors,omitempty"`
}

// RestoreDrill is one restore test.
type RestoreDrill struct {
	Line   int       `json:"line"`
	Date   time.Time `json:"date"`
	System string    `json:"system"`
	// Backup names the backup or recovery point restored from.
	Backup string `json:"backup,omitempty"`
	// Result is the value as written; Succeeded is its meaning.
	Result    string `json:"result"`
	Succeeded bool   `json:"succeeded"`
	// TimeToRestore is the value as written; RestoreSeconds is its length,
	// nil when the log gives none (allowed for a failed drill only).
	TimeToRestore  string `json:"time_to_restore,omitempty"`
	RestoreSeconds *int64 `json:"restore_seconds,omitempty"`
}

// Duration returns the time the restore took, or 0 when none was given.
func (d RestoreDrill) Duration() time.Duration {
	if d.RestoreSeconds == nil {
		return 0
	}
	return time.Duration(*d.RestoreSeconds) * time.Second
}

// RestoreTestsFactory builds the restore-drill log collector when
// restore_tests is configured.
var RestoreTestsFactory = collectors.Factory{
	ID:          "files.restore_tests",
	Description: "restore-drill log (CSV or YAML): date, system, backup used, result, time to restore",
	Kinds:       []string{KindRestoreTests},
	Build: func(env *collectors.Env) ([]collectors.Collector, error) {
		if env.Config == nil || env.Config.RestoreTests == nil || env.Config.RestoreTests.Path == "" {
			return nil, nil
		}
		return []collectors.Collector{&RestoreTestsCollector{cfg: *env.Config.RestoreTests}}, nil
	},
}

// RestoreTestsCollector reads the restore-drill log.
type RestoreTestsCollector struct {
	cfg config.RestoreTests
}

var _ collectors.Collector = (*RestoreTestsCollector)(nil)

// ID returns "files.restore_tests".
func (c *RestoreTestsCollector) ID() string { return "files.restore_tests" }

// Scope returns file: and the log's path.
func (c *RestoreTestsCollector) Scope() string { return "file:" + c.cfg.Path }

// Kinds returns the restore-drill log kind.
func (c *RestoreTestsCollector) Kinds() []string { return []string{KindRestoreTests} }

// Collect reads the log. A file that cannot be read or lacks a required
// column fails the collector; a malformed line is recorded and skipped.
func (c *RestoreTestsCollector) Collect(ctx context.Context, req collectors.Request, sink evidence.Sink) error {
	if !req.Wants(CheckRestoreTests) {
		return nil
	}
	data, err := os.ReadFile(c.cfg.Path)
	if err != nil {
		return fmt.Errorf("read restore-drill log: %w", err)
	}
	log, err := ParseRestoreTests(c.cfg.Path, data)
	if err != nil {
		return err
	}
	log.Systems = append([]string(nil), c.cfg.Systems...)
	item := fileItem(KindRestoreTests, c.ID(), c.cfg.Path, log.SHA256, log)
	sink.Add(item)
	return nil
}

// restoreColumns maps each field to the header names accepted for it,
// compared after lower-casing and turning spaces and dashes into
// underscores.
var restoreColumns = map[string][]string{
	"date":            {"date", "drill_date", "test_date", "tested_at"},
	"system":          {"system", "service", "database"},
	"backup":          {"backup", "backup_used", "backup_id", "recovery_point", "snapshot"},
	"result":          {"result", "outcome", "status"},
	"time_to_restore": {"time_to_restore", "restore_time", "duration", "time_to_restore_minutes", "restore_minutes", "time_to_restore_hours"},
}

var restoreFieldOrder = []string{"date", "system", "backup", "result", "time_to_restore"}

func normalizeColumn(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.NewReplacer(" ", "_", "-", "_").Replace(s)
}

// restoreField returns the field that a column name maps to, or "".
func restoreField(column string) string {
	n := normalizeColumn(column)
	for field, names := range restoreColumns {
		for _, name := range names {
			if n == name {
				return field
			}
		}
	}
	return ""
}

// ParseRestoreTests reads a restore-drill log, as YAML when path ends in
// .yaml or .yml and as CSV otherwise. A malformed line becomes a LineError
// naming the file and line, and reading goes on.
func ParseRestoreTests(path string, data []byte) (*RestoreTestLog, error) {
	sum := sha256.Sum256(data)
	log := &RestoreTestLog{Path: path, SHA256: hex.EncodeToString(sum[:]), Drills: []RestoreDrill{}}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var err error
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		log.Format = "yaml"
		err = parseRestoreYAML(log, data)
	default:
		log.Format = "csv"
		err = parseRestoreCSV(log, data)
	}
	if err != nil {
		return nil, err
	}
	sort.SliceStable(log.Drills, func(i, j int) bool {
		a, b := log.Drills[i], log.Drills[j]
		if a.System != b.System {
			return a.System < b.System
		}
		return a.Date.Before(b.Date)
	})
	return log, nil
}

func (log *RestoreTestLog) lineError(line int, format string, args ...any) {
	log.LineErrors = append(log.LineErrors, LineError{Line: line, Message: fmt.Sprintf("%s line %d: %s", log.Path, line, fmt.Sprintf(format, args...))})
}

func parseRestoreCSV(log *RestoreTestLog, data []byte) error {
	lines := splitCSVLines(string(data), '#')
	if len(lines) == 0 {
		return fmt.Errorf("restore-drill log %s: no readable header line: the file is empty", log.Path)
	}
	if lines[0].Err != nil {
		return fmt.Errorf("restore-drill log %s: no readable header line: %v", log.Path, lines[0].Err)
	}
	header := lines[0].Fields
	index := map[string]int{}
	units := map[string]string{}
	for i, h := range header {
		if f := restoreField(h); f != "" {
			index[f] = i
			units[f] = normalizeColumn(h)
		}
	}
	if missing := missingRestoreFields(index); len(missing) > 0 {
		return fmt.Errorf("restore-drill log %s: header %q lacks the column(s) %s; name them date, system, backup, result and time_to_restore", log.Path, strings.Join(header, ","), strings.Join(missing, ", "))
	}
	for _, l := range lines[1:] {
		line, rec := l.Number, l.Fields
		if l.Err != nil {
			log.lineError(line, "%v", l.Err)
			continue
		}
		if len(rec) != len(header) {
			log.lineError(line, "%d fields, the header has %d", len(rec), len(header))
			continue
		}
		values := map[string]string{}
		for f, i := range index {
			values[f] = rec[i]
		}
		log.addDrill(line, values, units["time_to_restore"])
	}
	return nil
}

func missingRestoreFields(have map[string]int) []string {
	var missing []string
	for _, f := range restoreFieldOrder {
		if _, ok := have[f]; !ok {
			missing = append(missing, f)
		}
	}
	return missing
}

// parseRestoreYAML reads a list of drills, either at the top level or under
// a "drills" key. Each drill is a mapping with the same names as the CSV
// header; its line is the line of the mapping.
func parseRestoreYAML(log *RestoreTestLog, data []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("restore-drill log %s: invalid YAML: %v", log.Path, err)
	}
	if len(doc.Content) == 0 {
		return nil
	}
	list := doc.Content[0]
	if list.Kind == yaml.MappingNode {
		var found *yaml.Node
		for i := 0; i+1 < len(list.Content); i += 2 {
			if k := normalizeColumn(list.Content[i].Value); k == "drills" || k == "restore_tests" {
				found = list.Content[i+1]
			}
		}
		if found == nil {
			return fmt.Errorf("restore-drill log %s: expected a list of drills or a drills: key", log.Path)
		}
		list = found
	}
	if list.Kind != yaml.SequenceNode {
		return fmt.Errorf("restore-drill log %s line %d: expected a list of drills", log.Path, list.Line)
	}
	for _, entry := range list.Content {
		if entry.Kind != yaml.MappingNode {
			log.lineError(entry.Line, "expected a mapping with date, system, backup, result and time_to_restore")
			continue
		}
		values := map[string]string{}
		unit := ""
		for i := 0; i+1 < len(entry.Content); i += 2 {
			k, v := entry.Content[i], entry.Content[i+1]
			if f := restoreField(k.Value); f != "" {
				values[f] = v.Value
				if f == "time_to_restore" {
					unit = normalizeColumn(k.Value)
				}
			}
		}
		var missing []string
		for _, f := range restoreFieldOrder {
			if _, ok := values[f]; !ok && f != "backup" {
				missing = append(missing, f)
			}
		}
		if len(missing) > 0 {
			log.lineError(entry.Line, "missing %s", strings.Join(missing, ", "))
			continue
		}
		log.addDrill(entry.Line, values, unit)
	}
	return nil
}

var successResults = map[string]bool{"success": true, "succeeded": true, "successful": true, "pass": true, "passed": true, "ok": true, "restored": true}
var failureResults = map[string]bool{"fail": true, "failed": true, "failure": true, "error": true, "partial": true, "aborted": true}

// addDrill validates one row and adds it, or records why it is malformed.
func (log *RestoreTestLog) addDrill(line int, v map[string]string, timeColumn string) {
	date, err := parseDrillDate(strings.TrimSpace(v["date"]))
	if err != nil {
		log.lineError(line, "%v", err)
		return
	}
	system := strings.TrimSpace(v["system"])
	if system == "" {
		log.lineError(line, "empty system")
		return
	}
	result := strings.TrimSpace(v["result"])
	norm := strings.ToLower(result)
	if !successResults[norm] && !failureResults[norm] {
		log.lineError(line, "unknown result %q; use success or failed", result)
		return
	}
	drill := RestoreDrill{
		Line: line, Date: date, System: system, Backup: strings.TrimSpace(v["backup"]),
		Result: result, Succeeded: successResults[norm], TimeToRestore: strings.TrimSpace(v["time_to_restore"]),
	}
	if drill.TimeToRestore != "" {
		d, err := parseRestoreDuration(drill.TimeToRestore, timeColumn)
		if err != nil {
			log.lineError(line, "%v", err)
			return
		}
		secs := int64(d / time.Second)
		drill.RestoreSeconds = &secs
	} else if drill.Succeeded {
		log.lineError(line, "successful drill without a time to restore")
		return
	}
	log.Drills = append(log.Drills, drill)
}

var drillDateLayouts = []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"}

func parseDrillDate(s string) (time.Time, error) {
	for _, layout := range drillDateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid date %q; use YYYY-MM-DD or RFC 3339", s)
}

var clockDuration = regexp.MustCompile(`^(\d+):([0-5]\d)(?::([0-5]\d))?$`)
var unitDuration = regexp.MustCompile(`^(\d+(?:\.\d+)?)\s*(h|hr|hrs|hour|hours|m|min|mins|minute|minutes|s|sec|secs|seconds)$`)

// parseRestoreDuration reads a time to restore: a Go duration ("1h30m"),
// a number with a unit ("90 min", "2.5 h"), hours and minutes ("1:30" or
// "01:30:00"), or a bare number when the column name ends in _minutes or
// _hours.
func parseRestoreDuration(s, column string) (time.Duration, error) {
	lower := strings.ToLower(strings.TrimSpace(s))
	if m := clockDuration.FindStringSubmatch(lower); m != nil {
		h, _ := strconv.Atoi(m[1])
		minutes, _ := strconv.Atoi(m[2])
		sec := 0
		if m[3] != "" {
			sec, _ = strconv.Atoi(m[3])
		}
		return time.Duration(h)*time.Hour + time.Duration(minutes)*time.Minute + time.Duration(sec)*time.Second, nil
	}
	if m := unitDuration.FindStringSubmatch(lower); m != nil {
		n, _ := strconv.ParseFloat(m[1], 64)
		switch m[2][0] {
		case 'h':
			return time.Duration(n * float64(time.Hour)), nil
		case 'm':
			return time.Duration(n * float64(time.Minute)), nil
		default:
			return time.Duration(n * float64(time.Second)), nil
		}
	}
	if n, err := strconv.ParseFloat(lower, 64); err == nil && n >= 0 {
		switch {
		case strings.HasSuffix(column, "_minutes"):
			return time.Duration(n * float64(time.Minute)), nil
		case strings.HasSuffix(column, "_hours"):
			return time.Duration(n * float64(time.Hour)), nil
		}
		return 0, fmt.Errorf("time to restore %q has no unit; write 90m, 1h30m or 1:30", s)
	}
	if d, err := time.ParseDuration(lower); err == nil && d >= 0 {
		return d, nil
	}
	return 0, fmt.Errorf("invalid time to restore %q; write 90m, 1h30m or 1:30", s)
}
