package peunwind

import "fmt"

// x64 register numbers as unwind codes name them.
const (
	RAX = iota
	RCX
	RDX
	RBX
	RSP
	RBP
	RSI
	RDI
	R8
	R9
	R10
	R11
	R12
	R13
	R14
	R15
)

// Context is the integer register state of a frame: Regs by register
// number, and the instruction pointer.
type Context struct {
	Regs [16]uint64
	Rip  uint64
}

// Memory reads process memory (the stack) for the unwinder.
type Memory interface {
	ReadUint64(addr uint64) (uint64, error)
}

// Result is the caller's context and how it was found.
type Result struct {
	Caller Context
	// Leaf is true when the image has no RUNTIME_FUNCTION for the
	// address: the function made no stack frame and the return address
	// is at the stack pointer.
	Leaf bool
}

// Unwind computes the caller of the frame c, whose Rip lies in this image
// loaded at base, by undoing the prolog its UNWIND_INFO describes (and
// those of any chained parents), then popping the return address. Use it
// for callers' frames, whose Rip is inside a call instruction (a return
// address minus one).
func (im *Image) Unwind(c Context, base uint64, mem Memory) (Result, error) {
	return im.unwind(c, base, mem, false)
}

// UnwindActive is Unwind for the frame a thread stopped in (frame 0):
// its Rip may be inside an epilog, which is then finished instead.
func (im *Image) UnwindActive(c Context, base uint64, mem Memory) (Result, error) {
	return im.unwind(c, base, mem, true)
}

func (im *Image) unwind(c Context, base uint64, mem Memory, active bool) (Result, error) {
	if c.Rip < base || c.Rip-base >= uint64(im.size) {
		return Result{}, fmt.Errorf("peunwind: rip %#x outside the image at %#x", c.Rip, base)
	}
	rva := uint32(c.Rip - base)
	f, ok, err := im.Lookup(rva)
	if err != nil {
		return Result{}, err
	}
	out := c
	if !ok {
		return im.popReturn(out, mem, true)
	}
	inFunc := rva - f.Begin
	// A caller's Rip is inside its call instruction, never in an epilog;
	// the active frame's may be, and then the epilog is finished instead
	// of undoing the prolog (as RtlVirtualUnwind does).
	if active {
		if steps, ok := im.inEpilog(f, rva); ok {
			caller, err := runEpilog(out, steps, mem)
			if err != nil {
				return Result{}, err
			}
			return Result{Caller: caller}, nil
		}
	}
	for depth := 0; ; depth++ {
		if depth == maxChain {
			return Result{}, formatErr(uint64(f.UnwindInfo), "more than %d chained unwind records", maxChain)
		}
		ui, err := im.UnwindInfo(f.UnwindInfo)
		if err != nil {
			return Result{}, err
		}
		// Inside the prolog only the codes of instructions already run
		// apply; a chained parent's prolog ran completely.
		inProlog := depth == 0 && inFunc < uint32(ui.PrologSize)
		applies := func(cd Code) bool { return !inProlog || uint32(cd.Offset) <= inFunc }
		frame := out.Regs[RSP]
		if ui.FrameRegister != 0 {
			for _, cd := range ui.Codes {
				if cd.Op == OpSetFPReg && applies(cd) {
					frame = out.Regs[ui.FrameRegister] - uint64(ui.FrameOffset)
				}
			}
		}
		for _, cd := range ui.Codes {
			if !applies(cd) {
				continue
			}
			switch cd.Op {
			case OpPushNonvol:
				v, err := mem.ReadUint64(out.Regs[RSP])
				if err != nil {
					return Result{}, fmt.Errorf("peunwind: restore register %d: %w", cd.Info, err)
				}
				out.Regs[cd.Info] = v
				out.Regs[RSP] += 8
			case OpAllocSmall, OpAllocLarge:
				out.Regs[RSP] += uint64(cd.Value)
			case OpSetFPReg:
				out.Regs[RSP] = out.Regs[ui.FrameRegister] - uint64(ui.FrameOffset)
			case OpSaveNonvol, OpSaveNonvolFar:
				v, err := mem.ReadUint64(frame + uint64(cd.Value))
				if err != nil {
					return Result{}, fmt.Errorf("peunwind: restore register %d: %w", cd.Info, err)
				}
				out.Regs[cd.Info] = v
			case OpPushMachFrame:
				// The CPU pushed SS, RSP, EFLAGS, CS, RIP (and an error code).
				sp := out.Regs[RSP] + 8*uint64(cd.Info)
				rip, err1 := mem.ReadUint64(sp)
				rsp, err2 := mem.ReadUint64(sp + 24)
				if err1 != nil || err2 != nil {
					return Result{}, fmt.Errorf("peunwind: machine frame at %#x unreadable", sp)
				}
				out.Rip, out.Regs[RSP] = rip, rsp
				return Result{Caller: out}, nil
			}
		}
		if ui.Chained == nil {
			break
		}
		f = *ui.Chained
	}
	return im.popReturn(out, mem, false)
}

func (im *Image) popReturn(c Context, mem Memory, leaf bool) (Result, error) {
	ra, err := mem.ReadUint64(c.Regs[RSP])
	if err != nil {
		return Result{}, fmt.Errorf("peunwind: return address at %#x: %w", c.Regs[RSP], err)
	}
	c.Rip = ra
	c.Regs[RSP] += 8
	return Result{Caller: c, Leaf: leaf}, nil
}

// inEpilog reads the code at rva (past the prolog, within the function)
// and recognises an epilog there.
func (im *Image) inEpilog(f RuntimeFunction, rva uint32) ([]epilogStep, bool) {
	ui, err := im.UnwindInfo(f.UnwindInfo)
	if err != nil || rva-f.Begin < uint32(ui.PrologSize) || ui.Flags&flagChainInfo != 0 {
		return nil, false
	}
	n := min(uint32(maxEpilog), f.End-rva)
	code, err := im.readAt(uint64(rva), int(n), "code")
	if err != nil {
		return nil, false
	}
	return epilog(code)
}
