package controls

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/auditpack/auditpack/evidence"
)

// Waiver accepts the risk of a failing check on matching resources until a
// date. Waivers only ever turn a fail into waived. They never touch a pass, a
// review or an error, because an error means the evidence is missing, and
// missing evidence is not a risk that anyone has accepted.
type Waiver struct {
	// ID names the waiver in reports. When the file gives none, it is derived
	// from the check, resource and expiry, so it stays the same across runs.
	ID string `json:"id"`
	// Check is a check id or a glob over check ids ("aws.s3.*").
	Check string `json:"check"`
	// Resource is a resource id or a pattern in which `*` matches any run of
	// characters; see MatchResource.
	Resource      string `json:"resource"`
	Justification string `json:"justification"`
	Approver      string `json:"approver"`
	// Expires is the last day, in UTC, on which the waiver applies, written
	// YYYY-MM-DD.
	Expires string `json:"expires"`
}

// Waiver states in WaiverStatus.State.
const (
	WaiverActive    = "active"
	WaiverExpired   = "expired"
	WaiverUnmatched = "unmatched"
)

const waiverDateLayout = "2006-01-02"

// waiverKeys are the keys of one waiver entry, in the order messages list them.
var waiverKeys = []string{"id", "check", "resource", "justification", "approver", "expires"}

// LoadWaivers reads the waivers file named by the `waivers:` key.
func LoadWaivers(path string) ([]Waiver, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read waivers file: %w", err)
	}
	return ParseWaivers(data, path)
}

// ParseWaivers decodes a waivers file strictly: the document is a mapping
// with the single key `waivers`, holding a list of entries with the keys of
// Waiver. An unknown or repeated key, a missing or empty value, an invalid
// pattern, a date that is not YYYY-MM-DD and a repeated id are errors naming
// the file, the entry (counted from 1) and the key. name is the file name used
// in messages.
func ParseWaivers(data []byte, name string) ([]Waiver, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("waivers file %s is empty: write a top-level \"waivers:\" list, or remove the waivers key from the configuration", name)
		}
		return nil, fmt.Errorf("waivers file %s: invalid YAML: %v", name, err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("waivers file %s, line %d: expected a mapping with the key \"waivers\"", name, root.Line)
	}
	var list *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		key := root.Content[i]
		if key.Value != "waivers" {
			return nil, fmt.Errorf("waivers file %s, line %d: unknown top-level key %q; the only allowed key is \"waivers\"", name, key.Line, key.Value)
		}
		if list != nil {
			return nil, fmt.Errorf("waivers file %s, line %d: key \"waivers\" appears twice; keep one list", name, key.Line)
		}
		list = root.Content[i+1]
	}
	if list == nil {
		return nil, fmt.Errorf("waivers file %s: missing top-level key \"waivers\"", name)
	}
	if list.Kind == yaml.ScalarNode && list.Tag == "!!null" {
		return nil, nil
	}
	if list.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("waivers file %s, line %d: \"waivers\" must be a list of entries", name, list.Line)
	}

	var out []Waiver
	seen := map[string]int{}
	for i, entry := range list.Content {
		w, err := parseWaiver(entry)
		if err != nil {
			return nil, fmt.Errorf("waivers file %s, entry %d (line %d): %w", name, i+1, entry.Line, err)
		}
		if prev, dup := seen[w.ID]; dup {
			return nil, fmt.Errorf("waivers file %s, entry %d (line %d): key \"id\": %q is also the id of entry %d; give each waiver its own id", name, i+1, entry.Line, w.ID, prev)
		}
		seen[w.ID] = i + 1
		out = append(out, w)
	}
	return out, nil
}

func parseWaiver(entry *yaml.Node) (Waiver, error) {
	if entry.Kind != yaml.MappingNode {
		return Waiver{}, fmt.Errorf("expected a mapping with the keys %s", strings.Join(waiverKeys, ", "))
	}
	values := map[string]string{}
	for i := 0; i+1 < len(entry.Content); i += 2 {
		key, value := entry.Content[i], entry.Content[i+1]
		if !isWaiverKey(key.Value) {
			return Waiver{}, fmt.Errorf("unknown key %q; allowed keys are %s", key.Value, strings.Join(waiverKeys, ", "))
		}
		if _, dup := values[key.Value]; dup {
			return Waiver{}, fmt.Errorf("key %q appears twice", key.Value)
		}
		if value.Kind == yaml.ScalarNode && value.Tag == "!!null" {
			return Waiver{}, fmt.Errorf("key %q has no value; every waiver needs check, resource, justification, approver and expires (YYYY-MM-DD)", key.Value)
		}
		if value.Kind != yaml.ScalarNode {
			return Waiver{}, fmt.Errorf("key %q must be a single text value, not a list or mapping", key.Value)
		}
		values[key.Value] = strings.TrimSpace(value.Value)
	}
	for _, k := range waiverKeys[1:] {
		if values[k] == "" {
			return Waiver{}, fmt.Errorf("missing key %q; every waiver needs check, resource, justification, approver and expires (YYYY-MM-DD)", k)
		}
	}
	w := Waiver{
		ID:            values["id"],
		Check:         values["check"],
		Resource:      values["resource"],
		Justification: values["justification"],
		Approver:      values["approver"],
		Expires:       values["expires"],
	}
	if _, err := path.Match(w.Check, ""); err != nil {
		return Waiver{}, fmt.Errorf("key \"check\": invalid pattern %q: %v", w.Check, err)
	}
	if _, err := w.ExpiryDate(); err != nil {
		return Waiver{}, fmt.Errorf("key \"expires\": %w", err)
	}
	if _, given := values["id"]; given && w.ID == "" {
		return Waiver{}, fmt.Errorf("key \"id\" is empty; give an id or remove the key to have one derived")
	}
	if w.ID == "" {
		w.ID = "waiver-" + evidence.StableID("waiver", w.Check, w.Resource, w.Expires)[:8]
	}
	return w, nil
}

