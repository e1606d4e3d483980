package aws

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"golang.org/x/sync/errgroup"

	"github.com/auditpack/auditpack/collectors"
	"github.com/auditpack/auditpack/evidence"
)

// Evidence kinds of the IAM collector.
const (
	// KindIAMCredentialReport is the account's credential report as a whole:
	// when it was generated and whether its users match ListUsers.
	KindIAMCredentialReport = "aws.iam.credential_report"
	// KindIAMUser is one IAM user's credential-report row and MFA devices.
	KindIAMUser = "aws.iam.user"
	// KindIAMRoot is the root user: its credential-report row and the
	// account summary.
	KindIAMRoot = "aws.iam.root"
	// KindIAMPasswordPolicy is the account password policy.
	KindIAMPasswordPolicy = "aws.iam.password_policy"
)

// Attribute groups of IAM items.
const (
	IAMGroupCredentialReport = "credential_report"
	IAMGroupListUsers        = "list_users"
	IAMGroupAccountSummary   = "account_summary"
	IAMGroupMFADevices       = "mfa_devices"
	IAMGroupPasswordPolicy   = "password_policy"
)

// RootUserName is the user column of the root row in the credential report.
const RootUserName = "<root_account>"

// States of a date column in the credential report.
const (
	// DateSet: the column holds a date.
	DateSet = "date"
	// DateNeverUsed: the credential exists but was never used, or last used
	// before IAM started tracking (no_information, or N/A for a key that
	// exists).
	DateNeverUsed = "never_used"
	// DateNoCredential: there is no such credential (N/A).
	DateNoCredential = "no_credential"
	// DateNotSupported: IAM does not track this column for the user
	// (not_supported, on the root row).
	DateNotSupported = "not_supported"
	// DateUnknown: a value that is neither a date nor a known marker; Raw
	// keeps it.
	DateUnknown = "unknown"
)

// Values of the credential report's password_enabled column.
const (
	PasswordEnabled      = "true"
	PasswordDisabled     = "false"
	PasswordNotSupported = "not_supported"
)

// CredentialDate is one date column of the credential report.
type CredentialDate struct {
	State string `json:"state"`
	// Raw is the column as it appears in the report.
	Raw  string     `json:"raw"`
	Time *time.Time `json:"time,omitempty"`
}

// AccessKeyState is one of the two access-key slots of a report row.
type AccessKeyState struct {
	Slot            int            `json:"slot"`
	Active          bool           `json:"active"`
	LastRotated     CredentialDate `json:"last_rotated"`
	LastUsed        CredentialDate `json:"last_used"`
	LastUsedRegion  string         `json:"last_used_region,omitempty"`
	LastUsedService string         `json:"last_used_service,omitempty"`
}

// Exists reports whether the slot holds a key, active or not.
func (k AccessKeyState) Exists() bool {
	return k.Active || k.LastRotated.State == DateSet
}

// CertificateState is one of the two signing-certificate slots.
type CertificateState struct {
	Slot        int            `json:"slot"`
	Active      bool           `json:"active"`
	LastRotated CredentialDate `json:"last_rotated"`
}

// CredentialReportRow is one row of the credential report, read by column
// name. Special values are kept apart from dates: see CredentialDate.
type CredentialReportRow struct {
	User         string         `json:"user"`
	ARN          string         `json:"arn"`
	UserCreation CredentialDate `json:"user_creation_time"`
	// PasswordEnabled is "true", "false" or "not_supported" (the root row)
	// exactly as in the report.
	PasswordEnabled      string             `json:"password_enabled"`
	PasswordLastUsed     CredentialDate     `json:"password_last_used"`
	PasswordLastChanged  CredentialDate     `json:"password_last_changed"`
	PasswordNextRotation CredentialDate     `json:"password_next_rotation"`
	MFAActive            bool               `json:"mfa_active"`
	AccessKeys           []AccessKeyState   `json:"access_keys"`
	Certificates         []CertificateState `json:"certificates"`
}

// HasConsolePassword reports whether the user can sign in to the console.
func (r CredentialReportRow) HasConsolePassword() bool { return r.PasswordEnabled == PasswordEnabled }

