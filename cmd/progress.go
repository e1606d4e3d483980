package cmd

import (
	"fmt"
	"os"
	"sync"

	"golang.org/x/term"

	"github.com/auditpack/auditpack/collectors"
)

// progress shows collectors starting and finishing. On a terminal it
// redraws one status line; elsewhere (CI, pipes) the runner's log lines are
// the progress, so it draws nothing.
type progress struct {
	mu      sync.Mutex
	out     *os.File
	running map[string]bool
	done    int
	started int
}

func newProgress(a *app) collectors.Progress {
	if a.quiet || a.getenv("CI") != "" {
		return nil
	}
	f, ok := a.stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &progress{out: f, running: map[string]bool{}}
}

func (p *progress) Start(c collectors.Collector) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.started++
	p.running[c.ID()+" "+c.Scope()] = true
	p.draw(c.ID() + " " + c.Scope())
}

func (p *progress) Done(c collectors.Collector, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	delete(p.running, c.ID()+" "+c.Scope())
	state := "done"
	if err != nil {
		state = "failed"
	}
	p.draw(c.ID() + " " + c.Scope() + " " + state)
}

func (p *progress) draw(last string) {
	width := 20
	filled := 0
	if p.started > 0 {
		filled = width * p.done / p.started
	}
	bar := make([]byte, width)
	for i := range bar {
		bar[i] = '.'
		if i < filled {
			bar[i] = '#'
		}
	}
	fmt.Fprintf(p.out, "\r\033[K[%s] %d/%d collectors  %s", bar, p.done, p.started, last)
	if len(p.running) == 0 {
		fmt.Fprint(p.out, "\r\033[K")
	}
}
