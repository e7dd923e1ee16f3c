package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"
)

// heapSampler records the peak HeapInuse while a stream runs.
type heapSampler struct {
	stop chan struct{}
	wg   sync.WaitGroup
	peak uint64
}

func sampleHeap(every time.Duration) *heapSampler {
	h := &heapSampler{stop: make(chan struct{})}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		var ms runtime.MemStats
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			h.peak = max(h.peak, ms.HeapInuse)
			select {
			case <-t.C:
			case <-h.stop:
				return
			}
		}
	}()
	return h
}

func (h *heapSampler) done() uint64 { close(h.stop); h.wg.Wait(); return h.peak }

// TestStream4GiBFlatHeap streams a 4 GiB generated full dump through the
// simulator over HTTP (server and client in this process) and reports
// the peak heap. Run with:
//
//	KUDUSIM_BIG=1 go test -run Stream4GiB -v ./test/kudusim/sim
func TestStream4GiBFlatHeap(t *testing.T) {
	if testing.Short() || os.Getenv("KUDUSIM_BIG") == "" {
		t.Skip("set KUDUSIM_BIG=1 (and no -short) to stream a 4 GiB dump")
	}
	const size = 4 << 30
	s := newSim(t, Config{DumpSize: size})
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	h := sampleHeap(20 * time.Millisecond)
	t0 := time.Now()
	res, err := http.Get(s.URL + "/app1/api/processes/-1/dump?dumpType=2")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.New()
	n, err := io.Copy(sum, res.Body)
	res.Body.Close()
	elapsed := time.Since(t0)
	peak := h.done()
	if err != nil || n != size || res.ContentLength != size {
		t.Fatalf("streamed %d of %d bytes (Content-Length %d): %v", n, int64(size), res.ContentLength, err)
	}
	ev := events(t, s)
	if last := ev[len(ev)-1]; !last.Complete || last.SHA256 != hex.EncodeToString(sum.Sum(nil)) {
		t.Errorf("event %+v", last)
	}
	t.Logf("streamed %d bytes in %v (%.0f MiB/s); HeapInuse before %.1f MiB, peak during %.1f MiB",
		n, elapsed.Round(time.Millisecond), float64(n)/(1<<20)/elapsed.Seconds(), float64(before.HeapInuse)/(1<<20), float64(peak)/(1<<20))
	if peak > before.HeapInuse+64<<20 {
		t.Errorf("heap grew from %d to %d bytes while streaming", before.HeapInuse, peak)
	}
}

// BenchmarkDumpRaw measures a raw 64 MiB full dump through the simulator
// over HTTP (generation, server-side sha256, client read).
func BenchmarkDumpRaw(b *testing.B) {
	const size = 64 << 20
	s, err := New(Config{DumpSize: size, DumpWriteTime: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.SetBytes(size)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		res, err := http.Get(s.URL + "/app1/api/processes/-1/dump?dumpType=2")
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, res.Body); err != nil || n != size {
			b.Fatalf("%d bytes, %v", n, err)
		}
		res.Body.Close()
	}
}
