package dumpfacts

import (
	"github.com/dumpflow/dumpflow/pkg/peunwind"
)

// amd64CalleeSaved are the registers a Windows x64 callee preserves.
var amd64CalleeSaved = []string{"rbx", "rbp", "rsi", "rdi", "r12", "r13", "r14", "r15"}

// amd64Regs orders the registers as x64 unwind codes number them.
var amd64Regs = [16]string{"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"}

// callerAMD64 finds the caller of the last frame: STACK CFI from the
// symbols, then the PE unwind data of the module when its image is in
// the dump, then the %rbp chain, then a scan.
func (w *walker) callerAMD64(frames []*frame) *frame {
	i := len(frames) - 1
	last := frames[i]
	next := w.cfiCaller(last, i, amd64CalleeSaved, "rsp", "rip")
	if next == nil {
		next = w.peCaller(last, i)
	}
	if next == nil {
		next = w.rbpCaller(last)
	}
	if next == nil {
		next = w.scanCaller(frames, "rsp", "rip", "rbp")
	}
	if next == nil || terminate(next.pc, next.regs["rsp"], last.regs["rsp"], i == 0) {
		return nil
	}
	return next
}

// terminate is Breakpad's end-of-stack test: an instruction address in
// the first page, or a stack pointer that did not move up (it may stay
// put only for the first unwind, from a leaf).
func terminate(pc, sp, calleeSP uint64, first bool) bool {
	if pc < 1<<12 {
		return true
	}
	if first {
		return sp < calleeSP
	}
	return sp <= calleeSP
}

// peCaller unwinds with the module's .pdata/.xdata, read from the image
// bytes the dump holds.
func (w *walker) peCaller(last *frame, i int) *frame {
	if w.images == nil {
		return nil
	}
	m := w.mods.find(last.lookupPC(i))
	if m == nil {
		return nil
	}
	im := w.images.image(m)
	if im == nil {
		return nil
	}
	var c peunwind.Context
	for n, name := range amd64Regs {
		c.Regs[n] = last.regs[name]
	}
	// A caller's pc is a return address that may be the first byte of
	// the next function; unwind from the call instruction instead.
	c.Rip = last.lookupPC(i)
	unwind := im.Unwind
	if i == 0 {
		unwind = im.UnwindActive // the thread may have stopped in an epilog
	}
	r, err := unwind(c, m.BaseOfImage, w.mem)
	if err != nil {
		return nil
	}
	regs := map[string]uint64{"rip": r.Caller.Rip, "rsp": r.Caller.Regs[peunwind.RSP]}
	for _, name := range amd64CalleeSaved {
		for n, rn := range amd64Regs {
			if rn == name {
				regs[name] = r.Caller.Regs[n]
			}
		}
	}
	return &frame{pc: r.Caller.Rip, regs: regs, trust: TrustCFI}
}

// rbpCaller follows the frame pointer: the caller's %rbp at [%rbp], the
// return address above it (GetCallerByFramePointerRecovery).
func (w *walker) rbpCaller(last *frame) *frame {
	rbp := last.regs["rbp"]
	if rbp%8 != 0 {
		return nil
	}
	callerRBP, err1 := w.mem.ReadUint(rbp, 8)
	ip, err2 := w.mem.ReadUint(rbp+8, 8)
	if err1 != nil || err2 != nil {
		return nil
	}
	rsp := rbp + 16
	// A non-canonical return address means %rbp was not a frame pointer
	// (MSVC debug builds fill frames with 0xcc…); scan instead.
	if callerRBP < rbp || rsp < last.regs["rsp"] || nonCanonical(ip) {
		return nil
	}
	// The caller's frame pointer must still point into the stack.
	if _, err := w.mem.ReadUint(callerRBP, 8); err != nil {
		return nil
	}
	regs := map[string]uint64{"rip": ip, "rsp": rsp, "rbp": callerRBP}
	for _, r := range []string{"rbx", "rsi", "rdi", "r12", "r13", "r14", "r15"} {
		if v, ok := last.regs[r]; ok {
			regs[r] = v
		}
	}
	return &frame{pc: ip, regs: regs, trust: TrustFramePointer}
}

// scanCaller looks for a return address from the stack pointer up. The
// frame pointer is restored when the word below the return address
// looks like a saved one.
func (w *walker) scanCaller(frames []*frame, sp, pc, fp string) *frame {
	last := frames[len(frames)-1]
	ip, at, ok := w.scan(last.regs[sp], searchWords(frames))
	if !ok {
		return nil
	}
	// The frame pointer carries over, or is restored when the callee
	// pushed it just below the return address (Breakpad's
	// GetCallerByStackScan).
	lastFP := last.regs[fp]
	regs := map[string]uint64{pc: ip, sp: at + uint64(w.ptr), fp: lastFP}
	if at-uint64(w.ptr) == lastFP {
		if v, err := w.mem.ReadUint(lastFP, w.ptr); err == nil && v > at {
			regs[fp] = v
		}
	}
	return &frame{pc: ip, regs: regs, trust: TrustScan}
}

// nonCanonical reports whether addr is outside both halves of the x64
// 48-bit address space.
func nonCanonical(addr uint64) bool { return addr > 0x7fff_ffff_ffff && addr < 0xffff_8000_0000_0000 }
