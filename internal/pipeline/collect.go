package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"time"

	"github.com/auditpack/auditpack/collectors"
	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/evidence"
)

// NewRunID returns an id that sorts by start time: the UTC start as
// 20261204T120000Z and six random hex digits.
func NewRunID(start time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return start.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// Collect runs every planned collector and returns the evidence and the run
// state. It fails when ctx is cancelled or redaction fails. Every collector
// failure is in the evidence as a failure record instead.
func (p *Plan) Collect(ctx context.Context, progress collectors.Progress) (*evidence.Set, RunState, error) {
	started := p.Opts.Now
	st := RunState{
		ID:             p.RunID,
		ToolVersion:    p.Opts.ToolVersion,
		ToolCommit:     p.Opts.ToolCommit,
		Organization:   p.Config.Organization,
		Operator:       p.Config.Operator,
		Started:        started,
		EvaluationTime: started,
		Period:         p.Period,
	}
	if host, err := os.Hostname(); err == nil {
		st.Host = host
	}
	sink := &evidence.Memory{}
	checks := p.requestedChecks()
	req := collectors.Request{Now: started, Period: p.Period, Checks: checks, Logger: p.Opts.Logger}
	// Collectors wait on the network and limit their own calls per service,
	// so they all run at once: a stalled source never holds back another.
	runner := &collectors.Runner{Limit: max(len(p.Collectors), 1), Logger: p.Opts.Logger, Progress: progress}
	p.Opts.Logger.Info("collection started", "collectors", len(p.Collectors), "checks", len(p.Selected), "period", p.Period.String())
	if err := runner.Run(ctx, p.Collectors, req, sink); err != nil {
		return nil, st, err
	}
	if checks["config.thresholds"] {
		sink.Add(controls.GuardrailEvidence(p.Registry, p.Config.Checks.Params))
	}
	st.Finished = time.Now().UTC().Truncate(time.Second)
	if st.Finished.Before(st.Started) {
		st.Finished = st.Started
	}
	set := sink.Set()
	if err := p.Redactor.Set(set); err != nil {
		return nil, st, fmt.Errorf("redact evidence: %w", err)
	}
	scopes := map[string]bool{}
	for _, c := range p.Collectors {
		scopes[c.Scope()] = true
		st.Collectors = append(st.Collectors, controls.Collector{ID: c.ID(), Scope: p.Redactor.Text(c.Scope()), Version: p.Opts.ToolVersion})
	}
	sort.Slice(st.Collectors, func(i, j int) bool {
		a, b := st.Collectors[i], st.Collectors[j]
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		return a.Scope < b.Scope
	})
	for s := range scopes {
		st.Scope = append(st.Scope, p.Redactor.Text(s))
	}
	sort.Strings(st.Scope)
	logCollectionErrors(p.Opts.Logger, set)
	p.Opts.Logger.Info("collection finished", "items", len(set.Items), "failures", len(set.Failures), "elapsed", st.Finished.Sub(st.Started).Round(time.Millisecond).String())
	return set, st, nil
}

// EvalConfig returns config.json for the plan: the effective configuration
// with the loaded waivers and the manual evidence's hashes.
func (p *Plan) EvalConfig() EvalConfig {
	ec := EvalConfig{Config: p.Config, Waivers: p.Waivers}
	if ec.Waivers == nil {
		ec.Waivers = []controls.Waiver{}
	}
	ec.Manual = []ManualEvidenceFile{}
	for _, m := range p.Manual {
		ec.Manual = append(ec.Manual, ManualEvidenceFile{Criteria: m.Criteria, Path: m.BundlePath, Description: m.Description, SHA256: sha256Hex(m.Data)})
	}
	return ec
}

// maxLoggedErrors caps the warnings logged for collection errors; the rest
// are counted, and every one is in the evidence and the findings.
const maxLoggedErrors = 20

// logCollectionErrors logs each failure and each item part that could not
// be read, with the operation and error code.
func logCollectionErrors(logger *slog.Logger, set *evidence.Set) {
	logged, total := 0, 0
	warn := func(msg string, args ...any) {
		total++
		if logged < maxLoggedErrors {
			logged++
			logger.Warn(msg, args...)
		}
	}
	for _, f := range set.Failures {
		warn("collection failed", "collector", f.Collector, "scope", f.Scope, "operation", f.Error.Operation, "code", f.Error.Code, "attempts", f.Error.Attempts, "error", f.Error.Message)
	}
	for _, it := range set.Items {
		groups := make([]string, 0, len(it.Errors))
		for g := range it.Errors {
			groups = append(groups, g)
		}
		sort.Strings(groups)
		for _, g := range groups {
			e := it.Errors[g]
			warn("evidence part not collected", "collector", it.Collector, "resource", it.Resource, "part", g, "operation", e.Operation, "code", e.Code, "attempts", e.Attempts, "error", e.Message)
		}
	}
	if total > logged {
		logger.Warn("more collection errors not logged", "count", total-logged)
	}
}
