package pdb

import (
	"bytes"
	"debug/pe"
	"fmt"
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

const (
	imageDirectoryEntryDebug = 6
	imageDebugTypeCodeView   = 2
	debugDirEntrySize        = 28 // IMAGE_DEBUG_DIRECTORY
	// maxDebugEntries bounds the debug directory; linkers write a handful
	// (CodeView, VC feature, POGO, repro, ...).
	maxDebugEntries = 64
	// maxCodeViewSize bounds a CodeView record: 24 bytes plus a path.
	maxCodeViewSize = 64 << 10
)

// ReadCodeView reads the CodeView (RSDS) record from a PE image's debug
// directory. It returns an error wrapping ErrNoCodeView when there is
// none (or only a PDB 2.0 "NB10" one), and one wrapping ErrFormat when the
// image or the record is malformed.
func ReadCodeView(r io.ReaderAt) (CodeView, error) {
	img, err := pe.NewFile(r)
	if err != nil {
		return CodeView{}, fmt.Errorf("%w: not a readable PE image: %w", ErrFormat, err)
	}
	var dd pe.DataDirectory
	switch oh := img.OptionalHeader.(type) {
	case *pe.OptionalHeader32:
		if oh.NumberOfRvaAndSizes > imageDirectoryEntryDebug {
			dd = oh.DataDirectory[imageDirectoryEntryDebug]
		}
	case *pe.OptionalHeader64:
		if oh.NumberOfRvaAndSizes > imageDirectoryEntryDebug {
			dd = oh.DataDirectory[imageDirectoryEntryDebug]
		}
	default:
		return CodeView{}, fmt.Errorf("%w: PE image has no optional header", ErrNoCodeView)
	}
	if dd.VirtualAddress == 0 || dd.Size == 0 {
		return CodeView{}, fmt.Errorf("%w: PE image has no debug directory (linked without /DEBUG?)", ErrNoCodeView)
	}
	if dd.Size%debugDirEntrySize != 0 || dd.Size/debugDirEntrySize > maxDebugEntries {
		return CodeView{}, formatErr(-1, "PE debug directory: bad size", dd.Size)
	}
	sec := sectionFor(img, dd.VirtualAddress, dd.Size)
	if sec == nil {
		return CodeView{}, formatErr(-1, "PE debug directory: RVA outside every section", fmt.Sprintf("%#x", dd.VirtualAddress))
	}
	dir := make([]byte, dd.Size)
	if _, err := sec.ReadAt(dir, int64(dd.VirtualAddress-sec.VirtualAddress)); err != nil {
		return CodeView{}, fmt.Errorf("%w: reading PE debug directory: %w", ErrFormat, err)
	}
	sawNB10 := false
	for i := 0; i < len(dir); i += debugDirEntrySize {
		e := dir[i:]
		if le.Uint32(e[12:]) != imageDebugTypeCodeView {
			continue
		}
		size, ptr := le.Uint32(e[16:]), le.Uint32(e[24:])
		if size < 24 || size > maxCodeViewSize {
			return CodeView{}, formatErr(int64(ptr), "CodeView record: bad size", size)
		}
		b := make([]byte, size)
		if _, err := r.ReadAt(b, int64(ptr)); err != nil {
			return CodeView{}, fmt.Errorf("%w: reading CodeView record at %#x: %w", ErrFormat, ptr, err)
		}
		switch string(b[:4]) {
		case "RSDS":
			cv := CodeView{Age: le.Uint32(b[20:])}
			copy(cv.GUID[:], b[4:20])
			name := b[24:]
			if j := bytes.IndexByte(name, 0); j >= 0 {
				name = name[:j]
			}
			cv.PDBName = string(name)
			return cv, nil
		case "NB10":
			sawNB10 = true
		}
	}
	if sawNB10 {
		return CodeView{}, fmt.Errorf("%w: only a PDB 2.0 (NB10) record, which is not supported", ErrNoCodeView)
	}
	return CodeView{}, fmt.Errorf("%w: the PE debug directory has no CodeView entry", ErrNoCodeView)
}

// sectionFor finds the section whose raw data holds [rva, rva+n).
func sectionFor(img *pe.File, rva, n uint32) *pe.Section {
	for _, s := range img.Sections {
		if rva >= s.VirtualAddress && uint64(rva)+uint64(n) <= uint64(s.VirtualAddress)+uint64(s.Size) {
			return s
		}
	}
	return nil
}
