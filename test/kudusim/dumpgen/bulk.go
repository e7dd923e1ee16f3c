package dumpgen

import "encoding/binary"

// word returns the generated 8 bytes at the 8-aligned file offset 8*i. It is
// splitmix64 over (seed, i): cheap, random-access, and deterministic.
func word(seed, i uint64) uint64 {
	z := seed + (i+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// fill writes splitmix64 words for file offsets [off, off+len(p)). It is
// used for the small materialised parts (stacks).
func fill(seed uint64, p []byte, off int64) {
	var tmp [8]byte
	for len(p) > 0 {
		i := uint64(off) / 8
		skip := int(off % 8)
		if skip == 0 && len(p) >= 8 {
			n := len(p) / 8
			for k := 0; k < n; k++ {
				binary.LittleEndian.PutUint64(p[8*k:], word(seed, i+uint64(k)))
			}
			p = p[8*n:]
			off += int64(8 * n)
			continue
		}
		binary.LittleEndian.PutUint64(tmp[:], word(seed, i))
		c := copy(p, tmp[skip:])
		p = p[c:]
		off += int64(c)
	}
}

const (
	blockSize = 64 << 10
	// bulkPage is the unit of bulk generation: each page of the file is
	// an 8-byte page stamp followed by a window of the dump's random
	// block, chosen per page. Generation is then mostly memmove, fast
	// enough to stream many GiB (and cheap under the race detector).
	bulkPage = 4096
)

// bulkGen generates the bulk memory bytes of one dump.
type bulkGen struct {
	seed  uint64
	block []byte // blockSize random bytes from seed
}

func newBulkGen(seed uint64) *bulkGen {
	g := &bulkGen{seed: seed, block: make([]byte, blockSize)}
	fill(seed, g.block, 0)
	return g
}

// fill writes the bytes for file offsets [off, off+len(p)).
func (g *bulkGen) fill(p []byte, off int64) {
	var stamp [8]byte
	for len(p) > 0 {
		page := uint64(off) / bulkPage
		in := int(off % bulkPage)
		n := min(len(p), bulkPage-in)
		w := word(g.seed, page)
		if in < 8 {
			binary.LittleEndian.PutUint64(stamp[:], w^page)
			c := copy(p[:n], stamp[in:])
			p, off, in, n = p[c:], off+int64(c), in+c, n-c
		}
		if n > 0 {
			src := int(w>>32) % (blockSize - bulkPage) // window start for this page
			copy(p[:n], g.block[src+in:src+in+n])
			p, off = p[n:], off+int64(n)
		}
	}
}
