package controls

import (
	"fmt"
	"sort"
	"strings"

	"github.com/auditpack/auditpack/evidence"
)

// MatchResource reports whether a resource id matches a pattern in which `*`
// matches any run of characters, `/` and `:` included, so one pattern can
// cover ARNs ("arn:aws:s3:::sandbox-*") and PostgreSQL objects
// ("postgres://db:5432/app/roles/*"). Every other character, `?` and `[`
// included, matches only itself, and the match is case-sensitive.
func MatchResource(pattern, resource string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == resource
	}
	first, last := parts[0], parts[len(parts)-1]
	if len(resource) < len(first)+len(last) || !strings.HasPrefix(resource, first) || !strings.HasSuffix(resource, last) {
		return false
	}
	// The fixed prefix and suffix are anchored, so the middle parts only need
	// to occur in order within what lies between them. Taking the leftmost
	// occurrence of each part is always safe because it leaves the most room
	// for the parts after it.
	rest := resource[len(first) : len(resource)-len(last)]
	for _, part := range parts[1 : len(parts)-1] {
		i := strings.Index(rest, part)
		if i < 0 {
			return false
		}
		rest = rest[i+len(part):]
	}
	return true
}

// ValidateScope rejects an empty `scope.exclude` pattern, which would match
// nothing and hide a typo.
func ValidateScope(patterns []string) error {
	for i, p := range patterns {
		if strings.TrimSpace(p) == "" {
			return fmt.Errorf("scope.exclude[%d] is empty: give a resource id or a pattern with * such as \"arn:aws:s3:::example-sandbox-*\"", i)
		}
	}
	return nil
}

// ExcludeScope removes the evidence items whose resource matches one of the
// patterns, so no check receives them and they produce no finding, and lists each
// removed item with the first pattern that matched it, sorted by resource,
// kind and pattern. Collection failures and notes are kept as they are: a
// region that could not be read stays an error even if some of its resources
// are out of scope. Evidence recorded from the configuration itself (collector
// "config") is never removed, so a broad pattern cannot hide a weakened
// threshold from the config.thresholds check. The input set is not modified.
func ExcludeScope(set *evidence.Set, patterns []string) (*evidence.Set, []ExcludedResource) {
	if set == nil {
		return &evidence.Set{}, nil
	}
	out := &evidence.Set{
		Items:    make([]*evidence.Item, 0, len(set.Items)),
		Failures: set.Failures,
		Notes:    set.Notes,
	}
	var excluded []ExcludedResource
	for _, it := range set.Items {
		pattern, ok := firstResourceMatch(patterns, it.Resource)
		if !ok || it.Collector == ConfigCollector {
			out.Items = append(out.Items, it)
			continue
		}
		excluded = append(excluded, ExcludedResource{Resource: it.Resource, Kind: it.Kind, Pattern: pattern})
	}
	sort.Slice(excluded, func(i, j int) bool {
		a, b := excluded[i], excluded[j]
		if a.Resource != b.Resource {
			return a.Resource < b.Resource
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Pattern < b.Pattern
	})
	return out, excluded
}

func firstResourceMatch(patterns []string, resource string) (string, bool) {
	for _, p := range patterns {
		if p != "" && MatchResource(p, resource) {
			return p, true
		}
	}
	return "", false
}
