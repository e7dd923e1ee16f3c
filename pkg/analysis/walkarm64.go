package analysis

// arm64CalleeSaved are x19–x29 (x29 is the frame pointer).
var arm64CalleeSaved = []string{"x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28", "x29"}

// callerARM64 finds the caller of the last frame: STACK CFI, then the
// x29 frame record chain, then a scan.
func (w *walker) callerARM64(frames []*frame) *frame {
	i := len(frames) - 1
	last := frames[i]
	next := w.cfiCaller(last, i, arm64CalleeSaved, "sp", "pc")
	if next != nil {
		next.regs["x30"] = next.pc
	}
	if next == nil {
		next = w.fpCallerARM64(last)
	}
	if next == nil {
		next = w.scanCaller(frames, "sp", "pc", "x29")
	}
	if next == nil || terminate(next.pc, next.regs["sp"], last.regs["sp"], i == 0) {
		return nil
	}
	return next
}

// fpCallerARM64 reads the frame record {x29, x30} at x29.
func (w *walker) fpCallerARM64(last *frame) *frame {
	fp := last.regs["x29"]
	if fp == 0 || fp%8 != 0 {
		return nil
	}
	callerFP, err1 := w.mem.ReadUint(fp, 8)
	lr, err2 := w.mem.ReadUint(fp+8, 8)
	if err1 != nil || err2 != nil || (callerFP != 0 && callerFP <= fp) {
		return nil
	}
	// Pointer authentication may sign the upper bits of a saved return
	// address; user-space addresses fit in 48 bits.
	lr &= 1<<48 - 1
	regs := map[string]uint64{"pc": lr, "sp": fp + 16, "x29": callerFP, "x30": lr}
	for _, r := range arm64CalleeSaved[:10] {
		if v, ok := last.regs[r]; ok {
			regs[r] = v
		}
	}
	return &frame{pc: lr, regs: regs, trust: TrustFramePointer}
}
