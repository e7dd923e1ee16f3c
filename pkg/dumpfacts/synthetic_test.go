package dumpfacts

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/minidump"
	"github.com/dumpflow/dumpflow/test/kudusim/dumpgen"
)

func analyzeSpec(t *testing.T, s dumpgen.Spec) *Analysis {
	t.Helper()
	d, err := dumpgen.New(s)
	if err != nil {
		t.Fatal(err)
	}
	r, err := minidump.NewReader(d, d.Size())
	if err != nil {
		t.Fatal(err)
	}
	a, err := Analyze(context.Background(), r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Problems) > 0 {
		t.Errorf("problems: %v", a.Problems)
	}
	return a
}

func TestRuntimeDetection(t *testing.T) {
	for _, tc := range []struct {
		rt   dumpgen.Runtime
		want []string
	}{
		{dumpgen.RuntimeCLR, []string{".NET Framework", "IIS"}},
		{dumpgen.RuntimeCoreCLR, []string{".NET 8.0"}},
		{dumpgen.RuntimeNode, []string{"Node.js"}},
		{dumpgen.RuntimeNative, []string{"ASP.NET Core Module", "IIS"}},
	} {
		s := dumpgen.SampleSpec(100, 0, 0)
		s.Modules = dumpgen.StandardModules(tc.rt)
		for i := range s.Threads {
			s.Threads[i].RIP = s.Modules[0].Base + 0x1000
		}
		a := analyzeSpec(t, s)
		var got []string
		for _, rt := range a.Runtimes {
			got = append(got, rt.Name)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: runtimes %v, want %v", tc.rt, got, tc.want)
		}
	}
}

func TestFullDumpSnapshot(t *testing.T) {
	s := dumpgen.SampleSpec(4120, dumpgen.MiniDumpWithFullMemory, 64<<20)
	a := analyzeSpec(t, s)
	if a.Dump.Type != "full" || a.Dump.Size != 64<<20 {
		t.Errorf("dump = %+v", a.Dump)
	}
	if a.Exception != nil || a.Crash != nil {
		t.Errorf("snapshot has exception %+v", a.Exception)
	}
	if a.Memory == nil || a.Memory.Committed == 0 {
		t.Errorf("memory = %+v", a.Memory)
	}
	if a.Findings[0].Severity != Info || !strings.HasPrefix(a.Findings[0].Text, "No exception") {
		t.Errorf("first finding = %+v", a.Findings[0])
	}
	if *a.Process.UptimeSeconds != 5400 || *a.Process.CreateTime != "2026-01-01T00:00:00Z" {
		t.Errorf("process = %+v", a.Process)
	}
	// Frame 0 of each thread is its instruction pointer in its module.
	if got := a.Threads[1].Frames[0]; got != "clr.dll+0x1210" {
		t.Errorf("thread 1 frame 0 = %s", got)
	}
	if a.Dump.BytesRead > a.Dump.Size/100 {
		t.Errorf("read %d of %d bytes", a.Dump.BytesRead, a.Dump.Size)
	}
}

