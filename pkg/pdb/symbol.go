package pdb

import "errors"

// Symbol is a public or function symbol.
type Symbol struct {
	Name    string
	Segment uint16 // 1-based section index
	Offset  uint32 // offset in the section
	// RVA is Offset plus the section's virtual address from the section
	// headers stream; 0 when the section is unknown.
	RVA uint32
	// Size is the function's length in bytes; 0 when unknown (publics).
	Size uint32
	// Function is set for a public with the "function" (code) flag and
	// for every procedure symbol.
	Function bool
}

// Publics returns the public symbols (S_PUB32 records of the symbol
// record stream named by the DBI stream), in record order.
func (f *File) Publics() ([]Symbol, error) {
	return nil, errors.New("pdb: not implemented yet")
}

// Functions returns the procedure symbols (S_GPROC32, S_LPROC32 and their
// _ID forms) of every module's symbol stream, with their sizes. It is
// empty for a stripped PDB.
func (f *File) Functions() ([]Symbol, error) {
	return nil, errors.New("pdb: not implemented yet")
}
