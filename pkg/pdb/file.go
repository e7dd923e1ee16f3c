package pdb

import (
	"fmt"
	"io"
	"os"
	"sync"
)

// Fixed stream indices (docs/pdb.md, "Streams").
const (
	streamPDBInfo = 1
	streamDBI     = 3
)

// File is an open PDB (MSF 7.0 container). Its methods are safe for
// concurrent use if the underlying io.ReaderAt is.
type File struct {
	r       io.ReaderAt
	size    int64
	closer  io.Closer
	sb      superBlock
	streams []stream

	infoVersion uint32
	signature   uint32
	infoAge     uint32
	guid        [16]byte
	dbi         *dbiHeader // nil when the PDB has no DBI stream

	// Lazily read parts, each read once on first use.
	dbiOnce     sync.Once
	dbiData     *dbiStream
	dbiErr      error
	symRecOnce  sync.Once
	symRec      []byte
	symRecAt    locator
	symRecErr   error
	sectionOnce sync.Once
	sections    *addrMap
	sectionErr  error
}

// NewFile reads the MSF superblock, the stream directory, the PDB info
// stream and the DBI stream header of the PDB in r (size bytes long).
// Everything else is read on first use. Errors about the content wrap
// ErrFormat.
func NewFile(r io.ReaderAt, size int64) (*File, error) {
	sb, err := readSuperBlock(r, size)
	if err != nil {
		return nil, err
	}
	f := &File{r: r, size: size, sb: sb}
	if err := f.readDirectory(); err != nil {
		return nil, err
	}
	if err := f.readInfo(); err != nil {
		return nil, err
	}
	if err := f.readDBIHeader(); err != nil {
		return nil, err
	}
	return f, nil
}

// Open opens the named PDB file. Close it when done.
func Open(name string) (*File, error) {
	fh, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, err
	}
	f, err := NewFile(fh, st.Size())
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	f.closer = fh
	return f, nil
}

// Close closes the file opened by Open; it does nothing for NewFile.
func (f *File) Close() error {
	if f.closer == nil {
		return nil
	}
	return f.closer.Close()
}

// readInfo reads the fixed header of the PDB info stream (stream 1).
func (f *File) readInfo() error {
	s, err := f.stream(streamPDBInfo, "PDB info stream")
	if err != nil {
		return err
	}
	if s.size < 28 {
		return f.streamErr(s, 0, "PDB info stream too short", s.size)
	}
	b, err := f.readStreamAt(s, 0, 28)
	if err != nil {
		return err
	}
	f.infoVersion = le.Uint32(b)
	f.signature = le.Uint32(b[4:])
	f.infoAge = le.Uint32(b[8:])
	copy(f.guid[:], b[12:28])
	// VC70 (20000404) is what every PDB 7.0 writer emits; older versions
	// have no GUID.
	if f.infoVersion < 20000404 {
		return f.streamErr(s, 0, "PDB info stream version before VC70 (no GUID)", f.infoVersion)
	}
	return nil
}

// GUID is the PDB's GUID as stored (Data1, Data2, Data3 little-endian,
// then Data4), the same bytes as a CodeView record's GUID.
func (f *File) GUID() [16]byte { return f.guid }

// Age is the age symbol servers match against an image's CodeView
// record: the DBI stream's age, or the info stream's when there is no DBI
// stream. (The info stream's age can run ahead of the DBI's when a PDB is
// rewritten without relinking; the image carries the DBI's.)
func (f *File) Age() uint32 {
	if f.dbi != nil {
		return f.dbi.age
	}
	return f.infoAge
}

// InfoAge is the age in the PDB info stream, as `llvm-pdbutil dump
// -summary` prints it.
func (f *File) InfoAge() uint32 { return f.infoAge }

// Signature is the PDB info stream's signature (a timestamp written by
// the linker).
func (f *File) Signature() uint32 { return f.signature }

// DebugID is the Breakpad/symbol-server identifier: the GUID as 32
// upper-case hex digits (Data1..3 printed as integers) followed by Age in
// hex, e.g. "5A9832E5287241C1838ED98914E9B7FF1".
func (f *File) DebugID() string { return debugID(f.GUID(), f.Age()) }

func debugID(g [16]byte, age uint32) string {
	return fmt.Sprintf("%08X%04X%04X%X%x", le.Uint32(g[:]), le.Uint16(g[4:]), le.Uint16(g[6:]), g[8:], age)
}
