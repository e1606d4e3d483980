package collectors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/auditpack/auditpack/evidence"
)

// Progress receives collector starts and ends, for a progress display.
type Progress interface {
	Start(c Collector)
	Done(c Collector, err error)
}

// Runner runs collectors concurrently within a limit.
type Runner struct {
	// Limit is the number of collectors running at once; 0 means 4.
	Limit    int
	Logger   *slog.Logger
	Progress Progress
}

// Run runs every collector and returns when all have finished. A collector
// that returns an error or panics is recorded as a failure of all its kinds on
// its scope; the others go on. Run itself fails only when ctx is cancelled.
func (r *Runner) Run(ctx context.Context, list []Collector, req Request, sink evidence.Sink) error {
	logger := r.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if req.Logger == nil {
		req.Logger = logger
	}
	limit := r.Limit
	if limit <= 0 {
		limit = 4
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for _, c := range list {
		g.Go(func() error {
			if gctx.Err() != nil {
				return gctx.Err()
			}
			start := time.Now()
			if r.Progress != nil {
				r.Progress.Start(c)
			}
			err := runOne(gctx, c, req, sink)
			if r.Progress != nil {
				r.Progress.Done(c, err)
			}
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				logger.Warn("collector failed", "collector", c.ID(), "scope", c.Scope(), "error", err.Error())
				sink.Fail(evidence.Failure{
					Collector: c.ID(),
					Scope:     c.Scope(),
					Kinds:     c.Kinds(),
					Error:     ClassifyError(c.ID(), err),
					Time:      time.Now().UTC(),
				})
				return nil
			}
			logger.Info("collector finished", "collector", c.ID(), "scope", c.Scope(), "elapsed", time.Since(start).Round(time.Millisecond).String())
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// PanicError is a recovered panic of a collector.
type PanicError struct {
	Value any
	Stack string
}

func (p *PanicError) Error() string { return fmt.Sprintf("collector panicked: %v", p.Value) }

func runOne(ctx context.Context, c Collector, req Request, sink evidence.Sink) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: string(debug.Stack())}
		}
	}()
	return c.Collect(ctx, req, sink)
}

// CodedError is an error that carries a short code for findings, such as
// "AccessDenied" or "timeout".
type CodedError interface {
	error
	ErrorCode() string
}

// ClassifyError turns a collector-level error into the failure record.
func ClassifyError(operation string, err error) evidence.CollectError {
	ce := evidence.CollectError{Operation: operation, Message: err.Error()}
	switch e := err.(type) {
	case *PanicError:
		ce.Code = "panic"
	case CodedError:
		ce.Code = e.ErrorCode()
	}
	if ce.Code == "" && errors.Is(err, context.DeadlineExceeded) {
		ce.Code = "timeout"
	}
	return ce
}