// IAMCredentialReport are the attributes of a KindIAMCredentialReport item.
type IAMCredentialReport struct {
	GeneratedTime *time.Time `json:"generated_time,omitempty"`
	// UserRows counts the rows other than the root row.
	UserRows   int  `json:"user_rows"`
	HasRootRow bool `json:"has_root_row"`
	// ListUsersChecked is true when ListUsers was read completely.
	ListUsersChecked bool `json:"list_users_checked"`
	ListUsersCount   int  `json:"list_users_count"`
	// NotInReport are users ListUsers returned that the report lacks;
	// NotInListUsers the reverse. Both are empty when the two agree.
	NotInReport    []string `json:"not_in_report"`
	NotInListUsers []string `json:"not_in_list_users"`
}

// Consistent reports whether ListUsers and the report name the same users.
func (r IAMCredentialReport) Consistent() bool {
	return r.ListUsersChecked && len(r.NotInReport) == 0 && len(r.NotInListUsers) == 0
}

// IAMUser are the attributes of a KindIAMUser item.
type IAMUser struct {
	CredentialReportRow
	ReportGeneratedTime *time.Time `json:"report_generated_time,omitempty"`
	// MFADevices are the serial numbers ListMFADevices returned, read for
	// users with a console password only.
	MFADevices []string `json:"mfa_devices,omitempty"`
}

// IAMRoot are the attributes of a KindIAMRoot item.
type IAMRoot struct {
	// Row is nil when the report was read but has no root row.
	Row                 *CredentialReportRow `json:"row,omitempty"`
	ReportRead          bool                 `json:"report_read"`
	ReportGeneratedTime *time.Time           `json:"report_generated_time,omitempty"`
	// AccountMFAEnabled and AccountAccessKeysPresent come from
	// GetAccountSummary; nil when it was not called.
	AccountMFAEnabled        *int32 `json:"account_mfa_enabled,omitempty"`
	AccountAccessKeysPresent *int32 `json:"account_access_keys_present,omitempty"`
}

// IAMPasswordPolicy are the attributes of a KindIAMPasswordPolicy item.
type IAMPasswordPolicy struct {
	// Custom is false when the account has no custom policy (NoSuchEntity)
	// and the AWS default applies.
	Custom                     bool   `json:"custom"`
	Note                       string `json:"note,omitempty"`
	MinimumPasswordLength      *int32 `json:"minimum_password_length,omitempty"`
	PasswordReusePrevention    *int32 `json:"password_reuse_prevention,omitempty"`
	RequireUppercaseCharacters bool   `json:"require_uppercase_characters"`
	RequireLowercaseCharacters bool   `json:"require_lowercase_characters"`
	RequireNumbers             bool   `json:"require_numbers"`
	RequireSymbols             bool   `json:"require_symbols"`
	MaxPasswordAge             *int32 `json:"max_password_age,omitempty"`
	ExpirePasswords            bool   `json:"expire_passwords"`
	HardExpiry                 *bool  `json:"hard_expiry,omitempty"`
	AllowUsersToChangePassword bool   `json:"allow_users_to_change_password"`
}

// NoCustomPasswordPolicy is the evidence note for an account without a
// custom password policy.
const NoCustomPasswordPolicy = "no custom password policy set; AWS default in effect"

// IAMFactory builds one IAM collector per AWS target.
var IAMFactory = collectors.Factory{
	ID:          "aws.iam",
	Description: "IAM: credential report, users and MFA devices, root user, account password policy",
	Kinds:       []string{KindIAMCredentialReport, KindIAMUser, KindIAMRoot, KindIAMPasswordPolicy},
	Build: func(env *collectors.Env) ([]collectors.Collector, error) {
		return collectorPerTarget(env, func(s *Session, t *Target) collectors.Collector {
			return &IAMCollector{session: s, target: t, clock: realClock{}}
		}), nil
	},
}

// IAMCollector collects the IAM evidence of one account.
type IAMCollector struct {
	session *Session
	target  *Target
	clock   pollClock
}

var _ collectors.Collector = (*IAMCollector)(nil)

// ID returns "aws.iam".
func (c *IAMCollector) ID() string { return "aws.iam" }

// Scope returns the account scope.
func (c *IAMCollector) Scope() string { return c.target.Scope() }

// Kinds lists the kinds the collector produces.
func (c *IAMCollector) Kinds() []string {
	return []string{KindIAMCredentialReport, KindIAMUser, KindIAMRoot, KindIAMPasswordPolicy}
}

// pollClock lets tests replace waiting while the credential report is
// generated.
type pollClock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Waits between credential-report polls: doubling from the first to the
// maximum, all within aws.credential_report_timeout.
const (
	credentialReportFirstWait = time.Second
	credentialReportMaxWait   = 15 * time.Second
)

