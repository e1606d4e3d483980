package controls

import (
	"fmt"
	"path"
	"regexp"
	"sort"
)

// builtin lists every built-in check group. A new group of checks is one line
// here.
var builtin = [][]*Check{
	awsS3Checks,
	awsIAMChecks,
	awsCloudTrailChecks,
	awsKMSChecks,
	awsEC2Checks,
	awsRDSChecks,
	awsBackupChecks,
	restoreTestChecks,
	postgresChecks,
	configChecks,
	accessReviewChecks,
}

var checkIDRe = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){1,2}$`)

// Registry holds checks by id.
type Registry struct {
	checks []*Check
	byID   map[string]*Check
}

// NewRegistry builds a registry from groups of checks. It rejects a duplicate
// or malformed id, a criterion the catalog does not have, and a check without
// an Evaluate function.
func NewRegistry(cat *Catalog, groups ...[]*Check) (*Registry, error) {
	r := &Registry{byID: map[string]*Check{}}
	for _, g := range groups {
		for _, c := range g {
			if err := r.add(cat, c); err != nil {
				return nil, err
			}
		}
	}
	sort.Slice(r.checks, func(i, j int) bool { return r.checks[i].ID < r.checks[j].ID })
	return r, nil
}

func (r *Registry) add(cat *Catalog, c *Check) error {
	if !checkIDRe.MatchString(c.ID) {
		return fmt.Errorf("check id %q is invalid: use two or three dot-separated lower-case segments", c.ID)
	}
	if _, dup := r.byID[c.ID]; dup {
		return fmt.Errorf("check id %q is registered twice", c.ID)
	}
	if c.Evaluate == nil {
		return fmt.Errorf("check %s has no Evaluate function", c.ID)
	}
	if c.Severity.Rank() < 0 {
		return fmt.Errorf("check %s has invalid severity %q", c.ID, c.Severity)
	}
	if len(c.Criteria) == 0 {
		return fmt.Errorf("check %s supports no criterion", c.ID)
	}
	for _, id := range c.Criteria {
		if _, ok := cat.Lookup(id); !ok {
			return fmt.Errorf("check %s names unknown criterion %q", c.ID, id)
		}
	}
	r.checks = append(r.checks, c)
	r.byID[c.ID] = c
	return nil
}

// Add registers one more check, such as a custom rule.
func (r *Registry) Add(cat *Catalog, c *Check) error {
	if err := r.add(cat, c); err != nil {
		return err
	}
	sort.Slice(r.checks, func(i, j int) bool { return r.checks[i].ID < r.checks[j].ID })
	return nil
}

// DefaultRegistry returns the built-in checks. A test keeps it valid.
func DefaultRegistry(cat *Catalog) (*Registry, error) {
	return NewRegistry(cat, builtin...)
}

// All returns every check sorted by id.
func (r *Registry) All() []*Check { return r.checks }

// Lookup returns the check with the id.
func (r *Registry) Lookup(id string) (*Check, bool) {
	c, ok := r.byID[id]
	return c, ok
}

// Select returns the checks matched by any pattern of include and by none of
// exclude. Patterns are check ids or globs ("aws.s3.*"). A pattern that
// matches no check is an error, so a typo never silently deselects.
func (r *Registry) Select(include, exclude []string) ([]*Check, error) {
	if len(include) == 0 {
		include = []string{"*"}
	}
	for _, list := range [][]string{include, exclude} {
		for _, p := range list {
			if _, err := path.Match(p, ""); err != nil {
				return nil, fmt.Errorf("invalid check pattern %q: %v", p, err)
			}
			if !r.matchesAny(p) {
				return nil, fmt.Errorf("check pattern %q matches no check; run 'auditpack checks list' for the ids", p)
			}
		}
	}
	var out []*Check
	for _, c := range r.checks {
		if MatchAny(include, c.ID) && !MatchAny(exclude, c.ID) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (r *Registry) matchesAny(pattern string) bool {
	for _, c := range r.checks {
		if ok, _ := path.Match(pattern, c.ID); ok {
			return true
		}
	}
	return false
}

// MatchAny reports whether id matches any of the glob patterns.
func MatchAny(patterns []string, id string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, id); ok {
			return true
		}
	}
	return false
}
