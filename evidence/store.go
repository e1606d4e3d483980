package evidence

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// Folder names inside an evidence store and inside a bundle.
const (
	ItemsDir    = "evidence"
	FailuresDir = "failures"
	NotesDir    = "notes"
)

// Sink receives what a collector produces. Implementations are safe for
// concurrent use.
type Sink interface {
	Add(*Item)
	Fail(Failure)
	Note(Note)
}

// Set is the evidence of one run held in memory.
type Set struct {
	Items    []*Item
	Failures []Failure
	Notes    []Note
}

// Memory is a Sink that keeps everything in memory.
type Memory struct {
	mu  sync.Mutex
	set Set
}

// Add stores an item.
func (m *Memory) Add(it *Item) {
	it.Sort()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.set.Items = append(m.set.Items, it)
}

// Fail stores a failure.
func (m *Memory) Fail(f Failure) {
	if f.ID == "" {
		f.ID = StableID(append([]string{"failure", f.Collector, f.Scope, f.Error.Operation}, f.Kinds...)...)
	}
	f.Time = f.Time.UTC()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.set.Failures = append(m.set.Failures, f)
}

// Note stores a note.
func (m *Memory) Note(n Note) {
	if n.ID == "" {
		n.ID = StableID("note", n.Collector, n.Scope, n.Message)
	}
	n.Time = n.Time.UTC()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.set.Notes = append(m.set.Notes, n)
}

// Set returns the collected evidence, sorted by kind, resource and id.
func (m *Memory) Set() *Set {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.set
	s.Sort()
	return &s
}

// Sort orders every list so that output is deterministic. Items with the same
// id are merged into the last one added, so a retried collector never
// produces duplicates.
func (s *Set) Sort() {
	byID := map[string]*Item{}
	for _, it := range s.Items {
		byID[it.ID] = it
	}
	s.Items = s.Items[:0]
	for _, it := range byID {
		s.Items = append(s.Items, it)
	}
	sort.Slice(s.Items, func(i, j int) bool {
		a, b := s.Items[i], s.Items[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Resource != b.Resource {
			return a.Resource < b.Resource
		}
		return a.ID < b.ID
	})
	s.Failures = dedupe(s.Failures, func(f Failure) string { return f.ID })
	s.Notes = dedupe(s.Notes, func(n Note) string { return n.ID })
	sort.Slice(s.Failures, func(i, j int) bool {
		a, b := s.Failures[i], s.Failures[j]
		if a.Scope != b.Scope {
			return a.Scope < b.Scope
		}
		if a.Collector != b.Collector {
			return a.Collector < b.Collector
		}
		return a.ID < b.ID
	})
	sort.Slice(s.Notes, func(i, j int) bool {
		a, b := s.Notes[i], s.Notes[j]
		if a.Scope != b.Scope {
			return a.Scope < b.Scope
		}
		return a.ID < b.ID
	})
}

// dedupe keeps the last element of each id, in order of first appearance.
func dedupe[T any](list []T, id func(T) string) []T {
	index := map[string]int{}
	var out []T
	for _, v := range list {
		if i, ok := index[id(v)]; ok {
			out[i] = v
			continue
		}
		index[id(v)] = len(out)
		out = append(out, v)
	}
	return out
}

// ByKind returns the items of one kind, in the set's order.
func (s *Set) ByKind(kind string) []*Item {
	var out []*Item
	for _, it := range s.Items {
		if it.Kind == kind {
			out = append(out, it)
		}
	}
	return out
}

// ItemPath is the slash-separated path of an item inside a store or bundle.
func ItemPath(it *Item) string {
	return path.Join(ItemsDir, it.Kind, slug(it.Resource)+"-"+it.ID+".json")
}

// FailurePath is the path of a failure record inside a store or bundle.
func FailurePath(f Failure) string {
	return path.Join(FailuresDir, slug(f.Scope)+"-"+f.ID+".json")
}

// NotePath is the path of a note inside a store or bundle.
func NotePath(n Note) string {
	return path.Join(NotesDir, slug(n.Scope)+"-"+n.ID+".json")
}

// slug turns a resource id into a readable, portable file name part.
func slug(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 64 {
			break
		}
	}
	out := strings.Trim(b.String(), "._")
	if out == "" {
		out = "item"
	}
	return out
}

// Files returns every file of the set as path → JSON content, the layout
// shared by the on-disk store and the bundle.
func (s *Set) Files() (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, it := range s.Items {
		data, err := marshal(it)
		if err != nil {
			return nil, err
		}
		files[ItemPath(it)] = data
	}
	for _, f := range s.Failures {
		data, err := marshal(f)
		if err != nil {
			return nil, err
		}
		files[FailurePath(f)] = data
	}
	for _, n := range s.Notes {
		data, err := marshal(n)
		if err != nil {
			return nil, err
		}
		files[NotePath(n)] = data
	}
	return files, nil
}

func marshal(v any) ([]byte, error) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// WriteDir writes the set as an evidence store below dir.
func (s *Set) WriteDir(dir string) error {
	files, err := s.Files()
	if err != nil {
		return err
	}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Load reads an evidence store from fsys, below root ("." for the top).
// A file that cannot be parsed is returned as an error naming it.
func Load(fsys fs.FS, root string) (*Set, error) {
	set := &Set{}
	read := func(dir string, fn func(name string, data []byte) error) error {
		base := path.Join(root, dir)
		err := fs.WalkDir(fsys, base, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !strings.HasSuffix(p, ".json") {
				return nil
			}
			data, err := fs.ReadFile(fsys, p)
			if err != nil {
				return err
			}
			if err := fn(p, data); err != nil {
				return fmt.Errorf("evidence file %s: %w", p, err)
			}
			return nil
		})
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	if err := read(ItemsDir, func(_ string, data []byte) error {
		var it Item
		if err := json.Unmarshal(data, &it); err != nil {
			return err
		}
		set.Items = append(set.Items, &it)
		return nil
	}); err != nil {
		return nil, err
	}
	if err := read(FailuresDir, func(_ string, data []byte) error {
		var f Failure
		if err := json.Unmarshal(data, &f); err != nil {
			return err
		}
		set.Failures = append(set.Failures, f)
		return nil
	}); err != nil {
		return nil, err
	}
	if err := read(NotesDir, func(_ string, data []byte) error {
		var n Note
		if err := json.Unmarshal(data, &n); err != nil {
			return err
		}
		set.Notes = append(set.Notes, n)
		return nil
	}); err != nil {
		return nil, err
	}
	set.Sort()
	return set, nil
}
