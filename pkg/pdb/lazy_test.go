package pdb

import (
	"bytes"
	"io"
	"sync"
	"testing"
)

// recordingReader records the blocks read through it.
type recordingReader struct {
	r         io.ReaderAt
	blockSize int64
	mu        sync.Mutex
	blocks    map[int64]bool
	n         int64
}

func (c *recordingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n += int64(n)
	for b := off / c.blockSize; b*c.blockSize < off+int64(n); b++ {
		c.blocks[b] = true
	}
	return n, err
}

// TestNewFileIsLazy: NewFile reads no block of the symbol-bearing
// streams; Publics reads the publics and symbol record streams but no
// module stream; each stream is read once however often it is asked for.
func TestNewFileIsLazy(t *testing.T) {
	data := buildPDB(defaultSpec())
	rr := &recordingReader{r: bytes.NewReader(data), blockSize: msfBlockSize, blocks: map[int64]bool{}}
	f, err := NewFile(rr, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	touched := func(stream int) bool {
		for _, b := range f.streams[stream].blocks {
			if rr.blocks[int64(b)] {
				return true
			}
		}
		return false
	}
	for _, s := range []int{synthModStream, synthPublicsStream, synthSymRecStream, synthSectionStream, synthNamesStream} {
		if touched(s) {
			t.Errorf("NewFile read stream %d", s)
		}
	}
	if _, err := f.Publics(); err != nil {
		t.Fatal(err)
	}
	if !touched(synthPublicsStream) || !touched(synthSymRecStream) {
		t.Error("Publics did not read the publics and symbol record streams")
	}
	if touched(synthModStream) {
		t.Error("Publics read a module stream")
	}
	before := rr.n
	if _, err := f.Publics(); err != nil {
		t.Fatal(err)
	}
	// The second call re-reads only the small publics stream headers and
	// hash records, not the symbol records or section headers.
	if again := rr.n - before; again >= int64(f.streams[synthPublicsStream].size)+1 {
		t.Errorf("second Publics read %d bytes", again)
	}
}
