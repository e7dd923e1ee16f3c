package symbols

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

func parseString(t *testing.T, s string) *SymbolFile {
	t.Helper()
	sf, err := Parse(strings.NewReader(s))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return sf
}

// The frames of minidump2.dmp's crashing thread as Breakpad's minidump_stackwalk prints
// them with these symbols (minidumps/breakpad/minidump2.breakpad-stackwalk-symbols.txt):
// module bases test_app.exe 0x00400000 and kernel32.dll 0x7c800000. Breakpad looks up a
// caller frame at its return address minus one and prints the offset from the return
// address itself.
func TestSharedMinidump2Frames(t *testing.T) {
	app, err := OpenFile(needShared(t, testAppSym))
	if err != nil {
		t.Fatal(err)
	}
	k32, err := OpenFile(needShared(t, kernel32Sym))
	if err != nil {
		t.Fatal(err)
	}
	if app.Module != (ModuleRecord{"windows", "x86", "5A9832E5287241C1838ED98914E9B7FF1", "test_app.pdb"}) {
		t.Errorf("MODULE = %+v", app.Module)
	}
	if app.Stats.Skipped != 0 || k32.Stats.Skipped != 0 {
		t.Errorf("skipped records: test_app %+v, kernel32 %+v", app.Stats, k32.Stats)
	}
	frames := []struct {
		table    *SymbolFile
		base, ip uint64
		caller   bool
		want     string // Breakpad's rendering, module name left out
	}{
		{app, 0x00400000, 0x0040429e, false, "`anonymous namespace'::CrashFunction [test_app.cc : 58 + 0x3]"},
		{app, 0x00400000, 0x00404200, true, "main [test_app.cc : 65 + 0x5]"},
		{app, 0x00400000, 0x004053ec, true, "__tmainCRTStartup [crt0.c : 327 + 0x12]"},
		{k32, 0x7c800000, 0x7c816fd7, true, "BaseProcessStart + 0x23"},
	}
	for i, f := range frames {
		rva := f.ip - f.base
		if f.caller {
			rva--
		}
		fn, ok := f.table.Function(rva)
		if !ok {
			t.Errorf("frame %d: no function at %#x", i, rva)
			continue
		}
		var got string
		if fn.File != "" {
			file := fn.File[strings.LastIndexAny(fn.File, `\/`)+1:]
			got = fmt.Sprintf("%s [%s : %d + %#x]", fn.Name, file, fn.Line, f.ip-f.base-fn.LineEntry)
		} else {
			got = fmt.Sprintf("%s + %#x", fn.Name, f.ip-f.base-fn.Entry)
		}
		if got != f.want {
			t.Errorf("frame %d: %q, want %q", i, got, f.want)
		}
		// Every frame of this walk was unwound with STACK WIN frame data.
		fi, ok := f.table.FrameInfo(rva)
		if !ok || fi.Type != 4 || !fi.HasProgram || !strings.HasPrefix(fi.Program, "$T0 $ebp = $eip $T0 4 + ^ =") {
			t.Errorf("frame %d: FrameInfo(%#x) = %+v, %v", i, rva, fi, ok)
		}
	}
	// CrashFunction's record: STACK WIN 4 4290 18 4 0 0 0 4 0 1 ...
	fi, _ := app.FrameInfo(0x429e)
	if fi.RVA != 0x4290 || fi.CodeSize != 0x18 || fi.PrologSize != 4 || fi.LocalSize != 4 || fi.ParameterSize != 0 {
		t.Errorf("CrashFunction frame info %+v", fi)
	}
	// main takes 8 bytes of parameters (FUNC 41b0 86 8 main).
	if fn, _ := app.Function(0x41ff); fn.ParamSize != 8 || fn.Entry != 0x41b0 || fn.Public {
		t.Errorf("main: %+v", fn)
	}
	if fn, _ := k32.Function(0x16fd6); !fn.Public || fn.ParamSize != 4 {
		t.Errorf("BaseProcessStart: %+v", fn)
	}
}

