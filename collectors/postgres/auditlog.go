package postgres

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/auditpack/auditpack/collectors"
	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/internal/config"
)

// Limits on the rows the audit-log queries return. Statistics are computed
// by the database; these lists only name examples for a person to read.
const (
	gapLimit        = 10
	burstLimit      = 500
	privilegedLimit = 500
	gdprLimit       = 1000
)

// eventsGroup is the placeholder group under which the events query records
// its error before it is copied to the groups of the wanted statistics.
const eventsGroup = "events"

// LockoutParams are the burst definition used when collecting: the
// postgres.auditlog.lockout parameters, read from the configuration because
// the burst search runs on the server.
type LockoutParams struct {
	MaxFailures   int
	WindowMinutes int
}

// AuditLogCollector computes statistics of an application's audit-log table
// for the period. Every statistic is an aggregate query on the server; no
// query returns more than a bounded list of rows.
type AuditLogCollector struct {
	t       target
	log     config.AuditLog
	lockout LockoutParams
}

var _ collectors.Collector = (*AuditLogCollector)(nil)

// ID returns "postgres.auditlog".
func (c *AuditLogCollector) ID() string { return "postgres.auditlog" }

// Scope returns the database address.
func (c *AuditLogCollector) Scope() string { return c.t.base() }

// Kinds returns the audit-log kind.
func (c *AuditLogCollector) Kinds() []string { return []string{KindAuditLog} }

// auditColumns are the configured column keys and the checks that need them.
var auditColumns = map[string][]string{
	"time":       {CheckRetention, CheckGaps, CheckLockout, CheckPrivilegedChanges, CheckGDPRSLA},
	"event_type": {CheckLockout, CheckPrivilegedChanges, CheckGDPRSLA},
	"outcome":    {CheckLockout},
	"actor":      {CheckLockout, CheckGDPRSLA},
	"source_ip":  {},
}

// auditQuery is the SQL context shared by the statistics queries.
type auditQuery struct {
	table string
	// col is the quoted time column. local is the SQL literal of the zone
	// a timestamp-without-time-zone column is read in, and empty for
	// timestamptz.
	col, local                          string
	eventType, outcome, actor, sourceIP string
	windowStart, windowEnd              time.Time
}

// at returns the time column as a timestamptz expression.
func (q auditQuery) at() string {
	if q.local == "" {
		return q.col
	}
	return fmt.Sprintf("(%s AT TIME ZONE %s)", q.col, q.local)
}

// agg applies an aggregate such as min to the raw column, so an index on it
// serves the query, and converts the result to timestamptz.
func (q auditQuery) agg(fn string) string {
	if q.local == "" {
		return fmt.Sprintf("%s(%s)", fn, q.col)
	}
	return fmt.Sprintf("(%s(%s) AT TIME ZONE %s)", fn, q.col, q.local)
}

// bound converts a timestamptz expression to the column's type, so that
// comparisons run on the raw column and can use its index.
func (q auditQuery) bound(expr string) string {
	if q.local == "" {
		return "(" + expr + ")::timestamptz"
	}
	return fmt.Sprintf("((%s)::timestamptz AT TIME ZONE %s)", expr, q.local)
}

// since returns the condition that the event is at or after from and,
// unless until is empty, before until.
func (q auditQuery) since(from, until string) string {
	cond := fmt.Sprintf("%s >= %s", q.col, q.bound(from))
	if until != "" {
		cond += fmt.Sprintf(" AND %s < %s", q.col, q.bound(until))
	}
	return cond
}

// timeColumn returns how a time column is read: the quoted column, the SQL
// literal of its zone (empty for timestamptz) and the zone label stored
// with the evidence.
func timeColumn(quotedCol, sqlType, zone string) (col, local, label string, err error) {
	switch sqlType {
	case "timestamp with time zone":
		return quotedCol, "", "", nil
	case "timestamp without time zone", "date":
		if sqlType == "date" {
			quotedCol += "::timestamp"
		}
		if zone == "" {
			return quotedCol, "'UTC'", ZoneUnknown, nil
		}
		if _, err := time.LoadLocation(zone); err != nil {
			return "", "", "", fmt.Errorf("invalid audit_log.time_zone %q: use an IANA zone name such as Europe/Berlin", zone)
		}
		return quotedCol, quoteLiteral(zone), zone, nil
	}
	return "", "", "", fmt.Errorf("column %s has type %s; a time column must be timestamptz, timestamp or date", quotedCol, sqlType)
}

