package peunwind_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	. "github.com/dumpflow/dumpflow/pkg/peunwind"
	"github.com/dumpflow/dumpflow/pkg/peunwind/peunwindtest"
)

// TestUnwindGoWindowsImage lays out main.main → a → b → c on a stack by
// the unwind data of a real Windows image and unwinds it back.
func TestUnwindGoWindowsImage(t *testing.T) {
	img, funcs := peunwindtest.BuildWindowsImage(t)
	im, err := NewImage(bytes.NewReader(img), int64(len(img)))
	if err != nil {
		t.Fatal(err)
	}
	const base = 0x7ff6_1230_0000
	const sentinel = 0x7ff8_0000_1111 // the runtime's return address, outside the image
	l := peunwindtest.LayOut(t, img, funcs, peunwindtest.Chain, base, sentinel)
	c := l.Context
	for i := len(l.PCs) - 2; i >= -1; i-- {
		r, err := im.Unwind(c, base, l.Stack)
		if err != nil {
			t.Fatalf("unwinding from %#x: %v", c.Rip, err)
		}
		if r.Leaf {
			t.Errorf("%#x unwound as a leaf", c.Rip)
		}
		wantRip := uint64(sentinel)
		if i >= 0 {
			wantRip = l.PCs[i]
		}
		if r.Caller.Rip != wantRip || r.Caller.Regs[RSP] != l.SPs[i+1] {
			t.Fatalf("caller of %#x = rip %#x rsp %#x, want rip %#x rsp %#x", c.Rip, r.Caller.Rip, r.Caller.Regs[RSP], wantRip, l.SPs[i+1])
		}
		c = r.Caller
	}
	if c.Regs[RBP] != 0 || c.Regs[RBX] != 0xb0b0 {
		t.Errorf("outermost rbp %#x rbx %#x, want 0 and 0xb0b0", c.Regs[RBP], c.Regs[RBX])
	}
}

// synth builds a minimal mapped PE32+ image whose .pdata lists fns, each
// with the raw UNWIND_INFO bytes given.
func synth(fns []RuntimeFunction, infos map[uint32][]byte) []byte {
	img := make([]byte, 0x3000)
	le := binary.LittleEndian
	img[0], img[1] = 'M', 'Z'
	le.PutUint32(img[0x3c:], 0x80)
	copy(img[0x80:], "PE\x00\x00")
	le.PutUint16(img[0x84:], 0x8664)
	le.PutUint16(img[0x84+16:], 240) // SizeOfOptionalHeader
	opt := img[0x98:]
	le.PutUint16(opt, 0x20b)
	le.PutUint32(opt[108:], 16)
	le.PutUint32(opt[112+24:], 0x1000)
	le.PutUint32(opt[112+28:], uint32(12*len(fns)))
	for i, f := range fns {
		e := img[0x1000+12*i:]
		le.PutUint32(e, f.Begin)
		le.PutUint32(e[4:], f.End)
		le.PutUint32(e[8:], f.UnwindInfo)
	}
	for rva, b := range infos {
		copy(img[rva:], b)
	}
	return img
}

