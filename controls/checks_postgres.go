package controls

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/auditpack/auditpack/collectors/files"
	pg "github.com/auditpack/auditpack/collectors/postgres"
	"github.com/auditpack/auditpack/evidence"
)

var postgresChecks = []*Check{
	pgSSLRequired,
	pgPasswordEncryption,
	pgTLSMinVersion,
	pgConnectionLogging,
	pgSuperusers,
	pgPasswordExpiry,
	pgAdminMFA,
	pgInactiveUsers,
	pgTerminatedActive,
	pgAuditRetention,
	pgAuditGaps,
	pgAuditImmutable,
	pgAuditLockout,
	pgAuditPrivilegedChanges,
	pgAuditGDPRSLA,
}

var pgSSLRequired = &Check{
	ID:       pg.CheckSSLRequired,
	Title:    "PostgreSQL requires TLS for every non-local connection",
	Severity: SeverityHigh,
	Criteria: []string{"CC6.1", "CC6.7"},
	Description: "Passes when rds.force_ssl is on, or when every non-local pg_hba rule is hostssl, hostgssenc " +
		"or reject. ssl = on only makes TLS available, so a plain host or hostnossl rule fails. When pg_hba_file_rules " +
		"cannot be read (it needs a superuser) and nothing else proves enforcement, a server with ssl on is review. " +
		"auditpack's own encrypted session is shown as context, never as proof. Each host is judged on its own. " +
		"CC6.7 asks for data in transit to be protected; CC6.1 covers securing logical access to the database.",
	Collectors: []string{"postgres.server"},
	Kinds:      []string{pg.KindServer},
	Calls:      []string{"server_settings", "server_force_ssl", "server_hba_rules", "server_session_ssl"},
	Evaluate:   evalSSLRequired,
}

var pgPasswordEncryption = &Check{
	ID:       pg.CheckPasswordEncryption,
	Title:    "PostgreSQL hashes new passwords with SCRAM-SHA-256",
	Severity: SeverityMedium,
	Criteria: []string{"CC6.1"},
	Description: "Passes when password_encryption is scram-sha-256. md5 hashes can be replayed from a stolen " +
		"catalog and are deprecated, so credentials stored that way weaken logical access security (CC6.1).",
	Collectors: []string{"postgres.server"},
	Kinds:      []string{pg.KindServer},
	Calls:      []string{"server_settings"},
	Evaluate:   evalPasswordEncryption,
}

var pgTLSMinVersion = &Check{
	ID:       pg.CheckTLSMinVersion,
	Title:    "PostgreSQL accepts no TLS version older than the minimum",
	Severity: SeverityMedium,
	Criteria: []string{"CC6.7"},
	Description: "Passes when ssl_min_protocol_version is at least min_version (TLSv1.2 by default). TLS 1.0 and " +
		"1.1 are deprecated by RFC 8996, so allowing them weakens the protection of data in transit (CC6.7). " +
		"A server with ssl off is not applicable here; postgres.server.ssl_required fails it.",
	Collectors: []string{"postgres.server"},
	Kinds:      []string{pg.KindServer},
	Calls:      []string{"server_settings"},
	Params: []Param{{
		Name: "min_version", Default: "TLSv1.2", Loosest: "TLSv1.2", HigherIsStricter: true,
		Description: "lowest acceptable ssl_min_protocol_version: TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3",
	}},
	Evaluate: evalTLSMinVersion,
}

var pgConnectionLogging = &Check{
	ID:       pg.CheckConnectionLogging,
	Title:    "PostgreSQL logs connections and disconnections",
	Severity: SeverityMedium,
	Criteria: []string{"CC7.2"},
	Description: "Passes when log_connections and log_disconnections are both on, so who connected from where " +
		"and for how long can be monitored for anomalies (CC7.2).",
	Collectors: []string{"postgres.server"},
	Kinds:      []string{pg.KindServer},
	Calls:      []string{"server_settings"},
	Evaluate:   evalConnectionLogging,
}

var pgSuperusers = &Check{
	ID:       pg.CheckSuperusers,
	Title:    "PostgreSQL login roles with SUPERUSER, CREATEROLE or BYPASSRLS are reviewed",
	Severity: SeverityHigh,
	Criteria: []string{"CC6.2", "CC6.3"},
	Description: "Every login role other than the bootstrap role that holds SUPERUSER, CREATEROLE or BYPASSRLS, " +
		"itself or through a role it can SET ROLE to, is review, with the membership path. Such roles bypass " +
		"least privilege (CC6.3) and must be authorised individually (CC6.2). Passes when there is none.",
	Collectors: []string{"postgres.roles"},
	Kinds:      []string{pg.KindRoles},
	Calls:      []string{"roles", "role_memberships"},
	Evaluate:   evalSuperusers,
}

