package controls

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	awscol "github.com/auditpack/auditpack/collectors/aws"
	"github.com/auditpack/auditpack/evidence"
)

var awsS3Checks = []*Check{
	{
		ID:       "aws.s3.default_encryption",
		Title:    "S3 buckets encrypt new objects by default",
		Severity: SeverityHigh,
		Criteria: []string{"CC6.1", "C1.1"},
		Description: "Each bucket's default-encryption rule names an algorithm: SSE-S3 (AES256), SSE-KMS (aws:kms) " +
			"and DSSE-KMS (aws:kms:dsse) pass, so data at rest is encrypted (CC6.1) and confidential data is " +
			"protected (C1.1). With require_kms, only a KMS algorithm with a customer-managed key passes; an " +
			"S3-managed or AWS-managed (aws/s3) key fails. A missing configuration, a rule without a default " +
			"algorithm or an algorithm auditpack does not know is review, never pass and never \"unencrypted\".",
		Collectors: []string{"aws.s3"},
		Kinds:      []string{awscol.KindS3Bucket},
		Calls:      []string{"s3:ListBuckets", "s3:GetBucketLocation", "s3:GetBucketEncryption"},
		Params: []Param{{
			Name:             "require_kms",
			Default:          false,
			Description:      "Require a customer-managed KMS key (SSE-KMS or DSSE-KMS) instead of S3-managed keys.",
			Loosest:          false,
			HigherIsStricter: true,
		}},
		Evaluate: evalS3DefaultEncryption,
	},
	{
		ID:       "aws.s3.versioning",
		Title:    "S3 buckets keep object versions",
		Severity: SeverityMedium,
		Criteria: []string{"A1.2", "CC7.5"},
		Description: "Each bucket's versioning status is Enabled, so overwritten or deleted objects can be " +
			"recovered (A1.2, CC7.5). A bucket whose versioning was never enabled and a suspended bucket both " +
			"fail, with distinct messages; MFA Delete is reported as information.",
		Collectors: []string{"aws.s3"},
		Kinds:      []string{awscol.KindS3Bucket},
		Calls:      []string{"s3:ListBuckets", "s3:GetBucketLocation", "s3:GetBucketVersioning"},
		Evaluate:   evalS3Versioning,
	},
	{
		ID:       "aws.s3.public_access_block",
		Title:    "S3 Block Public Access is on for every bucket",
		Severity: SeverityHigh,
		Criteria: []string{"CC6.1", "CC6.6"},
		Description: "All four Block Public Access flags are effectively on for each bucket, a flag being on " +
			"when the account-level or the bucket-level setting turns it on. This keeps data from being " +
			"published outside the system boundary (CC6.1, CC6.6). A missing configuration at either level " +
			"means its flags are off. When the account-level setting cannot be read, buckets are judged from " +
			"their own setting and the finding says the account level is unknown; when a bucket's own setting " +
			"cannot be read, it passes only if the account level turns every flag on.",
		Collectors: []string{"aws.s3"},
		Kinds:      []string{awscol.KindS3Bucket, awscol.KindS3Account},
		Calls:      []string{"s3:ListBuckets", "s3:GetBucketLocation", "s3:GetPublicAccessBlock", "s3control:GetPublicAccessBlock"},
		Evaluate:   evalS3PublicAccessBlock,
	},
	{
		ID:       "aws.s3.tls_only",
		Title:    "S3 bucket policies deny requests without TLS",
		Severity: SeverityMedium,
		Criteria: []string{"CC6.7"},
		Description: "Each bucket policy has a Deny statement for every principal and every S3 action on the " +
			"bucket and its objects when aws:SecureTransport is false, so data in transit is protected by TLS " +
			"(CC6.7). A bucket without a policy, or whose deny is narrowed by other conditions, fails.",
		Collectors: []string{"aws.s3"},
		Kinds:      []string{awscol.KindS3Bucket},
		Calls:      []string{"s3:ListBuckets", "s3:GetBucketLocation", "s3:GetBucketPolicy"},
		Evaluate:   evalS3TLSOnly,
	},
	{
		ID:       "aws.s3.object_lock",
		Title:    "Audit-log archive buckets use Object Lock",
		Severity: SeverityHigh,
		Criteria: []string{"CC7.2", "CC4.1"},
		Description: "Each bucket that aws.archive_buckets names has Object Lock enabled with a default " +
			"retention in COMPLIANCE or GOVERNANCE mode, so archived audit logs cannot be changed or deleted " +
			"before their retention ends and remain usable for monitoring and evaluation (CC7.2, CC4.1). " +
			"GOVERNANCE mode passes with a note that s3:BypassGovernanceRetention can override it. Other " +
			"buckets are not judged.",
		Collectors: []string{"aws.s3"},
		Kinds:      []string{awscol.KindS3Bucket},
		Calls:      []string{"s3:ListBuckets", "s3:GetBucketLocation", "s3:GetObjectLockConfiguration"},
		Evaluate:   evalS3ObjectLock,
	},
	{
		ID:       "aws.s3.lifecycle_retention",
		Title:    "Audit-log archive buckets keep objects long enough",
		Severity: SeverityMedium,
		Criteria: []string{"CC7.2", "C1.2"},
		Description: "No enabled lifecycle rule of a bucket that aws.archive_buckets names deletes current or " +
			"noncurrent objects before min_days, so audit logs are kept for the retention the organisation " +
			"committed to (CC7.2) and removed only after it (C1.2). A bucket without expiration rules keeps " +
			"objects until someone deletes them and passes with that note. A rule that expires objects on a " +
			"fixed date is review.",
		Collectors: []string{"aws.s3"},
		Kinds:      []string{awscol.KindS3Bucket},
		Calls:      []string{"s3:ListBuckets", "s3:GetBucketLocation", "s3:GetBucketLifecycleConfiguration"},
		Params: []Param{{
			Name:             "min_days",
			Default:          2555,
			Description:      "Minimum number of days objects are kept before a lifecycle rule may delete them (2555 days is 7 years).",
			Loosest:          365,
			HigherIsStricter: true,
		}},
		Evaluate: evalS3LifecycleRetention,
	},
}

