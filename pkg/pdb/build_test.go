package pdb

import (
	"encoding/binary"
)

// This file builds small synthetic PDBs, so the reader's paths and its
// rejection of malformed input are tested without ../shared.

// msfBlockSize is the block size of built files (the smallest allowed, so
// streams span several blocks and the block walk is exercised).
const msfBlockSize = 512

// buildMSF lays streams out in an MSF 7.0 file: block 0 the superblock,
// blocks 1-2 the free block maps, block 3 the block map, then the
// directory blocks, then each stream's blocks. A nil stream is written
// with the nil size marker.
func buildMSF(streams [][]byte) []byte {
	bs := uint32(msfBlockSize)
	nblk := func(n int) uint32 { return (uint32(n) + bs - 1) / bs }
	next := uint32(4)
	// Directory: count, sizes, block lists. Its own size is known before
	// the stream blocks are assigned.
	dirWords := 1 + len(streams)
	for _, s := range streams {
		dirWords += int(nblk(len(s)))
	}
	dirBlocks := nblk(dirWords * 4)
	dirFirst := next
	next += dirBlocks
	var dir []byte
	dir = binary.LittleEndian.AppendUint32(dir, uint32(len(streams)))
	for _, s := range streams {
		if s == nil {
			dir = binary.LittleEndian.AppendUint32(dir, nilStreamSize)
		} else {
			dir = binary.LittleEndian.AppendUint32(dir, uint32(len(s)))
		}
	}
	starts := make([]uint32, len(streams))
	for i, s := range streams {
		starts[i] = next
		for j := uint32(0); j < nblk(len(s)); j++ {
			dir = binary.LittleEndian.AppendUint32(dir, next)
			next++
		}
	}
	out := make([]byte, next*bs)
	copy(out, msfMagic)
	le.PutUint32(out[32:], bs)
	le.PutUint32(out[36:], 1)
	le.PutUint32(out[40:], next)
	le.PutUint32(out[44:], uint32(len(dir)))
	le.PutUint32(out[52:], 3)
	for i := uint32(0); i < dirBlocks; i++ {
		le.PutUint32(out[3*bs+i*4:], dirFirst+i)
	}
	copy(out[dirFirst*bs:], dir)
	for i, s := range streams {
		copy(out[starts[i]*bs:], s)
	}
	return out
}

// synthGUID is the GUID of built PDBs, stored form.
var synthGUID = [16]byte{0x78, 0x56, 0x34, 0x12, 0xbc, 0x9a, 0xf0, 0xde, 1, 2, 3, 4, 5, 6, 7, 8}

// synthSpec describes the content of a built PDB.
type synthSpec struct {
	infoAge, dbiAge uint32
	sectionVAs      []uint32
	publics         []synthPublic
	procs           []synthProc
	omap            []omapEntry // with sectionVAs as the original headers when set
	// lines are the source lines of procs[0], as (offset from its start,
	// line) pairs; written as C13 line information in synthFile.
	lines [][2]uint32
	// withFrames adds a frame data record and an FPO record for procs[0].
	withFrames bool
}

type synthPublic struct {
	name  string
	flags uint32
	seg   uint16
	off   uint32
}

type synthProc struct {
	kind uint16
	name string
	seg  uint16
	off  uint32
	size uint32
}

// Stream numbers in built PDBs.
const (
	synthModStream     = 4
	synthSectionStream = 5
	synthPublicsStream = 6
	synthSymRecStream  = 7
	synthNamesStream   = 8
	synthOmapStream    = 9
	synthFrameStream   = 10
	synthFPOStream     = 11
)

// synthProgram is the frame data program of built PDBs.
const synthProgram = "$T0 $ebp = $eip $T0 4 + ^ = $ebp $T0 ^ = $esp $T0 8 + = "

// synthFile is the one source file of built PDBs.
const synthFile = `c:\src\run.cpp`

// cvRecord appends a CodeView record (length, kind, data), padded to 4
// bytes as linkers do.
func cvRecord(b []byte, kind uint16, data []byte) []byte {
	for (len(data)+4)%4 != 0 {
		data = append(data, 0)
	}
	b = binary.LittleEndian.AppendUint16(b, uint16(len(data)+2))
	b = binary.LittleEndian.AppendUint16(b, kind)
	return append(b, data...)
}

