package dumpfacts

import (
	"context"
	"strconv"
	"time"

	"github.com/dumpflow/dumpflow/pkg/minidump"
	"github.com/dumpflow/dumpflow/pkg/symbols"
)

// Trust says how a frame was found, from most to least certain. The
// names are the JSON values; Breakpad's words for them are in
// Trust.Breakpad.
type Trust string

// Frame trust levels.
const (
	TrustContext      Trust = "context"       // frame 0: the thread's (or exception's) context
	TrustCFI          Trust = "cfi"           // call-frame information: STACK CFI, STACK WIN or PE unwind data
	TrustCFIScan      Trust = "cfi_scan"      // STACK WIN pointed near the return address, a short scan found it
	TrustFramePointer Trust = "frame_pointer" // the callee's frame pointer chain
	TrustScan         Trust = "scan"          // a stack word that points into code: possibly a stale value
)

// Breakpad returns the words Breakpad's minidump_stackwalk prints after
// "Found by:".
func (t Trust) Breakpad() string {
	switch t {
	case TrustContext:
		return "given as instruction pointer in context"
	case TrustCFI:
		return "call frame info"
	case TrustCFIScan:
		return "call frame info with scanning"
	case TrustFramePointer:
		return "previous frame's frame pointer"
	case TrustScan:
		return "stack scanning"
	}
	return "unknown"
}

// Uncertain reports whether the frame came from scanning, so that a
// reader should doubt it.
func (t Trust) Uncertain() bool { return t == TrustScan || t == TrustCFIScan }

// frame is one step of a walk: the registers known in it.
type frame struct {
	pc    uint64
	regs  map[string]uint64 // register names without '$' ("esp", "rbx", "x29")
	trust Trust
	// win is the STACK WIN record used to find this frame's caller; the
	// next step reads its parameter size (.cbCalleeParams).
	win *symbols.WinFrameInfo
}

// lookupPC is the address used to find the frame's function and unwind
// data: a caller's pc is a return address, just past its call.
func (f *frame) lookupPC(i int) uint64 {
	if i == 0 || f.pc == 0 {
		return f.pc
	}
	return f.pc - 1
}

// Search depths, as Breakpad's stackwalker uses them.
const (
	raSearchWords = 40 // words scanned for a caller's return address
	// The context frame's caller may be farther: the crash may have
	// happened before the frame was set up.
	raSearchWordsContext = 4 * raSearchWords
	// maxFrameGap bounds a frame-pointer step (Breakpad's
	// kMaxReasonableGapBetweenFrames).
	maxFrameGap = 128 << 10
)

// walker walks one thread's stack. It is used by one goroutine.
type walker struct {
	arch     minidump.Arch
	ptr      int
	mem      *stackMemory
	mods     *moduleIndex
	syms     *symbolCache // nil without a symbol store
	images   *imageCache  // nil except for amd64
	max      int
	deadline time.Time
	ctx      context.Context
}

// walk returns the frames from the context down, at most w.max, whether
// the walk stopped on that bound with callers left, and whether it
// stopped early on the time budget.
func (w *walker) walk(c minidump.Context) (frames []*frame, more, outOfTime bool) {
	f := &frame{pc: c.PC(), regs: contextRegs(c), trust: TrustContext}
	frames = append(frames, f)
	for {
		if w.ctx.Err() != nil || time.Now().After(w.deadline) {
			return frames, false, true
		}
		var next *frame
		switch w.arch {
		case minidump.ArchX86:
			next = w.callerX86(frames)
		case minidump.ArchAMD64:
			next = w.callerAMD64(frames)
		default:
			next = w.callerARM64(frames)
		}
		if next == nil {
			return frames, false, false
		}
		if len(frames) == w.max {
			return frames, true, false
		}
		frames = append(frames, next)
	}
}

