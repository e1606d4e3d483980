package docs_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/auditpack/auditpack/cmd"
	"github.com/auditpack/auditpack/internal/docs"
)

// TestGeneratedDocsCurrent fails when docs/checks.md or
// docs/configuration.md differ from what the code generates; run
// `make docs` to refresh them.
func TestGeneratedDocsCurrent(t *testing.T) {
	files, err := docs.Generate(cmd.ConfigReference())
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join("..", "..", "docs", name))
		if err != nil {
			t.Errorf("docs/%s: %v (run make docs)", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("docs/%s is stale; run make docs and commit the result", name)
		}
	}
}
