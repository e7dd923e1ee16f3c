package pdb

import (
	"bytes"
	"fmt"
	"io"
)

// msfMagic opens every MSF 7.0 file ("big MSF"). The older MSF 2.0 format
// ("Microsoft C/C++ program database 2.00") is not supported.
var msfMagic = []byte("Microsoft C/C++ MSF 7.00\r\n\x1aDS\x00\x00\x00")

const (
	superBlockSize = 56 // magic (32) + six uint32 fields
	nilStreamSize  = 0xFFFFFFFF
)

// superBlock is the MSF header at offset 0 (docs/pdb.md, "MSF container").
type superBlock struct {
	blockSize         uint32
	freeBlockMapBlock uint32
	numBlocks         uint32
	numDirectoryBytes uint32
	blockMapAddr      uint32
}

// stream is one MSF stream: a size and the blocks holding it, in order.
type stream struct {
	index  int
	size   uint32
	blocks []uint32
}

// readSuperBlock reads and checks the superblock. It guarantees that
// blockSize is a supported power of two and numBlocks*blockSize fits in
// the file, so every block index below numBlocks can be read.
func readSuperBlock(r io.ReaderAt, size int64) (superBlock, error) {
	var sb superBlock
	if size < superBlockSize {
		return sb, formatErr(0, "file too short for an MSF superblock", size)
	}
	var b [superBlockSize]byte
	if _, err := r.ReadAt(b[:], 0); err != nil {
		return sb, fmt.Errorf("pdb: reading superblock: %w", err)
	}
	if !bytes.Equal(b[:len(msfMagic)], msfMagic) {
		if bytes.HasPrefix(b[:], []byte("Microsoft C/C++ program database 2.00")) {
			return sb, formatErr(0, "MSF 2.0 (PDB 2.0) file; only MSF 7.0 is supported", nil)
		}
		return sb, formatErr(0, "not an MSF 7.0 file (bad magic)", nil)
	}
	sb = superBlock{
		blockSize:         le.Uint32(b[32:]),
		freeBlockMapBlock: le.Uint32(b[36:]),
		numBlocks:         le.Uint32(b[40:]),
		numDirectoryBytes: le.Uint32(b[44:]),
		blockMapAddr:      le.Uint32(b[52:]),
	}
	switch sb.blockSize {
	case 512, 1024, 2048, 4096:
	default:
		return sb, formatErr(32, "unsupported block size", sb.blockSize)
	}
	if sb.numBlocks == 0 || int64(sb.numBlocks)*int64(sb.blockSize) > size {
		return sb, formatErr(40, fmt.Sprintf("block count does not fit the file (%d bytes; truncated?)", size), sb.numBlocks)
	}
	if sb.blockMapAddr == 0 || sb.blockMapAddr >= sb.numBlocks {
		return sb, formatErr(52, "block map address outside the file", sb.blockMapAddr)
	}
	if int64(sb.numDirectoryBytes) > int64(sb.numBlocks)*int64(sb.blockSize) {
		return sb, formatErr(44, "stream directory larger than the file", sb.numDirectoryBytes)
	}
	return sb, nil
}

// blockOff is the file offset of block i (callers check i < numBlocks).
func (f *File) blockOff(i uint32) int64 { return int64(i) * int64(f.sb.blockSize) }

