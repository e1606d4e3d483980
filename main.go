// Command auditpack collects SOC 2 evidence, checks it against the Trust
// Services Criteria and writes a verifiable evidence bundle.
package main

import (
	"os"

	"github.com/auditpack/auditpack/cmd"
)

func main() {
	os.Exit(cmd.Execute())
}
