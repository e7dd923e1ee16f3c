package filequeue

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/dumpflow/dumpflow/pkg/logdb"

	"github.com/dumpflow/dumpflow/pkg/queue"
)

// Queue is one durable queue stored in DIR/NAME.queue. It implements
// queue.Queue and queue.DeadLetterQueue and is safe for concurrent use by
// many goroutines and by many processes on the same machine.
type Queue struct {
	name string
	path string
	opts Options
	file *sharedFile

	done      chan struct{} // closed by Close
	closeOnce sync.Once
	rw        sync.RWMutex // operations hold R; Close takes W to wait for them
	closed    bool
}

var (
	_ queue.Queue           = (*Queue)(nil)
	_ queue.DeadLetterQueue = (*Queue)(nil)
)

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Open opens (creating if needed) the queue name in directory dir, which
// is created with mode 0750 if missing. name must be 1 to 64 characters
// from [A-Za-z0-9._-], starting with a letter or digit. Several processes
// may open the same queue at once; see the package documentation.
func Open(dir, name string, opts Options) (*Queue, error) {
	if !validName.MatchString(name) {
		return nil, fmt.Errorf("filequeue: invalid queue name %q (want 1-64 of [A-Za-z0-9._-], starting alphanumeric)", name)
	}
	if dir == "" {
		return nil, errors.New("filequeue: empty directory")
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("filequeue: directory %q: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("filequeue: create directory: %w", err)
	}
	q := &Queue{
		name: name,
		path: filepath.Join(abs, name+".queue"),
		opts: opts,
		done: make(chan struct{}),
	}
	q.file = acquireShared(q.path, opts.BusyTimeout)
	ctx, cancel := context.WithTimeout(context.Background(), opts.BusyTimeout)
	defer cancel()
	err = q.file.db.Update(ctx, func(tx *logdb.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		releaseShared(q.file)
		return nil, fmt.Errorf("filequeue: initialise %s: %w", q.path, err)
	}
	return q, nil
}

// Name returns the queue's name.
func (q *Queue) Name() string { return q.name }

// Path returns the queue file's path.
func (q *Queue) Path() string { return q.path }

// begin registers an operation; it fails with queue.ErrClosed after Close.
func (q *Queue) begin() error {
	q.rw.RLock()
	if q.closed {
		q.rw.RUnlock()
		return queue.ErrClosed
	}
	return nil
}

func (q *Queue) end() { q.rw.RUnlock() }

// Close stops waiting receivers (they return queue.ErrClosed), waits for
// operations in progress and releases the queue. Messages locked through
// this Queue stay locked until their locks expire, then are redelivered.
// Close is idempotent.
func (q *Queue) Close() error {
	q.closeOnce.Do(func() {
		close(q.done)
		q.rw.Lock()
		q.closed = true
		q.rw.Unlock()
		releaseShared(q.file)
	})
	return nil
}

// Send stores msg durably (fsync'd) before returning. A message whose ID
// was sent within the dedupe window is dropped and Send returns nil. An
// invalid message fails with an error wrapping queue.ErrInvalidMessage.
func (q *Queue) Send(ctx context.Context, msg queue.Message) error {
	if err := queue.ValidateMessage(msg); err != nil {
		return err
	}
	if err := q.begin(); err != nil {
		return err
	}
	defer q.end()
	err := q.file.db.Update(ctx, func(tx *logdb.Tx) error {
		b, err := openBuckets(tx)
		if err != nil {
			return err
		}
		now := time.Now().UnixNano()
		if q.opts.DedupeWindow > 0 {
			dup, err := checkDuplicate(b, msg.ID, now, q.opts.DedupeWindow.Nanoseconds())
			if err != nil {
				return err
			}
			if dup {
				return logdb.ErrNoChange
			}
		}
		seq, err := b.msgs.NextSequence()
		if err != nil {
			return err
		}
		rec := &record{
			ID:          msg.ID,
			Body:        msg.Body,
			Properties:  msg.Properties,
			EnqueuedAt:  now,
			ScheduledAt: fromTime(msg.ScheduledAt),
			VisibleAt:   max(now, fromTime(msg.ScheduledAt)),
		}
		return putLive(b, seq, rec)
	})
	if err != nil {
		return fmt.Errorf("filequeue: send %q to %s: %w", msg.ID, q.name, err)
	}
	q.file.notify()
	return nil
}

// checkDuplicate prunes expired history and records id, reporting whether
// id was already seen within the window.
func checkDuplicate(b *buckets, id string, now, window int64) (bool, error) {
	cutoff := now - window
	var expired [][]byte
	c := b.idtime.Cursor()
	for k, _ := c.First(); k != nil && len(expired) < 256; k, _ = c.Next() {
		if len(k) < 8 || int64(beUint64(k)) > cutoff {
			break
		}
		expired = append(expired, append([]byte(nil), k...))
	}
	for _, k := range expired {
		if err := b.idtime.Delete(k); err != nil {
			return false, err
		}
		// Delete the ID only if this entry is its current one.
		if v := b.ids.Get(k[8:]); len(v) == 8 && string(v) == string(k[:8]) {
			if err := b.ids.Delete(k[8:]); err != nil {
				return false, err
			}
		}
	}
	if v := b.ids.Get([]byte(id)); len(v) == 8 && now-int64(beUint64(v)) < window {
		return true, nil
	}
	if err := b.ids.Put([]byte(id), u64(uint64(now))); err != nil {
		return false, err
	}
	return false, b.idtime.Put(idTimeKey(now, id), nil)
}

// putLive stores rec as live message seq, indexed at rec.VisibleAt.
func putLive(b *buckets, seq uint64, rec *record) error {
	if err := b.msgs.Put(u64(seq), rec.encode()); err != nil {
		return err
	}
	return b.ready.Put(readyKey(rec.VisibleAt, seq), nil)
}

// moveToDead removes live message seq and appends it to the dead-letter
// sub-queue with the given reason.
func moveToDead(b *buckets, seq uint64, rec *record, reason, description string, now int64) error {
	if err := b.ready.Delete(readyKey(rec.VisibleAt, seq)); err != nil {
		return err
	}
	if err := b.msgs.Delete(u64(seq)); err != nil {
		return err
	}
	dseq, err := b.dead.NextSequence()
	if err != nil {
		return err
	}
	rec.Reason, rec.Description = queue.ClampDeadLetter(reason, description)
	rec.DeadLetterAt = now
	rec.LockToken, rec.LockedUntil, rec.VisibleAt = "", 0, 0
	return b.dead.Put(u64(dseq), rec.encode())
}

func toReceived(rec *record) *queue.Received {
	return &queue.Received{
		Message: queue.Message{
			ID:          rec.ID,
			Body:        rec.Body,
			Properties:  rec.Properties,
			ScheduledAt: toTime(rec.ScheduledAt),
		},
		LockToken:     rec.LockToken,
		DeliveryCount: int(rec.DeliveryCount),
		EnqueuedAt:    toTime(rec.EnqueuedAt),
		LockedUntil:   toTime(rec.LockedUntil),
	}
}

// Dir returns the directory holding the queue file.
func (q *Queue) Dir() string { return filepath.Dir(q.path) }

// Options returns the queue's options with defaults filled in.
func (q *Queue) Options() Options { return q.opts }
