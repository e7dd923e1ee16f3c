package filequeue

import (
	"context"
	"fmt"
	"time"

	"github.com/dumpflow/dumpflow/pkg/logdb"
	"github.com/dumpflow/dumpflow/pkg/queue"
)

// DeadLetters lists up to max dead-lettered messages, oldest first.
func (q *Queue) DeadLetters(ctx context.Context, max int) ([]queue.DeadLetter, error) {
	if max < 1 {
		return nil, fmt.Errorf("filequeue: dead letters max %d must be at least 1", max)
	}
	if err := q.begin(); err != nil {
		return nil, err
	}
	defer q.end()
	var out []queue.DeadLetter
	err := q.file.db.View(ctx, func(tx *logdb.Tx) error {
		out = nil
		b, err := openBuckets(tx)
		if err != nil {
			return err
		}
		c := b.dead.Cursor()
		for k, v := c.First(); k != nil && len(out) < max; k, v = c.Next() {
			rec, err := decodeRecord(v)
			if err != nil {
				return fmt.Errorf("dead letter %x: %w", k, err)
			}
			out = append(out, queue.DeadLetter{
				Message: queue.Message{
					ID:          rec.ID,
					Body:        rec.Body,
					Properties:  rec.Properties,
					ScheduledAt: toTime(rec.ScheduledAt),
				},
				Reason:        rec.Reason,
				Description:   rec.Description,
				DeliveryCount: int(rec.DeliveryCount),
				EnqueuedAt:    toTime(rec.EnqueuedAt),
				DeadLetterAt:  toTime(rec.DeadLetterAt),
			})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("filequeue: list dead letters of %s: %w", q.name, err)
	}
	return out, nil
}

// Resubmit moves the oldest dead-lettered message with the given ID back to
// the queue, available at once, with a delivery count of zero and a new
// enqueue time. Duplicate detection does not apply to a resubmission. It
// fails with an error wrapping queue.ErrNotFound when no dead letter has
// that ID. Finding the ID scans the dead-letter sub-queue.
func (q *Queue) Resubmit(ctx context.Context, id string) error {
	if err := q.begin(); err != nil {
		return err
	}
	defer q.end()
	err := q.file.db.Update(ctx, func(tx *logdb.Tx) error {
		b, err := openBuckets(tx)
		if err != nil {
			return err
		}
		var key []byte
		var rec *record
		c := b.dead.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			r, err := decodeRecord(v)
			if err != nil {
				continue // listed as an error by DeadLetters; cannot match id
			}
			if r.ID == id {
				key, rec = append([]byte(nil), k...), r
				break
			}
		}
		if rec == nil {
			return queue.ErrNotFound
		}
		if err := b.dead.Delete(key); err != nil {
			return err
		}
		seq, err := b.msgs.NextSequence()
		if err != nil {
			return err
		}
		now := time.Now().UnixNano()
		rec.DeliveryCount, rec.EnqueuedAt, rec.ScheduledAt, rec.VisibleAt = 0, now, 0, now
		rec.Reason, rec.Description, rec.DeadLetterAt = "", "", 0
		return putLive(b, seq, rec)
	})
	if err != nil {
		return fmt.Errorf("filequeue: resubmit %q in %s: %w", id, q.name, err)
	}
	q.file.notify()
	return nil
}
