package boltfile

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DefaultBusyTimeout is the busy timeout used when Options.BusyTimeout is
// zero.
const DefaultBusyTimeout = 30 * time.Second

var (
	// ErrBusy is returned when the file stayed locked by other processes
	// for longer than Options.BusyTimeout.
	ErrBusy = errors.New("boltfile: file busy")
	// ErrNoChange may be returned by an Update function that has nothing
	// to commit; Update reports it to the caller as nil. Writes made before
	// returning it may still be committed along with other calls of the
	// same batch, so they must be harmless either way.
	ErrNoChange = errors.New("boltfile: no change")
)

// Options configure a File.
type Options struct {
	// BusyTimeout bounds how long one operation waits for a lock held by
	// other processes before failing with ErrBusy. Zero means
	// DefaultBusyTimeout.
	BusyTimeout time.Duration
}

// File is this process's handle on one bbolt file. Every File of a process
// opened on the same path shares one state, so goroutines take turns
// through one gate instead of competing for the file lock, and their
// updates share commits. A File is safe for concurrent use.
type File struct {
	s      *state
	once   sync.Once
	closed error
}

// state is the per-process state of one path.
type state struct {
	path        string
	busyTimeout time.Duration
	refs        int // guarded by registryMu

	// gate is a one-slot semaphore held while using db; a channel so that
	// an update whose batch already ran can stop waiting for it.
	gate chan struct{}
	// The fields below are guarded by gate.
	db      *bolt.DB  // open (file locked) between operations only while busy
	waiters *os.File  // PATH.waiters, opened on first use
	yielded bool      // the last close let announced waiters in
	yieldAt time.Time // when

	// The idle closer (see closeWhenIdle); started with the first open.
	idle    chan struct{}
	quit    chan struct{}
	closer  sync.WaitGroup
	lastUse atomic.Int64 // unix nanoseconds of the last release with db open

	pmu     sync.Mutex
	pending []*call // updates waiting for the next batch
	queued  int     // operations waiting for the gate (guarded by pmu)
}

var (
	registryMu sync.Mutex
	registry   = map[string]*state{}
)

// Open returns a handle on the bbolt file at path, created on first use
// with mode 0600. It does not touch the file system: the file is opened by
// the first operation. Options of the first handle on a path win while any
// handle on it stays open. Each File must be closed.
func Open(path string, opts Options) *File {
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = DefaultBusyTimeout
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	s := registry[path]
	if s == nil {
		s = &state{path: path, busyTimeout: opts.BusyTimeout, gate: make(chan struct{}, 1)}
		registry[path] = s
	}
	s.refs++
	return &File{s: s}
}

// Path is the file's path.
func (f *File) Path() string { return f.s.path }

// Close releases the handle. The last handle of the process on a path
// closes the database if it is open. Operations must not be running on the
// handle.
func (f *File) Close() error {
	f.once.Do(func() {
		s := f.s
		registryMu.Lock()
		s.refs--
		last := s.refs == 0
		if last {
			delete(registry, s.path)
		}
		registryMu.Unlock()
		if !last {
			return
		}
		s.gate <- struct{}{}
		quit := s.quit
		<-s.gate
		if quit != nil {
			close(quit)
			s.closer.Wait()
		}
		s.gate <- struct{}{}
		defer func() { <-s.gate }()
		f.closed = s.closeDB()
		if s.waiters != nil {
			_ = s.waiters.Close()
			s.waiters = nil
		}
	})
	return f.closed
}

// closeDB closes the database if it is open. The caller holds the gate.
func (s *state) closeDB() error {
	if s.db == nil {
		return nil
	}
	err := s.db.Close()
	s.db = nil
	if err != nil {
		return fmt.Errorf("boltfile: close %s: %w", s.path, err)
	}
	return nil
}
