package pdb

import (
	"bytes"
	"fmt"
)

// parser reads little-endian fields from an in-memory stream. The first
// short read sets err (a *FormatError naming what) and every later read
// returns zero, so callers check err once after a group of fields.
type parser struct {
	b    []byte
	off  int
	what string
	err  error
	at   locator // file offset of b[i]; nil when unknown
}

// locator maps a position in a stream's bytes to its file offset, or -1.
type locator func(pos int) int64

// fileOff is the file offset of b[i], or -1.
func (p *parser) fileOff(i int) int64 {
	if p.at == nil {
		return -1
	}
	return p.at(i)
}

// fail records a format error at b[i].
func (p *parser) fail(i int, msg string, val any) {
	if p.err == nil {
		p.err = formatErr(p.fileOff(i), p.what+": "+msg, val)
	}
}

func (p *parser) need(n int) bool {
	if p.err != nil {
		return false
	}
	if n < 0 || n > len(p.b)-p.off {
		p.fail(p.off, fmt.Sprintf("truncated at byte %d (need %d of %d)", p.off, n, len(p.b)), nil)
		return false
	}
	return true
}

func (p *parser) u8() uint8 {
	if !p.need(1) {
		return 0
	}
	v := p.b[p.off]
	p.off++
	return v
}

func (p *parser) u16() uint16 {
	if !p.need(2) {
		return 0
	}
	v := le.Uint16(p.b[p.off:])
	p.off += 2
	return v
}

func (p *parser) u32() uint32 {
	if !p.need(4) {
		return 0
	}
	v := le.Uint32(p.b[p.off:])
	p.off += 4
	return v
}

func (p *parser) bytes(n int) []byte {
	if !p.need(n) {
		return nil
	}
	v := p.b[p.off : p.off+n]
	p.off += n
	return v
}

// words reads n 32-bit words as bytes, checking n before multiplying.
func (p *parser) words(n uint32) []byte {
	if uint64(n)*4 > uint64(len(p.b)-p.off) {
		p.need(len(p.b) + 1) // records the truncation error
		return nil
	}
	return p.bytes(int(n) * 4)
}

// cstring reads a NUL-terminated string; a missing NUL is an error.
func (p *parser) cstring() string {
	if p.err != nil {
		return ""
	}
	i := bytes.IndexByte(p.b[p.off:], 0)
	if i < 0 {
		p.fail(p.off, fmt.Sprintf("unterminated string at byte %d", p.off), nil)
		return ""
	}
	s := string(p.b[p.off : p.off+i])
	p.off += i + 1
	return s
}
