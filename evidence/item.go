// Package evidence defines evidence items, the on-disk evidence store and the
// bundle that carries them to an auditor.
package evidence

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Item is one piece of collected evidence: the raw answer of a system, the
// normalised attributes that checks read, and where both came from.
type Item struct {
	// ID is stable across runs for the same kind and resource.
	ID string `json:"id"`
	// Kind names the shape of Attributes, for example "aws.s3.bucket".
	Kind string `json:"kind"`
	// Collector is the id of the collector that produced the item.
	Collector string `json:"collector"`
	// Resource is the ARN or resource id the item describes.
	Resource string `json:"resource"`
	// Attributes are the normalised values checks evaluate.
	Attributes json.RawMessage `json:"attributes"`
	// Errors lists the parts of this resource that could not be read, keyed
	// by the attribute group they would have filled (for example
	// "encryption"). The other attributes of the item are still valid.
	Errors map[string]CollectError `json:"errors,omitempty"`
	// Raw holds the raw API responses or query rows, keyed by operation.
	Raw map[string]json.RawMessage `json:"raw,omitempty"`
	// Provenance lists every call or query that contributed to the item.
	Provenance []Provenance `json:"provenance"`
}

// Provenance records one API call or SQL query behind an evidence item.
type Provenance struct {
	// Operation is the API operation ("s3:GetBucketEncryption") or a short
	// name of the query ("postgres:auditlog_daily_counts").
	Operation string `json:"operation"`
	// SQL is the exact query text for database evidence.
	SQL string `json:"sql,omitempty"`
	// Parameters are the call's input parameters or the query's bind values.
	Parameters map[string]any `json:"parameters,omitempty"`
	// Endpoint is the service endpoint or database address, never with
	// credentials.
	Endpoint string `json:"endpoint,omitempty"`
	// Region is the AWS region the call was sent to.
	Region string `json:"region,omitempty"`
	// Account is the AWS account id.
	Account string `json:"account,omitempty"`
	// Identity is the AWS caller ARN or the database role.
	Identity string `json:"identity,omitempty"`
	// ServerVersion is the database server's version for SQL queries.
	ServerVersion string `json:"server_version,omitempty"`
	// Attempts is how many attempts the call took, retries included.
	Attempts int `json:"attempts,omitempty"`
	// Time is when the call completed, in UTC.
	Time time.Time `json:"time"`
}

// CollectError describes evidence that could not be collected.
type CollectError struct {
	// Operation is the API operation or query that failed.
	Operation string `json:"operation"`
	// Code is the service error code ("AccessDenied"), or a short class of
	// failure ("timeout", "panic", "not_found").
	Code string `json:"code,omitempty"`
	// Message is the error text with any secret removed.
	Message string `json:"message"`
	// Attempts is how many attempts were made before giving up.
	Attempts int `json:"attempts,omitempty"`
}

// String formats the error for a finding message.
func (e CollectError) String() string {
	var b strings.Builder
	b.WriteString(e.Operation)
	b.WriteString(" failed")
	if e.Code != "" {
		b.WriteString(" with ")
		b.WriteString(e.Code)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// Failure records that a collector could not produce some kinds of evidence
// for a whole scope, such as a region that refused every call or a database
// that could not be reached. Every check that reads one of Kinds turns it into
// an error finding on Scope.
type Failure struct {
	ID        string       `json:"id"`
	Collector string       `json:"collector"`
	Scope     string       `json:"scope"`
	Kinds     []string     `json:"kinds"`
	Error     CollectError `json:"error"`
	// Checks, when set, limits the failure to these check ids; otherwise it
	// applies to every check that reads one of Kinds.
	Checks []string  `json:"checks,omitempty"`
	Time   time.Time `json:"time"`
}

// Note records context that is neither a finding nor an error, such as a
// region that is not enabled and therefore out of scope.
type Note struct {
	ID        string    `json:"id"`
	Collector string    `json:"collector"`
	Scope     string    `json:"scope"`
	Message   string    `json:"message"`
	Time      time.Time `json:"time"`
}

// NewItem builds an item whose attributes are the JSON form of attrs. The id
// is derived from the kind and resource so that it is stable across runs.
func NewItem(kind, collector, resource string, attrs any) (*Item, error) {
	raw, err := json.Marshal(attrs)
	if err != nil {
		return nil, fmt.Errorf("encode attributes of %s %s: %w", kind, resource, err)
	}
	return &Item{
		ID:         StableID(kind, resource),
		Kind:       kind,
		Collector:  collector,
		Resource:   resource,
		Attributes: raw,
	}, nil
}

// MustItem is NewItem for attribute types that always encode.
func MustItem(kind, collector, resource string, attrs any) *Item {
	item, err := NewItem(kind, collector, resource, attrs)
	if err != nil {
		panic(err)
	}
	return item
}

// SetAttributes replaces the item's attributes with the JSON form of attrs.
func (it *Item) SetAttributes(attrs any) error {
	raw, err := json.Marshal(attrs)
	if err != nil {
		return fmt.Errorf("encode attributes of %s %s: %w", it.Kind, it.Resource, err)
	}
	it.Attributes = raw
	return nil
}

// Decode reads the item's attributes into v.
func (it *Item) Decode(v any) error {
	if err := json.Unmarshal(it.Attributes, v); err != nil {
		return fmt.Errorf("decode attributes of %s %s: %w", it.Kind, it.Resource, err)
	}
	return nil
}

// AddRaw stores a raw response under the operation name.
func (it *Item) AddRaw(operation string, v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		raw, _ = json.Marshal(map[string]string{"encode_error": err.Error()})
	}
	if it.Raw == nil {
		it.Raw = map[string]json.RawMessage{}
	}
	it.Raw[operation] = raw
}

// AddError records that the attribute group could not be read.
func (it *Item) AddError(group string, e CollectError) {
	if it.Errors == nil {
		it.Errors = map[string]CollectError{}
	}
	it.Errors[group] = e
}

// Sort orders provenance by time, then operation, so files are stable.
func (it *Item) Sort() {
	sort.SliceStable(it.Provenance, func(i, j int) bool {
		a, b := it.Provenance[i], it.Provenance[j]
		if !a.Time.Equal(b.Time) {
			return a.Time.Before(b.Time)
		}
		return a.Operation < b.Operation
	})
}

// StableID derives a short id from parts that identify an item.
func StableID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
