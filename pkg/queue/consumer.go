package queue

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dumpflow/dumpflow/pkg/retry"
)

// Defaults for the zero values of Config.
const (
	DefaultConcurrency   = 1
	DefaultShutdownGrace = 30 * time.Second
	DefaultSettleTimeout = 30 * time.Second
	// NoShutdownGrace as Config.ShutdownGrace cancels in-flight handlers
	// as soon as Run's context ends (any negative grace does).
	NoShutdownGrace = time.Duration(-1)
)

// Config configures a Consumer. Queue and Handler are required; every
// other zero value means the documented default.
type Config struct {
	// Queue to receive from. The Consumer does not close it.
	Queue Queue
	// Handler processes each message.
	Handler Handler
	// Concurrency is the most messages handled at once; the Consumer
	// receives only as many messages as it has free slots, so no message
	// waits locked in a buffer. Zero means DefaultConcurrency.
	Concurrency int
	// LockRenewInterval is how often a message's lock is renewed while its
	// handler runs. Zero means adaptively: each renewal happens when half
	// of the remaining lock time has passed.
	LockRenewInterval time.Duration
	// ShutdownGrace is how long in-flight handlers may keep running after
	// Run's context ends before their contexts are cancelled. Zero means
	// DefaultShutdownGrace; NoShutdownGrace means no grace at all.
	ShutdownGrace time.Duration
	// SettleTimeout bounds each Complete, Abandon or DeadLetter call.
	// Zero means DefaultSettleTimeout.
	SettleTimeout time.Duration
	// Logger receives the consumer's logs. Nil means slog.Default().
	Logger *slog.Logger
	// Backoff returns how long to wait after the attempt-th consecutive
	// failed Receive (attempt ≥ 1). Nil means retry.Exponential from
	// retry.DefaultInitialInterval (100 ms) doubling up to
	// retry.DefaultMaxInterval (30 s), randomized by ±50 %.
	Backoff func(attempt int) time.Duration
	// OnSettle, if set, is called after each message is settled (or its
	// settlement failed), for metrics. It is called from handler
	// goroutines, concurrently, and must not block for long.
	OnSettle func(Settlement)
}

// Outcome is what became of a handled message.
type Outcome int

// Outcomes reported in a Settlement.
const (
	Completed    Outcome = iota + 1 // handler succeeded; message completed
	Abandoned                       // handler failed; message released for redelivery
	DeadLettered                    // handler failed permanently; message dead-lettered
	LockLost                        // lock lost before settlement; another receiver may have it
	SettleFailed                    // settlement call failed; the lock expiry will redeliver it
)

