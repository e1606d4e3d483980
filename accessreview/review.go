// Package accessreview builds the access-review workbook from collected
// evidence, reads the reviewers' decisions back from it, and keeps both in
// the output folder as evidence for later runs of the period.
//
// The workbook has one sheet per system: each AWS account's IAM users and
// roles, each PostgreSQL server's login roles and each application's users.
// Every row ends with the decision columns Decision, Reviewer, Date and
// Comment. A very hidden sheet carries the export id, the period and the
// SHA-256 of each row's data cells. The export record in the output folder
// keeps the same hashes, so an import can distinguish changed data from
// decisions.
package accessreview

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/auditpack/auditpack/internal/period"
)

// Evidence kinds of the access review.
const (
	// KindExport is the record of one export: its meta data and every row
	// with the SHA-256 of its data cells.
	KindExport = "accessreview.export"
	// KindDecisions is one imported workbook's decisions.
	KindDecisions = "accessreview.decisions"
)

// Decision values of the Decision column's drop-down.
const (
	DecisionKeep   = "Keep"
	DecisionRevoke = "Revoke"
	DecisionModify = "Modify"
)

// DecisionValues lists the allowed decisions in drop-down order.
var DecisionValues = []string{DecisionKeep, DecisionRevoke, DecisionModify}

// Headers of the decision columns, after the data columns of every sheet.
var decisionHeaders = []string{"Decision", "Reviewer", "Date", "Comment"}

// Row types.
const (
	TypeIAMUser      = "iam_user"
	TypeIAMRole      = "iam_role"
	TypePostgresRole = "postgres_role"
	TypeAppUser      = "app_user"
)

// Meta identifies one export.
type Meta struct {
	// ExportID is unique per export; the import rejects a workbook whose id
	// differs from the export record it is checked against.
	ExportID     string        `json:"export_id"`
	Organization string        `json:"organization,omitempty"`
	Period       period.Period `json:"period"`
	// Created is when the export ran, in UTC.
	Created time.Time `json:"created"`
	// Exporter is the operator who ran the export.
	Exporter string `json:"exporter,omitempty"`
}

// Review is the content of an export: the meta data and one sheet per
// system. It is stored as the export record and read back as evidence of
// kind KindExport.
type Review struct {
	Meta
	Sheets []Sheet `json:"sheets"`
	// ScopeExclude are the scope.exclude patterns the export applied, and
	// Excluded the accounts they took out of the review.
	ScopeExclude []string `json:"scope_exclude,omitempty"`
	Excluded     []string `json:"excluded,omitempty"`
}

// Exclude takes the accounts that match one of the patterns out of the
// review, records the patterns and the accounts, and renumbers the rows.
// match is the scope matcher of the configuration (controls.MatchResource).
func (r *Review) Exclude(patterns []string, match func(pattern, resource string) bool) {
	if len(patterns) == 0 {
		return
	}
	r.ScopeExclude = append([]string(nil), patterns...)
	for i := range r.Sheets {
		s := &r.Sheets[i]
		kept := s.Rows[:0]
		for _, row := range s.Rows {
			if MatchesAny(patterns, row.Account, match) {
				r.Excluded = append(r.Excluded, row.Account)
				continue
			}
			row.Row = firstDataRow + len(kept)
			kept = append(kept, row)
		}
		s.Rows = kept
	}
}

// MatchesAny reports whether the resource matches one of the patterns.
func MatchesAny(patterns []string, resource string, match func(pattern, resource string) bool) bool {
	for _, p := range patterns {
		if match(p, resource) {
			return true
		}
	}
	return false
}

// Sheet is one system's accounts.
type Sheet struct {
	// Name is the worksheet name, unique and at most 31 characters.
	Name string `json:"name"`
	// System is the resource id of the system: aws:ACCOUNT_ID for an AWS
	// account, postgres://HOST:PORT/DB for a server's roles, and the users
	// table's resource id for an application.
	System string `json:"system"`
	// Title describes the system in the sheet's first row.
	Title string `json:"title"`
	// Columns are the headers of the data columns.
	Columns []string `json:"columns"`
	Rows    []Row    `json:"rows"`
}

// Row is one account of a sheet.
type Row struct {
	// Row is the worksheet row number, counting from 1.
	Row  int    `json:"row"`
	Type string `json:"type"`
	// Account is the resource id of the account: an ARN,
	// postgres://HOST:PORT/DB/roles/NAME or postgres://HOST:PORT/DB/users/EMAIL.
	Account string `json:"account"`
	Name    string `json:"name"`
	// Email is the normalised e-mail address of the person the account
	// belongs to, when the account name is one.
	Email string `json:"email,omitempty"`
	// Active is true when the account can still sign in or be used. That is
	// an IAM user with a console password or an active access key, or whose
	// credentials are unknown; any role; a PostgreSQL login role that has
	// not expired; and an application user in an active status.
	Active bool `json:"active"`
	// Observed is when Active was last read from the system, when that is
	// earlier than the collection: the credential report's generation time
	// for IAM users.
	Observed *time.Time `json:"observed,omitempty"`
	// Created is when the account was created, when the system records it.
	Created *time.Time `json:"created,omitempty"`
	Cells   []string   `json:"cells"`
	// SHA256 covers the sheet name and the data cells.
	SHA256 string `json:"sha256"`
}

// firstDataRow is the worksheet row of a sheet's first account: row 1 holds
// the title and row 2 the headers.
const firstDataRow = 3

// RowHash returns the hex SHA-256 of a sheet name and data cells, each
// followed by a unit separator so that cells cannot run into each other.
func RowHash(sheet string, cells []string) string {
	h := sha256.New()
	h.Write([]byte(sheet))
	h.Write([]byte{0x1f})
	for _, c := range cells {
		h.Write([]byte(c))
		h.Write([]byte{0x1f})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// NewExportID returns an id that sorts by creation time: "ar-", the UTC time
// as 20261204T120000Z and six random hex digits.
func NewExportID(now time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return "ar-" + now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// RowCount returns the number of accounts over all sheets.
func (r *Review) RowCount() int {
	n := 0
	for _, s := range r.Sheets {
		n += len(s.Rows)
	}
	return n
}

// SheetOf returns the sheet of a system, or nil.
func (r *Review) SheetOf(system string) *Sheet {
	for i := range r.Sheets {
		if r.Sheets[i].System == system {
			return &r.Sheets[i]
		}
	}
	return nil
}

// sheetName makes a valid, unique worksheet name: at most 31 characters,
// none of : \ / ? * [ ], and not the hidden sheet's name.
func sheetName(base string, used map[string]bool) string {
	clean := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) {
			return '_'
		}
		return r
	}, base)
	clean = strings.Trim(clean, "'")
	name := truncateRunes(clean, 31)
	for n := 2; used[strings.ToLower(name)] || strings.EqualFold(name, metaSheet); n++ {
		suffix := " (" + strconv.Itoa(n) + ")"
		name = truncateRunes(clean, 31-len(suffix)) + suffix
	}
	used[strings.ToLower(name)] = true
	return name
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
