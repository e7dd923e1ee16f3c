package minidump

import "fmt"

// Context is a thread's CPU context. The concrete type is *ContextX86,
// *ContextAMD64 or *ContextARM64.
type Context interface {
	Arch() Arch
	// PC is the instruction pointer.
	PC() uint64
	// SP is the stack pointer.
	SP() uint64
	// FP is the frame pointer (ebp, rbp, x29).
	FP() uint64
}

// ContextX86 holds the integer registers of an x86 CONTEXT (716 bytes).
type ContextX86 struct {
	ContextFlags                           uint32
	Edi, Esi, Ebx, Edx, Ecx, Eax, Ebp, Eip uint32
	SegCs, EFlags, Esp, SegSs              uint32
	SegGs, SegFs, SegEs, SegDs             uint32
}

func (*ContextX86) Arch() Arch   { return ArchX86 }
func (c *ContextX86) PC() uint64 { return uint64(c.Eip) }
func (c *ContextX86) SP() uint64 { return uint64(c.Esp) }
func (c *ContextX86) FP() uint64 { return uint64(c.Ebp) }

// ContextAMD64 holds the integer registers of an AMD64 CONTEXT (1232
// bytes, or more with XSTATE).
type ContextAMD64 struct {
	ContextFlags, MxCsr                      uint32
	SegCs, SegDs, SegEs, SegFs, SegGs, SegSs uint16
	EFlags                                   uint32
	Rax, Rcx, Rdx, Rbx, Rsp, Rbp, Rsi, Rdi   uint64
	R8, R9, R10, R11, R12, R13, R14, R15     uint64
	Rip                                      uint64
}

func (*ContextAMD64) Arch() Arch   { return ArchAMD64 }
func (c *ContextAMD64) PC() uint64 { return c.Rip }
func (c *ContextAMD64) SP() uint64 { return c.Rsp }
func (c *ContextAMD64) FP() uint64 { return c.Rbp }

// ContextARM64 holds the integer registers of an ARM64 CONTEXT (912 bytes).
type ContextARM64 struct {
	ContextFlags, Cpsr uint32
	X                  [31]uint64 // X[29] is the frame pointer, X[30] the link register
	Sp, Pc             uint64
}

func (*ContextARM64) Arch() Arch   { return ArchARM64 }
func (c *ContextARM64) PC() uint64 { return c.Pc }
func (c *ContextARM64) SP() uint64 { return c.Sp }
func (c *ContextARM64) FP() uint64 { return c.X[29] }

// Context sizes.
const (
	contextX86Size   = 716
	contextAMD64Size = 1232
	contextARM64Size = 912
	// x86 contexts without ExtendedRegisters are 204 bytes.
	contextX86MinSize = 204
)

// ReadContext parses the thread context at loc. The architecture comes
// from the SystemInfo stream, or from the context size without one.
func (m *Reader) ReadContext(loc Location) (Context, error) {
	arch := ArchUnknown
	if si, err := m.SystemInfo(); err == nil {
		arch = si.ProcessorArchitecture
	}
	if arch == ArchUnknown || (arch != ArchX86 && arch != ArchAMD64 && arch != ArchARM64 && arch != archARM64Breakpad) {
		switch loc.DataSize {
		case contextX86Size:
			arch = ArchX86
		case contextAMD64Size:
			arch = ArchAMD64
		case contextARM64Size:
			arch = ArchARM64
		default:
			return nil, formatErr(int64(loc.Rva), "context of unknown architecture", loc.DataSize)
		}
	}
	need := map[Arch]uint32{ArchX86: contextX86MinSize, ArchAMD64: contextAMD64Size, ArchARM64: contextARM64Size, archARM64Breakpad: contextARM64Size}[arch]
	if loc.DataSize < need {
		return nil, formatErr(int64(loc.Rva), fmt.Sprintf("%s context too short", arch), loc.DataSize)
	}
	b, err := m.readAt(int64(loc.Rva), int64(need), "thread context")
	if err != nil {
		return nil, err
	}
	switch arch {
	case ArchX86:
		u := func(o int) uint32 { return le.Uint32(b[o:]) }
		return &ContextX86{ContextFlags: u(0), SegGs: u(140), SegFs: u(144), SegEs: u(148), SegDs: u(152),
			Edi: u(156), Esi: u(160), Ebx: u(164), Edx: u(168), Ecx: u(172), Eax: u(176), Ebp: u(180), Eip: u(184),
			SegCs: u(188), EFlags: u(192), Esp: u(196), SegSs: u(200)}, nil
	case ArchAMD64:
		q := func(o int) uint64 { return le.Uint64(b[o:]) }
		h := func(o int) uint16 { return le.Uint16(b[o:]) }
		return &ContextAMD64{ContextFlags: le.Uint32(b[48:]), MxCsr: le.Uint32(b[52:]),
			SegCs: h(56), SegDs: h(58), SegEs: h(60), SegFs: h(62), SegGs: h(64), SegSs: h(66), EFlags: le.Uint32(b[68:]),
			Rax: q(120), Rcx: q(128), Rdx: q(136), Rbx: q(144), Rsp: q(152), Rbp: q(160), Rsi: q(168), Rdi: q(176),
			R8: q(184), R9: q(192), R10: q(200), R11: q(208), R12: q(216), R13: q(224), R14: q(232), R15: q(240),
			Rip: q(248)}, nil
	default:
		c := &ContextARM64{ContextFlags: le.Uint32(b), Cpsr: le.Uint32(b[4:]), Sp: le.Uint64(b[256:]), Pc: le.Uint64(b[264:])}
		for i := range c.X {
			c.X[i] = le.Uint64(b[8+8*i:])
		}
		return c, nil
	}
}
