package period

import (
	"encoding/json"
	"testing"
	"time"
)

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseSpecs(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		spec, start, last string
	}{
		{"2026-Q4", "2026-10-01", "2026-12-31"},
		{"2026-q1", "2026-01-01", "2026-03-31"},
		{"2026-11", "2026-11-01", "2026-11-30"},
		{"2024-02", "2024-02-01", "2024-02-29"},
		{"2026", "2026-01-01", "2026-12-31"},
		{"last-90d", "2026-09-06", "2026-12-04"},
		{"last-1d", "2026-12-04", "2026-12-04"},
		{"", "2026-10-01", "2026-12-31"},
	}
	for _, tc := range cases {
		p, err := Parse(tc.spec, now)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.spec, err)
			continue
		}
		if !p.Start.Equal(day(tc.start)) {
			t.Errorf("Parse(%q) start = %s, want %s", tc.spec, p.Start, tc.start)
		}
		if !p.LastDay().Equal(day(tc.last)) {
			t.Errorf("Parse(%q) last day = %s, want %s", tc.spec, p.LastDay(), tc.last)
		}
	}
}

func TestParseRejectsBadSpecs(t *testing.T) {
	for _, spec := range []string{"2026-Q5", "2026-13", "2026-00", "last-0d", "last-90", "Q4", "yesterday", "2026-10-01"} {
		if _, err := Parse(spec, time.Now()); err == nil {
			t.Errorf("Parse(%q) succeeded, want an error", spec)
		}
	}
}

func TestParseUsesUTCDay(t *testing.T) {
	// 23:30 in New York on 3 December is 4 December in UTC.
	ny, _ := time.LoadLocation("America/New_York")
	now := time.Date(2026, 12, 3, 23, 30, 0, 0, ny)
	p, err := Parse("last-1d", now)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Start.Equal(day("2026-12-04")) {
		t.Errorf("start = %s, want the UTC day 2026-12-04", p.Start)
	}
}

func TestFromDatesInclusive(t *testing.T) {
	p, err := FromDates("2026-10-01", "2026-10-31")
	if err != nil {
		t.Fatal(err)
	}
	if !p.End.Equal(day("2026-11-01")) {
		t.Errorf("end = %s, want the instant after 2026-10-31", p.End)
	}
	if _, err := FromDates("2026-10-05", "2026-10-01"); err == nil {
		t.Error("FromDates accepted an end before the start")
	}
	if _, err := FromDates("2026-10-5", "2026-10-06"); err == nil {
		t.Error("FromDates accepted a malformed date")
	}
}

func TestEffectiveEndStopsAtNow(t *testing.T) {
	p, _ := Parse("2026-Q4", time.Now())
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	if got := p.EffectiveEnd(now); !got.Equal(now) {
		t.Errorf("running period's effective end = %s, want now", got)
	}
	after := time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)
	if got := p.EffectiveEnd(after); !got.Equal(p.End) {
		t.Errorf("finished period's effective end = %s, want %s", got, p.End)
	}
}

func TestPeriodJSONRoundTrip(t *testing.T) {
	p, _ := Parse("2026-Q4", time.Now())
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != `{"start":"2026-10-01","end":"2026-12-31","spec":"2026-Q4"}` {
		t.Errorf("JSON = %s", data)
	}
	var back Period
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !back.Start.Equal(p.Start) || !back.End.Equal(p.End) || back.Spec != p.Spec {
		t.Errorf("round trip = %+v, want %+v", back, p)
	}
}
