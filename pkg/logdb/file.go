package logdb

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// DefaultBusyTimeout is the busy timeout used when Options.BusyTimeout is
// zero.
const DefaultBusyTimeout = 30 * time.Second

var (
	// ErrBusy is returned when the file stayed locked by other processes
	// for longer than Options.BusyTimeout.
	ErrBusy = errors.New("logdb: file busy")
	// ErrNoChange may be returned by an Update function that has nothing
	// to commit: its writes, if any, are undone, and Update reports nil.
	ErrNoChange = errors.New("logdb: no change")
)

// Options configure a DB.
type Options struct {
	// BusyTimeout bounds how long one operation waits for a lock held by
	// other processes before failing with ErrBusy. Zero means
	// DefaultBusyTimeout.
	BusyTimeout time.Duration
}

// DB is this process's handle on one database file. Every DB of a process
// opened on the same path shares one state, so goroutines take turns
// through one gate instead of competing for the file lock, and their
// updates share commits. A DB is safe for concurrent use.
type DB struct {
	s      *state
	once   sync.Once
	closed error
}

// state is the per-process state of one path.
type state struct {
	path        string
	busyTimeout time.Duration
	refs        int // guarded by registryMu

	// gate is a one-slot semaphore held while using the file; a channel
	// so that an update whose batch already ran can stop waiting for it.
	gate chan struct{}
	// The fields below are guarded by gate.
	st      store
	rw      recordWriter
	lockf   *os.File  // PATH.lock, opened on first use
	locked  bool      // this process holds the file lock
	waiters *os.File  // PATH.waiters, opened on first use
	yielded bool      // the last unlock let announced waiters in
	yieldAt time.Time // when

	pmu     sync.Mutex
	pending []*call // updates waiting for the next batch
	queued  int     // other operations waiting for the gate (guarded by pmu)
}

var (
	registryMu sync.Mutex
	registry   = map[string]*state{}
)

// Open returns a handle on the database at path, created on first use with
// mode 0600 (with PATH.lock and PATH.waiters beside it). It does not touch
// the file system: the file is opened by the first operation. Options of
// the first handle on a path win while any handle on it stays open. Each
// DB must be closed.
func Open(path string, opts Options) *DB {
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = DefaultBusyTimeout
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	s := registry[path]
	if s == nil {
		s = &state{path: path, busyTimeout: opts.BusyTimeout, gate: make(chan struct{}, 1), st: store{path: path, busyTimeout: opts.BusyTimeout}}
		registry[path] = s
	}
	s.refs++
	return &DB{s: s}
}

// Path is the file's path.
func (db *DB) Path() string { return db.s.path }

// Close releases the handle. The last handle of the process on a path
// closes the files. Operations must not be running on the handle.
func (db *DB) Close() error {
	db.once.Do(func() {
		s := db.s
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
		defer func() { <-s.gate }()
		s.unlock()
		s.st.reset()
		for _, f := range []**os.File{&s.lockf, &s.waiters} {
			if *f != nil {
				if err := (*f).Close(); err != nil && db.closed == nil {
					db.closed = fmt.Errorf("logdb: close %s: %w", s.path, err)
				}
				*f = nil
			}
		}
	})
	return db.closed
}
