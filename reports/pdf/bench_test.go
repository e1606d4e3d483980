package pdf

import (
	"io"
	"testing"

	"github.com/auditpack/auditpack/reports/internal/fixture"
)

// BenchmarkPDF renders a workpaper of 10,000 findings over 100,000 evidence
// items.
func BenchmarkPDF(b *testing.B) {
	in := fixture.Large(fixture.BenchFindings, fixture.BenchItems)
	b.ResetTimer()
	for b.Loop() {
		if err := New().Write(in, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	fixture.ReportPeakRSS(b)
}