// Collect resolves the table and its columns, then runs the queries of the
// selected checks. A missing column makes the checks that need it error and
// lets the others run.
func (c *AuditLogCollector) Collect(ctx context.Context, req collectors.Request, sink evidence.Sink) error {
	all := []string{CheckRetention, CheckGaps, CheckImmutable, CheckLockout, CheckPrivilegedChanges, CheckGDPRSLA}
	if !req.Wants(all...) {
		return nil
	}
	name, err := ParseQualifiedName(c.log.Table)
	if err != nil {
		return err
	}
	s, err := connect(ctx, c.t)
	if err != nil {
		return err
	}
	defer s.close(ctx)

	info, provTable, err := s.describeTable(ctx, "auditlog_table", name)
	if err != nil {
		sink.Fail(evidence.Failure{
			Collector: c.ID(), Scope: tableResource(c.t, name), Kinds: c.Kinds(),
			Error: collectError("auditlog_table", err, c.t.password), Time: time.Now().UTC(),
		})
		return nil
	}
	resource := tableResource(c.t, info.name)
	item := evidence.MustItem(KindAuditLog, c.ID(), resource, nil)
	item.Provenance = append(item.Provenance, provTable)

	windowEnd := req.Period.EffectiveEnd(req.Now)
	attrs := AuditLogAttrs{
		Source:      s.source(),
		Table:       info.name.String(),
		Columns:     map[string]Column{},
		WindowStart: req.Period.Start.UTC(),
		WindowEnd:   windowEnd.UTC(),
	}
	q := auditQuery{table: info.name.Sanitize(), windowStart: attrs.WindowStart, windowEnd: attrs.WindowEnd}

	// Resolve every configured column. A missing or unusable one is an
	// error of the checks that read it, recorded in their attribute
	// groups, and the other checks go on.
	blocked := map[string][]string{}
	exprs := map[string]string{}
	keys := make([]string, 0, len(auditColumns))
	for k := range auditColumns {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		col := columnName(c.log.Columns[key])
		if col == "" {
			if key == "time" || key == "event_type" || key == "actor" {
				blocked[key] = auditColumns[key]
				blockChecks(item, auditColumns[key], evidence.CollectError{
					Operation: "postgres:auditlog_table", Code: "not_configured",
					Message: fmt.Sprintf("audit_log.columns.%s is not configured for table %s", key, info.name.Sanitize()),
				})
			}
			continue
		}
		typ, ok := info.columns[col]
		if !ok {
			blocked[key] = auditColumns[key]
			blockChecks(item, auditColumns[key], collectError("auditlog_table", &notFoundError{
				what: fmt.Sprintf("column %s of table %s (audit_log.columns.%s)", quoteIdent(col), info.name.Sanitize(), key),
			}, ""))
			continue
		}
		attrs.Columns[key] = Column{Name: col, Type: typ}
		if key != "time" {
			exprs[key] = quoteIdent(col) + "::text"
			continue
		}
		tcol, local, label, err := timeColumn(quoteIdent(col), typ, c.log.TimeZone)
		if err != nil {
			blocked[key] = auditColumns[key]
			blockChecks(item, auditColumns[key], collectError("auditlog_table", err, ""))
			continue
		}
		exprs[key] = tcol
		q.col, q.local = tcol, local
		attrs.TimeZone = label
	}
	// A statistic whose event types are not configured cannot be computed;
	// an empty result would read as "no events" and pass.
	for _, need := range []struct {
		key   string
		types []string
		check string
	}{
		{"failure_outcomes", c.log.Events.FailureOutcomes, CheckLockout},
		{"permission_change", c.log.Events.PermissionChange, CheckPrivilegedChanges},
		{"gdpr_request", c.log.Events.GDPRRequest, CheckGDPRSLA},
		{"gdpr_completed", c.log.Events.GDPRCompleted, CheckGDPRSLA},
	} {
		if len(need.types) > 0 {
			continue
		}
		blocked["events."+need.key] = []string{need.check}
		blockChecks(item, []string{need.check}, evidence.CollectError{
			Operation: "postgres:auditlog_table", Code: "not_configured",
			Message: fmt.Sprintf("audit_log.events.%s is not configured for table %s", need.key, info.name.Sanitize()),
		})
	}
	q.eventType, q.actor = exprs["event_type"], exprs["actor"]
	q.outcome, q.sourceIP = exprOr(exprs, "outcome"), exprOr(exprs, "source_ip")
	can := func(check string) bool {
		if !req.Wants(check) {
			return false
		}
		for _, checks := range blocked {
			for _, id := range checks {
				if id == check {
					return false
				}
			}
		}
		return true
	}

	run := func(group, op, sql string, params map[string]any, args []any, scan func(pgx.Rows) error) {
		prov, err := s.query(ctx, op, sql, params, args, scan)
		item.Provenance = append(item.Provenance, prov)
		if err != nil {
			item.AddError(group, collectError(op, err, c.t.password))
		}
	}
	if can(CheckRetention) || can(CheckGaps) {
		run(GroupExtent, "auditlog_extent", extentSQL(q), nil, nil, func(r pgx.Rows) error {
			for r.Next() {
				var e Extent
				if err := r.Scan(&e.Oldest, &e.Newest); err != nil {
					return err
				}
				e.Oldest, e.Newest = utcPtr(e.Oldest), utcPtr(e.Newest)
				attrs.Extent = &e
			}
			return nil
		})
		c.collectActivity(q, &attrs, run)
		if e, ok := item.Errors[GroupGaps]; ok {
			item.AddError(GroupDaily, e)
		}
	}
	if want := (eventWants{lockout: can(CheckLockout), privileged: can(CheckPrivilegedChanges), gdpr: can(CheckGDPRSLA)}); want.any() {
		c.collectEvents(q, &attrs, want, run)
		for _, g := range want.groups() {
			if e, ok := item.Errors[eventsGroup]; ok {
				item.AddError(g, e)
			}
		}
		delete(item.Errors, eventsGroup)
	}
	if req.Wants(CheckImmutable) {
		c.collectWriters(info, &attrs, run)
	}

	if err := item.SetAttributes(attrs); err != nil {
		return err
	}
	sink.Add(item)
	return nil
}

