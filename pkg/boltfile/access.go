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

// settle is called by an operation that is done without taking the gate
// (another goroutine ran it). A holder may have kept the database open
// because this operation was waiting; if it was the last one waiting, it
// takes the gate once so that release closes the database when idle.
func (s *state) settle() {
	if s.leave() {
		s.gate <- struct{}{}
		s.release()
	}
}

// release gives the gate back. The database stays open only while other
// operations of this process wait for the gate and no other process waits
// for the file; otherwise it is closed.
func (s *state) release() {
	if s.db != nil {
		s.pmu.Lock()
		busy := s.queued > 0 || len(s.pending) > 0
		s.pmu.Unlock()
		if !busy || s.othersWaiting() {
			_ = s.closeDB()
			s.yielded = busy
			s.yieldAt = time.Now()
		}
	}
	<-s.gate
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
	opts := &bolt.Options{Timeout: time.Nanosecond, FreelistType: bolt.FreelistMapType}
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
