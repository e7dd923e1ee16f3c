package sqlitequeue

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// sharedFile is the per-process state of one queue file, shared by every
// Queue of this process that opened the same path: one connection (so
// that goroutines of this process queue in Go for SQLite's single writer
// instead of sleeping in its busy handler), one group committer for every
// change,
// and one wake-up channel (so that a Send through one Queue wakes a
// Receive waiting on another at once).
type sharedFile struct {
	path  string
	db    *sql.DB
	lock  *os.File // holds a shared flock on the database file while open
	stmts *sendStmts
	ckpt  *sql.DB     // the checkpointing connection (checkpoint.go)
	dirty atomic.Bool // a commit happened since the last checkpoint
	refs  int         // guarded by registryMu

	ops  chan *op      // to the committer (commit.go)
	quit chan struct{} // closed to stop the committer
	wg   sync.WaitGroup

	mu   sync.Mutex
	wake chan struct{} // closed and replaced on notify
}

var (
	registryMu sync.Mutex
	registry   = map[string]*sharedFile{}
)

// acquireShared returns the process-wide state for path, opening the file
// on first use. Each successful call must be paired with releaseShared.
func acquireShared(path string, opts Options) (*sharedFile, error) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if f := registry[path]; f != nil {
		f.refs++
		return f, nil
	}
	f, err := openShared(path, opts)
	if err != nil {
		return nil, err
	}
	f.refs = 1
	registry[path] = f
	return f, nil
}

func openShared(path string, opts Options) (*sharedFile, error) {
	lock, err := lockFile(path)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", dsn(path, opts.BusyTimeout.Milliseconds()))
	if err != nil {
		_ = lock.Close()
		return nil, fmt.Errorf("sqlitequeue: open %s: %w", path, err)
	}
	// One connection: SQLite has one writer per file anyway, and a
	// single connection makes this process's writers wait in line here.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	ctx, cancel := context.WithTimeout(context.Background(), opts.BusyTimeout+5*time.Second)
	defer cancel()
	err = initSchema(ctx, db)
	var (
		stmts *sendStmts
		ckpt  *sql.DB
	)
	if err == nil {
		stmts, err = prepareSend(ctx, db)
	}
	if err == nil {
		ckpt, err = openCheckpointer(path, opts.BusyTimeout.Milliseconds())
	}
	if err != nil {
		_ = db.Close()
		_ = lock.Close() // after db.Close: closing any descriptor of the file drops SQLite's POSIX locks
		return nil, fmt.Errorf("sqlitequeue: open %s: %w", path, explain(path, err))
	}
	f := &sharedFile{
		path:  path,
		db:    db,
		lock:  lock,
		stmts: stmts,
		ckpt:  ckpt,
		ops:   make(chan *op, maxBatch),
		quit:  make(chan struct{}),
	}
	f.wg.Go(f.commitLoop)
	f.wg.Go(f.checkpointLoop)
	return f, nil
}

func releaseShared(f *sharedFile) {
	registryMu.Lock()
	defer registryMu.Unlock()
	f.refs--
	if f.refs == 0 {
		delete(registry, f.path)
		close(f.quit)
		f.wg.Wait()
		_ = f.ckpt.Close()
		_ = f.db.Close()
		_ = f.lock.Close() // after db.Close, see openShared
	}
}

// lockFile opens path (creating an empty database file if needed) and
// takes a shared flock(2) on it, held until the file is released, so
// that a process can tell whether it is the only one with the queue open.
// The one that is checks the write-ahead log first (checkWAL): only then
// may SQLite rebuild its index of the log, and no writer appends to the
// log while it is read. flock and SQLite's own fcntl locks do not
// interact on Linux.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("sqlitequeue: open %s: %w", path, err)
	}
	fd := int(f.Fd())
	if syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB) == nil {
		if err := checkWAL(path); err != nil {
			_ = f.Close()
			return nil, err
		}
	}
	// Converting (or waiting for another process's check to end).
	for {
		err = syscall.Flock(fd, syscall.LOCK_SH)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("sqlitequeue: lock %s: %w", path, err)
	}
	return f, nil
}

// waiter returns a channel that is closed by the next notify.
func (f *sharedFile) waiter() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.wake == nil {
		f.wake = make(chan struct{})
	}
	return f.wake
}

// notify wakes every Receive of this process waiting on the file.
func (f *sharedFile) notify() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.wake != nil {
		close(f.wake)
		f.wake = nil
	}
}
