package files

import (
	"encoding/csv"
	"errors"
	"strings"
	"time"

	"github.com/auditpack/auditpack/evidence"
)

// csvLine is one physical line of a CSV file, parsed on its own.
type csvLine struct {
	// Number is the 1-based line number in the file.
	Number int
	Fields []string
	// Err is the parse error of this line alone, such as a stray quote.
	Err error
}

// splitCSVLines parses every non-blank line of data separately, skipping
// lines that start with comment when it is not zero. A stray quote then
// spoils only its own line. One reader over the whole file would swallow
// every line after it into a single field, so those records would be lost
// without an error of their own. Exported logs and rosters do not put line
// breaks inside fields, so each record is one line.
func splitCSVLines(data string, comment rune) []csvLine {
	var out []csvLine
	for i, text := range strings.Split(strings.ReplaceAll(data, "\r\n", "\n"), "\n") {
		trimmed := strings.TrimSpace(text)
		if trimmed == "" || (comment != 0 && strings.HasPrefix(trimmed, string(comment))) {
			continue
		}
		r := csv.NewReader(strings.NewReader(text))
		r.FieldsPerRecord = -1
		fields, err := r.Read()
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		out = append(out, csvLine{Number: i + 1, Fields: fields, Err: err})
	}
	return out
}

// fileItem starts the evidence item of a file read from path, with the
// provenance every file collector records: the path and the file's SHA-256.
func fileItem(kind, collector, path, sha256 string, attrs any) *evidence.Item {
	item := evidence.MustItem(kind, collector, "file:"+path, attrs)
	item.Provenance = []evidence.Provenance{{
		Operation:  "file:read",
		Parameters: map[string]any{"path": path, "sha256": sha256},
		Endpoint:   path,
		Time:       time.Now().UTC(),
	}}
	return item
}
