// Package testenv starts the real components that tests and the demo run
// against: moto_server for AWS and a throwaway PostgreSQL cluster. Servers
// bind to 127.0.0.1 on ports chosen at run time.
package testenv

import (
	"fmt"
	"net"
	"os"
	"testing"
)

// InCI reports whether the process runs under CI, where a missing component
// fails the test instead of skipping it.
func InCI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "0" && v != "false"
}

// Unavailable ends a test whose component is missing: a failure under CI, a
// skip with the reason elsewhere.
func Unavailable(tb testing.TB, what string, err error) {
	tb.Helper()
	msg := fmt.Sprintf("%s is not available: %v", what, err)
	if InCI() {
		tb.Fatalf("%s (CI=true: integration tests must run)", msg)
	}
	tb.Skip(msg)
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
