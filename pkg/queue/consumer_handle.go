package queue

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"
)

// minRenewWait keeps adaptive renewal from spinning when a lock is about
// to expire.
const minRenewWait = 10 * time.Millisecond

// handle runs the handler for m with its lock renewed, then settles m.
func (c *Consumer) handle(hctx context.Context, m *Received) {
	mctx, cancel := context.WithCancelCause(hctx)
	defer cancel(nil)
	stop := make(chan struct{})
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		c.renewLoop(mctx, stop, m, cancel)
	}()

	start := time.Now()
	err := c.call(mctx, m)
	elapsed := time.Since(start)
	close(stop)
	<-renewed

	if cause := context.Cause(mctx); errors.Is(cause, ErrLockLost) {
		c.report(Settlement{MessageID: m.ID, DeliveryCount: m.DeliveryCount, Outcome: LockLost, Duration: elapsed, Err: cause})
		c.log.Info("queue consumer: lock lost while handling; another receiver may have the message",
			"message_id", m.ID, "delivery", m.DeliveryCount, "handler_err", err)
		return
	}
	c.settle(hctx, m, err, elapsed)
}

// call runs the handler, turning a panic into an error (the message is
// then abandoned, and dead-lettered by the queue if it keeps panicking).
func (c *Consumer) call(ctx context.Context, m *Received) (err error) {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("queue consumer: handler panicked", "message_id", m.ID, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("queue: handler panic: %v", r)
		}
	}()
	return c.cfg.Handler.Handle(ctx, m)
}

// renewLoop renews m's lock until stop is closed or ctx ends. On
// ErrLockLost it cancels the handler's context with that cause. It renews
// a private copy of m so that the handler may read m without a data race.
func (c *Consumer) renewLoop(ctx context.Context, stop <-chan struct{}, m *Received, cancel context.CancelCauseFunc) {
	held := *m
	timer := time.NewTimer(c.renewWait(&held))
	defer timer.Stop()
	for {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		err := c.cfg.Queue.RenewLock(ctx, &held)
		switch {
		case err == nil:
		case errors.Is(err, ErrLockLost):
			cancel(fmt.Errorf("renewing lock of %q: %w", m.ID, err))
			return
		case ctx.Err() != nil:
			return
		default:
			c.log.Warn("queue consumer: lock renewal failed; will retry", "message_id", m.ID, "err", err, "locked_until", held.LockedUntil)
		}
		timer.Reset(c.renewWait(&held))
	}
}

func (c *Consumer) renewWait(m *Received) time.Duration {
	if c.cfg.LockRenewInterval > 0 {
		return c.cfg.LockRenewInterval
	}
	if m.LockedUntil.IsZero() {
		return 10 * time.Second
	}
	return max(time.Until(m.LockedUntil)/2, minRenewWait)
}

// settle completes, dead-letters or abandons m according to the handler's
// error herr.
func (c *Consumer) settle(hctx context.Context, m *Received, herr error, elapsed time.Duration) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(hctx), c.cfg.SettleTimeout)
	defer cancel()
	var (
		outcome Outcome
		err     error
	)
	switch {
	case herr == nil:
		outcome, err = Completed, c.cfg.Queue.Complete(ctx, m)
	case IsPermanent(herr):
		_, desc := ClampDeadLetter("", herr.Error())
		outcome, err = DeadLettered, c.cfg.Queue.DeadLetter(ctx, m, ReasonHandlerPermanentError, desc)
	default:
		outcome, err = Abandoned, c.cfg.Queue.Abandon(ctx, m)
	}
	attrs := []any{"message_id", m.ID, "delivery", m.DeliveryCount, "duration", elapsed}
	switch {
	case err == nil:
		c.report(Settlement{MessageID: m.ID, DeliveryCount: m.DeliveryCount, Outcome: outcome, Duration: elapsed, Err: herr})
		switch outcome {
		case Completed:
			c.log.Debug("queue consumer: message completed", attrs...)
		case DeadLettered:
			c.log.Error("queue consumer: message dead-lettered", append(attrs, "err", herr)...)
		default:
			c.log.Warn("queue consumer: message abandoned for redelivery", append(attrs, "err", herr)...)
		}
	case errors.Is(err, ErrLockLost):
		c.report(Settlement{MessageID: m.ID, DeliveryCount: m.DeliveryCount, Outcome: LockLost, Duration: elapsed, Err: err})
		c.log.Info("queue consumer: lock lost before settlement; another receiver may have the message",
			append(attrs, "wanted", outcome.String(), "handler_err", herr, "err", err)...)
	default:
		c.report(Settlement{MessageID: m.ID, DeliveryCount: m.DeliveryCount, Outcome: SettleFailed, Duration: elapsed, Err: err})
		c.log.Error("queue consumer: settlement failed; the message will be redelivered when its lock expires",
			append(attrs, "wanted", outcome.String(), "handler_err", herr, "err", err)...)
	}
}

func (c *Consumer) report(s Settlement) {
	if c.cfg.OnSettle != nil {
		c.cfg.OnSettle(s)
	}
}
