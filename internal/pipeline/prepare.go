// Package pipeline runs auditpack's stages: prepare (validate everything
// before any system is contacted), collect, evaluate, render and bundle.
package pipeline

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/auditpack/auditpack/collectors"
	"github.com/auditpack/auditpack/collectors/builtin"
	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/internal/config"
	"github.com/auditpack/auditpack/internal/period"
)

// ConfigError is invalid configuration or usage found before collection.
type ConfigError struct{ Msg string }

func (e *ConfigError) Error() string { return e.Msg }

func configErrorf(format string, args ...any) error {
	return &ConfigError{Msg: fmt.Sprintf(format, args...)}
}

// IsConfigError reports whether err is a ConfigError.
func IsConfigError(err error) bool {
	var ce *ConfigError
	return errors.As(err, &ce)
}

// Options are the inputs of Prepare besides the configuration.
type Options struct {
	// Dir is the folder relative paths in the configuration resolve against.
	Dir    string
	Now    time.Time
	Getenv func(string) string
	Logger *slog.Logger
	// ToolVersion is recorded in results.json.
	ToolVersion string
	ToolCommit  string
}

// Plan is a validated run, ready to collect.
type Plan struct {
	Config    *config.Config
	Opts      Options
	Period    period.Period
	Threshold controls.Threshold
	Catalog   *controls.Catalog
	Registry  *controls.Registry
	Selected  []*controls.Check
	Waivers   []controls.Waiver
	Manual    []ManualFile
	Signer    *evidence.Ed25519Signer
	// Collectors are built from the configuration, one per target; none has
	// contacted its system yet.
	Collectors []collectors.Collector
	Env        *collectors.Env
	// RunID names the run, its work folder and its bundle.
	RunID string
	// Redactor replaces personal data in the evidence; nil when off.
	Redactor *Redactor
}

// ManualFile is a manual evidence file read at preparation.
type ManualFile struct {
	Criteria    []string
	Path        string // as configured
	BundlePath  string // manual/NAME inside the bundle
	Description string
	Data        []byte
}

var regionRe = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// Prepare validates the whole configuration and builds the collectors. Any
// error is a ConfigError: the caller exits 3 and writes nothing.
func Prepare(cfg *config.Config, opts Options) (*Plan, error) {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	opts.Now = opts.Now.UTC().Truncate(time.Second)
	p := &Plan{Config: cfg, Opts: opts, RunID: NewRunID(opts.Now)}

	if err := p.checkBasics(); err != nil {
		return nil, err
	}
	if err := p.checkAWS(); err != nil {
		return nil, err
	}
	if err := p.checkPostgres(); err != nil {
		return nil, err
	}
	if err := p.checkFiles(); err != nil {
		return nil, err
	}
	if err := p.buildChecks(); err != nil {
		return nil, err
	}
	if err := p.buildCollectors(); err != nil {
		return nil, err
	}
	if err := p.loadSigner(); err != nil {
		return nil, err
	}
	if cfg.AWS == nil && len(cfg.Postgres) == 0 && cfg.HRRoster == nil && cfg.RestoreTests == nil {
		opts.Logger.Warn("no source is configured (aws, postgres, hr_roster, restore_tests); the run collects almost nothing, and checks without evidence stay not_tested")
	}
	if cfg.Operator == "" {
		if u, err := user.Current(); err == nil {
			cfg.Operator = u.Username
		}
	}
	return p, nil
}

// Resolve makes a configured path absolute against the configuration's
// folder.
func (p *Plan) Resolve(path string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(p.Opts.Dir, path)
}

