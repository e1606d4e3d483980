package xlsx

import (
	"encoding/csv"
	"io"
	"testing"

	"github.com/auditpack/auditpack/reports/internal/fixture"
)

// BenchmarkXLSX writes a workbook of 10,000 findings and 100,000 evidence
// rows.
func BenchmarkXLSX(b *testing.B) {
	in := fixture.Large(fixture.BenchFindings, fixture.BenchItems)
	b.ResetTimer()
	for b.Loop() {
		if err := New().Write(in, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	fixture.ReportPeakRSS(b)
}

// BenchmarkCSVBaseline writes the same evidence rows with encoding/csv, the
// floor that the workbook's cost is compared with.
func BenchmarkCSVBaseline(b *testing.B) {
	in := fixture.Large(fixture.BenchFindings, fixture.BenchItems)
	b.ResetTimer()
	for b.Loop() {
		w := csv.NewWriter(io.Discard)
		for _, kind := range kindsOf(in.Evidence) {
			items := in.Evidence.ByKind(kind)
			cols := scanColumns(items)
			for _, it := range items {
				row := evidenceRow(it, cols)
				rec := make([]string, len(row))
				for i, c := range row {
					rec[i] = c.Text
				}
				if err := w.Write(rec); err != nil {
					b.Fatal(err)
				}
			}
		}
		w.Flush()
		if err := w.Error(); err != nil {
			b.Fatal(err)
		}
	}
	fixture.ReportPeakRSS(b)
}
