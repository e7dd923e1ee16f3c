package dumpfacts

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/blob/fileblob"
	"github.com/dumpflow/dumpflow/pkg/minidump"
	"github.com/dumpflow/dumpflow/pkg/symbols"
	"github.com/dumpflow/dumpflow/test/kudusim/dumpgen"
)

// benchSize is the full dump of the goal: 4 GiB.
const benchSize = 4 << 30

// fullDump is the sample w3wp full dump `kudusim write-dump --type full`
// writes, generated on demand (no disk, a few hundred KiB of memory).
func fullDump(b *testing.B) *dumpgen.Dump {
	d, err := dumpgen.New(dumpgen.SampleSpec(4120, dumpgen.MiniDumpWithFullMemory, benchSize))
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// benchAnalyze analyzes the dump behind open b.N times and reports the
// bytes read per analysis and their share of the file.
func benchAnalyze(b *testing.B, size int64, open func() (io.ReaderAt, func())) {
	b.ReportAllocs()
	var read int64
	for b.Loop() {
		ra, done := open()
		r, err := minidump.NewReader(ra, size)
		if err != nil {
			b.Fatal(err)
		}
		a, err := Analyze(context.Background(), r, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if a.Dump.Type != "full" || len(a.Threads) == 0 {
			b.Fatalf("analysis of the full dump: type %s, %d threads", a.Dump.Type, len(a.Threads))
		}
		read = a.Dump.BytesRead
		done()
	}
	b.ReportMetric(float64(read), "bytes_read/op")
	b.ReportMetric(100*float64(read)/float64(size), "%read")
}

// BenchmarkAnalyzeFullDump4GiB analyzes a generated 4 GiB full dump read
// through io.ReaderAt (the generator itself, no disk).
func BenchmarkAnalyzeFullDump4GiB(b *testing.B) {
	d := fullDump(b)
	benchAnalyze(b, d.Size(), func() (io.ReaderAt, func()) { return d, func() {} })
}

// bigFileDir returns a directory for 4 GiB files, or skips unless
// DUMPFLOW_BENCH_DIR names one (writing 4 GiB is slow on shared machines).
func bigFileDir(b *testing.B) string {
	dir := os.Getenv("DUMPFLOW_BENCH_DIR")
	if dir == "" {
		b.Skip("set DUMPFLOW_BENCH_DIR to a directory with 8 GiB free to run the 4 GiB file benchmarks")
	}
	return dir
}

// BenchmarkAnalyzeFullDump4GiBFile analyzes the dump from a local file.
func BenchmarkAnalyzeFullDump4GiBFile(b *testing.B) {
	path := filepath.Join(bigFileDir(b), "full-4gib.dmp")
	if fi, err := os.Stat(path); err != nil || fi.Size() != benchSize {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := fullDump(b).WriteTo(f); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	benchAnalyze(b, benchSize, func() (io.ReaderAt, func()) {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		return f, func() { f.Close() }
	})
}

// BenchmarkAnalyzeFullDump4GiBFileBlob analyzes the dump through the blob
// port (fileblob's ranged NewReaderAt), as the analyzer service does.
func BenchmarkAnalyzeFullDump4GiBFileBlob(b *testing.B) {
	ctx := context.Background()
	bucket, err := fileblob.Open(filepath.Join(bigFileDir(b), "blobs"))
	if err != nil {
		b.Fatal(err)
	}
	defer bucket.Close()
	const key = "dumps/bench/full-4gib.dmp"
	if a, err := bucket.Attributes(ctx, key); err != nil || a.Size != benchSize {
		w, err := bucket.NewWriter(ctx, key, &blob.WriterOptions{Overwrite: true, Size: benchSize})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := fullDump(b).WriteTo(w); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	benchAnalyze(b, benchSize, func() (io.ReaderAt, func()) {
		ra, err := bucket.NewReaderAt(ctx, key)
		if err != nil {
			b.Fatal(err)
		}
		return ra, func() { ra.Close() }
	})
}

// BenchmarkAnalyzeFullDump4GiBSymbols analyzes the generated 4 GiB dump
// with a symbol store (the shared Breakpad store, which has none of its
// modules: every lookup is a miss after the first analysis warms the
// store's memory).
func BenchmarkAnalyzeFullDump4GiBSymbols(b *testing.B) {
	store := sharedStore(b)
	d := fullDump(b)
	b.ReportAllocs()
	for b.Loop() {
		r, err := minidump.NewReader(d, d.Size())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Analyze(context.Background(), r, Options{Symbols: store}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAnalyzeSymbolizedWarm analyzes minidump2.dmp with its symbols
// from a store that has already loaded them (a warm cache).
func BenchmarkAnalyzeSymbolizedWarm(b *testing.B) {
	store := sharedStore(b)
	dumpFiles(b)
	for b.Loop() {
		r, err := minidump.Open(filepath.Join(sharedDumps, "breakpad", "minidump2.dmp"))
		if err != nil {
			b.Fatal(err)
		}
		a, err := Analyze(context.Background(), r, Options{Symbols: store})
		r.Close()
		if err != nil || a.Crash.Symbol == "" {
			b.Fatalf("analysis: %v, crash symbol %q", err, a.Crash.Symbol)
		}
	}
}

func sharedStore(b *testing.B) symbols.Store {
	if _, err := os.Stat(sharedSymbols); err != nil {
		b.Skipf("%s absent: shared test data missing", sharedSymbols)
	}
	s, err := symbols.Open(sharedSymbols, symbols.Options{CacheDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkAnalyzeFullDump4GiBWarmSymbols analyzes the generated 4 GiB
// dump with a symbol store that has a Breakpad symbol file for every one
// of its modules (a FUNC every 256 bytes of the first 64 KiB), already
// loaded by a first analysis: the "warm symbol cache" case.
func BenchmarkAnalyzeFullDump4GiBWarmSymbols(b *testing.B) {
	d := fullDump(b)
	dir := b.TempDir()
	r, err := minidump.NewReader(d, d.Size())
	if err != nil {
		b.Fatal(err)
	}
	mods, err := r.Modules()
	if err != nil {
		b.Fatal(err)
	}
	for _, m := range mods {
		sm := symbolModule(&m)
		if sm.DebugFile == "" {
			continue
		}
		var sym strings.Builder
		fmt.Fprintf(&sym, "MODULE windows x86_64 %s %s\n", sm.DebugID, sm.DebugFile)
		for rva := 0x1000; rva < 0x10000; rva += 0x100 {
			fmt.Fprintf(&sym, "FUNC %x 100 0 %s::f%x\n", rva, strings.TrimSuffix(sm.DebugFile, ".pdb"), rva)
		}
		p := filepath.Join(dir, sm.DebugFile, sm.DebugID, strings.TrimSuffix(sm.DebugFile, ".pdb")+".sym")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(sym.String()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	store, err := symbols.Open(dir, symbols.Options{CacheDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	analyze := func() *Analysis {
		r, err := minidump.NewReader(d, d.Size())
		if err != nil {
			b.Fatal(err)
		}
		a, err := Analyze(context.Background(), r, Options{Symbols: store})
		if err != nil {
			b.Fatal(err)
		}
		return a
	}
	if a := analyze(); a.Threads[0].Stack[0].Function == "" || len(a.Problems) > 0 {
		b.Fatalf("frames not symbolized: %+v, problems %v", a.Threads[0].Stack[0], a.Problems)
	}
	b.ResetTimer()
	b.ReportAllocs()
	for b.Loop() {
		analyze()
	}
}