func (p *Plan) checkBasics() error {
	cfg := p.Config
	var err error
	switch {
	case cfg.Period.Start != "" || cfg.Period.End != "":
		if cfg.Period.Name != "" {
			return configErrorf("period: give a name (2026-Q4) or start and end dates, not both")
		}
		if cfg.Period.Start == "" || cfg.Period.End == "" {
			return configErrorf("period: start and end go together; give both dates as YYYY-MM-DD")
		}
		p.Period, err = period.FromDates(cfg.Period.Start, cfg.Period.End)
	default:
		p.Period, err = period.Parse(cfg.Period.Name, p.Opts.Now)
	}
	if err != nil {
		return configErrorf("period: %v", err)
	}
	if p.Period.Start.After(p.Opts.Now) {
		return configErrorf("period: %s starts after now (%s); choose a period that has begun", p.Period, p.Opts.Now.Format(time.RFC3339))
	}
	if cfg.OutputDir == "" {
		return configErrorf("output_dir: must not be empty; give the folder for bundles and reports")
	}
	if err := checkFolderPath(p.Resolve(cfg.OutputDir)); err != nil {
		return configErrorf("output_dir: %v", err)
	}
	allowed := map[string]bool{"pdf": true, "xlsx": true, "junit": true, "oscal": true}
	seen := map[string]bool{}
	var formats []string
	for _, f := range cfg.Formats {
		f = strings.ToLower(strings.TrimSpace(f))
		if f == "" {
			continue
		}
		if !allowed[f] {
			return configErrorf("formats: unknown format %q; allowed: pdf, xlsx, junit, oscal", f)
		}
		if !seen[f] {
			formats = append(formats, f)
			seen[f] = true
		}
	}
	cfg.Formats = formats
	if p.Threshold, err = controls.ParseThreshold(cfg.FailOn); err != nil {
		return configErrorf("fail_on: %v", err)
	}
	if cfg.Concurrency < 1 || cfg.Concurrency > 256 {
		return configErrorf("concurrency: %d is out of range; use a whole number from 1 to 256", cfg.Concurrency)
	}
	for i, r := range cfg.Redact {
		if r != "emails" && r != "ip_addresses" {
			return configErrorf("redact[%d]: unknown value %q; allowed: emails, ip_addresses", i, r)
		}
	}
	if len(cfg.Redact) > 0 {
		if cfg.RedactKeyEnv == "" {
			return configErrorf("redact_key_env: missing; redact needs the name of an environment variable holding a secret key")
		}
		key := p.Opts.Getenv(cfg.RedactKeyEnv)
		if len(key) < 16 {
			return configErrorf("redact_key_env: environment variable %s is unset or shorter than 16 characters; export a long random key", cfg.RedactKeyEnv)
		}
		p.Redactor = NewRedactor(cfg.Redact, []byte(key))
	}
	return nil
}

func (p *Plan) checkAWS() error {
	a := p.Config.AWS
	if a == nil {
		return nil
	}
	a.ApplyDefaults()
	if a.Endpoint != "" {
		if err := checkURL(a.Endpoint); err != nil {
			return configErrorf("aws.endpoint: %q %v", a.Endpoint, err)
		}
	}
	for svc, e := range a.ServiceEndpoints {
		if err := checkURL(e); err != nil {
			return configErrorf("aws.service_endpoints.%s: %q %v", svc, e, err)
		}
	}
	if !regionRe.MatchString(a.HomeRegion) {
		return configErrorf("aws.home_region: %q is not a region name such as us-east-1", a.HomeRegion)
	}
	if a.MaxAttempts < 1 || a.MaxAttempts > 50 {
		return configErrorf("aws.max_attempts: %d is out of range; use 1 to 50", a.MaxAttempts)
	}
	if a.MaxBackoff < 0 || a.MaxBackoff > 5*time.Minute {
		return configErrorf("aws.max_backoff: %s is out of range; use a duration up to 5m", a.MaxBackoff)
	}
	if a.CallTimeout < 0 || a.CallTimeout > 10*time.Minute {
		return configErrorf("aws.call_timeout: %s is out of range; use a duration up to 10m", a.CallTimeout)
	}
	if a.CredentialReportTimeout < 0 {
		return configErrorf("aws.credential_report_timeout: %s must be positive", a.CredentialReportTimeout)
	}
	for i, r := range a.Regions {
		if r == "enabled" {
			if len(a.Regions) > 1 {
				return configErrorf("aws.regions: enabled cannot be combined with region names; give either [enabled] or a list of regions")
			}
			continue
		}
		if !regionRe.MatchString(r) {
			return configErrorf("aws.regions[%d]: %q is not a region name such as eu-west-1 (or use enabled)", i, r)
		}
	}
	acctRe := regexp.MustCompile(`^[0-9]{12}$`)
	roleRe := regexp.MustCompile(`^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/.+$`)
	seen := map[string]bool{}
	for i, acct := range a.Accounts {
		if !acctRe.MatchString(acct.ID) {
			return configErrorf("aws.accounts[%d].id: %q is not a 12-digit account id; quote it, for example id: \"111122223333\"", i, acct.ID)
		}
		if seen[acct.ID] {
			return configErrorf("aws.accounts[%d].id: account %s is listed twice", i, acct.ID)
		}
		seen[acct.ID] = true
		if acct.RoleARN != "" && !roleRe.MatchString(acct.RoleARN) {
			return configErrorf("aws.accounts[%d].role_arn: %q is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", i, acct.RoleARN)
		}
		if acct.ExternalIDEnv != "" && p.Opts.Getenv(acct.ExternalIDEnv) == "" {
			return configErrorf("aws.accounts[%d].external_id_env: environment variable %s is not set; export it or remove the key", i, acct.ExternalIDEnv)
		}
	}
	return nil
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("is not an http or https URL")
	}
	return nil
}

