package fileblob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/logdb"
)

// errWriterDone is returned by Write and Close on a writer already closed
// or aborted.
var errWriterDone = errors.New("fileblob: writer already closed or aborted")

// NewWriter implements blob.Bucket. The returned writer is not safe for
// concurrent Writes; Abort and context cancellation may race with them.
func (b *Bucket) NewWriter(ctx context.Context, key string, opts *blob.WriterOptions) (blob.Writer, error) {
	opts, err := blob.ValidateWriter(key, opts)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if b.closed.Load() {
		return nil, errClosed
	}
	ct := opts.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	attrs := storedAttrs{ContentType: ct, Metadata: maps.Clone(opts.Metadata)}
	if opts.Size > 0 && opts.Size <= b.smallMax {
		return b.newSmallWriter(ctx, key, opts, attrs), nil
	}
	var rnd [12]byte
	_, _ = rand.Read(rnd[:])
	tmp := hex.EncodeToString(rnd[:]) + ".tmp"
	var f *os.File
	err = b.inTmp(func(dfd int) error {
		fd, err := unix.Openat(dfd, tmp, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, filePerm)
		if err != nil {
			return err
		}
		f = os.NewFile(uintptr(fd), b.dir+"/"+tmpDir+"/"+tmp)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("fileblob: creating temporary file for %q: %w", key, err)
	}
	w := &writer{
		b:     b,
		ctx:   ctx,
		key:   key,
		tmp:   tmp,
		f:     f,
		size:  opts.Size,
		over:  opts.Overwrite,
		attrs: attrs,
	}
	w.stop = context.AfterFunc(ctx, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.abortLocked(ctx.Err())
	})
	return w, nil
}

// writer streams one blob into a temporary file and commits it on Close.
type writer struct {
	b     *Bucket
	ctx   context.Context
	key   string
	tmp   string // temporary file name in DIR/.dumpflow/tmp
	size  int64  // expected size, or 0
	over  bool
	attrs storedAttrs
	stop  func() bool

	mu  sync.Mutex
	f   *os.File // nil once closed or aborted
	n   int64    // bytes written
	err error    // why the writer ended (errWriterDone once committed)
}

// Write implements io.Writer.
func (w *writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return 0, w.err
	}
	if err := w.ctx.Err(); err != nil {
		w.abortLocked(err)
		return 0, w.err
	}
	if w.size > 0 && w.n+int64(len(p)) > w.size {
		w.abortLocked(fmt.Errorf("%w: more than the %d bytes announced for %q", blob.ErrSizeMismatch, w.size, w.key))
		return 0, w.err
	}
	n, err := w.f.Write(p)
	w.n += int64(n)
	if err != nil {
		w.abortLocked(fmt.Errorf("fileblob: writing %q: %w", w.key, err))
		return n, w.err
	}
	return n, nil
}

// Close commits the blob; see the package comment.
func (w *writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return w.err
	}
	w.stop()
	if err := w.commitLocked(); err != nil {
		w.abortLocked(err)
		return err
	}
	return nil
}

// SetMetadata replaces the metadata Close will store, for values known only
// once the content is written (a checksum, a byte count). It fails with
// blob.ErrInvalidMetadata on bad metadata, and after Close or Abort.
func (w *writer) SetMetadata(md map[string]string) error {
	if err := blob.ValidateMetadata(md); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return w.err
	}
	w.attrs.Metadata = maps.Clone(md)
	return nil
}

// Abort implements blob.Writer.
func (w *writer) Abort() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stop()
	w.abortLocked(fmt.Errorf("fileblob: writer for %q aborted", w.key))
	return nil
}

// abortLocked discards the temporary file, if still there, and records why.
func (w *writer) abortLocked(why error) {
	if w.f == nil {
		return
	}
	w.f.Close()
	w.f = nil
	_ = w.b.inTmp(func(dfd int) error { return unix.Unlinkat(dfd, w.tmp, 0) })
	w.err = why
}

func (w *writer) commitLocked() error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if w.size > 0 && w.n != w.size {
		return fmt.Errorf("%w: wrote %d bytes to %q, announced %d", blob.ErrSizeMismatch, w.n, w.key, w.size)
	}
	trailer, err := encodeTrailer(w.attrs)
	if err != nil {
		return err
	}
	if _, err := w.f.Write(trailer); err != nil {
		return fmt.Errorf("fileblob: writing %q: %w", w.key, err)
	}
	if err := w.f.Close(); err != nil {
		return fmt.Errorf("fileblob: closing %q: %w", w.key, err)
	}
	// The content must be durable before its name is: a shared sync.
	if err := w.b.gs.wait(); err != nil {
		return fmt.Errorf("fileblob: %q: %w", w.key, err)
	}
	d, err := w.b.openDir(w.key)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := w.rename(d); err != nil {
		return err
	}
	w.f = nil
	w.err = errWriterDone
	// The new name (and any directory created for it) must be durable
	// before Close reports success: a second shared sync.
	if err := w.b.gs.wait(); err != nil {
		return fmt.Errorf("fileblob: %q committed, durability unknown: %w", w.key, err)
	}
	return nil
}

