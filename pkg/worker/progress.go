package worker

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// ProgressPrinter renders Engine progress for a person at a terminal: one
// status line redrawn in place (bytes, rate, targets streaming) and one line
// per finished target. Use Observe as Engine.OnProgress, and call Run in a
// goroutine until the capture ends, then Close.
type ProgressPrinter struct {
	w     io.Writer
	mu    sync.Mutex
	live  map[string]Progress
	total int64
	done  int
	start time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
}

// NewProgressPrinter starts a printer redrawing every interval on w.
func NewProgressPrinter(w io.Writer, interval time.Duration) *ProgressPrinter {
	p := &ProgressPrinter{w: w, live: map[string]Progress{}, start: time.Now(), stop: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.draw()
			}
		}
	}()
	return p
}

// Observe records one progress report; safe for concurrent use.
func (p *ProgressPrinter) Observe(pr Progress) {
	k := fmt.Sprintf("%s/%s/%d", pr.Site, pr.Instance, pr.PID)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total += moved(p.live[k], pr)
	if !pr.Done {
		p.live[k] = pr
		return
	}
	delete(p.live, k)
	p.done++
	mark := "✓"
	line := fmt.Sprintf("%s %s %s %s-%d %s", mark, pr.Site, shortID(pr.Instance), pr.Process, pr.PID, mib(pr.Bytes))
	if pr.Outcome != "captured" {
		mark = "✗"
		line = fmt.Sprintf("%s %s %s %s-%d %s: %s", mark, pr.Site, shortID(pr.Instance), pr.Process, pr.PID, pr.Outcome, pr.Reason)
	}
	fmt.Fprintf(p.w, "\r\033[K%s\n", line)
}

// moved is how many bytes pr adds to the total after prev, the last report
// of the same target. A new attempt starts again from zero. The final (Done)
// report carries no attempt number: it only adds what the last periodic
// report had not yet counted.
func moved(prev, pr Progress) int64 {
	switch {
	case pr.Done:
		return max(0, pr.Bytes-prev.Bytes)
	case pr.Attempt != prev.Attempt:
		return pr.Bytes
	default:
		return max(0, pr.Bytes-prev.Bytes)
	}
}

func (p *ProgressPrinter) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	el := time.Since(p.start).Seconds()
	rate := float64(p.total) / max(el, 0.001)
	keys := make([]string, 0, len(p.live))
	for k := range p.live {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		pr := p.live[k]
		s := fmt.Sprintf("%s-%d %s", pr.Process, pr.PID, mib(pr.Bytes))
		if pr.Total > 0 {
			s += fmt.Sprintf("/%s", mib(pr.Total))
		}
		parts = append(parts, s)
	}
	fmt.Fprintf(p.w, "\r\033[K%d done, %s at %s/s  %s", p.done, mib(p.total), mib(int64(rate)), strings.Join(parts, "  "))
}

// Close stops redrawing and clears the status line.
func (p *ProgressPrinter) Close() {
	close(p.stop)
	p.wg.Wait()
	fmt.Fprint(p.w, "\r\033[K")
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
