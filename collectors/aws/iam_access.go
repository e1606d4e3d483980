package aws

import (
	"context"
	"encoding/json"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"golang.org/x/sync/errgroup"

	"github.com/auditpack/auditpack/collectors"
	"github.com/auditpack/auditpack/evidence"
)

// KindIAMAccess is one account's IAM users with their groups and policies,
// and its roles: what an access review lists.
const KindIAMAccess = "aws.iam.access"

// Attribute groups of an aws.iam.access item.
const (
	IAMAccessGroupUsers    = "users"
	IAMAccessGroupGroups   = "groups"
	IAMAccessGroupPolicies = "policies"
	IAMAccessGroupRoles    = "roles"
)

// IAMAccessChecks are the checks whose evidence the IAM access collector
// provides; it makes no call unless one of them is selected.
var IAMAccessChecks = []string{"accessreview.completed", "accessreview.revocations_applied", "accessreview.self_review"}

// IAMAccess are the attributes of a KindIAMAccess item.
type IAMAccess struct {
	// UsersListed is true when ListUsers was read completely, so a user
	// missing from Users does not exist.
	UsersListed bool            `json:"users_listed"`
	Users       []IAMAccessUser `json:"users"`
	// RolesListed is true when ListRoles was read completely.
	RolesListed bool            `json:"roles_listed"`
	Roles       []IAMAccessRole `json:"roles"`
}

// IAMAccessUser is one IAM user and what grants it permissions.
type IAMAccessUser struct {
	Name    string     `json:"name"`
	ARN     string     `json:"arn"`
	Created *time.Time `json:"created,omitempty"`
	// PasswordLastUsed is ListUsers' PasswordLastUsed, nil when the password
	// was never used or the user has none.
	PasswordLastUsed *time.Time `json:"password_last_used,omitempty"`
	Groups           []string   `json:"groups"`
	// AttachedPolicies are the ARNs of managed policies attached to the user.
	AttachedPolicies []string `json:"attached_policies"`
	// InlinePolicies are the names of the user's inline policies.
	InlinePolicies []string `json:"inline_policies"`
}

// IAMAccessRole is one IAM role, who may assume it and its managed policies.
type IAMAccessRole struct {
	Name    string     `json:"name"`
	ARN     string     `json:"arn"`
	Path    string     `json:"path"`
	Created *time.Time `json:"created,omitempty"`
	// TrustedPrincipals are the principals of the trust policy's Allow
	// statements, as "Service:ec2.amazonaws.com" or "AWS:arn:...".
	TrustedPrincipals []string `json:"trusted_principals"`
	AttachedPolicies  []string `json:"attached_policies"`
	// ServiceLinked is true for roles under /aws-service-role/, which AWS
	// services create and only they can change.
	ServiceLinked bool `json:"service_linked"`
}

// IAMAccessFactory builds one IAM access collector per AWS target.
var IAMAccessFactory = collectors.Factory{
	ID:          "aws.iam_access",
	Description: "IAM users with their groups and policies, and roles, for access reviews",
	Kinds:       []string{KindIAMAccess},
	Build: func(env *collectors.Env) ([]collectors.Collector, error) {
		return collectorPerTarget(env, func(s *Session, t *Target) collectors.Collector {
			return &IAMAccessCollector{session: s, target: t}
		}), nil
	},
}

// IAMAccessCollector collects the IAM access of one account.
type IAMAccessCollector struct {
	session *Session
	target  *Target
}

var _ collectors.Collector = (*IAMAccessCollector)(nil)

// ID returns "aws.iam_access".
func (c *IAMAccessCollector) ID() string { return "aws.iam_access" }

// Scope returns the account scope.
func (c *IAMAccessCollector) Scope() string { return c.target.Scope() }

// Kinds lists the kind the collector produces.
func (c *IAMAccessCollector) Kinds() []string { return []string{KindIAMAccess} }

