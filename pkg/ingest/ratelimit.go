package ingest

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// rateLimiter keeps one golang.org/x/time/rate token bucket per client key
// (the client's address), at most maxRateClients of them. When the table is
// full, idle clients (whose buckets are full again, so forgetting them
// changes nothing) are dropped; a client that finds no room even then — a
// flood of distinct addresses — shares one overflow bucket with the others
// in that position. Clients already in the table keep their state, so a
// flood cannot reset a limited client's bucket.
type rateLimiter struct {
	mu        sync.Mutex
	limit     rate.Limit
	burst     int
	now       func() time.Time
	buckets   map[string]*rate.Limiter
	overflow  *rate.Limiter
	lastEvict time.Time
}

const (
	maxRateClients = 10000
	// evictEvery spaces the scans for idle clients while the table is
	// full, so a flood costs one scan per interval, not one per request.
	evictEvery = time.Second
)

func newRateLimiter(perSecond float64, burst int, now func() time.Time) *rateLimiter {
	return &rateLimiter{
		limit: rate.Limit(perSecond), burst: burst, now: now,
		buckets:  map[string]*rate.Limiter{},
		overflow: rate.NewLimiter(rate.Limit(perSecond), burst),
	}
}

// allow takes one token for key, or reports how long until one is there.
func (l *rateLimiter) allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.bucket(key, now)
	r := b.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Second
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// bucket returns key's bucket, making room for a new one by dropping idle
// clients, or the overflow bucket when there is no room.
func (l *rateLimiter) bucket(key string, now time.Time) *rate.Limiter {
	if b, ok := l.buckets[key]; ok {
		return b
	}
	if len(l.buckets) >= maxRateClients && now.Sub(l.lastEvict) >= evictEvery {
		l.lastEvict = now
		for k, b := range l.buckets {
			if b.TokensAt(now) >= float64(l.burst) {
				delete(l.buckets, k)
			}
		}
	}
	if len(l.buckets) >= maxRateClients {
		return l.overflow
	}
	b := rate.NewLimiter(l.limit, l.burst)
	l.buckets[key] = b
	return b
}