func TestCrashReasons(t *testing.T) {
	for _, tc := range []struct {
		code, flags uint32
		addr        uint64
		params      []uint64
		ptr32       bool
		reason      string
		crashAddr   uint64
	}{
		{0xc0000005, 0, 0x401000, []uint64{0, 0x10}, true, "EXCEPTION_ACCESS_VIOLATION_READ", 0x10},
		{0xc0000005, 0, 0x401000, []uint64{1, 0x1_0000_0045}, true, "EXCEPTION_ACCESS_VIOLATION_WRITE", 0x45},
		{0xc0000005, 0, 0x3df944, []uint64{8, 0x3df944}, true, "EXCEPTION_ACCESS_VIOLATION_EXEC", 0x3df944},
		{0xc0000005, 0, 0x401000, nil, false, "EXCEPTION_ACCESS_VIOLATION", 0x401000},
		{0xc00000fd, 0, 0xdea637, []uint64{0, 0x102000}, true, "EXCEPTION_STACK_OVERFLOW", 0xdea637},
		{0xc0000409, 1, 0x7ff75355af42, []uint64{7}, false, "FAST_FAIL_FATAL_APP_EXIT", 0x7ff75355af42},
		{0xc0000409, 1, 0x10, []uint64{2}, false, "FAST_FAIL_STACK_COOKIE_CHECK_FAILURE", 0x10},
		{0xc0000409, 1, 0x10, nil, false, "EXCEPTION_STACK_BUFFER_OVERRUN", 0x10},
		{0xc000000d, 0, 0, []uint64{1, 2, 3}, false, "0xc000000d / 0x00000000", 0},
		{0xe06d7363, 1, 0x7ff800001000, nil, false, "Unhandled C++ Exception", 0x7ff800001000},
		{0xe0434352, 1, 0x7ff800001000, nil, false, "0xe0434352 / 0x00000001", 0x7ff800001000},
		{0xc0000374, 1, 0x1000, nil, false, "EXCEPTION_HEAP_CORRUPTION", 0x1000},
		{0x80000003, 0, 0x1000, nil, false, "EXCEPTION_BREAKPOINT", 0x1000},
	} {
		reason, addr := crashReason(tc.code, tc.flags, tc.addr, tc.params, tc.ptr32)
		if reason != tc.reason || addr != tc.crashAddr {
			t.Errorf("%#x %v: %s %#x, want %s %#x", tc.code, tc.params, reason, addr, tc.reason, tc.crashAddr)
		}
		if d := describe(tc.code, reason, tc.params, addr); d == "" && tc.code != 0x80000003 {
			t.Errorf("%#x has no description", tc.code)
		}
	}
}

func TestHexJSON(t *testing.T) {
	var h Hex
	for in, want := range map[string]Hex{`"0x45"`: 0x45, `"0XFF"`: 0xff, `17`: 17} {
		if err := h.UnmarshalJSON([]byte(in)); err != nil || h != want {
			t.Errorf("%s → %v, %v", in, h, err)
		}
	}
	if err := h.UnmarshalJSON([]byte(`"zz"`)); err == nil {
		t.Error("bad hex accepted")
	}
	if b, _ := Hex(0).MarshalJSON(); !bytes.Equal(b, []byte(`"0x0"`)) {
		t.Errorf("Hex(0) = %s", b)
	}
}

func TestBusiestThreads(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	threads := []Thread{{ID: 1, CPUSeconds: f(0.5)}, {ID: 2, CPUSeconds: f(12.25), Frames: []string{"clr.dll+0x10"}},
		{ID: 3}, {ID: 4, CPUSeconds: f(3)}, {ID: 5, CPUSeconds: f(2)}, {ID: 6, CPUSeconds: f(1.5)}}
	if got, want := busiest(threads, 3), "0x2 12.2 s in clr.dll+0x10, 0x4 3.0 s, 0x5 2.0 s"; got != want {
		t.Errorf("busiest = %q, want %q", got, want)
	}
	if got := busiest(threads[:1], 3); got != "" {
		t.Errorf("busiest of idle threads = %q", got)
	}
}

// TestFindingsSayWhatNext: every critical or warning finding tells the
// person what to do about it.
func TestFindingsSayWhatNext(t *testing.T) {
	ti := 0
	a := &Analysis{
		System:    &System{CPU: "x86"},
		Process:   &Process{},
		Crash:     &Crash{Reason: "EXCEPTION_ACCESS_VIOLATION_READ", Description: "access violation", ThreadID: 0x10, ThreadIndex: &ti},
		Assertion: &Assertion{Type: "invalid_parameter", Expression: "x", Function: "f", File: "a.c", Line: 3},
		Threads:   make([]Thread, manyThreads+1),
		Memory:    &Memory{Committed: 1500 << 20, Reserved: 200 << 20},
		Handles:   &Handles{Total: manyHandles + 1, ByType: map[string]int{"Event": manyHandles + 1}},
		Runtimes:  []Runtime{{Name: ".NET 8.0", Module: "coreclr.dll"}},
	}
	fs := findings(a)
	warned := 0
	for _, f := range fs {
		if f.Severity == Info {
			continue
		}
		warned++
		if f.Next == "" {
			t.Errorf("%s finding %q says nothing to do next", f.Severity, f.Text)
		}
	}
	if warned < 5 {
		t.Fatalf("%d critical or warning findings, want the crash, assertion, threads, 32-bit and handles: %+v", warned, fs)
	}
	if !strings.Contains(fs[0].Next, "~~[0x10]s") || !strings.Contains(fs[0].Next, "dotnet-dump") {
		t.Errorf("crash next step: %q", fs[0].Next)
	}
}
