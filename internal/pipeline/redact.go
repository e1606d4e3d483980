package pipeline

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/auditpack/auditpack/evidence"
)

// Redactor replaces personal data in evidence by keyed hashes, so one
// person maps to one token in every file and report while the bundle still
// verifies (the manifest is computed over the redacted files).
type Redactor struct {
	key    []byte
	emails bool
	ips    bool
}

var (
	emailRe = regexp.MustCompile(`[\p{L}\p{N}._%+\-]+@[\p{L}\p{N}.\-]+\.[\p{L}]{2,}`)
	ipv4Re  = regexp.MustCompile(`\b(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\b`)
	ipv6Re  = regexp.MustCompile(`\b(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}\b|\b(?:[0-9a-fA-F]{1,4}:){1,6}:(?:[0-9a-fA-F]{1,4}:?){0,6}[0-9a-fA-F]{1,4}\b`)
)

// NewRedactor returns a redactor for the kinds ("emails", "ip_addresses"),
// or nil when kinds is empty.
func NewRedactor(kinds []string, key []byte) *Redactor {
	if len(kinds) == 0 {
		return nil
	}
	r := &Redactor{key: key}
	for _, k := range kinds {
		switch k {
		case "emails":
			r.emails = true
		case "ip_addresses":
			r.ips = true
		}
	}
	return r
}

// token is the keyed hash that stands for a value: the same value (e-mail
// addresses compared case-insensitively) always gives the same token.
func (r *Redactor) token(kind, value string) string {
	mac := hmac.New(sha256.New, r.key)
	mac.Write([]byte(kind + ":" + value))
	return "redacted-" + kind + "-" + hex.EncodeToString(mac.Sum(nil))[:16]
}

// Text redacts one string.
func (r *Redactor) Text(s string) string {
	if r == nil {
		return s
	}
	if r.emails {
		s = emailRe.ReplaceAllStringFunc(s, func(m string) string { return r.token("email", strings.ToLower(m)) })
	}
	if r.ips {
		s = ipv4Re.ReplaceAllStringFunc(s, func(m string) string { return r.token("ip", m) })
		s = ipv6Re.ReplaceAllStringFunc(s, func(m string) string {
			if !strings.Contains(m, ":") || strings.Count(m, ":") < 2 {
				return m
			}
			return r.token("ip", strings.ToLower(m))
		})
	}
	return s
}

// Set redacts every item, failure and note of the set in place. Item ids
// are derived again from the redacted resource, so no id hashes a raw
// address.
func (r *Redactor) Set(s *evidence.Set) error {
	if r == nil {
		return nil
	}
	for i, it := range s.Items {
		data, err := json.Marshal(it)
		if err != nil {
			return err
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var doc any
		if err := dec.Decode(&doc); err != nil {
			return err
		}
		data, err = json.Marshal(r.value(doc))
		if err != nil {
			return err
		}
		var out evidence.Item
		if err := json.Unmarshal(data, &out); err != nil {
			return err
		}
		out.ID = evidence.StableID(out.Kind, out.Resource)
		s.Items[i] = &out
	}
	for i := range s.Failures {
		f := &s.Failures[i]
		f.Scope = r.Text(f.Scope)
		f.Error.Message = r.Text(f.Error.Message)
	}
	for i := range s.Notes {
		n := &s.Notes[i]
		n.Scope = r.Text(n.Scope)
		n.Message = r.Text(n.Message)
	}
	s.Sort()
	return nil
}

// value redacts every string and object key of a decoded JSON value.
func (r *Redactor) value(v any) any {
	switch x := v.(type) {
	case string:
		return r.Text(x)
	case []any:
		for i := range x {
			x[i] = r.value(x[i])
		}
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			out[r.Text(k)] = r.value(val)
		}
		return out
	}
	return v
}