var pgPasswordExpiry = &Check{
	ID:       pg.CheckPasswordExpiry,
	Title:    "PostgreSQL login roles with a password have an expiry",
	Severity: SeverityLow,
	Criteria: []string{"CC6.1"},
	Description: "Login roles with a password and no VALID UNTIL are review: a password that never expires " +
		"needs another rotation control (CC6.1). When pg_authid cannot be read, whether a role has a password " +
		"is unknown and every login role without VALID UNTIL is review.",
	Collectors: []string{"postgres.roles"},
	Kinds:      []string{pg.KindRoles},
	Calls:      []string{"roles", "role_passwords"},
	Evaluate:   evalPasswordExpiry,
}

var pgAdminMFA = &Check{
	ID:       pg.CheckAdminMFA,
	Title:    "Application administrators use MFA",
	Severity: SeverityHigh,
	Criteria: []string{"CC6.1", "CC6.6"},
	Description: "Every active user of the configured users table whose role is one of admin_roles must have " +
		"MFA enabled. Administrators without MFA fail one by one. MFA is the authentication control CC6.1 and " +
		"CC6.6 name for access from outside the system boundary.",
	Collectors: []string{"postgres.users"},
	Kinds:      []string{pg.KindAppUsers},
	Calls:      []string{"users_table", "users"},
	Evaluate:   evalAdminMFA,
}

var pgInactiveUsers = &Check{
	ID:       pg.CheckInactive,
	Title:    "Active application users have logged in recently",
	Severity: SeverityMedium,
	Criteria: []string{"CC6.2"},
	Description: "Active users with no login in the last max_inactive_days (90 by default), or none at all, " +
		"fail one by one: access that is no longer needed must be removed (CC6.2).",
	Collectors: []string{"postgres.users"},
	Kinds:      []string{pg.KindAppUsers},
	Calls:      []string{"users_table", "users"},
	Params: []Param{{
		Name: "max_inactive_days", Default: 90, Loosest: 90,
		Description: "days without a login after which an active user fails",
	}},
	Evaluate: evalInactiveUsers,
}

var pgTerminatedActive = &Check{
	ID:       pg.CheckTerminatedActive,
	Title:    "Terminated people have no active application account",
	Severity: SeverityHigh,
	Criteria: []string{"CC6.2"},
	Description: "Active users whose e-mail address (compared without regard to case) is listed as terminated " +
		"in the HR roster fail one by one: access must be removed when a person leaves (CC6.2). Malformed roster " +
		"lines are an error finding naming the file and line; the other lines are still matched.",
	Collectors: []string{"postgres.users", "files.hr_roster"},
	Kinds:      []string{pg.KindAppUsers, files.KindHRRoster},
	Calls:      []string{"users_table", "users", "file:read"},
	Evaluate:   evalTerminatedActive,
}

var pgAuditRetention = &Check{
	ID:       pg.CheckRetention,
	Title:    "Audit log keeps events for the retention period",
	Severity: SeverityHigh,
	Criteria: []string{"CC7.2"},
	Description: "Passes when the oldest event of the audit-log table is at least min_days (90 by default) " +
		"before the end of the period, or before the run for a period still running. Monitoring for anomalies " +
		"(CC7.2) needs the log of the whole review window.",
	Collectors: []string{"postgres.auditlog"},
	Kinds:      []string{pg.KindAuditLog},
	Calls:      []string{"auditlog_table", "auditlog_extent", "auditlog_daily_counts"},
	Params: []Param{{
		Name: "min_days", Default: 90, Loosest: 90, HigherIsStricter: true,
		Description: "days of events the table must hold before the end of the period",
	}},
	Evaluate: evalAuditRetention,
}

var pgAuditGaps = &Check{
	ID:       pg.CheckGaps,
	Title:    "Audit log has no gap longer than the limit",
	Severity: SeverityHigh,
	Criteria: []string{"CC7.2"},
	Description: "Fails when the audit-log table has a stretch longer than max_gap_hours (24 by default) without " +
		"events inside the period, counting the period start and the period end (or the run's start for a period " +
		"still running) as events, so a log that stopped two days before the run has a gap. A logging outage " +
		"leaves the system unmonitored (CC7.2).",
	Collectors: []string{"postgres.auditlog"},
	Kinds:      []string{pg.KindAuditLog},
	Calls:      []string{"auditlog_table", "auditlog_gaps"},
	Params: []Param{{
		Name: "max_gap_hours", Default: 24,
		Description: "longest acceptable stretch without events, in hours",
	}},
	Evaluate: evalAuditGaps,
}