// s3Buckets decodes the bucket items of the context, turning an item whose
// region or named groups could not be read into an error finding.
func s3Buckets(ec *EvalContext, groups ...string) (out []s3BucketItem, errs []Finding) {
	for _, it := range ec.Items {
		if it.Kind != awscol.KindS3Bucket {
			continue
		}
		if f, bad := ec.ItemError(it, append([]string{awscol.S3GroupRegion}, groups...)...); bad {
			errs = append(errs, f)
			continue
		}
		var b awscol.S3Bucket
		if f, ok := ec.Decode(it, &b); !ok {
			errs = append(errs, f)
			continue
		}
		out = append(out, s3BucketItem{item: it, attrs: b})
	}
	return out, errs
}

type s3BucketItem struct {
	item  *evidence.Item
	attrs awscol.S3Bucket
}

// s3Missing is the error finding for a group the collector did not fill
// although the check needs it.
func s3Missing(ec *EvalContext, it *evidence.Item, what string) Finding {
	return ec.Finding(it, StatusError, "%s was not collected for this bucket", what)
}

func evalS3DefaultEncryption(ec *EvalContext) []Finding {
	buckets, out := s3Buckets(ec, awscol.S3GroupEncryption)
	requireKMS := ec.Params.Bool("require_kms")
	for _, b := range buckets {
		enc := b.attrs.Encryption
		if enc == nil {
			out = append(out, s3Missing(ec, b.item, "default encryption"))
			continue
		}
		out = append(out, s3EncryptionFinding(ec, b.item, enc, requireKMS))
	}
	return out
}

// S3 server-side encryption algorithms as GetBucketEncryption returns them.
const (
	sseS3      = "AES256"
	sseKMS     = "aws:kms"
	sseKMSDSSE = "aws:kms:dsse"
)

