package pipeline

import (
	"strings"
	"testing"

	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/evidence"
)

func TestRedactorMapsOnePersonToOneToken(t *testing.T) {
	r := NewRedactor([]string{"emails", "ip_addresses"}, []byte("0123456789abcdef-key"))
	a := r.Text("login by Jane.Doe@example.com from 203.0.113.7")
	b := r.Text("jane.doe@EXAMPLE.com changed a role from 2001:db8::1")
	if strings.Contains(a, "@") || strings.Contains(a, "203.0.113.7") || strings.Contains(b, "2001:db8::1") {
		t.Fatalf("personal data left: %q / %q", a, b)
	}
	tokenA := strings.Fields(a)[2]
	tokenB := strings.Fields(b)[0]
	if tokenA != tokenB {
		t.Errorf("the same address gave two tokens: %s and %s", tokenA, tokenB)
	}
	other := NewRedactor([]string{"emails"}, []byte("another-key-of-16+"))
	if other.Text("jane.doe@example.com") == tokenA {
		t.Error("a different key gave the same token")
	}
}

func TestRedactorRewritesItemsAndIDs(t *testing.T) {
	r := NewRedactor([]string{"emails"}, []byte("0123456789abcdef-key"))
	it := evidence.MustItem("postgres.app_users", "postgres.users", "postgres://db:5432/app/users/zoë@example.com", map[string]any{"email": "zoë@example.com", "note": "line\nzoë@example.com"})
	set := &evidence.Set{Items: []*evidence.Item{it}}
	if err := r.Set(set); err != nil {
		t.Fatal(err)
	}
	got := set.Items[0]
	if strings.Contains(got.Resource, "@") || strings.Contains(string(got.Attributes), "@") {
		t.Errorf("address left in %s / %s", got.Resource, got.Attributes)
	}
	if got.ID != evidence.StableID(got.Kind, got.Resource) {
		t.Error("item id still derives from the raw address")
	}
}

func TestDiffKinds(t *testing.T) {
	f := func(check, res string, s controls.Status) controls.Finding {
		return controls.Finding{CheckID: check, Resource: res, Status: s}
	}
	a := &controls.Results{Findings: []controls.Finding{
		f("c.a", "r1", controls.StatusFail),
		f("c.a", "r2", controls.StatusPass),
		f("c.a", "r3", controls.StatusReview),
		f("c.a", "gone", controls.StatusPass),
	}}
	b := &controls.Results{Findings: []controls.Finding{
		f("c.a", "r1", controls.StatusPass),
		f("c.a", "r2", controls.StatusError),
		f("c.a", "r3", controls.StatusWaived),
		f("c.a", "new", controls.StatusFail),
	}}
	got := map[string]string{}
	for _, c := range Diff(a, b) {
		got[c.Resource] = c.Kind
	}
	want := map[string]string{"r1": "fixed", "r2": "broke", "r3": "changed", "gone": "disappeared", "new": "appeared"}
	for res, kind := range want {
		if got[res] != kind {
			t.Errorf("%s: change %q, want %q", res, got[res], kind)
		}
	}
	if len(got) != len(want) {
		t.Errorf("changes = %v, want exactly %v", got, want)
	}
}
