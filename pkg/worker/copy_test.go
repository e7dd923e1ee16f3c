package worker

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"

	"github.com/dumpflow/dumpflow/pkg/messages"
)

// copyChunk is the chunk size the tests copy with unless they say.
const copyChunk = maxCopyChunk

func TestCopyChunkKeepsEveryDumpsBuffersInOneBudget(t *testing.T) {
	for c, want := range map[int]int{1: 1 << 20, 4: 1 << 20, 5: 512 << 10, 8: 512 << 10, 9: 256 << 10, 16: 256 << 10, 64: 256 << 10} {
		got := copyChunkFor(c)
		if got != want {
			t.Errorf("copyChunkFor(%d) = %d KiB, want %d KiB", c, got>>10, want>>10)
		}
		if chunkSets[got] == nil {
			t.Errorf("copyChunkFor(%d) = %d: no pool of that size", c, got)
		}
		if c <= copyBudget/(copyChunks*minCopyChunk) && copyChunks*got*c > copyBudget {
			t.Errorf("%d dumps × %d × %d KiB exceed the %d MiB budget", c, copyChunks, got>>10, copyBudget>>20)
		}
	}
	if _, _, err := copyDump(io.Discard, bytes.NewReader(fakeDump("copy", 100)), nil, 3000); err == nil {
		t.Error("copyDump took a chunk size it has no pool for")
	}
}

func TestCopyDumpHashesWhatItWrites(t *testing.T) {
	// Sizes around the chunk and the chunk set, read in odd pieces, with
	// the largest chunk and the smallest.
	for _, size := range []int{6, 32, minCopyChunk - 1, minCopyChunk + 1, copyChunk - 1, copyChunk, copyChunk + 1, copyChunks*copyChunk + 17, 5<<20 + 3} {
		for _, chunk := range []int{copyChunk, minCopyChunk} {
			want := fakeDump("copy", size)
			var dst bytes.Buffer
			var progress atomic.Int64
			n, sum, err := copyDump(&dst, iotest.HalfReader(bytes.NewReader(want)), &progress, chunk)
			if err != nil {
				t.Fatalf("%d bytes in %d KiB chunks: %v", size, chunk>>10, err)
			}
			if n != int64(size) || !bytes.Equal(dst.Bytes(), want) || sum != sha256.Sum256(want) || progress.Load() != n {
				t.Fatalf("%d bytes in %d KiB chunks: n %d, wrote %d equal %v, sum ok %v, progress %d", size, chunk>>10, n, dst.Len(),
					bytes.Equal(dst.Bytes(), want), sum == sha256.Sum256(want), progress.Load())
			}
		}
	}
}

func TestCopyDumpRefusesANonMinidumpBeforeWriting(t *testing.T) {
	for _, body := range [][]byte{[]byte("<html><body>502 Bad Gateway</body></html>"), []byte("MDMP\x00\x00"), []byte("<")} {
		var dst bytes.Buffer
		n, _, err := copyDump(&dst, bytes.NewReader(body), nil, copyChunk)
		if !errors.Is(err, ErrCorruptDump) || dst.Len() != 0 || n != 0 {
			t.Errorf("%q: n %d, wrote %d, err %v", body, n, dst.Len(), err)
		}
	}
	// A prefix of the signature is not corrupt yet: the length check
	// (ErrShortDump) decides.
	n, _, err := copyDump(io.Discard, bytes.NewReader([]byte("MDM")), nil, copyChunk)
	if err != nil || n != 3 {
		t.Errorf("MDM: n %d, err %v", n, err)
	}
	if err := checkLength(n, 0); !errors.Is(err, ErrShortDump) {
		t.Errorf("checkLength(3, 0) = %v", err)
	}
}

