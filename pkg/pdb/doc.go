// Package pdb reads Microsoft PDB 7.0 program databases (the MSF 7.0
// container written by MSVC's linker) far enough to symbolize addresses:
// the PDB info stream (GUID, age), the DBI stream (module list, section
// headers, stream indices), public symbols (S_PUB32) and function symbols
// (S_GPROC32/S_LPROC32 from module symbol streams). It also reads the
// CodeView (RSDS) record of a PE image, which names the PDB an image was
// linked with.
//
// The reader works like debug/pe: NewFile reads only the superblock and
// the stream directory over an io.ReaderAt; every other stream is read on
// the first call that needs it. Every count, size and block index taken
// from the file is checked against the file size before anything is read
// or allocated, so a crafted PDB yields an error wrapping ErrFormat
// (usually a *FormatError carrying the file offset) and never a panic or
// an allocation the file could not justify.
//
// The format is described in docs/pdb.md, which cites LLVM's "The PDB
// File Format" pages.
package pdb