var pgAuditImmutable = &Check{
	ID:       pg.CheckImmutable,
	Title:    "Only the owners can change or delete audit-log rows",
	Severity: SeverityHigh,
	Criteria: []string{"CC7.2", "CC6.1"},
	Description: "Fails when a login role other than the configured owners and superusers can UPDATE, DELETE " +
		"or TRUNCATE the audit-log table, through its own grants, inherited memberships or SET ROLE, and names " +
		"each role. When triggers on those events exist, the finding is review with their definitions, because " +
		"whether they reject every change needs a person. A log its readers can edit is no evidence (CC7.2), " +
		"and write access to it is logical access to protect (CC6.1).",
	Collectors: []string{"postgres.auditlog"},
	Kinds:      []string{pg.KindAuditLog},
	Calls:      []string{"auditlog_table", "auditlog_writers", "auditlog_triggers"},
	Evaluate:   evalAuditImmutable,
}

var pgAuditLockout = &Check{
	ID:       pg.CheckLockout,
	Title:    "Repeated failed logins lead to a lockout",
	Severity: SeverityMedium,
	Criteria: []string{"CC6.1", "CC7.2"},
	Description: "Finds every burst of max_failures (5 by default) failed logins by one actor within " +
		"window_minutes (15 by default) in the period, and fails when a burst has no lockout event of the same " +
		"actor within window_minutes after it. Lockout protects authentication (CC6.1) and shows that " +
		"attacks are detected (CC7.2). The burst search runs on the database with the parameters of the " +
		"configuration, so changing them needs a new collection.",
	Collectors: []string{"postgres.auditlog"},
	Kinds:      []string{pg.KindAuditLog},
	Calls:      []string{"auditlog_table", "auditlog_lockout_bursts"},
	Params: []Param{
		{Name: "max_failures", Default: pg.DefaultMaxFailures, Description: "failed logins by one actor that make a burst"},
		{Name: "window_minutes", Default: pg.DefaultWindowMinutes, Description: "minutes in which the failures must fall, and in which the lockout must follow"},
	},
	Evaluate: evalAuditLockout,
}

var pgAuditPrivilegedChanges = &Check{
	ID:       pg.CheckPrivilegedChanges,
	Title:    "Permission changes in the period are reviewed",
	Severity: SeverityMedium,
	Criteria: []string{"CC6.2", "CC6.3"},
	Description: "Counts and lists the permission-change events of the period (up to 500 listed) for a person " +
		"to match against approved requests: review when there are any, pass when there are none. Access " +
		"changes must be authorised (CC6.2) and follow roles (CC6.3).",
	Collectors: []string{"postgres.auditlog"},
	Kinds:      []string{pg.KindAuditLog},
	Calls:      []string{"auditlog_table", "auditlog_privileged_changes"},
	Evaluate:   evalAuditPrivilegedChanges,
}

var pgAuditGDPRSLA = &Check{
	ID:       pg.CheckGDPRSLA,
	Title:    "Data-subject requests are completed in time",
	Severity: SeverityMedium,
	Criteria: []string{"P5.1", "P5.2"},
	Description: "Pairs each data-subject request of the period with the same actor's first completion event " +
		"and fails when one took longer than max_days (30 by default; GDPR article 12 allows one month), or is " +
		"still open after max_days. Not applicable when the period has no request. Access and correction on " +
		"request are P5.1 and P5.2.",
	Collectors: []string{"postgres.auditlog"},
	Kinds:      []string{pg.KindAuditLog},
	Calls:      []string{"auditlog_table", "auditlog_gdpr_requests"},
	Params: []Param{{
		Name: "max_days", Default: 30, Loosest: 30,
		Description: "days within which a request must be completed",
	}},
	Evaluate: evalAuditGDPRSLA,
}

// readItem decodes an item's attributes into v. It returns an error
// finding when they do not decode or when one of groups was not collected.
func readItem(ec *EvalContext, it *evidence.Item, v any, groups ...string) (Finding, bool) {
	if f, ok := ec.Decode(it, v); !ok {
		return f, false
	}
	if f, bad := ec.ItemError(it, groups...); bad {
		return f, false
	}
	return Finding{}, true
}

// plural returns n and the noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// utc formats an instant in UTC for messages.
func utc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// withResource returns f with its resource replaced, for findings about an
// object inside an item (a role, a user).
func withResource(f Finding, resource string) Finding {
	f.Resource = resource
	return f
}

// databaseOf returns postgres://HOST:PORT/DB of a resource id below it.
func databaseOf(resource string) string {
	rest := strings.TrimPrefix(resource, "postgres://")
	if i := strings.Index(rest, "/"); i >= 0 {
		if j := strings.Index(rest[i+1:], "/"); j >= 0 {
			return "postgres://" + rest[:i+1+j]
		}
	}
	return resource
}

