package dumpfacts

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/dumpflow/dumpflow/pkg/minidump"
	"github.com/dumpflow/dumpflow/pkg/peunwind"
)

// stackPage is the unit in which stack memory is kept, and
// stackReadAhead the pages fetched in one read (16 KiB: the top of a
// stack, where most walks end, costs one ranged read).
const (
	stackPage      = 4 << 10
	stackReadAhead = 4
)

// errStackBudget ends reads past the per-thread byte budget.
var errStackBudget = errors.New("stack read budget spent")

// stackMemory reads one thread's stack for the walker: only the captured
// range holding the thread's stack (Breakpad's walkers see that region
// and nothing else), fetched in pages on first use, at most budget bytes.
type stackMemory struct {
	lo, hi uint64
	read   func(p []byte, off int64) (int, error) // reads the region at off
	pages  map[uint64][]byte
	budget int
	// shared is the analysis's budget for all threads together: a dump
	// whose threads all claim one huge stack costs no more than it.
	shared *atomic.Int64
	// spent is set when a read was refused for the budget: the walk may
	// have stopped short because of it.
	spent bool
}

// newStackMemory finds the thread's stack bytes: its own descriptor when
// it has an RVA, else the captured range holding the stack's start (a
// descriptor with RVA 0 has no bytes of its own: Breakpad's processor
// falls back to the memory list the same way).
func newStackMemory(r *minidump.Reader, t minidump.Thread, sp uint64, budget int, shared *atomic.Int64) *stackMemory {
	st := t.Stack
	m := &stackMemory{pages: map[uint64][]byte{}, budget: budget, shared: shared}
	if st.Memory.Rva != 0 && st.Memory.DataSize > 0 {
		sec := r.StreamReader(minidump.Directory{Location: st.Memory})
		m.lo, m.hi, m.read = st.StartOfMemoryRange, st.StartOfMemoryRange+uint64(st.Memory.DataSize), sec.ReadAt
		return m
	}
	at := st.StartOfMemoryRange
	if at == 0 {
		at = sp
	}
	ranges, _ := r.MemoryRanges() // a malformed list only removes its ranges
	for _, rg := range ranges {
		if at >= rg.Start && at < rg.End() {
			lo := rg.Start
			m.lo, m.hi = lo, rg.End()
			m.read = func(p []byte, off int64) (int, error) { return r.ReadMemory(lo+uint64(off), p) }
			break
		}
	}
	return m
}

// ReadUint reads a little-endian value of size bytes (4 or 8) at addr.
func (m *stackMemory) ReadUint(addr uint64, size int) (uint64, error) {
	if m.read == nil || addr < m.lo || addr >= m.hi || uint64(size) > m.hi-addr {
		return 0, fmt.Errorf("%#x is not on the thread's stack", addr)
	}
	var b [8]byte
	for i := 0; i < size; i++ {
		a := addr + uint64(i)
		page := (a - m.lo) / stackPage
		p, err := m.page(page)
		if err != nil {
			return 0, err
		}
		off := (a - m.lo) % stackPage
		if off >= uint64(len(p)) {
			return 0, fmt.Errorf("%#x: stack bytes missing", a)
		}
		b[i] = p[off]
	}
	if size == 4 {
		return uint64(binary.LittleEndian.Uint32(b[:])), nil
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}

// ReadUint64 lets the PE unwinder read the stack.
func (m *stackMemory) ReadUint64(addr uint64) (uint64, error) { return m.ReadUint(addr, 8) }

func (m *stackMemory) page(n uint64) ([]byte, error) {
	if p, ok := m.pages[n]; ok {
		return p, nil
	}
	// Walks move up the stack: fetch the pages above too, in one ranged
	// read, as far as stackReadAhead, the region and the budgets allow.
	count := uint64(0)
	for count < stackReadAhead && (n+count)*stackPage < m.hi-m.lo {
		if _, ok := m.pages[n+count]; ok || m.budget < stackPage*int(count+1) {
			break
		}
		if m.shared.Add(-stackPage) < 0 {
			m.shared.Add(stackPage)
			break
		}
		count++
	}
	if count == 0 {
		m.spent = true
		return nil, errStackBudget
	}
	size := min(count*stackPage, m.hi-m.lo-n*stackPage)
	buf := make([]byte, size)
	k, err := m.read(buf, int64(n*stackPage))
	if err != nil && !(errors.Is(err, io.EOF) && uint64(k) == size) {
		m.shared.Add(int64(count) * stackPage) // nothing kept: give the budget back
		return nil, err
	}
	m.budget -= int(count) * stackPage
	buf = buf[:k]
	for i := uint64(0); i < count; i++ {
		lo := min(i*stackPage, uint64(len(buf)))
		m.pages[n+i] = buf[lo:min(lo+stackPage, uint64(len(buf)))]
	}
	return m.pages[n], nil
}

// imageCache holds the PE unwind tables of modules whose image the dump
// captured, read once per module and shared by the threads. Image bytes
// are read in pages kept for the analysis, so that the binary searches
// over .pdata and the UNWIND_INFO reads of many frames cost a few ranged
// reads of the dump, not one per probe.
type imageCache struct {
	r  *minidump.Reader
	mu sync.Mutex
	m  map[*minidump.Module]*imageEntry
	// pages maps a page-aligned address to its bytes (shorter at the end
	// of a captured range); at most maxImagePages are kept.
	pages map[uint64][]byte
}

// imagePage is the unit in which image bytes are fetched, and
// maxImagePages bounds the pages an analysis keeps (16 MiB).
const (
	imagePage     = 4 << 10
	maxImagePages = 4096
)

type imageEntry struct {
	once sync.Once
	im   *peunwind.Image
}

func newImageCache(r *minidump.Reader) *imageCache {
	return &imageCache{r: r, m: map[*minidump.Module]*imageEntry{}, pages: map[uint64][]byte{}}
}

// image returns the module's unwind tables, or nil when its image is not
// in the dump (minidumps) or is not a PE32+ image.
func (c *imageCache) image(m *minidump.Module) *peunwind.Image {
	c.mu.Lock()
	e := c.m[m]
	if e == nil {
		e = &imageEntry{}
		c.m[m] = e
	}
	c.mu.Unlock()
	e.once.Do(func() {
		im, err := peunwind.NewImage(&moduleMemory{c: c, base: m.BaseOfImage}, int64(m.SizeOfImage))
		if err == nil && im.Functions() > 0 {
			e.im = im
		}
	})
	return e.im
}

// page returns the captured bytes of the page at addr (page-aligned).
func (c *imageCache) page(addr uint64) ([]byte, error) {
	c.mu.Lock()
	p, ok := c.pages[addr]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	buf := make([]byte, imagePage)
	n, err := c.r.ReadMemory(addr, buf)
	if err != nil {
		return nil, err
	}
	p = buf[:n]
	c.mu.Lock()
	if len(c.pages) < maxImagePages {
		c.pages[addr] = p
	}
	c.mu.Unlock()
	return p, nil
}

// moduleMemory reads a module's image from the dump's memory: offsets
// are RVAs.
type moduleMemory struct {
	c    *imageCache
	base uint64
}

func (m *moduleMemory) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		addr := m.base + uint64(off) + uint64(n)
		pg, err := m.c.page(addr &^ (imagePage - 1))
		if err != nil {
			return n, err
		}
		in := int(addr & (imagePage - 1))
		if in >= len(pg) {
			return n, io.ErrUnexpectedEOF // the captured range ends inside the page
		}
		n += copy(p[n:], pg[in:])
	}
	return n, nil
}
