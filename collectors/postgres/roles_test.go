package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/auditpack/auditpack/collectors/postgres"
	"github.com/auditpack/auditpack/controls"
)

// nestedRoles builds memberships two levels deep, a NOINHERIT member, a
// superuser reached through SET ROLE and a role with its own CREATEROLE.
var nestedRoles = []string{
	`CREATE ROLE nr_writers NOLOGIN`,
	`GRANT UPDATE, DELETE ON public."AuditLogs" TO nr_writers`,
	`CREATE ROLE nr_team NOLOGIN IN ROLE nr_writers`,
	`CREATE ROLE nr_alice LOGIN IN ROLE nr_team`,
	`CREATE ROLE nr_bob LOGIN NOINHERIT IN ROLE nr_writers`,
	`CREATE ROLE nr_admins NOLOGIN SUPERUSER`,
	`CREATE ROLE nr_carol LOGIN IN ROLE nr_admins`,
	`CREATE ROLE nr_dave LOGIN CREATEROLE`,
	`CREATE ROLE nr_reader LOGIN`,
	`GRANT SELECT ON public."Users" TO nr_reader`,
}

func dropNestedRoles(t *testing.T, db string) {
	ctx := context.Background()
	if err := shared.Exec(ctx, db, `DROP OWNED BY nr_writers, nr_reader`); err != nil {
		t.Error(err)
	}
	err := shared.Exec(ctx, "postgres", `DROP ROLE nr_alice, nr_bob, nr_carol, nr_dave, nr_reader, nr_team, nr_writers, nr_admins`)
	if err != nil {
		t.Error(err)
	}
}

func privilegesOf(t *testing.T, items []postgres.RolePrivilegesAttrs, role string) postgres.RolePrivilegesAttrs {
	t.Helper()
	for _, a := range items {
		if a.Role == role {
			return a
		}
	}
	t.Fatalf("no privilege listing for role %s", role)
	return postgres.RolePrivilegesAttrs{}
}

func privilege(a postgres.RolePrivilegesAttrs, table, name string) (postgres.Privilege, bool) {
	for _, tp := range a.Tables {
		if tp.Table != table {
			continue
		}
		for _, p := range tp.Privileges {
			if p.Name == name {
				return p, true
			}
		}
	}
	return postgres.Privilege{}, false
}

