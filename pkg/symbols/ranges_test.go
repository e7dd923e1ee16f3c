package symbols

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

// exclusive must keep exactly what storing the ranges one by one in file order,
// refusing any that overlaps a kept one, keeps (Breakpad's RangeMap).
func TestExclusiveMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 500 {
		var in []span
		for i := range 1 + r.IntN(40) {
			lo := uint64(r.IntN(200))
			in = append(in, span{lo: lo, hi: lo + uint64(r.IntN(20)), idx: int32(i)})
		}
		if round%3 == 0 { // address order, the common case (linear path)
			slices.SortFunc(in, func(a, b span) int { return cmp.Compare(a.lo, b.lo) })
		}
		var want []span
		for _, s := range in {
			ok := true
			for _, k := range want {
				if s.lo <= k.hi && k.lo <= s.hi {
					ok = false
					break
				}
			}
			if ok {
				want = append(want, s)
			}
		}
		slices.SortFunc(want, func(a, b span) int { return cmp.Compare(a.lo, b.lo) })
		got, dropped := exclusive(slices.Clone(in))
		if !slices.Equal(got, want) || dropped != len(in)-len(want) {
			t.Fatalf("round %d: in %v\ngot %v (dropped %d)\nwant %v", round, in, got, dropped, want)
		}
	}
}

// nested's segments must name, for every address, the smallest kept range containing
// it, where ranges are kept as a ContainedRangeMap fed in address order keeps them:
// refused when equal to or partially overlapping a kept range.
func TestNestedMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for round := range 500 {
		var in []span
		for i := range 1 + r.IntN(30) {
			lo := uint64(r.IntN(100))
			in = append(in, span{lo: lo, hi: lo + uint64(r.IntN(40)), idx: int32(i)})
		}
		if round%2 == 0 {
			// Many laminar families: carve children out of parents.
			for i := range in {
				if i > 0 && r.IntN(2) == 0 {
					p := in[r.IntN(i)]
					lo := p.lo + uint64(r.IntN(int(p.hi-p.lo)+1))
					in[i].lo, in[i].hi = lo, lo+uint64(r.IntN(int(p.hi-lo)+1))
				}
			}
		}
		order := slices.Clone(in)
		slices.SortStableFunc(order, func(a, b span) int {
			if c := cmp.Compare(a.lo, b.lo); c != 0 {
				return c
			}
			return cmp.Compare(b.hi, a.hi)
		})
		var kept []span
		for _, s := range order {
			ok := true
			for _, k := range kept {
				equal := s.lo == k.lo && s.hi == k.hi
				partial := s.lo <= k.hi && k.lo <= s.hi && !(s.lo >= k.lo && s.hi <= k.hi) && !(k.lo >= s.lo && k.hi <= s.hi)
				if equal || partial {
					ok = false
					break
				}
			}
			if ok {
				kept = append(kept, s)
			}
		}
		segs, dropped := nested(in)
		if dropped != len(in)-len(kept) {
			t.Fatalf("round %d: dropped %d, want %d", round, dropped, len(in)-len(kept))
		}
		for i := 1; i < len(segs); i++ {
			if segs[i].lo <= segs[i-1].hi {
				t.Fatalf("round %d: segments overlap: %v", round, segs)
			}
		}
		for addr := uint64(0); addr < 150; addr++ {
			want := int32(-1)
			var best uint64
			for _, k := range kept {
				if k.lo <= addr && addr <= k.hi && (want < 0 || k.hi-k.lo < best) {
					want, best = k.idx, k.hi-k.lo
				}
			}
			got := int32(-1)
			if i, ok := findContaining(segs, addr); ok {
				got = segs[i].idx
			}
			if got != want {
				t.Fatalf("round %d addr %d: segment of %d, want %d\nin %v\nsegs %v", round, addr, got, want, in, segs)
			}
		}
	}
}

func TestRangesAtTheTopOfTheAddressSpace(t *testing.T) {
	const top = ^uint64(0)
	if _, ok := newSpan(top-1, 3, 0); ok {
		t.Error("a range wrapping past the top was accepted")
	}
	a, _ := newSpan(top-0xff, 0x100, 0) // ends exactly at the top
	b, _ := newSpan(top-0xf, 0x10, 1)
	segs, _ := nested([]span{a, b})
	for _, c := range []struct {
		addr uint64
		idx  int32
	}{{top - 0xff, 0}, {top - 0x10, 0}, {top - 0xf, 1}, {top, 1}} {
		i, ok := findContaining(segs, c.addr)
		if !ok || segs[i].idx != c.idx {
			t.Errorf("addr %#x: %v %v, want %d (segs %v)", c.addr, ok, segs, c.idx, segs)
		}
	}
}
