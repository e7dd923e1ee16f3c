package symbols

import (
	"errors"
	"fmt"
	"testing"
)

// plusOne is Breakpad's FakeMemoryRegion from postfix_evaluator_unittest.cc: reading
// address a yields a+1.
type plusOne struct{}

func (plusOne) ReadUint(addr uint64, size int) (uint64, error) { return addr + 1, nil }

type noMemory struct{}

var errUnmapped = errors.New("unmapped")

func (noMemory) ReadUint(addr uint64, size int) (uint64, error) { return 0, errUnmapped }

// evalStatements runs expr as Breakpad's PostfixEvaluator::Evaluate does (a statement
// list that must leave the stack empty), with 32-bit values, assigning into regs.
func evalStatements(expr string, regs map[string]uint64, mem Memory) error {
	e, err := newEvaluator(expr, regs, mem, 4)
	if err != nil {
		return err
	}
	if err := e.run(); err != nil {
		return err
	}
	if len(e.stack) != 0 {
		return e.fail("", "values left on the stack", nil)
	}
	return nil
}

// The cases of Breakpad's postfix_evaluator_unittest.cc, set 0: basic operations and
// failure modes, all sharing one dictionary.
func TestEvalBreakpadSet0(t *testing.T) {
	dict := map[string]uint64{}
	cases := []struct {
		expr string
		ok   bool
	}{
		{"$rAdd 2 2 + =", true},
		{"$rAdd $rAdd 2 + =", true},
		{"$rAdd 2 $rAdd + =", true},
		{"99", false},
		{"$rAdd2 2 2 + =", true},
		{"$rAdd2\t2\n2 + =", true},
		{"$rAdd2 2 2 + = ", true},
		{" $rAdd2 2 2 + =", true},
		{"$rAdd2  2 2 +   =", true},
		{"$T0 2 = +", false},
		{"2 + =", false},
		{"2 +", false},
		{"+", false},
		{"^", false},
		{"=", false},
		{"2 =", false},
		{"2 2 + =", false},
		{"2 2 =", false},
		{"k 2 =", false},
		{"2", false},
		{"2 2 +", false},
		{"$rAdd", false},
		{"0 $T1 0 0 + =", false},
		{"$T2 $T2 2 + =", false},
		{"$rMul 9 6 * =", true},
		{"$rSub 9 6 - =", true},
		{"$rDivQ 9 6 / =", true},
		{"$rDivM 9 6 % =", true},
		{"$rDeref 9 ^ =", true},
		{"$rAlign 36 8 @ =", true},
		{"$rAdd3 2 2 + =$rMul2 9 6 * =", true},
	}
	for _, c := range cases {
		err := evalStatements(c.expr, dict, plusOne{})
		if (err == nil) != c.ok {
			t.Errorf("%q: err = %v, want ok=%v", c.expr, err, c.ok)
		}
		if err != nil && !errors.Is(err, ErrExpression) {
			t.Errorf("%q: error %v does not wrap ErrExpression", c.expr, err)
		}
	}
	want := map[string]uint64{
		"$rAdd": 8, "$rAdd2": 4, "$rSub": 3, "$rMul": 54, "$rDivQ": 1, "$rDivM": 3,
		"$rDeref": 10, "$rAlign": 32, "$rAdd3": 4, "$rMul2": 54,
	}
	for k, v := range want {
		if got, ok := dict[k]; !ok || got != v {
			t.Errorf("%s = %d (set %v), want %d", k, got, ok, v)
		}
	}
}

// Set 1: real MSVC program strings run one after another over one dictionary.
func TestEvalBreakpadSet1Programs(t *testing.T) {
	regs := map[string]uint64{
		"$ebp": 0xbfff0010, "$eip": 0x10000000, "$esp": 0xbfff0000,
		".cbSavedRegs": 4, ".cbParams": 4, ".raSearchStart": 0xbfff0020,
	}
	programs := []string{
		"$T0 $ebp = $eip $T0 4 + ^ = $ebp $T0 ^ = $esp $T0 8 + = $L $T0 .cbSavedRegs - = $P $T0 8 + .cbParams + =",
		"$T0 $ebp = $eip $T0 4 + ^ = $ebp $T0 ^ = $esp $T0 8 + = $L $T0 .cbSavedRegs - = $P $T0 8 + .cbParams + = $ebx $T0 28 - ^ =",
		"$T0 $ebp = $T2 $esp = $T1 .raSearchStart = $eip $T1 ^ = $ebp $T0 = $esp $T1 4 + = $L $T0 .cbSavedRegs - = $P $T1 4 + .cbParams + = $ebx $T0 28 - ^ =",
	}
	for _, p := range programs {
		out, err := EvalProgram(p, regs, plusOne{})
		if err != nil {
			t.Fatalf("%q: %v", p, err)
		}
		regs = out
	}
	want := map[string]uint64{
		"$T0": 0xbfff0012, "$T1": 0xbfff0020, "$T2": 0xbfff0019, "$eip": 0xbfff0021,
		"$ebp": 0xbfff0012, "$esp": 0xbfff0024, "$L": 0xbfff000e, "$P": 0xbfff0028,
		"$ebx": 0xbffefff7, ".cbSavedRegs": 4, ".cbParams": 4,
	}
	for k, v := range want {
		if regs[k] != v {
			t.Errorf("%s = %#x, want %#x", k, regs[k], v)
		}
	}
}

