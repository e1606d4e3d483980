package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/auditpack/auditpack/collectors"
	"github.com/auditpack/auditpack/evidence"
)

const (
	// rolesSQL reads VALID UNTIL 'infinity' as no expiry, which it is.
	rolesSQL = `SELECT oid::int8, rolname::text, rolcanlogin, rolsuper, rolcreaterole, rolbypassrls, rolinherit,
       CASE WHEN isfinite(rolvaliduntil) THEN rolvaliduntil END
FROM pg_roles ORDER BY rolname`
	// membersSQL15 reads memberships before PostgreSQL 16, which has no
	// per-grant inherit and set options.
	membersSQL15 = `SELECT roleid::int8, member::int8, admin_option FROM pg_auth_members ORDER BY roleid, member`
	membersSQL16 = `SELECT roleid::int8, member::int8, admin_option, inherit_option, set_option FROM pg_auth_members ORDER BY roleid, member`
	// passwordsSQL reads only whether a password is set and its hash
	// method, never the hash. pg_authid is readable by superusers only.
	passwordsSQL = `SELECT rolname::text, rolpassword IS NOT NULL,
       CASE WHEN rolpassword LIKE 'SCRAM-SHA-256$%' THEN 'scram-sha-256'
            WHEN rolpassword LIKE 'md5%' THEN 'md5'
            WHEN rolpassword IS NULL THEN ''
            ELSE 'other' END
FROM pg_authid ORDER BY rolname`
	grantsSQL = `SELECT n.nspname::text, c.relname::text, c.relowner::int8, a.grantee::int8, coalesce(a.privilege_type, '')
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN LATERAL aclexplode(c.relacl) a ON true
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
ORDER BY 1, 2, 4, 5`
)

// bootstrapRoleOID is the oid of the role initdb creates.
const bootstrapRoleOID = 10

// RolesCollector lists a server's roles, how login roles hold powerful
// attributes, and each login role's effective table privileges for the
// access review.
type RolesCollector struct {
	t target
}

var _ collectors.Collector = (*RolesCollector)(nil)

// ID returns "postgres.roles".
func (c *RolesCollector) ID() string { return "postgres.roles" }

// Scope returns the database address.
func (c *RolesCollector) Scope() string { return c.t.base() }

// Kinds returns the role kinds.
func (c *RolesCollector) Kinds() []string { return []string{KindRoles, KindRolePrivileges} }

