package doctor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	pgcollect "github.com/auditpack/auditpack/collectors/postgres"
	"github.com/auditpack/auditpack/internal/config"
)

// connectTimeout bounds a connection attempt when the DSN sets no
// connect_timeout, as the collectors do.
const connectTimeout = 15 * time.Second

// configuredTable is a table the configuration names, with its columns by
// role ("time" → "createdAt").
type configuredTable struct {
	key     string // "audit_log" or "users"
	name    string
	columns map[string]string
}

// checkPostgres checks one configured database: the connection, a
// read-only session, and the configured tables and columns.
func checkPostgres(ctx context.Context, pc config.Postgres, getenv func(string) string) Result {
	r := Result{Target: "postgres " + pc.Name}
	dsn := getenv(pc.DSNEnv)
	if dsn == "" {
		r.Problems = append(r.Problems, fmt.Sprintf("environment variable %s (dsn_env) is not set; export the connection string", pc.DSNEnv))
		return r
	}
	cc, err := pgx.ParseConfig(dsn)
	if err != nil {
		// The parser's message can quote the DSN, password included.
		r.Problems = append(r.Problems, fmt.Sprintf("the connection string in %s is not valid; use postgres://USER:PASSWORD@HOST:PORT/DB", pc.DSNEnv))
		return r
	}
	r.Target += " (postgres://" + net.JoinHostPort(cc.Host, strconv.Itoa(int(cc.Port))) + "/" + cc.Database + ")"
	secret := cc.Password
	scrub := func(err error) string {
		msg := err.Error()
		if secret != "" {
			msg = strings.ReplaceAll(msg, secret, "[redacted]")
		}
		return msg
	}

	timeout := pc.StatementTimeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	cc.RuntimeParams["application_name"] = pgcollect.ApplicationName
	cc.RuntimeParams["statement_timeout"] = strconv.FormatInt(timeout.Milliseconds(), 10)
	if cc.ConnectTimeout == 0 {
		cc.ConnectTimeout = connectTimeout
	}
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		r.Problems = append(r.Problems, "connect failed: "+scrub(err))
		return r
	}
	defer conn.Close(ctx)
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		r.Problems = append(r.Problems, "begin read-only transaction failed: "+scrub(err))
		return r
	}
	defer tx.Rollback(ctx)

	var role, readOnly string
	var super bool
	err = tx.QueryRow(ctx, `SELECT current_user::text, current_setting('transaction_read_only'), coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false)`).Scan(&role, &readOnly, &super)
	if err != nil {
		r.Problems = append(r.Problems, "read session identity failed: "+scrub(err))
		return r
	}
	if readOnly != "on" {
		r.Problems = append(r.Problems, fmt.Sprintf("the session of role %s is not read-only (transaction_read_only = %s); connect to the server directly, not through a pooler that drops transaction settings", role, readOnly))
	} else {
		r.Confirmed = append(r.Confirmed, "connected as "+role+", read-only")
	}
	if super {
		r.Warnings = append(r.Warnings, fmt.Sprintf("role %s is a superuser; create a read-only role with 'auditpack permissions postgres'", role))
	}

	var tables []configuredTable
	if al := pc.AuditLog; al != nil && al.Table != "" {
		tables = append(tables, configuredTable{"audit_log", al.Table, al.Columns})
	}
	if u := pc.Users; u != nil && u.Table != "" {
		tables = append(tables, configuredTable{"users", u.Table, u.Columns})
	}
	for i, t := range tables {
		problems := checkTable(ctx, tx, i, t, scrub)
		if len(problems) > 0 {
			r.Problems = append(r.Problems, problems...)
			continue
		}
		r.Confirmed = append(r.Confirmed, fmt.Sprintf("%s.table %s readable", t.key, t.name))
	}
	return r
}

// columnsSQL reads a table's columns from pg_attribute rather than
// information_schema.columns, which hides columns the role has no privilege
// on and would report an unreadable column as missing.
const columnsSQL = `SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped`

// checkTable checks that a configured table exists, has every configured
// column, and that the role can SELECT those columns. Each query runs in a
// savepoint so that a failure leaves the transaction usable.
func checkTable(ctx context.Context, tx pgx.Tx, n int, t configuredTable, scrub func(error) string) []string {
	q, err := pgcollect.ParseQualifiedName(t.name)
	if err != nil {
		return []string{fmt.Sprintf("%s.table: %v", t.key, err)}
	}
	sp := "auditpack_doctor_" + strconv.Itoa(n)
	if _, err := tx.Exec(ctx, "SAVEPOINT "+sp); err != nil {
		return []string{"savepoint failed: " + scrub(err)}
	}
	problems := func() []string {
		var oid *uint32
		if err := tx.QueryRow(ctx, "SELECT to_regclass($1)::oid", q.Sanitize()).Scan(&oid); err != nil {
			return []string{fmt.Sprintf("%s.table %s: lookup failed: %s", t.key, t.name, scrub(err))}
		}
		if oid == nil {
			return []string{fmt.Sprintf("%s.table %s not found (or its schema is not readable); check the name and GRANT USAGE on the schema", t.key, t.name)}
		}
		rows, err := tx.Query(ctx, columnsSQL, *oid)
		if err != nil {
			return []string{fmt.Sprintf("%s.table %s: reading its columns failed: %s", t.key, t.name, scrub(err))}
		}
		present, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return []string{fmt.Sprintf("%s.table %s: reading its columns failed: %s", t.key, t.name, scrub(err))}
		}
		have := map[string]bool{}
		for _, c := range present {
			have[c] = true
		}
		var out []string
		var quoted []string
		for _, roleName := range sortedKeys(t.columns) {
			col := columnName(t.columns[roleName])
			if !have[col] {
				out = append(out, fmt.Sprintf("column %q (%s.columns.%s) not found in table %s", col, t.key, roleName, t.name))
				continue
			}
			quoted = append(quoted, pgx.Identifier{col}.Sanitize())
		}
		if len(out) > 0 {
			return out
		}
		sel := "*"
		if len(quoted) > 0 {
			sel = strings.Join(quoted, ", ")
		}
		if _, err := tx.Exec(ctx, fmt.Sprintf("SELECT %s FROM %s LIMIT 0", sel, q.Sanitize())); err != nil {
			msg := fmt.Sprintf("%s.table %s is not readable: %s", t.key, t.name, scrub(err))
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.Code == "42501" {
				msg += "; GRANT SELECT on it (see auditpack permissions postgres)"
			}
			return []string{msg}
		}
		return nil
	}()
	if len(problems) > 0 {
		if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT "+sp); err != nil {
			problems = append(problems, "rollback to savepoint failed: "+scrub(err))
		}
		return problems
	}
	if _, err := tx.Exec(ctx, "RELEASE SAVEPOINT "+sp); err != nil {
		return []string{"release savepoint failed: " + scrub(err)}
	}
	return nil
}

// columnName reads a configured column name the way the collectors do:
// exactly as written, with surrounding double quotes removed.
func columnName(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && strings.HasPrefix(s, `"`) && strings.HasSuffix(s, `"`) {
		s = strings.ReplaceAll(s[1:len(s)-1], `""`, `"`)
	}
	return s
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
