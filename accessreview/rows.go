package accessreview

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	awscol "github.com/auditpack/auditpack/collectors/aws"
	"github.com/auditpack/auditpack/collectors/files"
	pgcol "github.com/auditpack/auditpack/collectors/postgres"
	"github.com/auditpack/auditpack/evidence"
)

// AccessKinds are the evidence kinds the review's rows are built from.
var AccessKinds = []string{
	awscol.KindIAMAccess, awscol.KindIAMUser,
	pgcol.KindRoles, pgcol.KindRolePrivileges, pgcol.KindAppUsers,
	files.KindHRRoster,
}

// maxCellRunes keeps a cell below Excel's limit of 32,767 characters.
const maxCellRunes = 32000

// Build turns collected evidence into the review's sheets, one per AWS
// account, PostgreSQL server and application user table, in the order of
// their resource ids. It returns an error naming every collection failure
// and unreadable attribute group of the evidence it reads, because a review
// of an incomplete account list would look complete.
func Build(set *evidence.Set, meta Meta) (*Review, error) {
	if err := incomplete(set); err != nil {
		return nil, err
	}
	r := BuildPartial(set, meta)
	if err := r.showCellsAsRead(); err != nil {
		return nil, err
	}
	return r, nil
}

// BuildPartial is Build without the completeness check. The checks use it
// to read the accounts in the current evidence, because there collection
// failures are reported as error findings of their own.
func BuildPartial(set *evidence.Set, meta Meta) *Review {
	r := &Review{Meta: meta, Sheets: []Sheet{}}
	roster := rosterOf(set)
	used := map[string]bool{}

	r.Sheets = append(r.Sheets, awsSheets(set)...)
	r.Sheets = append(r.Sheets, postgresRoleSheets(set)...)
	r.Sheets = append(r.Sheets, appUserSheets(set)...)
	for i := range r.Sheets {
		s := &r.Sheets[i]
		s.Name = sheetName(s.Name, used)
		if roster != nil {
			s.Columns = append(s.Columns, "HR roster")
		}
		for j := range s.Rows {
			row := &s.Rows[j]
			row.Row = firstDataRow + j
			if roster != nil {
				row.Cells = append(row.Cells, roster.status(row.Email))
			}
			for k, c := range row.Cells {
				row.Cells[k] = limitCell(c)
			}
			row.SHA256 = RowHash(s.Name, row.Cells)
		}
	}
	return r
}

