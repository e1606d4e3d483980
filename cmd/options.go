package cmd

import (
	"reflect"
	"sort"
	"strings"

	"github.com/auditpack/auditpack/internal/config"
	"github.com/auditpack/auditpack/internal/docs"
)

// option declares one configuration key once: its flag, its environment
// variable and its help text. Keys without a flag or variable are set in the
// file only.
type option struct {
	// Key is the dotted path in the YAML file.
	Key string
	// Flag is the flag name, or "" for none.
	Flag string
	// Env is true when AUDITPACK_KEY (dots and dashes as underscores) sets it.
	Env bool
	// Help describes what the key sets and in what unit.
	Help string
}

// EnvName is the environment variable of a key.
func (o option) EnvName() string {
	if !o.Env {
		return ""
	}
	return "AUDITPACK_" + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(o.Key))
}

// options lists every configuration key. A test keeps it in step with the
// typed configuration, and docs/configuration.md is generated from it.
var options = []option{
	{Key: "organization", Env: true, Help: "Organisation name shown on reports."},
	{Key: "operator", Env: true, Help: "Who runs the collection; default: the operating-system user."},
	{Key: "period", Flag: "period", Env: true, Help: "Audit period: 2026-Q4, 2026-11, 2026, last-90d, or {start: DATE, end: DATE}; default: the current quarter (UTC)."},
	{Key: "period.start", Flag: "start", Help: "First day of the period (YYYY-MM-DD), with period.end."},
	{Key: "period.end", Flag: "end", Help: "Last day of the period (YYYY-MM-DD), inclusive, with period.start."},
	{Key: "output_dir", Flag: "output-dir", Env: true, Help: "Folder for bundles, reports and run history. Default: ./evidence."},
	{Key: "formats", Flag: "formats", Env: true, Help: "Report formats to write: pdf, xlsx, junit, oscal (comma-separated). results.json is always written."},
	{Key: "fail_on", Flag: "fail-on", Env: true, Help: "Least severity whose fail (exit 1) or error (exit 2) findings change the exit code: none, low, medium, high, critical. Default: high."},
	{Key: "concurrency", Flag: "concurrency", Env: true, Help: "API calls in flight per service and account. Default: 16."},
	{Key: "aws", Help: "AWS collection; leave out to collect nothing from AWS."},
	{Key: "aws.endpoint", Env: true, Help: "Endpoint URL for an emulator such as moto_server; S3 then uses path-style addressing."},
	{Key: "aws.profile", Env: true, Help: "Shared-config profile for the default credential chain."},
	{Key: "aws.home_region", Env: true, Help: "Region for STS and DescribeRegions. Default: us-east-1."},
	{Key: "aws.max_attempts", Env: true, Help: "Attempts per API call, throttling included. Default: 10."},
	{Key: "aws.max_backoff", Env: true, Help: "Longest wait between attempts, as a Go duration (20s). Default: 20s."},
	{Key: "aws.call_timeout", Env: true, Help: "Longest wait for one attempt of one API call, as a Go duration; a timed-out attempt is retried. Default: 1m."},
	{Key: "aws.regions", Env: true, Help: "Regions to collect (comma-separated), or enabled for every region enabled in the account. Default: the home region."},
	{Key: "aws.accounts", Help: "Accounts reached by assuming a role: a list of {id, role_arn, external_id_env}. Default: the account of the default credential chain."},
	{Key: "aws.accounts[].id", Help: "Account id as a quoted 12-digit string."},
	{Key: "aws.accounts[].role_arn", Help: "Role to assume in the account."},
	{Key: "aws.accounts[].external_id_env", Help: "Environment variable holding the external id for AssumeRole."},
	{Key: "aws.archive_buckets", Help: "Buckets that hold audit-log archives; they get the object-lock and lifecycle checks."},
	{Key: "aws.credential_report_timeout", Help: "Longest wait for IAM to generate the credential report, as a Go duration. Default: 3m."},
	{Key: "aws.service_endpoints", Help: "Endpoint URL by SDK service id (backup: URL), only for emulators and fakes."},
	{Key: "postgres", Help: "Databases to collect from: a list of entries with the keys below."},
	{Key: "postgres[].name", Help: "Short name of the database, unique in the list."},
	{Key: "postgres[].dsn_env", Help: "Environment variable holding the connection string (postgres://…); the password never leaves it."},
	{Key: "postgres[].statement_timeout", Help: "Statement timeout on every connection, as a Go duration. Default: 60s."},
	{Key: "postgres[].audit_log", Help: "The application's audit-log table: table, columns {time, event_type, outcome, actor, source_ip}, time_zone, owners, events."},
	{Key: "postgres[].audit_log.table", Help: "Table name, optionally schema-qualified; quote mixed-case names as in SQL (public.\"AuditLogs\")."},
	{Key: "postgres[].audit_log.columns", Help: "Column names by role: time, event_type, outcome, actor, source_ip."},
	{Key: "postgres[].audit_log.time_zone", Help: "IANA zone of a timestamp-without-time-zone time column. Default: UTC, marked as assumed."},
	{Key: "postgres[].audit_log.owners", Help: "Roles allowed to modify the audit-log table."},
	{Key: "postgres[].audit_log.events", Help: "Event types by meaning: login, failure_outcomes, lockout, permission_change, gdpr_request, gdpr_completed."},
	{Key: "postgres[].users", Help: "The application's user table: table, columns {id, email, role, status, last_login, mfa}, active_statuses, admin_roles."},
	{Key: "hr_roster", Help: "HR export for terminated people: {path, email_column, status_column, terminated_values}."},
	{Key: "restore_tests", Help: "Restore-drill log (CSV or YAML): {path, systems}."},
	{Key: "collectors", Flag: "collectors", Env: true, Help: "Collector ids or globs to run (comma-separated). Default: *."},
	{Key: "checks.select", Flag: "checks", Env: true, Help: "Check ids or globs to evaluate (comma-separated). Default: *."},
	{Key: "checks.skip", Flag: "skip-checks", Env: true, Help: "Check ids or globs to leave out (comma-separated)."},
	{Key: "checks.params", Help: "Parameters by check id, such as aws.rds.backup_retention: {min_days: 30}."},
	{Key: "scope.exclude", Help: "Resource id patterns taken out of the audit scope; reports list them."},
	{Key: "waivers", Env: true, Help: "YAML file of waivers (check, resource, justification, approver, expires)."},
	{Key: "rules", Help: "Custom checks in CEL: a list of {id, title, severity, criteria, kind, expression, message}."},
	{Key: "control_ids", Help: "The company's own control ids: a list of {id, criteria, checks}."},
	{Key: "manual_evidence", Help: "Files attached to criteria: a list of {criteria, path, description}."},
	{Key: "signing", Help: "Manifest signing key: {key_env} (variable holding the PEM private key) or {key_file}."},
	{Key: "signing.key_env", Env: true, Help: "Environment variable holding the Ed25519 private key PEM written by auditpack keygen."},
	{Key: "signing.key_file", Env: true, Help: "File holding the Ed25519 private key PEM."},
	{Key: "reports.pdf_fallback_font", Env: true, Help: "TrueType font for characters the embedded Go fonts lack (CJK, emoji); without it they print as [U+XXXX]."},
	{Key: "redact", Help: "Personal data replaced by a keyed hash in evidence and reports: emails, ip_addresses."},
	{Key: "redact_key_env", Help: "Environment variable holding the secret key of the redaction hash; required with redact."},
}

