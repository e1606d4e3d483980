package oscal

import (
	"bytes"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/auditpack/auditpack/reports/internal/fixture"
)

func TestEmptyRunRenders(t *testing.T) {
	var buf bytes.Buffer
	in := fixture.Empty()
	if err := New().Write(in, &buf); err != nil {
		t.Fatalf("render a run without findings: %v", err)
	}
	sch := compileSchema(t)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("oscal.json of a run without findings is invalid: %v", err)
	}
	in.Evidence = nil
	in.Catalog = nil
	buf.Reset()
	if err := New().Write(in, &buf); err != nil {
		t.Fatalf("render without evidence set or catalog: %v", err)
	}
}