// Collect lists the account's users (with ListGroupsForUser,
// ListAttachedUserPolicies and ListUserPolicies for each) and roles (with
// ListAttachedRolePolicies for each). A failed list is an error of its
// attribute group. A failed ListUsers is also a failure of the account, so
// no check reads the account as having no users.
func (c *IAMAccessCollector) Collect(ctx context.Context, req collectors.Request, sink evidence.Sink) error {
	if !selectedCheck(req, IAMAccessChecks...) {
		return nil
	}
	acct, err := c.target.Account(ctx)
	if err != nil {
		return err
	}
	home := c.session.Config().HomeRegion
	client := iam.NewFromConfig(acct.Config(home), func(o *iam.Options) {
		if e := acct.Endpoint("iam"); e != "" {
			o.BaseEndpoint = aws.String(e)
		}
	})
	item := evidence.MustItem(KindIAMAccess, c.ID(), acct.Scope(), nil)
	item.Provenance = append(item.Provenance, acct.IdentityProvenance())
	var mu sync.Mutex
	record := func(prov evidence.Provenance, group string, cerr *evidence.CollectError) bool {
		mu.Lock()
		defer mu.Unlock()
		item.Provenance = append(item.Provenance, prov)
		if cerr != nil {
			if _, seen := item.Errors[group]; !seen {
				item.AddError(group, *cerr)
			}
			return false
		}
		return true
	}

	attrs := IAMAccess{Users: []IAMAccessUser{}, Roles: []IAMAccessRole{}}
	users, usersOK := c.listUsers(ctx, acct, client, record)
	if usersOK {
		attrs.UsersListed = true
		c.userDetails(ctx, acct, client, users, record)
		attrs.Users = users
	} else {
		cerr := item.Errors[IAMAccessGroupUsers]
		sink.Fail(evidence.Failure{Collector: c.ID(), Scope: acct.Scope(), Kinds: []string{KindIAMAccess}, Error: cerr, Time: time.Now().UTC()})
	}
	roles, rolesOK := c.listRoles(ctx, acct, client, record)
	if rolesOK {
		attrs.RolesListed = true
		c.rolePolicies(ctx, acct, client, roles, record)
		attrs.Roles = roles
	}
	if err := item.SetAttributes(attrs); err != nil {
		return err
	}
	sink.Add(item)
	return ctx.Err()
}

type recordFunc func(prov evidence.Provenance, group string, cerr *evidence.CollectError) bool

func (c *IAMAccessCollector) listUsers(ctx context.Context, acct *Account, client *iam.Client, record recordFunc) ([]IAMAccessUser, bool) {
	home := c.session.Config().HomeRegion
	pager := iam.NewListUsersPaginator(client, &iam.ListUsersInput{})
	var users []IAMAccessUser
	for page := 1; pager.HasMorePages(); page++ {
		prov, cerr := acct.Call(ctx, home, "iam:ListUsers", map[string]any{"page": page}, func(ctx context.Context) error {
			out, err := pager.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, u := range out.Users {
				users = append(users, IAMAccessUser{
					Name:             aws.ToString(u.UserName),
					ARN:              aws.ToString(u.Arn),
					Created:          utcPointer(u.CreateDate),
					PasswordLastUsed: utcPointer(u.PasswordLastUsed),
				})
			}
			return nil
		})
		if !record(prov, IAMAccessGroupUsers, cerr) {
			return nil, false
		}
	}
	sort.Slice(users, func(i, j int) bool { return users[i].Name < users[j].Name })
	return users, true
}

// userDetails fills each user's groups and policies, with at most the
// session's concurrency of users in flight.
func (c *IAMAccessCollector) userDetails(ctx context.Context, acct *Account, client *iam.Client, users []IAMAccessUser, record recordFunc) {
	home := c.session.Config().HomeRegion
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.session.Concurrency())
	for i := range users {
		u := &users[i]
		params := map[string]any{"UserName": u.Name}
		g.Go(func() error {
			u.Groups = []string{}
			groups := iam.NewListGroupsForUserPaginator(client, &iam.ListGroupsForUserInput{UserName: aws.String(u.Name)})
			for groups.HasMorePages() {
				prov, cerr := acct.Call(gctx, home, "iam:ListGroupsForUser", params, func(ctx context.Context) error {
					out, err := groups.NextPage(ctx)
					if err != nil {
						return err
					}
					for _, grp := range out.Groups {
						u.Groups = append(u.Groups, aws.ToString(grp.GroupName))
					}
					return nil
				})
				if !record(prov, IAMAccessGroupGroups, cerr) {
					break
				}
			}
			u.AttachedPolicies = []string{}
			attached := iam.NewListAttachedUserPoliciesPaginator(client, &iam.ListAttachedUserPoliciesInput{UserName: aws.String(u.Name)})
			for attached.HasMorePages() {
				prov, cerr := acct.Call(gctx, home, "iam:ListAttachedUserPolicies", params, func(ctx context.Context) error {
					out, err := attached.NextPage(ctx)
					if err != nil {
						return err
					}
					for _, p := range out.AttachedPolicies {
						u.AttachedPolicies = append(u.AttachedPolicies, aws.ToString(p.PolicyArn))
					}
					return nil
				})
				if !record(prov, IAMAccessGroupPolicies, cerr) {
					break
				}
			}
			u.InlinePolicies = []string{}
			inline := iam.NewListUserPoliciesPaginator(client, &iam.ListUserPoliciesInput{UserName: aws.String(u.Name)})
			for inline.HasMorePages() {
				prov, cerr := acct.Call(gctx, home, "iam:ListUserPolicies", params, func(ctx context.Context) error {
					out, err := inline.NextPage(ctx)
					if err != nil {
						return err
					}
					u.InlinePolicies = append(u.InlinePolicies, out.PolicyNames...)
					return nil
				})
				if !record(prov, IAMAccessGroupPolicies, cerr) {
					break
				}
			}
			sort.Strings(u.Groups)
			sort.Strings(u.AttachedPolicies)
			sort.Strings(u.InlinePolicies)
			return nil
		})
	}
	_ = g.Wait()
}

