package sqlitequeue

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dumpflow/dumpflow/pkg/queue"
)

// Receive waits until a message is available and returns up to max of
// them, each locked for the lock duration with its delivery count
// incremented. A message already delivered MaxDeliveries times whose lock
// expired is dead-lettered with queue.ReasonMaxDeliveries instead of being
// delivered. While nothing is available, Receive wakes at once on a Send or
// Abandon in this process, when the earliest scheduled message or lock
// expiry falls due, and at least every PollInterval to see other
// processes' sends. It returns ctx.Err() when ctx ends first and
// queue.ErrClosed when the Queue is closed.
//
// A due message whose row fails its checksum is moved to the dead-letter
// queue with reason ReasonCorruptMessage, and that Receive call returns
// an error wrapping a *CorruptMessageError (and ErrCorrupt) that names the
// file, the row and the message ID, with no messages; the next call goes
// on with the rest. A queue.Consumer logs the error and receives again.
func (q *Queue) Receive(ctx context.Context, max int) ([]*queue.Received, error) {
	if max < 1 {
		return nil, fmt.Errorf("sqlitequeue: receive max %d must be at least 1", max)
	}
	if err := q.begin(); err != nil {
		return nil, err
	}
	defer q.end()
	var timer *time.Timer
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		wake := q.file.waiter()
		msgs, next, err := q.receiveOnce(ctx, max)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("sqlitequeue: receive from %s: %w", q.path, err)
		}
		if len(msgs) > 0 {
			return msgs, nil
		}
		wait := q.opts.PollInterval
		if next != 0 {
			wait = min(wait, time.Until(toTime(next))+time.Millisecond)
		}
		if timer == nil {
			timer = time.NewTimer(wait)
			defer timer.Stop()
		} else {
			timer.Reset(wait)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-q.done:
			return nil, queue.ErrClosed
		case <-wake:
		case <-timer.C:
		}
	}
}

// due is a message row read for delivery.
type due struct {
	seq           int64
	c             content
	stored        int64 // checksum column
	deliveryCount int
}

// receiveOnce locks up to max due messages in one transaction. With none
// due it returns the time (Unix ns) when the next one falls due, or 0.
func (q *Queue) receiveOnce(ctx context.Context, max int) ([]*queue.Received, int64, error) {
	db := q.file.db
	// A read first, so that an idle poll never takes the write lock.
	var first sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT min(visible_at) FROM messages`).Scan(&first); err != nil {
		return nil, 0, explain(q.path, err)
	}
	if !first.Valid {
		return nil, 0, nil
	}
	if first.Int64 > time.Now().UnixNano() {
		return nil, first.Int64, nil
	}
	var (
		out []*queue.Received
		bad []*CorruptMessageError
	)
	err := q.file.do(ctx, func(b *batch) error {
		out, bad = nil, nil
		for len(out) < max {
			rows, err := selectDue(b.ctx, b.tx, b.now, max-len(out))
			if err != nil || len(rows) == 0 {
				return err
			}
			// Damaged rows first, alone: they are moved aside and
			// reported, and nothing else is locked by this call.
			for _, r := range rows {
				if sum := r.c.checksum(); sum != r.stored {
					bad = append(bad, &CorruptMessageError{File: q.path, Table: "messages", Seq: r.seq, ID: r.c.id, Stored: r.stored, Computed: sum, DeadLettered: true})
				}
			}
			if len(bad) > 0 {
				out = nil
				for _, e := range bad {
					if err := moveToDeadLetters(b.ctx, b.tx, e.Seq, ReasonCorruptMessage, e.Error(), b.now); err != nil {
						return err
					}
				}
				return nil
			}
			for _, r := range rows {
				m, err := q.deliver(b.ctx, b.tx, r, b.now)
				if err != nil {
					return err
				}
				if m != nil {
					out = append(out, m)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, explain(q.path, err)
	}
	if len(bad) > 0 {
		return nil, 0, corruptErrors(bad)
	}
	return out, 0, nil
}

// selectDue reads up to n messages due at now, in delivery order.
func selectDue(ctx context.Context, tx *sql.Tx, now int64, n int) ([]*due, error) {
	rows, err := tx.QueryContext(ctx, `SELECT seq, id, body, properties, enqueued_at, scheduled_at, checksum, delivery_count
		FROM messages WHERE visible_at <= ? ORDER BY visible_at, seq LIMIT ?`, now, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*due
	for rows.Next() {
		r := &due{}
		if err := rows.Scan(&r.seq, &r.c.id, &r.c.body, &r.c.properties, &r.c.enqueuedAt, &r.c.scheduledAt, &r.stored, &r.deliveryCount); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// deliver locks due message r, or dead-letters it when it has used up its
// deliveries (returning nil).
func (q *Queue) deliver(ctx context.Context, tx *sql.Tx, r *due, now int64) (*queue.Received, error) {
	if r.deliveryCount >= q.opts.MaxDeliveries {
		desc := fmt.Sprintf("lock expired on delivery %d of at most %d", r.deliveryCount, q.opts.MaxDeliveries)
		return nil, moveToDeadLetters(ctx, tx, r.seq, queue.ReasonMaxDeliveries, desc, now)
	}
	props, err := decodeProperties(r.c.properties)
	if err != nil {
		return nil, fmt.Errorf("message %q (seq %d): %w", r.c.id, r.seq, err)
	}
	token := newLockToken(r.seq)
	until := now + q.opts.LockDuration.Nanoseconds()
	_, err = tx.ExecContext(ctx, `UPDATE messages SET delivery_count = delivery_count + 1,
		lock_token = ?, locked_until = ?, visible_at = ? WHERE seq = ?`, token, until, until, r.seq)
	if err != nil {
		return nil, err
	}
	m := &queue.Received{
		Message: queue.Message{
			ID:          r.c.id,
			Properties:  props,
			ScheduledAt: toTime(r.c.scheduledAt),
		},
		LockToken:     token,
		DeliveryCount: r.deliveryCount + 1,
		EnqueuedAt:    toTime(r.c.enqueuedAt),
		LockedUntil:   toTime(until),
	}
	if len(r.c.body) > 0 {
		m.Body = r.c.body
	}
	return m, nil
}

// decodeProperties parses a properties column whose checksum matched.
func decodeProperties(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	var p map[string]string
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return nil, fmt.Errorf("%w: properties column: %w", ErrCorrupt, err)
	}
	return p, nil
}

// moveToDeadLetters moves message row seq, content and checksum unchanged,
// to the dead-letter table with reason and description (clamped to the
// port's limits).
func moveToDeadLetters(ctx context.Context, tx *sql.Tx, seq int64, reason, description string, now int64) error {
	reason, description = queue.ClampDeadLetter(reason, description)
	_, err := tx.ExecContext(ctx, `INSERT INTO dead_letters
		(id, body, properties, enqueued_at, scheduled_at, checksum, delivery_count, reason, description, dead_lettered_at)
		SELECT id, body, properties, enqueued_at, scheduled_at, checksum, delivery_count, ?, ?, ?
		FROM messages WHERE seq = ?`, reason, description, now, seq)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM messages WHERE seq = ?`, seq)
	return err
}
