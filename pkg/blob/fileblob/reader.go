package fileblob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"syscall"

	"github.com/dumpflow/dumpflow/pkg/blob"
)

// verifyWholeMax is the largest blob NewReader reads whole and verifies
// before returning (manifests, reports, analyses); larger blobs are
// verified as they are read, and their readers fail at the end instead of
// returning io.EOF if the content does not match.
const verifyWholeMax = 1 << 20

// found is one version of a blob: its open content file and attributes.
type found struct {
	f     *os.File
	sc    sidecar
	attrs blob.Attributes
}

// lookup opens the content file of key and reads the attribute file of
// that version. A content file without attributes, or with attributes
// that do not match its size, is reported as *blob.CorruptError.
func (d *driver) lookup(key string) (found, error) {
	for attempt := 0; ; attempt++ {
		f, err := d.openBeneath(name(key), openContent, 0)
		if err != nil {
			return found{}, mapErr(key, err)
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return found{}, fmt.Errorf("fileblob: %q: %w", key, err)
		}
		if !fi.Mode().IsRegular() {
			f.Close()
			return found{}, fmt.Errorf("%w: %q", blob.ErrNotFound, key)
		}
		sc, err := d.attrsOf(key, fi)
		if errors.Is(err, errReplaced) && attempt < 3 {
			f.Close()
			continue
		}
		if err != nil {
			f.Close()
			return found{}, err
		}
		return found{f: f, sc: sc, attrs: attributes(key, sc, fi)}, nil
	}
}

// errReplaced means the content file changed while its attributes were
// being read: the caller looks again.
var errReplaced = errors.New("fileblob: blob replaced while being read")

// attrsOf reads the attributes of the content file of key whose FileInfo
// is fi.
func (d *driver) attrsOf(key string, fi fs.FileInfo) (sidecar, error) {
	ino := inode(fi)
	sc, err := d.readSidecar(key, ino)
	if errors.Is(err, fs.ErrNotExist) {
		// An overwrite or Delete may have removed it after we opened the
		// content: then the key names another file now, or none.
		if now, serr := d.root.Lstat(name(key)); serr != nil || inode(now) != ino {
			return sc, errReplaced
		}
		return sc, &blob.CorruptError{Key: key, Path: d.path(name(key)),
			Reason: "no attribute file " + d.path(attrsName(key, ino)) + " (not written by dumpflow, or its attributes were lost)"}
	}
	if err != nil {
		return sc, err
	}
	if sc.Size != fi.Size() {
		return sc, &blob.CorruptError{Key: key, Path: d.path(name(key)),
			Reason: fmt.Sprintf("%d bytes on disk, %d committed", fi.Size(), sc.Size)}
	}
	return sc, nil
}

// attributes builds the port's Attributes.
func attributes(key string, sc sidecar, fi fs.FileInfo) blob.Attributes {
	return blob.Attributes{
		Key:         key,
		Size:        fi.Size(),
		ContentType: sc.ContentType,
		Metadata:    sc.Metadata,
		ModTime:     fi.ModTime(),
		ETag:        etag(fi),
	}
}

// Attributes implements blob.Driver.
func (d *driver) Attributes(_ context.Context, key string) (blob.Attributes, error) {
	s, err := d.lookup(key)
	if err != nil {
		return blob.Attributes{}, err
	}
	s.f.Close()
	return s.attrs, nil
}

// NewReader implements blob.Driver. The content is checked against the
// SHA-256 committed with it: a blob of at most verifyWholeMax bytes before
// NewReader returns, a larger one as it is read (the read that reaches the
// end fails instead of returning io.EOF). A mismatch is a
// *blob.CorruptError naming the file and the key. The reader sees the
// version current at open, even if the blob is overwritten or deleted
// meanwhile.
func (d *driver) NewReader(_ context.Context, key string) (io.ReadCloser, blob.Attributes, error) {
	s, err := d.lookup(key)
	if err != nil {
		return nil, blob.Attributes{}, err
	}
	if s.attrs.Size <= verifyWholeMax {
		defer s.f.Close()
		data := make([]byte, s.attrs.Size)
		if _, err := io.ReadFull(s.f, data); err != nil {
			return nil, blob.Attributes{}, fmt.Errorf("fileblob: reading %s: %w", s.f.Name(), err)
		}
		if err := d.verify(key, s, sha256.Sum256(data)); err != nil {
			return nil, blob.Attributes{}, err
		}
		return io.NopCloser(bytes.NewReader(data)), s.attrs, nil
	}
	return &verifyingReader{d: d, key: key, s: s, r: io.NewSectionReader(s.f, 0, s.attrs.Size), sum: sha256.New()}, s.attrs, nil
}

// verify compares a content checksum with the committed one.
func (d *driver) verify(key string, s found, sum [sha256.Size]byte) error {
	if got := hex.EncodeToString(sum[:]); got != s.sc.SHA256 {
		return &blob.CorruptError{Key: key, Path: s.f.Name(),
			Reason: fmt.Sprintf("content SHA-256 %s, committed %s", got, s.sc.SHA256)}
	}
	return nil
}

// verifyingReader hashes a large blob as it is read and checks the sum at
// the end.
type verifyingReader struct {
	d   *driver
	key string
	s   found
	r   io.Reader
	sum hash.Hash
	err error // sticky end result
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.r.Read(p)
	v.sum.Write(p[:n])
	if err == io.EOF {
		var sum [sha256.Size]byte
		v.sum.Sum(sum[:0])
		if verr := v.d.verify(v.key, v.s, sum); verr != nil {
			err = verr
		}
	} else if err != nil {
		err = fmt.Errorf("fileblob: reading %s: %w", v.s.f.Name(), err)
	}
	v.err = err
	return n, err
}

func (v *verifyingReader) Close() error { return v.s.f.Close() }

// NewReaderAt implements blob.Driver. The reader is safe for parallel
// ReadAt calls and keeps seeing the version it opened. A ReadAt of the
// whole blob in one call is checked against the committed SHA-256, like
// NewReader; reads of parts cannot be.
func (d *driver) NewReaderAt(_ context.Context, key string) (blob.DriverReaderAt, error) {
	s, err := d.lookup(key)
	if err != nil {
		return nil, err
	}
	return &readerAt{d: d, key: key, s: s}, nil
}

// readerAt reads an open content file; blob.Store clamps the ranges.
type readerAt struct {
	d   *driver
	key string
	s   found
}

func (r *readerAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := r.s.f.ReadAt(p, off)
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF // the file shrank under us
		}
		return n, fmt.Errorf("fileblob: reading %s: %w", r.s.f.Name(), err)
	}
	if off == 0 && int64(n) == r.s.attrs.Size {
		return n, r.d.verify(r.key, r.s, sha256.Sum256(p[:n]))
	}
	return n, nil
}

func (r *readerAt) Size() int64  { return r.s.attrs.Size }
func (r *readerAt) Close() error { return r.s.f.Close() }

// inode is fi's inode number.
func inode(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}

// etag identifies one version of a blob file: every commit links a new
// inode, and the modification time and size tell reused inodes apart.
func etag(fi fs.FileInfo) string {
	return fmt.Sprintf(`"%x-%x-%x"`, inode(fi), fi.ModTime().UnixNano(), fi.Size())
}

// mapErr turns a file system error about key into the port's errors.
func mapErr(key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EISDIR) {
		return fmt.Errorf("%w: %q", blob.ErrNotFound, key)
	}
	return fmt.Errorf("fileblob: %q: %w", key, err)
}
