package files

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditpack/auditpack/collectors"
	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/internal/config"
)

var rosterConfig = config.HRRoster{
	Path:             "hr/roster.csv",
	EmailColumn:      "Work Email",
	StatusColumn:     "Status",
	TerminatedValues: []string{"Terminated", "Offboarded"},
}

func TestParseRosterBOMAndCase(t *testing.T) {
	data := "\xef\xbb\xbfName, work email ,STATUS\n" +
		"Ana,Ana.Silva@Example.com,Active\n" +
		"Björn,BJÖRN.ØDEGÅRD@example.com,terminated\n" +
		"Chloé,chloe@example.com, Offboarded \n"
	a, err := ParseRoster(rosterConfig, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.LineErrors) != 0 {
		t.Fatalf("line errors: %+v", a.LineErrors)
	}
	got := map[string]Person{}
	for _, p := range a.People {
		got[p.Email] = p
	}
	if p, ok := got["ana.silva@example.com"]; !ok || p.Terminated || p.Line != 2 {
		t.Errorf("ana = %+v, %v; want active on line 2", p, ok)
	}
	if p, ok := got["björn.ødegård@example.com"]; !ok || !p.Terminated {
		t.Errorf("björn = %+v, %v; want terminated, e-mail lower-cased", p, ok)
	}
	if p := got["chloe@example.com"]; !p.Terminated || p.Status != "Offboarded" {
		t.Errorf("chloe = %+v; want terminated with status Offboarded", p)
	}
	if a.SHA256 == "" {
		t.Error("no SHA-256 of the file")
	}
}

func TestParseRosterMalformedLines(t *testing.T) {
	data := "Work Email,Status\n" +
		"ok1@example.com,Active\n" +
		"broken \"quote,Active\n" +
		"only-one-field\n" +
		"not-an-address,Terminated\n" +
		"ok2@example.com,Terminated\n"
	a, err := ParseRoster(rosterConfig, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.People) != 2 {
		t.Errorf("read %d people, want the 2 good lines: %+v", len(a.People), a.People)
	}
	lines := map[int]string{}
	for _, e := range a.LineErrors {
		lines[e.Line] = e.Message
	}
	for _, line := range []int{3, 4, 5} {
		msg, ok := lines[line]
		if !ok {
			t.Errorf("no error for line %d; errors: %+v", line, a.LineErrors)
			continue
		}
		if !strings.Contains(msg, "hr/roster.csv line") {
			t.Errorf("line %d error does not name the file and line: %s", line, msg)
		}
	}
}

func TestParseRosterMissingColumn(t *testing.T) {
	_, err := ParseRoster(rosterConfig, []byte("Email,State\na@example.com,Active\n"))
	if err == nil || !strings.Contains(err.Error(), "Work Email") {
		t.Fatalf("err = %v, want one naming the missing column", err)
	}
}

func TestHRRosterCollector(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "roster.csv")
	if err := os.WriteFile(path, []byte("Work Email,Status\nx@example.com,Terminated\nbad line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := config.Defaults()
	cfg.HRRoster = &config.HRRoster{Path: path, EmailColumn: "Work Email", StatusColumn: "Status", TerminatedValues: []string{"Terminated"}}
	cs, err := HRRosterFactory.Build(collectors.NewEnv(cfg, nil))
	if err != nil || len(cs) != 1 {
		t.Fatalf("build: %v, %d collectors", err, len(cs))
	}
	var sink evidence.Memory
	req := collectors.Request{Now: time.Now(), Checks: map[string]bool{"postgres.users.terminated_active": true}}
	if err := cs[0].Collect(context.Background(), req, &sink); err != nil {
		t.Fatal(err)
	}
	set := sink.Set()
	if len(set.Items) != 1 {
		t.Fatalf("%d items, want 1", len(set.Items))
	}
	it := set.Items[0]
	if it.Resource != "file:"+path {
		t.Errorf("resource = %s", it.Resource)
	}
	if e, ok := it.Errors["lines"]; !ok || !strings.Contains(e.Message, "line 3") {
		t.Errorf("want an error naming line 3, got %+v", it.Errors)
	}

	// Without the check selected nothing is read.
	var none evidence.Memory
	if err := cs[0].Collect(context.Background(), collectors.Request{Now: time.Now()}, &none); err != nil {
		t.Fatal(err)
	}
	if n := len(none.Set().Items); n != 0 {
		t.Errorf("collected %d items for no selected check", n)
	}
}

func TestRosterStrayQuoteSpoilsOnlyItsLine(t *testing.T) {
	data := []byte("Work Email,Status\nann@example.com,Active\n\"bob@example.com,Active\ncarl@example.com,Terminated\ndora@example.com,Active\n")
	attrs, err := ParseRoster(config.HRRoster{Path: "roster.csv", EmailColumn: "Work Email", StatusColumn: "Status", TerminatedValues: []string{"Terminated"}}, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(attrs.LineErrors) != 1 || attrs.LineErrors[0].Line != 3 {
		t.Fatalf("line errors = %+v, want one on line 3", attrs.LineErrors)
	}
	got := map[string]bool{}
	for _, p := range attrs.People {
		got[p.Email] = p.Terminated
	}
	if len(got) != 3 {
		t.Errorf("people read = %v, want ann, carl and dora", got)
	}
	if !got["carl@example.com"] {
		t.Error("carl on the line after the stray quote was not read as terminated")
	}
}
