// Package builtin lists every built-in collector. A new collector is one line
// here.
package builtin

import (
	"github.com/auditpack/auditpack/collectors"
)

// Factories returns the built-in collector factories.
func Factories() []collectors.Factory {
	return []collectors.Factory{}
}

// Registry returns the registry of built-in collectors.
func Registry() (*collectors.Registry, error) {
	return collectors.NewRegistry(Factories()...)
}
