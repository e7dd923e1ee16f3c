package logdb

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
)

// call is one update waiting to be run in a batch.
type call struct {
	ctx  context.Context
	fn   func(*Tx) error
	done chan error // buffered; receives the call's result once
}

// Update runs fn in a read-write transaction that is committed (written
// and fdatasync'd) before Update returns nil.
//
// Concurrent updates of this process are group-committed: whoever takes
// the gate next runs every waiting fn, one after the other, and appends
// their writes to the log as one record with one sync. If a fn fails (or
// returns ErrNoChange), its own writes are undone and the others' are
// kept. fn must not have effects outside the transaction.
func (db *DB) Update(ctx context.Context, fn func(*Tx) error) error {
	s := db.s
	c := &call{ctx: ctx, fn: fn, done: make(chan error, 1)}
	s.pmu.Lock()
	s.pending = append(s.pending, c)
	s.pmu.Unlock()
	select {
	case err := <-c.done: // an earlier holder ran it in its batch
		return err
	case s.gate <- struct{}{}:
	}
	defer s.release()
	select {
	case err := <-c.done:
		return err
	default:
	}
	// Updates of goroutines that are runnable now (requests about to
	// store something) join this batch instead of waiting for the next
	// one: fewer, larger commits, each costing one sync.
	runtime.Gosched()
	s.pmu.Lock()
	batch := s.pending
	s.pending = nil
	s.pmu.Unlock()
	s.runBatch(batch)
	return <-c.done
}

// View runs fn in a read-only transaction.
func (db *DB) View(ctx context.Context, fn func(*Tx) error) error {
	return db.Exclusive(ctx, func(l *Locked) error { return l.View(fn) })
}

// Exclusive runs fn with the database locked against every other
// operation and process, for work that must be atomic with effects outside
// the file (such as renaming a file only if a key is absent). fn must not
// keep l after it returns.
func (db *DB) Exclusive(ctx context.Context, fn func(l *Locked) error) error {
	s := db.s
	s.take()
	defer s.release()
	if _, err := s.use(ctx); err != nil {
		return err
	}
	return fn(&Locked{s: s})
}

// Locked is the database as held by Exclusive.
type Locked struct{ s *state }

// View runs fn in a read-only transaction.
func (l *Locked) View(fn func(*Tx) error) error {
	if _, err := l.s.use(context.Background()); err != nil {
		return err
	}
	tx := &Tx{s: &l.s.st}
	err := fn(tx)
	if err == nil {
		err = tx.err
	}
	return err
}

// Update runs fn in a read-write transaction, committed before it returns.
func (l *Locked) Update(fn func(*Tx) error) error {
	st, err := l.s.use(context.Background())
	if err != nil {
		return err
	}
	c := &call{ctx: context.Background(), fn: fn, done: make(chan error, 1)}
	l.s.commitBatch(st, []*call{c})
	return <-c.done
}

// runBatch runs batch with the file locked, sending every call its
// result. The caller holds the gate.
func (s *state) runBatch(batch []*call) {
	if s.locked && s.st.f != nil {
		s.commitBatch(&s.st, batch)
		return
	}
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
	st, err := s.use(ctx)
	if err != nil {
		for _, c := range batch {
			c.done <- ctxErrOr(c.ctx, err)
		}
		return
	}
	s.commitBatch(st, batch)
}

// commitBatch runs the calls of batch in one transaction, undoing the
// writes of those that fail, and commits the rest as one record. The
// caller holds the gate and the file lock.
func (s *state) commitBatch(st *store, batch []*call) {
	s.rw.reset()
	tx := &Tx{s: st, w: &s.rw}
	results := make([]error, len(batch))
	wrote := make([]bool, len(batch))
	ok := 0
	for i, c := range batch {
		// Calls whose callers gave up are not run.
		if err := c.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		sp := tx.savepoint()
		err := c.fn(tx)
		if err == nil {
			err = tx.err
		}
		if err != nil {
			tx.rollbackTo(sp)
			if !errors.Is(err, ErrNoChange) {
				results[i] = err
			}
			continue
		}
		wrote[i] = true
		ok++
	}
	var err error
	if ok > 0 {
		err = st.commit(tx)
		if err == nil && st.wantsCompaction() {
			// A failed compaction leaves the log as it was.
			_ = st.compact()
		}
	}
	for i, c := range batch {
		if wrote[i] {
			results[i] = err
		}
		c.done <- results[i]
	}
}

// ctxErrOr returns ctx's error if it ended, else err.
func ctxErrOr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return errors.Join(cerr, err)
	}
	return err
}