func s3EncryptionFinding(ec *EvalContext, it *evidence.Item, enc *awscol.S3Encryption, requireKMS bool) Finding {
	if !enc.Configured {
		f := ec.Finding(it, StatusReview, "no default-encryption configuration returned (unexpected on AWS since 2023-01-05)")
		f.Details = map[string]any{"error_code": enc.NotFoundCode}
		return f
	}
	var rule *awscol.S3EncryptionRule
	for i := range enc.Rules {
		if enc.Rules[i].HasDefault {
			rule = &enc.Rules[i]
			break
		}
	}
	if rule == nil {
		f := ec.Finding(it, StatusReview, "rule has no default algorithm")
		f.Details = map[string]any{"rules": len(enc.Rules)}
		return f
	}
	details := map[string]any{"sse_algorithm": rule.SSEAlgorithm}
	if rule.KMSMasterKeyID != "" {
		details["kms_master_key_id"] = rule.KMSMasterKeyID
	}
	if rule.BucketKeyEnabled != nil {
		details["bucket_key_enabled"] = *rule.BucketKeyEnabled
	}

	var status Status
	var msg string
	switch rule.SSEAlgorithm {
	case sseS3:
		details["kms_backed"] = false
		status, msg = StatusPass, "SSE-S3 (AES256, S3-managed keys)"
		if requireKMS {
			status, msg = StatusFail, "S3-managed key; CMK required by policy"
		}
	case sseKMS, sseKMSDSSE:
		details["kms_backed"] = true
		label := "SSE-KMS"
		if rule.SSEAlgorithm == sseKMSDSSE {
			label = "DSSE-KMS (dual-layer, "
		} else {
			label += " ("
		}
		// NOTE: a key given by id or ARN counts as customer-managed. The
		// aws/s3 key named by its key id instead of its alias would need
		// kms:DescribeKey to be recognised.
		awsManaged := rule.KMSMasterKeyID == "" || strings.HasSuffix(rule.KMSMasterKeyID, "alias/aws/s3")
		if awsManaged {
			msg = label + "AWS-managed key aws/s3)"
		} else {
			msg = label + "KMS key …" + s3KeySuffix(rule.KMSMasterKeyID) + ")"
		}
		details["customer_managed_key"] = !awsManaged
		status = StatusPass
		if requireKMS && awsManaged {
			status, msg = StatusFail, "AWS-managed key aws/s3; CMK required by policy"
		}
	default:
		status, msg = StatusReview, "unrecognised SSE algorithm "+rule.SSEAlgorithm
	}
	f := ec.Finding(it, status, "%s", msg)
	f.Details = details
	return f
}

// s3KeySuffix returns the last four characters of a KMS key id or ARN, the
// part people compare when they recognise a key.
func s3KeySuffix(key string) string {
	if len(key) <= 4 {
		return key
	}
	return key[len(key)-4:]
}

func evalS3Versioning(ec *EvalContext) []Finding {
	buckets, out := s3Buckets(ec, awscol.S3GroupVersioning)
	for _, b := range buckets {
		v := b.attrs.Versioning
		if v == nil {
			out = append(out, s3Missing(ec, b.item, "versioning"))
			continue
		}
		var f Finding
		switch v.Status {
		case "Enabled":
			f = ec.Finding(b.item, StatusPass, "versioning enabled")
		case "Suspended":
			f = ec.Finding(b.item, StatusFail, "versioning suspended (older versions kept, new writes not versioned)")
		case "":
			f = ec.Finding(b.item, StatusFail, "versioning never enabled")
		default:
			f = ec.Finding(b.item, StatusReview, "unrecognised versioning status %s", v.Status)
		}
		f.Details = map[string]any{"versioning_status": v.Status, "mfa_delete": v.MFADelete}
		out = append(out, f)
	}
	return out
}

