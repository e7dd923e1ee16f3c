package dumpgen

import (
	"errors"
	"testing"
)

// FuzzLayout builds dumps of arbitrary shapes and sizes: New either
// refuses with ErrSpec or yields a dump of exactly the requested size that
// the test parser accepts, with every stack inside the file.
func FuzzLayout(f *testing.F) {
	f.Add(uint8(8), uint8(6), uint32(0), int64(0), true, false)
	f.Add(uint8(1), uint8(1), uint32(16), int64(1<<20), false, true)
	f.Add(uint8(48), uint8(6), uint32(8192), int64(64<<20+4097), true, true)
	f.Fuzz(func(t *testing.T, nThreads, nModules uint8, stack uint32, size int64, full, exc bool) {
		s := SampleSpec(77, MiniDumpIgnoreInaccessibleMemory, size%(256<<20))
		if full {
			s.Flags |= MiniDumpWithFullMemory
		}
		s.StackSize = stack % (1 << 20)
		threads := make([]Thread, int(nThreads)%64)
		for i := range threads {
			threads[i] = Thread{ID: uint32(i*4 + 4)}
		}
		s.Threads = threads
		s.Modules = StandardModules(RuntimeCLR)[:int(nModules)%7]
		if exc && len(threads) > 0 {
			s.Exception = &Exception{ThreadID: threads[0].ID, Code: 0xc0000005}
		}
		d, err := New(s)
		if err != nil {
			if !errors.Is(err, ErrSpec) {
				t.Fatalf("error outside ErrSpec: %v", err)
			}
			return
		}
		if s.Size > 0 && d.Size() != s.Size {
			t.Fatalf("size %d, want %d", d.Size(), s.Size)
		}
		p, err := parseDump(d, d.Size())
		if err != nil {
			t.Fatalf("parse: %v", err)
		}
		if len(p.threads) != len(s.Threads) || len(p.modules) != len(s.Modules) || p.pid != 77 {
			t.Fatalf("parsed %d threads %d modules pid %d", len(p.threads), len(p.modules), p.pid)
		}
	})
}
