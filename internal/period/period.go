// Package period parses audit periods. Periods are whole UTC days, inclusive
// at both ends.
package period

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Period is an audit period: Start is the first instant, End the first
// instant after the last day (exclusive).
type Period struct {
	Start time.Time
	End   time.Time
	// Spec is the text the period was parsed from, for display.
	Spec string
}

const dateLayout = "2006-01-02"

var (
	quarterRe = regexp.MustCompile(`^(\d{4})-[Qq]([1-4])$`)
	monthRe   = regexp.MustCompile(`^(\d{4})-(\d{2})$`)
	yearRe    = regexp.MustCompile(`^(\d{4})$`)
	lastRe    = regexp.MustCompile(`^last-(\d+)d$`)
)

// Parse reads a period spec: "2026-Q4", "2026-11", "2026" or "last-90d" (the
// N whole days up to and including the day of now). An empty spec is the
// quarter that contains now.
func Parse(spec string, now time.Time) (Period, error) {
	now = now.UTC()
	if spec == "" {
		q := (int(now.Month())-1)/3 + 1
		spec = fmt.Sprintf("%d-Q%d", now.Year(), q)
	}
	if m := quarterRe.FindStringSubmatch(spec); m != nil {
		y, _ := strconv.Atoi(m[1])
		q, _ := strconv.Atoi(m[2])
		start := time.Date(y, time.Month((q-1)*3+1), 1, 0, 0, 0, 0, time.UTC)
		return Period{Start: start, End: start.AddDate(0, 3, 0), Spec: fmt.Sprintf("%d-Q%d", y, q)}, nil
	}
	if m := monthRe.FindStringSubmatch(spec); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		if mo < 1 || mo > 12 {
			return Period{}, fmt.Errorf("invalid month %q: months run from 01 to 12", spec)
		}
		start := time.Date(y, time.Month(mo), 1, 0, 0, 0, 0, time.UTC)
		return Period{Start: start, End: start.AddDate(0, 1, 0), Spec: spec}, nil
	}
	if m := yearRe.FindStringSubmatch(spec); m != nil {
		y, _ := strconv.Atoi(m[1])
		start := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
		return Period{Start: start, End: start.AddDate(1, 0, 0), Spec: spec}, nil
	}
	if m := lastRe.FindStringSubmatch(spec); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n < 1 || n > 3660 {
			return Period{}, fmt.Errorf("invalid period %q: the day count must be from 1 to 3660", spec)
		}
		end := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
		return Period{Start: end.AddDate(0, 0, -n), End: end, Spec: spec}, nil
	}
	return Period{}, fmt.Errorf("invalid period %q: use a quarter (2026-Q4), a month (2026-11), a year (2026), last-Nd (last-90d) or start and end dates", spec)
}

// FromDates builds a period from inclusive start and end dates (YYYY-MM-DD).
func FromDates(start, end string) (Period, error) {
	s, err := time.Parse(dateLayout, start)
	if err != nil {
		return Period{}, fmt.Errorf("invalid start date %q: use YYYY-MM-DD", start)
	}
	e, err := time.Parse(dateLayout, end)
	if err != nil {
		return Period{}, fmt.Errorf("invalid end date %q: use YYYY-MM-DD", end)
	}
	if e.Before(s) {
		return Period{}, fmt.Errorf("invalid period: end date %s is before start date %s", end, start)
	}
	return Period{Start: s.UTC(), End: e.UTC().AddDate(0, 0, 1), Spec: start + ".." + end}, nil
}

// LastDay is the last day inside the period.
func (p Period) LastDay() time.Time { return p.End.AddDate(0, 0, -1) }

// EffectiveEnd is the end of the evidence window: the period's end, or now
// when the period is still running. Time after now is never counted.
func (p Period) EffectiveEnd(now time.Time) time.Time {
	if now.Before(p.End) {
		return now.UTC()
	}
	return p.End
}

// Running reports whether now falls before the period's end.
func (p Period) Running(now time.Time) bool { return now.Before(p.End) }

// String formats the period as inclusive dates.
func (p Period) String() string {
	return p.Start.Format(dateLayout) + " to " + p.LastDay().Format(dateLayout)
}

type periodJSON struct {
	Start string `json:"start"`
	End   string `json:"end"`
	Spec  string `json:"spec,omitempty"`
}

// MarshalJSON writes the inclusive start and end dates.
func (p Period) MarshalJSON() ([]byte, error) {
	return json.Marshal(periodJSON{Start: p.Start.Format(dateLayout), End: p.LastDay().Format(dateLayout), Spec: p.Spec})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (p *Period) UnmarshalJSON(data []byte) error {
	var v periodJSON
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	q, err := FromDates(v.Start, v.End)
	if err != nil {
		return err
	}
	q.Spec = v.Spec
	*p = q
	return nil
}
