package filequeue

import (
	"github.com/dumpflow/dumpflow/pkg/logdb"

	"sync"
	"time"
)

// sharedFile is the per-process state of one queue file, shared by every
// Queue of this process that opened the same path: one store (so that
// goroutines of this process share commits and take turns instead of
// competing for the file lock) and one wake-up channel (so that a Send
// through one Queue wakes a Receive waiting on another at once).
type sharedFile struct {
	path string
	db   *logdb.DB
	refs int // guarded by registryMu

	mu   sync.Mutex
	wake chan struct{} // closed and replaced on notify
}

var (
	registryMu sync.Mutex
	registry   = map[string]*sharedFile{}
)

// acquireShared returns the process-wide state for path, creating it on
// first use. Each call must be paired with releaseShared.
func acquireShared(path string, busyTimeout time.Duration) *sharedFile {
	registryMu.Lock()
	defer registryMu.Unlock()
	f := registry[path]
	if f == nil {
		f = &sharedFile{path: path, db: logdb.Open(path, logdb.Options{BusyTimeout: busyTimeout})}
		registry[path] = f
	}
	f.refs++
	return f
}

func releaseShared(f *sharedFile) {
	registryMu.Lock()
	defer registryMu.Unlock()
	f.refs--
	if f.refs == 0 {
		delete(registry, f.path)
		_ = f.db.Close()
	}
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