var (
	userChecks = []string{"aws.iam.console_mfa", "aws.iam.access_key_rotation", "aws.iam.unused_credentials"}
	rootChecks = []string{"aws.iam.root_mfa", "aws.iam.root_access_keys", "aws.iam.root_usage"}
)

// iamWants lists which IAM evidence the selected checks need.
type iamWants struct {
	users, report, summary, root, policy, mfa bool
}

func iamWantsOf(req collectors.Request) iamWants {
	w := iamWants{
		users:   selectedCheck(req, userChecks...),
		summary: selectedCheck(req, "aws.iam.root_mfa", "aws.iam.root_access_keys"),
		root:    selectedCheck(req, rootChecks...),
		policy:  selectedCheck(req, "aws.iam.password_policy"),
		mfa:     selectedCheck(req, "aws.iam.console_mfa"),
	}
	w.report = w.users || selectedCheck(req, "aws.iam.root_access_keys", "aws.iam.root_usage")
	return w
}

// Collect reads the credential report (generating it when needed), the
// user list, MFA devices of console users, the account summary and the
// password policy, as far as the selected checks need them.
func (c *IAMCollector) Collect(ctx context.Context, req collectors.Request, sink evidence.Sink) error {
	want := iamWantsOf(req)
	if !want.report && !want.summary && !want.policy {
		return nil
	}
	acct, err := c.target.Account(ctx)
	if err != nil {
		return err
	}
	home := c.session.Config().HomeRegion
	client := iam.NewFromConfig(acct.Config(home), func(o *iam.Options) {
		if e := acct.Endpoint("iam"); e != "" {
			o.BaseEndpoint = aws.String(e)
		}
	})

	if want.policy {
		sink.Add(c.collectPasswordPolicy(ctx, acct, client))
	}
	root := evidence.MustItem(KindIAMRoot, c.ID(), acct.Scope(), IAMRoot{})
	var rootAttrs IAMRoot
	if want.summary {
		c.collectSummary(ctx, acct, client, root, &rootAttrs)
	}
	if want.report {
		c.collectFromReport(ctx, acct, client, want, root, &rootAttrs, sink)
	}
	if want.root {
		_ = root.SetAttributes(rootAttrs)
		sink.Add(root)
	}
	return ctx.Err()
}

// collectFromReport reads the credential report and fills the root row into
// rootAttrs, then adds the report item and, when user checks are selected,
// one item per user. A report that cannot be read becomes an error of the
// root item and a failure of the user kind, never an empty user list.
func (c *IAMCollector) collectFromReport(ctx context.Context, acct *Account, client *iam.Client, want iamWants, root *evidence.Item, rootAttrs *IAMRoot, sink evidence.Sink) {
	// The report item starts without attributes, so a report that could not
	// be read never shows as a report with 0 users.
	report := evidence.MustItem(KindIAMCredentialReport, c.ID(), acct.Scope(), struct{}{})
	rows, generated, provs, cerr := c.credentialReport(ctx, acct, client, report)
	report.Provenance = append(report.Provenance, provs...)
	root.Provenance = append(root.Provenance, provs...)
	if cerr != nil {
		report.AddError(IAMGroupCredentialReport, *cerr)
		root.AddError(IAMGroupCredentialReport, *cerr)
		sink.Add(report)
		// Without the report no user can be judged, so the user checks
		// become errors on the account instead of reading as "0 users".
		if want.users {
			sink.Fail(evidence.Failure{
				Collector: c.ID(),
				Scope:     acct.Scope(),
				Kinds:     []string{KindIAMUser},
				Error:     *cerr,
				Time:      time.Now().UTC(),
			})
		}
		return
	}

	reportAttrs := IAMCredentialReport{GeneratedTime: generated}
	var users []CredentialReportRow
	for _, r := range rows {
		if r.User == RootUserName {
			row := r
			rootAttrs.Row = &row
			reportAttrs.HasRootRow = true
			continue
		}
		users = append(users, r)
	}
	reportAttrs.UserRows = len(users)
	rootAttrs.ReportRead = true
	rootAttrs.ReportGeneratedTime = generated
	if !want.users {
		_ = report.SetAttributes(reportAttrs)
		sink.Add(report)
		return
	}

	listed, listProvs, lerr := c.listUsers(ctx, acct, client)
	report.Provenance = append(report.Provenance, listProvs...)
	if lerr != nil {
		report.AddError(IAMGroupListUsers, *lerr)
	} else {
		reportAttrs.ListUsersChecked = true
		reportAttrs.ListUsersCount = len(listed)
		reportAttrs.NotInReport, reportAttrs.NotInListUsers = compareUserNames(listed, users)
		report.AddRaw("iam:ListUsers", map[string]any{"user_names": listed})
	}
	_ = report.SetAttributes(reportAttrs)
	sink.Add(report)

	c.collectUsers(ctx, acct, client, users, generated, provs, want.mfa, sink)
}

