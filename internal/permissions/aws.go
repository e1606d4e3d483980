// Package permissions derives the least privilege auditpack needs: the IAM
// policy for the selected AWS checks and the PostgreSQL role for the
// configured databases.
package permissions

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/auditpack/auditpack/controls"
)

// scope is a set of resources that IAM actions are granted on. Actions with
// the same scope share one policy statement.
type scope struct {
	sid string
	// resources are ARN patterns with %[1]s for the partition; none means
	// "*", for actions that support no resource-level permission.
	resources []string
}

// Scopes in the order their statements appear in the policy.
var (
	anyResource = scope{sid: "ActionsWithoutResourceLevelPermissions"}
	s3Buckets   = scope{sid: "S3Buckets", resources: []string{"arn:%[1]s:s3:::*"}}
	iamUsers    = scope{sid: "IAMUsers", resources: []string{"arn:%[1]s:iam::*:user/*"}}
	iamRoles    = scope{sid: "IAMRoles", resources: []string{"arn:%[1]s:iam::*:role/*"}}
	kmsKeys     = scope{sid: "KMSKeys", resources: []string{"arn:%[1]s:kms:*:*:key/*"}}
	trails      = scope{sid: "CloudTrailTrails", resources: []string{"arn:%[1]s:cloudtrail:*:*:trail/*"}}
	rdsDBs      = scope{sid: "RDSInstances", resources: []string{"arn:%[1]s:rds:*:*:db:*"}}
	rdsClusters = scope{sid: "RDSClusters", resources: []string{"arn:%[1]s:rds:*:*:cluster:*"}}
	rdsPGs      = scope{sid: "RDSParameterGroups", resources: []string{"arn:%[1]s:rds:*:*:pg:*"}}
	rdsCPGs     = scope{sid: "RDSClusterParameterGroups", resources: []string{"arn:%[1]s:rds:*:*:cluster-pg:*"}}
	rdsSnaps    = scope{sid: "RDSSnapshots", resources: []string{"arn:%[1]s:rds:*:*:db:*", "arn:%[1]s:rds:*:*:snapshot:*"}}
	rdsCSnaps   = scope{sid: "RDSClusterSnapshots", resources: []string{"arn:%[1]s:rds:*:*:cluster:*", "arn:%[1]s:rds:*:*:cluster-snapshot:*"}}
)

var scopeOrder = []scope{anyResource, s3Buckets, iamUsers, iamRoles, kmsKeys, trails, rdsDBs, rdsClusters, rdsPGs, rdsCPGs, rdsSnaps, rdsCSnaps}

// Grant is the IAM action an API operation needs and the resources it can
// be granted on.
type Grant struct {
	// Action is the IAM action, such as "s3:GetEncryptionConfiguration".
	// It is empty for an operation that needs no permission.
	Action string
	scope  scope
}

// Resources returns the ARN patterns of the grant in a partition, or ["*"].
func (g Grant) Resources(partition string) []string {
	if len(g.scope.resources) == 0 {
		return []string{"*"}
	}
	out := make([]string, len(g.scope.resources))
	for i, r := range g.scope.resources {
		out[i] = fmt.Sprintf(r, partition)
	}
	return out
}

