package postgres

import "time"

// Evidence kinds produced by the PostgreSQL collectors.
const (
	KindServer         = "postgres.server"
	KindRoles          = "postgres.roles"
	KindRolePrivileges = "postgres.role_privileges"
	KindAppUsers       = "postgres.app_users"
	KindAuditLog       = "postgres.auditlog"
)

// Attribute groups of the audit-log item. A group that could not be read is
// an entry in the item's Errors under the same name.
const (
	GroupExtent     = "extent"
	GroupDaily      = "daily_counts"
	GroupGaps       = "gaps"
	GroupLockout    = "lockout"
	GroupPrivileged = "privileged_changes"
	GroupGDPR       = "gdpr"
	GroupWriters    = "writers"
	GroupHBA        = "hba"
	GroupSettings   = "settings"
	GroupSessionSSL = "session_ssl"
	GroupPasswords  = "passwords"
	GroupUsers      = "users"
	GroupMFA        = "mfa"
	GroupLastLogin  = "last_login"
)

// ZoneUnknown marks times read from a timestamp-without-time-zone column
// for which no zone is configured.
const ZoneUnknown = "zone unknown (assumed UTC)"

// Source is the database and session that produced an item.
type Source struct {
	// Endpoint is host:port/database, without credentials.
	Endpoint string `json:"endpoint"`
	Database string `json:"database"`
	// Role is current_user of the session.
	Role          string    `json:"role"`
	ServerVersion string    `json:"server_version"`
	CollectedAt   time.Time `json:"collected_at"`
}

// ServerAttrs are the TLS, password and logging settings of one server.
type ServerAttrs struct {
	Source
	Host string `json:"host"`
	Port int    `json:"port"`
	// Settings holds pg_settings values by name.
	Settings map[string]string `json:"settings,omitempty"`
	// ForceSSL is current_setting('rds.force_ssl', true); nil when the
	// server has no such setting (self-managed PostgreSQL).
	ForceSSL *string `json:"rds_force_ssl"`
	// HBARules are the rows of pg_hba_file_rules, or nil when they could not
	// be read (the view is readable only by superusers).
	HBARules []HBARule `json:"hba_rules"`
	// SessionSSL is auditpack's own connection; context only, never proof
	// that the server requires TLS.
	SessionSSL *SessionSSL `json:"session_ssl,omitempty"`
}

// HBARule is one row of pg_hba_file_rules.
type HBARule struct {
	Line       int      `json:"line"`
	Type       string   `json:"type"`
	Databases  []string `json:"databases,omitempty"`
	Users      []string `json:"users,omitempty"`
	Address    string   `json:"address,omitempty"`
	Netmask    string   `json:"netmask,omitempty"`
	AuthMethod string   `json:"auth_method,omitempty"`
	Error      string   `json:"error,omitempty"`
}

// SessionSSL is the pg_stat_ssl row of auditpack's own session.
type SessionSSL struct {
	SSL     bool   `json:"ssl"`
	Version string `json:"version,omitempty"`
	Cipher  string `json:"cipher,omitempty"`
}

// RolesAttrs lists the roles of one server with their attributes.
type RolesAttrs struct {
	Source
	Roles []Role `json:"roles"`
	// PasswordsKnown is false when pg_authid could not be read, so whether a
	// role has a password is unknown.
	PasswordsKnown bool `json:"passwords_known"`
}

// Role is one role of pg_roles.
type Role struct {
	Name        string     `json:"name"`
	Login       bool       `json:"login"`
	Superuser   bool       `json:"superuser"`
	CreateRole  bool       `json:"createrole"`
	BypassRLS   bool       `json:"bypassrls"`
	Inherit     bool       `json:"inherit"`
	Bootstrap   bool       `json:"bootstrap"`
	ValidUntil  *time.Time `json:"valid_until"`
	HasPassword *bool      `json:"has_password"`
	// PasswordMethod is scram-sha-256, md5 or other; empty without a
	// password or when unknown.
	PasswordMethod string `json:"password_method,omitempty"`
	// Elevated lists how the role holds SUPERUSER, CREATEROLE or BYPASSRLS,
	// directly or through a role it can SET ROLE to.
	Elevated []Elevation `json:"elevated,omitempty"`
}

// Elevation is one way a role holds a powerful attribute.
type Elevation struct {
	Attribute string `json:"attribute"`
	// Via is the membership path from the role to the holder; empty when the
	// role holds the attribute itself.
	Via []string `json:"via,omitempty"`
}

// RolePrivilegesAttrs lists what one login role can do with tables.
type RolePrivilegesAttrs struct {
	Source
	Role      string `json:"role"`
	Superuser bool   `json:"superuser"`
	Inherit   bool   `json:"inherit"`
	// MemberOf lists every role reachable through memberships.
	MemberOf []Membership      `json:"member_of,omitempty"`
	Tables   []TablePrivileges `json:"tables,omitempty"`
}

// Membership is one role reachable from a login role.
type Membership struct {
	Role string   `json:"role"`
	Path []string `json:"path"`
	// Inherit is true when the role's privileges apply without SET ROLE.
	Inherit bool `json:"inherit"`
	// Set is true when the login role can SET ROLE to it.
	Set bool `json:"set"`
}

// TablePrivileges are a role's privileges on one table.
type TablePrivileges struct {
	Table      string      `json:"table"`
	Privileges []Privilege `json:"privileges"`
}

// Privilege is one table privilege and where it comes from.
type Privilege struct {
	Name string `json:"name"`
	// Via is the role that holds the grant: the role itself, a role it
	// inherits from, a role it can SET ROLE to, PUBLIC or the owner.
	Via string `json:"via"`
	// Mode is "direct", "owner", "public", "inherited" or "set_role".
	Mode string `json:"mode"`
}