func (p *Plan) checkPostgres() error {
	names := map[string]bool{}
	for i := range p.Config.Postgres {
		db := &p.Config.Postgres[i]
		db.ApplyDefaults()
		key := fmt.Sprintf("postgres[%d]", i)
		if db.Name == "" {
			return configErrorf("%s.name: missing; give each database a short unique name", key)
		}
		if names[db.Name] {
			return configErrorf("%s.name: %q is used twice; names must be unique", key, db.Name)
		}
		names[db.Name] = true
		if db.DSNEnv == "" {
			return configErrorf("%s.dsn_env: missing; name the environment variable that holds the connection string", key)
		}
		dsn := p.Opts.Getenv(db.DSNEnv)
		if dsn == "" {
			return configErrorf("%s.dsn_env: environment variable %s is not set; export it with the database's connection string", key, db.DSNEnv)
		}
		if _, err := pgx.ParseConfig(dsn); err != nil {
			// The parse error may quote the DSN, password included: never
			// show it.
			return configErrorf("%s.dsn_env: the connection string in %s is not valid; use postgres://USER:PASSWORD@HOST:PORT/DB", key, db.DSNEnv)
		}
		if db.StatementTimeout <= 0 {
			return configErrorf("%s.statement_timeout: %s must be positive", key, db.StatementTimeout)
		}
		if al := db.AuditLog; al != nil {
			if al.Table == "" {
				return configErrorf("%s.audit_log.table: missing; name the audit-log table", key)
			}
			for _, col := range []string{"time", "event_type"} {
				if al.Columns[col] == "" {
					return configErrorf("%s.audit_log.columns.%s: missing; map it to the table's column", key, col)
				}
			}
			for col := range al.Columns {
				if !oneOf(col, "time", "event_type", "outcome", "actor", "source_ip") {
					return configErrorf("%s.audit_log.columns: unknown column role %q; allowed: time, event_type, outcome, actor, source_ip", key, col)
				}
			}
			if al.TimeZone != "" {
				if _, err := time.LoadLocation(al.TimeZone); err != nil {
					return configErrorf("%s.audit_log.time_zone: %q is not an IANA time zone such as Europe/Berlin", key, al.TimeZone)
				}
			}
		}
		if u := db.Users; u != nil {
			if u.Table == "" {
				return configErrorf("%s.users.table: missing; name the application's user table", key)
			}
			for col := range u.Columns {
				if !oneOf(col, "id", "email", "role", "status", "last_login", "mfa") {
					return configErrorf("%s.users.columns: unknown column role %q; allowed: id, email, role, status, last_login, mfa", key, col)
				}
			}
			if u.Columns["email"] == "" {
				return configErrorf("%s.users.columns.email: missing; map it to the table's e-mail column", key)
			}
		}
	}
	return nil
}

func oneOf(s string, list ...string) bool {
	for _, v := range list {
		if s == v {
			return true
		}
	}
	return false
}