func (c *IAMCollector) collectSummary(ctx context.Context, acct *Account, client *iam.Client, root *evidence.Item, attrs *IAMRoot) {
	home := c.session.Config().HomeRegion
	prov, cerr := acct.Call(ctx, home, "iam:GetAccountSummary", nil, func(ctx context.Context) error {
		out, err := client.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
		if err != nil {
			return err
		}
		root.AddRaw("iam:GetAccountSummary", out.SummaryMap)
		if v, ok := out.SummaryMap["AccountMFAEnabled"]; ok {
			attrs.AccountMFAEnabled = aws.Int32(v)
		}
		if v, ok := out.SummaryMap["AccountAccessKeysPresent"]; ok {
			attrs.AccountAccessKeysPresent = aws.Int32(v)
		}
		return nil
	})
	root.Provenance = append(root.Provenance, prov)
	if cerr != nil {
		root.AddError(IAMGroupAccountSummary, *cerr)
	}
}

// Credential-report error codes that mean "not ready yet".
const (
	codeReportNotPresent = "ReportNotPresent"
	codeReportExpired    = "ReportExpired"
	codeReportInProgress = "ReportInProgress"
)

// credentialReport fetches the credential report. When none is usable, it
// requests a new one from IAM and polls with a doubling wait until the
// report is ready or aws.credential_report_timeout has passed. The error
// then carries the last error code.
func (c *IAMCollector) credentialReport(ctx context.Context, acct *Account, client *iam.Client, item *evidence.Item) ([]CredentialReportRow, *time.Time, []evidence.Provenance, *evidence.CollectError) {
	home := c.session.Config().HomeRegion
	timeout := c.session.Config().CredentialReportTimeout
	deadline := c.clock.Now().Add(timeout)
	var provs []evidence.Provenance

	get := func() (*iam.GetCredentialReportOutput, *evidence.CollectError) {
		var out *iam.GetCredentialReportOutput
		prov, cerr := acct.Call(ctx, home, "iam:GetCredentialReport", nil, func(ctx context.Context) error {
			var err error
			out, err = client.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
			return err
		})
		provs = append(provs, prov)
		return out, cerr
	}
	notReady := func(cerr *evidence.CollectError) bool {
		switch cerr.Code {
		case codeReportNotPresent, codeReportExpired, codeReportInProgress:
			return true
		}
		return false
	}

	out, cerr := get()
	wait := credentialReportFirstWait
	polls := 0
	var state iamtypes.ReportStateType
	for cerr != nil {
		if !notReady(cerr) {
			return nil, nil, provs, cerr
		}
		// Every generation request after the first waits, whatever the
		// last state was, so a report that stays unreadable after COMPLETE
		// cannot make the loop spin.
		if polls > 0 {
			if c.clock.Now().Add(wait).After(deadline) {
				last := *cerr
				last.Message = fmt.Sprintf("credential report not ready within %s after %d generation requests (last state %s): %s", timeout, polls, state, cerr.Message)
				return nil, nil, provs, &last
			}
			if err := c.clock.Sleep(ctx, wait); err != nil {
				return nil, nil, provs, &evidence.CollectError{Operation: "iam:GetCredentialReport", Code: "canceled", Message: err.Error()}
			}
			wait = min(wait*2, credentialReportMaxWait)
		}
		prov, gerr := acct.Call(ctx, home, "iam:GenerateCredentialReport", nil, func(ctx context.Context) error {
			g, err := client.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
			if err == nil {
				state = g.State
			}
			return err
		})
		provs = append(provs, prov)
		if gerr != nil {
			return nil, nil, provs, gerr
		}
		polls++
		out, cerr = get()
	}

	item.AddRaw("iam:GetCredentialReport", map[string]any{
		"GeneratedTime": out.GeneratedTime,
		"ReportFormat":  out.ReportFormat,
		"Content":       string(out.Content),
	})
	rows, err := ParseCredentialReport(out.Content)
	if err != nil {
		return nil, nil, provs, &evidence.CollectError{Operation: "iam:GetCredentialReport", Code: "invalid_report", Message: err.Error()}
	}
	var generated *time.Time
	if out.GeneratedTime != nil {
		g := out.GeneratedTime.UTC()
		generated = &g
	}
	return rows, generated, provs, nil
}

