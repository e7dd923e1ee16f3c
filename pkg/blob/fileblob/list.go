package fileblob

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"syscall"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/logdb"
)

// List implements blob.Bucket: the blobs of both stores, each key once.
// Files and records that are not blobs written by this package (see
// ErrCorrupt) are skipped.
//
// The small-blob database is read before and after the walk of the files,
// so that a key that exists throughout the call is listed even if an
// overwrite moves it between the stores meanwhile. Like Azure's, a listing
// is not a snapshot: a blob created or deleted during the call may or may
// not be listed.
func (b *Bucket) List(ctx context.Context, prefix string) ([]blob.Attributes, error) {
	// Walk only the deepest directory the prefix names in full.
	start := "."
	if i := strings.LastIndexByte(prefix, '/'); i > 0 {
		start = prefix[:i]
		if blob.ValidateKey(start) != nil {
			return nil, nil // no valid key has this prefix
		}
	}
	if b.closed.Load() {
		return nil, errClosed
	}
	before, err := b.listSmall(ctx, prefix)
	if err != nil {
		return nil, err
	}
	files, err := b.listFiles(ctx, prefix, start)
	if err != nil {
		return nil, err
	}
	after, err := b.listSmall(ctx, prefix)
	if err != nil {
		return nil, err
	}
	// Latest wins; a file wins over a record (see the package comment).
	return mergeLists(before, after, files), nil
}

// listFiles returns the attributes of the blob files whose keys start
// with prefix, walking from the directory start.
func (b *Bucket) listFiles(ctx context.Context, prefix, start string) ([]blob.Attributes, error) {
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
	return out, nil
}

// Delete implements blob.Bucket: it removes the key from both stores,
// under the database's lock. The record goes first, so a crash in between
// leaves the file, as if Delete had not run.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := blob.ValidateKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if b.closed.Load() {
		return errClosed
	}
	k := []byte(key)
	var hadRecord, hadFile bool
	err := b.db.Exclusive(ctx, func(db *logdb.Locked) error {
		if err := db.View(func(tx *logdb.Tx) error { hadRecord = hasRecord(tx, k); return nil }); err != nil {
			return err
		}
		if hadRecord {
			err := db.Update(func(tx *logdb.Tx) error { return tx.Bucket(smallBucket).Delete(k) })
			if err != nil {
				return err
			}
		}
		var err error
		hadFile, err = b.removeFile(key)
		return err
	})
	switch {
	case err != nil:
		return fmt.Errorf("fileblob: deleting %q: %w", key, err)
	case hadFile:
		return b.syncDir(path.Dir(key))
	case !hadRecord:
		return fmt.Errorf("%w: %q", blob.ErrNotFound, key)
	}
	return nil
}
