package dumpfacts

import (
	"strings"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/minidump"
	"github.com/dumpflow/dumpflow/test/kudusim/dumpgen"
)

// TestStackOnlyInMemoryList gives a thread a stack descriptor with RVA 0,
// as Firefox's crash reporter writes them, while its stack bytes stay in
// the memory list: the walk must find the same frames as from the
// descriptor, not read the file header as a stack.
func TestStackOnlyInMemoryList(t *testing.T) {
	d := genDump(t, dumpgen.SampleSpec(4120, 0, 0))
	want := d.analyze(t, Options{})
	const th = 2
	lee.PutUint32(d.thread(t, th)[36:], 0) // Stack.Memory.Rva
	got := d.analyze(t, Options{})
	if len(want.Threads[th].Frames) < 2 {
		t.Fatalf("the generated stack has only %v", want.Threads[th].Frames)
	}
	if g, w := strings.Join(got.Threads[th].Frames, " "), strings.Join(want.Threads[th].Frames, " "); g != w {
		t.Errorf("thread with RVA 0 stack: %s\nwant (stack through its descriptor) %s", g, w)
	}
	if got.Threads[th].Error != want.Threads[th].Error {
		t.Errorf("thread error: %q, want %q", got.Threads[th].Error, want.Threads[th].Error)
	}
}

// TestARM64CPUInfo: an ARM64 dump's processor level and revision are not
// x86 family/model/stepping; Breakpad prints no cpu_info for it.
func TestARM64CPUInfo(t *testing.T) {
	d := genDump(t, dumpgen.SampleSpec(4120, 0, 0))
	_, si := d.stream(t, minidump.SystemInfoStream)
	lee.PutUint16(si[0:], uint16(minidump.ArchARM64))
	lee.PutUint16(si[2:], 0x0803) // ProcessorLevel as an ARM64 Windows dump writes it
	lee.PutUint16(si[4:], 0x070c)
	a := d.analyze(t, Options{})
	if a.System.CPU != "arm64" || a.System.CPUInfo != "" {
		t.Errorf("cpu %q cpu_info %q, want arm64 and none", a.System.CPU, a.System.CPUInfo)
	}
}

// TestEmptyAssertionIsNotCritical: some writers leave an all-zero
// assertion stream; it is no assertion (Breakpad: "Unknown assertion
// type 0x00000000") and must not become a critical finding.
func TestEmptyAssertionIsNotCritical(t *testing.T) {
	d := genDump(t, dumpgen.SampleSpec(4120, 0, 0))
	d.addStream(minidump.BreakpadAssertionStream, make([]byte, 776))
	a := d.analyze(t, Options{})
	if a.Assertion == nil || a.Assertion.Text != "Unknown assertion type 0x00000000" || a.Assertion.Type != "0x00000000" {
		t.Fatalf("assertion = %+v", a.Assertion)
	}
	for _, f := range a.Findings {
		if f.Severity == Critical {
			t.Errorf("critical finding from a snapshot with an empty assertion: %s", f.Text)
		}
	}

	// A real invalid-parameter record stays critical, in Breakpad's words.
	d = genDump(t, dumpgen.SampleSpec(4120, 0, 0))
	rec := make([]byte, 776)
	putUTF16(rec[0:], "buf != nullptr")
	putUTF16(rec[256:], "strcpy_s")
	putUTF16(rec[512:], `minkernel\crts\ucrt\inc\corecrt_internal_string_templates.h`)
	lee.PutUint32(rec[768:], 39)
	lee.PutUint32(rec[772:], minidump.AssertionInvalidParameter)
	d.addStream(minidump.BreakpadAssertionStream, rec)
	a = d.analyze(t, Options{})
	want := `Invalid parameter passed to library function buf != nullptr in function strcpy_s, in file minkernel\crts\ucrt\inc\corecrt_internal_string_templates.h at line 39`
	if a.Assertion.Text != want {
		t.Errorf("assertion text = %q\nwant %q", a.Assertion.Text, want)
	}
	if a.Findings[0].Severity != Critical || !strings.Contains(a.Findings[0].Text, want) {
		t.Errorf("first finding = %+v", a.Findings[0])
	}
}

func putUTF16(b []byte, s string) {
	for i, c := range s {
		lee.PutUint16(b[2*i:], uint16(c))
	}
}

// TestWalkBounds: each bound that cuts a walk says so on the thread.
func TestWalkBounds(t *testing.T) {
	d := genDump(t, dumpgen.SampleSpec(4120, 0, 0))
	for _, tc := range []struct {
		opts   Options
		frames int    // frames of thread 0 at most
		says   string // in the thread's error
	}{
		{Options{MaxFrames: 3}, 3, "--frames"},
		{Options{ScanBytes: 4 << 10}, 64, "ScanBytes"},
		{Options{StackTime: time.Nanosecond}, 1, "StackTime"},
		// One thread at a time: the first takes the only page, the last gets none.
		{Options{StackBytes: 4 << 10, Concurrency: 1}, 1, "StackBytes"},
	} {
		a := d.analyze(t, tc.opts)
		th := a.Threads[len(a.Threads)-1]
		if !th.Truncated || len(th.Stack) > tc.frames || !strings.Contains(th.Error, tc.says) {
			t.Errorf("%+v: truncated %v, %d frames, error %q", tc.opts, th.Truncated, len(th.Stack), th.Error)
		}
	}
}
