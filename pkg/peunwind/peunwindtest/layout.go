package peunwindtest

import (
	"bytes"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/peunwind"
)

// Chain is the call chain of the image BuildWindowsImage builds,
// outermost first.
var Chain = []string{"main.main", "main.a", "main.b", "main.c"}

// Layout is a stack laid out for a call chain and the state of its
// innermost frame.
type Layout struct {
	Stack *Stack
	// Context is the innermost frame's registers (Rip in its body).
	Context peunwind.Context
	// PCs are the pc of each frame of the chain, outermost first: the
	// callers' ones are the return addresses pushed by their calls.
	PCs []uint64
	// SPs are each frame's stack pointer once its callee returned.
	SPs []uint64
}

// LayOut pushes the frames of chain (function names, outermost first)
// onto a stack the way the functions' own prologs would, following the
// image's unwind codes in prolog order (the reverse of the record), so
// that an unwinder has to undo exactly what the code did. Each function
// also allocates body bytes its unwind codes do not describe (Go's
// frames address them through rbp). The outermost frame's return
// address is ret; the image is loaded at base.
func LayOut(t testing.TB, image []byte, funcs map[string]uint32, chain []string, base, ret uint64) *Layout {
	t.Helper()
	im, err := peunwind.NewImage(bytes.NewReader(image), int64(len(image)))
	if err != nil {
		t.Fatal(err)
	}
	const top = 0x10_4000
	l := &Layout{Stack: &Stack{Base: 0x10_0000, Bytes: make([]byte, 0x4000)}}
	regs := &l.Context.Regs
	regs[peunwind.RSP] = top - 0x100
	regs[peunwind.RBX], regs[peunwind.RSI], regs[peunwind.R12] = 0xb0b0, 0x5151, 0x1212
	push := func(v uint64) {
		regs[peunwind.RSP] -= 8
		l.Stack.Put(regs[peunwind.RSP], v)
	}
	for i, name := range chain {
		fn, ok := funcs[name]
		if !ok {
			t.Fatalf("no function %s in the image", name)
		}
		push(ret)
		l.SPs = append(l.SPs, regs[peunwind.RSP]+8)
		f, ok, err := im.Lookup(fn)
		if err != nil || !ok {
			t.Fatalf("no RUNTIME_FUNCTION for %s (%#x): %v", name, fn, err)
		}
		ui, err := im.UnwindInfo(f.UnwindInfo)
		if err != nil {
			t.Fatal(err)
		}
		var saves []peunwind.Code
		for j := len(ui.Codes) - 1; j >= 0; j-- {
			switch c := ui.Codes[j]; c.Op {
			case peunwind.OpPushNonvol:
				push(regs[c.Info])
			case peunwind.OpAllocSmall, peunwind.OpAllocLarge:
				regs[peunwind.RSP] -= uint64(c.Value)
			case peunwind.OpSetFPReg:
				regs[ui.FrameRegister] = regs[peunwind.RSP] + uint64(ui.FrameOffset)
			case peunwind.OpSaveNonvol, peunwind.OpSaveNonvolFar:
				saves = append(saves, c)
			default:
				t.Fatalf("LayOut cannot run unwind op %d of %s", c.Op, name)
			}
		}
		frameBase := regs[peunwind.RSP]
		if ui.FrameRegister != 0 {
			frameBase = regs[ui.FrameRegister] - uint64(ui.FrameOffset)
		}
		for _, c := range saves {
			l.Stack.Put(frameBase+uint64(c.Value), regs[c.Info])
		}
		regs[peunwind.RSP] -= uint64(0x20 * (i + 1))
		pc := base + uint64(f.Begin) + uint64(ui.PrologSize) + 3
		l.PCs = append(l.PCs, pc)
		ret = pc
	}
	l.Context.Rip = l.PCs[len(l.PCs)-1]
	return l
}
