// Command docgen writes the generated references under docs/: the check
// reference from the check registry and the configuration reference from
// the declared options. Tests fail when the committed files are stale.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/auditpack/auditpack/cmd"
	"github.com/auditpack/auditpack/internal/docs"
)

func main() {
	dir := "docs"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	files, err := docs.Generate(cmd.ConfigReference())
	if err != nil {
		fmt.Fprintf(os.Stderr, "docgen: %v\n", err)
		os.Exit(1)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "docgen: %v\n", err)
			os.Exit(1)
		}
		fmt.Println("wrote", filepath.Join(dir, name))
	}
}