type runFunc func(group, op, sql string, params map[string]any, args []any, scan func(pgx.Rows) error)

// collectActivity reads daily counts, the number of events in the window
// and the longest gaps in one grouped pass over the window.
func (c *AuditLogCollector) collectActivity(q auditQuery, attrs *AuditLogAttrs, run runFunc) {
	params := map[string]any{"$1": q.windowStart, "$2": q.windowEnd, "$3": gapLimit}
	run(GroupGaps, "auditlog_activity", activitySQL(q), params, []any{q.windowStart, q.windowEnd, gapLimit}, func(r pgx.Rows) error {
		g := GapStats{Limit: gapLimit, Longest: []Gap{}}
		daily := []DailyCount{}
		var total int64
		for r.Next() {
			var kind string
			var day, eventType, outcome *string
			var n *int64
			var start, end *time.Time
			if err := r.Scan(&kind, &day, &eventType, &outcome, &n, &start, &end); err != nil {
				return err
			}
			switch {
			case kind == "day" && day != nil && n != nil:
				daily = append(daily, DailyCount{Day: *day, EventType: deref(eventType), Outcome: deref(outcome), Count: *n})
				total += *n
			case kind == "gap" && start != nil && end != nil:
				gap := Gap{Start: start.UTC(), End: end.UTC()}
				gap.Hours = gap.End.Sub(gap.Start).Hours()
				g.Longest = append(g.Longest, gap)
			}
		}
		sort.SliceStable(g.Longest, func(i, j int) bool {
			if g.Longest[i].Hours != g.Longest[j].Hours {
				return g.Longest[i].Hours > g.Longest[j].Hours
			}
			return g.Longest[i].Start.Before(g.Longest[j].Start)
		})
		attrs.Daily = daily
		attrs.Gaps = &g
		if attrs.Extent != nil {
			attrs.Extent.InWindow = total
		}
		return nil
	})
}

// eventWants selects the statistics the events query computes.
type eventWants struct {
	lockout, privileged, gdpr bool
}

