package cmd

import (
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/auditpack/auditpack/collectors/builtin"
	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/internal/config"
	"github.com/auditpack/auditpack/internal/permissions"
)

func (a *app) permissionsCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "permissions",
		Short: "Print the least privilege auditpack needs: an IAM policy or a PostgreSQL role",
		Long: `permissions prints what to grant auditpack so that it can collect and nothing
more: the IAM policy for the selected AWS checks, or the SQL that creates a
read-only PostgreSQL login role for the configured databases.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageErrorf("permissions needs a subcommand: aws or postgres")
		},
	}
	c.AddCommand(a.permissionsAWSCommand(), a.permissionsPostgresCommand())
	return c
}

func (a *app) permissionsAWSCommand() *cobra.Command {
	var partition string
	c := &cobra.Command{
		Use:   "aws",
		Short: "Print the IAM policy document the selected AWS checks need",
		Long: `aws prints an IAM identity-based policy with exactly the IAM actions that the
selected AWS checks call, granted on ARN patterns where the action supports
resource-level permissions and on "*" only where it does not. Attach it to the
role or user auditpack runs as.

sts:GetCallerIdentity needs no permission and is not listed. When accounts are
reached through aws.accounts[].role_arn, the identity that runs auditpack needs
sts:AssumeRole on those roles; that permission belongs to the caller's own
policy, not to this one, and the role's trust policy must allow the caller.`,
		Example: `  auditpack permissions aws > auditpack-policy.json
  auditpack permissions aws --checks 'aws.s3.*' --config auditpack.yaml
  auditpack permissions aws --partition aws-us-gov`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			checks, _, err := a.selectedChecks(cmd)
			if err != nil {
				return err
			}
			switch partition {
			case "aws", "aws-us-gov", "aws-cn":
			default:
				return usageErrorf("--partition: unknown partition %q; use aws, aws-us-gov or aws-cn", partition)
			}
			doc, err := permissions.AWSPolicyIn(checks, partition)
			if err != nil {
				return abortedError(err)
			}
			_, err = a.stdout.Write(doc)
			return err
		},
	}
	c.Flags().StringSlice("checks", nil, "check ids or globs the policy covers (default: all)")
	c.Flags().StringSlice("skip-checks", nil, "check ids or globs to leave out")
	c.Flags().StringVar(&partition, "partition", "aws", "ARN partition of the resources: aws, aws-us-gov or aws-cn")
	return c
}

