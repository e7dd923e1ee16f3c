package sqlitequeue

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/dumpflow/dumpflow/pkg/queue"
)

// Queue is one durable queue stored in the SQLite file DIR/NAME.sqlite. It
// implements queue.Queue and queue.DeadLetterQueue and is safe for
// concurrent use by many goroutines and by many processes on the same
// machine.
type Queue struct {
	name string
	path string
	opts Options
	file *sharedFile

	done      chan struct{} // closed by Close
	closeOnce sync.Once
	rw        sync.RWMutex // operations hold R; Close takes W to wait for them
	closed    bool
}

var (
	_ queue.Queue           = (*Queue)(nil)
	_ queue.DeadLetterQueue = (*Queue)(nil)
)

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// FileExt is the extension of a queue file: queue NAME is DIR/NAME.sqlite.
const FileExt = ".sqlite"

// Open opens (creating if needed) the queue name in directory dir, which
// is created with mode 0750 if missing. name must be 1 to 64 characters
// from [A-Za-z0-9._-], starting with a letter or digit. Several processes
// may open the same queue at once; see the package documentation. A file
// that is not a dumpflow queue, or whose write-ahead log holds a damaged
// committed transaction, is refused with an error that says how to
// recover it.
func Open(dir, name string, opts Options) (*Queue, error) {
	if !validName.MatchString(name) {
		return nil, fmt.Errorf("sqlitequeue: invalid queue name %q (want 1-64 of [A-Za-z0-9._-], starting alphanumeric)", name)
	}
	if dir == "" {
		return nil, errors.New("sqlitequeue: empty directory")
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("sqlitequeue: directory %q: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("sqlitequeue: create directory: %w", err)
	}
	q := &Queue{
		name: name,
		path: filepath.Join(abs, name+FileExt),
		opts: opts,
		done: make(chan struct{}),
	}
	q.file, err = acquireShared(q.path, opts)
	if err != nil {
		return nil, err
	}
	return q, nil
}

// Name returns the queue's name.
func (q *Queue) Name() string { return q.name }

// Path returns the queue file's path.
func (q *Queue) Path() string { return q.path }

// Dir returns the directory holding the queue file.
func (q *Queue) Dir() string { return filepath.Dir(q.path) }

// Options returns the queue's options with defaults filled in.
func (q *Queue) Options() Options { return q.opts }

// begin registers an operation; it fails with queue.ErrClosed after Close.
func (q *Queue) begin() error {
	q.rw.RLock()
	if q.closed {
		q.rw.RUnlock()
		return queue.ErrClosed
	}
	return nil
}

func (q *Queue) end() { q.rw.RUnlock() }

// Close stops waiting receivers (they return queue.ErrClosed), waits for
// operations in progress and releases the queue; the last Queue of this
// process on the file closes the database. Messages locked through this
// Queue stay locked until their locks expire, then are redelivered. Close
// is idempotent.
func (q *Queue) Close() error {
	q.closeOnce.Do(func() {
		close(q.done)
		q.rw.Lock()
		q.closed = true
		q.rw.Unlock()
		releaseShared(q.file)
	})
	return nil
}

// toTime converts stored Unix nanoseconds to a time.Time; 0 is the zero time.
func toTime(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// fromTime converts t to stored Unix nanoseconds; the zero time is 0.
func fromTime(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}
