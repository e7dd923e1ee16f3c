package autoheal

import (
	"cmp"
	"context"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// ProcessReader reads the site's worker process on each instance; the
// Kudu adapter (KuduReader) is the production one.
type ProcessReader interface {
	// Instances lists the site's instance ids.
	Instances(ctx context.Context, site string) ([]string, error)
	// WorkerProcess returns the site's worker process on one instance
	// (private bytes, start time, pid, machine name).
	WorkerProcess(ctx context.Context, site, instance string) (ProcessSample, error)
}

// MemoryWatch polls process details on every instance of its sites: the
// memory source for privateBytesInKB and the proactive memory rule.
type MemoryWatch struct {
	Reader ProcessReader
	Sites  []string
	// Interval between polls of one site; 0 means DefaultMemoryPoll. Each poll is
	// jittered by up to ±10 %.
	Interval time.Duration
	// Concurrency bounds the process reads in flight; 0 means DefaultReadConcurrency.
	Concurrency int
	Log         *slog.Logger
	Now         func() time.Time
}

// Run polls until ctx ends. Read errors are logged and retried on the next
// poll; they never stop the watch.
func (m *MemoryWatch) Run(ctx context.Context, obs Observer) error {
	every := cmp.Or(max(m.Interval, 0), DefaultMemoryPoll)
	limit := cmp.Or(max(m.Concurrency, 0), DefaultReadConcurrency)
	log := cmp.Or(m.Log, discardLog)
	now := clock(m.Now)
	known := map[string]map[string]string{} // site → instance id → machine name
	for {
		m.poll(ctx, obs, limit, log, now, known)
		if !sleep(ctx, jittered(every)) {
			return nil
		}
	}
}

func (m *MemoryWatch) poll(ctx context.Context, obs Observer, limit int, log *slog.Logger, now func() time.Time, known map[string]map[string]string) {
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for _, site := range m.Sites {
		ids, err := m.Reader.Instances(gctx, site)
		if err != nil {
			log.Warn("memory watch: listing instances failed", "site", site, "err", err)
			continue
		}
		seen := map[string]bool{}
		for _, id := range ids {
			seen[id] = true
			g.Go(func() error {
				p, err := m.Reader.WorkerProcess(gctx, site, id)
				if err != nil {
					log.Warn("memory watch: reading worker process failed", "site", site, "instance", id, "err", err)
					return nil
				}
				if p.At.IsZero() {
					p.At = now()
				}
				name := p.MachineName
				if name == "" {
					name = id
				}
				mu.Lock()
				if known[site] == nil {
					known[site] = map[string]string{}
				}
				known[site][id] = name
				mu.Unlock()
				obs.ObserveProcess(site, name, p)
				return nil
			})
		}
		mu.Lock()
		for id, name := range known[site] {
			if !seen[id] {
				obs.Forget(site, name)
				delete(known[site], id)
			}
		}
		mu.Unlock()
	}
	_ = g.Wait()
}
