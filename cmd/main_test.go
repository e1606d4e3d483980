package cmd

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/auditpack/auditpack/internal/testenv"
)

// binary is the auditpack executable built once for the built-binary tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "auditpack-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "auditpack")
	build := exec.Command("go", "build", "-o", binary, "..")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build auditpack:", err)
		os.Exit(1)
	}
	code := m.Run()
	testenv.StopSharedMoto()
	stopSharedPostgres()
	os.RemoveAll(dir)
	os.Exit(code)
}
