package aws

import (
	"os"
	"testing"

	"github.com/auditpack/auditpack/internal/testenv"
)

func TestMain(m *testing.M) {
	// Fake credentials for moto_server and the fakes; the SDK reads them
	// from the environment before any other source.
	os.Setenv("AWS_ACCESS_KEY_ID", "testing")
	os.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	os.Unsetenv("AWS_PROFILE")
	code := m.Run()
	testenv.StopSharedMoto()
	os.Exit(code)
}