// AppUsersAttrs lists the active users of an application's user table.
type AppUsersAttrs struct {
	Source
	Table          string    `json:"table"`
	ActiveStatuses []string  `json:"active_statuses"`
	AdminRoles     []string  `json:"admin_roles"`
	TotalUsers     int64     `json:"total_users"`
	Active         []AppUser `json:"active_users"`
	// LastLoginZone is the zone a timestamp-without-time-zone last-login
	// column was read in, or ZoneUnknown.
	LastLoginZone string `json:"last_login_zone,omitempty"`
}

// AppUser is one active application user.
type AppUser struct {
	ID        string     `json:"id"`
	Email     string     `json:"email"`
	Role      string     `json:"role,omitempty"`
	Status    string     `json:"status"`
	LastLogin *time.Time `json:"last_login"`
	MFA       *bool      `json:"mfa"`
}

// AuditLogAttrs are the statistics of one audit-log table for the period.
// Every number was computed by the database.
type AuditLogAttrs struct {
	Source
	Table string `json:"table"`
	// Columns are the configured columns with their SQL types.
	Columns map[string]Column `json:"columns"`
	// TimeZone is the zone of a timestamp-without-time-zone time column:
	// the configured one or ZoneUnknown; empty for timestamptz.
	TimeZone string `json:"time_zone,omitempty"`
	// WindowStart and WindowEnd bound the statistics: the period start and
	// the period end or, for a running period, the run's start.
	WindowStart time.Time `json:"window_start"`
	WindowEnd   time.Time `json:"window_end"`

	Extent     *Extent          `json:"extent,omitempty"`
	Daily      []DailyCount     `json:"daily_counts,omitempty"`
	Gaps       *GapStats        `json:"gaps,omitempty"`
	Lockout    *LockoutStats    `json:"lockout,omitempty"`
	Privileged *PrivilegedStats `json:"privileged_changes,omitempty"`
	GDPR       *GDPRStats       `json:"gdpr,omitempty"`
	Writers    *WriterStats     `json:"writers,omitempty"`
}

// Column is one configured column.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Extent is the oldest and newest event of the whole table.
type Extent struct {
	Oldest *time.Time `json:"oldest"`
	Newest *time.Time `json:"newest"`
	// InWindow counts the events inside the window; it is filled by the
	// same pass as the daily counts.
	InWindow int64 `json:"in_window"`
}

// DailyCount is the number of events of one type and outcome on one UTC day.
type DailyCount struct {
	Day       string `json:"day"`
	EventType string `json:"event_type"`
	Outcome   string `json:"outcome,omitempty"`
	Count     int64  `json:"count"`
}

// GapStats are the longest stretches without events inside the window,
// counting the window's edges as events. The list is exact for gaps of an
// hour or more; a shorter gap that lies inside one clock hour is not listed.
type GapStats struct {
	Longest []Gap `json:"longest"`
	// Limit is how many gaps the query returned at most.
	Limit int `json:"limit"`
}

// Gap is one stretch without events.
type Gap struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Hours float64   `json:"hours"`
}

// LockoutStats are the bursts of failed logins by one actor.
type LockoutStats struct {
	MaxFailures   int     `json:"max_failures"`
	WindowMinutes int     `json:"window_minutes"`
	FailedLogins  int64   `json:"failed_logins"`
	Bursts        []Burst `json:"bursts"`
	// Truncated is true when more bursts exist than were listed.
	Truncated bool `json:"truncated,omitempty"`
}

// Burst is the moment an actor reached MaxFailures failed logins within the
// window, and the lockout that followed, if any.
type Burst struct {
	Actor    string     `json:"actor"`
	At       time.Time  `json:"at"`
	LockedAt *time.Time `json:"locked_at"`
}

// PrivilegedStats lists permission-change events in the window.
type PrivilegedStats struct {
	Count     int64         `json:"count"`
	Events    []EventRecord `json:"events"`
	Truncated bool          `json:"truncated,omitempty"`
}

// EventRecord is one audit-log event.
type EventRecord struct {
	At        time.Time `json:"at"`
	EventType string    `json:"event_type"`
	Actor     string    `json:"actor,omitempty"`
	Outcome   string    `json:"outcome,omitempty"`
	SourceIP  string    `json:"source_ip,omitempty"`
}

// GDPRStats pairs each data-subject request in the window with the first
// completion by the same actor.
type GDPRStats struct {
	Requests  []GDPRRequest `json:"requests"`
	Total     int64         `json:"total"`
	Truncated bool          `json:"truncated,omitempty"`
}

// GDPRRequest is one request and its completion, if any.
type GDPRRequest struct {
	Actor       string     `json:"actor"`
	RequestedAt time.Time  `json:"requested_at"`
	CompletedAt *time.Time `json:"completed_at"`
}

// WriterStats are the roles that can change or remove audit-log rows.
type WriterStats struct {
	Owner string `json:"owner"`
	// Owners are the configured roles allowed to modify the table.
	Owners   []string  `json:"allowed_owners"`
	Writers  []Writer  `json:"writers"`
	Triggers []Trigger `json:"triggers,omitempty"`
}

// Writer is a login role that can UPDATE, DELETE or TRUNCATE the table.
type Writer struct {
	Role       string   `json:"role"`
	Superuser  bool     `json:"superuser"`
	Privileges []string `json:"privileges"`
	// Via is the role that holds the privileges when the login role gets
	// them through SET ROLE; empty when it holds or inherits them itself.
	Via string `json:"via,omitempty"`
}

// Trigger is a trigger that fires on UPDATE, DELETE or TRUNCATE.
type Trigger struct {
	Name       string   `json:"name"`
	Events     []string `json:"events"`
	Enabled    bool     `json:"enabled"`
	Definition string   `json:"definition"`
}