// Collect reads pg_roles, pg_auth_members, table ACLs and, for the
// password-expiry check, pg_authid where it is readable. The privilege
// listing is evidence for the access review and is collected whenever the
// collector runs.
func (c *RolesCollector) Collect(ctx context.Context, req collectors.Request, sink evidence.Sink) error {
	s, err := connect(ctx, c.t)
	if err != nil {
		return err
	}
	defer s.close(ctx)

	var cat Catalog
	provRoles, err := s.query(ctx, "roles", rolesSQL, nil, nil, func(r pgx.Rows) error {
		for r.Next() {
			var role CatalogRole
			if err := r.Scan(&role.OID, &role.Name, &role.Login, &role.Superuser, &role.CreateRole, &role.BypassRLS, &role.Inherit, &role.ValidUntil); err != nil {
				return err
			}
			if role.ValidUntil != nil {
				u := role.ValidUntil.UTC()
				role.ValidUntil = &u
			}
			cat.Roles = append(cat.Roles, role)
		}
		return nil
	})
	if err != nil {
		return err
	}

	membersSQL := membersSQL15
	if s.versionNum >= 160000 {
		membersSQL = membersSQL16
	}
	provMembers, err := s.query(ctx, "role_memberships", membersSQL, nil, nil, func(r pgx.Rows) error {
		for r.Next() {
			var m CatalogMember
			dest := []any{&m.Role, &m.Member, &m.Admin}
			if s.versionNum >= 160000 {
				dest = append(dest, &m.InheritOption, &m.SetOption)
			}
			if err := r.Scan(dest...); err != nil {
				return err
			}
			cat.Members = append(cat.Members, m)
		}
		return nil
	})
	if err != nil {
		return err
	}

	type password struct {
		has    bool
		method string
	}
	src := s.source()
	rolesItem := evidence.MustItem(KindRoles, c.ID(), c.t.base(), nil)
	rolesItem.Provenance = append(rolesItem.Provenance, provRoles, provMembers)

	// Whether a role has a password is read only for the expiry check,
	// because pg_authid needs superuser rights.
	passwords := map[string]password{}
	var pwErr error
	passwordsKnown := false
	if req.Wants(CheckPasswordExpiry) {
		var prov evidence.Provenance
		prov, pwErr = s.query(ctx, "role_passwords", passwordsSQL, nil, nil, func(r pgx.Rows) error {
			for r.Next() {
				var name string
				var p password
				if err := r.Scan(&name, &p.has, &p.method); err != nil {
					return err
				}
				passwords[name] = p
			}
			return nil
		})
		rolesItem.Provenance = append(rolesItem.Provenance, prov)
		if pwErr != nil {
			rolesItem.AddError(GroupPasswords, collectError("role_passwords", pwErr, c.t.password))
		}
		passwordsKnown = pwErr == nil
	}
	attrs := RolesAttrs{Source: src, PasswordsKnown: passwordsKnown}
	for _, r := range cat.Roles {
		role := Role{
			Name: r.Name, Login: r.Login, Superuser: r.Superuser, CreateRole: r.CreateRole,
			BypassRLS: r.BypassRLS, Inherit: r.Inherit, Bootstrap: r.OID == bootstrapRoleOID,
			ValidUntil: r.ValidUntil,
		}
		if passwordsKnown {
			p := passwords[r.Name]
			has := p.has
			role.HasPassword = &has
			role.PasswordMethod = p.method
		}
		if r.Login {
			role.Elevated = cat.Elevations(r.OID)
		}
		attrs.Roles = append(attrs.Roles, role)
	}
	rolesItem.AddRaw("roles", cat.Roles)
	rolesItem.AddRaw("role_memberships", cat.Members)
	if err := rolesItem.SetAttributes(attrs); err != nil {
		return err
	}
	sink.Add(rolesItem)

	return c.collectPrivileges(ctx, s, &cat, src, []evidence.Provenance{provRoles, provMembers}, sink)
}

// collectPrivileges stores one item per login role with the tables it can
// read or change.
func (c *RolesCollector) collectPrivileges(ctx context.Context, s *session, cat *Catalog, src Source, prior []evidence.Provenance, sink evidence.Sink) error {
	provGrants, err := s.query(ctx, "table_grants", grantsSQL, nil, nil, func(r pgx.Rows) error {
		for r.Next() {
			var g CatalogGrant
			if err := r.Scan(&g.Schema, &g.Table, &g.Owner, &g.Grantee, &g.Privilege); err != nil {
				return err
			}
			cat.Grants = append(cat.Grants, g)
		}
		return nil
	})
	for _, role := range cat.Roles {
		if !role.Login {
			continue
		}
		item := evidence.MustItem(KindRolePrivileges, c.ID(), c.t.base()+"/roles/"+role.Name, nil)
		item.Provenance = append(append(item.Provenance, prior...), provGrants)
		attrs := RolePrivilegesAttrs{
			Source:    src,
			Role:      role.Name,
			Superuser: role.Superuser,
			Inherit:   role.Inherit,
			MemberOf:  cat.Memberships(role.OID),
		}
		if err != nil {
			item.AddError("tables", collectError("table_grants", err, c.t.password))
		} else if !role.Superuser {
			attrs.Tables = cat.EffectivePrivileges(role.OID)
		}
		attrs.CollectedAt = time.Now().UTC()
		if err := item.SetAttributes(attrs); err != nil {
			return err
		}
		sink.Add(item)
	}
	return nil
}