func (a *app) permissionsPostgresCommand() *cobra.Command {
	var role string
	var grantHBA bool
	c := &cobra.Command{
		Use:   "postgres",
		Short: "Print SQL creating a read-only PostgreSQL role for the configured databases",
		Long: `postgres prints a psql script that creates a read-only login role with only
the privileges the configured PostgreSQL collectors need: pg_read_all_settings
for server settings, CONNECT on each database, USAGE on the schemas and SELECT
on the configured audit-log and user tables. The role's sessions default to
read-only. The password is the psql variable "password"; the script never
contains one.

The script ends with the evidence such a role cannot read and how the affected
checks then report. pg_authid, which holds password hashes, stays closed.
pg_hba_file_rules is closed too unless --grant-hba-rules grants SELECT on it and
EXECUTE on pg_hba_file_rules() in each database.

The host and database names come from the connection strings that
postgres[].dsn_env names, so those variables must be set.`,
		Example: `  auditpack permissions postgres --config auditpack.yaml > auditpack-role.sql
  psql "postgres://admin@db.internal:5432/app" -v password="$NEW_PASSWORD" -f auditpack-role.sql
  auditpack permissions postgres --role audit_ro --checks 'postgres.auditlog.*'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			checks, cfg, err := a.selectedChecks(cmd)
			if err != nil {
				return err
			}
			in, err := a.postgresRoleInput(cfg, checks)
			if err != nil {
				return err
			}
			in.Role = role
			in.ReadHBARules = grantHBA
			sql, err := permissions.PostgresRole(in)
			if err != nil {
				return usageErrorf("%v", err)
			}
			_, err = fmt.Fprint(a.stdout, sql)
			return err
		},
	}
	c.Flags().StringSlice("checks", nil, "check ids or globs whose collectors the role serves (default: all)")
	c.Flags().StringSlice("skip-checks", nil, "check ids or globs to leave out")
	c.Flags().StringSlice("collectors", nil, "collector ids or globs to run (default: all that the selected checks need)")
	c.Flags().StringVar(&role, "role", permissions.DefaultRole, "name of the login role to create")
	c.Flags().BoolVar(&grantHBA, "grant-hba-rules", false, "also let the role read pg_hba_file_rules, so postgres.server.ssl_required can judge pg_hba.conf")
	return c
}

// selectedChecks loads the configuration and returns the built-in checks
// that checks.select and checks.skip select.
func (a *app) selectedChecks(cmd *cobra.Command) ([]*controls.Check, *config.Config, error) {
	lc, err := loadConfig(a.configPath, cmd.Flags(), a.getenv)
	if err != nil {
		return nil, nil, err
	}
	cat, err := controls.LoadCatalog()
	if err != nil {
		return nil, nil, abortedError(err)
	}
	reg, err := controls.DefaultRegistry(cat)
	if err != nil {
		return nil, nil, abortedError(err)
	}
	// NOTE: custom CEL rules are not included; they read evidence that the
	// built-in checks' collectors already gather.
	checks, err := reg.Select(lc.Config.Checks.Select, lc.Config.Checks.Skip)
	if err != nil {
		return nil, nil, usageErrorf("checks.select/checks.skip: %v", err)
	}
	if len(checks) == 0 {
		return nil, nil, usageErrorf("checks.select: the selection leaves no check; widen checks.select or shorten checks.skip")
	}
	return checks, lc.Config, nil
}

// postgresRoleInput reads the configured databases' hosts and names from
// their connection strings and the collectors the selected checks run.
func (a *app) postgresRoleInput(cfg *config.Config, checks []*controls.Check) (permissions.PostgresInput, error) {
	in := permissions.PostgresInput{Collectors: map[string]bool{}}
	reg, err := builtin.Registry()
	if err != nil {
		return in, abortedError(err)
	}
	known := map[string]bool{}
	for _, f := range reg.All() {
		known[f.ID] = true
	}
	for _, c := range checks {
		for _, id := range c.Collectors {
			if known[id] && controls.MatchAny(cfg.Collectors, id) {
				in.Collectors[id] = true
			}
		}
	}
	if len(cfg.Postgres) == 0 {
		return in, usageErrorf("postgres: no database is configured; add a postgres entry (name, dsn_env) to the configuration")
	}
	for i, pc := range cfg.Postgres {
		key := fmt.Sprintf("postgres[%d]", i)
		if pc.DSNEnv == "" {
			return in, usageErrorf("%s.dsn_env: missing; name the environment variable that holds the connection string", key)
		}
		dsn := a.getenv(pc.DSNEnv)
		if dsn == "" {
			return in, usageErrorf("%s.dsn_env: environment variable %s is not set; export it, because the host and database name come from it", key, pc.DSNEnv)
		}
		cc, err := pgx.ParseConfig(dsn)
		if err != nil {
			// The parser's message can quote the DSN, password included.
			return in, usageErrorf("%s.dsn_env: the connection string in %s is not valid; use postgres://USER:PASSWORD@HOST:PORT/DB", key, pc.DSNEnv)
		}
		db := permissions.Database{Name: pc.Name, Host: cc.Host, Port: cc.Port, DBName: cc.Database}
		if pc.AuditLog != nil {
			db.AuditLogTable = pc.AuditLog.Table
		}
		if pc.Users != nil {
			db.UsersTable = pc.Users.Table
		}
		in.Databases = append(in.Databases, db)
	}
	return in, nil
}