func TestFunctionOrPublic(t *testing.T) {
	sf := parseString(t, `MODULE windows x86 0123456789ABCDEF0123456789ABCDEF1 a.pdb
FILE 1 a.c
PUBLIC 500 0 pub_before_funcs
FUNC 1000 10 4 f1
1000 8 10 1
1008 8 11 1
PUBLIC 1005 0 pub_inside_f1
PUBLIC 1020 8 pub_after_f1
FUNC 2000 10 0 f2
PUBLIC 1f00 0 pub_between
`)
	cases := []struct {
		rva    uint64
		name   string
		public bool
		line   int
	}{
		{0x400, "", false, 0},                // below everything
		{0x600, "pub_before_funcs", true, 0}, // no FUNC below: the PUBLIC stands
		{0x1004, "f1", false, 10},            // FUNC beats a PUBLIC inside it
		{0x100f, "f1", false, 11},            // last byte of f1
		{0x1010, "pub_inside_f1", true, 0},   // after f1: PUBLIC 1005 is above f1's start, so it stands
		{0x1025, "pub_after_f1", true, 0},    // PUBLIC above the nearest FUNC
		{0x1f80, "pub_between", true, 0},     // the nearest PUBLIC is 1f00
		{0x2005, "f2", false, 0},             // FUNC without lines
		{0x3000, "", false, 0},               // PUBLIC 1f00 is below f2's start: refused
	}
	for _, c := range cases {
		fn, ok := sf.Function(c.rva)
		if ok != (c.name != "") || fn.Name != c.name || fn.Public != c.public || fn.Line != c.line {
			t.Errorf("Function(%#x) = %+v, %v; want %q public=%v line %d", c.rva, fn, ok, c.name, c.public, c.line)
		}
	}
	if fn, _ := sf.Function(0x100a); fn.File != "a.c" || fn.LineEntry != 0x1008 || fn.Entry != 0x1000 || fn.ParamSize != 4 {
		t.Errorf("line lookup: %+v", fn)
	}
	if fn, _ := sf.Function(0x1030); fn.ParamSize != 8 || fn.Entry != 0x1020 {
		t.Errorf("public lookup: %+v", fn)
	}
}

func TestOverlapsFollowBreakpad(t *testing.T) {
	sf := parseString(t, `MODULE Linux x86_64 0123456789ABCDEF0123456789ABCDEF0 lib.so
FUNC 2000 100 0 second_in_address_first_in_file
FUNC 1000 100 0 lower
FUNC 1080 100 0 overlaps_lower
FUNC m 3000 10 0 shared_body
1000 10 1 1
FUNC 4000 0 0 empty
PUBLIC 5000 0 first
PUBLIC 5000 0 duplicate
`)
	if fn, _ := sf.Function(0x2050); fn.Name != "second_in_address_first_in_file" {
		t.Errorf("0x2050: %+v", fn)
	}
	if fn, _ := sf.Function(0x10f0); fn.Name != "lower" {
		t.Errorf("0x10f0: %q, want the first stored range", fn.Name)
	}
	if fn, _ := sf.Function(0x1150); fn.Name != "" {
		t.Errorf("0x1150: %q, the refused overlapping FUNC must not appear", fn.Name)
	}
	if fn, _ := sf.Function(0x3005); fn.Name != "shared_body" || fn.Line != 0 {
		t.Errorf("m flag / line outside the function: %+v", fn)
	}
	if fn, _ := sf.Function(0x5001); fn.Name != "first" {
		t.Errorf("duplicate PUBLIC: %+v", fn)
	}
	// Dropped: overlapping FUNC, zero-size FUNC, duplicate PUBLIC.
	if sf.Stats.Dropped != 3 || sf.Stats.Skipped != 0 {
		t.Errorf("stats %+v", sf.Stats)
	}
}

