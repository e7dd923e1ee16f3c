package fileblob

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/dumpflow/dumpflow/pkg/blob"
)

// NewWriter implements blob.Driver: the blob is streamed into a temporary
// file in this bucket's directory under DIR/.dumpflow/tmp (same file
// system, so no copy on commit).
func (d *driver) NewWriter(_ context.Context, key string, opts *blob.WriterOptions) (blob.DriverWriter, error) {
	var rnd [12]byte
	_, _ = rand.Read(rnd[:])
	tmp := hex.EncodeToString(rnd[:])
	var f *os.File
	err := withFd(d.own, func(dfd int) error {
		fd, err := unix.Openat(dfd, tmp, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, filePerm)
		if err != nil {
			return err
		}
		f = os.NewFile(uintptr(fd), d.path(d.owner+"/"+tmp))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("fileblob: creating temporary file for %q in %s: %w", key, d.path(d.owner), err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		_ = withFd(d.own, func(dfd int) error { return unix.Unlinkat(dfd, tmp, 0) })
		return nil, fmt.Errorf("fileblob: %w", err)
	}
	w := &writer{d: d, key: key, tmp: tmp, f: f, ino: inode(fi), opts: *opts}
	if opts.ContentSHA256 == nil {
		w.sum = sha256.New()
	}
	return w, nil
}

// writer streams one blob into a temporary file and commits it; blob.Store
// serialises its calls.
type writer struct {
	d    *driver
	key  string
	tmp  string   // temporary file name in d.own
	f    *os.File // nil once closed
	ino  uint64   // the temporary file's inode: the blob's version
	opts blob.WriterOptions
	sum  hash.Hash // SHA-256 of the content so far; nil when the caller gives it (opts.ContentSHA256)
	n    int64
	side string // the attribute file written by Commit, if any

	flushed int64 // bytes whose writeback was started
}

// writebackChunk is how much of a streamed blob may be written before
// its writeback is started (see startWriteback).
const writebackChunk = 8 << 20

// Write implements blob.DriverWriter.
func (w *writer) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if w.sum != nil {
		w.sum.Write(p[:n])
	}
	w.n += int64(n)
	if err != nil {
		return n, fmt.Errorf("fileblob: writing %q to %s: %w", w.key, w.f.Name(), err)
	}
	if w.n-w.flushed >= writebackChunk {
		// Every commit's syncfs flushes the whole file system: a dump
		// being streamed must not leave gigabytes dirty for a manifest's
		// commit to wait for.
		_ = withFd(w.f, func(fd int) error { startWriteback(fd, w.flushed, w.n-w.flushed); return nil })
		w.flushed = w.n
	}
	return n, nil
}

// Abort implements blob.DriverWriter.
func (w *writer) Abort() error {
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
	if w.side != "" {
		_ = w.d.root.Remove(w.side)
		w.side = ""
	}
	// Fails harmlessly once the file has its key's name.
	_ = withFd(w.d.own, func(dfd int) error { return unix.Unlinkat(dfd, w.tmp, 0) })
	return nil
}

// Commit implements blob.DriverWriter; see the package comment, Commit.
func (w *writer) Commit(md map[string]string) error {
	err := w.f.Close()
	w.f = nil
	if err != nil {
		return fmt.Errorf("fileblob: closing %q: %w", w.key, err)
	}
	digest, err := w.digest()
	if err != nil {
		return err
	}
	sc := sidecar{
		Version:     sidecarVersion,
		Key:         w.key,
		Size:        w.n,
		SHA256:      digest,
		ContentType: w.opts.ContentType,
		Metadata:    md,
	}
	if w.side, err = w.d.writeSidecar(sc, w.ino); err != nil {
		return err
	}
	// Content and attributes must be durable before the content has a
	// name: a shared sync.
	if err := w.d.gs.wait(); err != nil {
		return fmt.Errorf("fileblob: %q: %w", w.key, err)
	}
	dir, err := w.d.openDir(w.key)
	if err != nil {
		return err
	}
	defer dir.Close()
	// The version an overwrite replaces, held open until its attribute
	// file is removed: while open, its inode number cannot be reused by a
	// new file, whose attribute file would have the same name.
	var old *os.File
	if w.opts.Overwrite {
		if f, err := w.d.openBeneath(name(w.key), openContent, 0); err == nil {
			old = f
			defer old.Close()
		}
	}
	if err := w.rename(dir, path.Base(w.key)); err != nil {
		return w.commitErr(err)
	}
	w.side = "" // belongs to the committed blob now
	// The new name (and any directory created for it) must be durable
	// before Close reports success: a second shared sync.
	if err := w.d.gs.wait(); err != nil {
		return fmt.Errorf("fileblob: %q committed, durability unknown: %w", w.key, err)
	}
	if old != nil {
		// The replaced version's attributes; a leftover is harmless
		// (nothing names its inode) and removed by a later Open.
		if fi, err := old.Stat(); err == nil && fi.Mode().IsRegular() && inode(fi) != w.ino {
			_ = w.d.root.Remove(attrsName(w.key, inode(fi)))
		}
	}
	return nil
}

// rename gives the temporary file the name base in directory dir:
// renameat2(2) with RENAME_NOREPLACE for create-if-absent, which fails if
// the name exists, so exactly one of any number of racing writers — in any
// process — wins; link(2), which fails the same way, where the file system
// lacks it; plain rename(2) for Overwrite, which replaces the old blob
// atomically.
func (w *writer) rename(dir *os.File, base string) error {
	return withFd(w.d.own, func(tfd int) error {
		return withFd(dir, func(dfd int) error {
			if w.opts.Overwrite {
				return unix.Renameat(tfd, w.tmp, dfd, base)
			}
			err := renameNoReplace(tfd, w.tmp, dfd, base)
			if !errNoRenameat2(err) {
				return err
			}
			if err := unix.Linkat(tfd, w.tmp, dfd, base, 0); err != nil {
				return err
			}
			_ = unix.Unlinkat(tfd, w.tmp, 0)
			return nil
		})
	})
}

// openDir opens the directory that holds key's file, creating it (and its
// parents) if needed.
func (d *driver) openDir(key string) (*os.File, error) {
	dir := name(path.Dir(key))
	f, err := d.openBeneath(dir, os.O_RDONLY|syscall.O_DIRECTORY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		// Usually only the last directory is new (incidents/{id}/).
		err = d.root.Mkdir(dir, dirPerm)
		if errors.Is(err, fs.ErrNotExist) {
			err = d.root.MkdirAll(dir, dirPerm)
		}
		if err == nil || errors.Is(err, fs.ErrExist) {
			f, err = d.openBeneath(dir, os.O_RDONLY|syscall.O_DIRECTORY, 0)
		}
	}
	if err != nil {
		if errors.Is(err, syscall.ENOTDIR) || errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("%w: %q: a blob exists under one of its parent prefixes", blob.ErrInvalidKey, key)
		}
		return nil, fmt.Errorf("fileblob: creating directory for %q: %w", key, err)
	}
	if fi, err := f.Stat(); err == nil && !fi.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%w: %q: a blob exists under one of its parent prefixes", blob.ErrInvalidKey, key)
	}
	return f, nil
}

// commitErr explains a failed link or rename onto the key's name.
func (w *writer) commitErr(err error) error {
	if errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("%w: %q: a blob exists under one of its parent prefixes", blob.ErrInvalidKey, w.key)
	}
	if fi, serr := w.d.root.Lstat(name(w.key)); serr == nil && fi.IsDir() {
		return fmt.Errorf("%w: %q is a prefix of other blobs' keys", blob.ErrInvalidKey, w.key)
	}
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w: %q", blob.ErrExists, w.key)
	}
	return fmt.Errorf("fileblob: committing %q: %w", w.key, err)
}

// digest is the content's hex SHA-256: the caller's when it gives one,
// else the one computed while writing.
func (w *writer) digest() (string, error) {
	if w.sum != nil {
		return hex.EncodeToString(w.sum.Sum(nil)), nil
	}
	d := strings.ToLower(w.opts.ContentSHA256())
	if b, err := hex.DecodeString(d); err != nil || len(b) != sha256.Size {
		return "", fmt.Errorf("fileblob: %q: the writer's ContentSHA256 gave %q, not a hex SHA-256", w.key, d)
	}
	return d, nil
}
