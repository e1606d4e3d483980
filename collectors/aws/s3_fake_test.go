package aws_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	awscol "github.com/auditpack/auditpack/collectors/aws"
	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/internal/testenv"
)

// s3Reply is a recorded S3 response: an XML body, or an error code with
// its HTTP status.
type s3Reply struct {
	status  int
	code    string
	message string
	body    string
}

func s3Error(status int, code, message string) s3Reply {
	return s3Reply{status: status, code: code, message: message}
}

const s3NS = `xmlns="http://s3.amazonaws.com/doc/2006-03-01/"`

func encryptionXML(rules ...string) string {
	return `<ServerSideEncryptionConfiguration ` + s3NS + `>` + strings.Join(rules, "") + `</ServerSideEncryptionConfiguration>`
}

func defaultRule(alg, key string) string {
	k := ""
	if key != "" {
		k = "<KMSMasterKeyID>" + key + "</KMSMasterKeyID>"
	}
	return `<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>` + alg + `</SSEAlgorithm>` + k +
		`</ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule>`
}

// s3Fake serves ListBuckets (one page, regions filled in as AWS does) and
// per-bucket replies by operation. account is the s3control reply.
func s3Fake(t *testing.T, buckets []string, replies map[string]map[string]s3Reply, account *s3Reply) *fakeAWS {
	t.Helper()
	return newFakeAWS(t, func(w http.ResponseWriter, r *http.Request, info testenv.RequestInfo) bool {
		if info.Service == "s3control" && info.Operation == "GetPublicAccessBlock" && account != nil {
			writeS3Reply(w, info.Protocol, *account)
			return true
		}
		if info.Service != "s3" {
			return false
		}
		if info.Operation == "ListBuckets" {
			var b strings.Builder
			for _, name := range buckets {
				fmt.Fprintf(&b, "<Bucket><Name>%s</Name><CreationDate>2019-03-02T00:00:00.000Z</CreationDate><BucketRegion>us-east-1</BucketRegion></Bucket>", name)
			}
			writeXML(w, `<ListAllMyBucketsResult `+s3NS+`><Owner><ID>owner</ID></Owner><Buckets>`+b.String()+`</Buckets></ListAllMyBucketsResult>`)
			return true
		}
		reply, ok := replies[info.Bucket][info.Operation]
		if !ok {
			return false
		}
		writeS3Reply(w, info.Protocol, reply)
		return true
	})
}

func writeS3Reply(w http.ResponseWriter, protocol testenv.Protocol, reply s3Reply) {
	if reply.code != "" {
		testenv.WriteAWSError(w, protocol, testenv.AWSError{Status: reply.status, Code: reply.code, Message: reply.message})
		return
	}
	writeXML(w, reply.body)
}

func TestS3_01_SSES3Passes(t *testing.T) {
	fake := s3Fake(t, []string{"acme-legacy-logs"}, map[string]map[string]s3Reply{
		"acme-legacy-logs": {"GetBucketEncryption": {body: encryptionXML(defaultRule("AES256", ""))}},
	}, nil)
	check := "aws.s3.default_encryption"
	set := collectWith(t, storageEnv(fake.URL), awscol.S3Factory, check)
	arn := bucketARN("acme-legacy-logs")

	f := findingOf(t, evaluateChecks(t, set, nil, check), check, arn)
	wantStatus(t, f, controls.StatusPass, "SSE-S3 (AES256, S3-managed keys)")
	if f.Details["sse_algorithm"] != "AES256" {
		t.Errorf("sse_algorithm = %v, want AES256 exactly as returned", f.Details["sse_algorithm"])
	}
	if strings.Contains(strings.ToLower(f.Message), "unencrypted") {
		t.Errorf("message %q calls an SSE-S3 bucket unencrypted", f.Message)
	}

	strict := findingOf(t, evaluateChecks(t, set, map[string]controls.Params{check: {"require_kms": true}}, check), check, arn)
	wantStatus(t, strict, controls.StatusFail, "S3-managed key; CMK required by policy")
}

