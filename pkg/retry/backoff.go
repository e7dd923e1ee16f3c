package retry

import (
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Defaults of Exponential used when Options.BackOff is nil.
const (
	DefaultInitialInterval = 100 * time.Millisecond
	DefaultMaxInterval     = 30 * time.Second
	DefaultJitter          = 0.5
)

// Exponential returns backoff's exponential policy: the first wait is
// initial, each next one doubles up to max, each randomized by ±jitter
// (a factor in [0,1]); after maxElapsed since Reset it stops (0 means
// never).
func Exponential(initial, max, maxElapsed time.Duration, jitter float64) *backoff.ExponentialBackOff {
	return backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(initial),
		backoff.WithMaxInterval(max),
		backoff.WithMaxElapsedTime(maxElapsed),
		backoff.WithRandomizationFactor(jitter),
		backoff.WithMultiplier(2),
	)
}

// ByAttempt adapts a function of the attempt number (from 1) to a
// backoff.BackOff: the n-th wait since Reset is f(n).
func ByAttempt(f func(attempt int) time.Duration) backoff.BackOff {
	return &byAttempt{f: f}
}

type byAttempt struct {
	f func(int) time.Duration
	n int
}

func (b *byAttempt) NextBackOff() time.Duration { b.n++; return b.f(b.n) }
func (b *byAttempt) Reset()                     { b.n = 0 }
