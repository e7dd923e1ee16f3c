package retry_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/retry"
)

// fakeTimer fires at once (or never, when hold is set) and records the
// waits asked for; it advances clock by each wait.
type fakeTimer struct {
	waits []time.Duration
	clock *fakeClock
	hold  bool
	c     chan time.Time
}

func (t *fakeTimer) Start(d time.Duration) {
	t.waits = append(t.waits, d)
	if t.c == nil {
		t.c = make(chan time.Time, 1)
	}
	if t.clock != nil {
		t.clock.now = t.clock.now.Add(d)
	}
	if !t.hold {
		t.c <- time.Time{}
	}
}
func (t *fakeTimer) Stop()                          {}
func (t *fakeTimer) C() <-chan time.Time            { return t.c }
func (c *fakeClock) Now() time.Time                 { return c.now }
func fixed(d time.Duration) func(int) time.Duration { return func(int) time.Duration { return d } }

type fakeClock struct{ now time.Time }

var errBusy = errors.New("busy")

func TestDoRetriesUntilSuccess(t *testing.T) {
	tm := &fakeTimer{}
	var notified []string
	n, err := retry.Do(context.Background(), retry.Options{
		BackOff: retry.ByAttempt(func(a int) time.Duration { return time.Duration(a) * time.Second }),
		Timer:   tm,
		Notify: func(attempt int, err error, wait time.Duration) {
			notified = append(notified, fmt.Sprintf("%d:%v:%s", attempt, err, wait))
		},
	}, func(attempt int) error {
		if attempt < 3 {
			return errBusy
		}
		return nil
	})
	if err != nil || n != 3 {
		t.Fatalf("Do = %d, %v; want 3, nil", n, err)
	}
	if got := fmt.Sprint(notified); got != "[1:busy:1s 2:busy:2s]" {
		t.Errorf("notify calls %s", got)
	}
}

func TestDoStopsAtPermanentError(t *testing.T) {
	calls := 0
	n, err := retry.Do(context.Background(), retry.Options{Timer: &fakeTimer{}}, func(int) error {
		calls++
		return retry.Permanent(fmt.Errorf("bad request: %w", errBusy))
	})
	if n != 1 || calls != 1 {
		t.Fatalf("attempts %d, calls %d; want 1", n, calls)
	}
	if !errors.Is(err, errBusy) || err.Error() != "bad request: busy" {
		t.Errorf("err = %v, want the permanent error without its marker", err)
	}
}

func TestDoGivesUpAfterMaxAttempts(t *testing.T) {
	n, err := retry.Do(context.Background(), retry.Options{
		BackOff: retry.ByAttempt(fixed(time.Second)), MaxAttempts: 4, Timer: &fakeTimer{},
	}, func(int) error { return errBusy })
	var ex *retry.ExhaustedError
	if n != 4 || !errors.As(err, &ex) || ex.Attempts != 4 || !errors.Is(err, errBusy) {
		t.Fatalf("Do = %d, %v; want 4 attempts and an ExhaustedError wrapping busy", n, err)
	}
	if err.Error() != "gave up after 4 attempts: busy" {
		t.Errorf("message %q", err)
	}
}

func TestDoGivesUpAtTimeLimit(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1000, 0)}
	b := retry.Exponential(time.Second, 4*time.Second, 10*time.Second, 0)
	b.Clock = clock
	tm := &fakeTimer{clock: clock}
	n, err := retry.Do(context.Background(), retry.Options{BackOff: b, MaxAttempts: 100, Timer: tm},
		func(int) error { return errBusy })
	var ex *retry.ExhaustedError
	if !errors.As(err, &ex) || ex.TimeLimit != 10*time.Second {
		t.Fatalf("err = %v, want an ExhaustedError at the 10s limit", err)
	}
	// After waits 1, 2, 4 (7s), another 4s would pass the 10s limit.
	if n != 4 || fmt.Sprint(tm.waits) != "[1s 2s 4s]" {
		t.Errorf("attempts %d, waits %v", n, tm.waits)
	}
}

type throttled struct{ after time.Duration }

func (e *throttled) Error() string { return "429" }

func TestDoHonoursRetryAfter(t *testing.T) {
	tm := &fakeTimer{}
	errs := []error{&throttled{after: 20 * time.Second}, &throttled{after: time.Hour}, &throttled{after: time.Millisecond}}
	_, err := retry.Do(context.Background(), retry.Options{
		BackOff: retry.ByAttempt(fixed(time.Second)), Timer: tm, MaxRetryAfter: time.Minute,
		RetryAfter: func(err error) time.Duration {
			var th *throttled
			if errors.As(err, &th) {
				return th.after
			}
			return 0
		},
	}, func(attempt int) error {
		if attempt <= len(errs) {
			return errs[attempt-1]
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Longer Retry-After wins, capped at MaxRetryAfter; shorter is ignored.
	if got := fmt.Sprint(tm.waits); got != "[20s 1m0s 1s]" {
		t.Errorf("waits %s, want [20s 1m0s 1s]", got)
	}
}

func TestDoReturnsContextErrorJoinedWithLastError(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n, err := retry.Do(ctx, retry.Options{
		BackOff: retry.ByAttempt(fixed(time.Hour)), Timer: &fakeTimer{hold: true},
		Notify: func(int, error, time.Duration) { cancel() },
	}, func(int) error { return errBusy })
	if n != 1 || !errors.Is(err, context.Canceled) || !errors.Is(err, errBusy) {
		t.Fatalf("Do = %d, %v; want 1 attempt, context.Canceled joined with busy", n, err)
	}
}

func TestDoDefaultBackOffIsExponential(t *testing.T) {
	tm := &fakeTimer{}
	_, err := retry.Do(context.Background(), retry.Options{MaxAttempts: 3, Timer: tm}, func(int) error { return errBusy })
	if err == nil || len(tm.waits) != 2 {
		t.Fatalf("err %v, waits %v", err, tm.waits)
	}
	lo, hi := retry.DefaultInitialInterval/2, retry.DefaultInitialInterval*3/2
	if w := tm.waits[0]; w < lo || w > hi {
		t.Errorf("first wait %s outside [%s, %s]", w, lo, hi)
	}
}