func TestS3_02_MissingConfigAndRuleWithoutAlgorithm(t *testing.T) {
	for _, message := range []string{"The server side encryption configuration was not found", "something else entirely"} {
		t.Run(message, func(t *testing.T) {
			fake := s3Fake(t, []string{"acme-a", "acme-b", "acme-c", "acme-d"}, map[string]map[string]s3Reply{
				"acme-a": {"GetBucketEncryption": s3Error(http.StatusNotFound, "ServerSideEncryptionConfigurationNotFoundError", message)},
				"acme-b": {"GetBucketEncryption": {body: encryptionXML(`<Rule><BucketKeyEnabled>true</BucketKeyEnabled></Rule>`)}},
				"acme-c": {"GetBucketEncryption": {body: encryptionXML(defaultRule("AES256", ""))}},
				// Every optional field of the rule left out.
				"acme-d": {"GetBucketEncryption": {body: encryptionXML(`<Rule></Rule>`)}},
			}, nil)
			check := "aws.s3.default_encryption"
			set := collectWith(t, storageEnv(fake.URL), awscol.S3Factory, check)
			findings := evaluateChecks(t, set, nil, check)

			a := findingOf(t, findings, check, bucketARN("acme-a"))
			wantStatus(t, a, controls.StatusReview, "no default-encryption configuration returned (unexpected on AWS since 2023-01-05)")
			if a.Details["error_code"] != "ServerSideEncryptionConfigurationNotFoundError" {
				t.Errorf("acme-a details %v, want the raw error code", a.Details)
			}
			raw := string(itemOf(t, set, awscol.KindS3Bucket, bucketARN("acme-a")).Raw["s3:GetBucketEncryption"])
			if !strings.Contains(raw, "ServerSideEncryptionConfigurationNotFoundError") {
				t.Errorf("raw evidence %s lacks the error code", raw)
			}
			wantStatus(t, findingOf(t, findings, check, bucketARN("acme-b")), controls.StatusReview, "rule has no default algorithm")
			wantStatus(t, findingOf(t, findings, check, bucketARN("acme-c")), controls.StatusPass, "SSE-S3")
			wantStatus(t, findingOf(t, findings, check, bucketARN("acme-d")), controls.StatusReview, "rule has no default algorithm")
		})
	}
}

func TestS3_03_DSSEAndUnknownAlgorithms(t *testing.T) {
	const dsseKey = "arn:aws:kms:us-east-2:111122223333:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
	cases := []struct {
		bucket, alg, key string
		status           controls.Status
		message          string
		kmsBacked        any
	}{
		{"acme-aes", "AES256", "", controls.StatusPass, "SSE-S3 (AES256, S3-managed keys)", false},
		{"acme-kms", "aws:kms", dsseKey, controls.StatusPass, "SSE-KMS (KMS key …e9f0)", true},
		{"acme-dsse", "aws:kms:dsse", dsseKey, controls.StatusPass, "DSSE-KMS (dual-layer, KMS key …e9f0)", true},
		{"acme-new", "aws:example-new", "", controls.StatusReview, "unrecognised SSE algorithm aws:example-new", nil},
	}
	replies := map[string]map[string]s3Reply{}
	var names []string
	for _, c := range cases {
		names = append(names, c.bucket)
		replies[c.bucket] = map[string]s3Reply{"GetBucketEncryption": {body: encryptionXML(defaultRule(c.alg, c.key))}}
	}
	fake := s3Fake(t, names, replies, nil)
	check := "aws.s3.default_encryption"
	set := collectWith(t, storageEnv(fake.URL), awscol.S3Factory, check)
	findings := evaluateChecks(t, set, nil, check)
	strict := evaluateChecks(t, set, map[string]controls.Params{check: {"require_kms": true}}, check)

	for _, c := range cases {
		f := findingOf(t, findings, check, bucketARN(c.bucket))
		wantStatus(t, f, c.status, c.message)
		if f.Details["kms_backed"] != c.kmsBacked {
			t.Errorf("%s: kms_backed = %v, want %v", c.bucket, f.Details["kms_backed"], c.kmsBacked)
		}
		if f.Details["sse_algorithm"] != c.alg {
			t.Errorf("%s: sse_algorithm = %v, want %s as returned", c.bucket, f.Details["sse_algorithm"], c.alg)
		}
		if strings.Contains(strings.ToLower(f.Message), "unencrypted") {
			t.Errorf("%s: message %q says unencrypted for a non-empty algorithm", c.bucket, f.Message)
		}
		s := findingOf(t, strict, check, bucketARN(c.bucket))
		if c.kmsBacked == true && s.Status != controls.StatusPass {
			t.Errorf("%s with require_kms: %s %q, want pass (KMS-backed)", c.bucket, s.Status, s.Message)
		}
	}
}

