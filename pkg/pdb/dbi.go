package pdb

import "fmt"

const (
	dbiHeaderSize = 64
	nilStream16   = 0xFFFF
)

// dbiHeader is the fixed DBI stream header (docs/pdb.md, "DBI stream").
type dbiHeader struct {
	age            uint32
	globalStream   uint16
	publicStream   uint16
	symRecStream   uint16
	machine        uint16
	substreamSizes [6]uint32 // module info, section contributions, section map, file info, type server map, EC
	optDbgSize     uint32
}

// Order of the substreams after the header; the optional debug header
// substream comes last.
const (
	subModInfo = iota
	subSecContrib
	subSecMap
	subFileInfo
	subTypeServerMap
	subEC
)

// readDBIHeader reads the DBI header, if the PDB has a DBI stream, and
// checks that its substream sizes fit the stream.
func (f *File) readDBIHeader() error {
	if streamDBI >= len(f.streams) || f.streams[streamDBI].size == 0 {
		return nil // a PDB with no DBI stream: no symbols, age from the info stream
	}
	s := &f.streams[streamDBI]
	if s.size < dbiHeaderSize {
		return f.streamErr(s, 0, "DBI stream shorter than its header", s.size)
	}
	b, err := f.readStreamAt(s, 0, dbiHeaderSize)
	if err != nil {
		return err
	}
	if sig := int32(le.Uint32(b)); sig != -1 {
		return f.streamErr(s, 0, "DBI stream: bad version signature", sig)
	}
	h := &dbiHeader{
		age:          le.Uint32(b[8:]),
		globalStream: le.Uint16(b[12:]),
		publicStream: le.Uint16(b[16:]),
		symRecStream: le.Uint16(b[20:]),
		optDbgSize:   le.Uint32(b[48:]),
		machine:      le.Uint16(b[58:]),
	}
	// ModInfo, SecContr, SecMap, FileInfo, TypeServerMap at 24..44; EC at 52.
	for i, off := range []int{24, 28, 32, 36, 40, 52} {
		h.substreamSizes[i] = le.Uint32(b[off:])
	}
	total := uint64(dbiHeaderSize) + uint64(h.optDbgSize)
	for i, n := range h.substreamSizes {
		if int32(n) < 0 {
			return f.streamErr(s, 24, fmt.Sprintf("DBI stream: negative size of substream %d", i), int32(n))
		}
		total += uint64(n)
	}
	if int32(h.optDbgSize) < 0 || total > uint64(s.size) {
		return f.streamErr(s, 24, fmt.Sprintf("DBI stream: substreams (%d bytes) larger than the stream (%d bytes)", total, s.size), nil)
	}
	f.dbi = h
	return nil
}

// Optional debug header entries: indices into the array of stream
// numbers that ends the DBI stream.
const (
	dbgFPO = iota
	dbgException
	dbgFixup
	dbgOmapToSrc
	dbgOmapFromSrc
	dbgSectionHdr
	dbgTokenRIDMap
	dbgXdata
	dbgPdata
	dbgNewFPO
	dbgSectionHdrOrig
)

// module is one DBI module info entry (a compiland).
type module struct {
	name       string
	objName    string
	symStream  uint16 // nilStream16 when the module has no symbols
	symBytes   uint32 // size of the symbol substream, including its 4-byte signature
	c13Bytes   uint32 // size of the C13 line info that follows the symbols
	c11Bytes   uint32 // size of the C11 line info between symbols and C13
	modInfoOff int    // offset of the entry within the module info substream
}

// dbiStream is the parsed part of the DBI stream the reader uses.
type dbiStream struct {
	modules  []module
	dbgIndex []uint16 // optional debug header stream numbers
}

// dbiStream reads and parses the DBI stream once.
func (f *File) dbiStream() (*dbiStream, error) {
	f.dbiOnce.Do(func() { f.dbiData, f.dbiErr = f.parseDBI() })
	return f.dbiData, f.dbiErr
}

func (f *File) parseDBI() (*dbiStream, error) {
	if f.dbi == nil {
		return &dbiStream{}, nil
	}
	b, err := f.readStream(&f.streams[streamDBI])
	if err != nil {
		return nil, err
	}
	h := f.dbi
	d := &dbiStream{}
	off := dbiHeaderSize
	modBytes := b[off : off+int(h.substreamSizes[subModInfo])]
	for _, n := range h.substreamSizes {
		off += int(n)
	}
	// readDBIHeader checked that the substreams fit the stream.
	opt := b[off : off+int(h.optDbgSize)]
	for i := 0; i+2 <= len(opt); i += 2 {
		d.dbgIndex = append(d.dbgIndex, le.Uint16(opt[i:]))
	}
	if d.modules, err = parseModules(modBytes, f.locate(&f.streams[streamDBI], dbiHeaderSize)); err != nil {
		return nil, err
	}
	return d, nil
}

// modInfoFixed is the size of a module info entry before its two names.
const modInfoFixed = 64

// parseModules parses the module info substream. Each entry costs at
// least modInfoFixed+2 bytes, so the count is bounded by the substream.
func parseModules(b []byte, at locator) ([]module, error) {
	var mods []module
	p := parser{b: b, what: "DBI module info", at: at}
	for p.off < len(b) && p.err == nil {
		start := p.off
		fixed := p.bytes(modInfoFixed)
		if p.err != nil {
			break
		}
		m := module{
			modInfoOff: start,
			symStream:  le.Uint16(fixed[34:]),
			symBytes:   le.Uint32(fixed[36:]),
			c11Bytes:   le.Uint32(fixed[40:]),
			c13Bytes:   le.Uint32(fixed[44:]),
		}
		m.name = p.cstring()
		m.objName = p.cstring()
		if pad := (4 - p.off%4) % 4; p.off+pad <= len(b) {
			p.off += pad
		} else {
			p.off = len(b)
		}
		if p.err == nil {
			mods = append(mods, m)
		}
	}
	if p.err != nil {
		return nil, p.err
	}
	// Each module owns its symbol stream. Without this check a crafted
	// DBI could name one large stream from thousands of 66-byte entries
	// and have it read (and its symbols returned) thousands of times.
	owner := map[uint16]int{}
	for i, m := range mods {
		if m.symStream == nilStream16 {
			continue
		}
		if j, ok := owner[m.symStream]; ok {
			return nil, formatErr(at(m.modInfoOff+34), fmt.Sprintf("DBI module info: modules %d and %d share symbol stream %d", j, i, m.symStream), nil)
		}
		owner[m.symStream] = i
	}
	return mods, nil
}

// dbgStream returns the stream number at index i of the optional debug
// header, or false when it is absent or nil.
func (d *dbiStream) dbgStream(i int) (int, bool) {
	if i >= len(d.dbgIndex) || d.dbgIndex[i] == nilStream16 {
		return 0, false
	}
	return int(d.dbgIndex[i]), true
}