func TestStackWin(t *testing.T) {
	sf := parseString(t, `MODULE windows x86 0123456789ABCDEF0123456789ABCDEF1 a.pdb
STACK WIN 0 1000 100 0 0 4 0 0 0 0 1
STACK WIN 4 1000 100 3 0 8 4 10 0 1 $T0 $ebp = $eip $T0 4 + ^ =
STACK WIN 4 1040 20 1 0 0 0 0 0 0 0
STACK WIN 4 1040 20 2 0 0 0 0 0 0 0
STACK WIN 4 1050 40 1 0 0 0 0 0 0 0
STACK WIN 0 2000 10 0 0 c 0 0 0 0 0
STACK WIN 3 3000 10 0 0 0 0 0 0 0 0
STACK WIN 5 3000 10 0 0 0 0 0 0 0 0
`)
	cases := []struct {
		rva    uint64
		typ    int
		lo     uint64
		prolog uint32
	}{
		{0x1000, 4, 0x1000, 3},
		{0x1045, 4, 0x1040, 1}, // innermost; the equal range stored second is refused
		{0x105f, 4, 0x1040, 1}, // 1050+40 overlaps 1040+20 partially: refused
		{0x1060, 4, 0x1000, 3}, // back in the outer range
		{0x10ff, 4, 0x1000, 3},
		{0x2004, 0, 0x2000, 0}, // only FPO covers it
	}
	for _, c := range cases {
		fi, ok := sf.FrameInfo(c.rva)
		if !ok || fi.Type != c.typ || fi.RVA != c.lo || fi.PrologSize != c.prolog {
			t.Errorf("FrameInfo(%#x) = %+v, %v; want type %d at %#x prolog %d", c.rva, fi, ok, c.typ, c.lo, c.prolog)
		}
	}
	fi, _ := sf.FrameInfo(0x1000)
	if !fi.HasProgram || fi.Program != "$T0 $ebp = $eip $T0 4 + ^ =" || fi.ParameterSize != 8 || fi.SavedRegisterSize != 4 || fi.LocalSize != 0x10 {
		t.Errorf("program record: %+v", fi)
	}
	if fi, _ := sf.FrameInfo(0x2004); fi.HasProgram || fi.ParameterSize != 0xc {
		t.Errorf("FPO record: %+v", fi)
	}
	if _, ok := sf.FrameInfo(0x3004); ok {
		t.Error("type 3 records must not be returned")
	}
	if fi, _ := sf.FrameInfo(0x1045); fi.HasProgram || fi.AllocatesBasePointer {
		t.Errorf("allocates base pointer: %+v", fi)
	}
	if sf.Stats.Skipped != 1 || sf.Stats.Dropped != 2 {
		t.Errorf("stats %+v (want the type 5 record skipped, two refused)", sf.Stats)
	}
}

func TestStackCFI(t *testing.T) {
	sf := parseString(t, `MODULE Linux x86_64 0123456789ABCDEF0123456789ABCDEF0 lib.so
STACK CFI INIT 1000 40 .cfa: $rsp 8 + .ra: .cfa -8 + ^
STACK CFI 1001 .cfa: $rsp 16 + $rbp: .cfa -16 + ^
STACK CFI 1004 .cfa: $rbp 16 +
STACK CFI 1004 .cfa: $rbp 24 +
STACK CFI 1010 $rbx: .cfa -24 + ^ $rsi:
STACK CFI INIT 2000 10 .cfa: $rsp 8 + .ra: .cfa -8 + ^
STACK CFI INIT 3000 10 .cfa:
`)
	want := []struct {
		rva   uint64
		rules CFIRules
	}{
		{0x1000, CFIRules{".cfa": "$rsp 8 +", ".ra": ".cfa -8 + ^"}},
		{0x1003, CFIRules{".cfa": "$rsp 16 +", ".ra": ".cfa -8 + ^", "$rbp": ".cfa -16 + ^"}},
		{0x1004, CFIRules{".cfa": "$rbp 24 +", ".ra": ".cfa -8 + ^", "$rbp": ".cfa -16 + ^"}},
		// The delta at 1010 applies its good rule, then stops at the empty expression.
		{0x103f, CFIRules{".cfa": "$rbp 24 +", ".ra": ".cfa -8 + ^", "$rbp": ".cfa -16 + ^", "$rbx": ".cfa -24 + ^"}},
		// Deltas below the INIT's start do not leak into another INIT.
		{0x2008, CFIRules{".cfa": "$rsp 8 +", ".ra": ".cfa -8 + ^"}},
	}
	for _, w := range want {
		got, ok := sf.CFI(w.rva)
		if !ok || fmt.Sprint(got) != fmt.Sprint(w.rules) {
			t.Errorf("CFI(%#x) = %v, %v; want %v", w.rva, got, ok, w.rules)
		}
	}
	for _, rva := range []uint64{0xfff, 0x1040, 0x3005} {
		if r, ok := sf.CFI(rva); ok {
			t.Errorf("CFI(%#x) = %v, want none", rva, r)
		}
	}
	// The returned map is the caller's.
	r, _ := sf.CFI(0x1000)
	r[".cfa"] = "changed"
	if r2, _ := sf.CFI(0x1000); r2[".cfa"] != "$rsp 8 +" {
		t.Error("CFI returned shared state")
	}
}