func (c *IAMCollector) listUsers(ctx context.Context, acct *Account, client *iam.Client) ([]string, []evidence.Provenance, *evidence.CollectError) {
	home := c.session.Config().HomeRegion
	pager := iam.NewListUsersPaginator(client, &iam.ListUsersInput{})
	var names []string
	var provs []evidence.Provenance
	for page := 1; pager.HasMorePages(); page++ {
		prov, cerr := acct.Call(ctx, home, "iam:ListUsers", map[string]any{"page": page}, func(ctx context.Context) error {
			out, err := pager.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, u := range out.Users {
				names = append(names, aws.ToString(u.UserName))
			}
			return nil
		})
		provs = append(provs, prov)
		if cerr != nil {
			return nil, provs, cerr
		}
	}
	sort.Strings(names)
	return names, provs, nil
}

// compareUserNames returns the listed users missing from the report rows and
// the report users missing from the list, each sorted.
func compareUserNames(listed []string, rows []CredentialReportRow) (notInReport, notInList []string) {
	inReport := map[string]bool{}
	for _, r := range rows {
		inReport[r.User] = true
	}
	inList := map[string]bool{}
	for _, n := range listed {
		inList[n] = true
		if !inReport[n] {
			notInReport = append(notInReport, n)
		}
	}
	for _, r := range rows {
		if !inList[r.User] {
			notInList = append(notInList, r.User)
		}
	}
	sort.Strings(notInReport)
	sort.Strings(notInList)
	return notInReport, notInList
}

// collectUsers adds one item per report user, with the MFA devices of users
// who have a console password.
func (c *IAMCollector) collectUsers(ctx context.Context, acct *Account, client *iam.Client, users []CredentialReportRow, generated *time.Time, reportProvs []evidence.Provenance, wantMFA bool, sink evidence.Sink) {
	home := c.session.Config().HomeRegion
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.session.Concurrency())
	for _, row := range users {
		g.Go(func() error {
			attrs := IAMUser{CredentialReportRow: row, ReportGeneratedTime: generated}
			resource := row.ARN
			if resource == "" {
				resource = acct.ARN("iam", "", "user/"+row.User)
			}
			item := evidence.MustItem(KindIAMUser, c.ID(), resource, attrs)
			item.Provenance = append(item.Provenance, reportProvs[len(reportProvs)-1])
			item.AddRaw("iam:GetCredentialReport", row)
			if wantMFA && row.HasConsolePassword() {
				pager := iam.NewListMFADevicesPaginator(client, &iam.ListMFADevicesInput{UserName: aws.String(row.User)})
				for pager.HasMorePages() {
					prov, cerr := acct.Call(gctx, home, "iam:ListMFADevices", map[string]any{"UserName": row.User}, func(ctx context.Context) error {
						out, err := pager.NextPage(ctx)
						if err != nil {
							return err
						}
						for _, d := range out.MFADevices {
							attrs.MFADevices = append(attrs.MFADevices, aws.ToString(d.SerialNumber))
						}
						return nil
					})
					item.Provenance = append(item.Provenance, prov)
					if cerr != nil {
						item.AddError(IAMGroupMFADevices, *cerr)
						break
					}
				}
				sort.Strings(attrs.MFADevices)
			}
			_ = item.SetAttributes(attrs)
			sink.Add(item)
			return nil
		})
	}
	_ = g.Wait()
}

