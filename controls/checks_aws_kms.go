package controls

import (
	awscol "github.com/auditpack/auditpack/collectors/aws"
)

var awsKMSChecks = []*Check{
	{
		ID:       awscol.CheckKMSKeyRotation,
		Title:    "Customer-managed KMS keys rotate automatically",
		Severity: SeverityMedium,
		Criteria: []string{"CC6.1"},
		Description: "Per customer-managed KMS key: passes when automatic rotation is on and fails when it is off. " +
			"Keys that KMS cannot rotate automatically (asymmetric and HMAC keys, imported key material, keys " +
			"in a custom key store) are not_applicable, decided from DescribeKey's KeySpec, KeyUsage and Origin " +
			"and never from the rotation status. AWS-managed keys, which AWS rotates itself, and keys pending " +
			"deletion are left out. Supports CC6.1 (protection of the keys behind encryption at rest).",
		Collectors: []string{"aws.kms"},
		Kinds:      []string{awscol.KindKMSKey},
		Calls:      []string{"kms:ListKeys", "kms:DescribeKey", "kms:GetKeyRotationStatus"},
		Evaluate:   evalKMSKeyRotation,
	},
}

func evalKMSKeyRotation(ec *EvalContext) []Finding {
	var out []Finding
	for _, it := range ec.Items {
		// Without metadata the key's manager is unknown, so it cannot be
		// left out safely.
		if f, bad := ec.ItemError(it, awscol.KMSGroupMetadata); bad {
			out = append(out, f)
			continue
		}
		var key awscol.KMSKey
		if f, ok := ec.Decode(it, &key); !ok {
			out = append(out, f)
			continue
		}
		if key.KeyManager != "CUSTOMER" || key.PendingDeletion() {
			continue
		}
		details := map[string]any{
			"key_spec":  key.KeySpec,
			"key_usage": key.KeyUsage,
			"origin":    key.Origin,
			"key_state": key.KeyState,
		}
		if key.Description != "" {
			details["description"] = key.Description
		}
		if !key.Rotatable {
			f := ec.Finding(it, StatusNotApplicable, "%s", key.NotRotatable)
			f.Details = details
			out = append(out, f)
			continue
		}
		if f, bad := ec.ItemError(it, awscol.KMSGroupRotation); bad {
			out = append(out, f)
			continue
		}
		var f Finding
		switch {
		case key.RotationEnabled == nil:
			f = ec.Finding(it, StatusError, "rotation status of key %s was not collected", key.KeyID)
		case *key.RotationEnabled:
			details["rotation_enabled"] = true
			if key.RotationPeriodDays != nil {
				details["rotation_period_days"] = *key.RotationPeriodDays
				f = ec.Finding(it, StatusPass, "automatic rotation enabled (every %d days)", *key.RotationPeriodDays)
			} else {
				f = ec.Finding(it, StatusPass, "automatic rotation enabled")
			}
			if key.NextRotation != nil {
				details["next_rotation"] = key.NextRotation.UTC().Format("2006-01-02")
			}
		default:
			details["rotation_enabled"] = false
			if key.KeyState != "" && key.KeyState != "Enabled" {
				f = ec.Finding(it, StatusFail, "automatic rotation disabled (key state %s)", key.KeyState)
			} else {
				f = ec.Finding(it, StatusFail, "automatic rotation disabled")
			}
		}
		f.Details = details
		out = append(out, f)
	}
	return out
}
