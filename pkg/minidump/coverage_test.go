package minidump

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

func TestCoverageCountsDistinctBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var c coverage
	seen := make([]bool, 4096)
	for i := 0; i < 2000; i++ {
		off, n := rng.IntN(4000), rng.IntN(96)
		c.add(int64(off), n)
		for k := off; k < off+n; k++ {
			seen[k] = true
		}
		want := int64(0)
		for _, s := range seen {
			if s {
				want++
			}
		}
		if got := c.total(); got != want {
			t.Fatalf("after add(%d, %d): %d bytes, want %d", off, n, got, want)
		}
	}
	for i := 1; i < len(c.spans); i++ {
		if c.spans[i-1].end >= c.spans[i].off {
			t.Fatalf("spans %v and %v overlap or touch", c.spans[i-1], c.spans[i])
		}
	}
}

// TestBytesReadNeverExceedsSize reads every stream of a small real dump
// twice: BytesRead stays within the file, BytesFetched counts the
// re-reads.
func TestBytesReadNeverExceedsSize(t *testing.T) {
	for name, b := range realDumps(t) {
		r, err := NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			for _, s := range r.Streams {
				buf := make([]byte, s.DataSize)
				if _, err := r.StreamReader(s).ReadAt(buf, 0); err != nil && s.DataSize > 0 {
					t.Fatalf("%s: %v", name, err)
				}
			}
		}
		if r.BytesRead() > r.Size() || r.BytesRead() == 0 {
			t.Errorf("%s: BytesRead %d for a %d-byte file", name, r.BytesRead(), r.Size())
		}
		if r.BytesFetched() <= r.BytesRead() {
			t.Errorf("%s: BytesFetched %d should count the re-reads beyond BytesRead %d", name, r.BytesFetched(), r.BytesRead())
		}
	}
}
