// Package collectors defines the Collector interface, the registry of
// collector factories and the runner that runs collectors concurrently.
package collectors

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/auditpack/auditpack/evidence"
	"github.com/auditpack/auditpack/internal/config"
	"github.com/auditpack/auditpack/internal/period"
)

// Collector gathers evidence from one target, such as one AWS account's S3
// buckets or one database's audit log.
type Collector interface {
	// ID is the registry id of the collector kind, for example "aws.s3".
	ID() string
	// Scope is the target collected: "aws:111122223333",
	// "aws:111122223333:eu-west-1" or "postgres://db.internal:5432/app".
	Scope() string
	// Kinds are the evidence kinds the collector produces.
	Kinds() []string
	// Collect sends evidence and per-scope failures to sink. A returned
	// error means the collector as a whole failed. The runner records it as a
	// failure of every kind on Scope and keeps what was already sent.
	Collect(ctx context.Context, req Request, sink evidence.Sink) error
}

// Request carries what every collector needs to know about the run.
type Request struct {
	// Now is the run's evaluation time.
	Now    time.Time
	Period period.Period
	// Checks holds the selected check ids, so a collector makes only the
	// calls those checks need.
	Checks map[string]bool
	Logger *slog.Logger
}

// Wants reports whether any of the check ids is selected.
func (r Request) Wants(ids ...string) bool {
	for _, id := range ids {
		if r.Checks[id] {
			return true
		}
	}
	return false
}

// Env is the environment factories build collectors from.
type Env struct {
	Config *config.Config
	Logger *slog.Logger
	// Getenv reads environment variables named in the configuration; tests
	// replace it.
	Getenv func(string) string
	// Dir is the folder relative paths of the configuration resolve
	// against, such as output_dir; empty means the working folder.
	Dir string

	mu     sync.Mutex
	shared map[string]any
}

// NewEnv returns an Env reading the process environment.
func NewEnv(cfg *config.Config, logger *slog.Logger) *Env {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Env{Config: cfg, Logger: logger, Getenv: os.Getenv}
}

// Shared returns the value stored under key, building it on first use. It
// lets collectors of one source share clients and identities.
func (e *Env) Shared(key string, build func() any) any {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.shared == nil {
		e.shared = map[string]any{}
	}
	if v, ok := e.shared[key]; ok {
		return v
	}
	v := build()
	e.shared[key] = v
	return v
}

// Factory builds the collectors of one kind from the configuration.
type Factory struct {
	ID          string
	Description string
	Kinds       []string
	// Build returns one collector per configured target, or none when the
	// source is not configured. It must not contact any system.
	Build func(env *Env) ([]Collector, error)
}

// Registry holds collector factories by id.
type Registry struct {
	factories []Factory
}

// NewRegistry returns a registry of the factories, rejecting a duplicate or
// empty id.
func NewRegistry(factories ...Factory) (*Registry, error) {
	seen := map[string]bool{}
	for _, f := range factories {
		if f.ID == "" || f.Build == nil {
			return nil, fmt.Errorf("collector factory %q is incomplete: it needs an id and a Build function", f.ID)
		}
		if seen[f.ID] {
			return nil, fmt.Errorf("collector id %q is registered twice", f.ID)
		}
		seen[f.ID] = true
	}
	list := append([]Factory(nil), factories...)
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	return &Registry{factories: list}, nil
}

// All returns every factory sorted by id.
func (r *Registry) All() []Factory { return r.factories }

// Lookup returns the factory with the id.
func (r *Registry) Lookup(id string) (Factory, bool) {
	for _, f := range r.factories {
		if f.ID == id {
			return f, true
		}
	}
	return Factory{}, false
}
