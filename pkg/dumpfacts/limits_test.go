package dumpfacts

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/minidump"
	"github.com/dumpflow/dumpflow/pkg/minidump/minidumptest"
)

func analyzeHostile(t *testing.T, h minidumptest.Hostile, opts Options) (*Analysis, *minidump.Reader) {
	t.Helper()
	data := h.Build()
	r, err := minidump.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	a, err := Analyze(context.Background(), r, opts)
	if err != nil {
		t.Fatal(err)
	}
	return a, r
}

// The attack of issue 22 point 2: 100k threads whose stacks and contexts
// are the same bytes (a 4.8 MB dump) took 9.8 s, 588 MB and 92 MB of JSON:
// every thread was scanned and listed. Now the first MaxThreads are, and
// the total is reported; the work (bytes read) no longer grows with the
// declared count.
func TestThreadsPastTheLimitAreCountedNotExpanded(t *testing.T) {
	a, r := analyzeHostile(t, minidumptest.Hostile{Threads: 100_000, Modules: 1}, Options{})
	if len(a.Threads) != 1024 || a.Process.ThreadCount != 100_000 {
		t.Fatalf("%d threads listed, thread_count %d; want 1024 listed of 100000", len(a.Threads), a.Process.ThreadCount)
	}
	if a.Truncated == nil || a.Truncated.Threads == nil || *a.Truncated.Threads != (Count{Analyzed: 1024, Total: 100_000}) {
		t.Fatalf("truncated %+v", a.Truncated)
	}
	// Each of the 1024 threads gets an equal share of the frame budget.
	if n, o := len(a.Threads[0].Frames), (Options{}).withDefaults(); n < 2 || n > o.MaxTotalFrames/1024 {
		t.Fatalf("listed threads still get their frames: %d", len(a.Threads[0].Frames))
	}
	if n := r.BytesRead(); n > 64<<20 {
		t.Fatalf("read %d MB of a %d MB dump; want the work bounded by the limits", n>>20, r.Size()>>20)
	}
	out, _ := json.Marshal(a)
	// Frames (16 a thread here) carry their stack[] objects too: the
	// bound is the frame budget's, not the declared thread count's.
	if len(out) > 4<<20 {
		t.Fatalf("%d bytes of JSON", len(out))
	}
}

func TestModulesAndNamesPastTheLimit(t *testing.T) {
	// 20k modules and unloaded modules, each named by the same 2,048
	// characters: every entry used to decode its own copy.
	a, _ := analyzeHostile(t, minidumptest.Hostile{Modules: 20_000, Unloaded: 20_000, Handles: 100_000, NameLen: 2048},
		Options{Limits: Limits{MaxModules: 100, MaxHandles: 1000}})
	if len(a.Modules) != 100 || len(a.UnloadedModules) != 100 {
		t.Fatalf("%d modules, %d unloaded listed; want 100 each", len(a.Modules), len(a.UnloadedModules))
	}
	tr := a.Truncated
	if tr == nil || tr.Modules.Total != 20_000 || tr.UnloadedModules.Total != 20_000 || tr.Handles.Total != 100_000 {
		t.Fatalf("truncated %+v", tr)
	}
	if a.Handles.Total != 100_000 {
		t.Fatalf("handles total %d, want the declared 100000", a.Handles.Total)
	}
	if len(a.Problems) > 0 {
		t.Fatalf("problems: %v", a.Problems)
	}
}

func TestStringBudget(t *testing.T) {
	// Names at one offset are decoded once; a budget still bounds the rest.
	a, _ := analyzeHostile(t, minidumptest.Hostile{Modules: 4000, NameLen: 4096}, Options{Limits: Limits{MaxStringBytes: 8 << 10}})
	if len(a.Modules) != 4000 || len(a.Problems) != 0 {
		t.Fatalf("%d modules, problems %v: one shared name must cost one decode", len(a.Modules), a.Problems)
	}
	a, _ = analyzeHostile(t, minidumptest.Hostile{Modules: 10, NameLen: 4096}, Options{Limits: Limits{MaxStringBytes: 1024}})
	if len(a.Problems) == 0 {
		t.Fatal("a name larger than the string budget was decoded")
	}
}

func TestSmallDumpIsNotTruncated(t *testing.T) {
	a, _ := analyzeHostile(t, minidumptest.Hostile{Threads: 10, Modules: 3, Handles: 5, MemoryRanges: 4, MemoryInfos: 4}, Options{})
	if a.Truncated != nil || len(a.Threads) != 10 || a.Process.ThreadCount != 10 || a.Handles.Total != 5 {
		t.Fatalf("truncated %+v, %d threads", a.Truncated, len(a.Threads))
	}
}
