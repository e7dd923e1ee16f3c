package peunwind

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ErrFormat is wrapped by every error about malformed image data.
var ErrFormat = errors.New("peunwind: malformed image")

// FormatError says what is wrong and where (an RVA).
type FormatError struct {
	RVA uint64
	Msg string
}

func (e *FormatError) Error() string { return fmt.Sprintf("peunwind: %s at RVA %#x", e.Msg, e.RVA) }

// Unwrap makes errors.Is(err, ErrFormat) true.
func (e *FormatError) Unwrap() error { return ErrFormat }

func formatErr(rva uint64, format string, args ...any) error {
	return &FormatError{RVA: rva, Msg: fmt.Sprintf(format, args...)}
}

var le = binary.LittleEndian

// Bounds on what the headers may claim.
const (
	maxHeaderOffset = 1 << 16 // e_lfanew beyond this is not a real image
	runtimeFuncSize = 12
	maxChain        = 32 // chained UNWIND_INFO records followed at most
)

// RuntimeFunction is a .pdata entry: the RVA range of one function (or
// function fragment) and the RVA of its UNWIND_INFO.
type RuntimeFunction struct {
	Begin, End, UnwindInfo uint32
}

// Image is the exception data of one mapped x64 PE image. It is safe for
// concurrent use: it only reads r.
type Image struct {
	r          io.ReaderAt
	size       int64
	pdata      uint32 // RVA of the RUNTIME_FUNCTION table
	nFunctions uint32
}

// NewImage reads the headers of the PE32+ image mapped in r (size bytes
// long, the module's SizeOfImage) and locates its exception directory.
// An image without one (no .pdata) is valid: every function in it is a
// leaf.
func NewImage(r io.ReaderAt, size int64) (*Image, error) {
	read := func(off int64, n int, what string) ([]byte, error) {
		if off < 0 || int64(n) > size || off > size-int64(n) {
			return nil, formatErr(uint64(off), "%s outside the image", what)
		}
		b := make([]byte, n)
		if _, err := r.ReadAt(b, off); err != nil && !(errors.Is(err, io.EOF) && off+int64(n) == size) {
			return nil, fmt.Errorf("peunwind: read %s: %w", what, err)
		}
		return b, nil
	}
	dos, err := read(0, 64, "DOS header")
	if err != nil {
		return nil, err
	}
	if dos[0] != 'M' || dos[1] != 'Z' {
		return nil, formatErr(0, "no MZ signature")
	}
	lfanew := le.Uint32(dos[0x3c:])
	if lfanew > maxHeaderOffset {
		return nil, formatErr(0x3c, "PE header offset %#x too large", lfanew)
	}
	// Signature (4) + COFF file header (20) + PE32+ optional header up to
	// and including the exception directory (112 + 4*8).
	const optExceptionDir = 112 + 3*8
	hdr, err := read(int64(lfanew), 24+optExceptionDir+8, "PE headers")
	if err != nil {
		return nil, err
	}
	if string(hdr[:4]) != "PE\x00\x00" {
		return nil, formatErr(uint64(lfanew), "no PE signature")
	}
	if m := le.Uint16(hdr[4:]); m != 0x8664 {
		return nil, formatErr(uint64(lfanew)+4, "machine %#x is not AMD64", m)
	}
	optSize := le.Uint16(hdr[4+16:])
	opt := hdr[24:]
	if magic := le.Uint16(opt); magic != 0x20b {
		return nil, formatErr(uint64(lfanew)+24, "optional header magic %#x is not PE32+", magic)
	}
	im := &Image{r: r, size: size}
	if n := le.Uint32(opt[108:]); n <= 3 || int(optSize) < optExceptionDir+8 {
		return im, nil // no exception directory
	}
	rva, dsize := le.Uint32(opt[optExceptionDir:]), le.Uint32(opt[optExceptionDir+4:])
	if rva == 0 || dsize == 0 {
		return im, nil
	}
	if int64(rva)+int64(dsize) > size {
		return nil, formatErr(uint64(rva), "exception directory (%d bytes) past the image end %#x", dsize, size)
	}
	im.pdata, im.nFunctions = rva, dsize/runtimeFuncSize
	return im, nil
}

// Functions is the number of RUNTIME_FUNCTION entries.
func (im *Image) Functions() int { return int(im.nFunctions) }

// readAt reads n bytes at rva, checked against the image size.
func (im *Image) readAt(rva uint64, n int, what string) ([]byte, error) {
	if rva > uint64(im.size) || uint64(n) > uint64(im.size)-rva {
		return nil, formatErr(rva, "%s outside the image", what)
	}
	b := make([]byte, n)
	if _, err := im.r.ReadAt(b, int64(rva)); err != nil && !(errors.Is(err, io.EOF) && int64(rva)+int64(n) == im.size) {
		return nil, fmt.Errorf("peunwind: read %s at RVA %#x: %w", what, rva, err)
	}
	return b, nil
}

func (im *Image) entry(i uint32) (RuntimeFunction, error) {
	b, err := im.readAt(uint64(im.pdata)+uint64(i)*runtimeFuncSize, runtimeFuncSize, "RUNTIME_FUNCTION")
	if err != nil {
		return RuntimeFunction{}, err
	}
	return RuntimeFunction{le.Uint32(b), le.Uint32(b[4:]), le.Uint32(b[8:])}, nil
}

// Lookup returns the RUNTIME_FUNCTION whose range holds rva, by binary
// search over the sorted .pdata table (about log2(n) reads of 12 bytes).
// false means rva is in no function: a leaf, whose return address is at
// the stack pointer.
func (im *Image) Lookup(rva uint32) (RuntimeFunction, bool, error) {
	lo, hi := uint32(0), im.nFunctions
	for lo < hi {
		mid := lo + (hi-lo)/2
		f, err := im.entry(mid)
		if err != nil {
			return RuntimeFunction{}, false, err
		}
		switch {
		case rva < f.Begin:
			hi = mid
		case rva >= f.End:
			lo = mid + 1
		default:
			return f, true, nil
		}
	}
	return RuntimeFunction{}, false, nil
}