func evalS3PublicAccessBlock(ec *EvalContext) []Finding {
	// The account-level setting of each account, by account id.
	type accountBlock struct {
		block *awscol.S3PublicAccessBlock
		err   *evidence.CollectError
	}
	accounts := map[string]accountBlock{}
	for _, it := range ec.Items {
		if it.Kind != awscol.KindS3Account {
			continue
		}
		id := strings.TrimPrefix(it.Resource, "aws:")
		if e, ok := it.Errors[awscol.S3GroupPublicAccessBlock]; ok {
			accounts[id] = accountBlock{err: &e}
			continue
		}
		var a awscol.S3Account
		if err := it.Decode(&a); err != nil || a.PublicAccessBlock == nil {
			accounts[id] = accountBlock{err: &evidence.CollectError{Operation: "s3control:GetPublicAccessBlock", Code: "unreadable", Message: "account-level setting missing from evidence"}}
			continue
		}
		accounts[id] = accountBlock{block: a.PublicAccessBlock}
	}

	// A bucket whose own setting could not be read is still blocked when
	// the account level turns every flag on, so only the region is
	// required here.
	buckets, out := s3Buckets(ec)
	for _, b := range buckets {
		acct, known := accounts[provenanceAccount(b.item)]
		if bucketErr, bad := b.item.Errors[awscol.S3GroupPublicAccessBlock]; bad {
			if known && acct.block != nil && s3AllFlagsOn(*acct.block) {
				f := ec.Finding(b.item, StatusPass, "all four Block Public Access flags on (source account-level; bucket-level unreadable: %s)", bucketErr.String())
				f.Details = map[string]any{"source": "account-level", "bucket_level_error": bucketErr.Code, "account_level_known": true}
				out = append(out, f)
			} else {
				f, _ := ec.ItemError(b.item, awscol.S3GroupPublicAccessBlock)
				out = append(out, f)
			}
			continue
		}
		pab := b.attrs.PublicAccessBlock
		if pab == nil {
			out = append(out, s3Missing(ec, b.item, "Block Public Access"))
			continue
		}
		accountKnown := known && acct.block != nil
		var accountFlags []awscol.S3Flag
		if accountKnown {
			accountFlags = acct.block.Flags()
		}
		var off []string
		sources := map[string]string{}
		usedAccount, usedBucket := false, false
		for i, flag := range pab.Flags() {
			accountOn := accountKnown && accountFlags[i].On
			switch {
			case accountOn && flag.On:
				sources[flag.Name] = "account-level and bucket-level"
				usedAccount, usedBucket = true, true
			case accountOn:
				sources[flag.Name] = "account-level"
				usedAccount = true
			case flag.On:
				sources[flag.Name] = "bucket-level"
				usedBucket = true
			default:
				off = append(off, flag.Name)
			}
		}
		details := map[string]any{
			"flag_sources":        sources,
			"bucket_configured":   pab.Configured,
			"account_level_known": accountKnown,
		}
		var note string
		if !accountKnown {
			note = "; account-level unknown"
			if known && acct.err != nil {
				note += " (" + acct.err.String() + ")"
				details["account_level_error"] = acct.err.Code
			}
		}
		var f Finding
		if len(off) > 0 {
			details["flags_off"] = off
			f = ec.Finding(b.item, StatusFail, "Block Public Access flags off: %s%s", strings.Join(off, ", "), note)
		} else {
			source := "bucket-level"
			switch {
			case usedAccount && usedBucket:
				source = "account-level and bucket-level"
			case usedAccount:
				source = "account-level"
			}
			details["source"] = source
			f = ec.Finding(b.item, StatusPass, "all four Block Public Access flags on (source %s)%s", source, note)
		}
		f.Details = details
		out = append(out, f)
	}
	return out
}

// s3AllFlagsOn reports whether all four Block Public Access flags are on.
func s3AllFlagsOn(p awscol.S3PublicAccessBlock) bool {
	for _, f := range p.Flags() {
		if !f.On {
			return false
		}
	}
	return true
}

// provenanceAccount returns the id of the account an item was collected
// from, read from its provenance: bucket ARNs carry no account, and an
// organization trail's ARN names the management account.
func provenanceAccount(it *evidence.Item) string {
	for _, p := range it.Provenance {
		if p.Account != "" {
			return p.Account
		}
	}
	return ""
}

func evalS3TLSOnly(ec *EvalContext) []Finding {
	buckets, out := s3Buckets(ec, awscol.S3GroupPolicy)
	for _, b := range buckets {
		p := b.attrs.Policy
		if p == nil {
			out = append(out, s3Missing(ec, b.item, "the bucket policy"))
			continue
		}
		if !p.Present {
			out = append(out, ec.Finding(b.item, StatusFail, "no bucket policy, so requests without TLS are allowed"))
			continue
		}
		ok, reason, err := s3DeniesInsecureTransport(p.Document, b.item.Resource)
		switch {
		case err != nil:
			out = append(out, ec.Finding(b.item, StatusError, "bucket policy could not be parsed: %v", err))
		case ok:
			out = append(out, ec.Finding(b.item, StatusPass, "bucket policy denies requests where aws:SecureTransport is false"))
		default:
			out = append(out, ec.Finding(b.item, StatusFail, "bucket policy does not deny requests without TLS: %s", reason))
		}
	}
	return out
}

// s3PolicyDoc is the part of an IAM policy document the TLS check reads.
// Fields that may be a string or a list are kept raw.
type s3PolicyDoc struct {
	Statement json.RawMessage `json:"Statement"`
}

type s3PolicyStatement struct {
	Sid       string                                `json:"Sid"`
	Effect    string                                `json:"Effect"`
	Principal json.RawMessage                       `json:"Principal"`
	Action    json.RawMessage                       `json:"Action"`
	Resource  json.RawMessage                       `json:"Resource"`
	Condition map[string]map[string]json.RawMessage `json:"Condition"`
}

