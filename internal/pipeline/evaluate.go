package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/auditpack/auditpack/controls"
	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/internal/config"
	"github.com/auditpack/auditpack/internal/period"
)

// File names the pipeline writes into an evidence store and a bundle.
const (
	ResultsFile = "results.json"
	ConfigFile  = "config.json"
	RunFile     = "run.json"
)

// RunState describes a run's collection; with the evidence and config.json
// it is all that evaluation needs, so evaluating a bundle again reproduces
// its results.json.
type RunState struct {
	ID             string        `json:"id"`
	ToolVersion    string        `json:"tool_version"`
	ToolCommit     string        `json:"tool_commit,omitempty"`
	Organization   string        `json:"organization,omitempty"`
	Operator       string        `json:"operator,omitempty"`
	Host           string        `json:"host,omitempty"`
	Started        time.Time     `json:"started"`
	Finished       time.Time     `json:"finished"`
	EvaluationTime time.Time     `json:"evaluation_time"`
	Period         period.Period `json:"period"`
	Scope          []string      `json:"scope"`
	// Collectors are the collectors that ran, by id and scope.
	Collectors []controls.Collector `json:"collectors"`
}

// EvalConfig is config.json: the effective configuration without secrets,
// with the waivers as loaded and the manual evidence as bundled.
type EvalConfig struct {
	Config  *config.Config       `json:"config"`
	Waivers []controls.Waiver    `json:"waivers"`
	Manual  []ManualEvidenceFile `json:"manual_evidence"`
}

// ManualEvidenceFile is a bundled manual evidence file.
type ManualEvidenceFile struct {
	Criteria    []string `json:"criteria"`
	Path        string   `json:"path"`
	Description string   `json:"description,omitempty"`
	SHA256      string   `json:"sha256"`
}

// Evaluator holds what evaluation needs besides the evidence.
type Evaluator struct {
	Catalog  *controls.Catalog
	Registry *controls.Registry
	Selected []*controls.Check
	Config   EvalConfig
}

// NewEvaluator rebuilds the checks of a stored configuration, custom rules
// included.
func NewEvaluator(ec EvalConfig) (*Evaluator, error) {
	cat, err := controls.LoadCatalog()
	if err != nil {
		return nil, err
	}
	reg, err := controls.DefaultRegistry(cat)
	if err != nil {
		return nil, err
	}
	cfg := ec.Config
	if cfg == nil {
		return nil, fmt.Errorf("%s contains no configuration", ConfigFile)
	}
	if len(cfg.Rules) > 0 {
		custom, err := controls.CompileRules(cfg.Rules, cat)
		if err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
		for _, c := range custom {
			if err := reg.Add(cat, c); err != nil {
				return nil, err
			}
		}
	}
	sel, err := reg.Select(cfg.Checks.Select, cfg.Checks.Skip)
	if err != nil {
		return nil, err
	}
	sel = withSelectedCollectors(sel, cfg.Collectors)
	return &Evaluator{Catalog: cat, Registry: reg, Selected: sel, Config: ec}, nil
}

