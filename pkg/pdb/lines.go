package pdb

import (
	"fmt"
	"sort"
)

// Line is the code range of one source line, from a module's C13 line
// information (DEBUG_S_LINES with DEBUG_S_FILECHKSMS and "/names").
type Line struct {
	Segment uint16 // 1-based section index
	Offset  uint32 // section offset of the line's first byte
	// RVA is Offset resolved like Symbol.RVA; 0 when the section is
	// unknown.
	RVA uint32
	// Size runs to the next line record of the same function, or to the
	// end of the function's code for the last one.
	Size uint32
	File string // source path as the compiler wrote it
	Line uint32 // 1-based; 0xFEEFEE and 0xF00F00 mark compiler-generated code
}

// C13 debug subsection kinds (llvm/include/llvm/DebugInfo/CodeView/CodeView.h).
const (
	debugSLines        = 0xF2
	debugSFileChecksum = 0xF4
	debugSIgnore       = 0x80000000
	cvLinesHaveColumns = 0x0001
)

// moduleData reads module i's symbol records (starting with the
// signature) and, when withLines is set, its C13 line information.
func (f *File) moduleData(i int, m module, withLines bool) (syms, c13 []byte, err error) {
	what := fmt.Sprintf("module %d (%s)", i, m.name)
	s, err := f.stream(int(m.symStream), what+" symbols")
	if err != nil {
		return nil, nil, err
	}
	end := uint64(m.symBytes) + uint64(m.c11Bytes) + uint64(m.c13Bytes)
	if m.symBytes < 4 || end > uint64(s.size) {
		return nil, nil, formatErr(-1, fmt.Sprintf("%s: symbol and line sizes (%d+%d+%d) do not fit its stream %d (%d bytes)",
			what, m.symBytes, m.c11Bytes, m.c13Bytes, s.index, s.size), nil)
	}
	n := m.symBytes
	if withLines {
		n = uint32(end)
	}
	b, err := f.readStreamAt(s, 0, n)
	if err != nil {
		return nil, nil, err
	}
	if sig := le.Uint32(b); sig != cvSignatureC13 {
		return nil, nil, f.streamErr(s, 0, what+": not C13 CodeView symbols (signature)", sig)
	}
	if !withLines {
		return b, nil, nil
	}
	return b[:m.symBytes], b[m.symBytes+m.c11Bytes:], nil
}

// Lines returns the source lines of every module, in module order and,
// within a module, in the order the compiler wrote them. Modules without
// C13 line information (stripped PDBs, the linker's own module) add none.
func (f *File) Lines() ([]Line, error) {
	d, err := f.dbiStream()
	if err != nil {
		return nil, err
	}
	if len(d.modules) == 0 {
		return nil, nil
	}
	am, err := f.addrMap()
	if err != nil {
		return nil, err
	}
	names, err := f.readNames()
	if err != nil {
		return nil, err
	}
	var out []Line
	for i, m := range d.modules {
		if m.symStream == nilStream16 || m.c13Bytes == 0 {
			continue
		}
		_, c13, err := f.moduleData(i, m, true)
		if err != nil {
			return nil, err
		}
		what := fmt.Sprintf("module %d (%s) line info", i, m.name)
		at := f.locate(&f.streams[m.symStream], m.symBytes+m.c11Bytes)
		if out, err = appendC13Lines(out, c13, names, am, what, at); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// appendC13Lines walks the C13 subsections of one module twice: first to
// find its file checksums (which may come after the lines that use
// them), then to decode each DEBUG_S_LINES subsection.
func appendC13Lines(out []Line, c13 []byte, names *stringTable, am *addrMap, what string, at locator) ([]Line, error) {
	type subsection struct {
		kind uint32
		data []byte
		at   locator
	}
	var subs []subsection
	var checksums []byte
	var checksumsAt locator
	p := parser{b: c13, what: what, at: at}
	for p.off < len(c13) && p.err == nil {
		kind := p.u32()
		dataAt := shift(at, p.off+4)
		data := p.bytes(int(p.u32()))
		if p.err != nil {
			break
		}
		// Subsections are 4-byte aligned; a last one without its padding
		// ends the list.
		p.off = min(p.off+(4-p.off%4)%4, len(c13))
		if kind&debugSIgnore != 0 {
			continue
		}
		switch kind {
		case debugSFileChecksum:
			checksums, checksumsAt = data, dataAt
		case debugSLines:
			subs = append(subs, subsection{kind, data, dataAt})
		}
	}
	if p.err != nil {
		return out, p.err
	}
	fileName := func(idx uint32) (string, error) {
		cp := parser{b: checksums, off: int(min(idx, uint32(len(checksums)))), what: what + ": file checksums", at: checksumsAt}
		off := cp.u32()
		if cp.err != nil {
			return "", formatErr(-1, what+": file index outside the file checksums", idx)
		}
		return names.name(off)
	}
	for _, s := range subs {
		lp := parser{b: s.data, what: what + ": DEBUG_S_LINES", at: s.at}
		relocOff := lp.u32()
		seg := lp.u16()
		flags := lp.u16()
		codeSize := lp.u32()
		first := len(out)
		for lp.off < len(s.data) && lp.err == nil {
			nameIdx := lp.u32()
			n := lp.u32()
			lp.u32() // block size
			if lp.err != nil {
				break
			}
			per := uint64(8)
			if flags&cvLinesHaveColumns != 0 {
				per += 4
			}
			if uint64(n)*per > uint64(len(s.data)-lp.off) {
				return out, formatErr(lp.fileOff(lp.off-8), what+": DEBUG_S_LINES block has more lines than bytes", n)
			}
			file, err := fileName(nameIdx)
			if err != nil {
				return out, err
			}
			for j := uint32(0); j < n; j++ {
				off := lp.u32()
				lf := lp.u32()
				l := Line{Segment: seg, Offset: relocOff + off, File: file, Line: lf & 0xFFFFFF}
				l.RVA, _ = am.rva(seg, l.Offset)
				out = append(out, l)
			}
			if flags&cvLinesHaveColumns != 0 {
				lp.bytes(int(n) * 4)
			}
		}
		if lp.err != nil {
			return out, lp.err
		}
		setLineSizes(out[first:], relocOff+codeSize)
	}
	return out, nil
}

// setLineSizes gives each line of one function the distance to the next
// line (by address), and the last one the distance to end.
func setLineSizes(ls []Line, end uint32) {
	idx := make([]int, len(ls))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return ls[idx[a]].Offset < ls[idx[b]].Offset })
	for k, i := range idx {
		next := end
		if k+1 < len(idx) {
			next = ls[idx[k+1]].Offset
		}
		if next > ls[i].Offset {
			ls[i].Size = next - ls[i].Offset
		}
	}
}
