package fileblob

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/logdb"
)

// Attributes implements blob.Bucket.
func (b *Bucket) Attributes(ctx context.Context, key string) (blob.Attributes, error) {
	s, err := b.lookup(ctx, key)
	if err != nil {
		return blob.Attributes{}, err
	}
	if s.f != nil {
		s.f.Close()
	}
	return s.attrs, nil
}

// found is the blob stored under a key: an open file, or a small record.
type found struct {
	f     *os.File // nil for a small blob
	rec   *record  // nil for a file
	attrs blob.Attributes
}

// lookup finds the blob stored under key in either store. The file comes
// first, without taking the database's lock (large blobs are read that
// way, and a stale view is harmless: files appear and disappear only under
// the lock, and an open file keeps its version). When there is no file,
// the record and then the file again are looked up under the lock, where
// the two stores are consistent: a key moving between them (an overwrite
// across sizes) is seen in one or the other, never in neither.
func (b *Bucket) lookup(ctx context.Context, key string) (found, error) {
	if err := blob.ValidateKey(key); err != nil {
		return found{}, err
	}
	if err := ctx.Err(); err != nil {
		return found{}, err
	}
	f, attrs, err := b.openFile(key)
	if !errors.Is(err, blob.ErrNotFound) {
		return found{f: f, attrs: attrs}, err
	}
	if b.closed.Load() {
		return found{}, errClosed
	}
	var s found
	err = b.db.View(ctx, func(tx *logdb.Tx) error {
		rec, err := getRecord(tx, key)
		if err != nil || rec != nil {
			s = found{rec: rec}
			return err
		}
		s.f, s.attrs, err = b.openFile(key)
		return err
	})
	if err != nil {
		return found{}, err
	}
	if s.rec != nil {
		s.attrs = s.rec.attributes(key)
	}
	return s, nil
}

// openFile opens the blob file of key and reads its attributes.
func (b *Bucket) openFile(key string) (*os.File, blob.Attributes, error) {
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
