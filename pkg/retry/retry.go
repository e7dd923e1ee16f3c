// Package retry is dumpflow's one way to retry an operation: the waits come
// from a github.com/cenkalti/backoff/v4 BackOff and the loop is backoff's
// own (RetryNotifyWithTimer); this package adds what every caller needs on
// top of it: an attempt limit, the server's Retry-After, the attempt number
// in the operation and the notify hook, and an error that keeps the last
// real failure when the context ends the retries.
package retry

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Options configures Do. The zero value retries without limit, waiting as
// Exponential(DefaultInitialInterval, DefaultMaxInterval, 0, DefaultJitter)
// between attempts, until the operation succeeds, fails permanently or the
// context ends.
type Options struct {
	// BackOff gives the wait before each retry; Do resets it first. A
	// backoff.Stop from it ends the retries (as MaxElapsedTime does for an
	// ExponentialBackOff). Nil means the default exponential backoff.
	BackOff backoff.BackOff
	// MaxAttempts bounds the number of calls of the operation; 0 or less
	// means no limit.
	MaxAttempts int
	// RetryAfter returns the server's requested wait carried by an error
	// (0 when it carries none). A Retry-After longer than the backoff's wait
	// replaces it, capped by MaxRetryAfter when that is positive. Nil means
	// errors carry none.
	RetryAfter    func(error) time.Duration
	MaxRetryAfter time.Duration
	// Notify, when not nil, is called before each wait with the number of
	// the attempt that failed, its error and the wait.
	Notify func(attempt int, err error, wait time.Duration)
	// Timer replaces the real timer, for tests; nil means a time.Timer.
	Timer backoff.Timer
}

// Permanent marks err as not worth retrying: Do returns err (unwrapped from
// the marker) at once.
func Permanent(err error) error { return backoff.Permanent(err) }

// ExhaustedError is returned when the attempt limit or the backoff's time
// limit ended the retries; Err is the last attempt's error.
type ExhaustedError struct {
	Attempts int
	// TimeLimit is the backoff's elapsed-time limit when that (rather than
	// the attempt limit) ended the retries, else 0.
	TimeLimit time.Duration
	Err       error
}

func (e *ExhaustedError) Error() string {
	if e.TimeLimit > 0 {
		return fmt.Sprintf("gave up after %d attempts (retry time limit %s): %v", e.Attempts, e.TimeLimit, e.Err)
	}
	return fmt.Sprintf("gave up after %d attempts: %v", e.Attempts, e.Err)
}

func (e *ExhaustedError) Unwrap() error { return e.Err }

// Do calls op (with the attempt number, from 1) until it returns nil, and
// returns the number of attempts made and:
//   - nil on success;
//   - the permanent error (without its marker) when op returns one;
//   - ctx.Err() joined with op's last error when ctx ends first (the wait
//     is cut short);
//   - an *ExhaustedError when MaxAttempts or the backoff's limit is reached.
func Do(ctx context.Context, o Options, op func(attempt int) error) (int, error) {
	var (
		attempts  int
		last      error
		permanent bool
	)
	b := o.BackOff
	if b == nil {
		b = Exponential(DefaultInitialInterval, DefaultMaxInterval, 0, DefaultJitter)
	}
	// WithContext must be outermost: backoff's loop finds the context
	// only there, to cut a wait short.
	var wrapped backoff.BackOff = &retryAfter{BackOff: b, o: &o, last: &last}
	if o.MaxAttempts > 0 {
		wrapped = backoff.WithMaxRetries(wrapped, uint64(o.MaxAttempts-1))
	}
	wrapped = backoff.WithContext(wrapped, ctx)
	var notify backoff.Notify
	if o.Notify != nil {
		notify = func(err error, wait time.Duration) { o.Notify(attempts, err, wait) }
	}
	err := backoff.RetryNotifyWithTimer(func() error {
		attempts++
		last = op(attempts)
		var p *backoff.PermanentError
		permanent = errors.As(last, &p)
		return last
	}, wrapped, notify, o.Timer)
	switch {
	case err == nil:
		return attempts, nil
	case permanent:
		return attempts, err
	case ctx.Err() != nil:
		return attempts, errors.Join(ctx.Err(), last)
	}
	ex := &ExhaustedError{Attempts: attempts, Err: last}
	if eb, ok := b.(*backoff.ExponentialBackOff); ok && (o.MaxAttempts <= 0 || attempts < o.MaxAttempts) {
		ex.TimeLimit = eb.MaxElapsedTime
	}
	return attempts, ex
}

// retryAfter lengthens the backoff's wait to the server's Retry-After
// carried by the last error.
type retryAfter struct {
	backoff.BackOff
	o    *Options
	last *error
}

func (r *retryAfter) NextBackOff() time.Duration {
	wait := r.BackOff.NextBackOff()
	if wait == backoff.Stop || r.o.RetryAfter == nil {
		return wait
	}
	if ra := r.o.RetryAfter(*r.last); ra > wait {
		wait = ra
		if r.o.MaxRetryAfter > 0 {
			wait = min(wait, r.o.MaxRetryAfter)
		}
	}
	return wait
}