// s3DeniesInsecureTransport reports whether a bucket policy denies every
// principal every S3 action on the bucket and its objects when
// aws:SecureTransport is false. The reason names what the closest statement
// lacks.
func s3DeniesInsecureTransport(document, bucketARN string) (bool, string, error) {
	var doc s3PolicyDoc
	if err := json.Unmarshal([]byte(document), &doc); err != nil {
		return false, "", err
	}
	var stmts []s3PolicyStatement
	if len(doc.Statement) > 0 && doc.Statement[0] == '{' {
		var one s3PolicyStatement
		if err := json.Unmarshal(doc.Statement, &one); err != nil {
			return false, "", err
		}
		stmts = append(stmts, one)
	} else if len(doc.Statement) > 0 {
		if err := json.Unmarshal(doc.Statement, &stmts); err != nil {
			return false, "", err
		}
	}
	reason := "no Deny statement with the condition aws:SecureTransport false"
	for _, st := range stmts {
		if !strings.EqualFold(st.Effect, "Deny") || !s3InsecureTransportCondition(st.Condition) {
			continue
		}
		if !s3AllPrincipals(st.Principal) {
			reason = "the deny does not apply to every principal"
			continue
		}
		actions := s3StringList(st.Action)
		if !s3ContainsAny(actions, "*", "s3:*") {
			reason = "the deny covers only " + strings.Join(actions, ", ") + ", not s3:*"
			continue
		}
		resources := s3StringList(st.Resource)
		var missing []string
		for _, want := range []string{bucketARN, bucketARN + "/*"} {
			if !s3ResourcesCover(resources, want) {
				missing = append(missing, want)
			}
		}
		if len(missing) > 0 {
			reason = "the deny does not cover " + strings.Join(missing, " and ")
			continue
		}
		return true, "", nil
	}
	return false, reason, nil
}

// s3InsecureTransportCondition reports whether a condition block is exactly
// Bool (or BoolIfExists) aws:SecureTransport = false. Other conditions
// would narrow the deny.
func s3InsecureTransportCondition(cond map[string]map[string]json.RawMessage) bool {
	if len(cond) != 1 {
		return false
	}
	for op, keys := range cond {
		if op != "Bool" && op != "BoolIfExists" || len(keys) != 1 {
			return false
		}
		for key, value := range keys {
			if !strings.EqualFold(key, "aws:SecureTransport") {
				return false
			}
			var b bool
			if json.Unmarshal(value, &b) == nil {
				return !b
			}
			vals := s3StringList(value)
			return len(vals) == 1 && strings.EqualFold(vals[0], "false")
		}
	}
	return false
}

func s3AllPrincipals(raw json.RawMessage) bool {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s == "*"
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) == nil {
		return s3ContainsAny(s3StringList(m["AWS"]), "*")
	}
	return false
}

// s3StringList reads a policy value that is a string or a list of strings.
func s3StringList(raw json.RawMessage) []string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}
	}
	var list []string
	_ = json.Unmarshal(raw, &list)
	return list
}

func s3ContainsAny(list []string, values ...string) bool {
	for _, v := range list {
		for _, w := range values {
			if v == w {
				return true
			}
		}
	}
	return false
}

// s3ResourcesCover reports whether any resource pattern (with IAM's * and ?
// wildcards) matches arn.
func s3ResourcesCover(patterns []string, arn string) bool {
	for _, p := range patterns {
		var re strings.Builder
		re.WriteString("^")
		for _, r := range p {
			switch r {
			case '*':
				re.WriteString(".*")
			case '?':
				re.WriteString(".")
			default:
				re.WriteString(regexp.QuoteMeta(string(r)))
			}
		}
		re.WriteString("$")
		if ok, _ := regexp.MatchString(re.String(), arn); ok {
			return true
		}
	}
	return false
}

