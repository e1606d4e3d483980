// Command auditpack collects SOC 2 evidence, checks it against the Trust
// Services Criteria and writes a verifiable evidence bundle.
package main

import (
	"os"
	"runtime/debug"

	"github.com/auditpack/auditpack/cmd"
)

// defaultMemoryLimit is the soft heap limit when GOMEMLIMIT is not set. Large
// reports otherwise let the heap grow to twice their live data before the
// garbage collector runs; the limit only makes it collect sooner.
const defaultMemoryLimit = 225 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	os.Exit(cmd.Execute())
}
