package aws

import (
	"net/url"
	"reflect"
	"testing"
)

func TestTrustedPrincipalsForms(t *testing.T) {
	cases := []struct {
		name, document string
		want           []string
	}{
		{"statement list", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"}},{"Effect":"Deny","Principal":{"AWS":"*"}}]}`,
			[]string{"Service:ec2.amazonaws.com"}},
		{"single statement", `{"Statement":{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root","arn:aws:iam::444455556666:role/ci"]}}}`,
			[]string{"AWS:arn:aws:iam::111122223333:root", "AWS:arn:aws:iam::444455556666:role/ci"}},
		{"URL-encoded", url.QueryEscape(`{"Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"}}]}`),
			[]string{"Federated:cognito-identity.amazonaws.com"}},
		{"wildcard", `{"Statement":[{"Effect":"Allow","Principal":"*"}]}`, []string{"*"}},
		{"not JSON", `not a policy`, nil},
	}
	for _, tc := range cases {
		if got := TrustedPrincipals(tc.document); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: TrustedPrincipals = %q, want %q", tc.name, got, tc.want)
		}
	}
}
