package boltfile

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

const (
	firstWait = 200 * time.Microsecond
	maxWait   = 5 * time.Millisecond
	// maxYieldWait bounds how long a process that let waiters in waits for
	// them to take the file before it competes for it again.
	maxYieldWait = 50 * time.Millisecond
	// linger is how long an open database stays open unused when no other
	// process wants it. Reopening costs a page fault per page touched
	// again (expensive in VMs), so a process with steady traffic keeps it.
	linger = 100 * time.Millisecond
	// waiterPoll is how often an open, unused database checks whether
	// another process waits for it.
	waiterPoll = time.Millisecond
	// initialMmapSize is the address space mapped when the file is opened.
	initialMmapSize = 256 << 20
)

// enter announces that an operation wants the gate. Every enter is paired
// with exactly one leave or one acquired gate.
func (s *state) enter() {
	s.pmu.Lock()
	s.queued++
	s.pmu.Unlock()
}

// leave withdraws an enter. It reports whether nothing else of this
// process waits for the gate any more.
func (s *state) leave() (last bool) {
	s.pmu.Lock()
	defer s.pmu.Unlock()
	s.queued--
	return s.queued == 0 && len(s.pending) == 0
}

// take blocks until the caller holds the gate, after enter.
func (s *state) take() {
	s.gate <- struct{}{}
	s.leave()
}

// release gives the gate back. The database stays open while operations
// of this process keep coming and no other process waits for the file:
// the idle closer closes it once it has been unused for linger. When
// another process waits, it is closed at once.
func (s *state) release() {
	if s.db != nil {
		s.pmu.Lock()
		busy := s.queued > 0 || len(s.pending) > 0
		s.pmu.Unlock()
		if s.othersWaiting() {
			_ = s.closeDB()
			s.yielded = busy
			s.yieldAt = time.Now()
		} else {
			s.lastUse.Store(time.Now().UnixNano())
			s.startCloser()
			select {
			case s.idle <- struct{}{}:
			default: // already signalled
			}
		}
	}
	<-s.gate
}

// startCloser starts the idle closer once. The caller holds the gate.
func (s *state) startCloser() {
	if s.idle != nil {
		return
	}
	s.idle = make(chan struct{}, 1)
	s.quit = make(chan struct{})
	s.closer.Go(s.closeWhenIdle)
}

// closeWhenIdle closes the database once it has been unused for linger,
// or as soon as another process announces that it waits for the file
// (checked every waiterPoll while the database is open), until quit is
// closed. Owned by the state; Close waits for it.
func (s *state) closeWhenIdle() {
	for {
		select {
		case <-s.quit:
			return
		case <-s.idle:
		}
		if !s.watchOpen() {
			return
		}
	}
}

// watchOpen checks the open database every waiterPoll and closes it when
// it has been unused for linger or another process waits. It returns when
// the database is closed (true) or quit is closed (false).
func (s *state) watchOpen() bool {
	ticker := time.NewTicker(waiterPoll)
	defer ticker.Stop()
	for {
		select {
		case <-s.quit:
			return false
		case <-ticker.C:
		}
		select {
		case s.gate <- struct{}{}:
		default:
			continue // in use; checked again next tick
		}
		unused := time.Duration(time.Now().UnixNano() - s.lastUse.Load())
		if s.db != nil && (unused >= linger || s.othersWaiting()) {
			_ = s.closeDB()
		}
		open := s.db != nil
		<-s.gate
		if !open {
			return true
		}
	}
}

// use returns the open database, opening it if needed. The caller holds
// the gate; ctx bounds the wait for another process's lock.
func (s *state) use(ctx context.Context) (*bolt.DB, error) {
	if s.db != nil {
		return s.db, nil
	}
	if s.yielded {
		s.yielded = false
		s.awaitWaiters(ctx)
	}
	db, err := s.open(ctx)
	if err != nil {
		return nil, err
	}
	s.db = db
	return db, nil
}

// discard closes the database after a failure, so the next operation
// starts from what is on disk.
func (s *state) discard() { _ = s.closeDB() }

// open takes the file's lock, retrying while another process holds it.
func (s *state) open(ctx context.Context) (*bolt.DB, error) {
	// Timeout of 1ns makes bbolt try the lock exactly once (its own retry
	// sleeps 50ms, far too coarse), so the retry loop below is ours.
	// A large initial mapping means a growing file is not remapped (and
	// every page faulted in again) at each doubling; the file itself still
	// grows only as data is written.
	opts := &bolt.Options{Timeout: time.Nanosecond, FreelistType: bolt.FreelistMapType, InitialMmapSize: initialMmapSize}
	deadline := time.Now().Add(s.busyTimeout)
	wait := firstWait
	var timer *time.Timer
	announced := false
	defer func() {
		if announced {
			_ = flock(s.waiters, syscall.LOCK_UN)
		}
	}()
	for {
		db, err := bolt.Open(s.path, 0o600, opts)
		if err == nil {
			return db, nil
		}
		if !errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("boltfile: open %s: %w", s.path, err)
		}
		if !announced && s.openWaiters() == nil {
			// Fails only while a holder is checking; retried next turn.
			announced = flock(s.waiters, syscall.LOCK_SH|syscall.LOCK_NB) == nil
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
			return nil, fmt.Errorf("boltfile: waiting for lock on %s: %w", s.path, ctx.Err())
		case <-timer.C:
		}
		wait = min(2*wait, maxWait)
	}
}

// othersWaiting reports whether another process has announced that it
// waits for the file. Errors count as "no": fairness is best effort.
func (s *state) othersWaiting() bool {
	if s.openWaiters() != nil {
		return false
	}
	err := flock(s.waiters, syscall.LOCK_EX|syscall.LOCK_NB)
	if err == nil {
		_ = flock(s.waiters, syscall.LOCK_UN)
		return false
	}
	return errors.Is(err, syscall.EWOULDBLOCK)
}

// awaitWaiters gives the processes this one let in a chance to take the
// file before it competes again: it waits until none is announced, at most
// maxYieldWait after the yield.
func (s *state) awaitWaiters(ctx context.Context) {
	for time.Since(s.yieldAt) < maxYieldWait && s.othersWaiting() {
		select {
		case <-ctx.Done():
			return
		case <-time.After(firstWait):
		}
	}
}

// openWaiters opens PATH.waiters once.
func (s *state) openWaiters() error {
	if s.waiters != nil {
		return nil
	}
	f, err := os.OpenFile(s.path+".waiters", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	s.waiters = f
	return nil
}

func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
