package controls

import (
	"reflect"
	"strings"
	"testing"

	"github.com/auditpack/auditpack/internal/config"
)

// controlIDTestResults returns findings and criteria where test.s3.encrypted
// fails, test.iam.root_mfa passes, test.iam.user_mfa is waived,
// test.pg.role has an error and test.rds.backup_retention has no finding.
func controlIDTestResults(t *testing.T) (*Registry, []Finding, []CriterionResult) {
	t.Helper()
	reg := policyTestRegistry(t)
	findings := []Finding{
		{CheckID: "test.s3.encrypted", Resource: "arn:aws:s3:::a", Status: StatusFail, Criteria: []string{"CC6.1", "CC6.7"}},
		{CheckID: "test.s3.encrypted", Resource: "arn:aws:s3:::b", Status: StatusPass, Criteria: []string{"CC6.1", "CC6.7"}},
		{CheckID: "test.iam.root_mfa", Resource: "aws:111122223333", Status: StatusPass, Criteria: []string{"CC6.1"}},
		{CheckID: "test.iam.user_mfa", Resource: "arn:aws:iam::111122223333:user/x", Status: StatusWaived, Criteria: []string{"CC6.2"}},
		{CheckID: "test.pg.role", Resource: "postgres://db:5432/app/users/a", Status: StatusError, Criteria: []string{"CC6.3"}},
		{CheckID: "test.pg.role", Resource: "postgres://db:5432/app/users/b", Status: StatusReview, Criteria: []string{"CC6.3"}},
	}
	criteria := Rollup(MustCatalog(), reg, reg.All(), findings, nil)
	return reg, findings, criteria
}

func TestMapControlIDsStatus(t *testing.T) {
	reg, findings, criteria := controlIDTestResults(t)
	tests := []struct {
		name     string
		entry    config.ControlID
		want     CriterionStatus
		criteria []string
		checks   []string
	}{
		{"failing check", config.ControlID{ID: "SEC-01", Checks: []string{"test.s3.encrypted"}}, CriterionFail, []string{}, []string{"test.s3.encrypted"}},
		{"passing check", config.ControlID{ID: "SEC-02", Checks: []string{"test.iam.root_mfa"}}, CriterionPass, []string{}, []string{"test.iam.root_mfa"}},
		{"waived counts as pass", config.ControlID{ID: "SEC-03", Checks: []string{"test.iam.user_mfa"}}, CriterionPass, []string{}, []string{"test.iam.user_mfa"}},
		{"error beats review", config.ControlID{ID: "SEC-04", Checks: []string{"test.pg.role"}}, CriterionError, []string{}, []string{"test.pg.role"}},
		{"check without findings", config.ControlID{ID: "SEC-05", Checks: []string{"test.rds.backup_retention"}}, CriterionNotTested, []string{}, []string{"test.rds.backup_retention"}},
		{"pass beats not tested", config.ControlID{ID: "SEC-06", Checks: []string{"test.rds.backup_retention", "test.iam.root_mfa"}}, CriterionPass, []string{}, []string{"test.iam.root_mfa", "test.rds.backup_retention"}},
		{"criterion fails through another check", config.ControlID{ID: "SEC-07", Criteria: []string{"CC6.1"}, Checks: []string{"test.iam.root_mfa"}}, CriterionFail, []string{"CC6.1"}, []string{"test.iam.root_mfa"}},
		{"glob expands", config.ControlID{ID: "SEC-08", Checks: []string{"test.iam.*"}}, CriterionPass, []string{}, []string{"test.iam.root_mfa", "test.iam.user_mfa"}},
		{"manual criterion", config.ControlID{ID: "SEC-09", Criteria: []string{"CC1.1"}}, CriterionManual, []string{"CC1.1"}, []string{}},
		{"not tested beats manual", config.ControlID{ID: "SEC-10", Criteria: []string{"CC1.1", "A1.2"}}, CriterionNotTested, []string{"CC1.1", "A1.2"}, []string{}},
		{"criteria in catalog order, deduplicated", config.ControlID{ID: "SEC-11", Criteria: []string{"CC6.2", "CC6.1", "CC6.2"}, Checks: []string{"test.iam.user_mfa", "test.iam.*"}}, CriterionFail,
			[]string{"CC6.1", "CC6.2"}, []string{"test.iam.root_mfa", "test.iam.user_mfa"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MapControlIDs([]config.ControlID{tt.entry}, criteria, findings, reg)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("got %d mappings, want 1", len(got))
			}
			if got[0].ID != tt.entry.ID || got[0].Status != tt.want {
				t.Errorf("mapping %s status = %s, want %s", got[0].ID, got[0].Status, tt.want)
			}
			if !reflect.DeepEqual(got[0].Checks, tt.checks) {
				t.Errorf("checks = %v, want %v", got[0].Checks, tt.checks)
			}
			if !reflect.DeepEqual(got[0].Criteria, tt.criteria) {
				t.Errorf("criteria = %v, want %v", got[0].Criteria, tt.criteria)
			}
		})
	}
}

