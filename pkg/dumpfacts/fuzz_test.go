package dumpfacts

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/minidump"
	"github.com/dumpflow/dumpflow/test/kudusim/dumpgen"
)

// FuzzAnalyze runs the whole analysis, stack walks included, over
// mutated dumps: it must never panic and must stay within its bounds.
func FuzzAnalyze(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(sharedDumps, "*", "*.dmp"))
	for _, p := range files {
		// Small seeds only: the fuzzer mutates and re-hashes every byte.
		if b, err := os.ReadFile(p); err == nil && len(b) < 32<<10 {
			f.Add(b)
		}
	}
	s := dumpgen.SampleSpec(4120, 0, 0)
	s.StackSize = 512 // a small generated dump: fuzzing mutates every byte
	if d, err := dumpgen.New(s); err == nil {
		var b bytes.Buffer
		if _, err := d.WriteTo(&b); err == nil && b.Len() < 32<<10 {
			f.Add(b.Bytes())
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := minidump.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		a, err := Analyze(context.Background(), r, Options{MaxFrames: 16})
		if err != nil {
			t.Fatal(err)
		}
		for _, th := range a.Threads {
			if len(th.Stack) > 16 || len(th.Stack) != len(th.Frames) {
				t.Fatalf("thread %#x: %d frames, %d strings", th.ID, len(th.Stack), len(th.Frames))
			}
		}
		if a.Dump.BytesRead > a.Dump.Size {
			t.Fatalf("bytes_read %d > size %d", a.Dump.BytesRead, a.Dump.Size)
		}
	})
}

// TestAnalyzeMutatedDumps is a fixed-seed run of FuzzAnalyze's property
// over the shared dumps with a few bytes changed, so that every test run
// covers hostile input even where fuzzing is not run.
func TestAnalyzeMutatedDumps(t *testing.T) {
	files := dumpFiles(t)
	rng := rand.New(rand.NewPCG(23, 1))
	for i := 0; i < 500; i++ {
		p := files[rng.IntN(len(files))]
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for k := 0; k < 1+rng.IntN(8); k++ {
			b[rng.IntN(len(b))] = byte(rng.IntN(256))
		}
		r, err := minidump.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			continue
		}
		a, err := Analyze(context.Background(), r, Options{MaxFrames: 16})
		if err != nil {
			t.Fatalf("%s mutation %d: %v", filepath.Base(p), i, err)
		}
		for _, th := range a.Threads {
			if len(th.Stack) > 16 || len(th.Stack) != len(th.Frames) {
				t.Fatalf("%s mutation %d: thread %#x has %d frames, %d strings", filepath.Base(p), i, th.ID, len(th.Stack), len(th.Frames))
			}
		}
	}
}
