// Package files collects evidence from files that people export or keep by
// hand: the HR roster, access-review workbooks and restore-test logs.
package files

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/auditpack/auditpack/collectors"
	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/internal/config"
)

// KindHRRoster is the evidence kind of the HR roster.
const KindHRRoster = "hr.roster"

// HRRosterAttrs are the people of an HR roster export.
type HRRosterAttrs struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	// EmailColumn and StatusColumn are the header names read.
	EmailColumn      string   `json:"email_column"`
	StatusColumn     string   `json:"status_column"`
	TerminatedValues []string `json:"terminated_values"`
	People           []Person `json:"people"`
	// LineErrors lists lines that could not be read; the other lines are.
	LineErrors []LineError `json:"line_errors,omitempty"`
}

// Person is one row of the roster.
type Person struct {
	Line int `json:"line"`
	// Email is lower-cased and trimmed, so it matches an application's
	// user table whatever case either side uses.
	Email      string `json:"email"`
	Status     string `json:"status"`
	Terminated bool   `json:"terminated"`
}

// LineError is a roster line that could not be read.
type LineError struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// NormalizeEmail returns the form e-mail addresses are compared in:
// trimmed and lower-cased (full Unicode case folding of strings.ToLower).
func NormalizeEmail(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// HRRosterFactory builds the HR roster collector when hr_roster is
// configured.
var HRRosterFactory = collectors.Factory{
	ID:          "files.hr_roster",
	Description: "HR roster CSV export: who is terminated",
	Kinds:       []string{KindHRRoster},
	Build: func(env *collectors.Env) ([]collectors.Collector, error) {
		if env.Config == nil || env.Config.HRRoster == nil || env.Config.HRRoster.Path == "" {
			return nil, nil
		}
		return []collectors.Collector{&HRRosterCollector{cfg: *env.Config.HRRoster}}, nil
	},
}

// HRRosterCollector reads the HR roster CSV.
type HRRosterCollector struct {
	cfg config.HRRoster
}

var _ collectors.Collector = (*HRRosterCollector)(nil)

// ID returns "files.hr_roster".
func (c *HRRosterCollector) ID() string { return "files.hr_roster" }

// Scope returns file: and the roster's path.
func (c *HRRosterCollector) Scope() string { return "file:" + c.cfg.Path }

// Kinds returns the roster kind.
func (c *HRRosterCollector) Kinds() []string { return []string{KindHRRoster} }

// Collect reads the roster. A file that cannot be opened or has no usable
// header fails the collector; a malformed line is recorded and skipped.
func (c *HRRosterCollector) Collect(ctx context.Context, req collectors.Request, sink evidence.Sink) error {
	if !req.Wants("postgres.users.terminated_active") {
		return nil
	}
	data, err := os.ReadFile(c.cfg.Path)
	if err != nil {
		return fmt.Errorf("read HR roster: %w", err)
	}
	attrs, err := ParseRoster(c.cfg, data)
	if err != nil {
		return err
	}
	item := fileItem(KindHRRoster, c.ID(), c.cfg.Path, attrs.SHA256, nil)
	if len(attrs.LineErrors) > 0 {
		first := attrs.LineErrors[0]
		item.AddError("lines", evidence.CollectError{
			Operation: "file:read",
			Code:      "malformed",
			Message:   fmt.Sprintf("%s: %d malformed lines, first at line %d: %s", c.cfg.Path, len(attrs.LineErrors), first.Line, first.Message),
		})
	}
	if err := item.SetAttributes(attrs); err != nil {
		return err
	}
	sink.Add(item)
	return nil
}

// ParseRoster reads roster CSV data. The header row names the columns and
// is matched without regard to case or surrounding spaces; a UTF-8 byte
// order mark is removed. Each malformed line becomes a LineError naming the
// file and line, and reading goes on with the next line.
func ParseRoster(cfg config.HRRoster, data []byte) (*HRRosterAttrs, error) {
	sum := sha256.Sum256(data)
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	emailCol, statusCol := cfg.EmailColumn, cfg.StatusColumn
	if emailCol == "" {
		emailCol = "email"
	}
	if statusCol == "" {
		statusCol = "status"
	}
	attrs := &HRRosterAttrs{
		Path: cfg.Path, SHA256: hex.EncodeToString(sum[:]),
		EmailColumn: emailCol, StatusColumn: statusCol,
		TerminatedValues: cfg.TerminatedValues, People: []Person{},
	}
	if attrs.TerminatedValues == nil {
		attrs.TerminatedValues = []string{"terminated"}
	}
	terminated := map[string]bool{}
	for _, v := range attrs.TerminatedValues {
		terminated[strings.ToLower(strings.TrimSpace(v))] = true
	}

	lines := splitCSVLines(string(data), 0)
	if len(lines) == 0 {
		return nil, fmt.Errorf("HR roster %s: no readable header line: the file is empty", cfg.Path)
	}
	if lines[0].Err != nil {
		return nil, fmt.Errorf("HR roster %s: no readable header line: %v", cfg.Path, lines[0].Err)
	}
	header := lines[0].Fields
	find := func(name string) int {
		for i, h := range header {
			if strings.EqualFold(strings.TrimSpace(h), strings.TrimSpace(name)) {
				return i
			}
		}
		return -1
	}
	ei, si := find(emailCol), find(statusCol)
	if ei < 0 || si < 0 {
		return nil, fmt.Errorf("HR roster %s: header %q lacks column %q or %q; set hr_roster.email_column and hr_roster.status_column to header names", cfg.Path, strings.Join(header, ","), emailCol, statusCol)
	}
	for _, l := range lines[1:] {
		line, rec := l.Number, l.Fields
		if l.Err != nil {
			attrs.LineErrors = append(attrs.LineErrors, LineError{Line: line, Message: fmt.Sprintf("%s line %d: %v", cfg.Path, line, l.Err)})
			continue
		}
		if len(rec) != len(header) {
			attrs.LineErrors = append(attrs.LineErrors, LineError{Line: line, Message: fmt.Sprintf("%s line %d: %d fields, the header has %d", cfg.Path, line, len(rec), len(header))})
			continue
		}
		email := NormalizeEmail(rec[ei])
		if !strings.Contains(email, "@") {
			attrs.LineErrors = append(attrs.LineErrors, LineError{Line: line, Message: fmt.Sprintf("%s line %d: invalid e-mail address %q in column %q", cfg.Path, line, rec[ei], emailCol)})
			continue
		}
		status := strings.TrimSpace(rec[si])
		attrs.People = append(attrs.People, Person{
			Line: line, Email: email, Status: status,
			Terminated: terminated[strings.ToLower(status)],
		})
	}
	sort.SliceStable(attrs.People, func(i, j int) bool { return attrs.People[i].Email < attrs.People[j].Email })
	return attrs, nil
}