func buildPDB(s synthSpec) []byte { return buildPDBWith(s, nil) }

// buildPDBWith is buildPDB with a hook that may change the streams (index
// = stream number) before they are laid out.
func buildPDBWith(s synthSpec, edit func(streams [][]byte) [][]byte) []byte {
	a32 := binary.LittleEndian.AppendUint32
	a16 := binary.LittleEndian.AppendUint16

	info := a32(nil, 20000404)
	info = a32(info, 0x5F5E100)
	info = a32(info, s.infoAge)
	info = append(info, synthGUID[:]...)
	// Named stream map: "/names" -> synthNamesStream.
	info = a32(info, 7)
	info = append(info, "/names\x00"...)
	info = a32(info, 1) // size
	info = a32(info, 1) // capacity
	info = a32(info, 1) // present bits: 1 word
	info = a32(info, 1)
	info = a32(info, 0) // deleted bits: none
	info = a32(info, 0) // key: offset of "/names"
	info = a32(info, synthNamesStream)
	names := a32(nil, namesSignature)
	names = a32(names, 1)
	names = a32(names, uint32(len(synthFile)+len(synthProgram)+3))
	names = append(names, "\x00"+synthFile+"\x00"+synthProgram+"\x00"...)

	// Module symbols: C13 signature, then procedure records.
	mod := a32(nil, cvSignatureC13)
	for _, p := range s.procs {
		var d []byte
		d = a32(d, 0)
		d = a32(d, 0)
		d = a32(d, 0)
		d = a32(d, p.size)
		d = a32(d, 0)
		d = a32(d, 0)
		d = a32(d, 0x1001)
		d = a32(d, p.off)
		d = a16(d, p.seg)
		d = append(d, 0)
		d = append(d, p.name...)
		d = append(d, 0)
		mod = cvRecord(mod, p.kind, d)
	}
	symBytes := len(mod)
	if len(s.lines) > 0 {
		p := s.procs[0]
		chk := a32(nil, 1) // file name offset in /names
		chk = append(chk, 0, 0, 0, 0)
		mod = a32(mod, debugSFileChecksum)
		mod = a32(mod, uint32(len(chk)))
		mod = append(mod, chk...)
		var ln []byte
		ln = a32(ln, p.off)
		ln = a16(ln, p.seg)
		ln = a16(ln, 0)
		ln = a32(ln, p.size)
		ln = a32(ln, 0) // file: offset 0 in the checksums
		ln = a32(ln, uint32(len(s.lines)))
		ln = a32(ln, uint32(12+8*len(s.lines)))
		for _, l := range s.lines {
			ln = a32(ln, l[0])
			ln = a32(ln, l[1]|0x80000000) // statement flag set, as MSVC writes it
		}
		mod = a32(mod, debugSLines)
		mod = a32(mod, uint32(len(ln)))
		mod = append(mod, ln...)
	}

	var sect []byte
	for _, va := range s.sectionVAs {
		h := make([]byte, sectionHeaderSize)
		copy(h, ".text")
		le.PutUint32(h[12:], va)
		sect = append(sect, h...)
	}

	// Symbol records and the publics hash records pointing at them.
	var symrec, hashRecs []byte
	for _, p := range s.publics {
		hashRecs = a32(hashRecs, uint32(len(symrec))+1)
		hashRecs = a32(hashRecs, 1)
		var d []byte
		d = a32(d, p.flags)
		d = a32(d, p.off)
		d = a16(d, p.seg)
		d = append(d, p.name...)
		d = append(d, 0)
		symrec = cvRecord(symrec, sPub32, d)
	}
	bitmap := make([]byte, 516) // IPHR_HASH+1 bits rounded to 32-bit words
	gsi := a32(nil, gsiSignature)
	gsi = a32(gsi, gsiVersionV70)
	gsi = a32(gsi, uint32(len(hashRecs)))
	gsi = a32(gsi, uint32(len(bitmap)))
	gsi = append(gsi, hashRecs...)
	gsi = append(gsi, bitmap...)
	pub := a32(nil, uint32(len(gsi))) // SymHash
	pub = a32(pub, 0)                 // AddrMap
	pub = append(pub, make([]byte, publicsHeaderSize-8)...)
	pub = append(pub, gsi...)

	// DBI: header, one module, empty middle substreams, optional debug
	// header naming the section headers (and OMAP) streams.
	var modInfo []byte
	fixed := make([]byte, modInfoFixed)
	le.PutUint16(fixed[34:], synthModStream)
	le.PutUint32(fixed[36:], uint32(symBytes))
	le.PutUint32(fixed[44:], uint32(len(mod)-symBytes))
	modInfo = append(fixed, "mod.obj\x00mod.obj\x00"...)
	for len(modInfo)%4 != 0 {
		modInfo = append(modInfo, 0)
	}
	opt := make([]uint16, dbgSectionHdrOrig+1)
	for i := range opt {
		opt[i] = nilStream16
	}
	opt[dbgSectionHdr] = synthSectionStream
	if s.withFrames {
		opt[dbgNewFPO] = synthFrameStream
		opt[dbgFPO] = synthFPOStream
	}
	if s.omap != nil {
		opt[dbgOmapFromSrc] = synthOmapStream
		opt[dbgSectionHdrOrig] = synthSectionStream
		opt[dbgSectionHdr] = nilStream16
	}
	var optB []byte
	for _, v := range opt {
		optB = a16(optB, v)
	}
	dbi := make([]byte, dbiHeaderSize)
	le.PutUint32(dbi[0:], 0xFFFFFFFF)
	le.PutUint32(dbi[4:], 19990903)
	le.PutUint32(dbi[8:], s.dbiAge)
	le.PutUint16(dbi[12:], nilStream16)
	le.PutUint16(dbi[16:], synthPublicsStream)
	le.PutUint16(dbi[20:], synthSymRecStream)
	le.PutUint32(dbi[24:], uint32(len(modInfo)))
	le.PutUint32(dbi[48:], uint32(len(optB)))
	le.PutUint16(dbi[58:], 0x8664)
	dbi = append(dbi, modInfo...)
	dbi = append(dbi, optB...)

	var omap []byte
	for _, e := range s.omap {
		omap = a32(omap, e.from)
		omap = a32(omap, e.to)
	}
	var frames, fpo []byte
	if s.withFrames {
		p := s.procs[0]
		rva := s.sectionVAs[p.seg-1] + p.off
		for _, v := range []uint32{rva, p.size, 8, 4, 16, uint32(len(synthFile) + 2)} {
			frames = a32(frames, v)
		}
		frames = a16(frames, 3) // prolog
		frames = a16(frames, 4) // saved registers
		frames = a32(frames, frameDataIsFunctionStart|frameDataHasEH)
		fpo = a32(fpo, rva)
		fpo = a32(fpo, p.size)
		fpo = a32(fpo, 2)                  // 2 dwords of locals
		fpo = a16(fpo, 3)                  // 3 dwords of parameters
		fpo = a16(fpo, 5|2<<8|1<<12|3<<14) // prolog 5, 2 regs, uses BP, standard frame
	}
	streams := [][]byte{nil, info, {}, dbi, mod, sect, pub, symrec, names, omap, frames, fpo}
	if edit != nil {
		streams = edit(streams)
	}
	return buildMSF(streams)
}

// defaultSpec is a small PDB with two sections, two publics (one code,
// one data) and a global and a local procedure.
func defaultSpec() synthSpec {
	return synthSpec{
		infoAge:    3,
		dbiAge:     2,
		sectionVAs: []uint32{0x1000, 0x5000},
		publics: []synthPublic{
			{name: "?run@@YAXXZ", flags: pubFunction, seg: 1, off: 0x20},
			{name: "g_table", flags: 0, seg: 2, off: 0x8},
		},
		procs: []synthProc{
			{kind: sGProc32, name: "run", seg: 1, off: 0x20, size: 0x40},
			{kind: sLProc32ID, name: "helper", seg: 1, off: 0x60, size: 0x10},
		},
		lines: [][2]uint32{{0, 10}, {0x8, 11}, {0x30, 14}},
	}
}
