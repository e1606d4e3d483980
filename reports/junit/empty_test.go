package junit

import (
	"bytes"
	"testing"

	"github.com/auditpack/auditpack/reports/internal/fixture"
)

func TestEmptyRunRenders(t *testing.T) {
	var buf bytes.Buffer
	in := fixture.Empty()
	if err := New().Write(in, &buf); err != nil {
		t.Fatalf("render a run without findings: %v", err)
	}
	if buf.Len() == 0 {
		t.Fatal("empty output")
	}
	in.Evidence = nil
	in.Catalog = nil
	buf.Reset()
	if err := New().Write(in, &buf); err != nil {
		t.Fatalf("render without evidence set or catalog: %v", err)
	}
}
