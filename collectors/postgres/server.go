package postgres

import (
	"context"
	"log/slog"

	"github.com/jackc/pgx/v5"

	"github.com/auditpack/auditpack/collectors"
	"github.com/auditpack/auditpack/evidence"
)

// Check ids whose evidence the collectors produce; a collector runs only
// the queries of selected checks.
const (
	CheckSSLRequired        = "postgres.server.ssl_required"
	CheckPasswordEncryption = "postgres.server.password_encryption"
	CheckTLSMinVersion      = "postgres.server.tls_min_version"
	CheckConnectionLogging  = "postgres.server.connection_logging"
	CheckSuperusers         = "postgres.roles.superusers"
	CheckPasswordExpiry     = "postgres.roles.password_expiry"
	CheckAdminMFA           = "postgres.users.admin_mfa"
	CheckInactive           = "postgres.users.inactive"
	CheckTerminatedActive   = "postgres.users.terminated_active"
	CheckRetention          = "postgres.auditlog.retention"
	CheckGaps               = "postgres.auditlog.gaps"
	CheckImmutable          = "postgres.auditlog.immutable"
	CheckLockout            = "postgres.auditlog.lockout"
	CheckPrivilegedChanges  = "postgres.auditlog.privileged_changes"
	CheckGDPRSLA            = "postgres.auditlog.gdpr_sla"
)

// serverSettings are the pg_settings rows the server checks read.
var serverSettings = []string{
	"log_connections", "log_disconnections", "password_encryption",
	"ssl", "ssl_max_protocol_version", "ssl_min_protocol_version",
}

const (
	settingsSQL   = `SELECT name::text, setting::text FROM pg_settings WHERE name = ANY($1) ORDER BY name`
	forceSSLSQL   = `SELECT nullif(current_setting('rds.force_ssl', true), '')`
	hbaRulesSQL   = `SELECT line_number, type, coalesce(database, '{}'), coalesce(user_name, '{}'), coalesce(address, ''), coalesce(netmask, ''), coalesce(auth_method, ''), coalesce(error, '') FROM pg_hba_file_rules ORDER BY line_number`
	sessionSSLSQL = `SELECT ssl, coalesce(version, ''), coalesce(cipher, '') FROM pg_stat_ssl WHERE pid = pg_backend_pid()`
)

// ServerCollector reads the TLS, password and connection-logging settings of
// one server. A DSN with several hosts gives one collector per host, because
// a primary and its replicas can be configured differently.
type ServerCollector struct {
	t target
}

var _ collectors.Collector = (*ServerCollector)(nil)

// ID returns "postgres.server".
func (c *ServerCollector) ID() string { return "postgres.server" }

// Scope returns the database address.
func (c *ServerCollector) Scope() string { return c.t.base() }

// Kinds returns the server kind.
func (c *ServerCollector) Kinds() []string { return []string{KindServer} }

// Collect reads the settings the selected checks need.
func (c *ServerCollector) Collect(ctx context.Context, req collectors.Request, sink evidence.Sink) error {
	if !req.Wants(CheckSSLRequired, CheckPasswordEncryption, CheckTLSMinVersion, CheckConnectionLogging) {
		return nil
	}
	s, err := connect(ctx, c.t)
	if err != nil {
		return err
	}
	defer s.close(ctx)

	item := evidence.MustItem(KindServer, c.ID(), c.t.base(), nil)
	attrs := ServerAttrs{Source: s.source(), Host: c.t.host, Port: int(c.t.port), Settings: map[string]string{}}

	rows := [][2]string{}
	prov, err := s.query(ctx, "server_settings", settingsSQL, map[string]any{"$1": serverSettings}, []any{serverSettings}, func(r pgx.Rows) error {
		for r.Next() {
			var name, value string
			if err := r.Scan(&name, &value); err != nil {
				return err
			}
			attrs.Settings[name] = value
			rows = append(rows, [2]string{name, value})
		}
		return nil
	})
	item.Provenance = append(item.Provenance, prov)
	if err != nil {
		item.AddError(GroupSettings, collectError("server_settings", err, c.t.password))
	} else {
		item.AddRaw("server_settings", rows)
	}

	if req.Wants(CheckSSLRequired) {
		c.collectTLSEnforcement(ctx, s, item, &attrs, req.Logger)
	}

	if err := item.SetAttributes(attrs); err != nil {
		return err
	}
	sink.Add(item)
	return nil
}

// collectTLSEnforcement reads rds.force_ssl, the pg_hba rules and the
// session's own TLS state.
func (c *ServerCollector) collectTLSEnforcement(ctx context.Context, s *session, item *evidence.Item, attrs *ServerAttrs, logger *slog.Logger) {
	prov, err := s.query(ctx, "server_force_ssl", forceSSLSQL, nil, nil, func(r pgx.Rows) error {
		for r.Next() {
			var v *string
			if err := r.Scan(&v); err != nil {
				return err
			}
			attrs.ForceSSL = v
		}
		return nil
	})
	item.Provenance = append(item.Provenance, prov)
	if err != nil {
		item.AddError(GroupSettings, collectError("server_force_ssl", err, c.t.password))
	}

	var rules []HBARule
	prov, err = s.query(ctx, "server_hba_rules", hbaRulesSQL, nil, nil, func(r pgx.Rows) error {
		for r.Next() {
			var h HBARule
			if err := r.Scan(&h.Line, &h.Type, &h.Databases, &h.Users, &h.Address, &h.Netmask, &h.AuthMethod, &h.Error); err != nil {
				return err
			}
			rules = append(rules, h)
		}
		return nil
	})
	item.Provenance = append(item.Provenance, prov)
	if err != nil {
		item.AddError(GroupHBA, collectError("server_hba_rules", err, c.t.password))
	} else {
		if rules == nil {
			rules = []HBARule{}
		}
		attrs.HBARules = rules
		item.AddRaw("server_hba_rules", rules)
	}

	prov, err = s.query(ctx, "server_session_ssl", sessionSSLSQL, nil, nil, func(r pgx.Rows) error {
		for r.Next() {
			var st SessionSSL
			if err := r.Scan(&st.SSL, &st.Version, &st.Cipher); err != nil {
				return err
			}
			attrs.SessionSSL = &st
		}
		return nil
	})
	item.Provenance = append(item.Provenance, prov)
	if err != nil {
		item.AddError(GroupSessionSSL, collectError("server_session_ssl", err, c.t.password))
		return
	}
	if logger != nil && attrs.SessionSSL != nil {
		// The session's own encryption shows only that TLS is available,
		// so it is logged as context and never used as proof.
		logger.Info("postgres session encryption (context only)", "endpoint", c.t.endpoint(),
			"tls", attrs.SessionSSL.SSL, "version", attrs.SessionSSL.Version)
	}
}
