package fileblob

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
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
}

// Bucket is a blob.Bucket over a local directory. It is safe for
// concurrent use, and any number of processes may open the same directory.
type Bucket struct {
	dir  string
	root *os.Root
	tmp  *os.File // DIR/.dumpflow/tmp, for *at system calls
	gs   *groupSync
	now  func() time.Time
}

var _ blob.Bucket = (*Bucket)(nil)

// Open opens (creating it if needed) the bucket stored in dir.
func Open(dir string) (*Bucket, error) { return OpenOptions(dir, nil) }

// OpenOptions is Open with options; nil opts means the defaults.
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
	b := &Bucket{dir: abs, root: root, tmp: tmp, now: time.Now}
	b.gs = newGroupSync(func() error {
		return b.inTmp(func(fd int) error { return syncFS(fd) })
	})
	if opts != nil && opts.Now != nil {
		b.now = opts.Now
	}
	b.removeStaleTemps()
	return b, nil
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

// Close releases the bucket's directory handles. Open readers stay usable
// until closed; writers not yet closed fail to commit.
func (b *Bucket) Close() error {
	err := b.tmp.Close()
	return errors.Join(err, b.root.Close())
}

// inTmp calls fn with the file descriptor of DIR/.dumpflow/tmp, which
// stays open (its number cannot be reused) until fn returns. It fails once
// the bucket is closed.
func (b *Bucket) inTmp(fn func(fd int) error) error {
	rc, err := b.tmp.SyscallConn()
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

// Attributes implements blob.Bucket.
func (b *Bucket) Attributes(ctx context.Context, key string) (blob.Attributes, error) {
	f, attrs, err := b.open(ctx, key)
	if err != nil {
		return blob.Attributes{}, err
	}
	f.Close()
	return attrs, nil
}

// open opens the blob file of key and reads its attributes.
func (b *Bucket) open(ctx context.Context, key string) (*os.File, blob.Attributes, error) {
	if err := blob.ValidateKey(key); err != nil {
		return nil, blob.Attributes{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, blob.Attributes{}, err
	}
	f, err := b.root.Open(name(key))
	if err != nil {
		return nil, blob.Attributes{}, mapErr(key, err)
	}
	attrs, err := readAttrs(f, key)
	if err != nil {
		f.Close()
		return nil, blob.Attributes{}, err
	}
	return f, attrs, nil
}

// readAttrs returns the attributes of the open blob file f.
func readAttrs(f *os.File, key string) (blob.Attributes, error) {
	fi, err := f.Stat()
	if err != nil {
		return blob.Attributes{}, fmt.Errorf("fileblob: %q: %w", key, err)
	}
	if !fi.Mode().IsRegular() {
		return blob.Attributes{}, fmt.Errorf("%w: %q", blob.ErrNotFound, key)
	}
	sa, size, err := decodeTrailer(f, fi.Size())
	if err != nil {
		return blob.Attributes{}, fmt.Errorf("%q: %w", key, err)
	}
	a := blob.Attributes{
		Key:         key,
		Size:        size,
		ContentType: sa.ContentType,
		Metadata:    sa.Metadata,
		ModTime:     fi.ModTime(),
		ETag:        etag(fi),
	}
	if a.Metadata == nil {
		a.Metadata = map[string]string{}
	}
	return a, nil
}

// etag identifies one version of a blob file: every commit links a new
// inode, and the modification time and size tell reused inodes apart.
func etag(fi fs.FileInfo) string {
	var ino uint64
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		ino = uint64(st.Ino)
	}
	return fmt.Sprintf(`"%x-%x-%x"`, ino, fi.ModTime().UnixNano(), fi.Size())
}

// mapErr turns a file system error about key into the port's errors.
func mapErr(key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EISDIR) {
		return fmt.Errorf("%w: %q", blob.ErrNotFound, key)
	}
	return fmt.Errorf("fileblob: %q: %w", key, err)
}

// List implements blob.Bucket. Files that are not blobs written by this
// package (see ErrCorrupt) are skipped.
func (b *Bucket) List(ctx context.Context, prefix string) ([]blob.Attributes, error) {
	// Walk only the deepest directory the prefix names in full.
	start := "."
	if i := strings.LastIndexByte(prefix, '/'); i > 0 {
		start = prefix[:i]
		if blob.ValidateKey(start) != nil {
			return nil, nil // no valid key has this prefix
		}
	}
	var out []blob.Attributes
	err := fs.WalkDir(b.root.FS(), start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == start && errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
				return fs.SkipAll
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			if p == stateDir || (p != "." && !strings.HasPrefix(p+"/", prefix) && !strings.HasPrefix(prefix, p+"/")) {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !strings.HasPrefix(p, prefix) {
			return nil
		}
		f, err := b.root.Open(name(p))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // deleted meanwhile
			}
			return err
		}
		a, err := readAttrs(f, p)
		f.Close()
		if errors.Is(err, ErrCorrupt) || errors.Is(err, blob.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("fileblob: listing %q: %w", prefix, err)
	}
	slices.SortFunc(out, func(x, y blob.Attributes) int { return strings.Compare(x.Key, y.Key) })
	return out, nil
}

// Delete implements blob.Bucket.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := blob.ValidateKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	fi, err := b.root.Lstat(name(key))
	if err != nil {
		return mapErr(key, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: %q", blob.ErrNotFound, key)
	}
	if err := b.root.Remove(name(key)); err != nil {
		return mapErr(key, err)
	}
	return b.syncDir(path.Dir(key))
}

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
