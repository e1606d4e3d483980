// Package config holds auditpack's typed configuration. Loading and layering
// (file, environment, flags) happen in cmd. This package only describes the
// shape, so collectors can be used without cobra or viper.
package config

import (
	"time"
)

// Config is the whole configuration. Field tags name the YAML keys.
type Config struct {
	Organization   string           `mapstructure:"organization" json:"organization,omitempty"`
	Operator       string           `mapstructure:"operator" json:"operator,omitempty"`
	Period         PeriodSpec       `mapstructure:"period" json:"period"`
	OutputDir      string           `mapstructure:"output_dir" json:"output_dir"`
	Formats        []string         `mapstructure:"formats" json:"formats"`
	FailOn         string           `mapstructure:"fail_on" json:"fail_on"`
	Concurrency    int              `mapstructure:"concurrency" json:"concurrency"`
	AWS            *AWS             `mapstructure:"aws" json:"aws,omitempty"`
	Postgres       []Postgres       `mapstructure:"postgres" json:"postgres,omitempty"`
	HRRoster       *HRRoster        `mapstructure:"hr_roster" json:"hr_roster,omitempty"`
	RestoreTests   *RestoreTests    `mapstructure:"restore_tests" json:"restore_tests,omitempty"`
	Collectors     []string         `mapstructure:"collectors" json:"collectors"`
	Checks         Checks           `mapstructure:"checks" json:"checks"`
	Scope          Scope            `mapstructure:"scope" json:"scope"`
	Waivers        string           `mapstructure:"waivers" json:"waivers,omitempty"`
	Rules          []Rule           `mapstructure:"rules" json:"rules,omitempty"`
	ControlIDs     []ControlID      `mapstructure:"control_ids" json:"control_ids,omitempty"`
	ManualEvidence []ManualEvidence `mapstructure:"manual_evidence" json:"manual_evidence,omitempty"`
	Signing        *Signing         `mapstructure:"signing" json:"signing,omitempty"`
	Reports        Reports          `mapstructure:"reports" json:"reports"`
	Redact         []string         `mapstructure:"redact" json:"redact,omitempty"`
	// RedactKeyEnv names the environment variable holding the key of the
	// redaction hash.
	RedactKeyEnv string `mapstructure:"redact_key_env" json:"redact_key_env,omitempty"`
}

// PeriodSpec is either a named period ("2026-Q4", "last-90d") or explicit
// inclusive dates.
type PeriodSpec struct {
	Name  string `mapstructure:"-" json:"name,omitempty"`
	Start string `mapstructure:"start" json:"start,omitempty"`
	End   string `mapstructure:"end" json:"end,omitempty"`
}

// AWS configures the AWS collectors.
type AWS struct {
	// Endpoint points every client at an emulator; S3 then uses path-style
	// addressing.
	Endpoint    string        `mapstructure:"endpoint" json:"endpoint,omitempty"`
	Profile     string        `mapstructure:"profile" json:"profile,omitempty"`
	HomeRegion  string        `mapstructure:"home_region" json:"home_region"`
	MaxAttempts int           `mapstructure:"max_attempts" json:"max_attempts"`
	MaxBackoff  time.Duration `mapstructure:"max_backoff" json:"max_backoff"`
	// CallTimeout bounds one attempt of one API call, so an endpoint that
	// accepts a connection and never replies cannot stall a run.
	CallTimeout    time.Duration `mapstructure:"call_timeout" json:"call_timeout"`
	Regions        []string      `mapstructure:"regions" json:"regions"`
	Accounts       []AWSAccount  `mapstructure:"accounts" json:"accounts,omitempty"`
	ArchiveBuckets []string      `mapstructure:"archive_buckets" json:"archive_buckets,omitempty"`
	// CredentialReportTimeout bounds the wait for IAM to generate the
	// credential report.
	CredentialReportTimeout time.Duration `mapstructure:"credential_report_timeout" json:"credential_report_timeout"`
	// ServiceEndpoints overrides the endpoint of single services by SDK
	// service id ("backup"), only for emulators and fakes.
	ServiceEndpoints map[string]string `mapstructure:"service_endpoints" json:"service_endpoints,omitempty"`
}

// AWSAccount is an account reached by assuming a role.
type AWSAccount struct {
	ID            string `mapstructure:"id" json:"id"`
	RoleARN       string `mapstructure:"role_arn" json:"role_arn,omitempty"`
	ExternalIDEnv string `mapstructure:"external_id_env" json:"external_id_env,omitempty"`
}

// Postgres configures one database.
type Postgres struct {
	Name             string        `mapstructure:"name" json:"name"`
	DSNEnv           string        `mapstructure:"dsn_env" json:"dsn_env"`
	StatementTimeout time.Duration `mapstructure:"statement_timeout" json:"statement_timeout"`
	AuditLog         *AuditLog     `mapstructure:"audit_log" json:"audit_log,omitempty"`
	Users            *Users        `mapstructure:"users" json:"users,omitempty"`
}

