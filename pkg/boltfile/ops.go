package boltfile

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
)

// call is one update waiting to be run in a batch.
type call struct {
	ctx  context.Context
	fn   func(*bolt.Tx) error
	done chan error // buffered; receives the call's result once
}

// Update runs fn in a read-write transaction that is committed (and
// fsync'd) before Update returns nil.
//
// Concurrent updates of this process are group-committed: whoever takes
// the gate next runs every waiting fn in one transaction. If a fn fails,
// the transaction is rolled back, that fn gets its error, and the others
// run again in a new transaction (the way bbolt's DB.Batch works), so fn
// must be safe to run more than once and must not have effects outside
// the transaction.
func (f *File) Update(ctx context.Context, fn func(*bolt.Tx) error) error {
	s := f.s
	c := &call{ctx: ctx, fn: fn, done: make(chan error, 1)}
	s.pmu.Lock()
	s.pending = append(s.pending, c)
	s.queued++
	s.pmu.Unlock()
	select {
	case err := <-c.done: // an earlier holder ran it in its batch
		s.leave()
		return err
	case s.gate <- struct{}{}:
		s.leave()
	}
	defer s.release()
	select {
	case err := <-c.done:
		return err
	default:
	}
	s.pmu.Lock()
	batch := s.pending
	s.pending = nil
	s.pmu.Unlock()
	s.runBatch(batch)
	return <-c.done
}

// View runs fn in a read-only transaction.
func (f *File) View(ctx context.Context, fn func(*bolt.Tx) error) error {
	return f.Exclusive(ctx, func(db *bolt.DB) error { return db.View(fn) })
}

// Exclusive runs fn with the database open and locked against every other
// operation and process, for work that must be atomic with effects outside
// the file (such as renaming a file only if a key is absent). fn must not
// keep db after it returns. Its transactions are its own: they are not
// batched with Update's.
func (f *File) Exclusive(ctx context.Context, fn func(*bolt.DB) error) error {
	s := f.s
	s.enter()
	s.take()
	defer s.release()
	db, err := s.use(ctx)
	if err != nil {
		return err
	}
	return fn(db)
}

// runBatch runs batch with the database open, sending every call its
// result. The caller holds the gate.
func (s *state) runBatch(batch []*call) {
	// Waiting for the file lock ends when every caller has given up.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := make([]func() bool, len(batch))
	var live atomic.Int32
	live.Store(int32(len(batch)))
	for i, c := range batch {
		stop[i] = context.AfterFunc(c.ctx, func() {
			if live.Add(-1) == 0 {
				cancel()
			}
		})
	}
	defer func() {
		for _, f := range stop {
			f()
		}
	}()
	db, err := s.use(ctx)
	if err != nil {
		for _, c := range batch {
			c.done <- ctxErrOr(c.ctx, err)
		}
		return
	}
	for len(batch) > 0 {
		// Calls whose callers gave up are not run.
		run := batch[:0]
		for _, c := range batch {
			if err := c.ctx.Err(); err != nil {
				c.done <- err
				continue
			}
			run = append(run, c)
		}
		batch = run
		if len(batch) == 0 {
			return
		}
		failed := -1
		var ferr error
		err := db.Update(func(tx *bolt.Tx) error {
			changed := false
			for i, c := range batch {
				switch err := c.fn(tx); {
				case err == nil:
					changed = true
				case errors.Is(err, ErrNoChange):
				default:
					failed, ferr = i, err
					return err
				}
			}
			if !changed {
				return ErrNoChange // roll back: no fsync for nothing
			}
			return nil
		})
		if errors.Is(err, ErrNoChange) {
			err = nil
		}
		if failed < 0 {
			if err != nil {
				// A failed commit (I/O error) leaves bbolt's cached
				// state in doubt: start again from the file.
				s.discard()
				err = fmt.Errorf("boltfile: commit %s: %w", s.path, err)
			}
			for _, c := range batch {
				c.done <- err
			}
			return
		}
		batch[failed].done <- ferr
		batch = append(batch[:failed:failed], batch[failed+1:]...)
	}
}

// ctxErrOr returns ctx's error if it ended, else err.
func ctxErrOr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("boltfile: %w (%v)", cerr, err)
	}
	return err
}