func TestUnwindCodes(t *testing.T) {
	le := binary.LittleEndian
	// fn 0x2100-0x2200 (MSVC style): push rbx (off 1); push rdi (off 2);
	// sub rsp, 0x128 (off 9, ALLOC_LARGE/0 = 37 slots of 8);
	// mov [rsp+0x28], rsi (off 17, SAVE_NONVOL).
	info1 := []byte{1, 17, 6, 0,
		17, OpSaveNonvol | RSI<<4, 5, 0, // offset 5*8 = 0x28
		9, OpAllocLarge, 37, 0,
		2, OpPushNonvol | RDI<<4,
		1, OpPushNonvol | RBX<<4}
	// fn 0x2200-0x2280 is a fragment chained to 0x2100's record.
	info2 := []byte{1 | 4<<3 /* UNW_FLAG_CHAININFO */, 0, 0, 0}
	info2 = le.AppendUint32(info2, 0x2100)
	info2 = le.AppendUint32(info2, 0x2200)
	info2 = le.AppendUint32(info2, 0x2800)
	// fn 0x2300-0x2380: an interrupt handler with a machine frame.
	info3 := []byte{1, 0, 1, 0, 0, OpPushMachFrame}
	img := synth([]RuntimeFunction{{0x2100, 0x2200, 0x2800}, {0x2200, 0x2280, 0x2840}, {0x2300, 0x2380, 0x2880}},
		map[uint32][]byte{0x2800: info1, 0x2840: info2, 0x2880: info3})
	im, err := NewImage(bytes.NewReader(img), int64(len(img)))
	if err != nil {
		t.Fatal(err)
	}
	const base = 0x1_4000_0000
	mem := &peunwindtest.Stack{Base: 0x8000, Bytes: make([]byte, 0x1000)}
	// The stack of fn 0x2100 after its prolog: rsp 0x8100.
	sp := uint64(0x8100)
	mem.Put(sp+0x128, 0xd1d1)                                    // pushed rdi
	mem.Put(sp+0x130, 0xb1b1)                                    // pushed rbx
	mem.Put(sp+0x138, 0x1_4000_2fff)                             // return address
	mem.Put(sp+0x28, 0x5151)                                     // saved rsi
	for _, rip := range []uint64{base + 0x2150, base + 0x2210} { // body, chained fragment
		r, err := im.Unwind(Context{Regs: [16]uint64{RSP: sp}, Rip: rip}, base, mem)
		if err != nil {
			t.Fatal(err)
		}
		got := r.Caller
		if got.Rip != 0x1_4000_2fff || got.Regs[RSP] != sp+0x140 || got.Regs[RBX] != 0xb1b1 || got.Regs[RDI] != 0xd1d1 || got.Regs[RSI] != 0x5151 {
			t.Errorf("rip %#x: caller %+v", rip, got)
		}
	}
	// Inside the prolog after push rbx only (offset 1..2): one pop, then ret.
	mem.Put(0x8400, 0xb2b2)
	mem.Put(0x8408, 0x1_4000_2eee)
	r, err := im.Unwind(Context{Regs: [16]uint64{RSP: 0x8400}, Rip: base + 0x2101}, base, mem)
	if err != nil || r.Caller.Rip != 0x1_4000_2eee || r.Caller.Regs[RBX] != 0xb2b2 || r.Caller.Regs[RSP] != 0x8410 {
		t.Errorf("in prolog: %+v, %v", r.Caller, err)
	}
	// A leaf (no RUNTIME_FUNCTION): the return address is at rsp.
	r, err = im.Unwind(Context{Regs: [16]uint64{RSP: 0x8408}, Rip: base + 0x2290}, base, mem)
	if err != nil || !r.Leaf || r.Caller.Rip != 0x1_4000_2eee {
		t.Errorf("leaf: %+v, %v", r, err)
	}
	// Machine frame: rip at rsp, rsp at rsp+24.
	mem.Put(0x8500, 0x1_4000_2ddd)
	mem.Put(0x8518, 0x8800)
	r, err = im.Unwind(Context{Regs: [16]uint64{RSP: 0x8500}, Rip: base + 0x2310}, base, mem)
	if err != nil || r.Caller.Rip != 0x1_4000_2ddd || r.Caller.Regs[RSP] != 0x8800 {
		t.Errorf("machine frame: %+v, %v", r.Caller, err)
	}
	// Unreadable stack: an error, not a made-up caller.
	if _, err := im.Unwind(Context{Regs: [16]uint64{RSP: 0x100}, Rip: base + 0x2150}, base, mem); err == nil {
		t.Error("unwinding over unreadable stack succeeded")
	}
}

func TestNewImageErrors(t *testing.T) {
	good := synth(nil, nil)
	for name, mutate := range map[string]func([]byte) []byte{
		"short":      func(b []byte) []byte { return b[:10] },
		"no MZ":      func(b []byte) []byte { b[0] = 'X'; return b },
		"no PE":      func(b []byte) []byte { b[0x80] = 'X'; return b },
		"i386":       func(b []byte) []byte { b[0x84] = 0x4c; b[0x85] = 0x01; return b },
		"far lfanew": func(b []byte) []byte { binary.LittleEndian.PutUint32(b[0x3c:], 1<<20); return b },
		"pdata out": func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[0x98+112+24:], 0x2fff)
			binary.LittleEndian.PutUint32(b[0x98+112+28:], 24)
			return b
		},
	} {
		b := mutate(append([]byte(nil), good...))
		if _, err := NewImage(bytes.NewReader(b), int64(len(b))); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err = %v, want ErrFormat", name, err)
		}
	}
	if _, err := NewImage(bytes.NewReader(good), int64(len(good))); err != nil {
		t.Errorf("image without .pdata: %v", err)
	}
}

func FuzzUnwind(f *testing.F) {
	f.Add(synth([]RuntimeFunction{{0x2100, 0x2200, 0x2800}}, map[uint32][]byte{0x2800: {1, 4, 2, 0, 4, OpAllocLarge | 1<<4, 0xff, 0xff}}), uint32(0x2150))
	f.Fuzz(func(t *testing.T, img []byte, rva uint32) {
		im, err := NewImage(bytes.NewReader(img), int64(len(img)))
		if err != nil {
			return
		}
		mem := &peunwindtest.Stack{Base: 0x8000, Bytes: make([]byte, 0x100)}
		c := Context{Regs: [16]uint64{RSP: 0x8000}, Rip: 0x1000 + uint64(rva)}
		_, _ = im.Unwind(c, 0x1000, mem)
		_, _ = im.UnwindActive(c, 0x1000, mem)
	})
}