func (c *IAMCollector) collectPasswordPolicy(ctx context.Context, acct *Account, client *iam.Client) *evidence.Item {
	home := c.session.Config().HomeRegion
	item := evidence.MustItem(KindIAMPasswordPolicy, c.ID(), acct.Scope(), IAMPasswordPolicy{})
	var attrs IAMPasswordPolicy
	prov, cerr := acct.Call(ctx, home, "iam:GetAccountPasswordPolicy", nil, func(ctx context.Context) error {
		out, err := client.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
		var nse *iamtypes.NoSuchEntityException
		if errors.As(err, &nse) {
			attrs.Note = NoCustomPasswordPolicy
			item.AddRaw("iam:GetAccountPasswordPolicy", map[string]string{"error_code": nse.ErrorCode(), "note": NoCustomPasswordPolicy})
			return nil
		}
		if err != nil {
			return err
		}
		item.AddRaw("iam:GetAccountPasswordPolicy", out.PasswordPolicy)
		if p := out.PasswordPolicy; p != nil {
			attrs = IAMPasswordPolicy{
				Custom:                     true,
				MinimumPasswordLength:      p.MinimumPasswordLength,
				PasswordReusePrevention:    p.PasswordReusePrevention,
				RequireUppercaseCharacters: p.RequireUppercaseCharacters,
				RequireLowercaseCharacters: p.RequireLowercaseCharacters,
				RequireNumbers:             p.RequireNumbers,
				RequireSymbols:             p.RequireSymbols,
				MaxPasswordAge:             p.MaxPasswordAge,
				ExpirePasswords:            p.ExpirePasswords,
				HardExpiry:                 p.HardExpiry,
				AllowUsersToChangePassword: p.AllowUsersToChangePassword,
			}
		}
		return nil
	})
	item.Provenance = append(item.Provenance, prov)
	if cerr != nil {
		item.AddError(IAMGroupPasswordPolicy, *cerr)
	}
	_ = item.SetAttributes(attrs)
	return item
}

// ParseCredentialReport reads the credential report CSV by column name, so a
// column IAM adds later does not shift the others. The root row's
// not_supported values and the N/A and no_information markers are kept as
// distinct states, never as dates or false.
func ParseCredentialReport(content []byte) ([]CredentialReportRow, error) {
	r := csv.NewReader(bytes.NewReader(content))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err == io.EOF {
		return nil, errors.New("credential report is empty: it has no header row")
	}
	if err != nil {
		return nil, fmt.Errorf("read credential report header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(h)] = i
	}
	for _, required := range []string{"user", "arn", "password_enabled", "mfa_active", "access_key_1_active", "access_key_2_active"} {
		if _, ok := col[required]; !ok {
			return nil, fmt.Errorf("credential report has no %s column", required)
		}
	}
	var rows []CredentialReportRow
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("credential report line %d: %w", line, err)
		}
		get := func(name string) string {
			i, ok := col[name]
			if !ok || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		row := CredentialReportRow{
			User:                 get("user"),
			ARN:                  get("arn"),
			UserCreation:         parseCredentialDate(get("user_creation_time"), DateNoCredential),
			PasswordEnabled:      get("password_enabled"),
			PasswordLastUsed:     parseCredentialDate(get("password_last_used"), DateNoCredential),
			PasswordLastChanged:  parseCredentialDate(get("password_last_changed"), DateNoCredential),
			PasswordNextRotation: parseCredentialDate(get("password_next_rotation"), DateNoCredential),
			MFAActive:            get("mfa_active") == "true",
		}
		for slot := 1; slot <= 2; slot++ {
			p := fmt.Sprintf("access_key_%d_", slot)
			key := AccessKeyState{
				Slot:            slot,
				Active:          get(p+"active") == "true",
				LastRotated:     parseCredentialDate(get(p+"last_rotated"), DateNoCredential),
				LastUsedRegion:  get(p + "last_used_region"),
				LastUsedService: get(p + "last_used_service"),
			}
			// For keys, N/A in last_used_date means "never used" when the
			// slot holds a key and "no key" otherwise.
			na := DateNoCredential
			if key.Exists() {
				na = DateNeverUsed
			}
			key.LastUsed = parseCredentialDate(get(p+"last_used_date"), na)
			row.AccessKeys = append(row.AccessKeys, key)

			cp := fmt.Sprintf("cert_%d_", slot)
			row.Certificates = append(row.Certificates, CertificateState{
				Slot:        slot,
				Active:      get(cp+"active") == "true",
				LastRotated: parseCredentialDate(get(cp+"last_rotated"), DateNoCredential),
			})
		}
		if row.User == "" {
			return nil, fmt.Errorf("credential report line %d has no user name", line)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// parseCredentialDate reads one date column; naState is what N/A means for
// that column.
func parseCredentialDate(raw, naState string) CredentialDate {
	d := CredentialDate{Raw: raw}
	switch raw {
	case "N/A", "":
		d.State = naState
	case "no_information":
		d.State = DateNeverUsed
	case "not_supported":
		d.State = DateNotSupported
	default:
		t, err := time.Parse(time.RFC3339, raw)
		if err != nil {
			d.State = DateUnknown
			return d
		}
		t = t.UTC()
		d.State, d.Time = DateSet, &t
	}
	return d
}
