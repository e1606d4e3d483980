package aws_test

import (
	"strings"
	"testing"

	awscol "github.com/auditpack/auditpack/collectors/aws"
)

func TestParseCredentialReportByColumnName(t *testing.T) {
	// Columns in another order, one unknown column and a quoted field: the
	// parser reads by header name.
	report := "arn,user,new_column,password_enabled,mfa_active,access_key_1_active,access_key_2_active,access_key_1_last_rotated,password_last_used\n" +
		`arn:aws:iam::111122223333:user/x,"x",whatever,true,true,false,true,N/A,2026-11-01T10:00:00+00:00` + "\n"
	rows, err := awscol.ParseCredentialReport([]byte(report))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("%d rows, want 1", len(rows))
	}
	r := rows[0]
	if r.User != "x" || r.ARN != "arn:aws:iam::111122223333:user/x" || !r.HasConsolePassword() || !r.MFAActive {
		t.Errorf("row = %+v, want user x with a password and MFA", r)
	}
	if r.PasswordLastUsed.State != awscol.DateSet || r.PasswordLastUsed.Time.Format("2006-01-02T15:04") != "2026-11-01T10:00" {
		t.Errorf("password_last_used = %+v, want the date in UTC", r.PasswordLastUsed)
	}
	if !r.AccessKeys[1].Active || r.AccessKeys[1].LastUsed.State != awscol.DateNeverUsed {
		t.Errorf("key 2 = %+v: an active key without a last-used date is never used", r.AccessKeys[1])
	}
}

func TestParseCredentialReportRejectsBadInput(t *testing.T) {
	cases := map[string]string{
		"empty":            "",
		"missing column":   "user,arn,password_enabled\nx,arn:aws:iam::1:user/x,true\n",
		"row without name": credentialReportHeader + "\n,arn:aws:iam::1:user/x,N/A,false,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n",
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := awscol.ParseCredentialReport([]byte(content)); err == nil {
				t.Error("parsed without error")
			}
		})
	}
}

func TestParseCredentialReportUnknownMarker(t *testing.T) {
	row := strings.Replace(dana, "no_information", "someday", 1)
	rows, err := awscol.ParseCredentialReport([]byte(reportCSV(row)))
	if err != nil {
		t.Fatal(err)
	}
	if d := rows[0].PasswordLastUsed; d.State != awscol.DateUnknown || d.Raw != "someday" || d.Time != nil {
		t.Errorf("password_last_used = %+v, want an unknown state that keeps the raw value", d)
	}
}