func TestCopyDumpTellsReadFromWriteErrors(t *testing.T) {
	good := fakeDump("copy", 3*copyChunk)
	cut := errors.New("connection reset")
	src := io.MultiReader(bytes.NewReader(good[:copyChunk+10]), iotest.ErrReader(cut))
	n, _, err := copyDump(io.Discard, src, nil, copyChunk)
	var re *readError
	if !errors.As(err, &re) || !errors.Is(err, cut) || n != copyChunk+10 {
		t.Errorf("read failure: n %d, err %v", n, err)
	}

	full := errors.New("disk full")
	n, _, err = copyDump(&failingWriter{after: copyChunk, err: full}, bytes.NewReader(good), nil, copyChunk)
	if !errors.Is(err, full) || errors.As(err, &re) || n != 2*copyChunk {
		t.Errorf("write failure: n %d, err %v", n, err)
	}
	n, _, err = copyDump(&failingWriter{after: 10, short: true}, bytes.NewReader(good), nil, copyChunk)
	if !errors.Is(err, io.ErrShortWrite) {
		t.Errorf("short write: n %d, err %v", n, err)
	}
}

// failingWriter accepts after bytes, then fails (or writes short).
type failingWriter struct {
	after, n int
	err      error
	short    bool
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n+len(p) <= w.after {
		w.n += len(p)
		return len(p), nil
	}
	if w.short {
		return 1, nil
	}
	return 0, w.err
}

func TestCopyDumpAllocatesNothingPerChunk(t *testing.T) {
	small, large := fakeDump("copy", 2*copyChunk), fakeDump("copy", 64*copyChunk)
	allocs := func(b []byte) float64 {
		return testing.AllocsPerRun(20, func() {
			if _, _, err := copyDump(io.Discard, bytes.NewReader(b), nil, copyChunk); err != nil {
				t.Fatal(err)
			}
		})
	}
	copyDump(io.Discard, bytes.NewReader(small), nil, copyChunk) // fill the buffer pool
	// The race detector's sync.Pool drops some Puts: a new chunk set (5
	// allocations) now and then, for either size. One allocation per chunk
	// would add 62.
	if a, b := allocs(small), allocs(large); b > a+5 {
		t.Errorf("%.1f allocations for 2 chunks, %.1f for 64", a, b)
	}
}

func TestProgressIsReportedWhileADumpStreams(t *testing.T) {
	k := &gatedKudu{fakeKudu: newFakeKudu(), gate: make(chan struct{})}
	k.addSite("shop", 1)
	e := newTestEngine(t, k, newMemBucket(), nil, fastConfig())
	copyChunk := copyChunkFor(e.cfg.Concurrency) // what the engine copies in
	k.dumpSize, k.first = 3*copyChunk, int64(copyChunk)
	var once sync.Once
	var reports []Progress
	e.OnProgress = func(p Progress) {
		reports = append(reports, p) // one target: reports come one at a time
		if p.Bytes == int64(copyChunk) && !p.Done {
			once.Do(func() { close(k.gate) })
		}
	}
	res, err := e.Capture(context.Background(), testJob("shop", messages.Action{}, messages.Selector{}))
	if err != nil || len(res.Dumps) != 1 {
		t.Fatalf("capture: %v, %+v", err, res)
	}
	last := reports[len(reports)-1]
	if !last.Done || last.Bytes != 3*int64(copyChunk) || reports[0].Total != 3*int64(copyChunk) {
		t.Errorf("reports %+v", reports)
	}
}

// gatedKudu sends the first chunk of each dump, then waits for gate.
type gatedKudu struct {
	*fakeKudu
	gate  chan struct{}
	first int64 // bytes sent before the gate
}

func (k *gatedKudu) Dump(ctx context.Context, req DumpRequest) (io.ReadCloser, int64, error) {
	body, size, err := k.fakeKudu.Dump(ctx, req)
	if err != nil {
		return nil, 0, err
	}
	rest := gatedReader{gate: k.gate, r: body}
	return io.NopCloser(io.MultiReader(io.LimitReader(body, k.first), rest)), size, nil
}

type gatedReader struct {
	gate chan struct{}
	r    io.Reader
}

func (g gatedReader) Read(p []byte) (int, error) {
	<-g.gate
	return g.r.Read(p)
}
