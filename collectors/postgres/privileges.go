package postgres

import (
	"sort"
	"time"
)

// CatalogRole is one row of pg_roles.
type CatalogRole struct {
	OID        int64      `json:"oid"`
	Name       string     `json:"name"`
	Login      bool       `json:"login"`
	Superuser  bool       `json:"superuser"`
	CreateRole bool       `json:"createrole"`
	BypassRLS  bool       `json:"bypassrls"`
	Inherit    bool       `json:"inherit"`
	ValidUntil *time.Time `json:"valid_until"`
}

// CatalogMember is one row of pg_auth_members: Member is a member of Role.
// InheritOption and SetOption exist from PostgreSQL 16 on and are nil
// before, where a membership inherits when the member role has INHERIT and
// always allows SET ROLE.
type CatalogMember struct {
	Role          int64 `json:"roleid"`
	Member        int64 `json:"member"`
	Admin         bool  `json:"admin_option"`
	InheritOption *bool `json:"inherit_option"`
	SetOption     *bool `json:"set_option"`
}

// CatalogGrant is one table with one entry of its ACL. Grantee 0 is
// PUBLIC; Grantee is nil for a table without an ACL entry.
type CatalogGrant struct {
	Schema    string `json:"schema"`
	Table     string `json:"table"`
	Owner     int64  `json:"owner"`
	Grantee   *int64 `json:"grantee"`
	Privilege string `json:"privilege"`
}

// Catalog holds the catalog rows the privilege walk reads.
type Catalog struct {
	Roles   []CatalogRole   `json:"roles"`
	Members []CatalogMember `json:"members"`
	Grants  []CatalogGrant  `json:"grants"`
}

// tablePrivilegeNames are the privileges listed for the access review.
var tablePrivilegeNames = []string{"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"}

// Predefined roles that grant table privileges on every table.
const (
	readAllData  = "pg_read_all_data"
	writeAllData = "pg_write_all_data"
)

type edge struct {
	to      int64
	inherit bool
	set     bool
}

// reach is a role reachable from a start role, with the shortest path.
type reach struct {
	oid  int64
	path []string
}

// memberGraph builds member → role edges. Before PostgreSQL 16 an edge
// inherits when its member role has INHERIT, and SET ROLE is always allowed.
func (c *Catalog) memberGraph() map[int64][]edge {
	byOID := c.roleByOID()
	g := map[int64][]edge{}
	for _, m := range c.Members {
		e := edge{to: m.Role, set: true}
		if m.InheritOption != nil {
			e.inherit = *m.InheritOption
		} else if r, ok := byOID[m.Member]; ok {
			e.inherit = r.Inherit
		}
		if m.SetOption != nil {
			e.set = *m.SetOption
		}
		g[m.Member] = append(g[m.Member], e)
	}
	for k := range g {
		sort.Slice(g[k], func(i, j int) bool { return byOID[g[k][i].to].Name < byOID[g[k][j].to].Name })
	}
	return g
}

func (c *Catalog) roleByOID() map[int64]CatalogRole {
	m := make(map[int64]CatalogRole, len(c.Roles))
	for _, r := range c.Roles {
		m[r.OID] = r
	}
	return m
}

// walk returns the roles reachable from start over edges that pass follow,
// breadth first so each path is a shortest one. Memberships may form no
// cycle in PostgreSQL, but the walk guards against one anyway.
func (c *Catalog) walk(g map[int64][]edge, start int64, follow func(edge) bool) []reach {
	byOID := c.roleByOID()
	seen := map[int64]bool{start: true}
	queue := []reach{{oid: start, path: []string{byOID[start].Name}}}
	var out []reach
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, e := range g[cur.oid] {
			if seen[e.to] || !follow(e) {
				continue
			}
			seen[e.to] = true
			next := reach{oid: e.to, path: append(append([]string(nil), cur.path...), byOID[e.to].Name)}
			out = append(out, next)
			queue = append(queue, next)
		}
	}
	return out
}

// Memberships lists every role a role reaches through pg_auth_members, with
// whether its privileges are inherited and whether SET ROLE reaches it.
func (c *Catalog) Memberships(oid int64) []Membership {
	g := c.memberGraph()
	byOID := c.roleByOID()
	found := map[int64]*Membership{}
	for _, r := range c.walk(g, oid, func(edge) bool { return true }) {
		found[r.oid] = &Membership{Role: byOID[r.oid].Name, Path: r.path}
	}
	for _, r := range c.walk(g, oid, func(e edge) bool { return e.inherit }) {
		found[r.oid].Inherit = true
	}
	for _, r := range c.walk(g, oid, func(e edge) bool { return e.set }) {
		found[r.oid].Set = true
	}
	out := make([]Membership, 0, len(found))
	for _, m := range found {
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Role < out[j].Role })
	return out
}