// configKeys lists every key path of the typed configuration, as "a.b",
// with "[]" for list elements. Free-form maps end at their own key.
func configKeys() []string {
	var keys []string
	walkKeys(reflect.TypeOf(config.Config{}), "", &keys)
	sort.Strings(keys)
	return keys
}

func walkKeys(t reflect.Type, prefix string, keys *[]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("mapstructure"), ",")[0]
		if name == "" || name == "-" {
			continue
		}
		key := name
		if prefix != "" {
			key = prefix + "." + name
		}
		*keys = append(*keys, key)
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft.Kind() == reflect.Struct && ft.PkgPath() != "time":
			walkKeys(ft, key, keys)
		case ft.Kind() == reflect.Slice && structElem(ft) != nil:
			walkKeys(structElem(ft), key+"[]", keys)
		}
	}
}

func structElem(t reflect.Type) reflect.Type {
	e := t.Elem()
	for e.Kind() == reflect.Pointer {
		e = e.Elem()
	}
	if e.Kind() == reflect.Struct {
		return e
	}
	return nil
}

// ConfigReference returns the declared options for the generated
// configuration reference.
func ConfigReference() []docs.ConfigOption {
	out := make([]docs.ConfigOption, 0, len(options))
	for _, o := range options {
		out = append(out, docs.ConfigOption{Key: o.Key, Flag: o.Flag, Env: o.EnvName(), Help: o.Help})
	}
	return out
}
