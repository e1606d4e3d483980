// Package postgres collects evidence from PostgreSQL databases: server TLS,
// password and logging settings, roles and their effective privileges, an
// application's users and statistics of its audit-log table. Every session
// is read-only, has a statement timeout and the application name auditpack.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/internal/config"
)

// ApplicationName is the application_name of every session.
const ApplicationName = "auditpack"

// defaultConnectTimeout bounds a connection attempt when the DSN sets no
// connect_timeout.
const defaultConnectTimeout = 15 * time.Second

// target is one configured database reached through one host.
type target struct {
	cfg      config.Postgres
	dsn      string
	password string
	host     string
	port     uint16
	database string
	// hostOnly pins the connection to host and port instead of letting pgx
	// fall back to the DSN's other hosts.
	hostOnly bool
}

// base returns the resource id of the database: postgres://HOST:PORT/DB.
func (t target) base() string {
	return "postgres://" + t.endpoint()
}

// endpoint returns host:port/db, the address shown in provenance.
func (t target) endpoint() string {
	return net.JoinHostPort(t.host, strconv.Itoa(int(t.port))) + "/" + t.database
}

// parseTargets reads the DSN of a configured database. It returns one target
// per host when perHost is set (a DSN may list a primary and replicas), and
// only the first host otherwise.
func parseTargets(pc config.Postgres, dsn string, perHost bool) ([]target, error) {
	if dsn == "" {
		return nil, fmt.Errorf("postgres database %q: environment variable %s is empty or not set; set it to the database URL", pc.Name, pc.DSNEnv)
	}
	cc, err := pgx.ParseConfig(dsn)
	if err != nil {
		// The parser's message can quote the DSN, password included.
		return nil, fmt.Errorf("postgres database %q: the URL in %s could not be parsed; check its syntax", pc.Name, pc.DSNEnv)
	}
	first := target{cfg: pc, dsn: dsn, password: cc.Password, host: cc.Host, port: cc.Port, database: cc.Database}
	if !perHost {
		return []target{first}, nil
	}
	out := []target{first}
	seen := map[string]bool{first.host + ":" + strconv.Itoa(int(first.port)): true}
	for _, fb := range cc.Fallbacks {
		key := fb.Host + ":" + strconv.Itoa(int(fb.Port))
		if seen[key] {
			continue
		}
		seen[key] = true
		t := first
		t.host, t.port = fb.Host, fb.Port
		out = append(out, t)
	}
	if len(out) > 1 {
		for i := range out {
			out[i].hostOnly = true
		}
	}
	return out, nil
}

// session is one read-only transaction on a database.
type session struct {
	t       target
	conn    *pgx.Conn
	tx      pgx.Tx
	role    string
	version string
	// versionNum is server_version_num, such as 150010.
	versionNum int
	savepoint  int
}

// connect opens a session: application name auditpack, the configured
// statement timeout, and a READ ONLY transaction.
func connect(ctx context.Context, t target) (*session, error) {
	cc, err := pgx.ParseConfig(t.dsn)
	if err != nil {
		return nil, fmt.Errorf("the URL of postgres database %q could not be parsed", t.cfg.Name)
	}
	if t.hostOnly {
		var keep []*pgconn.FallbackConfig
		for _, fb := range append([]*pgconn.FallbackConfig{{Host: cc.Host, Port: cc.Port, TLSConfig: cc.TLSConfig}}, cc.Fallbacks...) {
			if fb.Host == t.host && fb.Port == t.port {
				keep = append(keep, fb)
			}
		}
		cc.Host, cc.Port, cc.TLSConfig = keep[0].Host, keep[0].Port, keep[0].TLSConfig
		cc.Fallbacks = keep[1:]
	}

	timeout := t.cfg.StatementTimeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	cc.RuntimeParams["application_name"] = ApplicationName
	cc.RuntimeParams["statement_timeout"] = strconv.FormatInt(timeout.Milliseconds(), 10)
	if cc.ConnectTimeout == 0 {
		cc.ConnectTimeout = defaultConnectTimeout
	}

	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return nil, &dbError{op: "connect", err: err, secret: t.password, object: t.endpoint()}
	}
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		conn.Close(ctx)
		return nil, &dbError{op: "begin read-only transaction", err: err, secret: t.password, object: t.endpoint()}
	}

	s := &session{t: t, conn: conn, tx: tx}
	var num string
	err = tx.QueryRow(ctx, "SELECT current_user::text, current_setting('server_version'), current_setting('server_version_num')").Scan(&s.role, &s.version, &num)
	if err != nil {
		s.close(ctx)
		return nil, &dbError{op: "read session identity", err: err, secret: t.password, object: t.endpoint()}
	}
	s.versionNum, _ = strconv.Atoi(num)
	return s, nil
}

