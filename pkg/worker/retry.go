package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// retry runs op until it succeeds, returns a backoff.Permanent error, the
// policy's attempts or elapsed time run out, or ctx ends. Between attempts it
// sleeps for the exponential backoff's next interval (with jitter), or for
// the server's Retry-After carried by the error when that is longer. It
// returns the number of attempts made and the last real error (joined with
// ctx.Err() when the context ended the loop). onRetry, when not nil, is
// called before each sleep.
func retry(ctx context.Context, p RetryPolicy, op func(attempt int) error, onRetry func(attempt int, err error, wait time.Duration)) (int, error) {
	b := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(p.InitialInterval),
		backoff.WithMaxInterval(p.MaxInterval),
		backoff.WithMaxElapsedTime(p.MaxElapsed),
		backoff.WithRandomizationFactor(p.Jitter),
		backoff.WithMultiplier(2),
	)
	b.Reset()
	for attempt := 1; ; attempt++ {
		err := op(attempt)
		if err == nil {
			return attempt, nil
		}
		var perm *backoff.PermanentError
		if errors.As(err, &perm) {
			return attempt, perm.Err
		}
		if ctx.Err() != nil {
			return attempt, errors.Join(ctx.Err(), err)
		}
		if attempt >= p.MaxAttempts {
			return attempt, fmt.Errorf("gave up after %d attempts: %w", attempt, err)
		}
		wait := b.NextBackOff()
		if wait == backoff.Stop {
			return attempt, fmt.Errorf("gave up after %d attempts (retry time limit %s): %w", attempt, p.MaxElapsed, err)
		}
		if ra := retryAfterOf(err); ra > wait {
			wait = min(ra, p.MaxElapsed)
		}
		if onRetry != nil {
			onRetry(attempt, err, wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return attempt, errors.Join(ctx.Err(), err)
		case <-t.C:
		}
	}
}

// classify turns a Kudu error into the retry loop's form: permanent kinds
// are wrapped with backoff.Permanent, the rest are returned as they are.
func classify(err error) error {
	if err == nil {
		return nil
	}
	switch kindOf(err) {
	case ErrorKindTransient:
		return err
	default:
		return backoff.Permanent(err)
	}
}
