package pdb

import (
	"errors"
	"io"
)

// CodeView is a PE image's PDB 7.0 CodeView record ("RSDS"): which PDB it
// was linked with.
type CodeView struct {
	GUID    [16]byte // as stored: Data1..3 little-endian, then Data4
	Age     uint32
	PDBName string // path the linker wrote, e.g. `C:\src\app\app.pdb`
}

// DebugID is the identifier symbol servers file the PDB under: GUID as 32
// upper-case hex digits followed by the age in hex.
func (c CodeView) DebugID() string { return debugID(c.GUID, c.Age) }

// ReadCodeView reads the CodeView (RSDS) record from a PE image's debug
// directory. It returns an error wrapping ErrNoCodeView when there is
// none, and one wrapping ErrFormat when the record is malformed.
func ReadCodeView(r io.ReaderAt) (CodeView, error) {
	return CodeView{}, errors.New("pdb: not implemented yet")
}
