package xlsx

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/xml"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
)

// sortedZip is an excelize.ZipWriter that writes the entries sorted by name.
// excelize writes stream-written sheets in map order, so without it two
// renders of the same workbook would differ. Each entry is compressed into
// memory as it is written, so only compressed bytes are held until Close.
type sortedZip struct {
	out     io.Writer
	entries []*zipEntry
	// sheets are worksheets, by sheet name, whose XML is generated while
	// the zip is written instead of taken from excelize.
	sheets map[string]*sheetWriter
}

type zipEntry struct {
	name string
	crc  uint32
	size uint64
	data bytes.Buffer
	fw   *flate.Writer
	// plain, when set, collects the entry uncompressed so that Close can
	// put it into canonical form first.
	plain *bytes.Buffer
}

func (e *zipEntry) Write(p []byte) (int, error) {
	if e.plain != nil {
		return e.plain.Write(p)
	}
	e.crc = crc32.Update(e.crc, crc32.IEEETable, p)
	e.size += uint64(len(p))
	return e.fw.Write(p)
}

func newSortedZip(w io.Writer, sheets map[string]*sheetWriter) *sortedZip {
	return &sortedZip{out: w, sheets: sheets}
}

// Create starts an entry.
func (z *sortedZip) Create(name string) (io.Writer, error) {
	e := &zipEntry{name: name}
	fw, err := flate.NewWriter(&e.data, flate.DefaultCompression)
	if err != nil {
		return nil, err
	}
	e.fw = fw
	switch name {
	case contentTypesPart, workbookPart, workbookRelsPart:
		e.plain = &bytes.Buffer{}
	}
	z.entries = append(z.entries, e)
	return e, nil
}

// AddFS is not used by excelize's writer; it adds the files of fsys.
func (z *sortedZip) AddFS(fsys fs.FS) error {
	return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		w, err := z.Create(p)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	})
}

// Close writes every entry, sorted by name and with no timestamp, to the
// underlying writer. A worksheet with a sheetWriter is generated now, in
// place of the part excelize wrote for it.
func (z *sortedZip) Close() error {
	sort.SliceStable(z.entries, func(i, j int) bool { return z.entries[i].name < z.entries[j].name })
	generated, err := z.sheetParts()
	if err != nil {
		return err
	}
	zw := zip.NewWriter(z.out)
	for _, e := range z.entries {
		if sw, ok := generated[e.name]; ok {
			w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Deflate})
			if err != nil {
				return err
			}
			if err := sw.write(w); err != nil {
				return fmt.Errorf("write sheet %s: %w", sw.t.Sheet, err)
			}
			continue
		}
		if e.plain != nil {
			data := e.plain.Bytes()
			if e.name == contentTypesPart {
				data = canonicalContentTypes(data)
			}
			e.plain = nil
			if _, err := e.Write(data); err != nil {
				return err
			}
		}
		if err := e.fw.Close(); err != nil {
			return err
		}
		w, err := zw.CreateRaw(&zip.FileHeader{
			Name:               e.name,
			Method:             zip.Deflate,
			CRC32:              e.crc,
			CompressedSize64:   uint64(e.data.Len()),
			UncompressedSize64: e.size,
		})
		if err != nil {
			return err
		}
		if _, err := w.Write(e.data.Bytes()); err != nil {
			return err
		}
		e.data = bytes.Buffer{}
	}
	return zw.Close()
}

// Parts of the package. excelize writes the Default elements of
// [Content_Types].xml in map order; the workbook and its relationships map
// sheet names to worksheet parts.
const (
	contentTypesPart = "[Content_Types].xml"
	workbookPart     = "xl/workbook.xml"
	workbookRelsPart = "xl/_rels/workbook.xml.rels"
)

// sheetParts maps the worksheet part of every generated sheet to its writer,
// reading the sheet names and relationship targets excelize wrote.
func (z *sortedZip) sheetParts() (map[string]*sheetWriter, error) {
	out := map[string]*sheetWriter{}
	if len(z.sheets) == 0 {
		return out, nil
	}
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	for _, e := range z.entries {
		var err error
		switch e.name {
		case workbookPart:
			err = xml.Unmarshal(e.plain.Bytes(), &wb)
		case workbookRelsPart:
			err = xml.Unmarshal(e.plain.Bytes(), &rels)
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", e.name, err)
		}
	}
	targets := map[string]string{}
	for _, r := range rels.Rels {
		targets[r.ID] = path.Join("xl", strings.TrimPrefix(r.Target, "/xl/"))
	}
	for _, s := range wb.Sheets {
		if sw, ok := z.sheets[s.Name]; ok {
			out[targets[s.RID]] = sw
		}
	}
	if len(out) != len(z.sheets) {
		return nil, fmt.Errorf("found the parts of %d of %d generated sheets", len(out), len(z.sheets))
	}
	return out, nil
}

var defaultElement = regexp.MustCompile(`<Default [^>]*></Default>|<Default [^>]*/>`)

// canonicalContentTypes sorts the Default elements of [Content_Types].xml,
// whose order carries no meaning, so that the part is stable.
func canonicalContentTypes(data []byte) []byte {
	locs := defaultElement.FindAllIndex(data, -1)
	if len(locs) < 2 {
		return data
	}
	elems := make([]string, len(locs))
	for i, l := range locs {
		elems[i] = string(data[l[0]:l[1]])
	}
	sort.Strings(elems)
	var out bytes.Buffer
	prev := 0
	for i, l := range locs {
		out.Write(data[prev:l[0]])
		out.WriteString(elems[i])
		prev = l[1]
	}
	out.Write(data[prev:])
	return out.Bytes()
}
