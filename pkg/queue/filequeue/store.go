package filequeue

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
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
// operations, so they never compete for the lock with each other.
//
// Durability is bbolt's: every committed write transaction is fsync'd
// before update returns, and a crash at any point leaves either the old or
// the new state.
type store struct {
	path        string
	busyTimeout time.Duration
	mu          sync.Mutex
}

// errNoChange is returned by an update function to roll back a
// transaction that had nothing to write (no fsync is paid).
var errNoChange = errors.New("filequeue: no change")

// update runs fn in a read-write transaction, committed (and fsync'd) when
// fn returns nil, rolled back otherwise. fn's error is returned as is; an
// errNoChange from fn is reported as nil.
func (s *store) update(ctx context.Context, fn func(*bolt.Tx) error) error {
	err := s.with(ctx, func(db *bolt.DB) error { return db.Update(fn) })
	if errors.Is(err, errNoChange) {
		return nil
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
