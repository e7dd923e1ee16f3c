package fileblob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/logdb"
)

// SmallBlobMax is the default largest size of a small blob: a blob whose
// WriterOptions.Size is set (non-zero) and at most this many bytes is
// stored as a record in the bucket's small-blob database instead of as a
// file. See the package comment and Options.SmallBlobMax.
const SmallBlobMax = 64 << 10

// MaxSmallBlobMax bounds Options.SmallBlobMax.
const MaxSmallBlobMax = 1 << 20

// smallDB is the root-relative name of the small-blob database; the
// reserved state directory keeps it apart from every valid key.
const smallDB = stateDir + "/small.db"

// smallBucket is the logdb bucket holding one record per small blob, keyed
// by the blob's key.
var smallBucket = []byte("blobs")

// errFileHeld is returned by a small commit's Update function when an
// overwrite must replace a blob stored as a file, which needs
// Bucket.replaceFile.
var errFileHeld = errors.New("fileblob: key held by a file")

// errClosed is returned by operations on a closed bucket.
var errClosed = errors.New("fileblob: bucket closed")

// fileHeld reports whether a blob file exists under key. Directories
// (prefixes of other keys) and missing parents mean no.
//
// It runs for every small commit, inside the batch's transaction, so it
// starts with one fstatat(2) relative to DIR instead of os.Root's walk (an
// open per directory). That call resolves symbolic links in parent
// directories wherever they lead, so only its "no regular file" answer is
// taken as is (os.Root would find no file either: it resolves the same
// links, or refuses those that leave DIR); a regular file is confirmed
// through the root.
func (b *Bucket) fileHeld(key string) (bool, error) {
	var st unix.Stat_t
	var serr error
	err := b.inDir(func(fd int) error {
		serr = unix.Fstatat(fd, name(key), &st, unix.AT_SYMLINK_NOFOLLOW)
		return nil
	})
	if err == nil && (serr == nil && st.Mode&unix.S_IFMT != unix.S_IFREG ||
		errors.Is(serr, fs.ErrNotExist) || errors.Is(serr, syscall.ENOTDIR)) {
		return false, nil
	}
	fi, err := b.root.Lstat(name(key))
	switch {
	case err == nil:
		return fi.Mode().IsRegular(), nil
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
		return false, nil
	default:
		return false, fmt.Errorf("fileblob: %q: %w", key, err)
	}
}

// commitSmall stores rec under key, durably, and returns once it is
// committed. Without overwrite it fails with blob.ErrExists if the key is
// taken in either store. Concurrent commits share one logdb append and
// fdatasync (group commit). The file check runs inside the
// transaction, while this process holds the database's lock: blob files
// are renamed into place only under that lock (see writer.rename), so the
// check and the insert are atomic across both stores and all processes.
func (b *Bucket) commitSmall(ctx context.Context, key string, rec *record, overwrite bool) error {
	if b.closed.Load() {
		return errClosed
	}
	val := encodeRecord(rec)
	k := []byte(key)
	// A taken key is an outcome, not a failure of the transaction: an
	// error would roll back the whole batch and run the other commits
	// again, and duplicates are common (every message may be delivered
	// twice). fn may run more than once; its last run is the one that
	// counts.
	var outcome error
	err := b.db.Update(ctx, func(tx *logdb.Tx) error {
		outcome = nil
		held, err := b.fileHeld(key)
		if err != nil {
			return err
		}
		if held {
			outcome = errFileHeld
			if !overwrite {
				outcome = fmt.Errorf("%w: %q", blob.ErrExists, key)
			}
			return logdb.ErrNoChange
		}
		bk, err := tx.CreateBucketIfNotExists(smallBucket)
		if err != nil {
			return err
		}
		if !overwrite && bk.Get(k) != nil {
			outcome = fmt.Errorf("%w: %q", blob.ErrExists, key)
			return logdb.ErrNoChange
		}
		return bk.Put(k, val)
	})
	if err == nil {
		err = outcome
	}
	if errors.Is(err, errFileHeld) {
		err = b.replaceFile(ctx, key, k, val)
	}
	if err != nil && !errors.Is(err, blob.ErrExists) && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("fileblob: committing %q: %w", key, err)
	}
	return err
}

// replaceFile overwrites the blob file of key with the small record val:
// the record is committed first, then the file removed, so a crash in
// between leaves both, where the file wins (the overwrite did not happen).
func (b *Bucket) replaceFile(ctx context.Context, key string, k, val []byte) error {
	removed := false
	err := b.db.Exclusive(ctx, func(db *logdb.Locked) error {
		err := db.Update(func(tx *logdb.Tx) error {
			bk, err := tx.CreateBucketIfNotExists(smallBucket)
			if err != nil {
				return err
			}
			return bk.Put(k, val)
		})
		if err != nil {
			return err
		}
		removed, err = b.removeFile(key)
		return err
	})
	if err == nil && removed {
		err = b.syncDir(path.Dir(key))
	}
	return err
}

// removeFile removes the blob file of key, if there is one. The caller
// holds the database's lock.
func (b *Bucket) removeFile(key string) (bool, error) {
	held, err := b.fileHeld(key)
	if err != nil || !held {
		return false, err
	}
	if err := b.root.Remove(name(key)); err != nil {
		return false, mapErr(key, err)
	}
	return true, nil
}

// getRecord returns the record stored under key in tx, or nil.
func getRecord(tx *logdb.Tx, key string) (*record, error) {
	bk := tx.Bucket(smallBucket)
	if bk == nil {
		return nil, nil
	}
	v := bk.Get([]byte(key))
	if v == nil {
		return nil, nil
	}
	return decodeRecord(key, v)
}

// hasRecord reports whether tx holds a record under key.
func hasRecord(tx *logdb.Tx, key []byte) bool {
	bk := tx.Bucket(smallBucket)
	return bk != nil && bk.Get(key) != nil
}

// listSmall returns the attributes of the small blobs whose keys start
// with prefix, in key order. Damaged records are skipped, as List skips
// damaged files.
func (b *Bucket) listSmall(ctx context.Context, prefix string) ([]blob.Attributes, error) {
	var out []blob.Attributes
	err := b.db.View(ctx, func(tx *logdb.Tx) error {
		bk := tx.Bucket(smallBucket)
		if bk == nil {
			return nil
		}
		c := bk.Cursor()
		for k, v := c.Seek([]byte(prefix)); k != nil && bytes.HasPrefix(k, []byte(prefix)); k, v = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			rec, err := parseRecord(string(k), v, false)
			if err != nil {
				continue
			}
			out = append(out, rec.attributes(string(k)))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("fileblob: listing small blobs under %q: %w", prefix, err)
	}
	return out, nil
}

// mergeLists merges lists of attributes sorted by key into one, each key
// once: for a key in several lists, the entry of the latest list wins.
func mergeLists(lists ...[]blob.Attributes) []blob.Attributes {
	byKey := map[string]int{}
	var out []blob.Attributes
	for _, l := range lists {
		for _, a := range l {
			if i, ok := byKey[a.Key]; ok {
				out[i] = a
				continue
			}
			byKey[a.Key] = len(out)
			out = append(out, a)
		}
	}
	sortByKey(out)
	return out
}

func sortByKey(l []blob.Attributes) {
	slices.SortFunc(l, func(x, y blob.Attributes) int { return strings.Compare(x.Key, y.Key) })
}
