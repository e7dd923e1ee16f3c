package pdb

import (
	"fmt"
	"sort"
)

const sectionHeaderSize = 40 // IMAGE_SECTION_HEADER

// addrMap turns a symbol's segment:offset into an image RVA: the section
// headers the DBI optional debug header points at give each section's
// virtual address; when the image was rewritten after linking (OMAP, e.g.
// by a post-link optimizer) the original section headers and the OMAP
// "from source" table translate the pre-rewrite address.
type addrMap struct {
	va   []uint32 // virtual address of section i+1
	omap []omapEntry
}

type omapEntry struct{ from, to uint32 }

// rva resolves segment:offset, or returns false when the segment is not a
// section or OMAP says the code was dropped.
func (m *addrMap) rva(seg uint16, off uint32) (uint32, bool) {
	if seg == 0 || int(seg) > len(m.va) {
		return 0, false
	}
	rva := m.va[seg-1] + off
	if m.omap == nil {
		return rva, true
	}
	i := sort.Search(len(m.omap), func(i int) bool { return m.omap[i].from > rva }) - 1
	if i < 0 || m.omap[i].to == 0 {
		return 0, false
	}
	return m.omap[i].to + (rva - m.omap[i].from), true
}

// addrMap reads the section headers (and OMAP) once.
func (f *File) addrMap() (*addrMap, error) {
	f.sectionOnce.Do(func() { f.sections, f.sectionErr = f.readAddrMap() })
	return f.sections, f.sectionErr
}

func (f *File) readAddrMap() (*addrMap, error) {
	d, err := f.dbiStream()
	if err != nil {
		return nil, err
	}
	m := &addrMap{}
	hdr := dbgSectionHdr
	if omapIdx, ok := d.dbgStream(dbgOmapFromSrc); ok {
		if _, ok := d.dbgStream(dbgSectionHdrOrig); ok {
			if m.omap, err = f.readOMAP(omapIdx); err != nil {
				return nil, err
			}
			hdr = dbgSectionHdrOrig
		}
	}
	idx, ok := d.dbgStream(hdr)
	if !ok {
		return m, nil // no section headers: RVAs stay 0
	}
	s, err := f.stream(idx, "section headers")
	if err != nil {
		return nil, err
	}
	b, err := f.readStream(s)
	if err != nil {
		return nil, err
	}
	if len(b)%sectionHeaderSize != 0 {
		return nil, f.streamErr(s, 0, fmt.Sprintf("section headers stream %d: size not a multiple of %d", idx, sectionHeaderSize), len(b))
	}
	m.va = make([]uint32, len(b)/sectionHeaderSize)
	for i := range m.va {
		m.va[i] = le.Uint32(b[i*sectionHeaderSize+12:])
	}
	return m, nil
}

func (f *File) readOMAP(idx int) ([]omapEntry, error) {
	s, err := f.stream(idx, "OMAP from source")
	if err != nil {
		return nil, err
	}
	b, err := f.readStream(s)
	if err != nil {
		return nil, err
	}
	if len(b)%8 != 0 {
		return nil, f.streamErr(s, 0, fmt.Sprintf("OMAP stream %d: size not a multiple of 8", idx), len(b))
	}
	om := make([]omapEntry, len(b)/8)
	for i := range om {
		om[i] = omapEntry{le.Uint32(b[i*8:]), le.Uint32(b[i*8+4:])}
	}
	// The table must be sorted for the binary search; a crafted one that
	// is not would give wrong answers, so refuse it.
	for i := 1; i < len(om); i++ {
		if om[i].from < om[i-1].from {
			return nil, f.streamErr(s, uint64(i)*8, fmt.Sprintf("OMAP stream %d: entries not sorted", idx), i)
		}
	}
	return om, nil
}