// TestUnwindActiveEpilog: a thread stopped inside an epilog has undone
// part of its prolog; UnwindActive finishes the epilog, while Unwind (for
// callers) undoes the prolog as usual.
func TestUnwindActiveEpilog(t *testing.T) {
	// fn 0x2100-0x2200: push rbx; push rdi; sub rsp, 0x28 (prolog 6 bytes),
	// and at 0x2180 its epilog: add rsp, 0x28; pop rdi; pop rbx; ret.
	info := []byte{1, 6, 3, 0,
		6, OpAllocSmall | 4<<4, // 0x28 = 4*8+8
		2, OpPushNonvol | RDI<<4,
		1, OpPushNonvol | RBX<<4}
	img := synth([]RuntimeFunction{{0x2100, 0x2200, 0x2800}}, map[uint32][]byte{
		0x2800: info,
		0x2180: {0x48, 0x83, 0xc4, 0x28, 0x5f, 0x5b, 0xc3},
		0x2190: {0x48, 0x8d, 0x65, 0x10, 0x41, 0x5c, 0xc3}, // lea rsp, [rbp+0x10]; pop r12; ret
	})
	im, err := NewImage(bytes.NewReader(img), int64(len(img)))
	if err != nil {
		t.Fatal(err)
	}
	const base = 0x1_4000_0000
	mem := &peunwindtest.Stack{Base: 0x8000, Bytes: make([]byte, 0x1000)}
	sp := uint64(0x8100)
	mem.Put(sp+0x28, 0xd1d1)        // rdi
	mem.Put(sp+0x30, 0xb1b1)        // rbx
	mem.Put(sp+0x38, 0x1_4000_2fff) // return address
	check := func(name string, r Result, err error, rip, rsp uint64) {
		t.Helper()
		if err != nil || r.Caller.Rip != rip || r.Caller.Regs[RSP] != rsp || r.Caller.Regs[RBX] != 0xb1b1 {
			t.Errorf("%s: %+v, %v; want rip %#x rsp %#x", name, r.Caller, err, rip, rsp)
		}
	}
	for _, tc := range []struct {
		name string
		rip  uint64
		sp   uint64
	}{
		{"at add rsp", base + 0x2180, sp},
		{"at pop rdi", base + 0x2184, sp + 0x28},
		{"at pop rbx", base + 0x2185, sp + 0x30},
		{"at ret", base + 0x2186, sp + 0x38},
	} {
		c := Context{Regs: [16]uint64{RSP: tc.sp, RBX: 0xb1b1, RDI: 0xd1d1}, Rip: tc.rip}
		r, err := im.UnwindActive(c, base, mem)
		check(tc.name, r, err, 0x1_4000_2fff, sp+0x40)
	}
	// In the body, UnwindActive and Unwind agree.
	c := Context{Regs: [16]uint64{RSP: sp}, Rip: base + 0x2150}
	r, err := im.UnwindActive(c, base, mem)
	check("body", r, err, 0x1_4000_2fff, sp+0x40)
	// A caller's Rip is never treated as an epilog: at "ret" the prolog is undone.
	c = Context{Regs: [16]uint64{RSP: sp}, Rip: base + 0x2186}
	r, err = im.Unwind(c, base, mem)
	check("caller at ret bytes", r, err, 0x1_4000_2fff, sp+0x40)
	// lea rsp, [rbp+0x10]; pop r12; ret.
	mem.Put(0x8300, 0x1212)
	mem.Put(0x8308, 0x1_4000_2eee)
	c = Context{Regs: [16]uint64{RSP: 0x8200, RBP: 0x82f0, RBX: 0xb1b1}, Rip: base + 0x2190}
	r, err = im.UnwindActive(c, base, mem)
	if err != nil || r.Caller.Rip != 0x1_4000_2eee || r.Caller.Regs[R12] != 0x1212 || r.Caller.Regs[RSP] != 0x8310 {
		t.Errorf("lea epilog: %+v, %v", r.Caller, err)
	}
}

func TestEpilogPatterns(t *testing.T) {
	for _, tc := range []struct {
		code []byte
		ok   bool
	}{
		{[]byte{0xc3}, true},
		{[]byte{0x5b, 0x5d, 0x41, 0x5f, 0xc3}, true},
		{[]byte{0x48, 0x81, 0xc4, 0x00, 0x01, 0x00, 0x00, 0xe9, 1, 2, 3, 4}, true},
		{[]byte{0x48, 0xff, 0x25, 1, 2, 3, 4}, true},
		{[]byte{0x48, 0x89, 0xc8}, false},             // mov rax, rcx
		{[]byte{0x5b, 0x48, 0x89, 0xc8}, false},       // pop then a body instruction
		{[]byte{0x48, 0x8d, 0x64, 0x24, 0x10}, false}, // lea rsp, [rsp+...] via SIB: not an epilog form
		{[]byte{0x5b}, false},                         // cut short
	} {
		if _, ok := EpilogForTest(tc.code); ok != tc.ok {
			t.Errorf("% x: epilog %v, want %v", tc.code, ok, tc.ok)
		}
	}
}