// AuditLog describes the application's audit-log table.
type AuditLog struct {
	Table   string            `mapstructure:"table" json:"table"`
	Columns map[string]string `mapstructure:"columns" json:"columns"`
	// TimeZone is the zone of a timestamp-without-time-zone column.
	TimeZone string         `mapstructure:"time_zone" json:"time_zone,omitempty"`
	Owners   []string       `mapstructure:"owners" json:"owners"`
	Events   AuditLogEvents `mapstructure:"events" json:"events"`
}

// AuditLogEvents maps the application's event types to meanings.
type AuditLogEvents struct {
	Login            []string `mapstructure:"login" json:"login,omitempty"`
	FailureOutcomes  []string `mapstructure:"failure_outcomes" json:"failure_outcomes,omitempty"`
	Lockout          []string `mapstructure:"lockout" json:"lockout,omitempty"`
	PermissionChange []string `mapstructure:"permission_change" json:"permission_change,omitempty"`
	GDPRRequest      []string `mapstructure:"gdpr_request" json:"gdpr_request,omitempty"`
	GDPRCompleted    []string `mapstructure:"gdpr_completed" json:"gdpr_completed,omitempty"`
}

// Users describes the application's user table.
type Users struct {
	Table          string            `mapstructure:"table" json:"table"`
	Columns        map[string]string `mapstructure:"columns" json:"columns"`
	ActiveStatuses []string          `mapstructure:"active_statuses" json:"active_statuses"`
	AdminRoles     []string          `mapstructure:"admin_roles" json:"admin_roles"`
}

// HRRoster names the HR export used to find terminated people.
type HRRoster struct {
	Path             string   `mapstructure:"path" json:"path"`
	EmailColumn      string   `mapstructure:"email_column" json:"email_column"`
	StatusColumn     string   `mapstructure:"status_column" json:"status_column"`
	TerminatedValues []string `mapstructure:"terminated_values" json:"terminated_values"`
}

// RestoreTests names the restore-drill log.
type RestoreTests struct {
	Path    string   `mapstructure:"path" json:"path"`
	Systems []string `mapstructure:"systems" json:"systems,omitempty"`
}

// Checks selects checks and sets their parameters.
type Checks struct {
	Select []string                  `mapstructure:"select" json:"select"`
	Skip   []string                  `mapstructure:"skip" json:"skip"`
	Params map[string]map[string]any `mapstructure:"params" json:"params,omitempty"`
}

// Scope takes resources out of the audit.
type Scope struct {
	Exclude []string `mapstructure:"exclude" json:"exclude,omitempty"`
}

// Rule is a custom check written in CEL.
type Rule struct {
	ID         string   `mapstructure:"id" json:"id"`
	Title      string   `mapstructure:"title" json:"title"`
	Severity   string   `mapstructure:"severity" json:"severity"`
	Criteria   []string `mapstructure:"criteria" json:"criteria"`
	Kind       string   `mapstructure:"kind" json:"kind"`
	Expression string   `mapstructure:"expression" json:"expression"`
	Message    string   `mapstructure:"message" json:"message,omitempty"`
}

// ControlID maps a company control id to criteria and checks.
type ControlID struct {
	ID       string   `mapstructure:"id" json:"id"`
	Criteria []string `mapstructure:"criteria" json:"criteria"`
	Checks   []string `mapstructure:"checks" json:"checks"`
}

// ManualEvidence attaches a file to criteria.
type ManualEvidence struct {
	Criteria    []string `mapstructure:"criteria" json:"criteria"`
	Path        string   `mapstructure:"path" json:"path"`
	Description string   `mapstructure:"description" json:"description,omitempty"`
}

// Signing names where the Ed25519 private key comes from.
type Signing struct {
	KeyEnv  string `mapstructure:"key_env" json:"key_env,omitempty"`
	KeyFile string `mapstructure:"key_file" json:"key_file,omitempty"`
}

// Reports configures report rendering.
type Reports struct {
	PDFFallbackFont string `mapstructure:"pdf_fallback_font" json:"pdf_fallback_font,omitempty"`
}

// Defaults returns a configuration with every default set.
func Defaults() *Config {
	return &Config{
		OutputDir:   "./evidence",
		Formats:     []string{"pdf", "xlsx", "junit", "oscal"},
		FailOn:      "high",
		Concurrency: 16,
		Collectors:  []string{"*"},
		Checks:      Checks{Select: []string{"*"}},
	}
}

// ApplyDefaults fills unset AWS keys.
func (a *AWS) ApplyDefaults() {
	if a.HomeRegion == "" {
		a.HomeRegion = "us-east-1"
	}
	if a.MaxAttempts == 0 {
		a.MaxAttempts = 10
	}
	if a.MaxBackoff == 0 {
		a.MaxBackoff = 20 * time.Second
	}
	if a.CallTimeout == 0 {
		a.CallTimeout = time.Minute
	}
	if len(a.Regions) == 0 {
		a.Regions = []string{a.HomeRegion}
	}
	if a.CredentialReportTimeout == 0 {
		a.CredentialReportTimeout = 3 * time.Minute
	}
}

// ApplyDefaults fills unset PostgreSQL keys.
func (p *Postgres) ApplyDefaults() {
	if p.StatementTimeout == 0 {
		p.StatementTimeout = 60 * time.Second
	}
}
