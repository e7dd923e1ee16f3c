package minidump

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzLimitedReader is FuzzNewReader with tight Limits and ListLength:
// no panic, and every error wraps ErrFormat, ErrNotPresent or ErrLimit.
func FuzzLimitedReader(f *testing.F) {
	for _, b := range generatedSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		r.SetLimits(Limits{Threads: 2, Modules: 2, Handles: 2, Memory: 2, StringBytes: 64})
		err = exercise(r)
		for _, st := range []StreamType{ThreadListStream, ModuleListStream, MemoryListStream, Memory64ListStream,
			ThreadNamesStream, ThreadInfoListStream, UnloadedModuleListStream, HandleDataStream, MemoryInfoListStream} {
			if _, lerr := r.ListLength(st); lerr != nil && !errors.Is(lerr, ErrNotPresent) && err == nil {
				err = lerr
			}
		}
		if err != nil && !errors.Is(err, ErrFormat) && !errors.Is(err, ErrLimit) {
			t.Fatalf("error wraps neither ErrFormat nor ErrLimit: %v", err)
		}
	})
}

func TestListLengthMatchesTheLists(t *testing.T) {
	for i, b := range generatedSeeds(t) {
		r, err := NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		ts, _ := r.Threads()
		mods, _ := r.Modules()
		for st, want := range map[StreamType]int{ThreadListStream: len(ts), ModuleListStream: len(mods)} {
			n, err := r.ListLength(st)
			if errors.Is(err, ErrNotPresent) {
				continue
			}
			if err != nil || n != uint64(want) {
				t.Errorf("seed %d: ListLength(%s) = %d, %v; the list has %d", i, st, n, err, want)
			}
		}
	}
}
