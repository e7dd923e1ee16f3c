package logdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/google/btree"
)

// inlineMax is the largest committed value kept in memory; larger ones are
// read back from the file when asked for, so a process's memory holds keys
// and small values, not every message body or blob.
const inlineMax = 64

// entry is one key's committed (or, inside a transaction, pending) value.
// Entries are never changed once in a tree, except when their batch is
// committed: a large value is then replaced by its place in the file, and
// a small one by a copy of its own (see Tx.settle).
type entry struct {
	key []byte
	val []byte // the value when in memory (small, or not yet committed)
	off int64  // file offset of the value when val is nil and n > 0
	n   int    // value length
}

func entryLess(a, b *entry) bool { return bytes.Compare(a.key, b.key) < 0 }

type bucket struct {
	name string
	tree *btree.BTreeG[*entry]
	seq  uint64
}

// store is this process's image of the log: every bucket's keys, small
// values and the places of large values, as of byte end of file f.
type store struct {
	path    string
	f       *os.File // the log file the image reflects; nil: not loaded
	ino     uint64
	end     int64 // bytes of f applied (the end of the last good record)
	alloc   int64 // f's size: end, then zeros preallocated for appends
	buckets map[string]*bucket
	// live estimates the bytes a compacted file would hold.
	live int64
	// busyTimeout bounds the wait for a bbolt file's lock (migrate).
	busyTimeout time.Duration
	// check is set for Check: the file is only read, and a torn tail is
	// counted in tornBytes instead of being cut off.
	check     bool
	tornBytes int64
	// compactFailedAt is the log size at the last failed compaction:
	// the next attempt waits until the log has doubled.
	compactFailedAt int64
}

func newBucket(name string) *bucket {
	return &bucket{name: name, tree: btree.NewG(32, entryLess)}
}

// reset forgets the image; the next sync reloads it from the file.
func (s *store) reset() {
	if s.f != nil {
		_ = s.f.Close()
	}
	s.f, s.ino, s.end, s.alloc, s.buckets, s.live, s.compactFailedAt = nil, 0, 0, 0, nil, 0, 0
}

// sync brings the image up to date with the file. The caller holds the
// file lock. A new file is created; a file replaced by compaction is
// reloaded; records appended by other processes are applied; a torn last
// record (a writer that died mid-append) is cut off.
func (s *store) sync() error {
	st, err := os.Stat(s.path)
	if errors.Is(err, os.ErrNotExist) {
		s.reset()
		if err := s.create(); err != nil {
			return err
		}
		st, err = os.Stat(s.path)
	}
	if err != nil {
		return fmt.Errorf("logdb: %w", err)
	}
	ino := inode(st)
	fresh := false
	if s.f == nil || ino != s.ino || st.Size() < s.end {
		s.reset()
		f, err := os.OpenFile(s.path, os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("logdb: %w", err)
		}
		s.f, s.ino, s.buckets = f, ino, map[string]*bucket{}
		if err := s.readHeader(); err != nil {
			s.reset()
			if !errors.Is(err, errBbolt) {
				return err
			}
			if err := s.migrate(s.busyTimeout); err != nil {
				return err
			}
			return s.sync()
		}
		s.end = headerSize
		fresh = true
	}
	s.alloc = st.Size()
	if err := s.apply(fresh); err != nil {
		s.reset()
		return err
	}
	return nil
}

// create writes an empty log at path. Its name must be durable before
// anything is committed to it, so a failed directory sync fails it.
func (s *store) create() error {
	if err := os.MkdirAll(filepath.Dir(s.path), 0o750); err != nil {
		return fmt.Errorf("logdb: %w", err)
	}
	f, err := installFile(s.path, ".new", func(f *os.File) error {
		_, err := f.WriteAt(newHeader(), 0)
		return err
	})
	if f != nil {
		_ = f.Close()
	}
	if err != nil {
		return fmt.Errorf("logdb: create %s: %w", s.path, err)
	}
	return nil
}

func newHeader() []byte {
	h := make([]byte, headerSize)
	copy(h, fileMagic[:])
	return h
}

