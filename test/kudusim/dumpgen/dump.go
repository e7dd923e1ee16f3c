package dumpgen

import (
	"crypto/sha256"
	"io"
)

// Dump is one generated minidump. It is immutable and safe for concurrent
// use; its memory footprint is the materialised prefix (headers, streams,
// contexts and stacks) plus a 64 KiB pattern block, independent of Size.
type Dump struct {
	spec   Spec
	size   int64
	prefix []byte
	bulk   *bulkGen
	nRange int
}

// New lays out and encodes s. It fails with a *SpecError (matching
// ErrSpec) when s is invalid or its Size is below the minimum.
func New(s Spec) (*Dump, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	s.Threads = append([]Thread(nil), s.Threads...)
	s.Modules = append([]Module(nil), s.Modules...)
	p, err := layout(&s)
	if err != nil {
		return nil, err
	}
	return &Dump{spec: s, size: p.totalSize, prefix: encode(&s, p), bulk: newBulkGen(s.Seed ^ 0x4d454d), nRange: p.nThreads + p.nBulk}, nil
}

// Size is the exact length of the dump in bytes.
func (d *Dump) Size() int64 { return d.size }

// Spec returns the Spec the dump was built from (slices are copies).
func (d *Dump) Spec() Spec { return d.spec }

// MemoryRanges is the number of memory ranges listed in the MemoryList
// (mini) or Memory64List (full) stream.
func (d *Dump) MemoryRanges() int { return d.nRange }

// ReadAt implements io.ReaderAt. Reads past Size return io.EOF.
func (d *Dump) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, &SpecError{"ReadAt", "negative offset"}
	}
	if off >= d.size {
		return 0, io.EOF
	}
	n := len(p)
	var err error
	if rem := d.size - off; int64(n) > rem {
		n, err = int(rem), io.EOF
	}
	p = p[:n]
	if off < int64(len(d.prefix)) {
		c := copy(p, d.prefix[off:])
		if c < n {
			d.bulk.fill(p[c:], off+int64(c))
		}
	} else {
		d.bulk.fill(p, off)
	}
	return n, err
}

// NewReader returns a fresh io.ReadSeeker over the whole dump.
func (d *Dump) NewReader() *io.SectionReader { return io.NewSectionReader(d, 0, d.size) }

// WriteTo writes the whole dump to w with a fixed 256 KiB buffer.
func (d *Dump) WriteTo(w io.Writer) (int64, error) {
	buf := make([]byte, 256<<10)
	var total int64
	for total < d.size {
		n, rerr := d.ReadAt(buf, total)
		m, err := w.Write(buf[:n])
		total += int64(m)
		if err != nil {
			return total, err
		}
		if m < n {
			return total, io.ErrShortWrite
		}
		if rerr != nil && rerr != io.EOF {
			return total, rerr
		}
	}
	return total, nil
}

// SHA256 hashes the whole dump (it generates every byte once).
func (d *Dump) SHA256() [32]byte {
	h := sha256.New()
	_, _ = d.WriteTo(h) // hash.Hash writes never fail
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}
