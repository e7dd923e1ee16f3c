package minidump

import (
	"fmt"
	"io"
	"os"
	"sync"
)

// Signature is "MDMP" read as a little-endian uint32.
const Signature = 0x504d444d

// headerVersion is MINIDUMP_VERSION, the low 16 bits of Header.Version.
const headerVersion = 0xa793

// maxStreams bounds the stream directory. Real writers emit a few dozen.
const maxStreams = 1 << 16

// Header is MINIDUMP_HEADER.
type Header struct {
	Signature          uint32
	Version            uint32 // low 16 bits: 0xa793; high 16: implementation
	NumberOfStreams    uint32
	StreamDirectoryRva uint32
	CheckSum           uint32
	TimeDateStamp      uint32 // seconds since 1970-01-01 UTC, when written
	Flags              uint64 // MINIDUMP_TYPE bits the writer used
}

// Location is MINIDUMP_LOCATION_DESCRIPTOR: a byte range of the file.
type Location struct {
	DataSize uint32
	Rva      uint32
}

// Directory is one MINIDUMP_DIRECTORY entry.
type Directory struct {
	Type StreamType
	Location
}

// Reader reads one minidump. Create it with NewReader or Open.
type Reader struct {
	Header Header
	// Streams is the stream directory in file order.
	Streams []Directory

	r      *countingReaderAt
	size   int64
	blocks blockCache
	closer io.Closer

	mu    sync.Mutex
	cache map[string]cached
	lim   limitState
}

type cached struct {
	v   any
	err error
}

// NewReader reads the header and stream directory of the minidump in r,
// which is size bytes long. Streams are parsed lazily by their accessors.
// The caller keeps ownership of r; Close is then a no-op.
func NewReader(r io.ReaderAt, size int64) (*Reader, error) {
	m := &Reader{r: &countingReaderAt{r: r}, size: size, cache: map[string]cached{}}
	if size < 32 {
		return nil, formatErr(0, "file shorter than the header", size)
	}
	b, err := m.readAt(0, 32, "header")
	if err != nil {
		return nil, err
	}
	h := Header{
		Signature: le.Uint32(b[0:]), Version: le.Uint32(b[4:]), NumberOfStreams: le.Uint32(b[8:]),
		StreamDirectoryRva: le.Uint32(b[12:]), CheckSum: le.Uint32(b[16:]),
		TimeDateStamp: le.Uint32(b[20:]), Flags: le.Uint64(b[24:]),
	}
	if h.Signature != Signature {
		return nil, fmt.Errorf("%w: bad signature %#08x (want MDMP)", ErrFormat, h.Signature)
	}
	if h.Version&0xffff != headerVersion {
		return nil, formatErr(4, "unsupported version", fmt.Sprintf("%#x", h.Version))
	}
	if h.NumberOfStreams > maxStreams {
		return nil, formatErr(8, "too many streams", h.NumberOfStreams)
	}
	dirOff, dirLen := int64(h.StreamDirectoryRva), int64(h.NumberOfStreams)*12
	if h.NumberOfStreams > 0 && dirOff < 32 {
		return nil, formatErr(12, "stream directory overlaps the header", dirOff)
	}
	d, err := m.readAt(dirOff, dirLen, "stream directory")
	if err != nil {
		return nil, err
	}
	m.Header = h
	m.Streams = make([]Directory, h.NumberOfStreams)
	for i := range m.Streams {
		e := d[i*12:]
		s := Directory{Type: StreamType(le.Uint32(e)), Location: Location{DataSize: le.Uint32(e[4:]), Rva: le.Uint32(e[8:])}}
		off := dirOff + int64(i)*12
		if s.Type != UnusedStream && s.DataSize > 0 {
			if s.Rva < 32 {
				return nil, formatErr(off, "stream overlaps the header", s.Type)
			}
			if err := m.checkRange(int64(s.Rva), int64(s.DataSize), s.Type.String()); err != nil {
				return nil, err
			}
		}
		m.Streams[i] = s
	}
	return m, nil
}

// Open opens the named file and reads it with NewReader. Close closes the
// file.
func Open(name string) (*Reader, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	m, err := NewReader(f, fi.Size())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	m.closer = f
	return m, nil
}

// Close closes the file opened by Open; for a Reader made by NewReader it
// does nothing.
func (m *Reader) Close() error {
	if m.closer == nil {
		return nil
	}
	return m.closer.Close()
}

// Size is the file size given to NewReader.
func (m *Reader) Size() int64 { return m.size }

// BytesRead is the number of bytes read from the underlying io.ReaderAt so
// far, by every accessor together.
func (m *Reader) BytesRead() int64 { return m.r.n.Load() }

// Stream returns the first directory entry of type t with data, or false.
func (m *Reader) Stream(t StreamType) (Directory, bool) {
	for _, s := range m.Streams {
		if s.Type == t && s.DataSize > 0 {
			return s, true
		}
	}
	return Directory{}, false
}

// StreamReader returns a view of a stream's bytes. Reads through it are
// counted by BytesRead.
func (m *Reader) StreamReader(d Directory) *io.SectionReader {
	return io.NewSectionReader(m.r, int64(d.Rva), int64(d.DataSize))
}

// streamBytes reads the whole stream of type t (ErrNotPresent if absent).
func (m *Reader) streamBytes(t StreamType) (Directory, []byte, error) {
	d, ok := m.Stream(t)
	if !ok {
		return d, nil, fmt.Errorf("%w: %s", ErrNotPresent, t)
	}
	b, err := m.readLocation(d.Location, t.String())
	return d, b, err
}

// lazy runs parse once per key and caches its result.
func lazy[T any](m *Reader, key string, parse func() (T, error)) (T, error) {
	m.mu.Lock()
	if c, ok := m.cache[key]; ok {
		m.mu.Unlock()
		v, _ := c.v.(T)
		return v, c.err
	}
	m.mu.Unlock()
	v, err := parse()
	m.mu.Lock()
	m.cache[key] = cached{v, err}
	m.mu.Unlock()
	return v, err
}
