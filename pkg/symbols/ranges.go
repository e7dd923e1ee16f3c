package symbols

import (
	"cmp"
	"math"
	"slices"
	"sort"

	"github.com/google/btree"
)

// span is an address range [lo, hi] (inclusive, so a range may end at the top of the
// address space) carrying the index of the record it came from.
type span struct {
	lo, hi uint64
	idx    int32
}

// newSpan returns the range of size bytes at base, or false when Breakpad's RangeMap
// would refuse it (size 0, or base+size overflowing the address space).
func newSpan(base, size uint64, idx int) (span, bool) {
	if size == 0 {
		return span{}, false
	}
	hi := base + size - 1
	if hi < base {
		return span{}, false
	}
	return span{lo: base, hi: hi, idx: int32(idx)}, true
}

// exclusive keeps the ranges Breakpad's RangeMap (exclusive strategy) would keep when they
// are stored in the given (file) order: a range that overlaps one stored before it is
// dropped. It returns the kept ranges sorted by address and how many were dropped.
// Symbol files are nearly always in address order, which takes the linear path; other
// orders go through a B-tree, O(n log n).
func exclusive(in []span) (kept []span, dropped int) {
	sortedDisjoint := true
	for i := 1; i < len(in); i++ {
		if in[i].lo <= in[i-1].hi {
			sortedDisjoint = false
			break
		}
	}
	if sortedDisjoint {
		return in, 0
	}
	// Keyed by hi as RangeMap is: the first stored range with hi >= lo is the only
	// candidate for an overlap.
	t := btree.NewG(16, func(a, b span) bool { return a.hi < b.hi })
	for _, s := range in {
		conflict := false
		t.AscendGreaterOrEqual(span{hi: s.lo}, func(o span) bool {
			conflict = o.lo <= s.hi
			return false
		})
		if conflict {
			dropped++
			continue
		}
		t.ReplaceOrInsert(s)
	}
	kept = make([]span, 0, t.Len())
	t.Ascend(func(s span) bool { kept = append(kept, s); return true })
	return kept, dropped
}

// findContaining returns the index in sorted, disjoint spans of the range containing addr.
func findContaining(spans []span, addr uint64) (int, bool) {
	i := sort.Search(len(spans), func(i int) bool { return spans[i].hi >= addr })
	if i < len(spans) && spans[i].lo <= addr {
		return i, true
	}
	return i, false
}

// nested flattens ranges that may nest (Breakpad's ContainedRangeMap, used for STACK WIN)
// into sorted, disjoint segments, each naming the innermost range covering it, so a
// lookup is one binary search. Equal ranges keep the first in file order; a range that
// partially overlaps another is dropped. (Breakpad drops whichever of two partially
// overlapping ranges came second in the file; here the one starting later is dropped.
// The two agree on files in address order, which is how dump_syms writes them.)
func nested(in []span) (segs []span, dropped int) {
	order := slices.Clone(in)
	slices.SortStableFunc(order, func(a, b span) int {
		if c := cmp.Compare(a.lo, b.lo); c != 0 {
			return c
		}
		return cmp.Compare(b.hi, a.hi) // outer first
	})
	var stack []span
	var cursor uint64
	done := false // cursor passed the top of the address space
	emit := func(lo, hi uint64, idx int32) {
		if !done && lo <= hi {
			segs = append(segs, span{lo: lo, hi: hi, idx: idx})
		}
	}
	closeTop := func() {
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		emit(cursor, top.hi, top.idx)
		if top.hi == math.MaxUint64 {
			done = true
		} else if top.hi+1 > cursor {
			cursor = top.hi + 1
		}
	}
	for _, s := range order {
		for len(stack) > 0 && stack[len(stack)-1].hi < s.lo {
			closeTop()
		}
		if len(stack) > 0 {
			top := stack[len(stack)-1]
			if s.hi > top.hi || (s.lo == top.lo && s.hi == top.hi) {
				dropped++
				continue
			}
			if cursor < s.lo {
				emit(cursor, s.lo-1, top.idx)
			}
		}
		cursor = s.lo
		done = false
		stack = append(stack, s)
	}
	for len(stack) > 0 {
		closeTop()
	}
	return segs, dropped
}
