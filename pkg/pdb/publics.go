package pdb

import "fmt"

// Public symbol flags (CV_PUBSYMFLAGS).
const (
	pubCode     = 1 << 0
	pubFunction = 1 << 1
	pubManaged  = 1 << 2
	pubMSIL     = 1 << 3
)

const (
	publicsHeaderSize = 28
	gsiHeaderSize     = 16
	gsiSignature      = 0xFFFFFFFF
	gsiVersionV70     = 0xEFFE0000 + 19990810
	gsiHashRecordSize = 8
)

// public is an S_PUB32 record with where it was found, for callers (and
// tests) that need more than a Symbol.
type public struct {
	rec   record
	flags uint32
	sym   Symbol
}

// Publics returns the public symbols: the S_PUB32 records the publics
// stream's hash table points to in the symbol record stream, in hash
// table order (the order `llvm-pdbutil dump -publics` prints). It is
// empty when the PDB has no publics stream.
func (f *File) Publics() ([]Symbol, error) {
	ps, err := f.publics()
	if err != nil {
		return nil, err
	}
	out := make([]Symbol, len(ps))
	for i, p := range ps {
		out[i] = p.sym
	}
	return out, nil
}

func (f *File) publics() ([]public, error) {
	if f.dbi == nil || f.dbi.publicStream == nilStream16 {
		return nil, nil
	}
	s, err := f.stream(int(f.dbi.publicStream), "publics stream")
	if err != nil {
		return nil, err
	}
	if s.size < publicsHeaderSize+gsiHeaderSize {
		return nil, f.streamErr(s, 0, "publics stream shorter than its headers", s.size)
	}
	h, err := f.readStreamAt(s, 0, publicsHeaderSize+gsiHeaderSize)
	if err != nil {
		return nil, err
	}
	symHash := le.Uint32(h)
	g := h[publicsHeaderSize:]
	if sig, ver := le.Uint32(g), le.Uint32(g[4:]); sig != gsiSignature || ver != gsiVersionV70 {
		return nil, f.streamErr(s, publicsHeaderSize, "publics stream: unsupported GSI hash table version", fmt.Sprintf("%#x/%#x", sig, ver))
	}
	hrSize := le.Uint32(g[8:])
	if hrSize%gsiHashRecordSize != 0 || uint64(gsiHeaderSize)+uint64(hrSize) > uint64(symHash) ||
		uint64(publicsHeaderSize)+uint64(symHash) > uint64(s.size) {
		return nil, f.streamErr(s, publicsHeaderSize+8, "publics stream: hash records do not fit the stream", hrSize)
	}
	hr, err := f.readStreamAt(s, publicsHeaderSize+gsiHeaderSize, hrSize)
	if err != nil {
		return nil, err
	}
	recs, recsAt, err := f.symRecords()
	if err != nil {
		return nil, err
	}
	am, err := f.addrMap()
	if err != nil {
		return nil, err
	}
	out := make([]public, 0, len(hr)/gsiHashRecordSize)
	// Hash records may repeat an offset (a crafted file could repeat one
	// record with a 64 KiB name thousands of times); decode each record
	// once so the names cost no more than the stream holds.
	seen := map[uint32]public{}
	for i := 0; i < len(hr); i += gsiHashRecordSize {
		// Offsets are stored plus one so that 0 can mean "none".
		off := le.Uint32(hr[i:])
		if off == 0 {
			return nil, f.streamErr(s, uint64(publicsHeaderSize+gsiHeaderSize+i), fmt.Sprintf("publics stream: hash record %d has offset 0", i/gsiHashRecordSize), nil)
		}
		if p, ok := seen[off]; ok {
			out = append(out, p)
			continue
		}
		r, err := recordAt(recs, off-1, "symbol record stream", recsAt)
		if err != nil {
			return nil, err
		}
		if r.kind != sPub32 {
			return nil, formatErr(recsAt(int(r.off)), fmt.Sprintf("publics stream: record at %d is not S_PUB32", r.off), fmt.Sprintf("kind %#x", r.kind))
		}
		p := parser{b: r.data, what: fmt.Sprintf("S_PUB32 at %d", r.off), at: shift(recsAt, int(r.off)+4)}
		flags := p.u32()
		offset := p.u32()
		seg := p.u16()
		name := p.cstring()
		if p.err != nil {
			return nil, p.err
		}
		sym := Symbol{Name: name, Segment: seg, Offset: offset, Function: flags&(pubCode|pubFunction) != 0}
		sym.RVA, _ = am.rva(seg, offset)
		seen[off] = public{rec: r, flags: flags, sym: sym}
		out = append(out, seen[off])
	}
	return out, nil
}
