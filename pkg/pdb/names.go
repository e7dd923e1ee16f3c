package pdb

import "fmt"

const namesSignature = 0xEFFEEFFE

// namedStreams reads the named stream map that follows the PDB info
// stream header: a string buffer and a hash table of (name offset, stream
// index) pairs (docs/pdb.md, "PDB info stream"). It maps e.g. "/names" to
// its stream number.
func (f *File) namedStreams() (map[string]int, error) {
	s, err := f.stream(streamPDBInfo, "PDB info stream")
	if err != nil {
		return nil, err
	}
	b, err := f.readStream(s)
	if err != nil {
		return nil, err
	}
	p := parser{b: b, off: 28, what: "PDB info stream named stream map", at: f.locate(s, 0)}
	strs := p.bytes(int(p.u32()))
	p.u32() // number of entries; the present bits below are authoritative
	capacity := p.u32()
	present := p.words(p.u32())
	p.words(p.u32()) // deleted bits
	if p.err != nil {
		return nil, p.err
	}
	if uint64(capacity) > uint64(len(present))*8 {
		return nil, formatErr(p.fileOff(p.off), "PDB info stream named stream map: capacity larger than its bit vector", capacity)
	}
	out := map[string]int{}
	for i := uint32(0); i < capacity; i++ {
		if present[i/8]&(1<<(i%8)) == 0 {
			continue
		}
		key, val := p.u32(), p.u32()
		if p.err != nil {
			return nil, p.err
		}
		if key >= uint32(len(strs)) {
			return nil, formatErr(p.fileOff(p.off-8), "PDB info stream named stream map: name offset outside the string buffer", key)
		}
		np := parser{b: strs, off: int(key), what: "PDB info stream stream name", at: f.locate(s, 32)}
		name := np.cstring()
		if np.err != nil {
			return nil, np.err
		}
		out[name] = int(val)
	}
	return out, nil
}

// stringTable is the "/names" stream: file names referred to by offset
// from C13 file checksums.
type stringTable struct {
	buf []byte
	at  locator
}

// readNames reads the "/names" string table; a PDB without one gives an
// empty table (every name lookup then fails).
func (f *File) readNames() (*stringTable, error) {
	ns, err := f.namedStreams()
	if err != nil {
		return nil, err
	}
	idx, ok := ns["/names"]
	if !ok {
		return &stringTable{}, nil
	}
	s, err := f.stream(idx, "/names string table")
	if err != nil {
		return nil, err
	}
	b, err := f.readStream(s)
	if err != nil {
		return nil, err
	}
	p := parser{b: b, what: "/names string table", at: f.locate(s, 0)}
	sig := p.u32()
	p.u32() // hash version
	buf := p.bytes(int(p.u32()))
	if p.err != nil {
		return nil, p.err
	}
	if sig != namesSignature {
		return nil, f.streamErr(s, 0, "/names string table: bad signature", fmt.Sprintf("%#x", sig))
	}
	return &stringTable{buf: buf, at: f.locate(s, 12)}, nil
}

// name returns the string at off.
func (t *stringTable) name(off uint32) (string, error) {
	if off >= uint32(len(t.buf)) {
		return "", formatErr(-1, "/names string table: offset outside the table", off)
	}
	p := parser{b: t.buf, off: int(off), what: "/names string table", at: t.at}
	s := p.cstring()
	return s, p.err
}
