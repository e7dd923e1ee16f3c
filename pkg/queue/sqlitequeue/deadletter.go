package sqlitequeue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/dumpflow/dumpflow/pkg/queue"
)

// deadRow is a row of dead_letters.
type deadRow struct {
	seq           int64
	c             content
	stored        int64
	deliveryCount int
	reason        string
	description   string
	deadAt        int64
}

const deadColumns = `seq, id, body, properties, enqueued_at, scheduled_at, checksum, delivery_count, reason, description, dead_lettered_at`

func scanDead(s interface{ Scan(...any) error }) (*deadRow, error) {
	r := &deadRow{}
	err := s.Scan(&r.seq, &r.c.id, &r.c.body, &r.c.properties, &r.c.enqueuedAt, &r.c.scheduledAt, &r.stored,
		&r.deliveryCount, &r.reason, &r.description, &r.deadAt)
	return r, err
}

// verify returns the *CorruptMessageError of a row that fails its
// checksum, or nil.
func (r *deadRow) verify(file string) *CorruptMessageError {
	if sum := r.c.checksum(); sum != r.stored {
		return &CorruptMessageError{File: file, Table: "dead_letters", Seq: r.seq, ID: r.c.id, Stored: r.stored, Computed: sum}
	}
	return nil
}

// DeadLetters lists up to max dead-lettered messages, oldest first. A row
// that fails its checksum is listed as it is stored, with reason
// ReasonCorruptMessage and a description naming the damage (and, when it
// was dead-lettered for another reason, that reason).
func (q *Queue) DeadLetters(ctx context.Context, max int) ([]queue.DeadLetter, error) {
	if max < 1 {
		return nil, fmt.Errorf("sqlitequeue: dead letters max %d must be at least 1", max)
	}
	if err := q.begin(); err != nil {
		return nil, err
	}
	defer q.end()
	out, err := q.deadLetters(ctx, max)
	if err != nil {
		return nil, fmt.Errorf("sqlitequeue: list dead letters of %s: %w", q.name, explain(q.path, err))
	}
	return out, nil
}

func (q *Queue) deadLetters(ctx context.Context, max int) ([]queue.DeadLetter, error) {
	rows, err := q.file.db.QueryContext(ctx, `SELECT `+deadColumns+` FROM dead_letters ORDER BY seq LIMIT ?`, max)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []queue.DeadLetter
	for rows.Next() {
		r, err := scanDead(rows)
		if err != nil {
			return nil, err
		}
		d := queue.DeadLetter{
			Message: queue.Message{
				ID:          r.c.id,
				ScheduledAt: toTime(r.c.scheduledAt),
			},
			Reason:        r.reason,
			Description:   r.description,
			DeliveryCount: r.deliveryCount,
			EnqueuedAt:    toTime(r.c.enqueuedAt),
			DeadLetterAt:  toTime(r.deadAt),
		}
		if len(r.c.body) > 0 {
			d.Body = r.c.body
		}
		if bad := r.verify(q.path); bad != nil {
			if r.reason != ReasonCorruptMessage {
				d.Description = fmt.Sprintf("%s (dead-lettered earlier with reason %s: %s)", bad.Error(), r.reason, r.description)
			}
			d.Reason, d.Description = queue.ClampDeadLetter(ReasonCorruptMessage, d.Description)
		} else if d.Properties, err = decodeProperties(r.c.properties); err != nil {
			return nil, fmt.Errorf("dead letter %q (seq %d): %w", r.c.id, r.seq, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Resubmit moves the oldest dead-lettered message with the given ID back to
// the queue, available at once, with a delivery count of zero and a new
// enqueue time. Duplicate detection does not apply to a resubmission. It
// fails with an error wrapping queue.ErrNotFound when no dead letter has
// that ID, and with a *CorruptMessageError when that row fails its
// checksum (a damaged message is never put back).
func (q *Queue) Resubmit(ctx context.Context, id string) error {
	if err := q.begin(); err != nil {
		return err
	}
	defer q.end()
	err := q.file.do(ctx, func(b *batch) error {
		r, err := scanDead(b.tx.QueryRowContext(b.ctx, `SELECT `+deadColumns+` FROM dead_letters WHERE id = ? ORDER BY seq LIMIT 1`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return queue.ErrNotFound
		}
		if err != nil {
			return err
		}
		if bad := r.verify(q.path); bad != nil {
			return bad
		}
		if _, err := b.tx.ExecContext(b.ctx, `DELETE FROM dead_letters WHERE seq = ?`, r.seq); err != nil {
			return err
		}
		c := r.c
		c.enqueuedAt, c.scheduledAt = b.now, 0
		return insertMessage(b.ctx, b.tx.StmtContext(b.ctx, q.file.stmts.insert), &c, b.now)
	})
	if err != nil {
		return fmt.Errorf("sqlitequeue: resubmit %q in %s: %w", id, q.name, explain(q.path, err))
	}
	q.file.notify()
	return nil
}