func evalS3ObjectLock(ec *EvalContext) []Finding {
	buckets, out := s3ArchiveBuckets(ec, awscol.S3GroupObjectLock)
	for _, b := range buckets {
		lock := b.attrs.ObjectLock
		if lock == nil {
			out = append(out, s3Missing(ec, b.item, "the Object Lock configuration"))
			continue
		}
		details := map[string]any{"object_lock_enabled": lock.Enabled, "mode": lock.Mode}
		if lock.Days != nil {
			details["days"] = *lock.Days
		}
		if lock.Years != nil {
			details["years"] = *lock.Years
		}
		var f Finding
		switch {
		case !lock.Configured || lock.Enabled != "Enabled":
			f = ec.Finding(b.item, StatusFail, "Object Lock not enabled")
		case lock.Mode == "":
			f = ec.Finding(b.item, StatusFail, "Object Lock enabled but no default retention mode set")
		case lock.Mode == "COMPLIANCE":
			f = ec.Finding(b.item, StatusPass, "Object Lock in COMPLIANCE mode, default retention %s", s3RetentionText(lock))
		case lock.Mode == "GOVERNANCE":
			f = ec.Finding(b.item, StatusPass, "Object Lock in GOVERNANCE mode, default retention %s (users with s3:BypassGovernanceRetention can override it)", s3RetentionText(lock))
		default:
			f = ec.Finding(b.item, StatusReview, "unrecognised Object Lock mode %s", lock.Mode)
		}
		f.Details = details
		out = append(out, f)
	}
	return out
}

// s3ArchiveBuckets is s3Buckets limited to audit-log archive buckets.
func s3ArchiveBuckets(ec *EvalContext, groups ...string) ([]s3BucketItem, []Finding) {
	var archive []s3BucketItem
	var errs []Finding
	for _, it := range ec.Items {
		if it.Kind != awscol.KindS3Bucket {
			continue
		}
		var b awscol.S3Bucket
		if err := it.Decode(&b); err != nil || !b.Archive {
			continue
		}
		if f, bad := ec.ItemError(it, append([]string{awscol.S3GroupRegion}, groups...)...); bad {
			errs = append(errs, f)
			continue
		}
		archive = append(archive, s3BucketItem{item: it, attrs: b})
	}
	return archive, errs
}

// s3RetentionText formats a default retention period. S3 sets Days or
// Years, but moto 5.2 returns both with one of them 0, so zero parts are
// left out.
func s3RetentionText(lock *awscol.S3ObjectLock) string {
	var parts []string
	if lock.Years != nil && *lock.Years != 0 {
		parts = append(parts, fmt.Sprintf("%d years", *lock.Years))
	}
	if lock.Days != nil && *lock.Days != 0 {
		parts = append(parts, fmt.Sprintf("%d days", *lock.Days))
	}
	if len(parts) == 0 {
		return "not set"
	}
	return strings.Join(parts, " and ")
}

func evalS3LifecycleRetention(ec *EvalContext) []Finding {
	minDays := ec.Params.Int("min_days")
	buckets, out := s3ArchiveBuckets(ec, awscol.S3GroupLifecycle)
	for _, b := range buckets {
		lc := b.attrs.Lifecycle
		if lc == nil {
			out = append(out, s3Missing(ec, b.item, "the lifecycle configuration"))
			continue
		}
		var short, dated []string
		for _, r := range lc.Rules {
			if r.Status != "Enabled" {
				continue
			}
			name := r.ID
			if name == "" {
				name = "(unnamed)"
			}
			if r.ExpirationDays != nil && int(*r.ExpirationDays) < minDays {
				short = append(short, fmt.Sprintf("rule %s expires %s after %d days", name, r.Filter, *r.ExpirationDays))
			}
			if r.NoncurrentDays != nil && int(*r.NoncurrentDays) < minDays {
				short = append(short, fmt.Sprintf("rule %s deletes noncurrent versions of %s after %d days", name, r.Filter, *r.NoncurrentDays))
			}
			if r.ExpirationDate != nil {
				dated = append(dated, fmt.Sprintf("rule %s expires %s on %s", name, r.Filter, r.ExpirationDate.UTC().Format(time.DateOnly)))
			}
		}
		sort.Strings(short)
		sort.Strings(dated)
		details := map[string]any{"min_days": minDays, "lifecycle_configured": lc.Configured, "rules": len(lc.Rules)}
		var f Finding
		switch {
		case len(short) > 0:
			details["violations"] = short
			f = ec.Finding(b.item, StatusFail, "objects deleted before %d days: %s", minDays, strings.Join(short, "; "))
		case len(dated) > 0:
			details["dated_rules"] = dated
			f = ec.Finding(b.item, StatusReview, "lifecycle expires objects on a fixed date: %s", strings.Join(dated, "; "))
		case !lc.Configured:
			f = ec.Finding(b.item, StatusPass, "no lifecycle configuration; objects are kept until deleted")
		default:
			f = ec.Finding(b.item, StatusPass, "no enabled lifecycle rule deletes objects before %d days", minDays)
		}
		f.Details = details
		out = append(out, f)
	}
	return out
}
