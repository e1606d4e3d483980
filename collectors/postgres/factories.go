package postgres

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/auditpack/auditpack/collectors"
	"github.com/auditpack/auditpack/internal/config"
)

// Default burst definition of the lockout check.
const (
	DefaultMaxFailures   = 5
	DefaultWindowMinutes = 15
)

// Factories returns the PostgreSQL collector factories: server settings,
// roles, application users and audit-log statistics.
func Factories() []collectors.Factory {
	return []collectors.Factory{ServerFactory, RolesFactory, UsersFactory, AuditLogFactory}
}

// ServerFactory builds one server collector per configured database and
// host.
var ServerFactory = collectors.Factory{
	ID:          "postgres.server",
	Description: "PostgreSQL TLS, password and connection-logging settings, per host",
	Kinds:       []string{KindServer},
	Build: func(env *collectors.Env) ([]collectors.Collector, error) {
		return build(env, true, func(t target, _ config.Postgres) collectors.Collector {
			return &ServerCollector{t: t}
		})
	},
}

// RolesFactory builds one roles collector per configured database.
var RolesFactory = collectors.Factory{
	ID:          "postgres.roles",
	Description: "PostgreSQL roles, their attributes and effective table privileges",
	Kinds:       []string{KindRoles, KindRolePrivileges},
	Build: func(env *collectors.Env) ([]collectors.Collector, error) {
		return build(env, false, func(t target, _ config.Postgres) collectors.Collector {
			return &RolesCollector{t: t}
		})
	},
}

// UsersFactory builds one collector per database with a users table.
var UsersFactory = collectors.Factory{
	ID:          "postgres.users",
	Description: "Active users of an application's user table",
	Kinds:       []string{KindAppUsers},
	Build: func(env *collectors.Env) ([]collectors.Collector, error) {
		return build(env, false, func(t target, pc config.Postgres) collectors.Collector {
			if pc.Users == nil || pc.Users.Table == "" {
				return nil
			}
			return &UsersCollector{t: t, users: *pc.Users}
		})
	},
}

// AuditLogFactory builds one collector per database with an audit-log
// table.
var AuditLogFactory = collectors.Factory{
	ID:          "postgres.auditlog",
	Description: "Statistics of an application's audit-log table, computed by the database",
	Kinds:       []string{KindAuditLog},
	Build: func(env *collectors.Env) ([]collectors.Collector, error) {
		lockout, err := lockoutParams(env.Config)
		if err != nil {
			return nil, err
		}
		return build(env, false, func(t target, pc config.Postgres) collectors.Collector {
			if pc.AuditLog == nil || pc.AuditLog.Table == "" {
				return nil
			}
			return &AuditLogCollector{t: t, log: *pc.AuditLog, lockout: lockout}
		})
	},
}

func build(env *collectors.Env, perHost bool, make func(target, config.Postgres) collectors.Collector) ([]collectors.Collector, error) {
	if env.Config == nil {
		return nil, nil
	}
	getenv := env.Getenv
	var out []collectors.Collector
	for _, pc := range env.Config.Postgres {
		pc.ApplyDefaults()
		targets, err := parseTargets(pc, getenv(pc.DSNEnv), perHost)
		if err != nil {
			return nil, err
		}
		for _, t := range targets {
			if c := make(t, pc); c != nil {
				out = append(out, c)
			}
		}
	}
	return out, nil
}

// lockoutParams reads the lockout check's burst definition from the
// configured check parameters, with the defaults.
func lockoutParams(cfg *config.Config) (LockoutParams, error) {
	p := LockoutParams{MaxFailures: DefaultMaxFailures, WindowMinutes: DefaultWindowMinutes}
	if cfg == nil {
		return p, nil
	}
	set := cfg.Checks.Params[CheckLockout]
	for name, dest := range map[string]*int{"max_failures": &p.MaxFailures, "window_minutes": &p.WindowMinutes} {
		v, ok := set[name]
		if !ok {
			continue
		}
		n, ok := wholeNumber(v)
		if !ok || n < 1 {
			return p, fmt.Errorf("invalid value %v for checks.params.%s.%s: use a whole number of at least 1", v, CheckLockout, name)
		}
		*dest = n
	}
	return p, nil
}

func wholeNumber(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case float64:
		if n == math.Trunc(n) {
			return int(n), true
		}
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	}
	return 0, false
}
