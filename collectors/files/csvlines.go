package files

import (
	"encoding/csv"
	"errors"
	"strings"
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
