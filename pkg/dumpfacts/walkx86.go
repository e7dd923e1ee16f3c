package dumpfacts

import (
	"strings"

	"github.com/dumpflow/dumpflow/pkg/symbols"
)

// x86CalleeSaved are the registers a callee preserves.
var x86CalleeSaved = []string{"ebp", "ebx", "esi", "edi"}

// callerX86 finds the caller of the last frame as Breakpad's x86
// stackwalker does: STACK WIN frame data, then STACK CFI, then the
// %ebp chain (with a scan when %ebp is unreadable).
func (w *walker) callerX86(frames []*frame) *frame {
	i := len(frames) - 1
	last := frames[i]
	var next *frame
	if info, ok := w.winInfo(last, i); ok {
		next = w.winCaller(frames, info)
	}
	if next == nil {
		next = w.cfiCaller(last, i, x86CalleeSaved, "esp", "eip")
		if next != nil {
			if _, ok := next.regs["ebp"]; !ok {
				next = nil // Breakpad requires eip, esp and ebp
			}
		}
	}
	if next == nil {
		next = w.ebpCaller(frames)
	}
	// End of stack: no caller, an instruction address in the first page
	// (0 marks the end; Breakpad's other walkers stop below 4 KiB too),
	// or a stack pointer that did not move up.
	if next == nil || next.pc < 1<<12 || next.regs["esp"] <= last.regs["esp"] {
		return nil
	}
	return next
}

// winInfo is the STACK WIN record for the frame's address.
func (w *walker) winInfo(f *frame, i int) (symbols.WinFrameInfo, bool) {
	if w.syms == nil {
		return symbols.WinFrameInfo{}, false
	}
	pc := f.lookupPC(i)
	m := w.mods.find(pc)
	if m == nil {
		return symbols.WinFrameInfo{}, false
	}
	t := w.syms.table(w.ctx, m)
	if t == nil {
		return symbols.WinFrameInfo{}, false
	}
	return t.FrameInfo(pc - m.BaseOfImage)
}

// STACK WIN types (the record's first field).
const winTypeFPO = 0

// winCaller runs the STACK WIN program (or the one Breakpad substitutes
// for records without one) with Breakpad's dictionary and its return
// address search heuristics (GetCallerByWindowsFrameInfo).
func (w *walker) winCaller(frames []*frame, info symbols.WinFrameInfo) *frame {
	last := frames[len(frames)-1]
	last.win = &info
	var calleeParams uint64
	if len(frames) >= 2 && frames[len(frames)-2].win != nil {
		calleeParams = uint64(frames[len(frames)-2].win.ParameterSize)
	}
	esp, ebp := last.regs["esp"], last.regs["ebp"]
	raSearchStart := esp + calleeParams + uint64(info.LocalSize) + uint64(info.SavedRegisterSize)
	// The stack may have been aligned: look up to three words above.
	old := raSearchStart
	if found, at, ok := w.scan(raSearchStart, 3); ok {
		raSearchStart = at
		if last.trust == TrustContext && info.Type == winTypeFPO && at == old && found == last.pc {
			// An FPO system call whose callee returned: the word on top
			// of the stack is the current instruction; skip it.
			raSearchStart += 4
			if _, at, ok := w.scan(raSearchStart, 3); ok {
				raSearchStart = at
			}
		}
	}
	program, recoverEBP := info.Program, true
	switch {
	case info.HasProgram && program != "":
	case info.AllocatesBasePointer:
		program = "$eip .raSearchStart ^ = $ebp $esp .cbCalleeParams + .cbSavedRegs + 8 - ^ = $esp .raSearchStart 4 + ="
	default:
		program, recoverEBP = "$eip .raSearchStart ^ = $esp .raSearchStart 4 + =", false
	}
	if strings.Contains(program, "@") {
		// An aligned frame: only %ebp locates the return address.
		raSearchStart = ebp + 4
	}
	dict := map[string]uint64{"$ebp": ebp, "$esp": esp, ".cbCalleeParams": calleeParams,
		".cbSavedRegs": uint64(info.SavedRegisterSize), ".cbLocals": uint64(info.LocalSize),
		".cbParams": uint64(info.ParameterSize), ".raSearchStart": raSearchStart, ".raSearch": raSearchStart}
	if v, ok := last.regs["ebx"]; ok {
		dict["$ebx"] = v
	}
	trust := TrustCFI
	out, err := symbols.EvalProgram(program, dict, w.mem)
	_, hasEIP := out["$eip"]
	if err != nil || !hasEIP {
		ip, at, ok := w.scan(esp, searchWords(frames))
		if !ok {
			return nil
		}
		out = map[string]uint64{"$eip": ip, "$esp": at + 4, "$ebp": ebp}
		trust = TrustScan
	}
	if out["$eip"] != 0 || out["$ebp"] != 0 {
		var offset uint64
		if w.mods.find(out["$eip"]) == nil {
			start := raSearchStart + 4
			if ip, at, ok := w.scan(start, searchWords(frames)); ok {
				out["$eip"], out["$esp"] = ip, at+4
				offset = at - start
				trust = TrustCFIScan
			}
		}
		if recoverEBP {
			newEBP, ok := out["$ebp"]
			skipped := trust != TrustCFI && newEBP <= raSearchStart+offset
			if _, err := w.mem.ReadUint(newEBP, 4); !ok || skipped || err != nil {
				end := esp + calleeParams
				for loc := end + uint64(info.SavedRegisterSize) + offset; loc >= end; loc -= 4 {
					v, err := w.mem.ReadUint(loc, 4)
					if err != nil {
						break
					}
					if _, err := w.mem.ReadUint(v, 4); err == nil {
						out["$ebp"] = v
						break
					}
				}
			}
		}
	}
	regs := map[string]uint64{"eip": out["$eip"] & 0xffffffff, "esp": out["$esp"] & 0xffffffff, "ebp": out["$ebp"] & 0xffffffff}
	for _, r := range []string{"ebx", "esi", "edi"} {
		if v, ok := out["$"+r]; ok {
			regs[r] = v & 0xffffffff
		}
	}
	return &frame{pc: regs["eip"], regs: regs, trust: trust}
}

// ebpCaller assumes the standard frame: the caller's %ebp at [%ebp] and
// the return address above it. When %ebp does not point into the stack,
// it scans for a return address (GetCallerByEBPAtBase).
func (w *walker) ebpCaller(frames []*frame) *frame {
	last := frames[len(frames)-1]
	esp, ebp := last.regs["esp"], last.regs["ebp"]
	ip, err1 := w.mem.ReadUint(ebp+4, 4)
	callerEBP, err2 := w.mem.ReadUint(ebp, 4)
	if err1 == nil && err2 == nil {
		return &frame{pc: ip, regs: map[string]uint64{"eip": ip, "esp": ebp + 8, "ebp": callerEBP}, trust: TrustFramePointer}
	}
	ip, at, ok := w.scan(esp, searchWords(frames))
	if !ok {
		return nil
	}
	callerESP := at + 4
	// The caller's %ebp was likely pushed just below the return address.
	chain := callerESP - 8
	callerEBP, err := w.mem.ReadUint(chain, 4)
	if err != nil || callerEBP <= chain || callerEBP-chain > maxFrameGap {
		callerEBP = ebp
	}
	return &frame{pc: ip, regs: map[string]uint64{"eip": ip, "esp": callerESP, "ebp": callerEBP}, trust: TrustScan}
}
