package fileblob

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/logdb"
)

const (
	stateDir  = ".dumpflow"
	tmpDir    = stateDir + "/tmp"
	leaseDir  = stateDir + "/leases"
	filePerm  = 0o600
	dirPerm   = 0o700
	staleTemp = 24 * time.Hour
)

// Options tune OpenOptions. A nil *Options means the defaults.
type Options struct {
	// Now is the clock used for lease expiry; nil means time.Now. Every
	// process sharing a directory must use the same clock, so only tests
	// set it.
	Now func() time.Time
	// SmallBlobMax is the largest WriterOptions.Size stored in the
	// small-blob database rather than as a file, at most MaxSmallBlobMax
	// (a small blob is held in memory whole). Zero means SmallBlobMax; a
	// negative value stores every new blob as a file. Processes sharing
	// a directory may use different values: the rules that make one key
	// one blob hold across both stores whatever the threshold.
	SmallBlobMax int64
	// BusyTimeout bounds how long one operation waits for the small-blob
	// database while other processes hold it (logdb.ErrBusy); zero
	// means logdb.DefaultBusyTimeout.
	BusyTimeout time.Duration
}

// Bucket is a blob.Bucket over a local directory. It is safe for
// concurrent use, and any number of processes may open the same directory.
type Bucket struct {
	dir      string
	root     *os.Root
	dirf     *os.File // DIR, for *at system calls
	tmp      *os.File // DIR/.dumpflow/tmp, for *at system calls
	gs       *groupSync
	db       *logdb.DB // DIR/.dumpflow/small.db
	smallMax int64     // largest Size routed to db; 0 for none
	now      func() time.Time
	closed   atomic.Bool
}

var _ blob.Bucket = (*Bucket)(nil)

// Open opens (creating it if needed) the bucket stored in dir.
func Open(dir string) (*Bucket, error) { return OpenOptions(dir, nil) }

// OpenOptions is Open with options; nil opts means the defaults.
func OpenOptions(dir string, opts *Options) (*Bucket, error) {
	if dir == "" {
		return nil, errors.New("fileblob: empty directory name")
	}
	if opts != nil && opts.SmallBlobMax > MaxSmallBlobMax {
		return nil, fmt.Errorf("fileblob: Options.SmallBlobMax %d is more than %d", opts.SmallBlobMax, MaxSmallBlobMax)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("fileblob: %w", err)
	}
	if err := os.MkdirAll(abs, dirPerm); err != nil {
		return nil, fmt.Errorf("fileblob: creating bucket directory: %w", err)
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("fileblob: %w", err)
	}
	for _, d := range []string{tmpDir, leaseDir} {
		if err := root.MkdirAll(d, dirPerm); err != nil {
			root.Close()
			return nil, fmt.Errorf("fileblob: creating %s: %w", d, err)
		}
	}
	tmp, err := root.Open(tmpDir)
	if err != nil {
		root.Close()
		return nil, fmt.Errorf("fileblob: opening %s: %w", tmpDir, err)
	}
	if opts == nil {
		opts = &Options{}
	}
	dirf, err := root.Open(".")
	if err != nil {
		tmp.Close()
		root.Close()
		return nil, fmt.Errorf("fileblob: opening %s: %w", abs, err)
	}
	b := &Bucket{dir: abs, root: root, dirf: dirf, tmp: tmp, now: time.Now, smallMax: opts.SmallBlobMax}
	switch {
	case opts.SmallBlobMax == 0:
		b.smallMax = SmallBlobMax
	case opts.SmallBlobMax < 0:
		b.smallMax = 0
	}
	if opts.Now != nil {
		b.now = opts.Now
	}
	b.gs = newGroupSync(func() error {
		return b.inTmp(func(fd int) error { return syncFS(fd) })
	})
	b.db = logdb.Open(filepath.Join(abs, filepath.FromSlash(smallDB)), logdb.Options{BusyTimeout: opts.BusyTimeout})
	if err := b.createDB(); err != nil {
		b.Close()
		return nil, err
	}
	b.removeStaleTemps()
	return b, nil
}

// createDB creates the small-blob database and its bucket if they do not
// exist yet (logdb makes the new file's name durable itself; the sync of
// the state directory also covers the lock files beside it).
func (b *Bucket) createDB() error {
	if _, err := b.root.Lstat(smallDB); err == nil {
		return nil
	}
	err := b.db.Exclusive(context.Background(), func(db *logdb.Locked) error {
		return db.Update(func(tx *logdb.Tx) error {
			_, err := tx.CreateBucketIfNotExists(smallBucket)
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("fileblob: creating the small-blob database: %w", err)
	}
	return b.syncDir(stateDir)
}

// OpenURL opens the bucket a file URL names, such as
// file:///var/lib/dumpflow/blobs. The host must be empty or "localhost",
// the path absolute, and there may be no query.
func OpenURL(ctx context.Context, u *url.URL) (*Bucket, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	switch {
	case u == nil:
		return nil, errors.New("fileblob: nil URL")
	case u.Scheme != "file":
		return nil, fmt.Errorf("fileblob: URL scheme %q, want file", u.Scheme)
	case u.Opaque != "":
		return nil, fmt.Errorf("fileblob: URL %q: path must be absolute (file:///dir)", u.Redacted())
	case u.Host != "" && u.Host != "localhost":
		return nil, fmt.Errorf("fileblob: URL %q: host %q, want none", u.Redacted(), u.Host)
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("fileblob: URL %q: unexpected query or fragment", u.Redacted())
	case !strings.HasPrefix(u.Path, "/"):
		return nil, fmt.Errorf("fileblob: URL %q: empty path", u.Redacted())
	}
	return Open(filepath.FromSlash(u.Path))
}

// Dir is the bucket's absolute directory.
func (b *Bucket) Dir() string { return b.dir }

// Close releases the bucket's directory handles and its hold on the
// small-blob database. Open readers stay usable until closed; writers not
// yet closed fail to commit. No other operation may be running.
func (b *Bucket) Close() error {
	if b.closed.Swap(true) {
		return nil
	}
	return errors.Join(b.db.Close(), b.dirf.Close(), b.tmp.Close(), b.root.Close())
}

// inTmp calls fn with the file descriptor of DIR/.dumpflow/tmp, which
// stays open (its number cannot be reused) until fn returns. It fails once
// the bucket is closed.
func (b *Bucket) inTmp(fn func(fd int) error) error { return withFd(b.tmp, fn) }

// inDir is inTmp for DIR.
func (b *Bucket) inDir(fn func(fd int) error) error { return withFd(b.dirf, fn) }

func withFd(f *os.File, fn func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// name maps a validated key to its root-relative file name.
func name(key string) string { return filepath.FromSlash(key) }

// syncDir fsyncs the root-relative directory dir, making a link, rename or
// remove in it durable.
func (b *Bucket) syncDir(dir string) error {
	d, err := b.root.Open(name(dir))
	if err != nil {
		return fmt.Errorf("fileblob: syncing %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fileblob: syncing %s: %w", dir, err)
	}
	return nil
}

// removeStaleTemps removes temporary files older than staleTemp, left by
// writers that died. Errors are ignored: this is housekeeping.
func (b *Bucket) removeStaleTemps() {
	entries, err := fs.ReadDir(b.root.FS(), tmpDir)
	if err != nil {
		return
	}
	cutoff := time.Now().Add(-staleTemp)
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && fi.ModTime().Before(cutoff) {
			_ = b.root.Remove(tmpDir + "/" + e.Name())
		}
	}
}