func (p *Plan) checkFiles() error {
	cfg := p.Config
	if r := cfg.HRRoster; r != nil {
		if r.Path == "" {
			return configErrorf("hr_roster.path: missing; name the HR roster CSV")
		}
		r.Path = p.Resolve(r.Path)
		if _, err := os.Stat(r.Path); err != nil {
			return configErrorf("hr_roster.path: file %q not found", r.Path)
		}
	}
	if r := cfg.RestoreTests; r != nil {
		if r.Path == "" {
			return configErrorf("restore_tests.path: missing; name the restore-drill log")
		}
		r.Path = p.Resolve(r.Path)
		if _, err := os.Stat(r.Path); err != nil {
			return configErrorf("restore_tests.path: file %q not found", r.Path)
		}
	}
	if cfg.Reports.PDFFallbackFont != "" {
		cfg.Reports.PDFFallbackFont = p.Resolve(cfg.Reports.PDFFallbackFont)
		if _, err := os.Stat(cfg.Reports.PDFFallbackFont); err != nil {
			return configErrorf("reports.pdf_fallback_font: file %q not found", cfg.Reports.PDFFallbackFont)
		}
	}
	if cfg.Waivers != "" {
		path := p.Resolve(cfg.Waivers)
		ws, err := controls.LoadWaivers(path)
		if err != nil {
			return configErrorf("waivers: %v", err)
		}
		p.Waivers = ws
	}
	if err := controls.ValidateScope(cfg.Scope.Exclude); err != nil {
		return configErrorf("%v", err)
	}
	used := map[string]string{}
	for i, m := range cfg.ManualEvidence {
		key := fmt.Sprintf("manual_evidence[%d]", i)
		if m.Path == "" {
			return configErrorf("%s.path: missing; name the file", key)
		}
		if len(m.Criteria) == 0 {
			return configErrorf("%s.criteria: missing; list the criteria the file supports", key)
		}
		data, err := os.ReadFile(p.Resolve(m.Path))
		if err != nil {
			return configErrorf("%s.path: manual evidence file %q not found or unreadable; fix the path or remove the entry", key, m.Path)
		}
		name := filepath.Base(m.Path)
		bundlePath := "manual/" + name
		if prev, ok := used[bundlePath]; ok && prev != m.Path {
			bundlePath = fmt.Sprintf("manual/%d-%s", i, name)
		}
		used[bundlePath] = m.Path
		p.Manual = append(p.Manual, ManualFile{Criteria: m.Criteria, Path: m.Path, BundlePath: bundlePath, Description: m.Description, Data: data})
	}
	return nil
}

func (p *Plan) buildChecks() error {
	cfg := p.Config
	cat, err := controls.LoadCatalog()
	if err != nil {
		return err
	}
	p.Catalog = cat
	reg, err := controls.DefaultRegistry(cat)
	if err != nil {
		return fmt.Errorf("built-in checks: %w", err)
	}
	if len(cfg.Rules) > 0 {
		custom, err := controls.CompileRules(cfg.Rules, cat)
		if err != nil {
			return configErrorf("rules: %v", err)
		}
		for _, c := range custom {
			if err := reg.Add(cat, c); err != nil {
				return configErrorf("rules: %v", err)
			}
		}
	}
	p.Registry = reg
	for _, m := range cfg.ManualEvidence {
		for _, id := range m.Criteria {
			if _, ok := cat.Lookup(id); !ok {
				return configErrorf("manual_evidence: unknown criterion %q; run 'auditpack controls list' for the ids", id)
			}
		}
	}
	sel, err := reg.Select(cfg.Checks.Select, cfg.Checks.Skip)
	if err != nil {
		return configErrorf("checks.select/checks.skip: %v", err)
	}
	if len(sel) == 0 {
		return configErrorf("checks.select: the selection leaves no check to run; widen checks.select or shorten checks.skip")
	}
	p.Selected = sel
	if err := controls.ValidateParams(reg, cfg.Checks.Params); err != nil {
		return configErrorf("%v", err)
	}
	if err := controls.ValidateWaivers(p.Waivers, reg); err != nil {
		return configErrorf("waivers: %v", err)
	}
	if _, err := controls.MapControlIDs(cfg.ControlIDs, nil, nil, reg); err != nil {
		return configErrorf("%v", err)
	}
	return nil
}

func (p *Plan) buildCollectors() error {
	cfg := p.Config
	reg, err := builtin.Registry()
	if err != nil {
		return err
	}
	for _, pat := range cfg.Collectors {
		matched := false
		for _, f := range reg.All() {
			if controls.MatchAny([]string{pat}, f.ID) {
				matched = true
			}
		}
		if !matched {
			var ids []string
			for _, f := range reg.All() {
				ids = append(ids, f.ID)
			}
			return configErrorf("collectors: pattern %q matches no collector; known collectors: %s", pat, strings.Join(ids, ", "))
		}
	}
	// A check whose collectors are all deselected has no evidence to judge:
	// it leaves the selection rather than reporting missing evidence as a
	// finding.
	kept := withSelectedCollectors(p.Selected, cfg.Collectors)
	if len(kept) == 0 {
		return configErrorf("collectors: %s leaves no selected check with a collector; widen collectors or checks.select", strings.Join(cfg.Collectors, ","))
	}
	p.Selected = kept
	// A collector runs when the selection allows it and a selected check
	// reads its evidence.
	needed := map[string]bool{}
	for _, c := range p.Selected {
		for _, id := range c.Collectors {
			needed[id] = true
		}
		// A custom rule names only the evidence kind it reads; the
		// collectors producing that kind run for it.
		if len(c.Collectors) == 0 && !overlaps(c.Kinds, []string{controls.KindCheckParams}) {
			produced := false
			for _, f := range reg.All() {
				if overlaps(f.Kinds, c.Kinds) {
					needed[f.ID] = true
					produced = true
				}
			}
			if !produced {
				return configErrorf("rules: rule %s reads evidence kind %q, which no collector produces; known kinds: %s", c.ID, strings.Join(c.Kinds, ","), strings.Join(knownKinds(reg), ", "))
			}
		}
	}
	p.Env = collectors.NewEnv(cfg, p.Opts.Logger)
	p.Env.Getenv = p.Opts.Getenv
	p.Env.Dir = p.Opts.Dir
	for _, f := range reg.All() {
		if !needed[f.ID] || !controls.MatchAny(cfg.Collectors, f.ID) {
			continue
		}
		list, err := f.Build(p.Env)
		if err != nil {
			return configErrorf("collector %s: %v", f.ID, err)
		}
		p.Collectors = append(p.Collectors, list...)
	}
	return nil
}

