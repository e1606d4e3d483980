package xlsx

import (
	"github.com/xuri/excelize/v2"

	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/reports/internal/view"
)

// styles holds the style ids of one workbook.
type styles struct {
	header, text, title, label, note int
	status                           map[string]int
}

func newStyles(f *excelize.File) (styles, error) {
	var s styles
	var err error
	border := []excelize.Border{{Type: "bottom", Color: "C7CDD4", Style: 1}}
	if s.header, err = f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true, Color: "FFFFFF", Size: 10, Family: "Calibri"},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"1F3A5F"}},
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true},
	}); err != nil {
		return s, err
	}
	if s.text, err = f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Size: 10, Family: "Calibri"},
		Alignment: &excelize.Alignment{Vertical: "top", WrapText: true},
		Border:    border,
	}); err != nil {
		return s, err
	}
	if s.title, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 16, Color: "1F3A5F", Family: "Calibri"}}); err != nil {
		return s, err
	}
	if s.label, err = f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true, Size: 10, Color: "1F3A5F", Family: "Calibri"},
		Alignment: &excelize.Alignment{Vertical: "top"},
	}); err != nil {
		return s, err
	}
	if s.note, err = f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Italic: true, Size: 10, Color: "4A5057", Family: "Calibri"},
		Alignment: &excelize.Alignment{Vertical: "top", WrapText: true},
	}); err != nil {
		return s, err
	}
	s.status = map[string]int{}
	var names []string
	for _, st := range controls.FindingStatuses {
		names = append(names, string(st))
	}
	for _, st := range controls.CriterionStatuses {
		names = append(names, string(st))
	}
	for _, name := range names {
		if _, ok := s.status[name]; ok {
			continue
		}
		fill, fg, _ := view.StatusColors(name)
		id, err := f.NewStyle(&excelize.Style{
			Font:      &excelize.Font{Bold: true, Size: 10, Color: fg.Hex(), Family: "Calibri"},
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{fill.Hex()}},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "top"},
			Border:    border,
		})
		if err != nil {
			return s, err
		}
		s.status[name] = id
	}
	return s, nil
}

// statusCell returns a status as a coloured cell.
func (b *book) statusCell(status string) cell {
	style, ok := b.styles.status[status]
	if !ok {
		style = b.styles.text
	}
	return styled(status, style)
}