func (w eventWants) any() bool { return w.lockout || w.privileged || w.gdpr }

// groups returns the attribute groups that the query fills.
func (w eventWants) groups() []string {
	var out []string
	if w.lockout {
		out = append(out, GroupLockout)
	}
	if w.privileged {
		out = append(out, GroupPrivileged)
	}
	if w.gdpr {
		out = append(out, GroupGDPR)
	}
	return out
}

// collectEvents computes lockout bursts, permission changes and data-subject
// requests in one scan of the window. Event types of a statistic that is not
// wanted are passed as empty lists, so its part of the query reads no rows.
func (c *AuditLogCollector) collectEvents(q auditQuery, attrs *AuditLogAttrs, want eventWants, run runFunc) {
	p := c.lockout
	ev := c.log.Events
	pick := func(on bool, list []string) []string {
		if !on {
			return []string{}
		}
		return nonNil(list)
	}
	loginTypes, failures, lockouts := pick(want.lockout, ev.Login), pick(want.lockout, ev.FailureOutcomes), pick(want.lockout, ev.Lockout)
	permission := pick(want.privileged, ev.PermissionChange)
	requests, completions := pick(want.gdpr, ev.GDPRRequest), pick(want.gdpr, ev.GDPRCompleted)
	window := fmt.Sprintf("%d minutes", p.WindowMinutes)
	others := append(append(append(append([]string{}, lockouts...), permission...), requests...), completions...)
	all := append(append([]string{}, loginTypes...), others...)
	args := []any{
		q.windowStart, q.windowEnd, loginTypes, failures, window, p.MaxFailures, lockouts, burstLimit,
		permission, privilegedLimit, requests, completions, gdprLimit, all, others,
	}
	params := map[string]any{}
	for i, a := range args {
		params[fmt.Sprintf("$%d", i+1)] = a
	}

	lock := LockoutStats{MaxFailures: p.MaxFailures, WindowMinutes: p.WindowMinutes, Bursts: []Burst{}}
	priv := PrivilegedStats{Events: []EventRecord{}}
	gdpr := GDPRStats{Requests: []GDPRRequest{}}
	var bursts int64
	ok := false
	run(eventsGroup, "auditlog_events", eventsSQL(q), params, args, func(r pgx.Rows) error {
		for r.Next() {
			var kind string
			var actor, eventType, outcome, sourceIP *string
			var at, at2 *time.Time
			var n *int64
			if err := r.Scan(&kind, &actor, &at, &at2, &eventType, &outcome, &sourceIP, &n); err != nil {
				return err
			}
			switch kind {
			case "burst":
				lock.Bursts = append(lock.Bursts, Burst{Actor: deref(actor), At: at.UTC(), LockedAt: utcPtr(at2)})
			case "failed_logins":
				lock.FailedLogins = *n
			case "bursts":
				bursts = *n
			case "privileged":
				priv.Events = append(priv.Events, EventRecord{At: at.UTC(), EventType: deref(eventType), Actor: deref(actor), Outcome: deref(outcome), SourceIP: deref(sourceIP)})
			case "privileged_total":
				priv.Count = *n
			case "gdpr":
				gdpr.Requests = append(gdpr.Requests, GDPRRequest{Actor: deref(actor), RequestedAt: at.UTC(), CompletedAt: utcPtr(at2)})
			case "gdpr_total":
				gdpr.Total = *n
			}
		}
		ok = true
		return nil
	})
	if !ok {
		return
	}
	sort.SliceStable(lock.Bursts, func(i, j int) bool {
		a, b := lock.Bursts[i], lock.Bursts[j]
		if (a.LockedAt == nil) != (b.LockedAt == nil) {
			return a.LockedAt == nil
		}
		if !a.At.Equal(b.At) {
			return a.At.Before(b.At)
		}
		return a.Actor < b.Actor
	})
	sort.SliceStable(priv.Events, func(i, j int) bool {
		a, b := priv.Events[i], priv.Events[j]
		if !a.At.Equal(b.At) {
			return a.At.Before(b.At)
		}
		return a.EventType < b.EventType
	})
	sort.SliceStable(gdpr.Requests, func(i, j int) bool {
		a, b := gdpr.Requests[i], gdpr.Requests[j]
		if !a.RequestedAt.Equal(b.RequestedAt) {
			return a.RequestedAt.Before(b.RequestedAt)
		}
		return a.Actor < b.Actor
	})
	lock.Truncated = bursts > int64(len(lock.Bursts))
	priv.Truncated = priv.Count > int64(len(priv.Events))
	gdpr.Truncated = gdpr.Total > int64(len(gdpr.Requests))
	if want.lockout {
		attrs.Lockout = &lock
	}
	if want.privileged {
		attrs.Privileged = &priv
	}
	if want.gdpr {
		attrs.GDPR = &gdpr
	}
}