func (p *Plan) loadSigner() error {
	signer, err := LoadSigner(p.Config.Signing, p.Opts.Dir, p.Opts.Getenv)
	if err != nil {
		return err
	}
	p.Signer = signer
	return nil
}

// LoadSigner reads the signing key the configuration names, or returns nil
// when signing is not configured. Errors never include key material.
func LoadSigner(s *config.Signing, dir string, getenv func(string) string) (*evidence.Ed25519Signer, error) {
	if s == nil || (s.KeyEnv == "" && s.KeyFile == "") {
		return nil, nil
	}
	if s.KeyEnv != "" && s.KeyFile != "" {
		return nil, configErrorf("signing: give key_env or key_file, not both")
	}
	var data []byte
	var source string
	if s.KeyEnv != "" {
		source = "signing.key_env: environment variable " + s.KeyEnv
		data = []byte(getenv(s.KeyEnv))
		if len(data) == 0 {
			return nil, configErrorf("%s is not set; export the PEM private key written by 'auditpack keygen'", source)
		}
	} else {
		source = "signing.key_file: " + s.KeyFile
		path := s.KeyFile
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		var err error
		data, err = os.ReadFile(path)
		if err != nil {
			return nil, configErrorf("%s cannot be read; check the path", source)
		}
	}
	signer, err := evidence.ParsePrivateKey(data)
	if err != nil {
		return nil, configErrorf("%s: %v", source, err)
	}
	return signer, nil
}

func overlaps(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

// requestedChecks returns the check ids collectors are asked to serve: the
// selected checks, and for a custom rule every built-in check that reads
// the same evidence kind, so its items carry every attribute.
func (p *Plan) requestedChecks() map[string]bool {
	requested := map[string]bool{}
	for _, c := range p.Selected {
		requested[c.ID] = true
		if len(c.Collectors) > 0 {
			continue
		}
		for _, other := range p.Registry.All() {
			if len(other.Collectors) > 0 && overlaps(other.Kinds, c.Kinds) {
				requested[other.ID] = true
			}
		}
	}
	return requested
}

// withSelectedCollectors drops the checks whose collectors are all outside
// the collector patterns. Run and re-evaluation both apply it, so they judge
// the same checks.
func withSelectedCollectors(checks []*controls.Check, patterns []string) []*controls.Check {
	var kept []*controls.Check
	for _, c := range checks {
		if len(c.Collectors) > 0 && !anyMatch(patterns, c.Collectors) {
			continue
		}
		kept = append(kept, c)
	}
	return kept
}

// anyMatch reports whether any id matches any of the glob patterns.
func anyMatch(patterns, ids []string) bool {
	for _, id := range ids {
		if controls.MatchAny(patterns, id) {
			return true
		}
	}
	return false
}

// checkFolderPath reports an error when path, or the nearest part of it that
// exists, is not a folder, so the output folder can be created.
func checkFolderPath(path string) error {
	for p := path; ; p = filepath.Dir(p) {
		st, err := os.Stat(p)
		if err == nil {
			if !st.IsDir() {
				return fmt.Errorf("%q is a file, not a folder; choose another output folder", p)
			}
			return nil
		}
		if filepath.Dir(p) == p {
			return nil
		}
	}
}

// knownKinds lists every evidence kind the collectors produce, sorted.
func knownKinds(reg *collectors.Registry) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range reg.All() {
		for _, k := range f.Kinds {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}
