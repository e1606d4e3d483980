package accessreview_test

import (
	"os"
	"testing"

	"github.com/auditpack/auditpack/internal/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopSharedMoto()
	os.Exit(code)
}