func TestMalformedRecordsAreCounted(t *testing.T) {
	long := "FUNC 9000 10 0 " + strings.Repeat("x", MaxLineLength) + "\n9000 4 1 1\n"
	sf := parseString(t, "MODULE windows x86 0123456789ABCDEF0123456789ABCDEF1 a.pdb\r\n"+
		"FILE x a.c\n"+ // bad id
		"FILE 1 a.c\n"+
		"FUNC 1000 zz 0 f\n"+ // bad size; line records after it have no function
		"1000 4 1 1\n"+
		"FUNC 0x1000 10 0 f\n"+ // 0x prefix: stricter than strtoull
		"FUNC 1000 10 -4 f\n"+
		"FUNC 1000 10 0\n"+ // no name
		"FUNC ffffffffffffffff 10 0 f\n"+
		"FUNC 2000 10 0 good\n"+
		"2000 4 -1 1\n"+ // negative line
		"2000 4 1 1 trailing words are tolerated\n"+
		"2004 4 99999999999 1\n"+ // line number beyond 32 bits
		"PUBLIC 3000 0\n"+
		"STACK WIN 4 1000\n"+
		"STACK CFI INIT 1000 10\n"+
		"STACK XYZ 1\n"+
		"INLINE_ORIGIN 1 1 inl\n"+
		"INLINE 0 5 1 2000 2\n"+
		"INFO CODE_ID 5A9832E5100 test_app.exe\n"+
		"gibberish\n"+
		"\n\n"+
		long+
		"PUBLIC 4000 0 after_long\n")
	st := sf.Stats
	// 17: every malformed line above, the over-long one, the line record after it (its
	// FUNC was skipped) and the INLINE (a PUBLIC ended the FUNC it followed).
	if st.Skipped != 17 || st.Inline != 1 {
		t.Errorf("stats %+v, want 17 skipped and 1 inline", st)
	}
	if st.FirstSkipped != 2 || st.FirstSkippedReason == "" {
		t.Errorf("first skipped: line %d %q", st.FirstSkipped, st.FirstSkippedReason)
	}
	if fn, ok := sf.Function(0x2001); !ok || fn.Name != "good" || fn.Line != 1 || fn.File != "a.c" {
		t.Errorf("good FUNC: %+v", fn)
	}
	if fn, ok := sf.Function(0x4001); !ok || fn.Name != "after_long" {
		t.Errorf("record after an over-long line: %+v %v", fn, ok)
	}
	if sf.CodeID != "5A9832E5100" {
		t.Errorf("code id %q", sf.CodeID)
	}
}

