package simtest_test

import (
	"context"
	"io"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/kudu"
	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

// heapWatch is an io.Writer that discards bytes and samples the heap every
// 64 MiB.
type heapWatch struct {
	n, next uint64
	peak    uint64
}

func (h *heapWatch) Write(p []byte) (int, error) {
	h.n += uint64(len(p))
	if h.n >= h.next {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		h.peak = max(h.peak, ms.HeapInuse)
		h.next = h.n + 64<<20
	}
	return len(p), nil
}

// TestBigDumpFlatHeap streams a 1 GiB full dump from the simulator through
// both strategies and reports the peak heap. Gated: set KUDU_BIG=1 and do
// not pass -short.
func TestBigDumpFlatHeap(t *testing.T) {
	if testing.Short() || os.Getenv("KUDU_BIG") != "1" {
		t.Skip("set KUDU_BIG=1 (without -short) to stream a 1 GiB dump")
	}
	const size = 1 << 30
	s := startSim(t, sim.Config{DumpSize: size, DumpWriteTime: -1})
	_, site, _ := simClientsNoARM(t, s)
	c, _ := site.Instance(s.Info().Apps[0].Instances[0])
	ctx := context.Background()
	if _, err := c.VerifyInstance(ctx); err != nil {
		t.Fatal(err)
	}
	p := appProcess(t, c)
	st, _ := kudu.NewStaged(c, kudu.StagedConfig{PollInterval: 20 * time.Millisecond})
	for _, tc := range []struct {
		name string
		d    kudu.Dumper
	}{{"direct", c}, {"staged", st}} {
		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		start := time.Now()
		d, err := tc.d.Dump(ctx, p.ID, kudu.DumpOptions{Type: kudu.DumpFull})
		if err != nil {
			t.Fatal(err)
		}
		w := &heapWatch{}
		n, err := io.Copy(w, d.Body)
		d.Body.Close()
		if err != nil || n != size {
			t.Fatalf("%s: %d bytes, %v", tc.name, n, err)
		}
		el := time.Since(start)
		t.Logf("%s: %d MiB in %v (%.0f MiB/s), heap in use before %d KiB, peak %d KiB",
			tc.name, n>>20, el.Round(time.Millisecond), float64(n>>20)/el.Seconds(), base.HeapInuse>>10, w.peak>>10)
		if w.peak > base.HeapInuse+64<<20 {
			t.Errorf("%s: heap grew by %d MiB while streaming", tc.name, (w.peak-base.HeapInuse)>>20)
		}
		_ = s.Settle(ctx)
	}
}
