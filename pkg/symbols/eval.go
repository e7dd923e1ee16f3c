package symbols

import "errors"

// Eval evaluates a Breakpad postfix expression (CFI rule or STACK WIN expression) over regs and
// returns the value left on the stack. ptrSize (4 or 8) is the width of values and dereferences.
func Eval(expr string, regs map[string]uint64, mem Memory, ptrSize int) (uint64, error) {
	return 0, errors.New("symbols: Eval not implemented yet")
}

// EvalProgram runs a STACK WIN program (assignments such as "$eip $T0 ^ =") over a copy of regs
// (32-bit) and returns the resulting register set.
func EvalProgram(program string, regs map[string]uint64, mem Memory) (map[string]uint64, error) {
	return nil, errors.New("symbols: EvalProgram not implemented yet")
}