// Elevations lists how a role holds SUPERUSER, CREATEROLE or BYPASSRLS:
// itself, or through a role it can SET ROLE to (these attributes are never
// inherited, but SET ROLE takes them on).
func (c *Catalog) Elevations(oid int64) []Elevation {
	byOID := c.roleByOID()
	var out []Elevation
	add := func(r CatalogRole, via []string) {
		if r.Superuser {
			out = append(out, Elevation{Attribute: "SUPERUSER", Via: via})
		}
		if r.CreateRole {
			out = append(out, Elevation{Attribute: "CREATEROLE", Via: via})
		}
		if r.BypassRLS {
			out = append(out, Elevation{Attribute: "BYPASSRLS", Via: via})
		}
	}
	add(byOID[oid], nil)
	for _, r := range c.walk(c.memberGraph(), oid, func(e edge) bool { return e.set }) {
		add(byOID[r.oid], r.path)
	}
	return out
}

// EffectivePrivileges lists the table privileges a role has: granted to it,
// held as owner, granted to PUBLIC, inherited from roles it is a member of,
// or reachable with SET ROLE. pg_read_all_data and pg_write_all_data count
// for every table. Column privileges and schema USAGE are not considered.
func (c *Catalog) EffectivePrivileges(oid int64) []TablePrivileges {
	byOID := c.roleByOID()
	g := c.memberGraph()
	// Sources of privileges in order of preference: the role itself, then
	// roles it inherits from, then roles it can SET ROLE to.
	type source struct {
		oid  int64
		mode string
	}
	sources := []source{{oid: oid, mode: "direct"}}
	inherited := map[int64]bool{}
	for _, r := range c.walk(g, oid, func(e edge) bool { return e.inherit }) {
		sources = append(sources, source{oid: r.oid, mode: "inherited"})
		inherited[r.oid] = true
	}
	for _, r := range c.walk(g, oid, func(e edge) bool { return e.set }) {
		if !inherited[r.oid] {
			sources = append(sources, source{oid: r.oid, mode: "set_role"})
		}
	}

	type key struct{ table, priv string }
	got := map[key]Privilege{}
	tables := map[string]bool{}
	for _, gr := range c.Grants {
		tables[gr.Schema+"."+gr.Table] = true
	}
	grant := func(table, priv string, p Privilege) {
		k := key{table, priv}
		if _, ok := got[k]; !ok {
			got[k] = p
		}
	}
	listed := map[string]bool{}
	for _, p := range tablePrivilegeNames {
		listed[p] = true
	}
	for _, src := range sources {
		name := byOID[src.oid].Name
		for _, gr := range c.Grants {
			table := gr.Schema + "." + gr.Table
			if gr.Owner == src.oid {
				mode := "owner"
				if src.oid != oid {
					mode = src.mode
				}
				for _, p := range tablePrivilegeNames {
					grant(table, p, Privilege{Name: p, Via: name, Mode: mode})
				}
			}
			if gr.Grantee != nil && *gr.Grantee == src.oid && listed[gr.Privilege] {
				grant(table, gr.Privilege, Privilege{Name: gr.Privilege, Via: name, Mode: src.mode})
			}
		}
		switch name {
		case readAllData:
			for t := range tables {
				grant(t, "SELECT", Privilege{Name: "SELECT", Via: name, Mode: src.mode})
			}
		case writeAllData:
			for t := range tables {
				for _, p := range []string{"INSERT", "UPDATE", "DELETE"} {
					grant(t, p, Privilege{Name: p, Via: name, Mode: src.mode})
				}
			}
		}
	}
	for _, gr := range c.Grants {
		if gr.Grantee != nil && *gr.Grantee == 0 && listed[gr.Privilege] {
			grant(gr.Schema+"."+gr.Table, gr.Privilege, Privilege{Name: gr.Privilege, Via: "PUBLIC", Mode: "public"})
		}
	}

	byTable := map[string][]Privilege{}
	for k, p := range got {
		byTable[k.table] = append(byTable[k.table], p)
	}
	order := map[string]int{}
	for i, p := range tablePrivilegeNames {
		order[p] = i
	}
	out := make([]TablePrivileges, 0, len(byTable))
	for t, ps := range byTable {
		sort.Slice(ps, func(i, j int) bool { return order[ps[i].Name] < order[ps[j].Name] })
		out = append(out, TablePrivileges{Table: t, Privileges: ps})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Table < out[j].Table })
	return out
}
