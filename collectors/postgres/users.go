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

// UsersCollector reads the active users of an application's user table:
// e-mail, role, status, last login and MFA flag, by the configured columns.
type UsersCollector struct {
	t     target
	users config.Users
}

var _ collectors.Collector = (*UsersCollector)(nil)

// ID returns "postgres.users".
func (c *UsersCollector) ID() string { return "postgres.users" }

// Scope returns the database address.
func (c *UsersCollector) Scope() string { return c.t.base() }

// Kinds returns the application-user kind.
func (c *UsersCollector) Kinds() []string { return []string{KindAppUsers} }

// Collect reads the users table. A missing table or a missing e-mail or
// status column is a failure of the table. A missing role, MFA or last-login
// column is an error of the checks that read it.
func (c *UsersCollector) Collect(ctx context.Context, req collectors.Request, sink evidence.Sink) error {
	if !req.Wants(CheckAdminMFA, CheckInactive, CheckTerminatedActive) {
		return nil
	}
	name, err := ParseQualifiedName(c.users.Table)
	if err != nil {
		return err
	}
	s, err := connect(ctx, c.t)
	if err != nil {
		return err
	}
	defer s.close(ctx)

	fail := func(scope string, op string, err error) {
		sink.Fail(evidence.Failure{
			Collector: c.ID(), Scope: scope, Kinds: c.Kinds(),
			Error: collectError(op, err, c.t.password), Time: time.Now().UTC(),
		})
	}
	info, provTable, err := s.describeTable(ctx, "users_table", name)
	if err != nil {
		fail(tableResource(c.t, name), "users_table", err)
		return nil
	}
	resource := tableResource(c.t, info.name)
	item := evidence.MustItem(KindAppUsers, c.ID(), resource, nil)
	item.Provenance = append(item.Provenance, provTable)

	col := func(key string) (string, string, bool) {
		n := columnName(c.users.Columns[key])
		if n == "" {
			n = key
		}
		typ, ok := info.columns[n]
		return n, typ, ok
	}
	for _, key := range []string{"email", "status"} {
		if n, _, ok := col(key); !ok {
			fail(resource, "users_table", &notFoundError{what: fmt.Sprintf("column %s of table %s (users.columns.%s)", quoteIdent(n), info.name.Sanitize(), key)})
			return nil
		}
	}
	emailCol, _, _ := col("email")
	statusCol, _, _ := col("status")
	exprs := []string{"", quoteIdent(emailCol) + "::text", "", quoteIdent(statusCol) + "::text", "", ""}
	if n, _, ok := col("id"); ok {
		exprs[0] = quoteIdent(n) + "::text"
	} else {
		exprs[0] = "NULL::text"
	}
	missing := func(group, key string) {
		n, _, _ := col(key)
		item.AddError(group, collectError("users", &notFoundError{what: fmt.Sprintf("column %s of table %s (users.columns.%s)", quoteIdent(n), info.name.Sanitize(), key)}, ""))
	}
	if n, _, ok := col("role"); ok {
		exprs[2] = quoteIdent(n) + "::text"
	} else {
		exprs[2] = "NULL::text"
		missing(GroupMFA, "role")
	}
	attrs := AppUsersAttrs{
		Source: s.source(), Table: info.name.String(),
		ActiveStatuses: nonNil(c.users.ActiveStatuses), AdminRoles: nonNil(c.users.AdminRoles),
		Active: []AppUser{},
	}
	if n, typ, ok := col("last_login"); ok {
		var expr string
		expr, attrs.LastLoginZone, err = timeExpr(quoteIdent(n), typ, "")
		if err != nil {
			exprs[4] = "NULL::timestamptz"
			item.AddError(GroupLastLogin, collectError("users", err, ""))
		} else {
			exprs[4] = expr
		}
	} else {
		exprs[4] = "NULL::timestamptz"
		missing(GroupLastLogin, "last_login")
	}
	if n, _, ok := col("mfa"); ok {
		exprs[5] = quoteIdent(n) + "::text"
	} else {
		exprs[5] = "NULL::text"
		if _, ok := item.Errors[GroupMFA]; !ok {
			missing(GroupMFA, "mfa")
		}
	}

	sql := fmt.Sprintf(`SELECT %s, count(*) OVER () FROM %s WHERE %s::text = ANY($1) ORDER BY 2, 1`,
		strings.Join(exprs, ", "), info.name.Sanitize(), quoteIdent(statusCol))
	if len(attrs.ActiveStatuses) == 0 {
		attrs.ActiveStatuses = []string{"active"}
	}
	prov, err := s.query(ctx, "users", sql, map[string]any{"$1": attrs.ActiveStatuses}, []any{attrs.ActiveStatuses}, func(r pgx.Rows) error {
		for r.Next() {
			var u AppUser
			var id, role, mfa *string
			var n int64
			if err := r.Scan(&id, &u.Email, &role, &u.Status, &u.LastLogin, &mfa, &n); err != nil {
				return err
			}
			if id != nil {
				u.ID = *id
			}
			if role != nil {
				u.Role = *role
			}
			if u.LastLogin != nil {
				t := u.LastLogin.UTC()
				u.LastLogin = &t
			}
			if mfa != nil {
				b := truthy(*mfa)
				u.MFA = &b
			}
			attrs.Active = append(attrs.Active, u)
		}
		return nil
	})
	item.Provenance = append(item.Provenance, prov)
	if err != nil {
		fail(resource, "users", err)
		return nil
	}
	countSQL := fmt.Sprintf(`SELECT count(*) FROM %s`, info.name.Sanitize())
	prov, err = s.query(ctx, "users_count", countSQL, nil, nil, func(r pgx.Rows) error {
		for r.Next() {
			if err := r.Scan(&attrs.TotalUsers); err != nil {
				return err
			}
		}
		return nil
	})
	item.Provenance = append(item.Provenance, prov)
	if err != nil {
		item.AddError(GroupUsers, collectError("users_count", err, c.t.password))
	}
	sort.SliceStable(attrs.Active, func(i, j int) bool { return attrs.Active[i].Email < attrs.Active[j].Email })
	if err := item.SetAttributes(attrs); err != nil {
		return err
	}
	sink.Add(item)
	return nil
}

// truthy reads a boolean stored as boolean, number or text.
func truthy(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "t", "true", "1", "yes", "y", "on":
		return true
	}
	return false
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// timeExpr returns an SQL expression of type timestamptz for a column. A
// timestamp-without-time-zone column is read in zone, or in UTC with the
// ZoneUnknown label when zone is empty. The second result is the zone label,
// empty for timestamptz.
func timeExpr(quotedCol, sqlType, zone string) (string, string, error) {
	switch sqlType {
	case "timestamp with time zone":
		return quotedCol, "", nil
	case "timestamp without time zone":
		if zone == "" {
			return fmt.Sprintf("(%s AT TIME ZONE 'UTC')", quotedCol), ZoneUnknown, nil
		}
		if _, err := time.LoadLocation(zone); err != nil {
			return "", "", fmt.Errorf("invalid time_zone %q: use an IANA zone name such as Europe/Berlin", zone)
		}
		return fmt.Sprintf("(%s AT TIME ZONE %s)", quotedCol, quoteLiteral(zone)), zone, nil
	case "date":
		return fmt.Sprintf("(%s::timestamp AT TIME ZONE 'UTC')", quotedCol), ZoneUnknown, nil
	}
	return "", "", fmt.Errorf("column %s has type %s; a time column must be timestamptz, timestamp or date", quotedCol, sqlType)
}
