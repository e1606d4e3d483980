package cmd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runCLI runs the command line in-process and returns its exit code, stdout
// and stderr.
func runCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string { return env[k] }
	code := run(context.Background(), args, &stdout, &stderr, getenv)
	return code, stdout.String(), stderr.String()
}

const validBase = `
organization: Test Corp
period: 2026-Q3
formats: [junit]
postgres:
  - name: app
    dsn_env: APP_DSN
    audit_log:
      table: public."AuditLogs"
      columns: {time: createdAt, event_type: eventType}
`

// TestInvalidConfigExitsThree covers the kinds of invalid configuration and
// usage: each exits 3, names the key and what is allowed, and writes
// nothing.
func TestInvalidConfigExitsThree(t *testing.T) {
	env := map[string]string{"APP_DSN": "postgres://auditor:s3cret-pw@127.0.0.1:1/app"}
	cases := []struct {
		name   string
		yaml   string
		args   []string
		env    map[string]string
		expect []string
	}{
		{name: "unknown top-level key", yaml: validBase + "colour: blue\n", expect: []string{`unknown key "colour"`, "allowed keys"}},
		{name: "unknown nested key", yaml: validBase + "aws:\n  regoins: [us-east-1]\n", expect: []string{`unknown key "aws.regoins"`, "regions"}},
		{name: "unknown key in list element", yaml: validBase + "manual_evidence:\n  - {criteria: [CC1.1], file: x.pdf}\n", expect: []string{`manual_evidence[0].file`}},
		{name: "bad period", yaml: strings.Replace(validBase, "2026-Q3", "2026-Q5", 1), expect: []string{"period", "2026-Q5", "2026-Q4"}},
		{name: "bad period flag", yaml: validBase, args: []string{"--period", "yesterday"}, expect: []string{"period", "yesterday"}},
		{name: "start without end", yaml: validBase, args: []string{"--start", "2026-10-01"}, expect: []string{"--start and --end"}},
		{name: "end before start", yaml: validBase, args: []string{"--start", "2026-10-05", "--end", "2026-10-01"}, expect: []string{"period", "before"}},
		{name: "period in the future", yaml: strings.Replace(validBase, "2026-Q3", "2099-Q1", 1), expect: []string{"period", "starts after now"}},
		{name: "unset dsn_env variable", yaml: validBase, env: map[string]string{}, expect: []string{"postgres[0].dsn_env", "APP_DSN", "not set"}},
		{name: "invalid dsn", yaml: validBase, env: map[string]string{"APP_DSN": "postgres://u:pw@host:notaport/db"}, expect: []string{"postgres[0].dsn_env", "not valid"}},
		{name: "missing config file", yaml: "", args: []string{"--config", "does-not-exist.yaml"}, expect: []string{"--config", "does-not-exist.yaml", "not found"}},
		{name: "bad fail_on", yaml: validBase + "fail_on: severe\n", expect: []string{"fail_on", "severe", "none, low, medium, high, critical"}},
		{name: "bad fail-on flag", yaml: validBase, args: []string{"--fail-on", "hgih"}, expect: []string{"fail_on", "hgih"}},
		{name: "unknown format", yaml: strings.Replace(validBase, "[junit]", "[junit, docx]", 1), expect: []string{"formats", "docx", "pdf, xlsx, junit, oscal"}},
		{name: "unquoted account id", yaml: validBase + "aws:\n  accounts:\n    - id: 111122223333\n", expect: []string{"aws.accounts[0].id", "quote"}},
		{name: "short account id", yaml: validBase + "aws:\n  accounts:\n    - id: \"1234\"\n", expect: []string{"aws.accounts[0].id", "12-digit"}},
		{name: "bad region", yaml: validBase + "aws:\n  regions: [us-east-1, mars-1]\n", expect: []string{"aws.regions[1]", "mars-1"}},
		{name: "bad endpoint", yaml: validBase + "aws:\n  endpoint: localhost:5000\n", expect: []string{"aws.endpoint", "http"}},
		{name: "concurrency out of range", yaml: validBase + "concurrency: 0\n", expect: []string{"concurrency", "1 to 256"}},
		{name: "wrong type", yaml: validBase + "concurrency: many\n", expect: []string{"concurrency"}},
		{name: "check pattern matches nothing", yaml: validBase, args: []string{"--checks", "aws.s3.encryptoin"}, expect: []string{"aws.s3.encryptoin", "matches no check"}},
		{name: "unknown collector", yaml: validBase + "collectors: [gcp.*]\n", expect: []string{"collectors", "gcp.*"}},
		{name: "missing manual evidence", yaml: validBase + "manual_evidence:\n  - {criteria: [CC1.1], path: missing.pdf}\n", expect: []string{"manual_evidence[0].path", "missing.pdf"}},
		{name: "unknown criterion in manual evidence", yaml: validBase + "manual_evidence:\n  - {criteria: [CC10.1], path: config.yaml}\n", expect: []string{"manual_evidence", "CC10.1"}},
		{name: "unknown check parameter", yaml: validBase + "checks:\n  params:\n    postgres.auditlog.retention: {min_dayz: 30}\n", expect: []string{"postgres.auditlog.retention", "min_dayz"}},
		{name: "bad time zone", yaml: strings.Replace(validBase, "event_type: eventType}", "event_type: eventType}\n      time_zone: Mars/Olympus", 1), expect: []string{"time_zone", "Mars/Olympus"}},
		{name: "signing key variable unset", yaml: validBase + "signing: {key_env: NO_SUCH_KEY}\n", expect: []string{"signing.key_env", "NO_SUCH_KEY"}},
		{name: "rule reads an unknown kind", yaml: validBase + "rules:\n  - {id: custom.s3.names, title: Names, severity: low, criteria: [CC6.1], kind: aws.s3.buckets, expression: 'true'}\n", expect: []string{"custom.s3.names", "aws.s3.buckets", "aws.s3.bucket"}},
		{name: "octal-looking account id", yaml: validBase + "aws:\n  accounts:\n    - id: 011122223333\n", expect: []string{"aws.accounts[0].id", "quote"}},
		{name: "output folder is a file", yaml: validBase, args: []string{"--output-dir", "@config"}, expect: []string{"output_dir", "is a file"}},
		{name: "unknown flag", yaml: validBase, args: []string{"--colour"}, expect: []string{"unknown flag"}},
		{name: "bad log level", yaml: validBase, args: []string{"--log-level", "loud"}, expect: []string{"--log-level", "loud"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfgPath := filepath.Join(dir, "config.yaml")
			if err := os.WriteFile(cfgPath, []byte(tc.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out")
			args := []string{"run", "--config", cfgPath, "--output-dir", out}
			if len(tc.args) > 0 && tc.args[0] == "--config" {
				args = []string{"run", "--output-dir", out}
			}
			for _, a := range tc.args {
				if a == "@config" {
					a = cfgPath
				}
				args = append(args, a)
			}
			e := env
			if tc.env != nil {
				e = tc.env
			}
			code, stdout, stderr := runCLI(t, e, args...)
			if code != ExitUsage {
				t.Fatalf("exit code = %d, want 3; stderr: %s", code, stderr)
			}
			for _, want := range tc.expect {
				if !strings.Contains(stderr, want) {
					t.Errorf("error message lacks %q: %s", want, stderr)
				}
			}
			if strings.Contains(stderr+stdout, "s3cret-pw") {
				t.Errorf("the DSN password appears in the output: %s", stderr)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("output folder %s was created on exit 3", out)
			}
		})
	}
}

// TestEnvironmentAndFlagsOverrideFile checks the layering order: file, then
// AUDITPACK_* variables, then flags.
func TestEnvironmentAndFlagsOverrideFile(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte("fail_on: low\noutput_dir: from-file\nformats: [pdf]\nchecks:\n  params:\n    aws.rds.backup_retention: {min_days: 30}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a := &app{}
	root := a.rootCommand()
	runCmd, _, err := root.Find([]string{"run"})
	if err != nil {
		t.Fatal(err)
	}
	if err := runCmd.Flags().Parse([]string{"--fail-on", "critical"}); err != nil {
		t.Fatal(err)
	}
	if err := runCmd.Flags().Parse([]string{"--concurrency", "4"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"AUDITPACK_FAIL_ON": "medium", "AUDITPACK_OUTPUT_DIR": "from-env", "AUDITPACK_FORMATS": "junit,oscal", "AUDITPACK_AWS_MAX_ATTEMPTS": "7", "AUDITPACK_AWS_MAX_BACKOFF": "250ms"}
	lc, err := loadConfig(cfgPath, runCmd.Flags(), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if lc.Config.FailOn != "critical" {
		t.Errorf("fail_on = %q, want the flag's critical", lc.Config.FailOn)
	}
	if wd, _ := os.Getwd(); lc.Config.OutputDir != filepath.Join(wd, "from-env") {
		t.Errorf("output_dir = %q, want the variable's from-env below the working folder", lc.Config.OutputDir)
	}
	if lc.Config.Concurrency != 4 {
		t.Errorf("concurrency = %d, want the flag's 4", lc.Config.Concurrency)
	}
	if lc.Config.AWS == nil || lc.Config.AWS.MaxAttempts != 7 || lc.Config.AWS.MaxBackoff != 250*time.Millisecond {
		t.Errorf("aws = %+v, want max_attempts 7 and max_backoff 250ms from the environment", lc.Config.AWS)
	}
	if strings.Join(lc.Config.Formats, ",") != "junit,oscal" {
		t.Errorf("formats = %v, want [junit oscal] from the variable", lc.Config.Formats)
	}
	if got := lc.Config.Checks.Params["aws.rds.backup_retention"]["min_days"]; got != 30 {
		t.Errorf("params under a check id with dots = %#v, want min_days 30", lc.Config.Checks.Params)
	}
}
