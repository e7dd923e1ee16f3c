package worker

import (
	"context"
	"time"

	retrying "github.com/dumpflow/dumpflow/pkg/retry"
)

// retry runs op under p with the shared retry helper: until it succeeds,
// returns a permanent error, the policy's attempts or elapsed time run out,
// or ctx ends. A server's Retry-After carried by a *KuduError and longer
// than the backoff's wait is honoured, capped by p.MaxElapsed. It returns
// the number of attempts made and the last real error (joined with
// ctx.Err() when the context ended the loop). onRetry, when not nil, is
// called before each wait.
func retry(ctx context.Context, p RetryPolicy, op func(attempt int) error, onRetry func(attempt int, err error, wait time.Duration)) (int, error) {
	return retrying.Do(ctx, retrying.Options{
		BackOff:       retrying.Exponential(p.InitialInterval, p.MaxInterval, p.MaxElapsed, p.Jitter),
		MaxAttempts:   p.MaxAttempts,
		RetryAfter:    retryAfterOf,
		MaxRetryAfter: p.MaxElapsed,
		Notify:        onRetry,
	}, op)
}

// classify turns a Kudu error into the retry loop's form: permanent kinds
// are marked permanent, the rest are returned as they are.
func classify(err error) error {
	if err == nil {
		return nil
	}
	switch kindOf(err) {
	case ErrorKindTransient:
		return err
	default:
		return retrying.Permanent(err)
	}
}