func TestMapControlIDsSortedByID(t *testing.T) {
	reg, findings, criteria := controlIDTestResults(t)
	got, err := MapControlIDs([]config.ControlID{
		{ID: "SEC-02", Checks: []string{"test.iam.root_mfa"}},
		{ID: "OPS-01", Criteria: []string{"A1.2"}},
		{ID: "SEC-01", Checks: []string{"test.s3.encrypted"}},
	}, criteria, findings, reg)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range got {
		ids = append(ids, m.ID)
	}
	if want := []string{"OPS-01", "SEC-01", "SEC-02"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("ids = %v, want %v", ids, want)
	}
}

func TestMapControlIDsNone(t *testing.T) {
	reg, findings, criteria := controlIDTestResults(t)
	got, err := MapControlIDs(nil, criteria, findings, reg)
	if err != nil || len(got) != 0 {
		t.Errorf("MapControlIDs(nil) = %v, %v; want nothing", got, err)
	}
}

func TestMapControlIDsInvalid(t *testing.T) {
	reg, findings, criteria := controlIDTestResults(t)
	tests := []struct {
		name string
		ids  []config.ControlID
		want []string
	}{
		{"missing id", []config.ControlID{{Criteria: []string{"CC6.1"}}}, []string{"control_ids[0].id is missing"}},
		{"repeated id", []config.ControlID{{ID: "SEC-01", Criteria: []string{"CC6.1"}}, {ID: "SEC-01", Criteria: []string{"CC6.2"}}},
			[]string{`control_ids[1].id: "SEC-01" is also the id of control_ids[0]`}},
		{"nothing mapped", []config.ControlID{{ID: "SEC-01"}}, []string{"control_ids[0] (SEC-01): no criteria and no checks"}},
		{"unknown criterion", []config.ControlID{{ID: "SEC-01", Criteria: []string{"CC6.1", "CC6.99"}}},
			[]string{`control_ids[0].criteria: unknown criterion "CC6.99"`, "auditpack controls list"}},
		{"unknown check", []config.ControlID{{ID: "SEC-01", Checks: []string{"test.s3.encrypt"}}},
			[]string{`control_ids[0].checks: check "test.s3.encrypt" matches no check`, "auditpack checks list"}},
		{"invalid glob", []config.ControlID{{ID: "SEC-01", Checks: []string{"test.[s3"}}},
			[]string{`control_ids[0].checks: invalid check pattern "test.[s3"`}},
		{"every problem reported", []config.ControlID{{ID: "A", Criteria: []string{"X1.1"}}, {ID: "B", Checks: []string{"nope.nope"}}},
			[]string{`control_ids[0].criteria: unknown criterion "X1.1"`, `control_ids[1].checks: check "nope.nope"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MapControlIDs(tt.ids, criteria, findings, reg)
			if err == nil {
				t.Fatalf("no error; got %+v", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestMapControlIDsBeforeRun(t *testing.T) {
	reg := policyTestRegistry(t)
	got, err := MapControlIDs([]config.ControlID{{ID: "SEC-01", Criteria: []string{"CC1.1", "CC6.1"}, Checks: []string{"test.s3.*"}}}, nil, nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Status != CriterionNotTested {
		t.Errorf("mappings = %+v, want one not_tested", got)
	}
	if !reflect.DeepEqual(got[0].Criteria, []string{"CC1.1", "CC6.1"}) {
		t.Errorf("criteria = %v, want catalog order", got[0].Criteria)
	}

	_, err = MapControlIDs([]config.ControlID{{ID: "SEC-01", Criteria: []string{"CC6.99"}}}, nil, nil, reg)
	if err == nil || !strings.Contains(err.Error(), `control_ids[0].criteria: unknown criterion "CC6.99"`) {
		t.Errorf("error = %v, want the unknown criterion named", err)
	}
}