// contextRegs names the context's registers.
func contextRegs(c minidump.Context) map[string]uint64 {
	switch c := c.(type) {
	case *minidump.ContextX86:
		return map[string]uint64{"eip": uint64(c.Eip), "esp": uint64(c.Esp), "ebp": uint64(c.Ebp), "ebx": uint64(c.Ebx),
			"esi": uint64(c.Esi), "edi": uint64(c.Edi), "eax": uint64(c.Eax), "ecx": uint64(c.Ecx), "edx": uint64(c.Edx)}
	case *minidump.ContextAMD64:
		return map[string]uint64{"rip": c.Rip, "rsp": c.Rsp, "rbp": c.Rbp, "rax": c.Rax, "rbx": c.Rbx, "rcx": c.Rcx,
			"rdx": c.Rdx, "rsi": c.Rsi, "rdi": c.Rdi, "r8": c.R8, "r9": c.R9, "r10": c.R10, "r11": c.R11,
			"r12": c.R12, "r13": c.R13, "r14": c.R14, "r15": c.R15}
	case *minidump.ContextARM64:
		m := map[string]uint64{"pc": c.Pc, "sp": c.Sp}
		for i, x := range c.X {
			m[regX(i)] = x
		}
		return m
	}
	return map[string]uint64{}
}

var xNames = func() (n [31]string) {
	for i := range n {
		n[i] = "x" + strconv.Itoa(i)
	}
	return n
}()

func regX(i int) string { return xNames[i] }

// validCode reports whether addr looks like code a caller returns to:
// inside a module, and inside a known function when the module's
// symbols are loaded (Breakpad's InstructionAddressSeemsValid).
//
// The first page of an image holds its headers, not code: a word there
// is a module handle (HMODULE), which Breakpad's walks never report as a
// caller either.
func (w *walker) validCode(addr uint64) bool {
	m := w.mods.find(addr)
	if m == nil || addr-m.BaseOfImage < 0x1000 {
		return false
	}
	if w.syms == nil {
		return true
	}
	t := w.syms.table(w.ctx, m)
	if t == nil {
		return true
	}
	_, ok := t.Function(addr - m.BaseOfImage)
	return ok
}

// scan looks for a return address in the words words from start up; it
// returns the address and where it was found.
func (w *walker) scan(start uint64, words int) (ip, at uint64, ok bool) {
	for i := 0; i <= words; i++ {
		loc := start + uint64(i*w.ptr)
		v, err := w.mem.ReadUint(loc, w.ptr)
		if err != nil {
			return 0, 0, false
		}
		if w.validCode(v) {
			return v, loc, true
		}
	}
	return 0, 0, false
}

// searchWords is the scan depth for the caller of frames' last frame.
func searchWords(frames []*frame) int {
	if len(frames) == 1 {
		return raSearchWordsContext
	}
	return raSearchWords
}

// cfiCaller finds the caller with STACK CFI rules from the symbols:
// .cfa and .ra first, then every register rule; callee-saved registers
// without a rule keep their values. sp and pc name the architecture's
// stack pointer and instruction pointer.
func (w *walker) cfiCaller(last *frame, idx int, calleeSaved []string, sp, pc string) *frame {
	if w.syms == nil {
		return nil
	}
	m := w.mods.find(last.lookupPC(idx))
	if m == nil {
		return nil
	}
	t := w.syms.table(w.ctx, m)
	if t == nil {
		return nil
	}
	rules, ok := t.CFI(last.lookupPC(idx) - m.BaseOfImage)
	if !ok || rules[".cfa"] == "" || rules[".ra"] == "" {
		return nil
	}
	vars := make(map[string]uint64, 2*len(last.regs)+1)
	for k, v := range last.regs {
		vars[k], vars["$"+k] = v, v
	}
	cfa, err := symbols.Eval(rules[".cfa"], vars, w.mem, w.ptr)
	if err != nil {
		return nil
	}
	vars[".cfa"] = cfa
	ra, err := symbols.Eval(rules[".ra"], vars, w.mem, w.ptr)
	if err != nil {
		return nil
	}
	regs := map[string]uint64{}
	for _, r := range calleeSaved {
		if v, ok := last.regs[r]; ok {
			regs[r] = v
		}
	}
	for name, expr := range rules {
		if name == ".cfa" || name == ".ra" {
			continue
		}
		v, err := symbols.Eval(expr, vars, w.mem, w.ptr)
		if err != nil {
			continue
		}
		regs[trimDollar(name)] = v
	}
	regs[sp], regs[pc] = cfa, ra
	return &frame{pc: ra, regs: regs, trust: TrustCFI}
}

func trimDollar(s string) string {
	if len(s) > 0 && s[0] == '$' {
		return s[1:]
	}
	return s
}