// incomplete lists collection failures and item errors of the access kinds.
func incomplete(set *evidence.Set) error {
	kinds := map[string]bool{}
	for _, k := range AccessKinds {
		kinds[k] = true
	}
	var problems []string
	for _, f := range set.Failures {
		for _, k := range f.Kinds {
			if kinds[k] {
				problems = append(problems, fmt.Sprintf("%s (%s): %s", f.Scope, f.Collector, f.Error.String()))
				break
			}
		}
	}
	for _, it := range set.Items {
		if !kinds[it.Kind] {
			continue
		}
		groups := make([]string, 0, len(it.Errors))
		for g := range it.Errors {
			groups = append(groups, g)
		}
		sort.Strings(groups)
		for _, g := range groups {
			// Missing optional columns of the users table leave a column of
			// the sheet empty but the account list complete.
			if it.Kind == pgcol.KindAppUsers && (g == pgcol.GroupMFA || g == pgcol.GroupLastLogin || g == pgcol.GroupUsers) {
				continue
			}
			if it.Kind == awscol.KindIAMUser && g == awscol.IAMGroupMFADevices {
				continue
			}
			problems = append(problems, fmt.Sprintf("%s (%s): %s", it.Resource, g, it.Errors[g].String()))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return errors.New("the evidence for the access review is incomplete, so the workbook would miss accounts; fix access and export again:\n  " + strings.Join(problems, "\n  "))
}

// roster is the HR roster by normalised e-mail.
type roster struct {
	people map[string]files.Person
}

func rosterOf(set *evidence.Set) *roster {
	items := set.ByKind(files.KindHRRoster)
	if len(items) == 0 {
		return nil
	}
	var attrs files.HRRosterAttrs
	if err := items[0].Decode(&attrs); err != nil {
		return nil
	}
	r := &roster{people: map[string]files.Person{}}
	for _, p := range attrs.People {
		r.people[files.NormalizeEmail(p.Email)] = p
	}
	return r
}

func (r *roster) status(email string) string {
	if email == "" {
		return "no e-mail to match"
	}
	p, ok := r.people[email]
	switch {
	case !ok:
		return "not in roster"
	case p.Terminated:
		return "terminated (" + p.Status + ")"
	default:
		return "employed (" + p.Status + ")"
	}
}

// emailOf returns the normalised name when it is an e-mail address.
func emailOf(name string) string {
	n := files.NormalizeEmail(name)
	if at := strings.Index(n, "@"); at > 0 && at < len(n)-1 {
		return n
	}
	return ""
}

func limitCell(s string) string {
	r := []rune(s)
	if len(r) <= maxCellRunes {
		return s
	}
	return string(r[:maxCellRunes]) + " … (truncated)"
}

func formatDate(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format("2006-01-02")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func joinOrNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}

var awsColumns = []string{"Type", "Name", "ARN", "Created", "Console access", "MFA", "Access keys", "Last used", "Groups", "Attached policies", "Inline policies", "Trusted by"}

// awsSheets builds one sheet per account from aws.iam.access items, adding
// the credential report's console, MFA and key columns from aws.iam.user
// items. Users only the credential report lists are included too.
func awsSheets(set *evidence.Set) []Sheet {
	reportByAccount := map[string]map[string]awscol.IAMUser{}
	for _, it := range set.ByKind(awscol.KindIAMUser) {
		var u awscol.IAMUser
		if it.Decode(&u) != nil {
			continue
		}
		acct := accountOfARN(it.Resource)
		if reportByAccount[acct] == nil {
			reportByAccount[acct] = map[string]awscol.IAMUser{}
		}
		reportByAccount[acct][u.User] = u
	}
	var out []Sheet
	for _, it := range set.ByKind(awscol.KindIAMAccess) {
		var access awscol.IAMAccess
		if it.Decode(&access) != nil {
			continue
		}
		acct := strings.TrimPrefix(it.Resource, "aws:")
		report := reportByAccount[acct]
		s := Sheet{
			Name:    "AWS " + acct,
			System:  it.Resource,
			Title:   fmt.Sprintf("AWS account %s: IAM users and roles", acct),
			Columns: append([]string(nil), awsColumns...),
		}
		seen := map[string]bool{}
		for _, u := range access.Users {
			seen[u.Name] = true
			rep, hasReport := report[u.Name]
			s.Rows = append(s.Rows, iamUserRow(u, rep, hasReport))
		}
		// The credential report can be up to four hours old, so a user it
		// lists that a complete ListUsers lacks was deleted since.
		var extra []string
		for name := range report {
			if !seen[name] && !access.UsersListed {
				extra = append(extra, name)
			}
		}
		sort.Strings(extra)
		for _, name := range extra {
			rep := report[name]
			s.Rows = append(s.Rows, iamUserRow(awscol.IAMAccessUser{Name: name, ARN: rep.ARN, Created: rep.UserCreation.Time}, rep, true))
		}
		for _, role := range access.Roles {
			s.Rows = append(s.Rows, iamRoleRow(role))
		}
		out = append(out, s)
	}
	return out
}

func accountOfARN(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 {
		return parts[4]
	}
	return ""
}

func iamUserRow(u awscol.IAMAccessUser, rep awscol.IAMUser, hasReport bool) Row {
	console, mfa, keys, lastUsed := "unknown", "unknown", "unknown", "unknown"
	active := true
	var observed *time.Time
	if hasReport {
		console = yesNo(rep.HasConsolePassword())
		mfa = yesNo(rep.MFAActive || len(rep.MFADevices) > 0)
		keys, lastUsed = keySummary(rep)
		active = rep.HasConsolePassword()
		for _, k := range rep.AccessKeys {
			active = active || k.Active
		}
		observed = rep.ReportGeneratedTime
	} else if u.PasswordLastUsed != nil {
		lastUsed = formatDate(u.PasswordLastUsed) + " (console)"
	}
	return Row{
		Type:     TypeIAMUser,
		Account:  u.ARN,
		Name:     u.Name,
		Email:    emailOf(u.Name),
		Active:   active,
		Observed: observed,
		Created:  u.Created,
		Cells: []string{
			"IAM user", u.Name, u.ARN, formatDate(u.Created), console, mfa, keys, lastUsed,
			joinOrNone(u.Groups), joinOrNone(u.AttachedPolicies), joinOrNone(u.InlinePolicies), "",
		},
	}
}

// keySummary describes the access keys and the latest use of any credential.
func keySummary(rep awscol.IAMUser) (keys, lastUsed string) {
	var parts []string
	var latest *time.Time
	via := ""
	if d := rep.PasswordLastUsed; d.State == awscol.DateSet && d.Time != nil {
		latest, via = d.Time, "console"
	}
	for _, k := range rep.AccessKeys {
		if !k.Exists() {
			continue
		}
		state := "inactive"
		if k.Active {
			state = "active"
		}
		part := fmt.Sprintf("key %d %s", k.Slot, state)
		if k.LastRotated.Time != nil {
			part += ", rotated " + formatDate(k.LastRotated.Time)
		}
		parts = append(parts, part)
		if k.LastUsed.State == awscol.DateSet && k.LastUsed.Time != nil && (latest == nil || k.LastUsed.Time.After(*latest)) {
			latest, via = k.LastUsed.Time, fmt.Sprintf("key %d", k.Slot)
		}
	}
	keys = "none"
	if len(parts) > 0 {
		keys = strings.Join(parts, "; ")
	}
	lastUsed = "never"
	if latest != nil {
		lastUsed = formatDate(latest) + " (" + via + ")"
	}
	return keys, lastUsed
}

func iamRoleRow(r awscol.IAMAccessRole) Row {
	kind := "IAM role"
	if r.ServiceLinked {
		kind = "IAM role (service-linked)"
	}
	return Row{
		Type:    TypeIAMRole,
		Account: r.ARN,
		Name:    r.Name,
		Active:  true,
		Created: r.Created,
		Cells: []string{
			kind, r.Name, r.ARN, formatDate(r.Created), "n/a", "n/a", "n/a", "",
			"", joinOrNone(r.AttachedPolicies), "", joinOrNone(r.TrustedPrincipals),
		},
	}
}

var postgresRoleColumns = []string{"Role", "Account", "Superuser", "Attributes", "Valid until", "Member of", "Effective table privileges"}

// postgresRoleSheets builds one sheet per server from postgres.roles items
// with the login roles' postgres.role_privileges items.
func postgresRoleSheets(set *evidence.Set) []Sheet {
	privileges := map[string]pgcol.RolePrivilegesAttrs{}
	privilegeErrors := map[string]bool{}
	for _, it := range set.ByKind(pgcol.KindRolePrivileges) {
		var p pgcol.RolePrivilegesAttrs
		if it.Decode(&p) != nil {
			continue
		}
		privileges[it.Resource] = p
		if len(it.Errors) > 0 {
			privilegeErrors[it.Resource] = true
		}
	}
	var out []Sheet
	for _, it := range set.ByKind(pgcol.KindRoles) {
		var attrs pgcol.RolesAttrs
		if it.Decode(&attrs) != nil {
			continue
		}
		s := Sheet{
			Name:    "PostgreSQL " + databaseOf(it.Resource),
			System:  it.Resource,
			Title:   "PostgreSQL login roles of " + strings.TrimPrefix(it.Resource, "postgres://"),
			Columns: append([]string(nil), postgresRoleColumns...),
		}
		roles := append([]pgcol.Role(nil), attrs.Roles...)
		sort.Slice(roles, func(i, j int) bool { return roles[i].Name < roles[j].Name })
		for _, role := range roles {
			if !role.Login {
				continue
			}
			resource := it.Resource + "/roles/" + role.Name
			p, ok := privileges[resource]
			tables := "unknown"
			if ok && !privilegeErrors[resource] {
				tables = tablePrivileges(p)
			}
			memberOf := "unknown"
			if ok {
				memberOf = memberships(p.MemberOf)
			}
			expired := role.ValidUntil != nil && !role.ValidUntil.After(attrs.CollectedAt)
			s.Rows = append(s.Rows, Row{
				Type:    TypePostgresRole,
				Account: resource,
				Name:    role.Name,
				Email:   emailOf(role.Name),
				Active:  !expired,
				Cells: []string{
					role.Name, resource, yesNo(role.Superuser), roleAttributes(role),
					validUntil(role.ValidUntil), memberOf, tables,
				},
			})
		}
		out = append(out, s)
	}
	return out
}

func databaseOf(resource string) string {
	rest := strings.TrimPrefix(resource, "postgres://")
	if i := strings.LastIndex(rest, "/"); i >= 0 {
		return rest[i+1:]
	}
	return rest
}

func roleAttributes(r pgcol.Role) string {
	var parts []string
	if r.CreateRole {
		parts = append(parts, "CREATEROLE")
	}
	if r.BypassRLS {
		parts = append(parts, "BYPASSRLS")
	}
	if !r.Inherit {
		parts = append(parts, "NOINHERIT")
	}
	for _, e := range r.Elevated {
		if len(e.Via) > 0 {
			parts = append(parts, e.Attribute+" via "+strings.Join(e.Via, " > "))
		}
	}
	return joinOrNone(parts)
}

func validUntil(t *time.Time) string {
	if t == nil {
		return "no expiry"
	}
	return t.UTC().Format(time.RFC3339)
}

func memberships(list []pgcol.Membership) string {
	var parts []string
	for _, m := range list {
		part := m.Role
		switch {
		case m.Inherit:
		case m.Set:
			part += " (SET ROLE only)"
		default:
			part += " (no privileges)"
		}
		parts = append(parts, part)
	}
	sort.Strings(parts)
	return joinOrNone(parts)
}

func tablePrivileges(p pgcol.RolePrivilegesAttrs) string {
	if p.Superuser {
		return "all (superuser)"
	}
	var parts []string
	for _, t := range p.Tables {
		var names []string
		for _, pr := range t.Privileges {
			name := pr.Name
			if pr.Mode != "direct" && pr.Mode != "" {
				name += " (" + pr.Mode + " via " + pr.Via + ")"
			}
			names = append(names, name)
		}
		parts = append(parts, t.Table+": "+strings.Join(names, ", "))
	}
	return joinOrNone(parts)
}

var appUserColumns = []string{"E-mail", "Account", "User id", "Role", "Status", "Last login", "MFA"}

// appUserSheets builds one sheet per application users table from
// postgres.app_users items. The item lists active users only.
func appUserSheets(set *evidence.Set) []Sheet {
	var out []Sheet
	for _, it := range set.ByKind(pgcol.KindAppUsers) {
		var attrs pgcol.AppUsersAttrs
		if it.Decode(&attrs) != nil {
			continue
		}
		base, _, _ := strings.Cut(it.Resource, "/tables/")
		s := Sheet{
			Name:    "App users " + databaseOf(base),
			System:  it.Resource,
			Title:   "Application users (active statuses " + strings.Join(attrs.ActiveStatuses, ", ") + ") of " + strings.TrimPrefix(it.Resource, "postgres://"),
			Columns: append([]string(nil), appUserColumns...),
		}
		_, noMFA := it.Errors[pgcol.GroupMFA]
		_, noLogin := it.Errors[pgcol.GroupLastLogin]
		users := append([]pgcol.AppUser(nil), attrs.Active...)
		sort.SliceStable(users, func(i, j int) bool { return users[i].Email < users[j].Email })
		for _, u := range users {
			mfa := "unknown"
			if u.MFA != nil && !noMFA {
				mfa = yesNo(*u.MFA)
			}
			login := "never"
			switch {
			case noLogin:
				login = "unknown"
			case u.LastLogin != nil:
				login = u.LastLogin.UTC().Format(time.RFC3339)
			}
			resource := base + "/users/" + u.Email
			s.Rows = append(s.Rows, Row{
				Type:    TypeAppUser,
				Account: resource,
				Name:    u.Email,
				Email:   files.NormalizeEmail(u.Email),
				Active:  true,
				Cells:   []string{u.Email, resource, u.ID, u.Role, u.Status, login, mfa},
			})
		}
		out = append(out, s)
	}
	return out
}
