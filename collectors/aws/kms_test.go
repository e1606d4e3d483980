package aws_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	awsv2 "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	awscol "github.com/auditpack/auditpack/collectors/aws"
	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/internal/testenv"
)

const kmsCheck = awscol.CheckKMSKeyRotation

func createKey(t *testing.T, client *kms.Client, in *kms.CreateKeyInput) string {
	t.Helper()
	out, err := client.CreateKey(context.Background(), in)
	if err != nil {
		t.Fatalf("create KMS key %+v: %v", in, err)
	}
	return awsv2.ToString(out.KeyMetadata.Arn)
}

// keyID returns the key id at the end of a key ARN.
func keyID(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

func TestKMSKeyRotationByKeyType(t *testing.T) {
	moto := testenv.RequireMoto(t)
	ctx := context.Background()
	client := kms.NewFromConfig(harnessSDKConfig(moto.Endpoint, "us-east-1"))

	rotating := createKey(t, client, &kms.CreateKeyInput{Description: awsv2.String("orders data")})
	if _, err := client.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: awsv2.String(rotating)}); err != nil {
		t.Fatalf("enable rotation: %v", err)
	}
	static := createKey(t, client, &kms.CreateKeyInput{})
	signing := createKey(t, client, &kms.CreateKeyInput{KeySpec: kmstypes.KeySpecRsa2048, KeyUsage: kmstypes.KeyUsageTypeSignVerify})
	hmac := createKey(t, client, &kms.CreateKeyInput{KeySpec: kmstypes.KeySpecHmac256, KeyUsage: kmstypes.KeyUsageTypeGenerateVerifyMac})
	deleted := createKey(t, client, &kms.CreateKeyInput{})
	// moto 5.2.1 schedules deletion and disables keys by key id only, not
	// by ARN.
	if _, err := client.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: awsv2.String(keyID(deleted)), PendingWindowInDays: awsv2.Int32(7)}); err != nil {
		t.Fatalf("schedule deletion: %v", err)
	}
	disabled := createKey(t, client, &kms.CreateKeyInput{})
	if _, err := client.DisableKey(ctx, &kms.DisableKeyInput{KeyId: awsv2.String(keyID(disabled))}); err != nil {
		t.Fatalf("disable key: %v", err)
	}

	env := harnessEnv(moto.Endpoint)
	s := awscol.SessionFrom(env)
	rotationCalls := 0
	s.OnCall = func(_, op, _ string) {
		if op == "GetKeyRotationStatus" {
			rotationCalls++
		}
	}
	set := harnessCollect(t, env, awscol.KMSFactory, harnessNow, kmsCheck)
	findings := harnessEvaluate(t, set, harnessNow, nil, kmsCheck)

	want := map[string]controls.Status{
		rotating: controls.StatusPass,
		static:   controls.StatusFail,
		signing:  controls.StatusNotApplicable,
		hmac:     controls.StatusNotApplicable,
		disabled: controls.StatusFail,
	}
	for arn, status := range want {
		if f := harnessFinding(t, findings, kmsCheck, arn); f.Status != status {
			t.Errorf("%s = %s %q, want %s", arn, f.Status, f.Message, status)
		}
	}
	if len(findings) != len(want) {
		t.Errorf("got %d findings, want %d (the key pending deletion left out):%s", len(findings), len(want), harnessDump(findings))
	}
	if f := harnessFinding(t, findings, kmsCheck, signing); !strings.Contains(f.Message, "RSA_2048") {
		t.Errorf("signing key message = %q, want the key spec named", f.Message)
	}
	if f := harnessFinding(t, findings, kmsCheck, disabled); !strings.Contains(f.Message, "Disabled") {
		t.Errorf("disabled key message = %q, want the key state", f.Message)
	}
	// Rotation status is asked only for the three rotatable customer keys
	// that are not pending deletion.
	if rotationCalls != 3 {
		t.Errorf("GetKeyRotationStatus calls = %d, want 3", rotationCalls)
	}
	if n := len(set.ByKind(awscol.KindKMSKey)); n != 6 {
		t.Errorf("key items = %d, want all 6 keys kept as evidence", n)
	}
}

// kmsKeyJSON is a KeyMetadata object as KMS returns it.
func kmsKeyJSON(arn, manager string) string {
	return fmt.Sprintf(`{"AWSAccountId":"%s","KeyId":"%s","Arn":"%s","CreationDate":1.7640288E9,"Enabled":true,`+
		`"KeyUsage":"ENCRYPT_DECRYPT","KeyState":"Enabled","Origin":"AWS_KMS","KeyManager":"%s",`+
		`"KeySpec":"SYMMETRIC_DEFAULT","CustomerMasterKeySpec":"SYMMETRIC_DEFAULT","EncryptionAlgorithms":["SYMMETRIC_DEFAULT"]}`,
		motoAccount, keyID(arn), arn, manager)
}

