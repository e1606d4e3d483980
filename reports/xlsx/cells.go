package xlsx

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxCellUnits is Excel's limit on the text of one cell, counted in UTF-16
// code units; longer text makes Excel repair the workbook on open.
const MaxCellUnits = 32767

// utf16Len counts the UTF-16 code units of s, as Excel counts cell length.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		// Ranging over a string never yields a surrogate, so RuneLen is 1
		// or 2; invalid bytes come as U+FFFD, one unit.
		n += utf16.RuneLen(r)
	}
	return n
}

// cutUTF16 returns the longest prefix of s with at most limit UTF-16 units,
// ending on a rune boundary so that no surrogate pair is split.
func cutUTF16(s string, limit int) string {
	n := 0
	for i, r := range s {
		u := utf16.RuneLen(r)
		if n+u > limit {
			return s[:i]
		}
		n += u
	}
	return s
}

// attacher cuts cell text that exceeds MaxCellUnits and attaches the full
// value to the bundle under a unique path.
type attacher struct {
	attach func(path string, data []byte) string
	used   map[string]bool
}

func newAttacher(attach func(string, []byte) string) *attacher {
	return &attacher{attach: attach, used: map[string]bool{}}
}

// fit returns s unchanged when it fits a cell. Otherwise it attaches s under
// attachments/FOLDER/RESOURCE.COLUMN.EXT and returns a prefix of s followed by
// a marker naming the total length in characters (runes), the attachment and
// its SHA-256; the marker counts toward the limit.
func (a *attacher) fit(s, folder, resource, column string) string {
	if utf16Len(s) <= MaxCellUnits {
		return s
	}
	ext := "txt"
	if json.Valid([]byte(s)) {
		ext = "json"
	}
	base := "attachments/" + slug(folder) + "/" + slug(resource) + "." + slug(column)
	path := base + "." + ext
	for i := 2; a.used[path]; i++ {
		path = fmt.Sprintf("%s-%d.%s", base, i, ext)
	}
	a.used[path] = true
	if a.attach != nil {
		path = a.attach(path, []byte(s))
	}
	sum := sha256.Sum256([]byte(s))
	marker := fmt.Sprintf("…[truncated; %d chars total; full text: %s, sha256=%s]", utf8.RuneCountInString(s), path, hex.EncodeToString(sum[:]))
	return cutUTF16(s, MaxCellUnits-utf16Len(marker)) + marker
}

// slug turns an id into a portable file-name part: letters, digits, '.', '-'
// and '_' are kept, anything else becomes '_', and the result is at most 80
// bytes.
func slug(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= 80 {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	out := strings.Trim(b.String(), "._")
	if out == "" {
		return "value"
	}
	return out
}

// invalidSheetChars are the characters Excel rejects in sheet names, and the
// apostrophe, which excelize does not escape in the references it writes.
const invalidSheetChars = `:\/?*[]'`

// MaxSheetUnits is Excel's limit on a sheet name, in UTF-16 code units.
const MaxSheetUnits = 31

// sheetNames hands out valid, unique sheet names.
type sheetNames struct{ used map[string]bool }

func newSheetNames() *sheetNames { return &sheetNames{used: map[string]bool{}} }

// name turns want into a valid sheet name that is unique in the workbook
// (compared case-insensitively, as Excel does): the characters : \ / ? * [ ],
// apostrophes and control characters become '_', "History" (reserved by
// Excel) gets a suffix, and the name is cut to 31 UTF-16 units on a rune
// boundary.
func (n *sheetNames) name(want string) string {
	var b strings.Builder
	for _, r := range want {
		if strings.ContainsRune(invalidSheetChars, r) || r < 0x20 || r == 0x7f {
			b.WriteByte('_')
			continue
		}
		b.WriteRune(r)
	}
	name := strings.TrimSpace(b.String())
	if name == "" {
		name = "Sheet"
	}
	if strings.EqualFold(name, "History") {
		name += " data"
	}
	name = cutUTF16(name, MaxSheetUnits)
	candidate := name
	for i := 2; n.used[strings.ToLower(candidate)]; i++ {
		suffix := fmt.Sprintf(" (%d)", i)
		candidate = cutUTF16(name, MaxSheetUnits-len(suffix)) + suffix
	}
	n.used[strings.ToLower(candidate)] = true
	return candidate
}