func evalSSLRequired(ec *EvalContext) []Finding {
	var out []Finding
	for _, it := range ec.Items {
		var a pg.ServerAttrs
		if f, ok := readItem(ec, it, &a, pg.GroupSettings); !ok {
			out = append(out, f)
			continue
		}
		sslOn := a.Settings["ssl"] == "on"
		details := map[string]any{"host": a.Host, "ssl": a.Settings["ssl"], "tls_available": sslOn}
		if a.ForceSSL != nil {
			details["rds.force_ssl"] = *a.ForceSSL
		}
		if a.SessionSSL != nil {
			details["auditpack_session"] = sessionNote(a.SessionSSL)
		}
		f := func(status Status, format string, args ...any) Finding {
			fd := ec.Finding(it, status, format, args...)
			fd.Details = details
			return fd
		}
		if !sslOn {
			out = append(out, f(StatusFail, "host %s: ssl is off, so TLS is not available and every connection is unencrypted", a.Host))
			continue
		}
		if a.ForceSSL != nil && settingOn(*a.ForceSSL) {
			out = append(out, f(StatusPass, "host %s: rds.force_ssl = %s requires TLS (TLS available: ssl = on)", a.Host, *a.ForceSSL))
			continue
		}
		if _, hbaErr := it.Errors[pg.GroupHBA]; !hbaErr && a.HBARules != nil {
			plain := plaintextRules(a.HBARules)
			if len(plain) > 0 {
				details["plaintext_rules"] = plain
				out = append(out, f(StatusFail, "host %s: TLS available (ssl = on) but not required: pg_hba.conf %s accepts connections without TLS", a.Host, strings.Join(plain, "; ")))
				continue
			}
			out = append(out, f(StatusPass, "host %s: TLS available (ssl = on) and every non-local pg_hba rule is hostssl, hostgssenc or reject", a.Host))
			continue
		}
		why := "pg_hba_file_rules could not be read"
		if e, ok := it.Errors[pg.GroupHBA]; ok {
			why += " (" + e.String() + ")"
		}
		if a.ForceSSL != nil {
			out = append(out, f(StatusFail, "host %s: TLS available (ssl = on) but not required: rds.force_ssl = %s, and %s", a.Host, *a.ForceSSL, why))
			continue
		}
		out = append(out, f(StatusReview, "host %s: TLS available (ssl = on), but %s and nothing else proves that TLS is required; confirm that pg_hba.conf has only hostssl rules for remote clients", a.Host, why))
	}
	return out
}

// plaintextRules describes the pg_hba rules that let a non-local client in
// without TLS: host and hostnossl rules that do not reject.
func plaintextRules(rules []pg.HBARule) []string {
	var out []string
	for _, r := range rules {
		if r.Type != "host" && r.Type != "hostnossl" {
			continue
		}
		if r.AuthMethod == "reject" {
			continue
		}
		addr := r.Address
		if r.Netmask != "" {
			addr += "/" + r.Netmask
		}
		out = append(out, fmt.Sprintf("line %d (%s %s %s %s %s)", r.Line, r.Type,
			strings.Join(r.Databases, ","), strings.Join(r.Users, ","), addr, r.AuthMethod))
	}
	return out
}

func sessionNote(s *pg.SessionSSL) string {
	if s.SSL {
		return fmt.Sprintf("auditpack's own session used %s (%s); context only, not proof that TLS is required", s.Version, s.Cipher)
	}
	return "auditpack's own session did not use TLS"
}

func settingOn(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "on", "true", "yes":
		return true
	}
	return false
}

func evalPasswordEncryption(ec *EvalContext) []Finding {
	var out []Finding
	for _, it := range ec.Items {
		var a pg.ServerAttrs
		if f, ok := readItem(ec, it, &a, pg.GroupSettings); !ok {
			out = append(out, f)
			continue
		}
		v := a.Settings["password_encryption"]
		if v == "scram-sha-256" {
			out = append(out, ec.Finding(it, StatusPass, "host %s: password_encryption = scram-sha-256", a.Host))
		} else {
			out = append(out, ec.Finding(it, StatusFail, "host %s: password_encryption = %q; set it to scram-sha-256 and reset passwords hashed with md5", a.Host, v))
		}
	}
	return out
}