func TestS3_04_AccountLevelBlockPublicAccess(t *testing.T) {
	allOn := s3Reply{body: `<PublicAccessBlockConfiguration ` + s3NS + `><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>`}
	partial := s3Reply{body: `<PublicAccessBlockConfiguration ` + s3NS + `><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>false</BlockPublicPolicy><RestrictPublicBuckets>false</RestrictPublicBuckets></PublicAccessBlockConfiguration>`}
	noBlock := s3Error(http.StatusNotFound, "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found")
	replies := map[string]map[string]s3Reply{
		"acme-config": {"GetPublicAccessBlock": noBlock},
		"acme-web":    {"GetPublicAccessBlock": partial},
	}
	check := "aws.s3.public_access_block"
	run := func(account s3Reply) []controls.Finding {
		fake := s3Fake(t, []string{"acme-config", "acme-web"}, replies, &account)
		set := collectWith(t, storageEnv(fake.URL), awscol.S3Factory, check)
		findings := evaluateChecks(t, set, nil, check)
		for _, f := range findings {
			if f.Status == controls.StatusError {
				t.Errorf("a missing configuration became an error: %s %s", f.Resource, f.Message)
			}
		}
		return findings
	}

	t.Run("account level on", func(t *testing.T) {
		f := findingOf(t, run(allOn), check, bucketARN("acme-config"))
		wantStatus(t, f, controls.StatusPass, "source account-level")
		if f.Details["source"] != "account-level" {
			t.Errorf("source = %v, want account-level", f.Details["source"])
		}
	})
	t.Run("account level missing", func(t *testing.T) {
		f := findingOf(t, run(noBlock), check, bucketARN("acme-web"))
		wantStatus(t, f, controls.StatusFail, "BlockPublicPolicy, RestrictPublicBuckets")
		off, _ := f.Details["flags_off"].([]string)
		if len(off) != 2 || off[0] != "BlockPublicPolicy" || off[1] != "RestrictPublicBuckets" {
			t.Errorf("flags_off = %v, want exactly BlockPublicPolicy and RestrictPublicBuckets", f.Details["flags_off"])
		}
		if f.Details["account_level_known"] != true {
			t.Errorf("account_level_known = %v: a 404 at the account level means not configured, not unknown", f.Details["account_level_known"])
		}
	})
	t.Run("account level denied", func(t *testing.T) {
		findings := run(s3Error(http.StatusForbidden, "AccessDenied", "Access Denied"))
		f := findingOf(t, findings, check, bucketARN("acme-web"))
		wantStatus(t, f, controls.StatusFail, "account-level unknown")
		if f.Details["account_level_error"] != "AccessDenied" {
			t.Errorf("account_level_error = %v, want AccessDenied", f.Details["account_level_error"])
		}
	})
}

func TestPAG_01_ListBucketsEveryPage(t *testing.T) {
	const firstPage, secondPage = 10000, 1204
	var tokens []string
	fake := newFakeAWS(t, func(w http.ResponseWriter, r *http.Request, info testenv.RequestInfo) bool {
		if info.Service != "s3" {
			return false
		}
		switch info.Operation {
		case "ListBuckets":
			q := r.URL.Query()
			if q.Get("max-buckets") == "" {
				// This account's quota is above 10,000 buckets, so S3
				// rejects an unpaginated ListBuckets.
				testenv.WriteAWSError(w, testenv.ProtocolRESTXML, testenv.AWSError{Status: http.StatusBadRequest, Code: "InvalidRequest", Message: "use max-buckets"})
				return true
			}
			token := q.Get("continuation-token")
			tokens = append(tokens, token)
			start, n, next := 0, firstPage, "<ContinuationToken>tok-1</ContinuationToken>"
			if token == "tok-1" {
				start, n, next = firstPage, secondPage, ""
			}
			var b strings.Builder
			for i := start; i < start+n; i++ {
				fmt.Fprintf(&b, "<Bucket><Name>acme-%05d</Name><BucketRegion>us-east-1</BucketRegion></Bucket>", i)
			}
			writeXML(w, `<ListAllMyBucketsResult `+s3NS+`><Buckets>`+b.String()+`</Buckets>`+next+`</ListAllMyBucketsResult>`)
			return true
		case "GetBucketVersioning":
			writeXML(w, `<VersioningConfiguration `+s3NS+`><Status>Enabled</Status></VersioningConfiguration>`)
			return true
		}
		return false
	})
	check := "aws.s3.versioning"
	env := storageEnv(fake.URL)
	env.Config.Concurrency = 32
	set := collectWith(t, env, awscol.S3Factory, check)

	if got := len(set.ByKind(awscol.KindS3Bucket)); got != firstPage+secondPage {
		t.Errorf("%d buckets collected, want %d", got, firstPage+secondPage)
	}
	if len(tokens) != 2 || tokens[0] != "" || tokens[1] != "tok-1" {
		t.Errorf("ListBuckets continuation tokens sent = %q, want the first page then tok-1", tokens)
	}
	findings := evaluateChecks(t, set, nil, check)
	if got := len(findingsOf(findings, check)); got != firstPage+secondPage {
		t.Errorf("%d versioning findings, want %d", got, firstPage+secondPage)
	}
	for name, page := range map[string]int{"acme-00000": 1, "acme-10000": 2} {
		var got any
		for _, p := range itemOf(t, set, awscol.KindS3Bucket, bucketARN(name)).Provenance {
			if p.Operation == "s3:ListBuckets" {
				got = p.Parameters["page"]
			}
		}
		if got != page {
			t.Errorf("%s: ListBuckets provenance names page %v, want page %d", name, got, page)
		}
	}
	if fake.CountOf("s3:GetBucketLocation") != 0 {
		t.Errorf("GetBucketLocation called although ListBuckets returned BucketRegion")
	}
}