func TestNestedRolesAndNoInherit(t *testing.T) {
	pg := cluster(t)
	now := time.Now().UTC().Truncate(time.Second)
	db := demoDatabase(t, pg, now)
	if err := pg.Exec(context.Background(), db, nestedRoles...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dropNestedRoles(t, db) })

	r := newRun(t, now, pg.DSN(db), demoConfig())
	r.checks = []string{"postgres.roles.*", postgres.CheckImmutable}
	set := r.collect(t)
	fs := r.evaluate(t, set)
	roleBase := base(pg, db) + "/roles/"

	t.Run("effective privileges", func(t *testing.T) {
		var listings []postgres.RolePrivilegesAttrs
		for _, it := range set.ByKind(postgres.KindRolePrivileges) {
			var a postgres.RolePrivilegesAttrs
			if err := it.Decode(&a); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(it.Resource, roleBase) {
				t.Errorf("resource %s is not below %s", it.Resource, roleBase)
			}
			listings = append(listings, a)
		}
		alice := privilegesOf(t, listings, "nr_alice")
		if p, ok := privilege(alice, "public.AuditLogs", "UPDATE"); !ok || p.Mode != "inherited" || p.Via != "nr_writers" {
			t.Errorf("nr_alice UPDATE = %+v, %v; want inherited via nr_writers", p, ok)
		}
		var path string
		for _, m := range alice.MemberOf {
			if m.Role == "nr_writers" {
				path = strings.Join(m.Path, ">")
			}
		}
		if path != "nr_alice>nr_team>nr_writers" {
			t.Errorf("nr_alice path to nr_writers = %q", path)
		}
		bob := privilegesOf(t, listings, "nr_bob")
		if p, ok := privilege(bob, "public.AuditLogs", "DELETE"); !ok || p.Mode != "set_role" {
			t.Errorf("NOINHERIT nr_bob DELETE = %+v, %v; want set_role", p, ok)
		}
		reader := privilegesOf(t, listings, "nr_reader")
		if p, ok := privilege(reader, "public.Users", "SELECT"); !ok || p.Mode != "direct" {
			t.Errorf("nr_reader SELECT = %+v, %v; want direct", p, ok)
		}
		if _, ok := privilege(reader, "public.AuditLogs", "UPDATE"); ok {
			t.Error("nr_reader can UPDATE the audit log, want no such privilege")
		}
	})

	t.Run("superusers", func(t *testing.T) {
		carol := byResource(t, fs, postgres.CheckSuperusers, roleBase+"nr_carol")
		if carol.Status != controls.StatusReview || !strings.Contains(carol.Message, "SUPERUSER through SET ROLE nr_carol → nr_admins") {
			t.Errorf("nr_carol: %s %s", carol.Status, carol.Message)
		}
		dave := byResource(t, fs, postgres.CheckSuperusers, roleBase+"nr_dave")
		if dave.Status != controls.StatusReview || !strings.Contains(dave.Message, "CREATEROLE (own attribute)") {
			t.Errorf("nr_dave: %s %s", dave.Status, dave.Message)
		}
		for _, f := range findingsOf(fs, postgres.CheckSuperusers) {
			if strings.HasSuffix(f.Resource, "/nr_alice") || strings.HasSuffix(f.Resource, "/postgres") {
				t.Errorf("unexpected finding: %s %s", f.Resource, f.Message)
			}
		}
	})

	t.Run("immutable", func(t *testing.T) {
		f := byResource(t, fs, postgres.CheckImmutable, base(pg, db)+"/tables/public.AuditLogs")
		if f.Status != controls.StatusFail {
			t.Fatalf("status = %s: %s", f.Status, f.Message)
		}
		for _, want := range []string{
			"nr_alice (UPDATE, DELETE)",
			"nr_bob (UPDATE, DELETE through SET ROLE nr_writers)",
			"nr_carol (UPDATE, DELETE, TRUNCATE through SET ROLE nr_admins)",
			"audit_editor (UPDATE)",
		} {
			if !strings.Contains(f.Message, want) {
				t.Errorf("message lacks %q: %s", want, f.Message)
			}
		}
		if strings.Contains(f.Message, "nr_reader") {
			t.Errorf("nr_reader cannot modify the table but is named: %s", f.Message)
		}
	})

	t.Run("triggers make it review", func(t *testing.T) {
		err := pg.Exec(context.Background(), db,
			`CREATE FUNCTION reject_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit log is append-only'; END $$`,
			`CREATE TRIGGER "AuditLogs_append_only" BEFORE UPDATE OR DELETE ON public."AuditLogs" FOR EACH ROW EXECUTE FUNCTION reject_change()`)
		if err != nil {
			t.Fatal(err)
		}
		r.checks = []string{postgres.CheckImmutable}
		fs := r.evaluate(t, r.collect(t))
		f := only(t, fs, postgres.CheckImmutable)
		if f.Status != controls.StatusReview || !strings.Contains(f.Message, "AuditLogs_append_only on UPDATE/DELETE") {
			t.Errorf("want review naming the trigger: %s %s", f.Status, f.Message)
		}
	})

	t.Run("owners allowed", func(t *testing.T) {
		pc := demoConfig()
		pc.AuditLog.Owners = []string{"audit_editor", "nr_alice", "nr_bob", "nr_carol"}
		r := newRun(t, now, pg.DSN(db), pc)
		r.checks = []string{postgres.CheckImmutable}
		if err := pg.Exec(context.Background(), db, `DROP TRIGGER "AuditLogs_append_only" ON public."AuditLogs"`); err != nil {
			t.Fatal(err)
		}
		f := only(t, r.evaluate(t, r.collect(t)), postgres.CheckImmutable)
		if f.Status != controls.StatusPass {
			t.Errorf("status = %s, want pass with every writer allowed: %s", f.Status, f.Message)
		}
	})
}
