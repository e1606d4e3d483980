package evidence

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Names of the bundle's integrity files.
const (
	ManifestName  = "manifest.json"
	SignatureName = "manifest.sig"
	SumsName      = "SHA256SUMS"
)

// zipTime is the modification time of every zip entry. Zip metadata is not
// evidence; a fixed time makes the same content give the same bytes.
var zipTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// Manifest lists every file of a bundle with its SHA-256, except the
// manifest itself, its signature and SHA256SUMS.
type Manifest struct {
	SchemaVersion string         `json:"schema_version"`
	RunID         string         `json:"run_id"`
	Files         []ManifestFile `json:"files"`
}

// ManifestFile is one entry of the manifest.
type ManifestFile struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Signer signs the manifest bytes. It returns the content of manifest.sig.
type Signer interface {
	Sign(manifest []byte) ([]byte, error)
}

// Bundle is the content of an evidence bundle before it is written.
type Bundle struct {
	RunID string
	files map[string][]byte
}

// NewBundle starts an empty bundle.
func NewBundle(runID string) *Bundle {
	return &Bundle{RunID: runID, files: map[string][]byte{}}
}

// Add puts a file in the bundle under a slash-separated path. Adding the same
// path twice keeps the last content.
func (b *Bundle) Add(path string, data []byte) error {
	if err := validEntryName(path); err != nil {
		return err
	}
	switch path {
	case ManifestName, SignatureName, SumsName:
		return fmt.Errorf("bundle path %q is reserved for the integrity files", path)
	}
	b.files[path] = data
	return nil
}

// AddSet adds every file of an evidence set.
func (b *Bundle) AddSet(s *Set) error {
	files, err := s.Files()
	if err != nil {
		return err
	}
	for p, d := range files {
		if err := b.Add(p, d); err != nil {
			return err
		}
	}
	return nil
}

// File returns the content of a file added to the bundle.
func (b *Bundle) File(path string) ([]byte, bool) {
	d, ok := b.files[path]
	return d, ok
}

func validEntryName(p string) error {
	if p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "\\") {
		return fmt.Errorf("invalid bundle path %q", p)
	}
	for _, part := range strings.Split(p, "/") {
		if part == "" || part == "." || part == ".." {
			return fmt.Errorf("invalid bundle path %q", p)
		}
	}
	return nil
}

// Manifest computes the manifest of the files added so far.
func (b *Bundle) Manifest() Manifest {
	m := Manifest{SchemaVersion: "1.0", RunID: b.RunID, Files: []ManifestFile{}}
	for p, d := range b.files {
		sum := sha256.Sum256(d)
		m.Files = append(m.Files, ManifestFile{Path: p, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(d))})
	}
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Path < m.Files[j].Path })
	return m
}

// WriteResult describes a written bundle.
type WriteResult struct {
	Path string
	// ManifestSHA256 is the hex SHA-256 of manifest.json; an auditor compares
	// it with the copy they received.
	ManifestSHA256 string
	Signed         bool
}

// WriteFile writes the bundle as a zip at path. It writes to a temporary file
// in the same folder and renames it into place, so the path holds either no
// bundle or a complete one. It refuses to replace an existing file.
func (b *Bundle) WriteFile(path string, signer Signer) (WriteResult, error) {
	manifest := b.Manifest()
	mdata, err := json.MarshalIndent(manifest, "", "  ")
	if err != nil {
		return WriteResult{}, err
	}
	mdata = append(mdata, '\n')
	entries := map[string][]byte{}
	for p, d := range b.files {
		entries[p] = d
	}
	entries[ManifestName] = mdata
	res := WriteResult{Path: path}
	msum := sha256.Sum256(mdata)
	res.ManifestSHA256 = hex.EncodeToString(msum[:])
	if signer != nil {
		sig, err := signer.Sign(mdata)
		if err != nil {
			return WriteResult{}, fmt.Errorf("sign manifest: %w", err)
		}
		entries[SignatureName] = sig
		res.Signed = true
	}
	entries[SumsName] = sha256Sums(entries)

	if _, err := os.Stat(path); err == nil {
		return WriteResult{}, fmt.Errorf("bundle %s already exists; a bundle is never overwritten", path)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return WriteResult{}, err
	}
	tmp, err := os.CreateTemp(dir, ".bundle-*.zip.partial")
	if err != nil {
		return WriteResult{}, err
	}
	defer os.Remove(tmp.Name())
	if err := writeZip(tmp, entries); err != nil {
		tmp.Close()
		return WriteResult{}, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return WriteResult{}, err
	}
	if err := tmp.Close(); err != nil {
		return WriteResult{}, err
	}
	if err := os.Chmod(tmp.Name(), 0o444); err != nil {
		return WriteResult{}, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return WriteResult{}, err
	}
	return res, nil
}

// sha256Sums formats the SHA256SUMS file that `sha256sum -c` reads: every
// entry except itself and the signature.
func sha256Sums(entries map[string][]byte) []byte {
	var names []string
	for p := range entries {
		if p == SumsName || p == SignatureName {
			continue
		}
		names = append(names, p)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	for _, p := range names {
		sum := sha256.Sum256(entries[p])
		fmt.Fprintf(&buf, "%s  %s\n", hex.EncodeToString(sum[:]), p)
	}
	return buf.Bytes()
}

func writeZip(w io.Writer, entries map[string][]byte) error {
	names := make([]string, 0, len(entries))
	for p := range entries {
		names = append(names, p)
	}
	sort.Strings(names)
	zw := zip.NewWriter(w)
	for _, p := range names {
		hdr := &zip.FileHeader{Name: p, Method: zip.Deflate, Modified: zipTime}
		hdr.SetMode(0o644)
		fw, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		if _, err := fw.Write(entries[p]); err != nil {
			return err
		}
	}
	return zw.Close()
}
