package pdf

import (
	"fmt"
	"strings"

	"github.com/auditpack/auditpack/reports/internal/view"
)

// governance draws what bounds the results: the audit scope, the waivers
// with their state, the company's own control ids and the chain of custody.
func (d *doc) governance() {
	res := d.in.Results
	d.heading("Scope, waivers and chain of custody", "Scope and custody")

	d.record = "scope"
	d.subheading("Audit scope", 1, 11, 30)
	d.text([]para{{text: "Targets collected: " + orDash(strings.Join(res.Run.Scope, ", "))}}, 8.5)
	d.y += 1
	if len(res.Excluded) == 0 {
		d.text([]para{{text: "No resource was taken out of scope (scope.exclude).", color: &muted}}, 8.5)
	} else {
		d.text([]para{{text: "Resources taken out of scope by scope.exclude; they were not evaluated.", color: &muted}}, 8.5)
		t := d.newTable(7.5, column{title: "Resource", width: 100}, column{title: "Evidence kind", width: 35}, column{title: "Pattern", width: d.contentW - 135})
		t.start()
		for _, x := range res.Excluded {
			t.add(trow{record: "excluded " + x.Resource, cells: []tcell{cellText(x.Resource), cellText(x.Kind), cellText(x.Pattern)}})
		}
		t.end()
	}
	if len(res.Notes) > 0 {
		t := d.newTable(7.5, column{title: "Scope", width: 60}, column{title: "Note from collection", width: d.contentW - 60})
		t.start()
		for _, n := range res.Notes {
			t.add(trow{record: "note " + n.Scope, cells: []tcell{cellText(n.Scope), cellText(n.Message)}})
		}
		t.end()
	}

	d.record = "waivers"
	d.subheading("Waivers", 1, 11, 30)
	if len(res.Waivers) == 0 {
		d.text([]para{{text: "No waiver is configured.", color: &muted}}, 8.5)
	} else {
		t := d.newTable(7.5,
			column{title: "Waiver", width: 22}, column{title: "Check and resource", width: 60},
			column{title: "Justification and approver", width: 58}, column{title: "Expires", width: 18},
			column{title: "State", width: d.contentW - 158},
		)
		t.start()
		for _, w := range res.Waivers {
			t.add(trow{record: "waiver " + w.ID, cells: []tcell{
				cellText(w.ID), cellText(w.CheckID + "\n" + w.ResourcePattern),
				cellText(w.Justification + "\nApproved by " + w.Approver), cellText(w.Expires),
				cellText(fmt.Sprintf("%s, %d finding(s)", w.State, w.Matched)),
			}})
		}
		t.end()
	}

	if len(res.ControlIDs) > 0 {
		d.record = "control ids"
		d.subheading("Company control ids", 1, 11, 30)
		t := d.newTable(7.5, column{title: "Control", width: 25}, column{title: "Criteria", width: 35}, column{title: "Checks", width: d.contentW - 85}, column{title: "Status", width: 25})
		t.start()
		for _, c := range res.ControlIDs {
			t.add(trow{record: "control " + c.ID, cells: []tcell{cellText(c.ID), cellText(strings.Join(c.Criteria, ", ")), cellText(strings.Join(c.Checks, "\n")), cellText(strings.ReplaceAll(string(c.Status), "_", " "))}})
		}
		t.end()
	}

	coc := res.ChainOfCustody
	if coc == nil {
		return
	}
	d.record = "chain of custody"
	d.subheading("Chain of custody", 1, 11, 40)
	tool := "auditpack " + orDash(coc.ToolVersion)
	if coc.ToolCommit != "" {
		tool += " (commit " + coc.ToolCommit + ")"
	}
	rows := [][2]string{
		{"Tool", tool},
		{"Host", orDash(coc.Host)},
		{"Operator", orDash(coc.Operator)},
		{"Collection (UTC)", view.FormatTime(coc.Started) + " to " + view.FormatTime(coc.Finished)},
	}
	var collectors, identities, databases []string
	for _, c := range coc.Collectors {
		collectors = append(collectors, c.ID+" "+c.Scope+" (version "+c.Version+")")
	}
	for _, a := range coc.AWSIdentities {
		identities = append(identities, a.Account+": "+a.Caller)
	}
	for _, db := range coc.Databases {
		s := db.Endpoint + " as " + db.Role
		if db.ServerVersion != "" {
			s += ", PostgreSQL " + db.ServerVersion
		}
		databases = append(databases, s)
	}
	rows = append(rows,
		[2]string{"Collectors", orDash(strings.Join(collectors, "\n"))},
		[2]string{"AWS caller identities", orDash(strings.Join(identities, "\n"))},
		[2]string{"Databases", orDash(strings.Join(databases, "\n"))},
	)
	t := d.newTable(8, column{width: 45}, column{width: d.contentW - 45})
	t.zebra = false
	for _, kv := range rows {
		t.add(trow{record: "custody " + kv[0], cells: []tcell{{paras: []para{{text: kv[0], style: styleBold, color: &muted}}}, cellText(kv[1])}})
	}
	t.end()
}