func (o Outcome) String() string {
	switch o {
	case Completed:
		return "completed"
	case Abandoned:
		return "abandoned"
	case DeadLettered:
		return "dead-lettered"
	case LockLost:
		return "lock-lost"
	case SettleFailed:
		return "settle-failed"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Settlement reports one handled message to Config.OnSettle.
type Settlement struct {
	MessageID     string
	DeliveryCount int
	Outcome       Outcome
	// Duration is how long the handler ran.
	Duration time.Duration
	// Err is the handler's error (nil when it succeeded), or the
	// settlement error for LockLost and SettleFailed.
	Err error
}

// Consumer is the receive loop shared by every dumpflow service: it
// receives with bounded concurrency, renews locks while handlers run,
// settles each message by its handler's result, and shuts down without
// ever completing unfinished work.
type Consumer struct {
	cfg     Config
	log     *slog.Logger
	started atomic.Bool
}

// NewConsumer validates cfg and returns a Consumer.
func NewConsumer(cfg Config) (*Consumer, error) {
	switch {
	case cfg.Queue == nil:
		return nil, errors.New("queue: consumer config: nil Queue")
	case cfg.Handler == nil:
		return nil, errors.New("queue: consumer config: nil Handler")
	case cfg.Concurrency < 0:
		return nil, fmt.Errorf("queue: consumer config: negative Concurrency %d", cfg.Concurrency)
	case cfg.LockRenewInterval < 0:
		return nil, fmt.Errorf("queue: consumer config: negative LockRenewInterval %v", cfg.LockRenewInterval)
	case cfg.SettleTimeout < 0:
		return nil, fmt.Errorf("queue: consumer config: negative SettleTimeout %v", cfg.SettleTimeout)
	}
	cfg.Concurrency = cmp.Or(cfg.Concurrency, DefaultConcurrency)
	cfg.ShutdownGrace = cmp.Or(cfg.ShutdownGrace, DefaultShutdownGrace)
	cfg.SettleTimeout = cmp.Or(cfg.SettleTimeout, DefaultSettleTimeout)
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Consumer{cfg: cfg, log: log}, nil
}

// errShutdown is the cancellation cause of handlers still running when the
// shutdown grace period ends.
var errShutdown = errors.New("queue: consumer shut down")

// Run receives and handles messages until ctx ends. Then it stops
// receiving, lets in-flight handlers run for ShutdownGrace, cancels the
// contexts of those still running, waits for all of them to return and
// settles their messages (a handler that returns an error then has its
// message abandoned, never completed). Run returns nil after a shutdown by
// ctx, or an error wrapping ErrClosed if the queue was closed under it.
// Failed receives are logged and retried with Backoff. Run may be called
// only once.
func (c *Consumer) Run(ctx context.Context) error {
	if !c.started.CompareAndSwap(false, true) {
		return errors.New("queue: Consumer.Run called twice")
	}
	hctx, cancelHandlers := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancelHandlers(nil)

	var wg sync.WaitGroup
	slots := make(chan struct{}, c.cfg.Concurrency)
	runErr := c.receiveLoop(ctx, hctx, slots, &wg)

	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone) }()
	if c.cfg.ShutdownGrace > 0 {
		timer := time.NewTimer(c.cfg.ShutdownGrace)
		select {
		case <-allDone:
		case <-timer.C:
			c.log.Warn("queue consumer: shutdown grace over, cancelling in-flight handlers", "grace", c.cfg.ShutdownGrace)
		}
		timer.Stop()
	}
	cancelHandlers(errShutdown)
	<-allDone
	return runErr
}

// receiveLoop receives while slots are free, starting one goroutine per
// message (counted in wg), until ctx ends or the queue is closed. Failed
// receives are retried with the Backoff, counted from 1 after each success.
func (c *Consumer) receiveLoop(ctx, hctx context.Context, slots chan struct{}, wg *sync.WaitGroup) error {
	opts := retry.Options{
		BackOff: retry.Exponential(retry.DefaultInitialInterval, retry.DefaultMaxInterval, 0, retry.DefaultJitter),
		Notify: func(attempt int, err error, wait time.Duration) {
			c.log.Warn("queue consumer: receive failed", "err", err, "attempt", attempt, "retry_in", wait)
		},
	}
	if c.cfg.Backoff != nil {
		opts.BackOff = retry.ByAttempt(c.cfg.Backoff)
	}
	for {
		var valid []*Received
		_, err := retry.Do(ctx, opts, func(int) error {
			var err error
			valid, err = c.receive(ctx, hctx, slots)
			if errors.Is(err, ErrClosed) {
				return retry.Permanent(err)
			}
			return err
		})
		if ctx.Err() != nil && len(valid) == 0 {
			return nil
		}
		if err != nil {
			return fmt.Errorf("queue: consumer stopped: %w", err)
		}
		for _, m := range valid {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-slots }()
				c.handle(hctx, m)
			}()
		}
	}
}

// receive takes at least one free slot (waiting for it), asks the queue for
// as many messages as there are free slots, and returns the messages it
// got, each holding a slot; the other slots are freed. The error is nil
// when at least one message came.
func (c *Consumer) receive(ctx, hctx context.Context, slots chan struct{}) ([]*Received, error) {
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	n := 1
fill:
	for n < cap(slots) {
		select {
		case slots <- struct{}{}:
			n++
		default:
			break fill
		}
	}
	msgs, err := c.cfg.Queue.Receive(ctx, n)
	var valid []*Received
	for _, m := range msgs {
		switch {
		case m == nil:
		case len(valid) == n:
			// A backend bug: more messages than asked for. Release
			// the extras rather than hold them without a slot.
			c.settle(hctx, m, errors.New("queue: backend returned more messages than requested"), 0)
		default:
			valid = append(valid, m)
		}
	}
	for range n - len(valid) {
		<-slots
	}
	if len(valid) > 0 {
		return valid, nil
	}
	return nil, err
}