func (c *IAMAccessCollector) listRoles(ctx context.Context, acct *Account, client *iam.Client, record recordFunc) ([]IAMAccessRole, bool) {
	home := c.session.Config().HomeRegion
	pager := iam.NewListRolesPaginator(client, &iam.ListRolesInput{})
	var roles []IAMAccessRole
	for page := 1; pager.HasMorePages(); page++ {
		prov, cerr := acct.Call(ctx, home, "iam:ListRoles", map[string]any{"page": page}, func(ctx context.Context) error {
			out, err := pager.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, r := range out.Roles {
				path := aws.ToString(r.Path)
				roles = append(roles, IAMAccessRole{
					Name:              aws.ToString(r.RoleName),
					ARN:               aws.ToString(r.Arn),
					Path:              path,
					Created:           utcPointer(r.CreateDate),
					TrustedPrincipals: TrustedPrincipals(aws.ToString(r.AssumeRolePolicyDocument)),
					ServiceLinked:     strings.HasPrefix(path, "/aws-service-role/"),
				})
			}
			return nil
		})
		if !record(prov, IAMAccessGroupRoles, cerr) {
			return nil, false
		}
	}
	sort.Slice(roles, func(i, j int) bool { return roles[i].Name < roles[j].Name })
	return roles, true
}

func (c *IAMAccessCollector) rolePolicies(ctx context.Context, acct *Account, client *iam.Client, roles []IAMAccessRole, record recordFunc) {
	home := c.session.Config().HomeRegion
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.session.Concurrency())
	for i := range roles {
		r := &roles[i]
		g.Go(func() error {
			r.AttachedPolicies = []string{}
			pager := iam.NewListAttachedRolePoliciesPaginator(client, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(r.Name)})
			for pager.HasMorePages() {
				prov, cerr := acct.Call(gctx, home, "iam:ListAttachedRolePolicies", map[string]any{"RoleName": r.Name}, func(ctx context.Context) error {
					out, err := pager.NextPage(ctx)
					if err != nil {
						return err
					}
					for _, p := range out.AttachedPolicies {
						r.AttachedPolicies = append(r.AttachedPolicies, aws.ToString(p.PolicyArn))
					}
					return nil
				})
				if !record(prov, IAMAccessGroupPolicies, cerr) {
					break
				}
			}
			sort.Strings(r.AttachedPolicies)
			return nil
		})
	}
	_ = g.Wait()
}

// TrustedPrincipals reads the principals of the Allow statements of a trust
// policy. IAM returns the document URL-encoded; a document that does not
// parse yields nil.
func TrustedPrincipals(document string) []string {
	if decoded, err := url.QueryUnescape(document); err == nil {
		document = decoded
	}
	type statement struct {
		Effect    string `json:"Effect"`
		Principal any    `json:"Principal"`
	}
	// Statement is a single object or a list of them.
	var doc struct {
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(document), &doc); err != nil {
		return nil
	}
	var statements []statement
	if err := json.Unmarshal(doc.Statement, &statements); err != nil {
		var one statement
		if err := json.Unmarshal(doc.Statement, &one); err != nil {
			return nil
		}
		statements = []statement{one}
	}
	seen := map[string]bool{}
	var out []string
	add := func(kind string, v any) {
		switch p := v.(type) {
		case string:
			seen[kind+":"+p] = true
		case []any:
			for _, x := range p {
				if s, ok := x.(string); ok {
					seen[kind+":"+s] = true
				}
			}
		}
	}
	for _, st := range statements {
		if st.Effect != "Allow" {
			continue
		}
		switch p := st.Principal.(type) {
		case string:
			seen[p] = true
		case map[string]any:
			for kind, v := range p {
				add(kind, v)
			}
		}
	}
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func utcPointer(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