// rename gives the temporary file the key's name in directory d, under
// the small-blob database's lock: a create-if-absent fails if the database
// holds the key, and an overwrite of a small blob deletes its record once
// the file's name is durable (so a crash in between leaves both, where the
// file wins). Doing the rename only under that lock is what lets small
// commits check for files atomically (see Bucket.commitSmall). The lock is
// logdb's: while commits keep coming this process keeps it, so each rename
// costs a handoff of the gate.
func (w *writer) rename(d *os.File) error {
	base := path.Base(w.key)
	k := []byte(w.key)
	var err error
	xerr := w.b.db.Exclusive(w.ctx, func(db *logdb.Locked) error {
		if err := w.ctx.Err(); err != nil {
			return err // given up while waiting: not renamed
		}
		var small bool
		if err := db.View(func(tx *logdb.Tx) error { small = hasRecord(tx, k); return nil }); err != nil {
			return err
		}
		if small && !w.over {
			return fmt.Errorf("%w: %q", blob.ErrExists, w.key)
		}
		if err = w.renameFile(d, base); err != nil {
			return nil // reported below
		}
		if !small {
			return nil
		}
		if err := w.b.gs.wait(); err != nil {
			return fmt.Errorf("fileblob: %q renamed over a small blob, durability unknown: %w", w.key, err)
		}
		return db.Update(func(tx *logdb.Tx) error { return tx.Bucket(smallBucket).Delete(k) })
	})
	switch {
	case xerr != nil && !errors.Is(xerr, blob.ErrExists) && !errors.Is(xerr, w.ctx.Err()):
		return fmt.Errorf("fileblob: committing %q: %w", w.key, xerr)
	case xerr != nil:
		return xerr
	case err != nil:
		return w.commitErr(err)
	}
	return nil
}

// renameFile renames the temporary file to base in directory d.
func (w *writer) renameFile(d *os.File, base string) error {
	return w.b.inTmp(func(tfd int) error {
		dfd := int(d.Fd())
		if w.over {
			return unix.Renameat(tfd, w.tmp, dfd, base)
		}
		err := renameNoReplace(tfd, w.tmp, dfd, base)
		if !errNoRenameat2(err) {
			return err
		}
		// link(2) fails if the name exists, as RENAME_NOREPLACE does.
		if err := unix.Linkat(tfd, w.tmp, dfd, base, 0); err != nil {
			return err
		}
		_ = unix.Unlinkat(tfd, w.tmp, 0)
		return nil
	})
}

// openDir opens the directory that holds key's file, creating it (and its
// parents) if needed.
func (b *Bucket) openDir(key string) (*os.File, error) {
	dir := name(path.Dir(key))
	d, err := b.root.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		// Usually only the last directory is new (incidents/{id}/).
		err = b.root.Mkdir(dir, dirPerm)
		if errors.Is(err, fs.ErrNotExist) {
			err = b.root.MkdirAll(dir, dirPerm)
		}
		if err == nil || errors.Is(err, fs.ErrExist) {
			d, err = b.root.Open(dir)
		}
	}
	if err != nil {
		if errors.Is(err, syscall.ENOTDIR) || errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("%w: %q: a blob exists under one of its parent prefixes", blob.ErrInvalidKey, key)
		}
		return nil, fmt.Errorf("fileblob: creating directory for %q: %w", key, err)
	}
	return d, nil
}

// commitErr explains a failed link or rename onto the key's name.
func (w *writer) commitErr(err error) error {
	if errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("%w: %q: a blob exists under one of its parent prefixes", blob.ErrInvalidKey, w.key)
	}
	if fi, serr := w.b.root.Lstat(name(w.key)); serr == nil && fi.IsDir() {
		return fmt.Errorf("%w: %q is a prefix of other blobs' keys", blob.ErrInvalidKey, w.key)
	}
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w: %q", blob.ErrExists, w.key)
	}
	return fmt.Errorf("fileblob: committing %q: %w", w.key, err)
}