func (s *session) close(ctx context.Context) {
	if s.tx != nil {
		s.tx.Rollback(ctx)
	}
	s.conn.Close(ctx)
}

// source returns the Source block of items from this session.
func (s *session) source() Source {
	return Source{
		Endpoint:      s.t.endpoint(),
		Database:      s.t.database,
		Role:          s.role,
		ServerVersion: s.version,
		CollectedAt:   time.Now().UTC().Truncate(time.Second),
	}
}

// query runs one statement inside a savepoint, so a failed statement (a
// missing column, a permission error, a statement timeout) leaves the
// transaction usable for the next one. It returns the provenance record.
func (s *session) query(ctx context.Context, op, sql string, params map[string]any, args []any, scan func(pgx.Rows) error) (evidence.Provenance, error) {
	s.savepoint++
	sp := "auditpack_" + strconv.Itoa(s.savepoint)
	prov := evidence.Provenance{
		Operation:     "postgres:" + op,
		SQL:           sql,
		Parameters:    params,
		Endpoint:      s.t.endpoint(),
		Identity:      s.role,
		ServerVersion: s.version,
		Attempts:      1,
	}
	if _, err := s.tx.Exec(ctx, "SAVEPOINT "+sp); err != nil {
		prov.Time = time.Now().UTC()
		return prov, &dbError{op: op, err: err, secret: s.t.password}
	}
	err := func() error {
		rows, err := s.tx.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		if err := scan(rows); err != nil {
			return err
		}
		rows.Close()
		return rows.Err()
	}()
	prov.Time = time.Now().UTC()
	if err != nil {
		if _, rbErr := s.tx.Exec(ctx, "ROLLBACK TO SAVEPOINT "+sp); rbErr != nil {
			return prov, &dbError{op: op, err: errors.Join(err, rbErr), secret: s.t.password}
		}
		return prov, &dbError{op: op, err: err, secret: s.t.password}
	}
	if _, err := s.tx.Exec(ctx, "RELEASE SAVEPOINT "+sp); err != nil {
		return prov, &dbError{op: op, err: err, secret: s.t.password}
	}
	return prov, nil
}

// dbError is a failed database operation with a short class for findings.
type dbError struct {
	op     string
	object string
	err    error
	secret string
}

func (e *dbError) Error() string {
	msg := e.err.Error()
	if e.object != "" {
		msg = e.object + ": " + msg
	}
	return e.op + ": " + scrub(msg, e.secret)
}

func (e *dbError) Unwrap() error { return e.err }

// ErrorCode classifies the error: timeout, not_found, permission_denied,
// connection, or the SQLSTATE.
func (e *dbError) ErrorCode() string { return errorCode(e.err) }

func errorCode(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "57014":
			return "timeout"
		case "42P01", "42703", "3F000", "42883":
			return "not_found"
		case "42501":
			return "permission_denied"
		case "28P01", "28000":
			return "authentication_failed"
		}
		return "sqlstate_" + pgErr.Code
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		return "connection"
	}
	return ""
}

// collectError turns an error into the record stored with evidence, with any
// password removed.
func collectError(op string, err error, secret string) evidence.CollectError {
	return evidence.CollectError{
		Operation: "postgres:" + op,
		Code:      errorCode(err),
		Message:   scrub(rootMessage(err), secret),
	}
}

// rootMessage returns the message of a dbError without its operation prefix.
func rootMessage(err error) string {
	var de *dbError
	if errors.As(err, &de) {
		msg := de.err.Error()
		if de.object != "" {
			msg = de.object + ": " + msg
		}
		return msg
	}
	return err.Error()
}

// scrub removes a password from a message.
func scrub(msg, secret string) string {
	if secret == "" {
		return msg
	}
	return strings.ReplaceAll(msg, secret, "[redacted]")
}

// QualifiedName is a schema-qualified table name as configured.
type QualifiedName struct {
	Schema string
	Name   string
}

