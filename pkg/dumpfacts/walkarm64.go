package dumpfacts

// arm64CalleeSaved are x19–x29 (x29 is the frame pointer).
var arm64CalleeSaved = []string{"x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28", "x29"}

// callerARM64 finds the caller of the last frame as Breakpad's ARM64
// stackwalker does: STACK CFI, then the frame-record chain, then a scan.
func (w *walker) callerARM64(frames []*frame) *frame {
	i := len(frames) - 1
	last := frames[i]
	next := w.cfiCaller(last, i, arm64CalleeSaved, "sp", "pc")
	if next == nil {
		next = w.fpCallerARM64(last)
	}
	if next == nil {
		next = w.scanCaller(frames, "sp", "pc", "x29")
	}
	// The end: an instruction address in the first page (0 marks it), or
	// a stack pointer that moved down. A leaf's caller may share its sp.
	if next == nil || next.pc < 1<<12 || next.regs["sp"] < last.regs["sp"] {
		return nil
	}
	return next
}

// fpCallerARM64 steps along the frame records {x29, x30} that prologs
// push, as Breakpad does: the caller's pc is the frame's link register
// (x30, right even in a leaf that pushed no record), and the record at
// x29 gives the caller's own x29 and x30. A frame whose link register is
// unknown (found by CFI without a rule for it, or by a scan) takes the
// record's return address as the caller's pc instead.
func (w *walker) fpCallerARM64(last *frame) *frame {
	fp := last.regs["x29"]
	if fp%8 != 0 {
		return nil
	}
	var callerFP, callerLR uint64
	sp := last.regs["sp"]
	if fp != 0 {
		var err1, err2 error
		callerFP, err1 = w.mem.ReadUint(fp, 8)
		callerLR, err2 = w.mem.ReadUint(fp+8, 8)
		if err1 != nil || err2 != nil {
			return nil
		}
		sp = fp + 16
	}
	pc, ok := last.regs["x30"]
	regs := map[string]uint64{"sp": sp, "x29": callerFP, "x30": stripPAC(callerLR)}
	if !ok {
		if fp == 0 {
			return nil
		}
		// No link register: the record's return address is this frame's
		// caller, and that caller's own is unknown.
		pc = callerLR
		delete(regs, "x30")
	}
	regs["pc"] = stripPAC(pc)
	for _, r := range arm64CalleeSaved[:10] {
		if v, ok := last.regs[r]; ok {
			regs[r] = v
		}
	}
	return &frame{pc: regs["pc"], regs: regs, trust: TrustFramePointer}
}

// stripPAC clears the pointer-authentication signature a prolog may have
// put in a saved return address's upper bits: user-space addresses fit
// in 48 bits.
func stripPAC(addr uint64) uint64 { return addr & (1<<48 - 1) }
