package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/layout"
	"github.com/dumpflow/dumpflow/pkg/messages"
	retrying "github.com/dumpflow/dumpflow/pkg/retry"
)

// siteLocks serializes dumps per site. Direct dumps of one site hold an
// in-process slot and then the blob lease on layout.SiteLockKey(site), so
// they run one at a time across every worker sharing the bucket. Staged dumps
// take one of a per-site number of in-process slots.
type siteLocks struct {
	bucket           blob.Bucket
	ttl              time.Duration
	pollMin, pollMax time.Duration
	stagedPerSite    int
	log              *slog.Logger
	onLeaseLost      func()

	mu     sync.Mutex
	direct map[string]chan struct{}
	staged map[string]chan struct{}
}

func newSiteLocks(b blob.Bucket, cfg Config, onLeaseLost func()) *siteLocks {
	return &siteLocks{
		bucket: b, ttl: cfg.LockTTL, pollMin: cfg.LockPollMin, pollMax: cfg.LockPollMax,
		stagedPerSite: cfg.StagedPerSite, log: cfg.Logger, onLeaseLost: onLeaseLost,
		direct: make(map[string]chan struct{}), staged: make(map[string]chan struct{}),
	}
}

// slot returns the in-process semaphore for site in m, creating it with
// capacity n.
func (l *siteLocks) slot(m map[string]chan struct{}, site string, n int) chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch, ok := m[site]
	if !ok {
		ch = make(chan struct{}, n)
		m[site] = ch
	}
	return ch
}

// acquire waits for a dump slot of site for the given strategy. It returns
// the function that releases it (idempotent) and how long it waited.
func (l *siteLocks) acquire(ctx context.Context, site, strategy string) (func(), time.Duration, error) {
	start := time.Now()
	if strategy != messages.StrategyDirect {
		ch := l.slot(l.staged, site, l.stagedPerSite)
		select {
		case ch <- struct{}{}:
			return sync.OnceFunc(func() { <-ch }), time.Since(start), nil
		case <-ctx.Done():
			return nil, time.Since(start), ctx.Err()
		}
	}
	ch := l.slot(l.direct, site, 1)
	select {
	case ch <- struct{}{}:
	case <-ctx.Done():
		return nil, time.Since(start), ctx.Err()
	}
	lease, err := l.lease(ctx, site)
	if err != nil {
		<-ch
		return nil, time.Since(start), err
	}
	waited := time.Since(start)
	stop := l.keepRenewed(site, lease)
	var once sync.Once
	return func() {
		once.Do(func() {
			stop()
			rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := lease.Release(rctx); err != nil {
				l.log.Warn("releasing site lock", "site", site, "err", err)
			}
			<-ch
		})
	}, waited, nil
}

// lease takes the site's blob lease, polling with jittered exponential
// backoff (pollMin doubling up to pollMax) while another worker holds it.
func (l *siteLocks) lease(ctx context.Context, site string) (blob.Lease, error) {
	key := layout.SiteLockKey(site)
	var lease blob.Lease
	_, err := retrying.Do(ctx, retrying.Options{
		BackOff: retrying.Exponential(l.pollMin, l.pollMax, 0, retrying.DefaultJitter),
	}, func(int) error {
		var err error
		lease, err = l.bucket.AcquireLease(ctx, key, l.ttl)
		if err != nil && !errors.Is(err, blob.ErrLeaseHeld) {
			return retrying.Permanent(fmt.Errorf("site lock %s: %w", key, err))
		}
		return err
	})
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return nil, fmt.Errorf("waiting for site lock %s: %w", key, ctx.Err())
	}
	return lease, err
}

// keepRenewed renews lease every ttl/3 until the returned stop function is
// called; stop waits for the renewing goroutine to end.
func (l *siteLocks) keepRenewed(site string, lease blob.Lease) func() {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(l.ttl / 3)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if err := lease.Renew(ctx); err != nil && ctx.Err() == nil {
					// Keep going: the dump in flight cannot be undone; a
					// competing dump fails on Kudu's staging file and retries.
					l.log.Warn("site lock renewal failed", "site", site, "err", err)
					if errors.Is(err, blob.ErrLeaseLost) && l.onLeaseLost != nil {
						l.onLeaseLost()
					}
				}
			}
		}
	}()
	return func() { cancel(); wg.Wait() }
}
