package sqlitequeue

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// SQLite checksums the frames of its write-ahead log, but when it rebuilds
// its index of the log after a crash it stops at the first frame that
// fails its checksum and treats that frame and everything after it as
// never written. That is right for a transaction torn by the crash, which
// was never committed; but one damaged byte in a committed transaction
// would silently drop it and every transaction after it. checkWAL reads
// the log before SQLite does and refuses to go on when a frame that
// belongs to the log fails its checksum and a commit follows it (or is
// it): such a log holds committed transactions that SQLite would drop.
//
// The log format is SQLite's (https://www.sqlite.org/fileformat2.html#walformat):
// a 32-byte header (magic, version, page size, checkpoint sequence, two
// salts, two checksum words), then frames of a 24-byte header (page
// number, database size after commit or 0, the two salts, two checksum
// words) and one page. The checksums are cumulative over the header and
// every frame, in the byte order the magic number names.

const (
	walHeaderSize      = 32
	walFrameHeaderSize = 24
	walMagicLE         = 0x377f0682
	walMagicBE         = 0x377f0683
)

// WALError reports a write-ahead log whose committed content is damaged.
type WALError struct {
	File      string // the -wal file
	Frame     int    // 1-based number of the first bad frame (0: the header)
	Page      uint32 // database page the frame holds
	Committed int    // committed transactions at or after the bad frame
}

func (e *WALError) Error() string {
	db := e.File[:len(e.File)-len("-wal")]
	where := fmt.Sprintf("frame %d (database page %d) fails its checksum", e.Frame, e.Page)
	if e.Frame == 0 {
		where = "the header fails its checksum"
	}
	return fmt.Sprintf("sqlitequeue: write-ahead log %s is damaged: %s, and %d committed transaction(s) from there on would be dropped silently by SQLite; "+
		"the queue is not opened. Stop the services, copy %s and %s aside, then either accept the loss (sqlite3 %s 'PRAGMA wal_checkpoint(TRUNCATE)') "+
		"or restore from the copy; see docs/operations.md",
		e.File, where, e.Committed, shellQuote(db), shellQuote(e.File), shellQuote(db))
}

// Unwrap makes errors.Is(err, ErrCorrupt) hold.
func (e *WALError) Unwrap() error { return ErrCorrupt }

// checkWAL verifies path's write-ahead log, if any. The caller must make
// sure no other process writes the log meanwhile (see lockFile).
func checkWAL(path string) error {
	f, err := os.Open(path + "-wal")
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sqlitequeue: check write-ahead log: %w", err)
	}
	defer f.Close()
	werr, err := verifyWAL(f, path+"-wal")
	if err != nil {
		return fmt.Errorf("sqlitequeue: check write-ahead log %s: %w", path+"-wal", err)
	}
	if werr != nil {
		return werr
	}
	return nil
}

// verifyWAL reads a log from r and returns a *WALError when it holds a
// damaged committed transaction; the error is for failures to read.
func verifyWAL(r io.Reader, name string) (*WALError, error) {
	var hdr [walHeaderSize]byte
	n, err := io.ReadFull(r, hdr[:])
	if n < walHeaderSize {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, nil // empty or torn before the first frame: nothing committed
		}
		return nil, err
	}
	magic := binary.BigEndian.Uint32(hdr[0:])
	var order binary.ByteOrder
	switch magic {
	case walMagicLE:
		order = binary.LittleEndian
	case walMagicBE:
		order = binary.BigEndian
	default:
		return nil, nil // not a log SQLite would read either
	}
	pageSize := int(binary.BigEndian.Uint32(hdr[8:]))
	if pageSize == 1 {
		pageSize = 65536
	}
	if pageSize < 512 || pageSize > 65536 || pageSize&(pageSize-1) != 0 {
		return nil, nil // SQLite ignores such a header too; with no frames, nothing is lost
	}
	salt1, salt2 := binary.BigEndian.Uint32(hdr[16:]), binary.BigEndian.Uint32(hdr[20:])
	s0, s1 := walChecksum(order, hdr[:24], 0, 0)
	headerOK := s0 == binary.BigEndian.Uint32(hdr[24:]) && s1 == binary.BigEndian.Uint32(hdr[28:])

	frame := make([]byte, walFrameHeaderSize+pageSize)
	var bad, gap *WALError
	for i := 1; ; i++ {
		if _, err := io.ReadFull(r, frame); err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				break // a frame cut short was never committed
			}
			return nil, err
		}
		if binary.BigEndian.Uint32(frame[8:]) != salt1 || binary.BigEndian.Uint32(frame[12:]) != salt2 {
			// A frame of an earlier generation of the log (the end of
			// this one), unless frames of this generation follow: then
			// its salt was damaged.
			if bad == nil && gap == nil {
				gap = &WALError{File: name, Frame: i, Page: binary.BigEndian.Uint32(frame[0:])}
			}
			continue
		}
		if gap != nil && bad == nil {
			bad = gap
		}
		page, commit := binary.BigEndian.Uint32(frame[0:]), binary.BigEndian.Uint32(frame[4:]) != 0
		want0, want1 := binary.BigEndian.Uint32(frame[16:]), binary.BigEndian.Uint32(frame[20:])
		c0, c1 := walChecksum(order, frame[:8], s0, s1)
		c0, c1 = walChecksum(order, frame[walFrameHeaderSize:], c0, c1)
		if bad == nil && (!headerOK || c0 != want0 || c1 != want1) {
			bad = &WALError{File: name, Frame: i, Page: page}
			if !headerOK {
				bad.Frame, bad.Page = 0, 0
			}
		}
		if bad != nil && commit {
			bad.Committed++
		}
		// Go on from the stored words, as the writer did, so that one
		// damaged frame does not hide the commits after it.
		s0, s1 = want0, want1
	}
	if bad != nil && bad.Committed > 0 {
		return bad, nil
	}
	return nil, nil
}

// walChecksum extends the checksum (s0, s1) over b, whose length is a
// multiple of 8, reading 32-bit words in order.
func walChecksum(order binary.ByteOrder, b []byte, s0, s1 uint32) (uint32, uint32) {
	for i := 0; i+8 <= len(b); i += 8 {
		s0 += order.Uint32(b[i:]) + s1
		s1 += order.Uint32(b[i+4:]) + s0
	}
	return s0, s1
}
