package dumpfacts

import (
	"fmt"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/minidump"
	"github.com/dumpflow/dumpflow/pkg/peunwind"
	"github.com/dumpflow/dumpflow/pkg/peunwind/peunwindtest"
	"github.com/dumpflow/dumpflow/test/kudusim/dumpgen"
)

// TestWalkWithImageInMemory builds a real Windows x64 image, loads it in
// a dump's memory (as full dumps hold module images), lays out a stack
// for main.main → a → b → c by the image's own unwind data, and checks
// that the walk recovers that chain from the PE unwind tables.
func TestWalkWithImageInMemory(t *testing.T) {
	img, funcs := peunwindtest.BuildWindowsImage(t)
	const base = 0x7ff6_1230_0000
	// The outermost return address is 0: the walk ends there.
	l := peunwindtest.LayOut(t, img, funcs, peunwindtest.Chain, base, 0)

	s := dumpgen.SampleSpec(4120, 0, 0)
	s.Modules = append(s.Modules, dumpgen.Module{Path: `C:\home\site\wwwroot\chain.exe`, Base: base, Size: uint32(len(img))})
	d := genDump(t, s)

	// Memory: the image and the laid-out stack in a new MemoryList (the
	// generated one is retired), thread 0's stack only there (RVA 0).
	imgRVA, stackRVA := d.appendBlob(img), d.appendBlob(l.Stack.Bytes)
	var ml []byte
	ml = lee.AppendUint32(ml, 2)
	for _, r := range []struct {
		start    uint64
		size, at uint32
	}{{base, uint32(len(img)), imgRVA}, {l.Stack.Base, uint32(len(l.Stack.Bytes)), stackRVA}} {
		ml = lee.AppendUint64(ml, r.start)
		ml = lee.AppendUint32(ml, r.size)
		ml = lee.AppendUint32(ml, r.at)
	}
	old, _ := d.stream(t, minidump.MemoryListStream)
	lee.PutUint32(d[old:], uint32(minidump.UnusedStream))
	d.addStream(minidump.MemoryListStream, ml)
	th := d.thread(t, 0)
	lee.PutUint64(th[24:], l.Stack.Base)
	lee.PutUint32(th[32:], uint32(len(l.Stack.Bytes)))
	lee.PutUint32(th[36:], 0)
	ctx := d[lee.Uint32(th[44:]):]
	for n, off := range map[int]int{peunwind.RAX: 120, peunwind.RCX: 128, peunwind.RDX: 136, peunwind.RBX: 144,
		peunwind.RSP: 152, peunwind.RBP: 160, peunwind.RSI: 168, peunwind.RDI: 176, peunwind.R12: 216} {
		lee.PutUint64(ctx[off:], l.Context.Regs[n])
	}
	lee.PutUint64(ctx[248:], l.Context.Rip)

	a := d.analyze(t, Options{})
	got := a.Threads[0].Stack
	var want []string
	for i := len(l.PCs) - 1; i >= 0; i-- {
		want = append(want, fmt.Sprintf("chain.exe+%#x", l.PCs[i]-base))
	}
	if len(got) != len(want) {
		t.Fatalf("walked %d frames %v, want the chain %v", len(got), a.Threads[0].Frames, want)
	}
	for i, f := range got {
		wantTrust := TrustCFI
		if i == 0 {
			wantTrust = TrustContext
		}
		if f.Short() != want[i] || f.Trust != wantTrust {
			t.Errorf("frame %d = %s (%s), want %s (%s)", i, f.Short(), f.Trust, want[i], wantTrust)
		}
	}
	// Without the image in memory the same stack is walked by frame
	// pointer (Go keeps one): the same chain, found less surely.
	_, cur := d.stream(t, minidump.MemoryListStream)
	lee.PutUint64(cur[4:], 0x10_0000_0000) // the image's range now lies elsewhere
	a = d.analyze(t, Options{})
	if len(a.Threads[0].Stack) != len(want) {
		t.Errorf("without the image: %v, want %v", a.Threads[0].Frames, want)
	}
	for i, f := range a.Threads[0].Stack {
		if i > 0 && (i >= len(want) || f.Short() != want[i] || f.Trust != TrustFramePointer) {
			t.Errorf("without the image: frame %d = %s (%s), want %s by frame pointer", i, f.Short(), f.Trust, want[min(i, len(want)-1)])
		}
	}
}