var tlsVersions = []string{"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}

func tlsRank(v string) int {
	for i, t := range tlsVersions {
		if strings.EqualFold(t, strings.TrimSpace(v)) {
			return i
		}
	}
	return -1
}

func evalTLSMinVersion(ec *EvalContext) []Finding {
	want := ec.Params.String("min_version")
	var out []Finding
	for _, it := range ec.Items {
		var a pg.ServerAttrs
		if f, ok := readItem(ec, it, &a, pg.GroupSettings); !ok {
			out = append(out, f)
			continue
		}
		if tlsRank(want) < 0 {
			out = append(out, ec.Finding(it, StatusError, "invalid min_version %q: use one of %s", want, strings.Join(tlsVersions, ", ")))
			continue
		}
		if a.Settings["ssl"] != "on" {
			out = append(out, ec.Finding(it, StatusNotApplicable, "host %s: ssl is off, so no TLS version is accepted", a.Host))
			continue
		}
		got := a.Settings["ssl_min_protocol_version"]
		switch {
		case got == "":
			out = append(out, ec.Finding(it, StatusFail, "host %s: ssl_min_protocol_version is not set, so every TLS version the library supports is accepted", a.Host))
		case tlsRank(got) < tlsRank(want):
			out = append(out, ec.Finding(it, StatusFail, "host %s: ssl_min_protocol_version = %s is below %s", a.Host, got, want))
		default:
			out = append(out, ec.Finding(it, StatusPass, "host %s: ssl_min_protocol_version = %s", a.Host, got))
		}
	}
	return out
}

func evalConnectionLogging(ec *EvalContext) []Finding {
	var out []Finding
	for _, it := range ec.Items {
		var a pg.ServerAttrs
		if f, ok := readItem(ec, it, &a, pg.GroupSettings); !ok {
			out = append(out, f)
			continue
		}
		var off []string
		for _, name := range []string{"log_connections", "log_disconnections"} {
			if a.Settings[name] != "on" {
				off = append(off, fmt.Sprintf("%s = %s", name, a.Settings[name]))
			}
		}
		if len(off) > 0 {
			out = append(out, ec.Finding(it, StatusFail, "host %s: %s; turn both log_connections and log_disconnections on", a.Host, strings.Join(off, ", ")))
		} else {
			out = append(out, ec.Finding(it, StatusPass, "host %s: log_connections and log_disconnections are on", a.Host))
		}
	}
	return out
}

func evalSuperusers(ec *EvalContext) []Finding {
	var out []Finding
	for _, it := range ec.Items {
		var a pg.RolesAttrs
		if f, ok := readItem(ec, it, &a); !ok {
			out = append(out, f)
			continue
		}
		flagged := 0
		for _, r := range a.Roles {
			if !r.Login || r.Bootstrap || len(r.Elevated) == 0 {
				continue
			}
			flagged++
			var how []string
			for _, e := range r.Elevated {
				if len(e.Via) == 0 {
					how = append(how, e.Attribute+" (own attribute)")
				} else {
					how = append(how, fmt.Sprintf("%s through SET ROLE %s", e.Attribute, strings.Join(e.Via, " → ")))
				}
			}
			f := ec.Finding(it, StatusReview, "login role %s holds %s; confirm it is authorised", r.Name, strings.Join(how, ", "))
			f.Details = map[string]any{"elevated": r.Elevated}
			out = append(out, withResource(f, it.Resource+"/roles/"+r.Name))
		}
		if flagged == 0 {
			out = append(out, ec.Finding(it, StatusPass, "no login role other than the bootstrap role holds SUPERUSER, CREATEROLE or BYPASSRLS"))
		}
	}
	return out
}

func evalPasswordExpiry(ec *EvalContext) []Finding {
	var out []Finding
	for _, it := range ec.Items {
		var a pg.RolesAttrs
		if f, ok := readItem(ec, it, &a); !ok {
			out = append(out, f)
			continue
		}
		flagged := 0
		for _, r := range a.Roles {
			if !r.Login || r.ValidUntil != nil {
				continue
			}
			switch {
			case r.HasPassword == nil:
				flagged++
				reason := "whether it has a password is unknown"
				if e, ok := it.Errors[pg.GroupPasswords]; ok {
					reason += " (" + e.String() + ")"
				}
				f := ec.Finding(it, StatusReview, "login role %s has no VALID UNTIL and %s", r.Name, reason)
				out = append(out, withResource(f, it.Resource+"/roles/"+r.Name))
			case *r.HasPassword:
				flagged++
				f := ec.Finding(it, StatusReview, "login role %s has a password (%s) and no VALID UNTIL", r.Name, r.PasswordMethod)
				out = append(out, withResource(f, it.Resource+"/roles/"+r.Name))
			}
		}
		if flagged == 0 {
			out = append(out, ec.Finding(it, StatusPass, "every login role with a password has VALID UNTIL"))
		}
	}
	return out
}

func userResource(it *evidence.Item, email string) string {
	return databaseOf(it.Resource) + "/users/" + email
}

func evalAdminMFA(ec *EvalContext) []Finding {
	var out []Finding
	for _, it := range ec.Items {
		var a pg.AppUsersAttrs
		if f, ok := readItem(ec, it, &a, pg.GroupMFA); !ok {
			out = append(out, f)
			continue
		}
		if len(a.AdminRoles) == 0 {
			out = append(out, ec.Finding(it, StatusError, "users.admin_roles is missing for %s, so administrators cannot be identified; list the admin role values under postgres[].users.admin_roles", a.Table))
			continue
		}
		admins := map[string]bool{}
		for _, r := range a.AdminRoles {
			admins[strings.ToLower(r)] = true
		}
		total, without := 0, 0
		for _, u := range a.Active {
			if !admins[strings.ToLower(u.Role)] {
				continue
			}
			total++
			if u.MFA != nil && *u.MFA {
				continue
			}
			without++
			f := ec.Finding(it, StatusFail, "active %s %s has no MFA", u.Role, u.Email)
			out = append(out, withResource(f, userResource(it, u.Email)))
		}
		if without == 0 {
			out = append(out, ec.Finding(it, StatusPass, "all %d active administrators of %s have MFA", total, a.Table))
		}
	}
	return out
}

func evalInactiveUsers(ec *EvalContext) []Finding {
	days := ec.Params.Int("max_inactive_days")
	cutoff := ec.Now.AddDate(0, 0, -days)
	var out []Finding
	for _, it := range ec.Items {
		var a pg.AppUsersAttrs
		if f, ok := readItem(ec, it, &a, pg.GroupLastLogin); !ok {
			out = append(out, f)
			continue
		}
		zone := ""
		if a.LastLoginZone != "" && a.LastLoginZone != "UTC" {
			zone = " (" + a.LastLoginZone + ")"
		}
		stale := 0
		for _, u := range a.Active {
			if u.LastLogin != nil && !u.LastLogin.Before(cutoff) {
				continue
			}
			stale++
			var f Finding
			if u.LastLogin == nil {
				f = ec.Finding(it, StatusFail, "active user %s has never logged in", u.Email)
			} else {
				f = ec.Finding(it, StatusFail, "active user %s last logged in at %s%s, more than %d days before %s", u.Email, utc(*u.LastLogin), zone, days, utc(ec.Now))
			}
			out = append(out, withResource(f, userResource(it, u.Email)))
		}
		if stale == 0 {
			out = append(out, ec.Finding(it, StatusPass, "all %d active users of %s logged in within %d days", len(a.Active), a.Table, days))
		}
	}
	return out
}

func evalTerminatedActive(ec *EvalContext) []Finding {
	var out []Finding
	var rosters []*evidence.Item
	var tables []*evidence.Item
	for _, it := range ec.Items {
		switch it.Kind {
		case files.KindHRRoster:
			rosters = append(rosters, it)
		case pg.KindAppUsers:
			tables = append(tables, it)
		}
	}
	terminated := map[string]files.Person{}
	for _, it := range rosters {
		var r files.HRRosterAttrs
		if f, ok := readItem(ec, it, &r); !ok {
			out = append(out, f)
			continue
		}
		if len(r.LineErrors) > 0 {
			var msgs []string
			for _, e := range r.LineErrors {
				msgs = append(msgs, e.Message)
			}
			out = append(out, ec.Finding(it, StatusError, "%s could not be read and were not matched: %s", plural(len(r.LineErrors), "roster line"), strings.Join(msgs, "; ")))
		}
		for _, p := range r.People {
			if p.Terminated {
				terminated[p.Email] = p
			}
		}
	}
	for _, it := range tables {
		var a pg.AppUsersAttrs
		if f, ok := readItem(ec, it, &a); !ok {
			out = append(out, f)
			continue
		}
		if len(rosters) == 0 {
			out = append(out, ec.Finding(it, StatusError, "no HR roster was collected, so terminated people cannot be matched; set hr_roster"))
			continue
		}
		found := 0
		for _, u := range a.Active {
			p, ok := terminated[files.NormalizeEmail(u.Email)]
			if !ok {
				continue
			}
			found++
			f := ec.Finding(it, StatusFail, "user %s is %s in %s but listed as %s in the HR roster (line %d)", u.Email, u.Status, a.Table, p.Status, p.Line)
			f.Evidence = append(f.Evidence, evidence.ItemPath(rosters[0]))
			out = append(out, withResource(f, userResource(it, u.Email)))
		}
		if found == 0 {
			f := ec.Finding(it, StatusPass, "none of the %d active users of %s is terminated in the HR roster", len(a.Active), a.Table)
			for _, r := range rosters {
				f.Evidence = append(f.Evidence, evidence.ItemPath(r))
			}
			out = append(out, f)
		}
	}
	return out
}

func evalAuditRetention(ec *EvalContext) []Finding {
	minDays := ec.Params.Int("min_days")
	end := ec.Period.EffectiveEnd(ec.Now)
	var out []Finding
	for _, it := range ec.Items {
		var a pg.AuditLogAttrs
		if f, ok := readItem(ec, it, &a, pg.GroupExtent); !ok {
			out = append(out, f)
			continue
		}
		if a.Extent == nil || a.Extent.Oldest == nil {
			out = append(out, ec.Finding(it, StatusFail, "audit log %s holds no events", a.Table))
			continue
		}
		oldest := a.Extent.Oldest.UTC()
		held := end.Sub(oldest)
		days := held.Hours() / 24
		f := ec.Finding(it, StatusPass, "oldest event %s is %.1f days before %s (at least %d required)", utc(oldest), days, utc(end), minDays)
		if oldest.After(end.AddDate(0, 0, -minDays)) {
			f = ec.Finding(it, StatusFail, "oldest event %s is only %.1f days before %s; %d days are required", utc(oldest), days, utc(end), minDays)
		}
		f.Details = map[string]any{"oldest": utc(oldest), "end": utc(end), "days_held": days}
		if a.TimeZone != "" {
			f.Details["time_zone"] = a.TimeZone
		}
		out = append(out, f)
	}
	return out
}

func evalAuditGaps(ec *EvalContext) []Finding {
	maxHours := ec.Params.Float("max_gap_hours")
	var out []Finding
	for _, it := range ec.Items {
		var a pg.AuditLogAttrs
		if f, ok := readItem(ec, it, &a, pg.GroupGaps); !ok {
			out = append(out, f)
			continue
		}
		if a.Gaps == nil {
			out = append(out, ec.Finding(it, StatusError, "gap statistics of %s are missing from the evidence", a.Table))
			continue
		}
		var long []string
		for _, g := range a.Gaps.Longest {
			if g.Hours > maxHours {
				long = append(long, fmt.Sprintf("%s to %s (%.1f h)", utc(g.Start), utc(g.End), g.Hours))
			}
		}
		window := fmt.Sprintf("%s to %s", utc(a.WindowStart), utc(a.WindowEnd))
		details := map[string]any{"window_start": utc(a.WindowStart), "window_end": utc(a.WindowEnd), "longest_gaps": a.Gaps.Longest}
		if a.TimeZone != "" {
			details["time_zone"] = a.TimeZone
		}
		var f Finding
		switch {
		case len(long) == 0 && len(a.Gaps.Longest) > 0 && a.Gaps.Longest[0].Hours < 1:
			f = ec.Finding(it, StatusPass, "no gap of an hour or more between events in %s (limit %.0f h)", window, maxHours)
		case len(long) == 0 && len(a.Gaps.Longest) > 0:
			f = ec.Finding(it, StatusPass, "longest gap between events in %s is %.1f h (limit %.0f h)", window, a.Gaps.Longest[0].Hours, maxHours)
		case len(long) == 0:
			f = ec.Finding(it, StatusPass, "no gap between events in %s", window)
		default:
			count := plural(len(long), "gap")
			if len(long) == a.Gaps.Limit {
				count = "at least " + count
			}
			f = ec.Finding(it, StatusFail, "%s longer than %.0f h without events in %s: %s", count, maxHours, window, strings.Join(long, "; "))
		}
		f.Details = details
		out = append(out, f)
	}
	return out
}

func evalAuditImmutable(ec *EvalContext) []Finding {
	var out []Finding
	for _, it := range ec.Items {
		var a pg.AuditLogAttrs
		if f, ok := readItem(ec, it, &a, pg.GroupWriters); !ok {
			out = append(out, f)
			continue
		}
		if a.Writers == nil {
			out = append(out, ec.Finding(it, StatusError, "writer statistics of %s are missing from the evidence", a.Table))
			continue
		}
		allowed := map[string]bool{}
		for _, o := range a.Writers.Owners {
			allowed[o] = true
		}
		var names []string
		var offending []pg.Writer
		for _, w := range a.Writers.Writers {
			if w.Superuser || allowed[w.Role] {
				continue
			}
			offending = append(offending, w)
			desc := fmt.Sprintf("%s (%s)", w.Role, strings.Join(w.Privileges, ", "))
			if w.Via != "" {
				desc = fmt.Sprintf("%s (%s through SET ROLE %s)", w.Role, strings.Join(w.Privileges, ", "), w.Via)
			}
			names = append(names, desc)
		}
		sort.Strings(names)
		details := map[string]any{"owner": a.Writers.Owner, "allowed_owners": a.Writers.Owners, "writers": offending}
		var f Finding
		switch {
		case len(offending) == 0:
			f = ec.Finding(it, StatusPass, "only superusers and the allowed owners (%s) can change or delete rows of %s", strings.Join(a.Writers.Owners, ", "), a.Table)
		case len(a.Writers.Triggers) > 0:
			var tg []string
			for _, t := range a.Writers.Triggers {
				tg = append(tg, fmt.Sprintf("%s on %s", t.Name, strings.Join(t.Events, "/")))
			}
			details["triggers"] = a.Writers.Triggers
			f = ec.Finding(it, StatusReview, "roles other than the owners can modify %s: %s; triggers %s may reject changes, confirm from their definitions", a.Table, strings.Join(names, "; "), strings.Join(tg, ", "))
		default:
			f = ec.Finding(it, StatusFail, "roles other than the owners can modify %s: %s", a.Table, strings.Join(names, "; "))
		}
		f.Details = details
		out = append(out, f)
	}
	return out
}

func evalAuditLockout(ec *EvalContext) []Finding {
	maxFailures, window := ec.Params.Int("max_failures"), ec.Params.Int("window_minutes")
	var out []Finding
	for _, it := range ec.Items {
		var a pg.AuditLogAttrs
		if f, ok := readItem(ec, it, &a, pg.GroupLockout); !ok {
			out = append(out, f)
			continue
		}
		l := a.Lockout
		if l == nil {
			out = append(out, ec.Finding(it, StatusError, "lockout statistics of %s are missing from the evidence", a.Table))
			continue
		}
		if l.MaxFailures != maxFailures || l.WindowMinutes != window {
			out = append(out, ec.Finding(it, StatusError, "evidence was collected with max_failures %d and window_minutes %d, but the check has %d and %d; collect again with the same parameters", l.MaxFailures, l.WindowMinutes, maxFailures, window))
			continue
		}
		var unlocked []string
		for _, b := range l.Bursts {
			if b.LockedAt == nil {
				unlocked = append(unlocked, fmt.Sprintf("%s at %s", b.Actor, utc(b.At)))
			}
		}
		var f Finding
		switch {
		case len(unlocked) > 0:
			listed := unlocked
			if len(listed) > 20 {
				listed = listed[:20]
			}
			more := ""
			if len(unlocked) > len(listed) || l.Truncated {
				more = " …"
			}
			f = ec.Finding(it, StatusFail, "%s of %d failed logins within %d minutes had no lockout: %s%s", plural(len(unlocked), "burst"), maxFailures, window, strings.Join(listed, "; "), more)
		case len(l.Bursts) > 0:
			f = ec.Finding(it, StatusPass, "all %d bursts of %d failed logins within %d minutes were followed by a lockout", len(l.Bursts), maxFailures, window)
		default:
			f = ec.Finding(it, StatusPass, "%d failed logins in the period and no burst of %d within %d minutes", l.FailedLogins, maxFailures, window)
		}
		f.Details = map[string]any{"failed_logins": l.FailedLogins, "bursts": l.Bursts}
		out = append(out, f)
	}
	return out
}

func evalAuditPrivilegedChanges(ec *EvalContext) []Finding {
	var out []Finding
	for _, it := range ec.Items {
		var a pg.AuditLogAttrs
		if f, ok := readItem(ec, it, &a, pg.GroupPrivileged); !ok {
			out = append(out, f)
			continue
		}
		p := a.Privileged
		if p == nil {
			out = append(out, ec.Finding(it, StatusError, "permission-change statistics of %s are missing from the evidence", a.Table))
			continue
		}
		var f Finding
		if p.Count == 0 {
			f = ec.Finding(it, StatusPass, "no permission-change events in %s between %s and %s", a.Table, utc(a.WindowStart), utc(a.WindowEnd))
		} else {
			listed := ""
			if p.Truncated {
				listed = fmt.Sprintf(" (first %d listed)", len(p.Events))
			}
			f = ec.Finding(it, StatusReview, "%d permission-change events between %s and %s%s; match each against an approved request", p.Count, utc(a.WindowStart), utc(a.WindowEnd), listed)
		}
		f.Details = map[string]any{"count": p.Count, "events": p.Events}
		out = append(out, f)
	}
	return out
}

func evalAuditGDPRSLA(ec *EvalContext) []Finding {
	maxDays := ec.Params.Int("max_days")
	limit := time.Duration(maxDays) * 24 * time.Hour
	var out []Finding
	for _, it := range ec.Items {
		var a pg.AuditLogAttrs
		if f, ok := readItem(ec, it, &a, pg.GroupGDPR); !ok {
			out = append(out, f)
			continue
		}
		g := a.GDPR
		if g == nil {
			out = append(out, ec.Finding(it, StatusError, "data-subject request statistics of %s are missing from the evidence", a.Table))
			continue
		}
		if g.Total == 0 {
			out = append(out, ec.Finding(it, StatusNotApplicable, "no data-subject requests in %s between %s and %s", a.Table, utc(a.WindowStart), utc(a.WindowEnd)))
			continue
		}
		var late []string
		onTime, open := 0, 0
		for _, r := range g.Requests {
			switch {
			case r.CompletedAt != nil && r.CompletedAt.Sub(r.RequestedAt) <= limit:
				onTime++
			case r.CompletedAt != nil:
				late = append(late, fmt.Sprintf("%s requested %s, completed %s (%.1f days)", r.Actor, utc(r.RequestedAt), utc(*r.CompletedAt), r.CompletedAt.Sub(r.RequestedAt).Hours()/24))
			case a.WindowEnd.Sub(r.RequestedAt) > limit:
				late = append(late, fmt.Sprintf("%s requested %s, still open at %s", r.Actor, utc(r.RequestedAt), utc(a.WindowEnd)))
			default:
				open++
			}
		}
		var f Finding
		if len(late) > 0 {
			f = ec.Finding(it, StatusFail, "%d of %d data-subject requests exceeded %d days: %s", len(late), g.Total, maxDays, strings.Join(late, "; "))
		} else {
			f = ec.Finding(it, StatusPass, "%d data-subject requests completed within %d days, %d still open within the limit", onTime, maxDays, open)
		}
		f.Details = map[string]any{"requests": g.Requests, "total": g.Total}
		out = append(out, f)
	}
	return out
}