// installFile writes a file beside path (PATH+suffix) with write, syncs it
// and renames it over path, so that a crash leaves either the old file or
// the whole new one, then syncs the directory. It returns the new file,
// open. If only the directory sync fails, the file is in place and is
// returned with the error: the rename may not survive a power loss.
func installFile(path, suffix string, write func(*os.File) error) (*os.File, error) {
	tmp := path + suffix
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	err = write(f)
	if err == nil {
		err = fdatasync(f)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = f.Close()
		_ = os.Remove(tmp)
		return nil, err
	}
	return f, syncDir(dirOf(path))
}

func (s *store) readHeader() error {
	var h [headerSize]byte
	if _, err := s.f.ReadAt(h[:], 0); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%w: %s: shorter than its header", ErrCorrupt, s.path)
		}
		return fmt.Errorf("logdb: read %s: %w", s.path, err)
	}
	if !bytes.Equal(h[:8], fileMagic[:]) {
		if !s.check && s.isBboltFile() {
			return errBbolt
		}
		return fmt.Errorf("%w: %s is not a logdb file (magic %q)", ErrCorrupt, s.path, h[:8])
	}
	return nil
}

// apply reads and applies the records from s.end to the end of the log:
// the end of the file, or the zeros preallocated after the last record.
// Records are only ever appended at the end, so during catch-up a zero
// header at s.end means nothing new; when the image is loaded fresh, the
// zeros after the last record are also checked to be all zeros (data
// after them means damage).
func (s *store) apply(fresh bool) error {
	var hdr [recHeaderSize]byte
	var body []byte
	for s.end < s.alloc {
		at := s.end
		if s.alloc-at < recHeaderSize {
			return s.tail(at, at, "short record header")
		}
		if _, err := s.f.ReadAt(hdr[:], at); err != nil {
			return fmt.Errorf("logdb: read %s: %w", s.path, err)
		}
		n := int64(binary.LittleEndian.Uint32(hdr[:]))
		sum := binary.LittleEndian.Uint32(hdr[4:])
		if n == 0 && sum == 0 {
			if fresh {
				return s.tail(at, at, "")
			}
			return nil
		}
		if n == 0 || n > maxRecord {
			return s.tail(at, at+recHeaderSize, fmt.Sprintf("record length %d", n))
		}
		if n > s.alloc-at-recHeaderSize { // the file ends inside the record
			return s.tail(at, s.alloc, "record cut short")
		}
		if int64(cap(body)) < n {
			body = make([]byte, n)
		}
		body = body[:n]
		if _, err := s.f.ReadAt(body, at+recHeaderSize); err != nil {
			return fmt.Errorf("logdb: read %s: %w", s.path, err)
		}
		if crc32.Checksum(body, castagnoli) != sum {
			return s.tail(at, at+recHeaderSize+n, "checksum mismatch")
		}
		base := at + recHeaderSize
		if err := decodeOps(body, func(o *op) error { return s.applyOp(o, base) }); err != nil {
			return fmt.Errorf("%s: record at offset %d: %w", s.path, at, err)
		}
		s.end = base + n
	}
	return nil
}

// tail handles the end of the log at offset at: either the zeros after the
// last record (why == ""), or a record that cannot be read whole. Records
// are appended one at a time, each synced before the next, so only the
// last one can be torn (its writer died mid-append or failed to sync): it
// was never acknowledged, and is cut off. Either way every byte from from
// to the end of the file must be zero; anything else is damage in the
// committed part of the log. The caller holds the lock.
func (s *store) tail(at, from int64, why string) error {
	if nz, err := s.nonZero(from); err != nil {
		return err
	} else if nz >= 0 {
		if why == "" {
			why = "zero record header"
		}
		return fmt.Errorf("%w: %s: %s at offset %d, with data after it at offset %d", ErrCorrupt, s.path, why, at, nz)
	}
	if why == "" {
		return nil
	}
	if s.check {
		s.tornBytes = s.alloc - at
		return nil
	}
	if err := s.f.Truncate(at); err != nil {
		return fmt.Errorf("logdb: %s: cut torn record at offset %d (%s): %w", s.path, at, why, err)
	}
	if err := fdatasync(s.f); err != nil {
		return fmt.Errorf("logdb: %s: cut torn record: %w", s.path, err)
	}
	s.alloc = at
	return nil
}