func isWaiverKey(k string) bool {
	for _, v := range waiverKeys {
		if v == k {
			return true
		}
	}
	return false
}

// ExpiryDate parses Expires as a UTC date.
func (w Waiver) ExpiryDate() (time.Time, error) {
	t, err := time.ParseInLocation(waiverDateLayout, w.Expires, time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid date %q: use YYYY-MM-DD, for example 2026-12-31", w.Expires)
	}
	return t, nil
}

// ActiveAt reports whether the waiver still applies at now. The expiry day is
// included: a waiver that expires on 2026-12-31 applies until 23:59:59 UTC
// that day. A waiver whose date does not parse never applies.
func (w Waiver) ActiveAt(now time.Time) bool {
	day, err := w.ExpiryDate()
	if err != nil {
		return false
	}
	return now.UTC().Before(day.AddDate(0, 0, 1))
}

// Matches reports whether the waiver covers a check id and resource id.
func (w Waiver) Matches(checkID, resource string) bool {
	ok, _ := path.Match(w.Check, checkID)
	return ok && MatchResource(w.Resource, resource)
}

// ValidateWaivers rejects a waiver whose check pattern matches no registered
// check, so a typo in a check id never leaves a failure unwaived without
// notice. Register custom rules before calling it.
func ValidateWaivers(ws []Waiver, reg *Registry) error {
	var errs []error
	for _, w := range ws {
		if !reg.matchesAny(w.Check) {
			errs = append(errs, fmt.Errorf("waiver %s: check %q matches no check; run 'auditpack checks list' for the ids", w.ID, w.Check))
		}
	}
	return errors.Join(errs...)
}

// ApplyWaivers turns each fail finding covered by an active waiver into
// waived and records the waiver on it. A fail covered only by expired waivers
// stays a fail, records the most recently expired one and notes the expiry
// in its message. Other statuses are returned unchanged. When several active waivers
// cover a finding, the one with the smallest id is recorded.
//
// The statuses list every waiver, sorted by id, with the number of fail
// findings it covers. A waiver past its expiry day is expired; otherwise it is
// unmatched when it covers no fail finding (for example because the resource
// was fixed or excluded from scope) and active when it covers at least one.
// The input slice is not modified.
func ApplyWaivers(findings []Finding, ws []Waiver, now time.Time) ([]Finding, []WaiverStatus) {
	sorted := append([]Waiver(nil), ws...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	matched := make([]int, len(sorted))

	out := append([]Finding(nil), findings...)
	for i := range out {
		f := &out[i]
		if f.Status != StatusFail {
			continue
		}
		active, expired := -1, -1
		for j, w := range sorted {
			if !w.Matches(f.CheckID, f.Resource) {
				continue
			}
			matched[j]++
			if w.ActiveAt(now) {
				if active < 0 {
					active = j
				}
			} else if expired < 0 || w.Expires > sorted[expired].Expires {
				expired = j
			}
		}
		switch {
		case active >= 0:
			f.Status = StatusWaived
			f.Waiver = waiverRef(sorted[active], false)
		case expired >= 0:
			w := sorted[expired]
			f.Waiver = waiverRef(w, true)
			f.Message = strings.TrimSpace(f.Message + fmt.Sprintf(" (waiver %s expired %s)", w.ID, w.Expires))
		}
	}

	statuses := make([]WaiverStatus, 0, len(sorted))
	for j, w := range sorted {
		state := WaiverActive
		switch {
		case !w.ActiveAt(now):
			state = WaiverExpired
		case matched[j] == 0:
			state = WaiverUnmatched
		}
		statuses = append(statuses, WaiverStatus{
			ID:              w.ID,
			CheckID:         w.Check,
			ResourcePattern: w.Resource,
			Justification:   w.Justification,
			Approver:        w.Approver,
			Expires:         w.Expires,
			State:           state,
			Matched:         matched[j],
		})
	}
	return out, statuses
}

func waiverRef(w Waiver, expired bool) *WaiverRef {
	return &WaiverRef{
		ID:            w.ID,
		Justification: w.Justification,
		Approver:      w.Approver,
		Expires:       w.Expires,
		Expired:       expired,
	}
}