// Evaluate turns evidence into results: scope exclusions, checks, waivers,
// the criterion roll-up and the company control ids.
func (e *Evaluator) Evaluate(set *evidence.Set, st RunState) (*controls.Results, error) {
	cfg := e.Config.Config
	inScope, excluded := controls.ExcludeScope(set, cfg.Scope.Exclude)

	params := controls.NormalizeParams(e.Registry, cfg.Checks.Params)
	manual := map[string][]controls.ManualRef{}
	for _, m := range e.Config.Manual {
		for _, id := range m.Criteria {
			manual[id] = append(manual[id], controls.ManualRef{Path: m.Path, Description: m.Description, SHA256: m.SHA256})
		}
	}
	findings, _ := controls.Evaluate(e.Catalog, e.Registry, e.Selected, inScope, controls.EvalOptions{
		Now:    st.EvaluationTime,
		Period: st.Period,
		Params: params,
		Manual: manual,
	})
	findings, waivers := controls.ApplyWaivers(findings, e.Config.Waivers, st.EvaluationTime)
	controls.SortFindings(findings)
	criteria := controls.Rollup(e.Catalog, e.Registry, e.Selected, findings, manual)
	mappings, err := controls.MapControlIDs(cfg.ControlIDs, criteria, findings, e.Registry)
	if err != nil {
		return nil, err
	}

	notes := make([]controls.RunNote, 0, len(set.Notes))
	for _, n := range set.Notes {
		notes = append(notes, controls.RunNote{Collector: n.Collector, Scope: n.Scope, Message: n.Message})
	}
	if findings == nil {
		findings = []controls.Finding{}
	}
	scope := append([]string{}, st.Scope...)
	sort.Strings(scope)
	return &controls.Results{
		SchemaVersion: controls.SchemaVersion,
		Run: controls.RunInfo{
			ID:             st.ID,
			ToolVersion:    st.ToolVersion,
			Organization:   st.Organization,
			Operator:       st.Operator,
			EvaluationTime: st.EvaluationTime,
			Started:        st.Started,
			Finished:       st.Finished,
			Period:         st.Period,
			Scope:          scope,
		},
		Checks:         controls.CheckInfos(e.Registry, e.Selected, params),
		Findings:       findings,
		Criteria:       criteria,
		Notes:          notes,
		Waivers:        waivers,
		Excluded:       excluded,
		ControlIDs:     mappings,
		ChainOfCustody: chainOfCustody(set, st),
	}, nil
}

// chainOfCustody gathers the identities and servers from the evidence's
// provenance, so it is the same whenever the evidence is evaluated.
func chainOfCustody(set *evidence.Set, st RunState) *controls.ChainOfCustody {
	c := &controls.ChainOfCustody{
		ToolVersion:   st.ToolVersion,
		ToolCommit:    st.ToolCommit,
		Host:          st.Host,
		Operator:      st.Operator,
		Started:       st.Started,
		Finished:      st.Finished,
		Collectors:    append([]controls.Collector{}, st.Collectors...),
		AWSIdentities: []controls.AWSIdentity{},
		Databases:     []controls.Database{},
	}
	awsSeen := map[controls.AWSIdentity]bool{}
	dbSeen := map[string]int{}
	for _, it := range set.Items {
		var version string
		for _, p := range it.Provenance {
			switch {
			case p.Account != "" && p.Identity != "":
				id := controls.AWSIdentity{Account: p.Account, Caller: p.Identity}
				if !awsSeen[id] {
					awsSeen[id] = true
					c.AWSIdentities = append(c.AWSIdentities, id)
				}
			case strings.HasPrefix(p.Operation, "postgres:") && p.Endpoint != "":
				key := p.Endpoint + "\x00" + p.Identity
				if _, ok := dbSeen[key]; !ok {
					if version == "" {
						version = attributeString(it, "server_version")
					}
					dbSeen[key] = len(c.Databases)
					c.Databases = append(c.Databases, controls.Database{Endpoint: p.Endpoint, Role: p.Identity, ServerVersion: version})
				} else if i := dbSeen[key]; c.Databases[i].ServerVersion == "" {
					c.Databases[i].ServerVersion = attributeString(it, "server_version")
				}
			}
		}
	}
	sort.Slice(c.AWSIdentities, func(i, j int) bool {
		a, b := c.AWSIdentities[i], c.AWSIdentities[j]
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		return a.Caller < b.Caller
	})
	sort.Slice(c.Databases, func(i, j int) bool {
		a, b := c.Databases[i], c.Databases[j]
		if a.Endpoint != b.Endpoint {
			return a.Endpoint < b.Endpoint
		}
		return a.Role < b.Role
	})
	return c
}

// attributeString returns a top-level string attribute of an item, or "".
func attributeString(it *evidence.Item, name string) string {
	var attrs map[string]any
	if err := json.Unmarshal(it.Attributes, &attrs); err != nil {
		return ""
	}
	s, _ := attrs[name].(string)
	return s
}

// MarshalResults encodes results.json and validates it against its schema.
func MarshalResults(r *controls.Results) ([]byte, error) {
	data, err := marshalJSON(r)
	if err != nil {
		return nil, err
	}
	if err := controls.ValidateResults(data); err != nil {
		return nil, err
	}
	return data, nil
}

// marshalJSON encodes v indented, without HTML escaping, with a final
// newline, so stored files read well and compare byte for byte.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
