// Package doctor checks, before a run, that every configured target can be
// collected from: AWS credentials, regions and the cheap read calls of the
// IAM policy, and each database's connection, read-only session and
// configured tables. It contacts only the configured endpoints.
package doctor

import (
	"context"
	"fmt"
	"strings"

	"github.com/auditpack/auditpack/collectors"
	"github.com/auditpack/auditpack/controls"
)

// Result is the outcome for one target.
type Result struct {
	// Target names the target: "aws:111122223333" or
	// "postgres app postgres://HOST:PORT/DB".
	Target string
	// Confirmed lists what works, such as "caller arn:aws:iam::…".
	Confirmed []string
	// Problems lists what is missing or failed; any problem makes the
	// target unusable.
	Problems []string
	// Warnings list what works but deserves a change, such as a superuser
	// role.
	Warnings []string
}

// OK reports whether the target is usable.
func (r Result) OK() bool { return len(r.Problems) == 0 }

// Line formats the result as one line: status, target, and the problems of
// an unusable target or what was confirmed of a usable one.
func (r Result) Line() string {
	status, parts := "ok  ", r.Confirmed
	if !r.OK() {
		status, parts = "FAIL", r.Problems
	}
	parts = append(append([]string(nil), parts...), prefixed("warning: ", r.Warnings)...)
	return fmt.Sprintf("%s %s: %s", status, r.Target, strings.Join(parts, "; "))
}

func prefixed(prefix string, list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = prefix + s
	}
	return out
}

// Options are the inputs of Run.
type Options struct {
	// Env holds the validated configuration and the environment to read
	// connection strings from.
	Env *collectors.Env
	// Checks are the selected checks; they decide which AWS services are
	// tried.
	Checks []*controls.Check
	// OnCall, when set, is called for every AWS API operation sent.
	OnCall func(service, operation, region string)
}

// Run checks every configured target and returns one result per target:
// AWS accounts first, then databases in configuration order.
func Run(ctx context.Context, opts Options) []Result {
	var out []Result
	if opts.Env.Config.AWS != nil {
		out = append(out, checkAWS(ctx, opts)...)
	}
	for _, pc := range opts.Env.Config.Postgres {
		out = append(out, checkPostgres(ctx, pc, opts.Env.Getenv))
	}
	return out
}
