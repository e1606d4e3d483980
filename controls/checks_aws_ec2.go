package controls

import (
	"fmt"

	awscol "github.com/auditpack/auditpack/collectors/aws"
)

var awsEC2Checks = []*Check{
	{
		ID:       awscol.CheckEBSDefaultEncryption,
		Title:    "EBS encryption by default is on in every region",
		Severity: SeverityHigh,
		Criteria: []string{"CC6.1"},
		Description: "Passes for a region where EBS encryption by default is on, and names the default key: " +
			"\"AWS-managed (alias/aws/ebs)\" or the customer-managed key. Fails where it is off, even when the " +
			"region holds no volumes today, because the setting governs every volume created later (CC6.1, " +
			"encryption of data at rest). Regions not enabled for the account are out of scope.",
		Collectors: []string{"aws.ec2"},
		Kinds:      []string{awscol.KindEC2Region},
		Calls:      []string{"ec2:GetEbsEncryptionByDefault", "ec2:GetEbsDefaultKmsKeyId", "ec2:DescribeVolumes"},
		Evaluate:   evalEBSDefaultEncryption,
	},
}

func evalEBSDefaultEncryption(ec *EvalContext) []Finding {
	var out []Finding
	for _, it := range ec.Items {
		if f, bad := ec.ItemError(it, awscol.EC2GroupEncryption); bad {
			out = append(out, f)
			continue
		}
		var r awscol.EC2Region
		if f, ok := ec.Decode(it, &r); !ok {
			out = append(out, f)
			continue
		}
		details := map[string]any{
			"region":                r.Region,
			"encryption_by_default": r.EncryptionByDefault,
		}
		volumes := "volume count unknown"
		if e, failed := it.Errors[awscol.EC2GroupVolumes]; failed {
			details["volumes_error"] = e.String()
		}
		if r.Volumes != nil {
			volumes = fmt.Sprintf("%s currently in region", volumeCount(*r.Volumes))
			details["volumes"] = *r.Volumes
			details["unencrypted_volumes"] = *r.UnencryptedVolumes
		}
		if !r.EncryptionByDefault {
			f := ec.Finding(it, StatusFail, "EBS encryption by default is off in %s (%s)", r.Region, volumes)
			f.Details = details
			out = append(out, f)
			continue
		}
		details["default_key"] = r.DefaultKeyLabel
		if r.DefaultKMSKeyID != "" {
			details["default_kms_key_id"] = r.DefaultKMSKeyID
		}
		if e, failed := it.Errors[awscol.EC2GroupDefaultKey]; failed {
			// The property judged is the switch, which was read; the key
			// stays "unknown" and the failed call is kept beside it.
			details["default_key_error"] = e.String()
		}
		f := ec.Finding(it, StatusPass, "EBS encryption by default is on in %s; default key %s (%s)", r.Region, r.DefaultKeyLabel, volumes)
		f.Details = details
		out = append(out, f)
	}
	return out
}

// volumeCount formats a number of volumes: "1 volume", "0 volumes".
func volumeCount(n int) string {
	if n == 1 {
		return "1 volume"
	}
	return fmt.Sprintf("%d volumes", n)
}
