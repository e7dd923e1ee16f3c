package fileblob

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
)

const (
	stateDir  = ".dumpflow"
	tmpDir    = stateDir + "/tmp"
	leaseDir  = stateDir + "/leases"
	attrsDir  = stateDir + "/attrs"
	openLock  = stateDir + "/open.lock"
	sweepMark = stateDir + "/sweep" // a writer died: look for stale attribute files
	filePerm  = 0o600
	dirPerm   = 0o700
	ownerTemp = "w-" // prefix of a process's directory in tmpDir
)

// Options tune OpenOptions. A nil *Options means the defaults.
type Options struct {
	// Now is the clock used for lease expiry; nil means time.Now. Every
	// process sharing a directory must use the same clock, so only tests
	// set it.
	Now func() time.Time
}

// Bucket is a blob.Bucket over a local directory. It is safe for
// concurrent use, and any number of processes may open the same directory.
type Bucket struct {
	*blob.Store
	d *driver
}

// driver is the blob.Driver under Bucket.
type driver struct {
	dir   string
	root  *os.Root
	dirf  *os.File // DIR, for *at system calls and syncfs
	own   *os.File // this bucket's directory in tmpDir, flocked while open
	owner string   // its root-relative name
	lock  *os.File // openLock, held shared while open
	gs    *groupSync
	now   func() time.Time
}

var (
	_ blob.Bucket = (*Bucket)(nil)
	_ blob.Driver = (*driver)(nil)
)

// Open opens (creating it if needed) the bucket stored in dir.
func Open(dir string) (*Bucket, error) { return OpenOptions(dir, nil) }

// OpenOptions is Open with options; nil opts means the defaults.
//
// Open removes what writers of processes that died left behind (see the
// package comment, Crashes): their temporary files always, and attribute
// files of commits that never happened when no other process has the
// bucket open.
func OpenOptions(dir string, opts *Options) (*Bucket, error) {
	if dir == "" {
		return nil, errors.New("fileblob: empty directory name")
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
	d := &driver{dir: abs, root: root, now: time.Now}
	if opts != nil && opts.Now != nil {
		d.now = opts.Now
	}
	if err := d.open(); err != nil {
		d.Close()
		return nil, err
	}
	d.gs = newGroupSync(func() error { return withFd(d.dirf, syncFS) })
	return &Bucket{Store: blob.NewStore(d), d: d}, nil
}

// open creates the state directories, takes the locks and cleans up.
func (d *driver) open() error {
	for _, sub := range []string{tmpDir, leaseDir, attrsDir} {
		if err := d.root.MkdirAll(sub, dirPerm); err != nil {
			return fmt.Errorf("fileblob: creating %s in %s: %w", sub, d.dir, err)
		}
	}
	var err error
	if d.dirf, err = d.root.Open("."); err != nil {
		return fmt.Errorf("fileblob: opening %s: %w", d.dir, err)
	}
	if d.lock, err = d.root.OpenFile(openLock, os.O_RDWR|os.O_CREATE, filePerm); err != nil {
		return fmt.Errorf("fileblob: opening %s: %w", d.path(openLock), err)
	}
	if err := d.claimOwnDir(); err != nil {
		return err
	}
	d.removeDeadTemps()
	// Alone with the directory, no commit is under way: attribute files
	// of versions that are not current are leftovers of crashed commits.
	// Only a process that died leaves them, so the walk runs only after
	// one did (sweepMark).
	if tryFlock(d.lock, true) {
		if _, err := d.root.Lstat(sweepMark); err == nil {
			d.removeStaleAttrs()
			_ = d.root.Remove(sweepMark)
		}
	}
	return flockWait(d.lock, false)
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
func (b *Bucket) Dir() string { return b.d.dir }

// Path is the file that holds (or would hold) the blob under key: a plain
// file with exactly the blob's content, which any tool can open. It does
// not check that the blob exists.
func (b *Bucket) Path(key string) string { return b.d.path(key) }

// Close implements blob.Driver: it removes this bucket's temporary
// directory and releases its locks and directory handles. Open readers
// stay usable until closed; writers not yet closed fail to commit.
func (d *driver) Close() error {
	var errs []error
	if d.own != nil {
		errs = append(errs, d.root.RemoveAll(d.owner), d.own.Close())
	}
	for _, f := range []*os.File{d.lock, d.dirf} {
		if f != nil {
			errs = append(errs, f.Close())
		}
	}
	return errors.Join(append(errs, d.root.Close())...)
}

// withFd calls fn with f's file descriptor, which stays open (its number
// cannot be reused) until fn returns. It fails once f is closed.
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

// path is the absolute file name of the root-relative name rel.
func (d *driver) path(rel string) string { return filepath.Join(d.dir, filepath.FromSlash(rel)) }

// syncDir fsyncs the root-relative directory dir, making a link, rename or
// remove in it durable.
func (d *driver) syncDir(dir string) error {
	f, err := d.openBeneath(name(dir), os.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		return fmt.Errorf("fileblob: syncing %s: %w", d.path(dir), err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fileblob: syncing %s: %w", d.path(dir), err)
	}
	return nil
}
