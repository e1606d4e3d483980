// Package reports defines the report writers' interface and the input they
// render. Each output format is one package below reports/.
package reports

import (
	"io"
	"log/slog"
	"sort"
	"sync"

	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/evidence"
)

// Writer renders one report format.
type Writer interface {
	// Format is the name used in `formats` ("pdf", "xlsx", "junit", "oscal").
	Format() string
	// FileName is the file's name in the bundle and the output folder.
	FileName() string
	// Write renders the report to w.
	Write(in *Input, w io.Writer) error
}

// Input is everything a report renders from. Writers only read it, except
// through Attach.
type Input struct {
	Results  *controls.Results
	Evidence *evidence.Set
	Catalog  *controls.Catalog
	// ResultsSHA256 is the hex SHA-256 of results.json as written in the
	// bundle; reports show it, never the manifest's hash.
	ResultsSHA256 string
	// KeyFingerprint is the fingerprint of the key that signs the bundle's
	// manifest, or "" for an unsigned bundle.
	KeyFingerprint string
	// PDFFallbackFont is the path of a TrueType font used for characters the
	// embedded fonts lack; empty draws a [U+XXXX] placeholder instead.
	PDFFallbackFont string
	Logger          *slog.Logger

	mu          sync.Mutex
	attachments map[string][]byte
}

// Attach adds a file to the bundle, such as the full text of a value a
// report had to cut. It returns the path under which the file is stored.
// Attaching the same path twice keeps the last content.
func (in *Input) Attach(path string, data []byte) string {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.attachments == nil {
		in.attachments = map[string][]byte{}
	}
	in.attachments[path] = append([]byte(nil), data...)
	return path
}

// Attachments returns the attached files sorted by path.
func (in *Input) Attachments() []Attachment {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make([]Attachment, 0, len(in.attachments))
	for p, d := range in.attachments {
		out = append(out, Attachment{Path: p, Data: d})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// Attachment is a file a report added to the bundle.
type Attachment struct {
	Path string
	Data []byte
}

// Log returns the input's logger, or one that discards.
func (in *Input) Log() *slog.Logger {
	if in.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return in.Logger
}