func (c *AuditLogCollector) collectWriters(info *tableInfo, attrs *AuditLogAttrs, run runFunc) {
	oid := int64(info.oid)
	w := WriterStats{Owner: info.owner, Owners: nonNil(c.log.Owners), Writers: []Writer{}}
	run(GroupWriters, "auditlog_writers", writersSQL, map[string]any{"$1": oid}, []any{oid}, func(r pgx.Rows) error {
		for r.Next() {
			var wr Writer
			var via *string
			if err := r.Scan(&wr.Role, &wr.Superuser, &wr.Privileges, &via); err != nil {
				return err
			}
			wr.Via = deref(via)
			w.Writers = append(w.Writers, wr)
		}
		return nil
	})
	run(GroupWriters, "auditlog_triggers", triggersSQL, map[string]any{"$1": oid}, []any{oid}, func(r pgx.Rows) error {
		for r.Next() {
			var t Trigger
			if err := r.Scan(&t.Name, &t.Events, &t.Enabled, &t.Definition); err != nil {
				return err
			}
			w.Triggers = append(w.Triggers, t)
		}
		return nil
	})
	attrs.Writers = &w
}

// checkGroups maps each audit-log check to the attribute group it reads.
var checkGroups = map[string]string{
	CheckRetention:         GroupExtent,
	CheckGaps:              GroupGaps,
	CheckLockout:           GroupLockout,
	CheckPrivilegedChanges: GroupPrivileged,
	CheckGDPRSLA:           GroupGDPR,
}

// blockChecks records e in the attribute group of each check, joining it to
// an error already recorded there.
func blockChecks(item *evidence.Item, checks []string, e evidence.CollectError) {
	for _, id := range checks {
		group := checkGroups[id]
		if prev, ok := item.Errors[group]; ok {
			if strings.Contains(prev.Message, e.Message) {
				continue
			}
			e2 := prev
			e2.Message = prev.Message + "; " + e.Message
			item.AddError(group, e2)
			continue
		}
		item.AddError(group, e)
	}
}

