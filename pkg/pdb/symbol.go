package pdb

import (
	"fmt"
)

// Symbol is a public or function symbol.
type Symbol struct {
	Name    string
	Segment uint16 // 1-based section index
	Offset  uint32 // offset in the section
	// RVA is Offset plus the section's virtual address from the section
	// headers stream (through OMAP when present); 0 when the section is
	// unknown.
	RVA uint32
	// Size is the function's length in bytes; 0 when unknown (publics).
	Size uint32
	// Function is set for a public with the "code" or "function" flag and
	// for every procedure symbol.
	Function bool
}

// CodeView symbol record kinds the reader understands
// (llvm/include/llvm/DebugInfo/CodeView/CodeViewSymbols.def).
const (
	sPub32         = 0x110E
	sLProc32       = 0x110F
	sGProc32       = 0x1110
	sLProc32ID     = 0x1146
	sGProc32ID     = 0x1147
	cvSignatureC13 = 4
)

// record is one CodeView symbol record: kind and the bytes after the
// kind field.
type record struct {
	off  uint32 // offset of the record's length field in its stream
	size uint32 // record length including the length field, as llvm-pdbutil prints it
	kind uint16
	data []byte
}

// recordAt reads the record at off in b (a symbol stream), checking that
// the length fits.
func recordAt(b []byte, off uint32, what string, at locator) (record, error) {
	if uint64(off)+4 > uint64(len(b)) {
		return record{}, formatErr(-1, fmt.Sprintf("%s: record at %d past the end (%d bytes)", what, off, len(b)), nil)
	}
	n := uint32(le.Uint16(b[off:]))
	if n < 2 || uint64(off)+2+uint64(n) > uint64(len(b)) {
		return record{}, formatErr(at(int(off)), fmt.Sprintf("%s: record at %d has bad length", what, off), n)
	}
	return record{off: off, size: n + 2, kind: le.Uint16(b[off+2:]), data: b[off+4 : off+2+n]}, nil
}

// symRecords reads the DBI's symbol record stream (which holds the
// records the publics and globals streams point into) once.
func (f *File) symRecords() ([]byte, locator, error) {
	f.symRecOnce.Do(func() {
		f.symRecAt = func(int) int64 { return -1 }
		if f.dbi == nil || f.dbi.symRecStream == nilStream16 {
			return
		}
		s, err := f.stream(int(f.dbi.symRecStream), "symbol record stream")
		if err != nil {
			f.symRecErr = err
			return
		}
		f.symRec, f.symRecErr = f.readStream(s)
		f.symRecAt = f.locate(s, 0)
	})
	return f.symRec, f.symRecAt, f.symRecErr
}

// shift is at moved by base bytes: the locator of b[base:].
func shift(at locator, base int) locator {
	return func(i int) int64 { return at(base + i) }
}

// Functions returns the procedure symbols (S_GPROC32, S_LPROC32 and their
// _ID forms) of every module's symbol stream, in module and record order,
// with their sizes. It is empty for a stripped PDB.
func (f *File) Functions() ([]Symbol, error) {
	d, err := f.dbiStream()
	if err != nil {
		return nil, err
	}
	am, err := f.addrMap()
	if err != nil {
		return nil, err
	}
	var out []Symbol
	for i, m := range d.modules {
		if m.symStream == nilStream16 || m.symBytes == 0 {
			continue
		}
		what := fmt.Sprintf("module %d (%s) symbols", i, m.name)
		b, _, err := f.moduleData(i, m, false)
		if err != nil {
			return nil, err
		}
		at := f.locate(&f.streams[m.symStream], 0)
		for off := uint32(4); off < uint32(len(b)); {
			r, err := recordAt(b, off, what, at)
			if err != nil {
				return nil, err
			}
			off += r.size
			switch r.kind {
			case sGProc32, sLProc32, sGProc32ID, sLProc32ID:
			default:
				continue
			}
			sym, err := parseProc(r, what, at)
			if err != nil {
				return nil, err
			}
			sym.RVA, _ = am.rva(sym.Segment, sym.Offset)
			out = append(out, sym)
		}
	}
	return out, nil
}

// parseProc parses a ProcSym: parent, end, next, code size, debug start,
// debug end, type, offset, segment, flags, name.
func parseProc(r record, what string, at locator) (Symbol, error) {
	p := parser{b: r.data, what: fmt.Sprintf("%s: procedure record at %d", what, r.off), at: shift(at, int(r.off)+4)}
	p.bytes(12) // parent, end, next
	size := p.u32()
	p.bytes(12) // debug start, debug end, type
	off := p.u32()
	seg := p.u16()
	p.u8() // flags
	name := p.cstring()
	if p.err != nil {
		return Symbol{}, p.err
	}
	return Symbol{Name: name, Segment: seg, Offset: off, Size: size, Function: true}, nil
}
