package dumpfacts

import (
	"context"
	"strings"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/minidump"
	"github.com/dumpflow/dumpflow/pkg/symbols"
	"github.com/dumpflow/dumpflow/test/kudusim/dumpgen"
)

// fakeTable is one module's symbols: a function per entry and one CFI
// rule set for all of them.
type fakeTable struct {
	funcs map[uint64]string // entry RVA → name, each 0x100 long
	cfi   symbols.CFIRules
	win   map[uint64]symbols.WinFrameInfo // entry RVA → STACK WIN record
}

func (f fakeTable) Function(rva uint64) (symbols.Function, bool) {
	for e, n := range f.funcs {
		if rva >= e && rva < e+0x100 {
			return symbols.Function{Name: n, Entry: e}, true
		}
	}
	return symbols.Function{}, false
}

func (f fakeTable) CFI(rva uint64) (symbols.CFIRules, bool) {
	if _, ok := f.Function(rva); !ok || f.cfi == nil {
		return nil, false
	}
	out := symbols.CFIRules{}
	for k, v := range f.cfi {
		out[k] = v
	}
	return out, true
}

func (f fakeTable) FrameInfo(rva uint64) (symbols.WinFrameInfo, bool) {
	for e, w := range f.win {
		if rva >= e && rva < e+0x100 {
			return w, true
		}
	}
	return symbols.WinFrameInfo{}, false
}

// fakeStore has symbols for the modules named in tables only.
type fakeStore map[string]symbols.Table

func (s fakeStore) Load(_ context.Context, m symbols.Module) (symbols.Table, error) {
	base := m.CodeFile[strings.LastIndexByte(m.CodeFile, '\\')+1:]
	if t, ok := s[base]; ok {
		return t, nil
	}
	return nil, symbols.ErrNotFound
}

// TestWalkAMD64WithCFI walks an x64 thread whose module has STACK CFI
// rules: the caller comes from the rules (return address and a restored
// callee-saved register), named by the module's functions.
func TestWalkAMD64WithCFI(t *testing.T) {
	s := dumpgen.SampleSpec(4120, 0, 0)
	clr := specModule(t, s, "clr.dll")
	d := genDump(t, s)
	th := d.thread(t, 0)
	stackLo, stackRVA := lee.Uint64(th[24:]), lee.Uint32(th[36:])
	ctx := d[lee.Uint32(th[44:]):]
	sp := stackLo + 0x100
	rip := clr.Base + 0x2010
	ret := clr.Base + 0x3042
	lee.PutUint64(ctx[152:], sp)     // Rsp
	lee.PutUint64(ctx[248:], rip)    // Rip
	lee.PutUint64(ctx[144:], 0x1111) // Rbx in the callee
	// The callee's frame: 0x18 bytes of locals, the caller's rbx, then the return address.
	stack := d[stackRVA:]
	lee.PutUint64(stack[0x100+0x18:], 0xb0b0) // saved rbx
	lee.PutUint64(stack[0x100+0x20:], ret)
	store := fakeStore{"clr.dll": fakeTable{
		funcs: map[uint64]string{0x2000: "Callee", 0x3000: "Caller"},
		cfi:   symbols.CFIRules{".cfa": "$rsp 40 +", ".ra": ".cfa 8 - ^", "$rbx": ".cfa 16 - ^"},
	}}
	r, err := minidump.NewReader(newBytesReader(d), int64(len(d)))
	if err != nil {
		t.Fatal(err)
	}
	a, err := Analyze(context.Background(), r, Options{Symbols: store})
	if err != nil {
		t.Fatal(err)
	}
	st := a.Threads[0].Stack
	if len(st) < 2 {
		t.Fatalf("stack %v", a.Threads[0].Frames)
	}
	if st[0].String() != "clr.dll!Callee + 0x10" || st[1].String() != "clr.dll!Caller + 0x42" || st[1].Trust != TrustCFI {
		t.Errorf("frames %s (%s), %s (%s)", st[0], st[0].Trust, st[1], st[1].Trust)
	}
	if len(a.SymbolsMissing) == 0 {
		t.Error("modules without symbols not listed")
	}
	for _, m := range a.SymbolsMissing {
		if m == "clr.dll" {
			t.Errorf("clr.dll listed as missing symbols: %v", a.SymbolsMissing)
		}
	}
}

