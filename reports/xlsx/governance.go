package xlsx

import (
	"strconv"
	"strings"

	"github.com/auditpack/auditpack/reports/internal/view"
)

// waiversSheet lists every configured waiver with its state and the number
// of findings it matched, unmatched and expired ones included.
func (b *book) waiversSheet() error {
	ws := b.in.Results.Waivers
	return b.writeTable(table{
		Sheet:   b.names.name("Waivers"),
		Headers: []string{"Waiver", "Check", "Resource pattern", "Justification", "Approver", "Expires", "State", "Findings matched"},
		Rows:    len(ws), Folder: "waivers",
		Row: func(i int) []cell {
			w := ws[i]
			return []cell{text(w.ID), text(w.CheckID), text(w.ResourcePattern), text(w.Justification), text(w.Approver), text(w.Expires), text(w.State), text(strconv.Itoa(w.Matched))}
		},
	})
}

// scopeSheet lists the targets collected, the resources excluded by
// scope.exclude, and the notes from collection such as regions out of scope.
func (b *book) scopeSheet() error {
	res := b.in.Results
	type row struct{ kind, subject, detail, pattern string }
	var rows []row
	for _, s := range res.Run.Scope {
		rows = append(rows, row{"target collected", s, "", ""})
	}
	for _, x := range res.Excluded {
		rows = append(rows, row{"excluded by scope.exclude", x.Resource, x.Kind, x.Pattern})
	}
	for _, n := range res.Notes {
		rows = append(rows, row{"note from collection", n.Scope, n.Message, ""})
	}
	return b.writeTable(table{
		Sheet:   b.names.name("Scope"),
		Headers: []string{"Entry", "Target or resource", "Detail", "Pattern"},
		Rows:    len(rows), Folder: "scope", KeyColumn: 1,
		Row: func(i int) []cell {
			r := rows[i]
			return []cell{text(r.kind), text(r.subject), text(r.detail), text(r.pattern)}
		},
	})
}

// controlIDsSheet maps the company's own control ids to criteria, checks
// and a rolled-up status; it is left out when none is configured.
func (b *book) controlIDsSheet() error {
	cs := b.in.Results.ControlIDs
	if len(cs) == 0 {
		return nil
	}
	return b.writeTable(table{
		Sheet:   b.names.name("Company controls"),
		Headers: []string{"Control", "Criteria", "Checks", "Status"},
		Rows:    len(cs), Folder: "controls",
		Row: func(i int) []cell {
			c := cs[i]
			return []cell{text(c.ID), text(strings.Join(c.Criteria, ", ")), text(strings.Join(c.Checks, "\n")), b.statusCell(string(c.Status))}
		},
	})
}

// custodySheet records who collected the evidence, with which tool, from
// which identities and servers, and when.
func (b *book) custodySheet() error {
	coc := b.in.Results.ChainOfCustody
	if coc == nil {
		return nil
	}
	rows := [][2]string{
		{"Tool version", coc.ToolVersion},
		{"Tool commit", coc.ToolCommit},
		{"Host", coc.Host},
		{"Operator", coc.Operator},
		{"Collection started (UTC)", view.FormatTime(coc.Started)},
		{"Collection finished (UTC)", view.FormatTime(coc.Finished)},
	}
	for _, c := range coc.Collectors {
		rows = append(rows, [2]string{"Collector", c.ID + " " + c.Scope + " (version " + c.Version + ")"})
	}
	for _, a := range coc.AWSIdentities {
		rows = append(rows, [2]string{"AWS caller identity", a.Account + ": " + a.Caller})
	}
	for _, db := range coc.Databases {
		s := db.Endpoint + " as " + db.Role
		if db.ServerVersion != "" {
			s += ", PostgreSQL " + db.ServerVersion
		}
		rows = append(rows, [2]string{"Database", s})
	}
	if b.in.KeyFingerprint != "" {
		rows = append(rows, [2]string{"Manifest signed by", "Ed25519 key " + b.in.KeyFingerprint})
	}
	return b.writeTable(table{
		Sheet:   b.names.name("Chain of custody"),
		Headers: []string{"Item", "Value"},
		Rows:    len(rows), Folder: "custody",
		Row: func(i int) []cell { return []cell{text(rows[i][0]), text(rows[i][1])} },
	})
}