// operations maps each API operation auditpack sends, as "service:Operation"
// with the SDK's service id, to its IAM action and resource scope, after
// AWS's Service Authorization Reference. An IAM action often differs from
// the operation name, for example GetBucketEncryption needs
// s3:GetEncryptionConfiguration.
// NOTE: the tests prove that every operation sent has an entry here, not
// that AWS accepts each ARN pattern; moto does not enforce IAM. The RDS
// snapshot statements therefore list both the instance or cluster and the
// snapshot patterns.
var operations = map[string]Grant{
	// Amazon S3. Bucket-level reads are granted on bucket ARNs; listing
	// buckets and the account's public access block have no resource type.
	"s3:ListBuckets":                     {"s3:ListAllMyBuckets", anyResource},
	"s3:GetBucketLocation":               {"s3:GetBucketLocation", s3Buckets},
	"s3:GetBucketEncryption":             {"s3:GetEncryptionConfiguration", s3Buckets},
	"s3:GetBucketVersioning":             {"s3:GetBucketVersioning", s3Buckets},
	"s3:GetPublicAccessBlock":            {"s3:GetBucketPublicAccessBlock", s3Buckets},
	"s3:GetBucketPolicy":                 {"s3:GetBucketPolicy", s3Buckets},
	"s3:GetObjectLockConfiguration":      {"s3:GetBucketObjectLockConfiguration", s3Buckets},
	"s3:GetBucketLifecycleConfiguration": {"s3:GetLifecycleConfiguration", s3Buckets},
	"s3control:GetPublicAccessBlock":     {"s3:GetAccountPublicAccessBlock", anyResource},
	"iam:GenerateCredentialReport":       {"iam:GenerateCredentialReport", anyResource},
	"iam:GetCredentialReport":            {"iam:GetCredentialReport", anyResource},
	"iam:GetAccountSummary":              {"iam:GetAccountSummary", anyResource},
	"iam:GetAccountPasswordPolicy":       {"iam:GetAccountPasswordPolicy", anyResource},
	"iam:ListUsers":                      {"iam:ListUsers", anyResource},
	"iam:ListMFADevices":                 {"iam:ListMFADevices", iamUsers},
	"iam:ListGroupsForUser":              {"iam:ListGroupsForUser", iamUsers},
	"iam:ListAttachedUserPolicies":       {"iam:ListAttachedUserPolicies", iamUsers},
	"iam:ListUserPolicies":               {"iam:ListUserPolicies", iamUsers},
	"iam:ListRoles":                      {"iam:ListRoles", anyResource},
	"iam:ListAttachedRolePolicies":       {"iam:ListAttachedRolePolicies", iamRoles},
	"cloudtrail:DescribeTrails":          {"cloudtrail:DescribeTrails", anyResource},
	"cloudtrail:GetTrailStatus":          {"cloudtrail:GetTrailStatus", trails},
	"kms:ListKeys":                       {"kms:ListKeys", anyResource},
	"kms:DescribeKey":                    {"kms:DescribeKey", kmsKeys},
	"kms:GetKeyRotationStatus":           {"kms:GetKeyRotationStatus", kmsKeys},
	"ec2:DescribeRegions":                {"ec2:DescribeRegions", anyResource},
	"ec2:GetEbsEncryptionByDefault":      {"ec2:GetEbsEncryptionByDefault", anyResource},
	"ec2:GetEbsDefaultKmsKeyId":          {"ec2:GetEbsDefaultKmsKeyId", anyResource},
	"ec2:DescribeVolumes":                {"ec2:DescribeVolumes", anyResource},
	"rds:DescribeDBInstances":            {"rds:DescribeDBInstances", rdsDBs},
	"rds:DescribeDBClusters":             {"rds:DescribeDBClusters", rdsClusters},
	"rds:DescribeDBParameters":           {"rds:DescribeDBParameters", rdsPGs},
	"rds:DescribeDBClusterParameters":    {"rds:DescribeDBClusterParameters", rdsCPGs},
	"rds:DescribeDBSnapshots":            {"rds:DescribeDBSnapshots", rdsSnaps},
	"rds:DescribeDBClusterSnapshots":     {"rds:DescribeDBClusterSnapshots", rdsCSnaps},
	"backup:ListBackupJobs":              {"backup:ListBackupJobs", anyResource},
	// sts:GetCallerIdentity needs no permission: AWS returns the identity
	// even when an explicit deny covers the action.
	"sts:GetCallerIdentity": {"", anyResource},
}

// SessionOperations are sent for every AWS target, whatever checks are
// selected: the caller identity, and the region list that `regions:
// [enabled]` and `auditpack doctor` read.
var SessionOperations = []string{"sts:GetCallerIdentity", "ec2:DescribeRegions"}

