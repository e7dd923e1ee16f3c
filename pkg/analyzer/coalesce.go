package analyzer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"
)

// ErrRenderPanic is wrapped by the error a coalesced render returns to its
// callers when it panicked. The panic is logged with its stack; the
// messages are retried (and dead-lettered if it keeps happening), as the
// queue consumer does for a handler that panics.
var ErrRenderPanic = errors.New("analyzer: report render panicked")

// DefaultRenderTimeout bounds one coalesced render (lease wait included)
// when Config.RenderTimeout is zero.
const DefaultRenderTimeout = 2 * time.Minute

// renderFunc renders one incident's report.
type renderFunc func(ctx context.Context, incident string) error

// coalescer joins concurrent render requests of one incident into as few
// renders as correctness allows (group commit). Per incident there is at
// most one runner goroutine; it runs rounds one after another. A request
// joins the round that has not started yet (creating it if needed), so the
// render that serves it starts after the request was made, which is after
// the caller stored its data. Every caller of a round gets that round's
// error.
//
// Runner goroutines are detached from the callers' contexts (a caller that
// gives up does not cancel a render others wait on), bounded by timeout,
// and owned by the coalescer: wait waits for all of them.
type coalescer struct {
	render  renderFunc
	timeout time.Duration
	log     *slog.Logger

	mu        sync.Mutex
	incidents map[string]*incidentRenders // only incidents with a runner
	runners   sync.WaitGroup
}

// incidentRenders is the render state of one incident that has a runner.
type incidentRenders struct {
	// next is the round callers join; nil when none is pending. The
	// runner takes it (sets next to nil) before starting its render.
	next *renderRound
}

// renderRound is one render and the callers it serves.
type renderRound struct {
	done    chan struct{} // closed when err is set
	err     error
	waiters int // callers still waiting; guarded by coalescer.mu until started
}

func newCoalescer(render renderFunc, timeout time.Duration, log *slog.Logger) *coalescer {
	if timeout <= 0 {
		timeout = DefaultRenderTimeout
	}
	return &coalescer{render: render, timeout: timeout, log: log, incidents: make(map[string]*incidentRenders)}
}

// do returns once a render of incident that started after do was called
// has finished, with that render's error; or, when ctx ends first, with
// ctx's error (the render goes on for the other callers).
func (c *coalescer) do(ctx context.Context, incident string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	st, running := c.incidents[incident]
	if !running {
		st = &incidentRenders{}
		c.incidents[incident] = st
	}
	if st.next == nil {
		st.next = &renderRound{done: make(chan struct{})}
	}
	r := st.next
	r.waiters++
	if !running {
		c.runners.Add(1)
		// The runner keeps ctx's values but not its cancellation.
		go c.run(context.WithoutCancel(ctx), incident, st)
	}
	c.mu.Unlock()

	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		c.mu.Lock()
		r.waiters--
		if st.next == r && r.waiters == 0 {
			// Nobody waits for this round and it has not started: drop it.
			st.next = nil
		}
		c.mu.Unlock()
		return fmt.Errorf("analyzer: waiting for the report of %s: %w", incident, ctx.Err())
	}
}

// run renders rounds of incident until none is pending, then removes the
// incident's entry so the map holds only incidents being rendered.
func (c *coalescer) run(base context.Context, incident string, st *incidentRenders) {
	defer c.runners.Done()
	for {
		c.mu.Lock()
		r := st.next
		if r == nil {
			delete(c.incidents, incident)
			c.mu.Unlock()
			return
		}
		st.next = nil
		c.mu.Unlock()

		r.err = c.renderOnce(base, incident)
		close(r.done)
	}
}

// renderOnce runs one bounded render, turning a panic into an error: the
// runner has no consumer above it to recover, and a panic must not take
// the process (and every other incident's messages) down.
func (c *coalescer) renderOnce(base context.Context, incident string) (err error) {
	ctx, cancel := context.WithTimeout(base, c.timeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			c.log.Error("report render panicked", "incident", incident, "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("%w: incident %s: %v", ErrRenderPanic, incident, p)
		}
	}()
	return c.render(ctx, incident)
}

// wait blocks until every runner has returned. Runners return once no
// caller is waiting for a further round; each render is bounded by the
// timeout.
func (c *coalescer) wait() { c.runners.Wait() }

// pending reports how many incidents have a runner (for tests).
func (c *coalescer) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.incidents)
}
