package oscal

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/auditpack/auditpack/reports/internal/fixture"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// schemaFile is the NIST OSCAL assessment-results schema, read from the
// shared/schemas folder that CI places beside the repository.
const schemaFile = "oscal_assessment-results_schema-1.0.4.json"

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	path := filepath.Join(repoRoot(t), "..", "shared", "schemas", schemaFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("OSCAL schema %s is missing; CI must provide ../shared/schemas beside the repository", path)
		}
		t.Skipf("OSCAL schema %s not found; place the shared/schemas folder beside the repository to run this test", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const url = "file:///oscal-ar-schema.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	return sch
}

func render(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := New().Write(fixture.Small(), &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestOSCALValidatesAgainstSchema(t *testing.T) {
	sch := compileSchema(t)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(render(t)))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("oscal.json is invalid: %v", err)
	}
}

func TestOSCALSchemaRejectsBrokenDocument(t *testing.T) {
	sch := compileSchema(t)
	var doc map[string]any
	if err := json.Unmarshal(render(t), &doc); err != nil {
		t.Fatal(err)
	}
	ar := doc["assessment-results"].(map[string]any)
	delete(ar, "import-ap")
	if err := sch.Validate(doc); err == nil {
		t.Fatal("a document without import-ap validated; the schema check cannot fail")
	}
}

func TestOSCALObservationsAndFindings(t *testing.T) {
	in := fixture.Small()
	var doc document
	if err := json.Unmarshal(render(t), &doc); err != nil {
		t.Fatal(err)
	}
	r := doc.AssessmentResults.Results[0]
	if got, want := len(r.Observations), len(in.Evidence.Items)+len(in.Evidence.Failures); got != want {
		t.Errorf("observations = %d, want one per evidence item and failure (%d)", got, want)
	}
	withFindings := map[string]bool{}
	for _, f := range in.Results.Findings {
		for _, c := range f.Criteria {
			withFindings[strings.ToLower(c)] = true
		}
	}
	if len(r.Findings) != len(withFindings) {
		t.Errorf("findings = %d, want one per criterion with findings (%d)", len(r.Findings), len(withFindings))
	}
	obs := map[string]bool{}
	for _, o := range r.Observations {
		obs[o.UUID] = true
	}
	for _, f := range r.Findings {
		for _, ro := range f.RelatedObservations {
			if !obs[ro.ObservationUUID] {
				t.Errorf("finding %s links unknown observation %s", f.Target.TargetID, ro.ObservationUUID)
			}
		}
		if f.Target.TargetID == "cc6.1" && f.Target.Status.State != "not-satisfied" {
			t.Errorf("cc6.1 state = %s, want not-satisfied", f.Target.Status.State)
		}
		if f.Target.TargetID == "a1.2" && !strings.Contains(f.Remarks, "last 30 days") {
			t.Error("a1.2 remarks lack the backup window note")
		}
	}
}

func TestOSCALUUIDsAreVersion5(t *testing.T) {
	re := regexp.MustCompile(`"(uuid|observation-uuid)": "([^"]+)"`)
	v5 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for _, m := range re.FindAllStringSubmatch(string(render(t)), -1) {
		if !v5.MatchString(m[2]) {
			t.Errorf("%s %s is not a version 5 UUID", m[1], m[2])
		}
		if m[1] == "uuid" {
			if seen[m[2]] {
				t.Errorf("uuid %s is used twice", m[2])
			}
			seen[m[2]] = true
		}
	}
}

func TestOSCALDeterministicGolden(t *testing.T) {
	a, b := render(t), render(t)
	if !bytes.Equal(a, b) {
		t.Fatal("two renders of the same results differ")
	}
	fixture.Golden(t, "small.golden.json", a, *update)
}