// ParseQualifiedName reads a table name the way PostgreSQL does. Parts are
// separated by a dot. A part in double quotes keeps its case and may contain
// dots, with "" for a quote character. An unquoted part is folded to lower
// case. `public."AuditLogs"` is schema public, table AuditLogs. Without a
// schema, Schema is empty and the search path decides.
func ParseQualifiedName(s string) (QualifiedName, error) {
	var parts []string
	var cur strings.Builder
	inQuote, quoted := false, false
	flush := func() error {
		part := cur.String()
		if !quoted {
			part = strings.ToLower(strings.TrimSpace(part))
		}
		if part == "" {
			return fmt.Errorf("invalid table name %q: empty name part", s)
		}
		parts = append(parts, part)
		cur.Reset()
		quoted = false
		return nil
	}
	rs := []rune(strings.TrimSpace(s))
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case inQuote && r == '"' && i+1 < len(rs) && rs[i+1] == '"':
			cur.WriteRune('"')
			i++
		case r == '"':
			inQuote = !inQuote
			quoted = true
		case r == '.' && !inQuote:
			if err := flush(); err != nil {
				return QualifiedName{}, err
			}
		default:
			cur.WriteRune(r)
		}
	}
	if inQuote {
		return QualifiedName{}, fmt.Errorf("invalid table name %q: unterminated double quote", s)
	}
	if err := flush(); err != nil {
		return QualifiedName{}, err
	}
	switch len(parts) {
	case 1:
		return QualifiedName{Name: parts[0]}, nil
	case 2:
		return QualifiedName{Schema: parts[0], Name: parts[1]}, nil
	}
	return QualifiedName{}, fmt.Errorf("invalid table name %q: use TABLE or SCHEMA.TABLE", s)
}

// Sanitize returns the name quoted as an SQL identifier.
func (q QualifiedName) Sanitize() string {
	if q.Schema == "" {
		return pgx.Identifier{q.Name}.Sanitize()
	}
	return pgx.Identifier{q.Schema, q.Name}.Sanitize()
}

// String returns SCHEMA.TABLE unquoted, as resource ids show it.
func (q QualifiedName) String() string {
	if q.Schema == "" {
		return q.Name
	}
	return q.Schema + "." + q.Name
}

// columnName reads a configured column name. Column names are taken
// exactly as written (createdAt stays createdAt), and surrounding double
// quotes are removed.
func columnName(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && strings.HasPrefix(s, `"`) && strings.HasSuffix(s, `"`) {
		s = strings.ReplaceAll(s[1:len(s)-1], `""`, `"`)
	}
	return s
}

func quoteIdent(name string) string { return pgx.Identifier{name}.Sanitize() }

// quoteLiteral returns s as an SQL string literal.
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// tableInfo is a resolved table with the types of its columns.
type tableInfo struct {
	oid     uint32
	name    QualifiedName
	owner   string
	columns map[string]string
}

const tableInfoSQL = `SELECT c.oid::int8, n.nspname::text, c.relname::text, pg_get_userbyid(c.relowner)::text,
       coalesce(array_agg(a.attname::text ORDER BY a.attnum) FILTER (WHERE a.attnum > 0 AND NOT a.attisdropped), '{}'),
       coalesce(array_agg(format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum) FILTER (WHERE a.attnum > 0 AND NOT a.attisdropped), '{}')
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid
WHERE c.oid = to_regclass($1)
GROUP BY c.oid, n.nspname, c.relname, c.relowner`

// errTableMissing reports a configured table that does not exist.
type notFoundError struct{ what string }

func (e *notFoundError) Error() string     { return e.what + " does not exist" }
func (e *notFoundError) ErrorCode() string { return "not_found" }

// describeTable resolves a configured table and reads its column types.
func (s *session) describeTable(ctx context.Context, op string, name QualifiedName) (*tableInfo, evidence.Provenance, error) {
	var info *tableInfo
	prov, err := s.query(ctx, op, tableInfoSQL, map[string]any{"$1": name.Sanitize()}, []any{name.Sanitize()}, func(rows pgx.Rows) error {
		for rows.Next() {
			var oid int64
			var schema, table, owner string
			var cols, types []string
			if err := rows.Scan(&oid, &schema, &table, &owner, &cols, &types); err != nil {
				return err
			}
			info = &tableInfo{oid: uint32(oid), name: QualifiedName{Schema: schema, Name: table}, owner: owner, columns: map[string]string{}}
			for i, c := range cols {
				info.columns[c] = types[i]
			}
		}
		return nil
	})
	if err != nil {
		return nil, prov, err
	}
	if info == nil {
		return nil, prov, &notFoundError{what: fmt.Sprintf("table %s (configured as %s)", name.String(), name.Sanitize())}
	}
	return info, prov, nil
}

// tableResource returns the resource id of a table.
func tableResource(t target, name QualifiedName) string {
	if name.Schema == "" {
		name.Schema = "public"
	}
	return t.base() + "/tables/" + name.String()
}
