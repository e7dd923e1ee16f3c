package minidump

import (
	"bytes"
	"errors"
	"testing"

	"github.com/dumpflow/dumpflow/test/kudusim/dumpgen"
)

// generatedSeeds are small amd64 dumps from the simulator's generator: a
// mini dump (MemoryList, MemoryInfoList, exception) and a full dump
// (Memory64List), with tiny stacks so that mutation stays fast.
func generatedSeeds(tb testing.TB) [][]byte {
	var out [][]byte
	for _, flags := range []uint64{0, dumpgen.MiniDumpWithFullMemory} {
		s := dumpgen.SampleSpec(77, flags, 0)
		s.StackSize = 256
		s.Threads = s.Threads[:3]
		s.Exception = &dumpgen.Exception{ThreadID: s.Threads[1].ID, Code: 0xc0000005, Address: s.Threads[1].RIP}
		if flags != 0 {
			min, err := dumpgen.MinSize(s)
			if err != nil {
				tb.Fatal(err)
			}
			s.Size = min
		}
		d, err := dumpgen.New(s)
		if err != nil {
			tb.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := d.WriteTo(&buf); err != nil {
			tb.Fatal(err)
		}
		out = append(out, buf.Bytes())
	}
	return out
}

// FuzzNewReader feeds mutated real and generated dumps to NewReader and
// every accessor. Any panic, or an error that does not wrap ErrFormat, is
// a bug. Run it with -fuzzminimizetime 10x: minimizing 20 KiB inputs for
// the default 60 s stalls the engine.
func FuzzNewReader(f *testing.F) {
	for _, b := range realDumpsIfPresent(f) {
		if len(b) <= 128<<10 { // the 1 MiB stack dump only slows mutation
			f.Add(b)
		}
	}
	for _, b := range generatedSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewReader(bytes.NewReader(b), int64(len(b)))
		if err == nil {
			err = exercise(r)
		}
		if err != nil && !errors.Is(err, ErrFormat) {
			t.Fatalf("error does not wrap ErrFormat: %v", err)
		}
	})
}

func TestGeneratedDumpsParseCleanly(t *testing.T) {
	for i, b := range generatedSeeds(t) {
		r, err := NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		if err := exercise(r); err != nil {
			t.Errorf("seed %d: %v", i, err)
		}
		if _, err := r.MemoryInfos(); err != nil {
			t.Errorf("seed %d: MemoryInfos: %v", i, err)
		}
		ranges, err := r.MemoryRanges()
		if err != nil || len(ranges) == 0 {
			t.Errorf("seed %d: %d ranges, %v", i, len(ranges), err)
		}
	}
}
