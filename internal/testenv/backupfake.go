package testenv

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// BackupJob is one row that the fake's ListBackupJobs returns.
type BackupJob struct {
	ID           string
	AccountID    string
	ResourceARN  string
	ResourceType string
	ResourceName string
	// Region, when set, limits the job to requests signed for that region;
	// an empty Region serves the job to every region.
	Region          string
	State           string
	MessageCategory string
	StatusMessage   string
	BackupVaultName string
	IsParent        bool
	ParentJobID     string
	CreationDate    time.Time
	// CompletionDate is left out of the response when zero.
	CompletionDate time.Time
}

// BackupFake is a fake of the AWS Backup ListBackupJobs API, which
// moto_server does not serve. It speaks the REST-JSON wire format that
// aws-sdk-go-v2's backup client sends and parses: GET /backup-jobs/ with the
// query parameters createdAfter, createdBefore, nextToken and maxResults,
// returning {"BackupJobs":[...],"NextToken":...} and timestamps in epoch
// seconds. It serves nothing else and checks no signature.
type BackupFake struct {
	// URL is the base endpoint, such as http://127.0.0.1:40123.
	URL    string
	server *httptest.Server

	mu       sync.Mutex
	jobs     []BackupJob
	pageSize int
	requests []BackupRequest
	failure  *backupFailure
}

// BackupRequest is one request the fake received.
type BackupRequest struct {
	Method string
	Path   string
	Query  url.Values
	// Region is the region of the request's SigV4 credential scope.
	Region string
}

type backupFailure struct {
	status        int
	code, message string
}

// StartBackupFake starts the fake on a free port of 127.0.0.1, serving jobs
// newest first in pages of 100 (see SetPageSize). Call Close when done.
func StartBackupFake(jobs []BackupJob) (*BackupFake, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the AWS Backup fake: %w", err)
	}
	f := &BackupFake{jobs: append([]BackupJob(nil), jobs...), pageSize: 100}
	f.server = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	f.server.Listener.Close()
	f.server.Listener = l
	f.server.Start()
	f.URL = f.server.URL
	return f, nil
}

// Close stops the fake.
func (f *BackupFake) Close() { f.server.Close() }

// SetPageSize sets the maximum number of jobs per page. A smaller
// maxResults in the request takes precedence.
func (f *BackupFake) SetPageSize(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pageSize = n
}

// FailWith makes every later request fail with the HTTP status and AWS error
// code, as AWS Backup reports errors (X-Amzn-ErrorType header and a JSON
// body). An empty code clears the failure.
func (f *BackupFake) FailWith(status int, code, message string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if code == "" {
		f.failure = nil
		return
	}
	f.failure = &backupFailure{status: status, code: code, message: message}
}

// Requests returns the requests received so far, in order.
func (f *BackupFake) Requests() []BackupRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]BackupRequest(nil), f.requests...)
}

func (f *BackupFake) serve(w http.ResponseWriter, r *http.Request) {
	query := r.URL.Query()
	region := SigV4Region(r.Header.Get("Authorization"))
	f.mu.Lock()
	f.requests = append(f.requests, BackupRequest{Method: r.Method, Path: r.URL.Path, Query: query, Region: region})
	failure := f.failure
	pageSize := f.pageSize
	jobs := f.jobs
	f.mu.Unlock()

	if r.Method != http.MethodGet || strings.TrimSuffix(r.URL.Path, "/") != "/backup-jobs" {
		writeBackupError(w, http.StatusNotFound, "UnknownOperationException", "the AWS Backup fake serves only GET /backup-jobs/")
		return
	}
	if failure != nil {
		writeBackupError(w, failure.status, failure.code, failure.message)
		return
	}
	after, err := backupQueryTime(query.Get("createdAfter"))
	if err != nil {
		writeBackupError(w, http.StatusBadRequest, "InvalidParameterValueException", "createdAfter: "+err.Error())
		return
	}
	before, err := backupQueryTime(query.Get("createdBefore"))
	if err != nil {
		writeBackupError(w, http.StatusBadRequest, "InvalidParameterValueException", "createdBefore: "+err.Error())
		return
	}
	if n, err := strconv.Atoi(query.Get("maxResults")); err == nil && n > 0 && n < pageSize {
		pageSize = n
	}
	offset := 0
	if token := query.Get("nextToken"); token != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(token, "offset-"))
		if err != nil || !strings.HasPrefix(token, "offset-") || n < 0 {
			writeBackupError(w, http.StatusBadRequest, "InvalidParameterValueException", "invalid nextToken "+token)
			return
		}
		offset = n
	}

	var selected []BackupJob
	for _, j := range jobs {
		if j.Region != "" && region != "" && j.Region != region {
			continue
		}
		if !after.IsZero() && j.CreationDate.Before(after) {
			continue
		}
		if !before.IsZero() && !j.CreationDate.Before(before) {
			continue
		}
		selected = append(selected, j)
	}
	sort.SliceStable(selected, func(a, b int) bool {
		if !selected[a].CreationDate.Equal(selected[b].CreationDate) {
			return selected[a].CreationDate.After(selected[b].CreationDate)
		}
		return selected[a].ID < selected[b].ID
	})
	if offset > len(selected) {
		offset = len(selected)
	}
	end := min(offset+pageSize, len(selected))
	body := map[string]any{"BackupJobs": backupJobsJSON(selected[offset:end])}
	if end < len(selected) {
		body["NextToken"] = fmt.Sprintf("offset-%d", end)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(body)
}

func backupJobsJSON(jobs []BackupJob) []map[string]any {
	out := make([]map[string]any, 0, len(jobs))
	for _, j := range jobs {
		m := map[string]any{
			"BackupJobId":  j.ID,
			"ResourceArn":  j.ResourceARN,
			"ResourceType": j.ResourceType,
			"State":        j.State,
			"CreationDate": epochSeconds(j.CreationDate),
			"IsParent":     j.IsParent,
		}
		optional := map[string]string{
			"AccountId":       j.AccountID,
			"ResourceName":    j.ResourceName,
			"MessageCategory": j.MessageCategory,
			"StatusMessage":   j.StatusMessage,
			"BackupVaultName": j.BackupVaultName,
			"ParentJobId":     j.ParentJobID,
		}
		for k, v := range optional {
			if v != "" {
				m[k] = v
			}
		}
		if !j.CompletionDate.IsZero() {
			m["CompletionDate"] = epochSeconds(j.CompletionDate)
		}
		out = append(out, m)
	}
	return out
}

// epochSeconds is a timestamp as REST-JSON bodies carry it: seconds since
// the epoch, with a fraction for milliseconds.
func epochSeconds(t time.Time) json.Number {
	return json.Number(strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64))
}

// backupQueryTime parses a timestamp query parameter, which the SDK sends
// in ISO 8601; epoch seconds are accepted too.
func backupQueryTime(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return time.UnixMilli(int64(f * 1000)).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("invalid timestamp %q", v)
}

func writeBackupError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"Code": code, "Message": message})
}

// credentialScopeRegion reads the region of a SigV4 Authorization header
// (Credential=KEY/DATE/REGION/SERVICE/aws4_request).
func SigV4Region(auth string) string {
	_, rest, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return ""
	}
	scope, _, _ := strings.Cut(rest, ",")
	parts := strings.Split(scope, "/")
	if len(parts) < 3 {
		return ""
	}
	return parts[2]
}
