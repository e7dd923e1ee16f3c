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
	names := map[uint32]string{} // by offset: repeated keys share one string
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
		name, ok := names[key]
		if !ok {
			np := parser{b: strs, off: int(key), what: "PDB info stream stream name", at: f.locate(s, 32)}
			name = np.cstring()
			if np.err != nil {
				return nil, np.err
			}
			names[key] = name
		}
		out[name] = int(val)
	}
	return out, nil
}

// stringTable is the "/names" stream: file names referred to by offset
// from C13 file checksums.
type stringTable struct {
	buf   []byte
	at    locator
	cache map[uint32]string // names already decoded, so repeats cost nothing
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
		return &stringTable{cache: map[uint32]string{}}, nil
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
	return &stringTable{buf: buf, at: f.locate(s, 12), cache: map[uint32]string{}}, nil
}

// name returns the string at off.
func (t *stringTable) name(off uint32) (string, error) {
	if off >= uint32(len(t.buf)) {
		return "", formatErr(-1, "/names string table: offset outside the table", off)
	}
	if s, ok := t.cache[off]; ok {
		return s, nil
	}
	p := parser{b: t.buf, off: int(off), what: "/names string table", at: t.at}
	s := p.cstring()
	if p.err == nil {
		t.cache[off] = s
	}
	return s, p.err
}
