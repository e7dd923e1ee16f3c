// Package memqueue is an in-memory queue.Queue with the same peek-lock
// semantics as the durable backends (lock duration and renewal, delivery
// count, dead-lettering after MaxDeliveries, scheduled delivery, duplicate
// detection), for unit tests and examples. Nothing survives the process;
// use sqlitequeue for anything that must.
package memqueue

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/dumpflow/dumpflow/pkg/queue"
)

// Options configure a Queue; zero values mean queue.DefaultLockDuration,
// queue.DefaultMaxDeliveries and queue.DefaultDedupeWindow (a negative
// window disables duplicate detection).
type Options struct {
	LockDuration  time.Duration
	MaxDeliveries int
	DedupeWindow  time.Duration
}

// Queue is an in-memory queue, safe for concurrent use. It implements
// queue.Queue and queue.DeadLetterQueue.
type Queue struct {
	opts Options

	mu     sync.Mutex
	seq    uint64
	tokens uint64
	live   map[uint64]*entry
	ids    map[string]time.Time // duplicate-detection history
	dead   []queue.DeadLetter
	wake   chan struct{} // closed and replaced when a message becomes available
	closed bool
	done   chan struct{}
}

type entry struct {
	seq         uint64
	msg         queue.Message
	enqueuedAt  time.Time
	visibleAt   time.Time
	deliveries  int
	token       string
	lockedUntil time.Time
}

var (
	_ queue.Queue           = (*Queue)(nil)
	_ queue.DeadLetterQueue = (*Queue)(nil)
)

// New returns an empty queue.
func New(opts Options) (*Queue, error) {
	opts.LockDuration = cmp.Or(opts.LockDuration, queue.DefaultLockDuration)
	opts.MaxDeliveries = cmp.Or(opts.MaxDeliveries, queue.DefaultMaxDeliveries)
	opts.DedupeWindow = cmp.Or(opts.DedupeWindow, queue.DefaultDedupeWindow)
	if opts.LockDuration < time.Millisecond || opts.MaxDeliveries < 1 {
		return nil, fmt.Errorf("memqueue: invalid options: lock %v (≥ 1ms), max deliveries %d (≥ 1)", opts.LockDuration, opts.MaxDeliveries)
	}
	return &Queue{
		opts: opts,
		live: map[uint64]*entry{},
		ids:  map[string]time.Time{},
		wake: make(chan struct{}),
		done: make(chan struct{}),
	}, nil
}

func copyMessage(m queue.Message) queue.Message {
	m.Body = slices.Clone(m.Body)
	m.Properties = maps.Clone(m.Properties)
	return m
}

// notify wakes waiting receivers; q.mu is held.
func (q *Queue) notify() {
	close(q.wake)
	q.wake = make(chan struct{})
}

// Send enqueues a copy of msg, dropping a duplicate ID within the window.
func (q *Queue) Send(ctx context.Context, msg queue.Message) error {
	if err := queue.ValidateMessage(msg); err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return queue.ErrClosed
	}
	now := time.Now()
	if q.opts.DedupeWindow > 0 {
		for id, t := range q.ids {
			if now.Sub(t) >= q.opts.DedupeWindow {
				delete(q.ids, id)
			}
		}
		if _, dup := q.ids[msg.ID]; dup {
			return nil
		}
		q.ids[msg.ID] = now
	}
	q.enqueue(copyMessage(msg), now)
	return nil
}

func (q *Queue) enqueue(msg queue.Message, now time.Time) {
	q.seq++
	vis := now
	if msg.ScheduledAt.After(now) {
		vis = msg.ScheduledAt
	}
	q.live[q.seq] = &entry{seq: q.seq, msg: msg, enqueuedAt: now, visibleAt: vis}
	q.notify()
}

// Receive waits for due messages and locks up to max of them.
func (q *Queue) Receive(ctx context.Context, max int) ([]*queue.Received, error) {
	if max < 1 {
		return nil, fmt.Errorf("memqueue: receive max %d must be at least 1", max)
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out, next, wake, err := q.tryReceive(max)
		if err != nil || len(out) > 0 {
			return out, err
		}
		var (
			timer   *time.Timer
			timerCh <-chan time.Time
		)
		if !next.IsZero() {
			timer = time.NewTimer(time.Until(next) + time.Millisecond)
			timerCh = timer.C
		}
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-q.done:
			err = queue.ErrClosed
		case <-wake:
		case <-timerCh:
		}
		if timer != nil {
			timer.Stop()
		}
		if err != nil {
			return nil, err
		}
	}
}

