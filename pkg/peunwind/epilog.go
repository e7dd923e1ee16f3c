package peunwind

import "fmt"

// maxEpilog bounds the code bytes read to recognise an epilog: an
// allocation undo (7 bytes), eight pops (16) and a return or jump (6).
const maxEpilog = 32

// epilog recognises the code at a frame's instruction pointer as an x64
// epilog, the only form the Windows ABI allows after a prolog: an
// optional `add rsp, imm` or `lea rsp, [frame register + disp]`, pops of
// non-volatile registers, then `ret` or a tail-call `jmp`. It returns the
// steps to run, or false when the code is anything else (the body).
func epilog(code []byte) (steps []epilogStep, ok bool) {
	i := 0
	// add rsp, imm8 / imm32
	switch {
	case len(code) >= 4 && code[0] == 0x48 && code[1] == 0x83 && code[2] == 0xc4:
		steps = append(steps, epilogStep{op: stepAdd, value: uint64(int64(int8(code[3])))})
		i = 4
	case len(code) >= 7 && code[0] == 0x48 && code[1] == 0x81 && code[2] == 0xc4:
		steps = append(steps, epilogStep{op: stepAdd, value: uint64(int64(int32(le.Uint32(code[3:]))))})
		i = 7
	case len(code) >= 4 && (code[0] == 0x48 || code[0] == 0x49) && code[1] == 0x8d:
		// lea rsp, [reg + disp8/disp32]: ModRM reg field 4 (rsp), mod 1 or 2.
		modrm := code[2]
		mod, reg, rm := modrm>>6, (modrm>>3)&7, modrm&7
		base := rm
		if code[0] == 0x49 {
			base += 8
		}
		if reg != 4 || rm == 4 || (mod != 1 && mod != 2) {
			return nil, false
		}
		if mod == 1 {
			steps = append(steps, epilogStep{op: stepLea, reg: base, value: uint64(int64(int8(code[3])))})
			i = 4
		} else {
			if len(code) < 7 {
				return nil, false
			}
			steps = append(steps, epilogStep{op: stepLea, reg: base, value: uint64(int64(int32(le.Uint32(code[3:]))))})
			i = 7
		}
	}
	for i < len(code) {
		switch c := code[i]; {
		case c >= 0x58 && c <= 0x5f: // pop rax..rdi
			steps = append(steps, epilogStep{op: stepPop, reg: c - 0x58})
			i++
		case c == 0x41 && i+1 < len(code) && code[i+1] >= 0x58 && code[i+1] <= 0x5f: // pop r8..r15
			steps = append(steps, epilogStep{op: stepPop, reg: code[i+1] - 0x58 + 8})
			i += 2
		case c == 0xc3, c == 0xe9, // ret, jmp rel32
			c == 0xff && i+1 < len(code) && code[i+1] == 0x25,                      // jmp [rip+disp32]
			c == 0x48 && i+2 < len(code) && code[i+1] == 0xff && code[i+2] == 0x25: // rex.w jmp [rip+disp32]
			return steps, true
		default:
			return nil, false
		}
	}
	return nil, false
}

type epilogOp uint8

const (
	stepAdd epilogOp = iota
	stepLea
	stepPop
)

type epilogStep struct {
	op    epilogOp
	reg   uint8
	value uint64
}

// runEpilog finishes the epilog from c and pops the return address.
func runEpilog(c Context, steps []epilogStep, mem Memory) (Context, error) {
	for _, s := range steps {
		switch s.op {
		case stepAdd:
			c.Regs[RSP] += s.value
		case stepLea:
			c.Regs[RSP] = c.Regs[s.reg] + s.value
		case stepPop:
			v, err := mem.ReadUint64(c.Regs[RSP])
			if err != nil {
				return c, fmt.Errorf("peunwind: epilog pop of register %d: %w", s.reg, err)
			}
			c.Regs[s.reg] = v
			c.Regs[RSP] += 8
		}
	}
	ra, err := mem.ReadUint64(c.Regs[RSP])
	if err != nil {
		return c, fmt.Errorf("peunwind: return address at %#x: %w", c.Regs[RSP], err)
	}
	c.Rip = ra
	c.Regs[RSP] += 8
	return c, nil
}
