package fileblob

import (
	"context"
	"sync"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"

	"github.com/dumpflow/dumpflow/pkg/boltfile"
)

// lockBatch shares the small-blob database's lock among concurrent file
// commits, which must rename under it: the commits that wait while one
// holds the lock take it together next time, in one boltfile.Exclusive,
// rather than one after another. Each Exclusive is a handoff of the
// process's gate and may have to open the database (boltfile closes it
// when idle or when another process waits for it), which costs more than
// a rename, so a burst of N file commits pays for that about twice, not N
// times. This is boltfile's group commit applied to work outside the file.
type lockBatch struct {
	db   *boltfile.File
	gate chan struct{} // one slot, held by the batch running

	mu      sync.Mutex
	pending []*lockCall
}

// lockCall is one function waiting to run under the lock.
type lockCall struct {
	ctx  context.Context
	fn   func(*bolt.DB) error
	done chan error // buffered; receives the call's result once
}

func newLockBatch(db *boltfile.File) *lockBatch {
	return &lockBatch{db: db, gate: make(chan struct{}, 1)}
}

// do runs fn with the database open and locked against every other
// operation and process, like boltfile.File.Exclusive, possibly in the
// same Exclusive as other calls' fns (each runs alone; they run one after
// another). fn is not run if ctx ends first.
func (l *lockBatch) do(ctx context.Context, fn func(*bolt.DB) error) error {
	c := &lockCall{ctx: ctx, fn: fn, done: make(chan error, 1)}
	l.mu.Lock()
	l.pending = append(l.pending, c)
	l.mu.Unlock()
	select {
	case err := <-c.done: // an earlier batch ran it
		return err
	case l.gate <- struct{}{}:
	}
	defer func() { <-l.gate }()
	select {
	case err := <-c.done:
		return err
	default:
	}
	l.mu.Lock()
	batch := l.pending
	l.pending = nil
	l.mu.Unlock()
	l.run(batch)
	return <-c.done
}

// run runs batch in one Exclusive, sending every call its result. The
// wait for the lock ends when every caller's context has ended.
func (l *lockBatch) run(batch []*lockCall) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var live atomic.Int32
	live.Store(int32(len(batch)))
	for _, c := range batch {
		stop := context.AfterFunc(c.ctx, func() {
			if live.Add(-1) == 0 {
				cancel()
			}
		})
		defer stop()
	}
	answered := 0
	err := l.db.Exclusive(ctx, func(db *bolt.DB) error {
		for _, c := range batch {
			if err := c.ctx.Err(); err != nil {
				c.done <- err
			} else {
				c.done <- c.fn(db)
			}
			answered++
		}
		return nil
	})
	for _, c := range batch[answered:] {
		if cerr := c.ctx.Err(); cerr != nil {
			err = cerr
		}
		c.done <- err
	}
}