// tryReceive locks due messages, or reports when the next falls due and a
// channel closed when something changes.
func (q *Queue) tryReceive(max int) ([]*queue.Received, time.Time, <-chan struct{}, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return nil, time.Time{}, nil, queue.ErrClosed
	}
	now := time.Now()
	var due []*entry
	var next time.Time
	for _, e := range q.live {
		if !e.visibleAt.After(now) {
			due = append(due, e)
		} else if next.IsZero() || e.visibleAt.Before(next) {
			next = e.visibleAt
		}
	}
	slices.SortFunc(due, func(a, b *entry) int {
		if c := a.visibleAt.Compare(b.visibleAt); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	var out []*queue.Received
	for _, e := range due {
		if len(out) == max {
			break
		}
		if e.deliveries >= q.opts.MaxDeliveries {
			q.toDead(e, queue.ReasonMaxDeliveries, fmt.Sprintf("lock expired on delivery %d of at most %d", e.deliveries, q.opts.MaxDeliveries), now)
			continue
		}
		e.deliveries++
		q.tokens++
		e.token = strconv.FormatUint(e.seq, 10) + "." + strconv.FormatUint(q.tokens, 10)
		e.lockedUntil = now.Add(q.opts.LockDuration)
		e.visibleAt = e.lockedUntil
		out = append(out, &queue.Received{
			Message:       copyMessage(e.msg),
			LockToken:     e.token,
			DeliveryCount: e.deliveries,
			EnqueuedAt:    e.enqueuedAt,
			LockedUntil:   e.lockedUntil,
		})
	}
	if len(out) > 0 {
		next = time.Time{}
	}
	return out, next, q.wake, nil
}

func (q *Queue) toDead(e *entry, reason, description string, now time.Time) {
	delete(q.live, e.seq)
	reason, description = queue.ClampDeadLetter(reason, description)
	q.dead = append(q.dead, queue.DeadLetter{
		Message: e.msg, Reason: reason, Description: description,
		DeliveryCount: e.deliveries, EnqueuedAt: e.enqueuedAt, DeadLetterAt: now,
	})
}

// held returns the entry m holds a live lock on; q.mu is held.
func (q *Queue) held(m *queue.Received, op string, now time.Time) (*entry, error) {
	if m == nil {
		return nil, fmt.Errorf("memqueue: %s: nil message", op)
	}
	if q.closed {
		return nil, queue.ErrClosed
	}
	for _, e := range q.live {
		if e.token == m.LockToken && e.token != "" {
			if !e.lockedUntil.After(now) {
				return nil, fmt.Errorf("memqueue: %s %q: %w: lock expired", op, m.ID, queue.ErrLockLost)
			}
			return e, nil
		}
	}
	return nil, fmt.Errorf("memqueue: %s %q: %w", op, m.ID, queue.ErrLockLost)
}

// Complete deletes the message.
func (q *Queue) Complete(ctx context.Context, m *queue.Received) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	e, err := q.held(m, "complete", time.Now())
	if err != nil {
		return err
	}
	delete(q.live, e.seq)
	return nil
}

// Abandon makes the message available again, or dead-letters it after
// MaxDeliveries.
func (q *Queue) Abandon(ctx context.Context, m *queue.Received) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := time.Now()
	e, err := q.held(m, "abandon", now)
	if err != nil {
		return err
	}
	if e.deliveries >= q.opts.MaxDeliveries {
		q.toDead(e, queue.ReasonMaxDeliveries, fmt.Sprintf("abandoned on delivery %d of at most %d", e.deliveries, q.opts.MaxDeliveries), now)
		return nil
	}
	e.token, e.lockedUntil, e.visibleAt = "", time.Time{}, now
	q.notify()
	return nil
}

// DeadLetter moves the message to the dead-letter list.
func (q *Queue) DeadLetter(ctx context.Context, m *queue.Received, reason, description string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := time.Now()
	e, err := q.held(m, "dead-letter", now)
	if err != nil {
		return err
	}
	q.toDead(e, reason, description, now)
	return nil
}

// RenewLock extends the lock and updates m.LockedUntil.
func (q *Queue) RenewLock(ctx context.Context, m *queue.Received) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := time.Now()
	e, err := q.held(m, "renew lock of", now)
	if err != nil {
		return err
	}
	e.lockedUntil = now.Add(q.opts.LockDuration)
	e.visibleAt = e.lockedUntil
	m.LockedUntil = e.lockedUntil
	return nil
}

// DeadLetters returns copies of up to max dead letters, oldest first.
func (q *Queue) DeadLetters(ctx context.Context, max int) ([]queue.DeadLetter, error) {
	if max < 1 {
		return nil, fmt.Errorf("memqueue: dead letters max %d must be at least 1", max)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return nil, queue.ErrClosed
	}
	out := make([]queue.DeadLetter, 0, min(max, len(q.dead)))
	for _, d := range q.dead[:min(max, len(q.dead))] {
		d.Message = copyMessage(d.Message)
		out = append(out, d)
	}
	return out, nil
}

// Resubmit moves the oldest dead letter with that ID back to the queue.
func (q *Queue) Resubmit(ctx context.Context, id string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return queue.ErrClosed
	}
	for i, d := range q.dead {
		if d.ID == id {
			q.dead = slices.Delete(q.dead, i, i+1)
			msg := d.Message
			msg.ScheduledAt = time.Time{}
			q.enqueue(msg, time.Now())
			return nil
		}
	}
	return fmt.Errorf("memqueue: resubmit %q: %w", id, queue.ErrNotFound)
}

// Close makes every later call fail with queue.ErrClosed and wakes
// waiting receivers. It is idempotent.
func (q *Queue) Close() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closed {
		q.closed = true
		close(q.done)
	}
	return nil
}