func TestKMSListKeysPagesAndSkipsAWSManaged(t *testing.T) {
	moto := testenv.RequireMoto(t)
	client := kms.NewFromConfig(harnessSDKConfig(moto.Endpoint, "us-east-1"))
	first := createKey(t, client, &kms.CreateKeyInput{})
	second := createKey(t, client, &kms.CreateKeyInput{})
	managed := "arn:aws:kms:us-east-1:" + motoAccount + ":key/7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"
	entry := func(arn string) string {
		return fmt.Sprintf(`{"KeyId":"%s","KeyArn":"%s"}`, keyID(arn), arn)
	}

	// moto returns every key in one page, so ListKeys is a recorded
	// response. The AWS-managed key's DescribeKey is recorded too, and moto
	// serves the customer keys.
	proxy := newInterceptProxy(t, moto.Endpoint, func(call interceptedCall) (int, string, bool) {
		switch {
		case call.Action == "ListKeys" && call.N == 1:
			return 200, `{"Keys":[` + entry(first) + `,` + entry(managed) + `],"NextMarker":"m-1","Truncated":true}`, true
		case call.Action == "ListKeys":
			if !strings.Contains(call.Body, `"Marker":"m-1"`) {
				return 400, `{"__type":"InvalidMarkerException","message":"second page requested without the marker"}`, true
			}
			return 200, `{"Keys":[` + entry(second) + `],"Truncated":false}`, true
		case call.Action == "DescribeKey" && strings.Contains(call.Body, managed):
			return 200, `{"KeyMetadata":` + kmsKeyJSON(managed, "AWS") + `}`, true
		}
		return 0, "", false
	})
	set := harnessCollect(t, harnessEnv(proxy.URL), awscol.KMSFactory, harnessNow, kmsCheck)
	findings := harnessEvaluate(t, set, harnessNow, nil, kmsCheck)

	if proxy.Calls("ListKeys", "us-east-1") != 2 {
		t.Errorf("ListKeys requests = %d, want 2 pages", proxy.Calls("ListKeys", "us-east-1"))
	}
	for _, arn := range []string{first, second} {
		if f := harnessFinding(t, findings, kmsCheck, arn); f.Status != controls.StatusFail {
			t.Errorf("%s = %s %q, want fail (rotation off)", arn, f.Status, f.Message)
		}
	}
	for _, f := range findings {
		if f.Resource == managed {
			t.Errorf("AWS-managed key judged: %s %s", f.Status, f.Message)
		}
	}
	if proxy.Calls("GetKeyRotationStatus", "us-east-1") != 2 {
		t.Errorf("GetKeyRotationStatus requests = %d, want 2 (none for the AWS-managed key)", proxy.Calls("GetKeyRotationStatus", "us-east-1"))
	}
}

func TestKMSDescribeFailureIsKeyError(t *testing.T) {
	moto := testenv.RequireMoto(t)
	client := kms.NewFromConfig(harnessSDKConfig(moto.Endpoint, "us-east-1"))
	denied := createKey(t, client, &kms.CreateKeyInput{})
	other := createKey(t, client, &kms.CreateKeyInput{})
	proxy := newInterceptProxy(t, moto.Endpoint, func(call interceptedCall) (int, string, bool) {
		if call.Action == "DescribeKey" && strings.Contains(call.Body, denied) {
			return 400, `{"__type":"AccessDeniedException","message":"not authorized to perform kms:DescribeKey"}`, true
		}
		return 0, "", false
	})
	set := harnessCollect(t, harnessEnv(proxy.URL), awscol.KMSFactory, harnessNow, kmsCheck)
	findings := harnessEvaluate(t, set, harnessNow, nil, kmsCheck)

	f := harnessFinding(t, findings, kmsCheck, denied)
	if f.Status != controls.StatusError || !strings.Contains(f.Message, "kms:DescribeKey failed with AccessDeniedException") {
		t.Errorf("denied key = %s %q, want error naming the operation and code", f.Status, f.Message)
	}
	if f := harnessFinding(t, findings, kmsCheck, other); f.Status != controls.StatusFail {
		t.Errorf("other key = %s, want fail (judged despite the denied key)", f.Status)
	}
}

func TestKMSListKeysDeniedIsRegionError(t *testing.T) {
	moto := testenv.RequireMoto(t)
	proxy := newInterceptProxy(t, moto.Endpoint, func(call interceptedCall) (int, string, bool) {
		if call.Action == "ListKeys" {
			return 400, `{"__type":"AccessDeniedException","message":"not authorized to perform kms:ListKeys"}`, true
		}
		return 0, "", false
	})
	set := harnessCollect(t, harnessEnv(proxy.URL), awscol.KMSFactory, harnessNow, kmsCheck)
	findings := harnessEvaluate(t, set, harnessNow, nil, kmsCheck)

	f := harnessFinding(t, findings, kmsCheck, "aws:"+motoAccount+":us-east-1")
	if f.Status != controls.StatusError || !strings.Contains(f.Message, "kms:ListKeys failed with AccessDeniedException") {
		t.Errorf("region finding = %s %q, want error naming ListKeys", f.Status, f.Message)
	}
}