// GrantFor returns the IAM action of an API operation ("s3:ListBuckets").
func GrantFor(operation string) (Grant, bool) {
	g, ok := operations[operation]
	return g, ok
}

// nonAWSSources are the prefixes of Calls entries that name no AWS API
// operation: files read and PostgreSQL queries.
var nonAWSSources = map[string]bool{"file": true, "postgres": true}

// IsAWSCheck reports whether a check reads evidence of an AWS collector.
func IsAWSCheck(c *controls.Check) bool {
	for _, id := range c.Collectors {
		if strings.HasPrefix(id, "aws.") {
			return true
		}
	}
	return false
}

// AWSOperations returns the API operations that the AWS checks among checks
// send, with the session's own operations, sorted.
// Calls entries that read files or query PostgreSQL are skipped. Any other
// operation that the table lacks is an error naming the check.
func AWSOperations(checks []*controls.Check) ([]string, error) {
	seen := map[string]bool{}
	found := false
	for _, c := range checks {
		if !IsAWSCheck(c) {
			continue
		}
		found = true
		for _, op := range c.Calls {
			source, _, ok := strings.Cut(op, ":")
			if !ok || nonAWSSources[source] {
				continue
			}
			if _, ok := operations[op]; !ok {
				return nil, fmt.Errorf("check %s names API operation %q, which has no IAM action in the permission table; add it to internal/permissions", c.ID, op)
			}
			seen[op] = true
		}
	}
	if !found {
		return nil, nil
	}
	for _, op := range SessionOperations {
		seen[op] = true
	}
	out := make([]string, 0, len(seen))
	for op := range seen {
		out = append(out, op)
	}
	sort.Strings(out)
	return out, nil
}

// Policy is an IAM identity-based policy document.
type Policy struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one Allow statement of a Policy.
type Statement struct {
	Sid      string   `json:"Sid"`
	Effect   string   `json:"Effect"`
	Action   []string `json:"Action"`
	Resource []string `json:"Resource"`
}

// Actions returns the IAM actions of the policy, sorted.
func (p *Policy) Actions() []string {
	var out []string
	for _, s := range p.Statement {
		out = append(out, s.Action...)
	}
	sort.Strings(out)
	return out
}

// BuildAWSPolicy returns the policy with exactly the IAM actions the AWS
// checks among checks need, in a partition ("aws", "aws-us-gov",
// "aws-cn"). sts:AssumeRole is not in it: the identity that assumes the
// audit role needs that permission, not the role.
func BuildAWSPolicy(checks []*controls.Check, partition string) (*Policy, error) {
	if partition == "" {
		partition = "aws"
	}
	ops, err := AWSOperations(checks)
	if err != nil {
		return nil, err
	}
	byScope := map[string]map[string]bool{}
	for _, op := range ops {
		g := operations[op]
		if g.Action == "" {
			continue
		}
		if byScope[g.scope.sid] == nil {
			byScope[g.scope.sid] = map[string]bool{}
		}
		byScope[g.scope.sid][g.Action] = true
	}
	p := &Policy{Version: "2012-10-17", Statement: []Statement{}}
	for _, sc := range scopeOrder {
		actions := byScope[sc.sid]
		if len(actions) == 0 {
			continue
		}
		st := Statement{Sid: sc.sid, Effect: "Allow", Resource: Grant{scope: sc}.Resources(partition)}
		for a := range actions {
			st.Action = append(st.Action, a)
		}
		sort.Strings(st.Action)
		p.Statement = append(p.Statement, st)
	}
	return p, nil
}

// AWSPolicy returns the policy document of BuildAWSPolicy for the aws
// partition as indented JSON with a final newline.
func AWSPolicy(checks []*controls.Check) ([]byte, error) {
	return AWSPolicyIn(checks, "aws")
}

// AWSPolicyIn is AWSPolicy for another partition.
func AWSPolicyIn(checks []*controls.Check, partition string) ([]byte, error) {
	p, err := BuildAWSPolicy(checks, partition)
	if err != nil {
		return nil, err
	}
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}