func exprOr(m map[string]string, key string) string {
	if e, ok := m[key]; ok {
		return e
	}
	return "NULL::text"
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// The statistics queries. Each bounds the table by the window on the time
// expression, so an index on the time column serves it, and compares times
// as instants: no result depends on the session's TimeZone.

// extentSQL reads the oldest and newest event of the whole table, which an
// index on the time column returns without a scan.
func extentSQL(q auditQuery) string {
	return fmt.Sprintf(`SELECT %s, %s FROM %s`, q.agg("min"), q.agg("max"), q.table)
}

// activitySQL makes one grouped pass over the window: events per UTC hour,
// type and outcome with the first and last event of each hour. Daily
// counts are sums of the hours. A gap between consecutive events in
// different hours runs from one hour's last event to the next non-empty
// hour's first event. So every gap of an hour or more is found exactly, but
// a shorter gap inside one clock hour is not listed. The stretches from the
// window's start to the first event and from the last event to the
// window's end count as gaps, so a log that starts late or stops early
// shows one at the edge. Rows of kind "day" carry counts, rows of kind
// "gap" the $3 longest gaps.
func activitySQL(q auditQuery) string {
	return fmt.Sprintf(`WITH hourly AS MATERIALIZED (
  SELECT date_trunc('hour', %[1]s AT TIME ZONE 'UTC') AS hour,
         coalesce(%[3]s, '') AS event_type, coalesce(%[4]s, '') AS outcome,
         count(*) AS n, min(%[1]s) AS first, max(%[1]s) AS last
  FROM %[2]s
  WHERE %[5]s
  GROUP BY 1, 2, 3
), hours AS (
  SELECT hour, min(first) AS first, max(last) AS last FROM hourly GROUP BY hour
), steps AS (
  SELECT lag(last) OVER (ORDER BY hour) AS gap_start, first AS gap_end FROM hours
), candidates AS (
  SELECT gap_start, gap_end FROM steps WHERE gap_start IS NOT NULL
  UNION ALL SELECT $1::timestamptz, coalesce((SELECT min(first) FROM hours), $2::timestamptz)
  UNION ALL SELECT max(last), $2::timestamptz FROM hours HAVING max(last) IS NOT NULL
), gaps AS (
  SELECT gap_start, gap_end FROM candidates
  WHERE gap_end > gap_start
  ORDER BY gap_end - gap_start DESC, gap_start
  LIMIT $3
)
SELECT 'day' AS kind, to_char(date_trunc('day', hour), 'YYYY-MM-DD') AS day, event_type, outcome,
       sum(n)::int8 AS n, NULL::timestamptz AS gap_start, NULL::timestamptz AS gap_end
FROM hourly
GROUP BY 2, 3, 4
UNION ALL
SELECT 'gap', NULL, NULL, NULL, NULL, gap_start, gap_end FROM gaps
ORDER BY 1, 2, 3, 4, 6`, q.at(), q.table, orNull(q.eventType), q.outcome, q.since("$1", "$2"))
}

// eventsSQL reads the few events the lockout, permission-change and
// data-subject statistics need in one scan of the table, from the window's
// start on, and derives all three from that set:
//
//   - Failed logins are counted per actor in a sliding window of $5. A burst
//     starts at the failure that brings the count to $6. Its lockout is the
//     same actor's first lockout event from that failure to $5 after it.
//   - Permission changes in the window are counted and the first $10 listed.
//   - Each data-subject request in the window is paired with the same
//     actor's first completion at or after it.
//
// Every row has a kind: burst, privileged and gdpr rows list items, and
// failed_logins, bursts, privileged_total and gdpr_total rows carry counts.
func eventsSQL(q auditQuery) string {
	// The row filter tests one list for most rows: $14 holds every event
	// type of interest and $15 those other than logins, so a login row
	// passes only with a failure outcome. Without configured login types
	// every event with a failure outcome counts as a failed login.
	filter := fmt.Sprintf("((%[1]s = ANY($14::text[]) AND (%[1]s = ANY($15::text[]) OR %[2]s = ANY($4::text[])))"+
		" OR (cardinality($3::text[]) = 0 AND %[2]s = ANY($4::text[])))", orNull(q.eventType), q.outcome)
	return fmt.Sprintf(`WITH events AS MATERIALIZED (
  SELECT %[3]s AS actor, %[1]s AS at, %[4]s AS event_type, %[5]s AS outcome, %[6]s AS source_ip
  FROM %[2]s
  WHERE %[7]s AND %[8]s
), failures AS (
  SELECT actor, at FROM events
  WHERE at < $2::timestamptz AND actor IS NOT NULL AND outcome = ANY($4::text[])
    AND (cardinality($3::text[]) = 0 OR event_type = ANY($3::text[]))
), lockouts AS (
  SELECT actor, at FROM events WHERE event_type = ANY($7::text[]) AND actor IS NOT NULL
), counted AS (
  SELECT actor, at, count(*) OVER (PARTITION BY actor ORDER BY at RANGE BETWEEN $5::interval PRECEDING AND CURRENT ROW) AS n
  FROM failures
), marked AS (
  SELECT actor, at, n, lag(n) OVER (PARTITION BY actor ORDER BY at) AS prev_n FROM counted
), bursts AS (
  SELECT actor, at FROM marked WHERE n >= $6 AND (prev_n IS NULL OR prev_n < $6)
), listed AS (
  SELECT b.actor, b.at,
         (SELECT min(l.at) FROM lockouts l
          WHERE l.actor = b.actor AND l.at >= b.at AND l.at <= b.at + $5::interval) AS locked_at
  FROM bursts b
), privileged AS (
  SELECT at, event_type, actor, outcome, source_ip FROM events
  WHERE event_type = ANY($9::text[]) AND at < $2::timestamptz
), requests AS (
  SELECT actor, at FROM events
  WHERE event_type = ANY($11::text[]) AND at < $2::timestamptz AND actor IS NOT NULL
), completions AS (
  SELECT actor, at FROM events WHERE event_type = ANY($12::text[]) AND actor IS NOT NULL
)
SELECT 'burst' AS kind, l.actor, l.at, l.locked_at AS at2,
       NULL::text AS event_type, NULL::text AS outcome, NULL::text AS source_ip, NULL::int8 AS n
FROM (SELECT * FROM listed ORDER BY locked_at IS NOT NULL, at, actor LIMIT $8) l
UNION ALL SELECT 'failed_logins', NULL, NULL, NULL, NULL, NULL, NULL, (SELECT count(*) FROM failures)
UNION ALL SELECT 'bursts', NULL, NULL, NULL, NULL, NULL, NULL, (SELECT count(*) FROM bursts)
UNION ALL
SELECT 'privileged', p.actor, p.at, NULL, p.event_type, p.outcome, p.source_ip, NULL
FROM (SELECT * FROM privileged ORDER BY at, event_type LIMIT $10) p
UNION ALL SELECT 'privileged_total', NULL, NULL, NULL, NULL, NULL, NULL, (SELECT count(*) FROM privileged)
UNION ALL
SELECT 'gdpr', r.actor, r.at,
       (SELECT min(c.at) FROM completions c WHERE c.actor = r.actor AND c.at >= r.at),
       NULL, NULL, NULL, NULL
FROM (SELECT * FROM requests ORDER BY at, actor LIMIT $13) r
UNION ALL SELECT 'gdpr_total', NULL, NULL, NULL, NULL, NULL, NULL, (SELECT count(*) FROM requests)`,
		q.at(), q.table, orNull(q.actor), orNull(q.eventType), q.outcome, q.sourceIP, q.since("$1", ""), filter)
}

func orNull(expr string) string {
	if expr == "" {
		return "NULL::text"
	}
	return expr
}

// writersSQL lists login roles that can UPDATE, DELETE or TRUNCATE the table.
// has_table_privilege finds the roles that hold or inherit a privilege, and
// it covers ownership and pg_write_all_data too. A login role that can only
// SET ROLE to such a role is listed with that role in the last column.
const writersSQL = `WITH privs AS (
  SELECT r.oid, r.rolname, r.rolsuper, r.rolcanlogin,
         array_remove(ARRAY[
           CASE WHEN has_table_privilege(r.oid, $1::oid, 'UPDATE') THEN 'UPDATE' END,
           CASE WHEN has_table_privilege(r.oid, $1::oid, 'DELETE') THEN 'DELETE' END,
           CASE WHEN has_table_privilege(r.oid, $1::oid, 'TRUNCATE') THEN 'TRUNCATE' END], NULL) AS p
  FROM pg_roles r
), holders AS (
  SELECT * FROM privs WHERE cardinality(p) > 0
)
SELECT h.rolname::text, h.rolsuper, h.p, NULL::text
FROM holders h WHERE h.rolcanlogin
UNION ALL
SELECT m.rolname::text, m.rolsuper, h.p, h.rolname::text
FROM pg_roles m
JOIN holders h ON m.oid <> h.oid AND pg_has_role(m.oid, h.oid, 'MEMBER')
WHERE m.rolcanlogin
  AND NOT EXISTS (SELECT 1 FROM holders d WHERE d.oid = m.oid AND d.p @> h.p)
ORDER BY 1, 4 NULLS FIRST`

// triggersSQL lists user triggers that fire on UPDATE, DELETE or TRUNCATE;
// tgtype bits 8, 16 and 32 are DELETE, UPDATE and TRUNCATE.
const triggersSQL = `SELECT tgname::text,
       array_remove(ARRAY[
         CASE WHEN tgtype & 16 <> 0 THEN 'UPDATE' END,
         CASE WHEN tgtype & 8 <> 0 THEN 'DELETE' END,
         CASE WHEN tgtype & 32 <> 0 THEN 'TRUNCATE' END], NULL),
       tgenabled <> 'D',
       pg_get_triggerdef(oid)
FROM pg_trigger
WHERE tgrelid = $1::oid AND NOT tgisinternal AND tgtype & (8 | 16 | 32) <> 0
ORDER BY tgname`