// Set 2: EvaluateForValue, one value left on the stack, assignments persist.
func TestEvalBreakpadForValue(t *testing.T) {
	regs := map[string]uint64{
		"$ebp": 0xbfff0010, "$eip": 0x10000000, "$esp": 0xbfff0000,
		".cbSavedRegs": 4, ".cbParams": 4, ".raSearchStart": 0xbfff0020,
	}
	cases := []struct {
		expr string
		ok   bool
		want uint64
	}{
		{"28907223", true, 28907223},
		{"89854293 40010015 +", true, 89854293 + 40010015},
		{"-870245 8769343 +", true, 7899098},
		{"$ebp $esp - $eip +", true, 0x10000010},
		{"18929794 34015074", false, 0},
		{"$ebp $ebp 4 - =", false, 0},
		{"$new $eip = $new", true, 0x10000000},
		{"$new 4 +", true, 0x10000004},
		{".cfa 42 = 10", false, 0},
	}
	for _, c := range cases {
		got, err := Eval(c.expr, regs, plusOne{}, 4)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("%q = %#x, %v; want %#x ok=%v", c.expr, got, err, c.want, c.ok)
		}
	}
	// Breakpad's dictionary after the run: the failed "$ebp $ebp 4 - =" still assigned.
	want := map[string]uint64{"$eip": 0x10000000, "$ebp": 0xbfff000c, "$esp": 0xbfff0000, "$new": 0x10000000}
	for k, v := range want {
		if regs[k] != v {
			t.Errorf("%s = %#x, want %#x", k, regs[k], v)
		}
	}
}

func TestEval64BitAndErrors(t *testing.T) {
	regs := map[string]uint64{"$rsp": 0x7fff_0000_1000, ".cfa": 0xffff_ffff_ffff_fff0}
	if v, err := Eval("$rsp 8 +", regs, nil, 8); err != nil || v != 0x7fff_0000_1008 {
		t.Errorf("64-bit add = %#x, %v", v, err)
	}
	if v, err := Eval(".cfa 32 +", regs, nil, 8); err != nil || v != 0x10 {
		t.Errorf("64-bit wrap = %#x, %v", v, err)
	}
	if v, err := Eval("$rsp 8 +", regs, nil, 4); err != nil || v != 0x1008 {
		t.Errorf("32-bit truncation = %#x, %v", v, err)
	}
	if v, err := Eval("0 1 -", nil, nil, 4); err != nil || v != 0xffffffff {
		t.Errorf("32-bit wrap = %#x, %v", v, err)
	}
	// A literal too big for 32 bits is a name, unknown here.
	if _, err := Eval("4294967296", nil, nil, 4); !errors.Is(err, ErrExpression) {
		t.Errorf("oversized 32-bit literal: %v", err)
	}
	if v, err := Eval("4294967296", nil, nil, 8); err != nil || v != 1<<32 {
		t.Errorf("64-bit literal = %#x, %v", v, err)
	}
	var ee *EvalError
	if _, err := Eval("1 0 /", nil, nil, 8); !errors.As(err, &ee) || ee.Msg != "division by zero" {
		t.Errorf("division by zero: %v", err)
	}
	if _, err := Eval("1 0 %", nil, nil, 8); !errors.Is(err, ErrExpression) {
		t.Errorf("modulus by zero: %v", err)
	}
	if _, err := Eval("$rsp ^", regs, nil, 8); !errors.Is(err, ErrExpression) {
		t.Errorf("dereference without memory: %v", err)
	}
	if _, err := Eval("$rsp ^", regs, noMemory{}, 8); !errors.Is(err, errUnmapped) || !errors.Is(err, ErrExpression) {
		t.Errorf("memory error not wrapped: %v", err)
	}
	if _, err := Eval("1", nil, nil, 2); !errors.Is(err, ErrExpression) {
		t.Errorf("pointer size 2 accepted: %v", err)
	}
	deep := ""
	for i := 0; i <= MaxEvalStack; i++ {
		deep += "1 "
	}
	if _, err := Eval(deep, nil, nil, 8); !errors.Is(err, ErrExpression) {
		t.Errorf("stack bound not enforced: %v", err)
	}
	long := fmt.Sprintf("%0*d", MaxExpressionLength+1, 1)
	if _, err := Eval(long, nil, nil, 8); !errors.Is(err, ErrExpression) {
		t.Errorf("length bound not enforced: %v", err)
	}
	if _, err := EvalProgram("$T0 1 = 2", nil, nil); !errors.Is(err, ErrExpression) {
		t.Errorf("program leaving a value accepted: %v", err)
	}
}

func FuzzEval(f *testing.F) {
	for _, s := range []string{"$T0 $ebp = $eip $T0 4 + ^ =", ".cfa 8 - ^", "$esp 4 + 16 @", "1 0 /", "=$x 1 ="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		regs := map[string]uint64{"$ebp": 0x1000, "$esp": 0x2000, ".cfa": 0x3000}
		_, _ = Eval(expr, regs, plusOne{}, 8)
		_, _ = EvalProgram(expr, regs, plusOne{})
	})
}
