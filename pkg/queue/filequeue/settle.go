package filequeue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dumpflow/dumpflow/pkg/logdb"
	"github.com/dumpflow/dumpflow/pkg/queue"
)

// Complete deletes the message for good. It fails with an error wrapping
// queue.ErrLockLost when m's lock expired or m was settled already.
func (q *Queue) Complete(ctx context.Context, m *queue.Received) error {
	return q.settle(ctx, m, "complete", func(b *buckets, seq uint64, rec *record, now int64) error {
		if err := b.ready.Delete(readyKey(rec.VisibleAt, seq)); err != nil {
			return err
		}
		return b.msgs.Delete(u64(seq))
	})
}

// Abandon unlocks the message for immediate redelivery, or dead-letters it
// with queue.ReasonMaxDeliveries when it was delivered MaxDeliveries times.
func (q *Queue) Abandon(ctx context.Context, m *queue.Received) error {
	err := q.settle(ctx, m, "abandon", func(b *buckets, seq uint64, rec *record, now int64) error {
		if int(rec.DeliveryCount) >= q.opts.MaxDeliveries {
			desc := fmt.Sprintf("abandoned on delivery %d of at most %d", rec.DeliveryCount, q.opts.MaxDeliveries)
			return moveToDead(b, seq, rec, queue.ReasonMaxDeliveries, desc, now)
		}
		if err := b.ready.Delete(readyKey(rec.VisibleAt, seq)); err != nil {
			return err
		}
		rec.LockToken, rec.LockedUntil, rec.VisibleAt = "", 0, now
		return putLive(b, seq, rec)
	})
	if err == nil {
		q.file.notify()
	}
	return err
}

// DeadLetter moves the message to the dead-letter sub-queue. reason and
// description are cut to the limits of queue.ClampDeadLetter.
func (q *Queue) DeadLetter(ctx context.Context, m *queue.Received, reason, description string) error {
	return q.settle(ctx, m, "dead-letter", func(b *buckets, seq uint64, rec *record, now int64) error {
		return moveToDead(b, seq, rec, reason, description, now)
	})
}

// RenewLock extends m's lock to now plus the lock duration and updates
// m.LockedUntil.
func (q *Queue) RenewLock(ctx context.Context, m *queue.Received) error {
	var until int64
	err := q.settle(ctx, m, "renew lock of", func(b *buckets, seq uint64, rec *record, now int64) error {
		if err := b.ready.Delete(readyKey(rec.VisibleAt, seq)); err != nil {
			return err
		}
		rec.LockedUntil = now + q.opts.LockDuration.Nanoseconds()
		rec.VisibleAt = rec.LockedUntil
		until = rec.LockedUntil
		return putLive(b, seq, rec)
	})
	if err == nil {
		m.LockedUntil = toTime(until)
	}
	return err
}

// settle runs fn on the record m holds a live lock on, in one transaction.
func (q *Queue) settle(ctx context.Context, m *queue.Received, op string, fn func(b *buckets, seq uint64, rec *record, now int64) error) error {
	if m == nil {
		return fmt.Errorf("filequeue: %s: nil message", op)
	}
	seq, err := parseLockToken(m.LockToken)
	if err != nil {
		return fmt.Errorf("filequeue: %s %q: %w", op, m.ID, err)
	}
	if err := q.begin(); err != nil {
		return err
	}
	defer q.end()
	err = q.file.db.Update(ctx, func(tx *logdb.Tx) error {
		b, err := openBuckets(tx)
		if err != nil {
			return err
		}
		now := time.Now().UnixNano()
		raw := b.msgs.Get(u64(seq))
		if raw == nil {
			return fmt.Errorf("%w: message settled already", queue.ErrLockLost)
		}
		rec, err := decodeRecord(raw)
		if err != nil {
			return err
		}
		switch {
		case rec.LockToken != m.LockToken:
			return fmt.Errorf("%w: message was redelivered (delivery %d)", queue.ErrLockLost, rec.DeliveryCount)
		case rec.LockedUntil <= now:
			return fmt.Errorf("%w: lock expired %v ago", queue.ErrLockLost, time.Duration(now-rec.LockedUntil))
		}
		return fn(b, seq, rec, now)
	})
	if err != nil {
		if errors.Is(err, queue.ErrClosed) {
			return err
		}
		return fmt.Errorf("filequeue: %s %q in %s: %w", op, m.ID, q.name, err)
	}
	return nil
}
