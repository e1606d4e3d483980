package accessreview

import (
	"sort"
	"strings"

	"github.com/auditpack/auditpack/collectors/files"
	"github.com/auditpack/auditpack/evidence"
)

// Imported is an export record with the decisions imported for it.
type Imported struct {
	Review        *Review
	Decisions     *Decisions
	ExportItem    *evidence.Item
	DecisionsItem *evidence.Item

	byAccount map[string]Decision
}

// Latest returns the decisions of the most recent export that has any, by
// export creation time. Orphans are decisions items whose export record is
// missing or unreadable.
func Latest(set *evidence.Set) (latest *Imported, orphans []*evidence.Item) {
	exports := map[string]*evidence.Item{}
	reviews := map[string]*Review{}
	for _, it := range set.ByKind(KindExport) {
		var r Review
		if it.Decode(&r) != nil {
			continue
		}
		exports[r.ExportID] = it
		reviews[r.ExportID] = &r
	}
	for _, it := range set.ByKind(KindDecisions) {
		var d Decisions
		if it.Decode(&d) != nil {
			orphans = append(orphans, it)
			continue
		}
		r, ok := reviews[d.ExportID]
		if !ok {
			orphans = append(orphans, it)
			continue
		}
		if latest == nil || r.Created.After(latest.Review.Created) {
			dc := d
			latest = &Imported{Review: r, Decisions: &dc, ExportItem: exports[d.ExportID], DecisionsItem: it}
		}
	}
	return latest, orphans
}

// Evidence returns the paths of the export record and decisions items.
func (im *Imported) Evidence() []string {
	return []string{evidence.ItemPath(im.ExportItem), evidence.ItemPath(im.DecisionsItem)}
}

// Decision returns the decision on an account, if any.
func (im *Imported) Decision(account string) (Decision, bool) {
	if im.byAccount == nil {
		im.byAccount = make(map[string]Decision, len(im.Decisions.Decisions))
		for _, d := range im.Decisions.Decisions {
			im.byAccount[d.Account] = d
		}
	}
	d, ok := im.byAccount[account]
	return d, ok
}

// IsSelfReview reports whether the reviewer decided on their own account.
// The reviewer, trimmed and lower-cased, must equal the account's e-mail
// address or name. Where only one side is an e-mail address, its local part
// may match the other side ("alice" and alice@example.com).
// NOTE: a reviewer written as a display name ("Alice Smith") is not matched
// to an account named by e-mail address or user name.
func IsSelfReview(d Decision) bool {
	reviewer := files.NormalizeEmail(d.Reviewer)
	if reviewer == "" {
		return false
	}
	name := files.NormalizeEmail(d.Name)
	email := d.Email
	if reviewer == name || (email != "" && reviewer == email) {
		return true
	}
	local := func(s string) string {
		if i := strings.Index(s, "@"); i > 0 {
			return s[:i]
		}
		return ""
	}
	if !strings.Contains(reviewer, "@") {
		return (email != "" && local(email) == reviewer) || local(name) == reviewer
	}
	if !strings.Contains(name, "@") {
		return local(reviewer) == name
	}
	return false
}

// Reviewers returns the distinct reviewers of decisions, sorted.
func Reviewers(ds []Decision) []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range ds {
		if d.Reviewer != "" && !seen[d.Reviewer] {
			seen[d.Reviewer] = true
			out = append(out, d.Reviewer)
		}
	}
	sort.Strings(out)
	return out
}