// TestWalkARM64FramePointer walks an ARM64 thread as Breakpad does: the
// caller's pc is the link register, and each frame record {x29, x30}
// gives the next caller's.
func TestWalkARM64FramePointer(t *testing.T) {
	s := dumpgen.SampleSpec(4120, 0, 0)
	clr := specModule(t, s, "clr.dll")
	d := genDump(t, s)
	_, si := d.stream(t, minidump.SystemInfoStream)
	lee.PutUint16(si[0:], uint16(minidump.ArchARM64))
	th := d.thread(t, 0)
	stackLo, stackRVA := lee.Uint64(th[24:]), lee.Uint32(th[36:])
	ctx := d[lee.Uint32(th[44:]):]
	clear(ctx[:912])
	sp := stackLo + 0x100
	fp1, fp2 := sp+0x40, sp+0x80
	lee.PutUint64(ctx[8+29*8:], fp1)                        // x29
	lee.PutUint64(ctx[8+30*8:], clr.Base+0x3042|0x002a<<48) // x30, signed by pointer authentication
	lee.PutUint64(ctx[256:], sp)
	lee.PutUint64(ctx[264:], clr.Base+0x2010)
	stack := d[stackRVA:]
	for _, w := range []struct{ at, v uint64 }{{fp1, fp2}, {fp1 + 8, clr.Base + 0x4010}, {fp2, 0}, {fp2 + 8, 0}} {
		lee.PutUint64(stack[w.at-stackLo:], w.v)
	}
	a := d.analyze(t, Options{})
	want := []string{"clr.dll+0x2010", "clr.dll+0x3042", "clr.dll+0x4010"}
	st := a.Threads[0].Stack
	if len(st) != len(want) {
		t.Fatalf("stack %v, want %v", a.Threads[0].Frames, want)
	}
	for i, w := range want {
		trust := TrustFramePointer
		if i == 0 {
			trust = TrustContext
		}
		if st[i].Short() != w || st[i].Trust != trust {
			t.Errorf("frame %d = %s (%s), want %s (%s)", i, st[i].Short(), st[i].Trust, w, trust)
		}
	}
}

// specModule is the spec's module with the given file name.
func specModule(t *testing.T, s dumpgen.Spec, name string) dumpgen.Module {
	t.Helper()
	for _, m := range s.Modules {
		if strings.HasSuffix(m.Path, `\`+name) {
			return m
		}
	}
	t.Fatalf("no %s in the spec", name)
	return dumpgen.Module{}
}

// TestWalkX86FrameData walks x86 frames described by STACK WIN records
// without a program, the two forms Breakpad fills in itself: an FPO
// function that keeps %ebp untouched, then one that allocates %ebp for
// its own use and saves the caller's in its saved-register area.
func TestWalkX86FrameData(t *testing.T) {
	s := dumpgen.SampleSpec(4120, 0, 0)
	s.Modules = append(s.Modules, dumpgen.Module{Path: `C:\app\x86app.exe`, Base: 0x400000, Size: 0x10000})
	d := genDump(t, s)
	_, si := d.stream(t, minidump.SystemInfoStream)
	lee.PutUint16(si[0:], uint16(minidump.ArchX86))
	th := d.thread(t, 0)
	const stackLo = 0x120000
	lee.PutUint64(th[24:], stackLo) // the stack now lives in 32-bit space
	stack := d[lee.Uint32(th[36:]):]
	ctx := d[lee.Uint32(th[44:]):]
	clear(ctx[:716])
	esp := uint32(stackLo + 0x100)
	put := func(addr, v uint32) { lee.PutUint32(stack[addr-stackLo:], v) }
	lee.PutUint32(ctx[184:], 0x401010) // eip in Leaf
	lee.PutUint32(ctx[196:], esp)
	lee.PutUint32(ctx[180:], 0x5555) // ebp: not a frame pointer here
	// Leaf (FPO, no program): 8 bytes of locals, 4 of saved registers,
	// then the return address into Middle; it takes 4 bytes of parameters.
	put(esp+12, 0x402020)
	// Middle allocates %ebp: its caller's %ebp sits at
	// esp + callee params + saved regs - 8, its return address above its
	// locals and saved registers.
	mid := esp + 16             // Middle's %esp once Leaf returned (Leaf's parameters still pushed)
	put(mid+4+8-8, 0x1200f0)    // saved %ebp of Outer
	put(mid+4+8+0x10, 0x403030) // return address into Outer
	store := fakeStore{"x86app.exe": fakeTable{
		funcs: map[uint64]string{0x1000: "Leaf", 0x2000: "Middle", 0x3000: "Outer"},
		win: map[uint64]symbols.WinFrameInfo{
			0x1000: {Type: 0, RVA: 0x1000, CodeSize: 0x100, LocalSize: 8, SavedRegisterSize: 4, ParameterSize: 4},
			0x2000: {Type: 0, RVA: 0x2000, CodeSize: 0x100, LocalSize: 0x10, SavedRegisterSize: 8, AllocatesBasePointer: true},
		},
	}}
	a := d.analyze(t, Options{Symbols: store})
	st := a.Threads[0].Stack
	want := []string{"x86app.exe!Leaf + 0x10", "x86app.exe!Middle + 0x20", "x86app.exe!Outer + 0x30"}
	if len(st) < len(want) {
		t.Fatalf("stack %v", a.Threads[0].Frames)
	}
	for i, w := range want {
		trust := TrustCFI
		if i == 0 {
			trust = TrustContext
		}
		if st[i].String() != w || st[i].Trust != trust {
			t.Errorf("frame %d = %s (%s), want %s (%s)", i, st[i], st[i].Trust, w, trust)
		}
	}
}
