package xlsx

import "github.com/auditpack/auditpack/evidence"

func mustItem(kind, resource string, attrs map[string]any) *evidence.Item {
	return evidence.MustItem(kind, "test", resource, attrs)
}
