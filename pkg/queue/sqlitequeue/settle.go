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
	return q.settle(ctx, m, "complete", func(tx *sql.Tx, seq int64, _ int, _ int64) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM messages WHERE seq = ?`, seq)
		return err
	})
}

// Abandon unlocks the message for immediate redelivery, or dead-letters it
// with queue.ReasonMaxDeliveries when it was delivered MaxDeliveries times.
func (q *Queue) Abandon(ctx context.Context, m *queue.Received) error {
	err := q.settle(ctx, m, "abandon", func(tx *sql.Tx, seq int64, deliveries int, now int64) error {
		if deliveries >= q.opts.MaxDeliveries {
			desc := fmt.Sprintf("abandoned on delivery %d of at most %d", deliveries, q.opts.MaxDeliveries)
			return moveToDeadLetters(ctx, tx, seq, queue.ReasonMaxDeliveries, desc, now)
		}
		_, err := tx.ExecContext(ctx, `UPDATE messages SET lock_token = '', locked_until = 0, visible_at = ? WHERE seq = ?`, now, seq)
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
	return q.settle(ctx, m, "dead-letter", func(tx *sql.Tx, seq int64, _ int, now int64) error {
		return moveToDeadLetters(ctx, tx, seq, reason, description, now)
	})
}

// RenewLock extends m's lock to now plus the lock duration and updates
// m.LockedUntil.
func (q *Queue) RenewLock(ctx context.Context, m *queue.Received) error {
	var until int64
	err := q.settle(ctx, m, "renew lock of", func(tx *sql.Tx, seq int64, _ int, now int64) error {
		until = now + q.opts.LockDuration.Nanoseconds()
		_, err := tx.ExecContext(ctx, `UPDATE messages SET locked_until = ?, visible_at = ? WHERE seq = ?`, until, until, seq)
		return err
	})
	if err == nil {
		m.LockedUntil = toTime(until)
	}
	return err
}

// settle runs fn, in one transaction, on the message row m holds a live
// lock on; fn gets the row's seq, its delivery count and the time.
func (q *Queue) settle(ctx context.Context, m *queue.Received, op string, fn func(tx *sql.Tx, seq int64, deliveries int, now int64) error) error {
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
	err = func() error {
		tx, err := q.file.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		var (
			token      string
			until      int64
			deliveries int
		)
		err = tx.QueryRowContext(ctx, `SELECT lock_token, locked_until, delivery_count FROM messages WHERE seq = ?`, seq).
			Scan(&token, &until, &deliveries)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: message settled already", queue.ErrLockLost)
		}
		if err != nil {
			return err
		}
		now := time.Now().UnixNano()
		switch {
		case token != m.LockToken:
			return fmt.Errorf("%w: message was redelivered (delivery %d)", queue.ErrLockLost, deliveries)
		case until <= now:
			return fmt.Errorf("%w: lock expired %v ago", queue.ErrLockLost, time.Duration(now-until))
		}
		if err := fn(tx, seq, deliveries, now); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		q.file.dirty.Store(true)
		return nil
	}()
	if err != nil {
		return fmt.Errorf("sqlitequeue: %s %q in %s: %w", op, m.ID, q.name, explain(q.path, err))
	}
	return nil
}
