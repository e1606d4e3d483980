package cmd

import (
	"strings"
	"testing"
)

// TestOptionsCoverConfig keeps the declared options and the typed
// configuration in step, so the configuration reference lists every key.
func TestOptionsCoverConfig(t *testing.T) {
	declared := map[string]bool{}
	for _, o := range options {
		if declared[o.Key] {
			t.Errorf("option %s is declared twice", o.Key)
		}
		declared[o.Key] = true
	}
	// Keys documented as a whole (free-form maps and nested blocks whose
	// parts are described in the parent's help).
	documentedByParent := func(key string) bool {
		for _, parent := range []string{"postgres[].audit_log.events", "postgres[].users.", "hr_roster.", "restore_tests.", "rules[].", "control_ids[].", "manual_evidence[].", "scope", "checks", "reports", "signing"} {
			if strings.HasPrefix(key, parent) && key != parent {
				return true
			}
		}
		return false
	}
	for _, key := range configKeys() {
		if !declared[key] && !documentedByParent(key) && key != "scope" && key != "checks" && key != "reports" {
			t.Errorf("configuration key %s has no declared option", key)
		}
	}
	flags := map[string]bool{}
	for _, o := range options {
		if o.Flag == "" {
			continue
		}
		if flags[o.Flag] {
			t.Errorf("flag --%s is declared for two keys", o.Flag)
		}
		flags[o.Flag] = true
	}
}
