package filequeue

import (
	"context"
	"fmt"
	"time"

	"github.com/dumpflow/dumpflow/pkg/logdb"

	"github.com/dumpflow/dumpflow/pkg/queue"
)

// ReasonCorruptRecord is the dead-letter reason of a stored message that
// could not be decoded; its raw bytes are kept as the body.
const ReasonCorruptRecord = "CorruptRecord"

// Receive waits until a message is available and returns up to max of
// them, each locked for the lock duration with its delivery count
// incremented. A message already delivered MaxDeliveries times whose lock
// expired is dead-lettered with queue.ReasonMaxDeliveries instead of being
// delivered. While nothing is available, Receive wakes at once on a Send or
// Abandon in this process, when the earliest scheduled message or lock
// expiry falls due, and at least every PollInterval to see other
// processes' sends. It returns ctx.Err() when ctx ends first and
// queue.ErrClosed when the Queue is closed.
func (q *Queue) Receive(ctx context.Context, max int) ([]*queue.Received, error) {
	if max < 1 {
		return nil, fmt.Errorf("filequeue: receive max %d must be at least 1", max)
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
			return nil, fmt.Errorf("filequeue: receive from %s: %w", q.name, err)
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

// receiveOnce locks up to max due messages in one transaction. With none
// due it returns the time (Unix ns) when the next one falls due, or 0.
func (q *Queue) receiveOnce(ctx context.Context, max int) ([]*queue.Received, int64, error) {
	var (
		out  []*queue.Received
		next int64
	)
	err := q.file.db.Update(ctx, func(tx *logdb.Tx) error {
		out, next = nil, 0
		b, err := openBuckets(tx)
		if err != nil {
			return err
		}
		now := time.Now().UnixNano()
		changed := false
		for len(out) < max {
			var due [][]byte
			next = 0
			c := b.ready.Cursor()
			for k, _ := c.First(); k != nil && len(due) < max-len(out); k, _ = c.Next() {
				if len(k) != 16 {
					return fmt.Errorf("%w: ready key of %d bytes", errCorrupt, len(k))
				}
				if vis := int64(beUint64(k)); vis > now {
					next = vis
					break
				}
				due = append(due, append([]byte(nil), k...))
			}
			if len(due) == 0 {
				break
			}
			changed = true
			for _, k := range due {
				m, err := q.deliver(b, k, now)
				if err != nil {
					return err
				}
				if m != nil {
					out = append(out, m)
				}
			}
		}
		if !changed {
			return logdb.ErrNoChange
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return out, next, nil
}

// deliver locks the message at ready key k, or dead-letters it when it
// has used up its deliveries or cannot be decoded. It returns nil for a
// message that was not delivered.
func (q *Queue) deliver(b *buckets, k []byte, now int64) (*queue.Received, error) {
	seq := beUint64(k[8:])
	if err := b.ready.Delete(k); err != nil {
		return nil, err
	}
	raw := b.msgs.Get(k[8:])
	if raw == nil {
		return nil, nil // index entry without a message: drop it
	}
	rec, err := decodeRecord(raw)
	if err != nil {
		bad := &record{ID: fmt.Sprintf("corrupt-%d", seq), Body: append([]byte(nil), raw...), EnqueuedAt: now}
		return nil, moveToDead(b, seq, bad, ReasonCorruptRecord, err.Error(), now)
	}
	if int(rec.DeliveryCount) >= q.opts.MaxDeliveries {
		desc := fmt.Sprintf("lock expired on delivery %d of at most %d", rec.DeliveryCount, q.opts.MaxDeliveries)
		return nil, moveToDead(b, seq, rec, queue.ReasonMaxDeliveries, desc, now)
	}
	rec.DeliveryCount++
	rec.LockToken = newLockToken(seq)
	rec.LockedUntil = now + q.opts.LockDuration.Nanoseconds()
	rec.VisibleAt = rec.LockedUntil
	if err := putLive(b, seq, rec); err != nil {
		return nil, err
	}
	return toReceived(rec), nil
}
