package controls

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/auditpack/auditpack/internal/config"
)

// controlStatusOrder ranks statuses from the one that decides a company
// control's status first to the one that decides it last. It is the order of
// the criterion roll-up, with manual last, so a control shows manual only
// when it maps to no check and only to criteria without automated checks.
var controlStatusOrder = []CriterionStatus{CriterionFail, CriterionError, CriterionReview, CriterionPass, CriterionNotTested, CriterionManual}

// MapControlIDs validates the `control_ids` section and gives each company
// control a status. A control maps to criteria, check ids and check globs
// ("aws.s3.*"). Its status is the first of fail, error, review, pass,
// not_tested and manual that any of its parts has. A criterion's part is its
// rolled-up status. A check's part is fail, error or review when one of its
// findings has that status, else pass when one passed or was waived, else
// not_tested. Every invalid entry is reported: a missing or repeated id, an
// entry with neither criteria nor checks, an unknown criterion and a check
// pattern that matches no registered check. The result is sorted by control
// id, criteria in catalog order and checks by id.
//
// To validate the section before a run, pass nil criteria and findings. The
// criterion ids are then checked against the embedded catalog, and every
// status is not_tested.
func MapControlIDs(ids []config.ControlID, criteria []CriterionResult, findings []Finding, reg *Registry) ([]ControlMapping, error) {
	if len(criteria) == 0 {
		for _, c := range MustCatalog().Criteria {
			criteria = append(criteria, CriterionResult{ID: c.ID, Category: c.Category, Status: CriterionNotTested})
		}
	}
	criterionIndex := map[string]int{}
	for i, c := range criteria {
		criterionIndex[c.ID] = i
	}
	checkStatuses := checkStatusesOf(findings)

	var out []ControlMapping
	var errs []error
	seen := map[string]int{}
	for i, entry := range ids {
		key := fmt.Sprintf("control_ids[%d]", i)
		id := strings.TrimSpace(entry.ID)
		if id == "" {
			errs = append(errs, fmt.Errorf("%s.id is missing: give the company's own control id, such as SEC-01", key))
			continue
		}
		if prev, dup := seen[id]; dup {
			errs = append(errs, fmt.Errorf("%s.id: %q is also the id of control_ids[%d]; list each control once with all its criteria and checks", key, id, prev))
			continue
		}
		seen[id] = i
		if len(entry.Criteria) == 0 && len(entry.Checks) == 0 {
			errs = append(errs, fmt.Errorf("%s (%s): no criteria and no checks; map the control to at least one of them", key, id))
			continue
		}

		m := ControlMapping{ID: id, Criteria: []string{}, Checks: []string{}}
		var statuses []CriterionStatus
		for _, cid := range entry.Criteria {
			idx, ok := criterionIndex[cid]
			if !ok {
				errs = append(errs, fmt.Errorf("%s.criteria: unknown criterion %q; run 'auditpack controls list' for the ids", key, cid))
				continue
			}
			if !slices.Contains(m.Criteria, cid) {
				m.Criteria = append(m.Criteria, cid)
				statuses = append(statuses, criteria[idx].Status)
			}
		}
		for _, pattern := range entry.Checks {
			matched, err := matchCheckIDs(reg, pattern)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s.checks: %w", key, err))
				continue
			}
			for _, checkID := range matched {
				if !slices.Contains(m.Checks, checkID) {
					m.Checks = append(m.Checks, checkID)
					statuses = append(statuses, checkStatus(checkStatuses[checkID]))
				}
			}
		}
		sort.Slice(m.Criteria, func(a, b int) bool { return criterionIndex[m.Criteria[a]] < criterionIndex[m.Criteria[b]] })
		sort.Strings(m.Checks)
		m.Status = worstControlStatus(statuses)
		out = append(out, m)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	return out, nil
}

// matchCheckIDs returns the registered check ids that a check id or glob
// matches, sorted.
func matchCheckIDs(reg *Registry, pattern string) ([]string, error) {
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, fmt.Errorf("invalid check pattern %q: %v", pattern, err)
	}
	var ids []string
	for _, c := range reg.All() {
		if ok, _ := path.Match(pattern, c.ID); ok {
			ids = append(ids, c.ID)
		}
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("check %q matches no check; run 'auditpack checks list' for the ids", pattern)
	}
	return ids, nil
}

// checkStatusesOf counts the findings of each check by status.
func checkStatusesOf(findings []Finding) map[string]map[Status]int {
	out := map[string]map[Status]int{}
	for _, f := range findings {
		if out[f.CheckID] == nil {
			out[f.CheckID] = map[Status]int{}
		}
		out[f.CheckID][f.Status]++
	}
	return out
}

// checkStatus rolls one check's findings up the way criteria are rolled up.
func checkStatus(counts map[Status]int) CriterionStatus {
	switch {
	case counts[StatusFail] > 0:
		return CriterionFail
	case counts[StatusError] > 0:
		return CriterionError
	case counts[StatusReview] > 0:
		return CriterionReview
	case counts[StatusPass] > 0 || counts[StatusWaived] > 0:
		return CriterionPass
	}
	return CriterionNotTested
}

func worstControlStatus(statuses []CriterionStatus) CriterionStatus {
	for _, s := range controlStatusOrder {
		if slices.Contains(statuses, s) {
			return s
		}
	}
	return CriterionNotTested
}
