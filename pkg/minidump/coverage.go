package minidump

import (
	"sort"
	"sync"
)

// coverage is the set of file ranges read so far, kept as sorted,
// disjoint, non-adjacent intervals, and the number of bytes they hold.
type coverage struct {
	mu    sync.Mutex
	spans []span // sorted by off
	bytes int64
}

type span struct{ off, end int64 }

// add records [off, off+n).
func (c *coverage) add(off int64, n int) {
	if n <= 0 {
		return
	}
	end := off + int64(n)
	c.mu.Lock()
	defer c.mu.Unlock()
	// The first span that ends at or after off may touch the new one.
	i := sort.Search(len(c.spans), func(i int) bool { return c.spans[i].end >= off })
	j := i
	merged := span{off, end}
	for j < len(c.spans) && c.spans[j].off <= end {
		merged.off = min(merged.off, c.spans[j].off)
		merged.end = max(merged.end, c.spans[j].end)
		c.bytes -= c.spans[j].end - c.spans[j].off
		j++
	}
	c.bytes += merged.end - merged.off
	switch {
	case j == i:
		c.spans = append(c.spans, span{})
		copy(c.spans[i+1:], c.spans[i:])
		c.spans[i] = merged
	default:
		c.spans[i] = merged
		c.spans = append(c.spans[:i+1], c.spans[j:]...)
	}
}

func (c *coverage) total() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}