// nonZero returns the offset of the first non-zero byte at or after from,
// or -1.
func (s *store) nonZero(from int64) (int64, error) {
	buf := make([]byte, 64<<10)
	for off := from; off < s.alloc; {
		n, err := s.f.ReadAt(buf[:min(int64(len(buf)), s.alloc-off)], off)
		for i, c := range buf[:n] {
			if c != 0 {
				return off + int64(i), nil
			}
		}
		off += int64(n)
		if err != nil && !(errors.Is(err, io.EOF) && off >= s.alloc) {
			return 0, fmt.Errorf("logdb: read %s: %w", s.path, err)
		}
	}
	return -1, nil
}

// applyOp applies one committed op read from the file; base is the file
// offset of its record's body.
func (s *store) applyOp(o *op, base int64) error {
	name := string(o.bucket)
	b := s.buckets[name]
	if o.kind == opCreate {
		if b == nil {
			s.buckets[name] = newBucket(name)
			s.live += int64(len(name)) + 4
		}
		return nil
	}
	if b == nil {
		return fmt.Errorf("%w: op %d on missing bucket %q", ErrCorrupt, o.kind, name)
	}
	switch o.kind {
	case opPut:
		e := &entry{key: bytes.Clone(o.key), n: len(o.value)}
		if len(o.value) <= inlineMax {
			e.val = bytes.Clone(o.value)
			if e.val == nil {
				e.val = []byte{}
			}
		} else {
			e.off = base + int64(o.valueOff)
		}
		s.replace(b, e)
	case opDelete:
		s.remove(b, o.key)
	case opSeq:
		b.seq = o.seq
	}
	return nil
}

func (s *store) replace(b *bucket, e *entry) (old *entry) {
	old, _ = b.tree.ReplaceOrInsert(e)
	s.live += entrySize(e) - entrySize(old)
	return old
}

func (s *store) remove(b *bucket, key []byte) (old *entry) {
	old, _ = b.tree.Delete(&entry{key: key})
	s.live -= entrySize(old)
	return old
}

func entrySize(e *entry) int64 {
	if e == nil {
		return 0
	}
	return int64(len(e.key)+e.n) + 8
}

// value returns e's value, reading it from the file if needed.
func (s *store) value(e *entry) ([]byte, error) {
	if e.val != nil || e.n == 0 {
		return e.val, nil
	}
	v := make([]byte, e.n)
	if _, err := s.f.ReadAt(v, e.off); err != nil {
		return nil, fmt.Errorf("logdb: read value at offset %d of %s: %w", e.off, s.path, err)
	}
	return v, nil
}

// errBbolt reports a file in the old bbolt format, to be migrated.
var errBbolt = errors.New("logdb: bbolt file")

func (s *store) isBboltFile() bool {
	h := make([]byte, 24)
	_, err := s.f.ReadAt(h, 0)
	return err == nil && isBbolt(h)
}

func inode(st os.FileInfo) uint64 {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		return sys.Ino
	}
	return 0
}

func dirOf(path string) string { return filepath.Dir(path) }

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// preallocChunk is how far ahead of the last record the file is filled
// with zeros: appending into blocks that already exist makes fdatasync
// flush data only, not the file's size (about half the time and CPU of
// an append that grows the file, measured on ext4).
const preallocChunk = 1 << 20

var zeros = make([]byte, preallocChunk)

// commit appends tx's batch as one record and syncs it. On failure the
// record is cut off again and the image, which already holds the batch's
// writes, is dropped: the next sync reloads it from the file.
func (s *store) commit(tx *Tx) error {
	if tx.w.empty() {
		return nil
	}
	rec := tx.w.finish()
	at := s.end
	end := at + int64(len(rec))
	_, err := s.f.WriteAt(rec, at)
	if err == nil && end+recHeaderSize > s.alloc {
		err = s.extend(end)
	}
	if err == nil {
		err = fdatasync(s.f)
	}
	if err != nil {
		_ = s.f.Truncate(at)
		s.reset()
		return fmt.Errorf("logdb: commit to %s: %w", s.path, err)
	}
	s.end = end
	tx.settle(at)
	return nil
}

// extend fills the file with zeros from end to the next multiple of
// preallocChunk at least preallocChunk/2 past it.
func (s *store) extend(end int64) error {
	to := (end + preallocChunk/2 + preallocChunk - 1) / preallocChunk * preallocChunk
	for off := end; off < to; {
		n, err := s.f.WriteAt(zeros[:min(int64(len(zeros)), to-off)], off)
		if err != nil {
			return err
		}
		off += int64(n)
	}
	s.alloc = to
	return nil
}