// readDirectory reads the stream directory: the block map (the list of
// directory blocks, stored contiguously from blockMapAddr), then the
// directory itself (stream count, sizes, and each stream's block list).
func (f *File) readDirectory() error {
	bs := f.sb.blockSize
	nDirBlocks := uint32((uint64(f.sb.numDirectoryBytes) + uint64(bs) - 1) / uint64(bs))
	mapOff := f.blockOff(f.sb.blockMapAddr)
	if mapOff+int64(nDirBlocks)*4 > f.size {
		return formatErr(mapOff, "block map runs past the end of the file", nDirBlocks)
	}
	mb := make([]byte, int(nDirBlocks)*4)
	if _, err := f.r.ReadAt(mb, mapOff); err != nil {
		return fmt.Errorf("pdb: reading block map: %w", err)
	}
	dirBlocks := make([]uint32, nDirBlocks)
	for i := range dirBlocks {
		dirBlocks[i] = le.Uint32(mb[i*4:])
		if dirBlocks[i] >= f.sb.numBlocks {
			return formatErr(mapOff+int64(i)*4, "directory block index outside the file", dirBlocks[i])
		}
	}
	dir := &stream{index: -1, size: f.sb.numDirectoryBytes, blocks: dirBlocks}
	d, err := f.readStream(dir)
	if err != nil {
		return err
	}
	p := parser{b: d, what: "stream directory", at: f.locate(dir, 0)}
	n := p.u32()
	if p.err == nil && uint64(n)*4 > uint64(len(d)) {
		return f.streamErr(dir, 0, "stream directory: stream count larger than the directory", n)
	}
	sizes := make([]uint32, n)
	for i := range sizes {
		sizes[i] = p.u32()
	}
	if p.err != nil {
		return p.err
	}
	f.streams = make([]stream, n)
	for i, sz := range sizes {
		s := stream{index: i, size: sz}
		if sz == nilStreamSize {
			s.size = 0
		}
		nb := (uint64(s.size) + uint64(bs) - 1) / uint64(bs) // 64-bit: a size near 4 GiB must not wrap
		if nb > uint64(f.sb.numBlocks) || nb*4 > uint64(len(p.b)-p.off) {
			return f.streamErr(dir, uint64(4+4*i), fmt.Sprintf("stream directory: stream %d needs more blocks than the directory lists", i), s.size)
		}
		s.blocks = make([]uint32, nb)
		for j := range s.blocks {
			s.blocks[j] = p.u32()
			if s.blocks[j] >= f.sb.numBlocks {
				return f.streamErr(dir, uint64(p.off-4), fmt.Sprintf("stream directory: stream %d block %d outside the file", i, j), s.blocks[j])
			}
		}
		f.streams[i] = s
	}
	return p.err
}

// locate returns the locator of stream s's bytes from position base on.
func (f *File) locate(s *stream, base uint32) locator {
	return func(i int) int64 { return f.streamFileOff(s, uint64(base)+uint64(i)) }
}

// streamFileOff is the file offset of byte pos of stream s, or -1 when pos
// is past its end.
func (f *File) streamFileOff(s *stream, pos uint64) int64 {
	bs := uint64(f.sb.blockSize)
	if pos >= uint64(s.size) || pos/bs >= uint64(len(s.blocks)) {
		return -1
	}
	return f.blockOff(s.blocks[pos/bs]) + int64(pos%bs)
}

// streamErr is a format error at byte pos of stream s.
func (f *File) streamErr(s *stream, pos uint64, msg string, val any) error {
	return formatErr(f.streamFileOff(s, pos), msg, val)
}

// stream returns stream i; a missing index is a format error naming what
// the caller wanted it for.
func (f *File) stream(i int, what string) (*stream, error) {
	if i < 0 || i >= len(f.streams) {
		return nil, formatErr(-1, what+": stream index out of range", i)
	}
	return &f.streams[i], nil
}

// readStream reads a whole stream. Its size is at most numBlocks*blockSize,
// which readSuperBlock bounded by the file size.
func (f *File) readStream(s *stream) ([]byte, error) {
	return f.readStreamAt(s, 0, s.size)
}

// readStreamAt reads n bytes of stream s from offset off, following the
// stream's block list.
func (f *File) readStreamAt(s *stream, off, n uint32) ([]byte, error) {
	if uint64(off)+uint64(n) > uint64(s.size) {
		return nil, formatErr(-1, fmt.Sprintf("read of %d bytes at %d past the end of stream %d (%d bytes)", n, off, s.index, s.size), nil)
	}
	bs := f.sb.blockSize
	out := make([]byte, n)
	for done := uint32(0); done < n; {
		pos := off + done
		blk := s.blocks[pos/bs]
		in := pos % bs
		chunk := min(bs-in, n-done)
		if _, err := f.r.ReadAt(out[done:done+chunk], f.blockOff(blk)+int64(in)); err != nil {
			return nil, fmt.Errorf("pdb: reading stream %d: %w", s.index, err)
		}
		done += chunk
	}
	return out, nil
}
