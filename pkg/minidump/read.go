package minidump

import (
	"encoding/binary"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"unicode/utf16"
)

// maxRead bounds any single metadata read (stream tables, strings). Memory
// contents are read by the caller's buffer size, never by this limit.
const maxRead = 256 << 20

// maxPrealloc caps how many table entries are allocated up front; longer
// tables grow by append, so a hostile count costs no more than the bytes
// actually present in the file.
const maxPrealloc = 4096

// maxString bounds a MINIDUMP_STRING (bytes of UTF-16).
const maxString = 64 << 10

var le = binary.LittleEndian

// countingReaderAt counts the bytes returned by ReadAt.
type countingReaderAt struct {
	r io.ReaderAt
	n atomic.Int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

// readAt reads exactly n bytes at off after checking the range against the
// file size. what names the data for the error message.
func (r *Reader) readAt(off, n int64, what string) ([]byte, error) {
	if err := r.checkRange(off, n, what); err != nil {
		return nil, err
	}
	if n > maxRead {
		return nil, formatErr(off, what+" too large", n)
	}
	if n <= smallRead {
		return r.blocks.read(r.r, r.size, off, n)
	}
	buf := make([]byte, n)
	if _, err := r.r.ReadAt(buf, off); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, formatErr(off, what+" truncated", n)
		}
		return nil, err
	}
	return buf, nil
}

// checkRange reports whether [off, off+n) lies inside the file.
func (r *Reader) checkRange(off, n int64, what string) error {
	if off < 0 || n < 0 || off > r.size || n > r.size-off {
		return formatErr(off, what+" outside the file", n)
	}
	return nil
}

// readLocation reads the bytes a location descriptor names.
func (r *Reader) readLocation(loc Location, what string) ([]byte, error) {
	return r.readAt(int64(loc.Rva), int64(loc.DataSize), what)
}

// readString reads a MINIDUMP_STRING (u32 byte length, UTF-16LE).
func (r *Reader) readString(off int64, what string) (string, error) {
	if s, ok := r.internString(off); ok {
		return s, nil
	}
	s, err := r.decodeString(off, what)
	if err != nil {
		return "", err
	}
	return s, r.chargeString(off, s, what)
}

func (r *Reader) decodeString(off int64, what string) (string, error) {
	hdr, err := r.readAt(off, 4, what+" length")
	if err != nil {
		return "", err
	}
	n := int64(le.Uint32(hdr))
	if n > maxString {
		return "", formatErr(off, what+" too long", n)
	}
	b, err := r.readAt(off+4, n&^1, what)
	if err != nil {
		return "", err
	}
	return decodeUTF16(b), nil
}

// decodeUTF16 decodes little-endian UTF-16, stopping at the first NUL.
func decodeUTF16(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := le.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}

// cstring returns b up to its first NUL.
func cstring(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// table checks that count entries of entrySize fit in a stream of size
// bytes after a header of hdr bytes, and returns a capped preallocation.
func table(d Directory, hdr, count, entrySize uint64, what string) (int, error) {
	if entrySize == 0 {
		return 0, formatErr(int64(d.Rva), what+" entry size is zero", nil)
	}
	avail := uint64(0)
	if uint64(d.DataSize) >= hdr {
		avail = (uint64(d.DataSize) - hdr) / entrySize
	}
	if count > avail {
		return 0, formatErr(int64(d.Rva), what+" count exceeds stream size", count)
	}
	return int(min(count, maxPrealloc)), nil
}

// Small reads (names, strings, short records) go through a cache of a few
// aligned blocks, so that the many tiny strings of a module or handle table,
// which writers store next to each other, cost one ranged read instead of
// hundreds.
const (
	smallRead  = 4096
	blockSize  = 64 << 10
	blockCount = 8
)

type blockCache struct {
	mu     sync.Mutex
	blocks [blockCount]struct {
		off  int64
		data []byte
	}
	next int
}

// read returns n bytes at off (the caller has checked the range).
func (c *blockCache) read(r io.ReaderAt, size, off, n int64) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]byte, 0, n)
	for n > 0 {
		start := off &^ (blockSize - 1)
		var data []byte
		for i := range c.blocks {
			if b := &c.blocks[i]; b.data != nil && b.off == start {
				data = b.data
				break
			}
		}
		if data == nil {
			data = make([]byte, min(blockSize, size-start))
			if _, err := r.ReadAt(data, start); err != nil && !(errors.Is(err, io.EOF) && start+int64(len(data)) == size) {
				if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
					return nil, formatErr(off, "file shorter than its size", size)
				}
				return nil, err
			}
			c.blocks[c.next].off, c.blocks[c.next].data = start, data
			c.next = (c.next + 1) % blockCount
		}
		k := min(n, start+int64(len(data))-off)
		out = append(out, data[off-start:off-start+k]...)
		off, n = off+k, n-k
	}
	return out, nil
}