func TestParseRejectsNonSymbolFiles(t *testing.T) {
	for _, in := range []string{"", "\n\n", "<html><body>404</body></html>\n", "FUNC 1000 10 0 f\nMODULE windows x86 0 a.pdb\n",
		"MODULE " + strings.Repeat("\x00", MaxLineLength) + "\nMODULE windows x86 0 a.pdb\n"} {
		_, err := Parse(strings.NewReader(in))
		var fe *FormatError
		if !errors.Is(err, ErrFormat) || !errors.As(err, &fe) {
			t.Errorf("Parse(%q) = %v, want a FormatError", in, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, rel := range []string{testAppSym, kernel32Sym} {
		p := sharedSymbolsPath(rel)
		if b, err := os.ReadFile(p); err == nil {
			if len(b) > 4096 { // a head of the real files: every record kind
				b = b[:4096]
			}
			f.Add(b)
		}
	}
	f.Add([]byte("MODULE windows x86 0123456789ABCDEF0123456789ABCDEF1 a.pdb\nFUNC 1000 10 0 f\n1000 4 1 1\nSTACK WIN 4 1000 10 0 0 0 0 0 0 1 $T0 $ebp =\nSTACK CFI INIT 1000 10 .cfa: $esp 4 +\nSTACK CFI 1004 .cfa: $esp 8 +\nPUBLIC m 2000 0 p\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		sf, err := Parse(strings.NewReader(string(b)))
		if err != nil {
			return
		}
		for _, rva := range []uint64{0, 1, 0x1000, 0x1004, 0x2000, ^uint64(0)} {
			sf.Function(rva)
			sf.CFI(rva)
			sf.FrameInfo(rva)
		}
	})
}

func TestInlineRecordsAreCheckedAndCounted(t *testing.T) {
	sf := parseString(t, `MODULE Linux x86_64 0123456789ABCDEF0123456789ABCDEF0 lib.so
FILE 0 a.c
INLINE_ORIGIN 0 0 inlined
INLINE_ORIGIN 1 -1 artificial
INLINE_ORIGIN 2 newer_form_without_file
INLINE_ORIGIN x 0 bad
FUNC 1000 40 0 outer
INLINE 0 12 0 1000 10
INLINE 0 12 0 0 1010 8 1020 4
INLINE 1 13 1 1010 4
INLINE 0 12 0
INLINE 0 12 0 1010 zz
INLINE 0 x 0 1010 4
1000 40 10 0
`)
	if sf.Stats.Inline != 6 || sf.Stats.Skipped != 4 {
		t.Errorf("stats %+v, want 6 inline records and 4 skipped", sf.Stats)
	}
	if fn, _ := sf.Function(0x1012); fn.Name != "outer" || fn.Line != 10 {
		t.Errorf("inline records must not disturb the FUNC: %+v", fn)
	}
}

func TestNumberFields(t *testing.T) {
	hexCases := []struct {
		s    string
		bits int
		v    uint64
		ok   bool
	}{
		{"0", 64, 0, true}, {"41b0", 64, 0x41b0, true}, {"41B0", 64, 0x41b0, true},
		{"00000000000000000001", 64, 1, true}, {"fffffffffffffffe", 64, 1<<64 - 2, true},
		{"ffffffffffffffff", 64, 0, false}, {"10000000000000000", 64, 0, false},
		{"ffffffff", 32, 0xffffffff, true}, {"100000000", 32, 0, false},
		{"", 64, 0, false}, {"0x10", 64, 0, false}, {"-1", 64, 0, false}, {"+1", 64, 0, false}, {"1g", 64, 0, false},
	}
	for _, c := range hexCases {
		v, ok := hex(c.s, c.bits)
		if v != c.v || ok != c.ok {
			t.Errorf("hex(%q, %d) = %#x, %v", c.s, c.bits, v, ok)
		}
		if vb, okb := hex([]byte(c.s), c.bits); vb != v || okb != ok {
			t.Errorf("hex([]byte %q) differs from the string form", c.s)
		}
	}
	decCases := []struct {
		s   string
		min int64
		v   int32
		ok  bool
	}{
		{"0", 0, 0, true}, {"58", 0, 58, true}, {"+7", 0, 7, true}, {"-1", -1, -1, true}, {"-1", 0, 0, false},
		{"2147483647", 0, 2147483647, true}, {"2147483648", 0, 0, false}, {"99999999999999999999", 0, 0, false},
		{"", 0, 0, false}, {"-", -1, 0, false}, {"1a", 0, 0, false},
	}
	for _, c := range decCases {
		if v, ok := dec(c.s, c.min); v != c.v || ok != c.ok {
			t.Errorf("dec(%q, %d) = %d, %v", c.s, c.min, v, ok)
		}
	}
}
