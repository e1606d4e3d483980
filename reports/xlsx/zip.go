package xlsx

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"io"
	"io/fs"
	"regexp"
	"sort"
)

// sortedZip is an excelize.ZipWriter that writes the entries sorted by name.
// excelize writes stream-written sheets in map order, so without it two
// renders of the same workbook would differ. Each entry is compressed into
// memory as it is written, so only compressed bytes are held until Close.
type sortedZip struct {
	out     io.Writer
	entries []*zipEntry
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

func newSortedZip(w io.Writer) *sortedZip { return &sortedZip{out: w} }

// Create starts an entry.
func (z *sortedZip) Create(name string) (io.Writer, error) {
	e := &zipEntry{name: name}
	fw, err := flate.NewWriter(&e.data, flate.DefaultCompression)
	if err != nil {
		return nil, err
	}
	e.fw = fw
	if name == contentTypesPart {
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
// underlying writer.
func (z *sortedZip) Close() error {
	sort.SliceStable(z.entries, func(i, j int) bool { return z.entries[i].name < z.entries[j].name })
	zw := zip.NewWriter(z.out)
	for _, e := range z.entries {
		if e.plain != nil {
			data := canonicalContentTypes(e.plain.Bytes())
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

// contentTypesPart lists the content types of a package; excelize writes its
// Default elements in map order.
const contentTypesPart = "[Content_Types].xml"

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
