package cmd

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/auditpack/auditpack/collectors"
)

// progress draws one line per collector with its state and elapsed time,
// under an overall bar. It draws only on a terminal; in CI and pipes the
// runner's log lines are the progress.
type progress struct {
	mu    sync.Mutex
	out   *os.File
	lines []*collectorLine
	index map[collectors.Collector]*collectorLine
	drawn int
}

type collectorLine struct {
	name    string
	started time.Time
	elapsed time.Duration
	state   string // running, done or failed
}

func newProgress(a *app) collectors.Progress {
	if a.quiet || a.getenv("CI") != "" {
		return nil
	}
	f, ok := a.stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &progress{out: f, index: map[collectors.Collector]*collectorLine{}}
}

func (p *progress) Start(c collectors.Collector) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := &collectorLine{name: c.ID(), started: time.Now(), state: "running"}
	p.lines = append(p.lines, l)
	p.index[c] = l
	p.draw()
}

func (p *progress) Done(c collectors.Collector, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.index[c]
	if l == nil {
		return
	}
	// The scope is known for certain only once the collector has run; an
	// AWS account's id, for one, is resolved during collection.
	l.name = c.ID() + " " + c.Scope()
	l.elapsed = time.Since(l.started)
	l.state = "done"
	if err != nil {
		l.state = "failed"
	}
	p.draw()
}

// draw rewrites the lines drawn last time in place.
func (p *progress) draw() {
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\033[%dA", p.drawn)
	}
	done := 0
	for _, l := range p.lines {
		if l.state != "running" {
			done++
		}
	}
	const width = 24
	filled := width * done / len(p.lines)
	fmt.Fprintf(&b, "\r\033[K[%s%s] %d/%d collectors\n", strings.Repeat("#", filled), strings.Repeat(".", width-filled), done, len(p.lines))
	for _, l := range p.lines {
		mark, elapsed := "…", time.Since(l.started)
		switch l.state {
		case "done":
			mark, elapsed = "✓", l.elapsed
		case "failed":
			mark, elapsed = "✗", l.elapsed
		}
		fmt.Fprintf(&b, "\r\033[K  %s %-60s %s %s\n", mark, l.name, l.state, elapsed.Round(100*time.Millisecond))
	}
	p.drawn = len(p.lines) + 1
	fmt.Fprint(p.out, b.String())
}
