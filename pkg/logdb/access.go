package logdb

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

const (
	firstWait = 200 * time.Microsecond
	maxWait   = 5 * time.Millisecond
	// maxYieldWait bounds how long a process that let waiters in waits for
	// them to take the file before it competes for it again.
	maxYieldWait = 50 * time.Millisecond
)

// take blocks until the caller holds the gate, for an operation that is
// not an Update (those wait in pending).
func (s *state) take() {
	s.pmu.Lock()
	s.queued++
	s.pmu.Unlock()
	s.gate <- struct{}{}
	s.pmu.Lock()
	s.queued--
	s.pmu.Unlock()
}

// release gives the gate back. The file lock is kept while operations of
// this process keep coming and no other process waits for it, and
// released otherwise: taking it again costs a few system calls.
func (s *state) release() {
	if s.locked {
		s.pmu.Lock()
		busy := s.queued > 0 || len(s.pending) > 0
		s.pmu.Unlock()
		switch {
		case !busy:
			s.unlock()
		case s.othersWaiting():
			s.unlock()
			s.yielded, s.yieldAt = true, time.Now()
		}
	}
	<-s.gate
}

// use returns the store, up to date with the file, taking the file lock if
// this process does not hold it. The caller holds the gate; ctx bounds the
// wait for another process's lock.
func (s *state) use(ctx context.Context) (*store, error) {
	if s.locked && s.st.f != nil {
		return &s.st, nil
	}
	if s.locked { // the image was dropped after a failed commit
		if err := s.st.sync(); err != nil {
			s.unlock()
			return nil, err
		}
		return &s.st, nil
	}
	if s.yielded {
		s.yielded = false
		s.awaitWaiters(ctx)
	}
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	if err := s.st.sync(); err != nil {
		s.unlock()
		return nil, err
	}
	return &s.st, nil
}

// discard forgets the image after a failure, so the next operation starts
// from what is on disk.
func (s *state) discard() {
	s.st.reset()
	s.unlock()
}

func (s *state) unlock() {
	if s.locked {
		_ = flock(s.lockf, syscall.LOCK_UN)
		s.locked = false
	}
}

// lock takes the file lock, retrying while another process holds it.
func (s *state) lock(ctx context.Context) error {
	if s.lockf == nil {
		if err := os.MkdirAll(filepath.Dir(s.path), 0o750); err != nil {
			return fmt.Errorf("logdb: %w", err)
		}
		f, err := os.OpenFile(s.path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return fmt.Errorf("logdb: %w", err)
		}
		s.lockf = f
	}
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
		err := flock(s.lockf, syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			s.locked = true
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("logdb: lock %s: %w", s.path, err)
		}
		if !announced && s.openWaiters() == nil {
			// Fails only while a holder is checking; retried next turn.
			announced = flock(s.waiters, syscall.LOCK_SH|syscall.LOCK_NB) == nil
		}
		if !time.Now().Before(deadline) {
			return fmt.Errorf("%w: %s locked by another process for more than %v", ErrBusy, s.path, s.busyTimeout)
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
			return fmt.Errorf("logdb: waiting for lock on %s: %w", s.path, ctx.Err())
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
