package pdb

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// File is an open PDB (MSF 7.0 container). Its methods are safe for
// concurrent use if the underlying io.ReaderAt is.
type File struct {
	r      io.ReaderAt
	size   int64
	closer io.Closer
}

// NewFile reads the MSF superblock, the stream directory and the PDB info
// stream of the PDB in r (size bytes long). Errors about the content wrap
// ErrFormat.
func NewFile(r io.ReaderAt, size int64) (*File, error) {
	return nil, errors.New("pdb: not implemented yet")
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

// GUID is the PDB's GUID as stored (Data1, Data2, Data3 little-endian,
// then Data4), the same bytes as a CodeView record's GUID.
func (f *File) GUID() [16]byte { return [16]byte{} }

// Age is the age symbol servers match against an image's CodeView
// record: the DBI stream's age, or the info stream's when there is no DBI
// stream.
func (f *File) Age() uint32 { return 0 }

// DebugID is the Breakpad/symbol-server identifier: the GUID as 32
// upper-case hex digits (Data1..3 printed as integers) followed by Age in
// hex, e.g. "5A9832E5287241C1838ED98914E9B7FF1".
func (f *File) DebugID() string { return debugID(f.GUID(), f.Age()) }

func debugID(g [16]byte, age uint32) string {
	return fmt.Sprintf("%08X%04X%04X%X%x", le.Uint32(g[:]), le.Uint16(g[4:]), le.Uint16(g[6:]), g[8:], age)
}
