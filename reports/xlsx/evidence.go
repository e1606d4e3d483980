package xlsx

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/reports/internal/view"
)

// rootUser is the user name of the root row in the IAM credential report.
const rootUser = "<root_account>"

// notSupportedRoot replaces the credential report's "not_supported" in the
// root user's row, whose password and key fields do not apply.
const notSupportedRoot = "n/a (root)"

// valueKey is the column of an item whose attributes are not a JSON object.
const valueKey = "(value)"

// attrColumn is one attribute key of an evidence kind.
type attrColumn struct {
	key    string
	header string
	// isTime is set when a value of the column is an RFC 3339 time; those
	// values are shown in UTC and the header says so.
	isTime bool
	// width is the column width in characters, before the header is counted.
	width float64
}

// parseTime reads an RFC 3339 time. The shape test first keeps ordinary
// strings from paying for a failed parse.
func parseTime(s string) (time.Time, bool) {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

func (b *book) evidenceSheets() error {
	set := b.in.Evidence
	for _, kind := range kindsOf(set) {
		items := set.ByKind(kind)
		cols := scanColumns(items)
		headers := []string{"Resource"}
		taken := map[string]bool{"resource": true, "collection errors": true, "evidence file": true}
		for i := range cols {
			h := cols[i].key
			if cols[i].isTime {
				h += " (UTC)"
			}
			h = strings.Join(strings.Fields(h), " ")
			if h == "" {
				h = "(empty key)"
			}
			for base, n := h, 2; taken[strings.ToLower(h)]; n++ {
				h = base + " (attribute " + strconv.Itoa(n) + ")"
			}
			taken[strings.ToLower(h)] = true
			cols[i].header = h
			headers = append(headers, h)
		}
		headers = append(headers, "Collection errors", "Evidence file")
		widths := []float64{maxWidth}
		for _, c := range cols {
			widths = append(widths, c.width)
		}
		widths = append(widths, 40, maxWidth)
		err := b.writeTable(table{
			Sheet: b.names.name(kind), Headers: headers, Rows: len(items), Folder: kind, KeyColumn: 0,
			Row:         func(i int) []cell { return evidenceRow(items[i], cols) },
			ColumnWidth: widths,
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// attributes decodes an item's attributes into a map of raw values; a value
// that is not a JSON object is returned under valueKey. Nested objects are
// spread into columns named by their path (see flattenAttributes).
func attributes(it *evidence.Item) map[string]json.RawMessage {
	raw := bytes.TrimSpace(it.Attributes)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if raw[0] != '{' {
		return map[string]json.RawMessage{valueKey: raw}
	}
	_, values, ok := flattenAttributes(raw)
	if !ok {
		return map[string]json.RawMessage{valueKey: raw}
	}
	return values
}

// orderedKeys returns the column keys of a JSON object in document order.
func orderedKeys(raw []byte) []string {
	keys, _, _ := flattenAttributes(bytes.TrimSpace(raw))
	return keys
}

// maxFlattenDepth bounds how deep nested objects are spread into columns;
// deeper values stay compact JSON text in one cell.
const maxFlattenDepth = 3

// flattenAttributes spreads nested objects into keys joined by dots, so
// that a value such as encryption.rules[0].sse_algorithm or
// versioning.mfa_delete gets a column of its own and reads exactly as
// collected. A list holding exactly one object is spread as [0]; other
// lists, and empty objects, stay one cell of compact JSON.
func flattenAttributes(raw []byte) ([]string, map[string]json.RawMessage, bool) {
	var keys []string
	values := map[string]json.RawMessage{}
	ok := flattenInto("", raw, 0, &keys, values)
	return keys, values, ok
}

func flattenInto(prefix string, raw []byte, depth int, keys *[]string, values map[string]json.RawMessage) bool {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return false
	}
	empty := true
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return false
		}
		k, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return false
		}
		empty = false
		name := k
		if prefix != "" {
			name = prefix + "." + k
		}
		v = bytes.TrimSpace(v)
		if depth < maxFlattenDepth && len(v) > 0 {
			if v[0] == '{' && flattenInto(name, v, depth+1, keys, values) {
				continue
			}
			if elem, single := singleObject(v); single && flattenInto(name+"[0]", elem, depth+1, keys, values) {
				continue
			}
		}
		addColumnValue(name, v, keys, values)
	}
	if empty && prefix != "" {
		addColumnValue(prefix, raw, keys, values)
	}
	return true
}

func addColumnValue(name string, v json.RawMessage, keys *[]string, values map[string]json.RawMessage) {
	if _, dup := values[name]; !dup {
		*keys = append(*keys, name)
	}
	values[name] = v
}

// singleObject returns the element of a JSON list that holds exactly one
// object.
func singleObject(raw json.RawMessage) (json.RawMessage, bool) {
	if len(raw) == 0 || raw[0] != '[' {
		return nil, false
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil || len(list) != 1 {
		return nil, false
	}
	elem := bytes.TrimSpace(list[0])
	if len(elem) == 0 || elem[0] != '{' {
		return nil, false
	}
	return elem, true
}

// scanColumns collects the attribute keys of the items in the order they
// first appear and marks the columns that hold times.
func scanColumns(items []*evidence.Item) []attrColumn {
	index := map[string]int{}
	var cols []attrColumn
	for _, it := range items {
		attrs := attributes(it)
		keys := make([]string, 0, len(attrs))
		known := true
		for k := range attrs {
			keys = append(keys, k)
			if _, ok := index[k]; !ok {
				known = false
			}
		}
		if !known {
			// Only an item that brings a new key needs the slower decoding
			// that keeps the document order of its keys.
			keys = orderedKeys(it.Attributes)
			if _, ok := attrs[valueKey]; ok && len(attrs) == 1 {
				keys = []string{valueKey}
			}
		}
		for _, k := range keys {
			i, ok := index[k]
			if !ok {
				i = len(cols)
				index[k] = i
				cols = append(cols, attrColumn{key: k})
			}
			raw := attrs[k]
			if !cols[i].isTime {
				if s, ok := jsonString(raw); ok {
					_, cols[i].isTime = parseTime(s)
				}
			}
			// The raw JSON length is close enough to the shown text to size
			// the column, and saves decoding every value twice.
			cols[i].width = max(cols[i].width, min(float64(len(raw)), maxWidth))
		}
	}
	return cols
}

func jsonString(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// isRootRow reports whether an item is the AWS root user's: its resource is
// the root ARN or one of its values is the credential report's root name.
func isRootRow(it *evidence.Item, attrs map[string]json.RawMessage) bool {
	if view.IsRoot(it.Resource) {
		return true
	}
	for _, raw := range attrs {
		if s, ok := jsonString(raw); ok && s == rootUser {
			return true
		}
	}
	return false
}

func evidenceRow(it *evidence.Item, cols []attrColumn) []cell {
	attrs := attributes(it)
	root := isRootRow(it, attrs)
	row := make([]cell, 0, len(cols)+3)
	row = append(row, text(view.Resource(it.Resource)))
	for _, c := range cols {
		row = append(row, valueCell(attrs[c.key], c.isTime, root))
	}
	var errs []string
	groups := make([]string, 0, len(it.Errors))
	for g := range it.Errors {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		errs = append(errs, g+": "+it.Errors[g].String())
	}
	return append(row, text(strings.Join(errs, "\n")), text(evidence.ItemPath(it)))
}

// valueCell shows a raw JSON value exactly as collected: strings as text,
// nested values as compact JSON text, booleans as "true" or "false", and
// numbers as numbers when a spreadsheet holds them exactly (else as text).
// Times in a time column are converted to UTC, and in the root user's row
// "not_supported" reads "n/a (root)".
func valueCell(raw json.RawMessage, isTime, root bool) cell {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return cell{}
	}
	switch raw[0] {
	case 'n':
		return cell{}
	case 't', 'f':
		return text(string(raw))
	case '"':
		s, _ := jsonString(raw)
		if isTime {
			if t, ok := parseTime(s); ok {
				return text(t.UTC().Format(time.RFC3339Nano))
			}
		}
		if root && s == "not_supported" {
			return text(notSupportedRoot)
		}
		return text(s)
	case '{', '[':
		var buf bytes.Buffer
		if json.Compact(&buf, raw) == nil {
			return text(buf.String())
		}
		return text(string(raw))
	}
	if n, ok := exactNumber(string(raw)); ok {
		return number(n)
	}
	return text(string(raw))
}

// exactNumber parses a JSON number that a spreadsheet stores without loss:
// at most 15 significant digits, as Excel keeps.
func exactNumber(s string) (float64, bool) {
	digits := 0
	for _, r := range strings.TrimLeft(strings.SplitN(strings.ToLower(s), "e", 2)[0], "-0.") {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	if digits > 15 {
		return 0, false
	}
	n, err := strconv.ParseFloat(s, 64)
	return n, err == nil
}
