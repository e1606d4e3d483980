package aws

import (
	"context"
	"time"

	"github.com/auditpack/auditpack/collectors"
)

// SetPollClock replaces the clock an IAM collector waits on while the
// credential report is generated, so tests need not wait.
func SetPollClock(c collectors.Collector, now func() time.Time, sleep func(context.Context, time.Duration) error) {
	c.(*IAMCollector).clock = funcClock{now: now, sleep: sleep}
}

type funcClock struct {
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
}

func (c funcClock) Now() time.Time { return c.now() }

func (c funcClock) Sleep(ctx context.Context, d time.Duration) error { return c.sleep(ctx, d) }
