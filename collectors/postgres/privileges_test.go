package postgres

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// loadCatalog reads catalog rows recorded in the shape PostgreSQL 16
// returns them, with per-grant inherit and set options.
func loadCatalog(t *testing.T) *Catalog {
	t.Helper()
	data, err := os.ReadFile("testdata/catalog_pg16.json")
	if err != nil {
		t.Fatal(err)
	}
	var c Catalog
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

func oidOf(t *testing.T, c *Catalog, name string) int64 {
	t.Helper()
	for _, r := range c.Roles {
		if r.Name == name {
			return r.OID
		}
	}
	t.Fatalf("no role %s", name)
	return 0
}

func findPrivilege(tps []TablePrivileges, table, name string) (Privilege, bool) {
	for _, tp := range tps {
		if tp.Table != table {
			continue
		}
		for _, p := range tp.Privileges {
			if p.Name == name {
				return p, true
			}
		}
	}
	return Privilege{}, false
}

func TestEffectivePrivilegesPG16GrantOptions(t *testing.T) {
	c := loadCatalog(t)
	app := c.EffectivePrivileges(oidOf(t, c, "app_login"))
	// readers is granted with INHERIT TRUE, SET FALSE: its SELECT applies.
	if p, ok := findPrivilege(app, "public.orders", "SELECT"); !ok || p.Mode != "inherited" || p.Via != "readers" {
		t.Errorf("app_login SELECT = %+v, %v; want inherited via readers", p, ok)
	}
	// writers is granted with INHERIT FALSE, SET TRUE: UPDATE needs SET ROLE.
	if p, ok := findPrivilege(app, "public.orders", "UPDATE"); !ok || p.Mode != "set_role" || p.Via != "writers" {
		t.Errorf("app_login UPDATE = %+v, %v; want set_role via writers", p, ok)
	}
	if p, ok := findPrivilege(app, "public.orders", "INSERT"); !ok || p.Mode != "public" {
		t.Errorf("app_login INSERT = %+v, %v; want public", p, ok)
	}

	ops := c.EffectivePrivileges(oidOf(t, c, "ops"))
	if p, ok := findPrivilege(ops, "public.orders", "UPDATE"); !ok || p.Mode != "inherited" {
		t.Errorf("ops UPDATE = %+v, %v; want inherited", p, ok)
	}
	if p, ok := findPrivilege(ops, "billing.Invoices", "DELETE"); !ok || p.Mode != "owner" {
		t.Errorf("ops DELETE on its own table = %+v, %v; want owner", p, ok)
	}

	etl := c.EffectivePrivileges(oidOf(t, c, "etl"))
	if p, ok := findPrivilege(etl, "billing.Invoices", "UPDATE"); !ok || p.Via != "pg_write_all_data" {
		t.Errorf("etl UPDATE through pg_write_all_data = %+v, %v", p, ok)
	}
	if _, ok := findPrivilege(etl, "billing.Invoices", "SELECT"); ok {
		t.Error("pg_write_all_data gave SELECT, want only INSERT, UPDATE and DELETE")
	}
}

func TestMembershipsPG16GrantOptions(t *testing.T) {
	c := loadCatalog(t)
	got := map[string]Membership{}
	for _, m := range c.Memberships(oidOf(t, c, "app_login")) {
		got[m.Role] = m
	}
	if m := got["readers"]; !m.Inherit || m.Set {
		t.Errorf("readers = %+v, want inherit without set", m)
	}
	if m := got["writers"]; m.Inherit || !m.Set {
		t.Errorf("writers = %+v, want set without inherit", m)
	}
}

func TestElevationsFollowSetOption(t *testing.T) {
	c := loadCatalog(t)
	// ops inherits break_glass but may not SET ROLE to it, so it cannot
	// act as a superuser.
	if e := c.Elevations(oidOf(t, c, "ops")); len(e) != 0 {
		t.Errorf("ops elevations = %+v, want none", e)
	}
	e := c.Elevations(oidOf(t, c, "app_login"))
	if len(e) != 1 || e[0].Attribute != "SUPERUSER" || strings.Join(e[0].Via, ">") != "app_login>break_glass" {
		t.Errorf("app_login elevations = %+v, want SUPERUSER via break_glass", e)
	}
}

func TestMembershipsBeforePG16UseRoleInherit(t *testing.T) {
	c := loadCatalog(t)
	// The same memberships as PostgreSQL 15 stores them: no grant options,
	// and app_login is NOINHERIT.
	for i := range c.Members {
		c.Members[i].InheritOption, c.Members[i].SetOption = nil, nil
	}
	for i := range c.Roles {
		if c.Roles[i].Name == "app_login" {
			c.Roles[i].Inherit = false
		}
	}
	app := c.EffectivePrivileges(oidOf(t, c, "app_login"))
	if p, ok := findPrivilege(app, "public.orders", "SELECT"); !ok || p.Mode != "set_role" {
		t.Errorf("NOINHERIT app_login SELECT = %+v, %v; want set_role", p, ok)
	}
	// Before 16 every membership allows SET ROLE.
	if e := c.Elevations(oidOf(t, c, "ops")); len(e) != 1 {
		t.Errorf("ops elevations = %+v, want SUPERUSER through break_glass", e)
	}
}

func TestParseQualifiedName(t *testing.T) {
	cases := []struct {
		in, schema, name string
	}{
		{`public."AuditLogs"`, "public", "AuditLogs"},
		{`"AuditLogs"`, "", "AuditLogs"},
		{`Public.AuditLogs`, "public", "auditlogs"},
		{`"my.schema"."Odd ""Name"""`, "my.schema", `Odd "Name"`},
		{`audit_log`, "", "audit_log"},
	}
	for _, c := range cases {
		q, err := ParseQualifiedName(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if q.Schema != c.schema || q.Name != c.name {
			t.Errorf("%s = %q.%q, want %q.%q", c.in, q.Schema, q.Name, c.schema, c.name)
		}
	}
	for _, bad := range []string{`a.b.c`, `"open`, `public.`, ``} {
		if _, err := ParseQualifiedName(bad); err == nil {
			t.Errorf("%q parsed, want an error", bad)
		}
	}
	q, _ := ParseQualifiedName(`public."AuditLogs"`)
	if q.Sanitize() != `"public"."AuditLogs"` || q.String() != "public.AuditLogs" {
		t.Errorf("Sanitize %s, String %s", q.Sanitize(), q.String())
	}
}
