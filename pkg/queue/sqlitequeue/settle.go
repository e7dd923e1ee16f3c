package sqlitequeue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/dumpflow/dumpflow/pkg/queue"
)

// Complete deletes the message for good. It fails with an error wrapping
// queue.ErrLockLost when m's lock expired or m was settled already.
func (q *Queue) Complete(ctx context.Context, m *queue.Received) error {
	return q.settle(ctx, m, "complete", func(b *batch, seq int64, _ int) error {
		_, err := b.tx.ExecContext(b.ctx, `DELETE FROM messages WHERE seq = ?`, seq)
		return err
	})
}

// Abandon unlocks the message for immediate redelivery, or dead-letters it
// with queue.ReasonMaxDeliveries when it was delivered MaxDeliveries times.
func (q *Queue) Abandon(ctx context.Context, m *queue.Received) error {
	err := q.settle(ctx, m, "abandon", func(b *batch, seq int64, deliveries int) error {
		if deliveries >= q.opts.MaxDeliveries {
			desc := fmt.Sprintf("abandoned on delivery %d of at most %d", deliveries, q.opts.MaxDeliveries)
			return moveToDeadLetters(b.ctx, b.tx, seq, queue.ReasonMaxDeliveries, desc, b.now)
		}
		_, err := b.tx.ExecContext(b.ctx, `UPDATE messages SET lock_token = '', locked_until = 0, visible_at = ? WHERE seq = ?`, b.now, seq)
		return err
	})
	if err == nil {
		q.file.notify()
	}
	return err
}

// DeadLetter moves the message to the dead-letter sub-queue. reason and
// description are cut to the limits of queue.ClampDeadLetter.
func (q *Queue) DeadLetter(ctx context.Context, m *queue.Received, reason, description string) error {
	return q.settle(ctx, m, "dead-letter", func(b *batch, seq int64, _ int) error {
		return moveToDeadLetters(b.ctx, b.tx, seq, reason, description, b.now)
	})
}

// RenewLock extends m's lock to now plus the lock duration and updates
// m.LockedUntil.
func (q *Queue) RenewLock(ctx context.Context, m *queue.Received) error {
	var until int64
	err := q.settle(ctx, m, "renew lock of", func(b *batch, seq int64, _ int) error {
		until = b.now + q.opts.LockDuration.Nanoseconds()
		_, err := b.tx.ExecContext(b.ctx, `UPDATE messages SET locked_until = ?, visible_at = ? WHERE seq = ?`, until, until, seq)
		return err
	})
	if err == nil {
		m.LockedUntil = toTime(until)
	}
	return err
}

// settle runs fn, in the committer's next transaction, on the message row
// m holds a live lock on; fn gets the row's seq and delivery count.
func (q *Queue) settle(ctx context.Context, m *queue.Received, op string, fn func(b *batch, seq int64, deliveries int) error) error {
	if m == nil {
		return fmt.Errorf("sqlitequeue: %s: nil message", op)
	}
	seq, err := parseLockToken(m.LockToken)
	if err != nil {
		return fmt.Errorf("sqlitequeue: %s %q: %w", op, m.ID, err)
	}
	if err := q.begin(); err != nil {
		return err
	}
	defer q.end()
	err = q.file.do(ctx, func(b *batch) error {
		var (
			token      string
			until      int64
			deliveries int
		)
		err := b.tx.QueryRowContext(b.ctx, `SELECT lock_token, locked_until, delivery_count FROM messages WHERE seq = ?`, seq).
			Scan(&token, &until, &deliveries)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: message settled already", queue.ErrLockLost)
		}
		if err != nil {
			return err
		}
		switch {
		case token != m.LockToken:
			return fmt.Errorf("%w: message was redelivered (delivery %d)", queue.ErrLockLost, deliveries)
		case until <= b.now:
			return fmt.Errorf("%w: lock expired %v ago", queue.ErrLockLost, time.Duration(b.now-until))
		}
		return fn(b, seq, deliveries)
	})
	if err != nil {
		return fmt.Errorf("sqlitequeue: %s %q in %s: %w", op, m.ID, q.name, explain(q.path, err))
	}
	return nil
}
