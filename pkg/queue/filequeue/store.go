package filequeue

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// store gives short, exclusive access to one bbolt file that several
// processes share.
//
// bbolt holds an exclusive flock(2) on its file for as long as a *bolt.DB is
// open, and caches file state (meta page, freelist, mmap) that would go
// stale if another process wrote the file meanwhile. So a store never keeps
// the file open between operations: each operation opens the file (one
// non-blocking lock attempt), runs one transaction, and closes it. When
// another process holds the lock, the attempt is retried with a short,
// jittered, growing sleep (200µs up to 5ms) until the context ends or
// busyTimeout passes (ErrBusy). Within one process a mutex serialises
// operations, so they never compete for the lock with each other, and
// concurrent updates are group-committed (see update).
//
// Durability is bbolt's: every committed write transaction is fsync'd
// before update returns, and a crash at any point leaves either the old or
// the new state.
type store struct {
	path        string
	busyTimeout time.Duration
	mu          sync.Mutex // held while the file is open

	pmu     sync.Mutex
	pending []*call // update calls waiting for the next batch
}

// call is one update waiting to be run in a batch.
type call struct {
	ctx  context.Context
	fn   func(*bolt.Tx) error
	done chan error // buffered; receives the call's result once
}

// errNoChange is returned by an update function that has nothing to
// commit; update reports it to the caller as nil. Writes made before
// returning it may still be committed along with other calls in the same
// batch, so they must be harmless either way (Send's pruning of expired
// duplicate-detection history is the only such write).
var errNoChange = errors.New("filequeue: no change")

// update runs fn in a read-write transaction that is committed (and
// fsync'd) before update returns nil.
//
// Concurrent updates from this process are group-committed: whoever takes
// the file next runs every waiting fn in one transaction, so N concurrent
// sends cost one fsync'd commit instead of N. If a fn fails, the
// transaction is rolled back, that fn gets its error, and the others run
// again in a new transaction (the way bbolt's DB.Batch works), so a fn
// must be safe to run more than once.
func (s *store) update(ctx context.Context, fn func(*bolt.Tx) error) error {
	c := &call{ctx: ctx, fn: fn, done: make(chan error, 1)}
	s.pmu.Lock()
	s.pending = append(s.pending, c)
	s.pmu.Unlock()

	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case err := <-c.done: // an earlier holder ran it in its batch
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

// runBatch opens the file and runs batch, sending every call its result.
// The caller holds s.mu.
func (s *store) runBatch(batch []*call) {
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
	db, err := s.open(ctx)
	if err != nil {
		for _, c := range batch {
			c.done <- ctxErrOr(c.ctx, err)
		}
		return
	}
	// The transactions are committed (or rolled back) before Close; a
	// failing Close (munmap, unlock) changes no caller's result.
	defer func() { _ = db.Close() }()
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
				case errors.Is(err, errNoChange):
				default:
					failed, ferr = i, err
					return err
				}
			}
			if !changed {
				return errNoChange // roll back: no fsync for nothing
			}
			return nil
		})
		if errors.Is(err, errNoChange) {
			err = nil
		}
		if failed < 0 {
			for _, c := range batch {
				c.done <- err // nil, or the commit's failure
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
		return fmt.Errorf("filequeue: %w (%v)", cerr, err)
	}
	return err
}

// view runs fn in a read-only transaction.
func (s *store) view(ctx context.Context, fn func(*bolt.Tx) error) error {
	return s.with(ctx, func(db *bolt.DB) error { return db.View(fn) })
}

func (s *store) with(ctx context.Context, fn func(*bolt.DB) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	db, err := s.open(ctx)
	if err != nil {
		return err
	}
	err = fn(db)
	if cerr := db.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("filequeue: close %s: %w", s.path, cerr)
	}
	return err
}

// open takes the file's lock, retrying while another process holds it.
func (s *store) open(ctx context.Context) (*bolt.DB, error) {
	const (
		firstWait = 200 * time.Microsecond
		maxWait   = 5 * time.Millisecond
	)
	// Timeout of 1ns makes bbolt try the lock exactly once (its own retry
	// sleeps 50ms, far too coarse), so the retry loop below is ours.
	opts := &bolt.Options{Timeout: time.Nanosecond, FreelistType: bolt.FreelistMapType}
	deadline := time.Now().Add(s.busyTimeout)
	wait := firstWait
	var timer *time.Timer
	for {
		db, err := bolt.Open(s.path, 0o600, opts)
		if err == nil {
			return db, nil
		}
		if !errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("filequeue: open %s: %w", s.path, err)
		}
		if !time.Now().Before(deadline) {
			return nil, fmt.Errorf("%w: %s locked by another process for more than %v", ErrBusy, s.path, s.busyTimeout)
		}
		d := wait/2 + rand.N(wait/2+1)
		if timer == nil {
			timer = time.NewTimer(d)
			defer timer.Stop()
		} else {
			timer.Reset(d)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("filequeue: waiting for lock on %s: %w", s.path, ctx.Err())
		case <-timer.C:
		}
		wait = min(2*wait, maxWait)
	}
}
