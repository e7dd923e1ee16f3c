package symbols

import (
	"fmt"
	"strconv"
	"strings"
)

// Limits on postfix evaluation. Real expressions are a few dozen tokens deep at most.
const (
	MaxExpressionLength = 4096 // bytes
	MaxEvalStack        = 64   // values on the evaluation stack
)

// Eval evaluates a Breakpad postfix expression (a CFI rule, or one expression of a STACK
// WIN program) and returns the single value it leaves on the stack.
//
// Tokens are separated by white space. Operators are the binary + - * / % and @ (align:
// a @ b = a & ^(b-1)), the unary ^ (dereference: read a ptrSize-byte value from mem) and
// = (assign: "$name value =", the name must start with '$'; a '=' glued to the next
// token, as MSVC 2010 writes it, is split off). Other tokens are decimal literals
// (optionally negative) or register names looked up in regs (".cfa", "$esp", "$T0"...).
// Arithmetic wraps at ptrSize bytes (4 or 8). Assignments are stored into regs, as
// Breakpad's evaluator stores them into its dictionary; regs may be nil when expr has
// none. mem may be nil when expr does not dereference.
//
// Errors wrap ErrExpression: unknown register, too few operands, values left over,
// division by zero, an assignment to a non-variable, or an expression beyond
// MaxExpressionLength or MaxEvalStack. A failed memory read wraps the Memory's error too.
func Eval(expr string, regs map[string]uint64, mem Memory, ptrSize int) (uint64, error) {
	e, err := newEvaluator(expr, regs, mem, ptrSize)
	if err != nil {
		return 0, err
	}
	if err := e.run(); err != nil {
		return 0, err
	}
	if len(e.stack) != 1 {
		return 0, e.fail("", fmt.Sprintf("leaves %d values on the stack, want 1", len(e.stack)), nil)
	}
	return e.pop("")
}

// EvalProgram runs a STACK WIN program (a sequence of assignments such as
// "$T0 $ebp = $eip $T0 4 + ^ = $ebp $T0 ^ = $esp $T0 8 + =") with 32-bit arithmetic over a
// copy of regs, and returns the copy with the assignments applied. The program must leave
// the stack empty. Errors are as for Eval.
func EvalProgram(program string, regs map[string]uint64, mem Memory) (map[string]uint64, error) {
	out := make(map[string]uint64, len(regs)+8)
	for k, v := range regs {
		out[k] = v & 0xffffffff
	}
	e, err := newEvaluator(program, out, mem, 4)
	if err != nil {
		return nil, err
	}
	if err := e.run(); err != nil {
		return nil, err
	}
	if len(e.stack) != 0 {
		return nil, e.fail("", fmt.Sprintf("incomplete: %d values left on the stack", len(e.stack)), nil)
	}
	return out, nil
}

// item is a stack entry: a number, or a name resolved only when an operator needs it
// (the left side of '=' stays a name).
type item struct {
	val   uint64
	name  string
	isVal bool
}

type evaluator struct {
	expr  string
	regs  map[string]uint64
	mem   Memory
	size  int
	mask  uint64
	stack []item
}

func newEvaluator(expr string, regs map[string]uint64, mem Memory, ptrSize int) (*evaluator, error) {
	e := &evaluator{expr: expr, regs: regs, mem: mem, size: ptrSize}
	switch ptrSize {
	case 4:
		e.mask = 0xffffffff
	case 8:
		e.mask = ^uint64(0)
	default:
		return nil, e.fail("", fmt.Sprintf("pointer size %d, want 4 or 8", ptrSize), nil)
	}
	if len(expr) > MaxExpressionLength {
		return nil, e.fail("", fmt.Sprintf("longer than %d bytes", MaxExpressionLength), nil)
	}
	return e, nil
}

func (e *evaluator) fail(tok, msg string, err error) error {
	x := e.expr
	if len(x) > 200 {
		x = x[:200] + "..."
	}
	return &EvalError{Expr: x, Token: tok, Msg: msg, Err: err}
}

func (e *evaluator) run() error {
	for tok := range strings.FieldsSeq(e.expr) {
		if len(tok) > 1 && tok[0] == '=' {
			if err := e.token("="); err != nil {
				return err
			}
			tok = tok[1:]
		}
		if err := e.token(tok); err != nil {
			return err
		}
	}
	return nil
}

func (e *evaluator) push(tok string, it item) error {
	if len(e.stack) >= MaxEvalStack {
		return e.fail(tok, fmt.Sprintf("stack deeper than %d", MaxEvalStack), nil)
	}
	e.stack = append(e.stack, it)
	return nil
}

// pop returns the top value, resolving a name through regs.
func (e *evaluator) pop(tok string) (uint64, error) {
	if len(e.stack) == 0 {
		return 0, e.fail(tok, "too few operands", nil)
	}
	it := e.stack[len(e.stack)-1]
	e.stack = e.stack[:len(e.stack)-1]
	if it.isVal {
		return it.val, nil
	}
	v, ok := e.regs[it.name]
	if !ok {
		return 0, e.fail(tok, fmt.Sprintf("%q is not a known register or variable", it.name), nil)
	}
	return v & e.mask, nil
}

func (e *evaluator) token(tok string) error {
	switch tok {
	case "+", "-", "*", "/", "%", "@":
		b, err := e.pop(tok)
		if err != nil {
			return err
		}
		a, err := e.pop(tok)
		if err != nil {
			return err
		}
		var r uint64
		switch tok {
		case "+":
			r = a + b
		case "-":
			r = a - b
		case "*":
			r = a * b
		case "/", "%":
			if b == 0 {
				return e.fail(tok, "division by zero", nil)
			}
			if tok == "/" {
				r = a / b
			} else {
				r = a % b
			}
		case "@":
			r = a & ^(b - 1)
		}
		return e.push(tok, item{val: r & e.mask, isVal: true})
	case "^":
		addr, err := e.pop(tok)
		if err != nil {
			return err
		}
		if e.mem == nil {
			return e.fail(tok, "dereference without memory", nil)
		}
		v, err := e.mem.ReadUint(addr, e.size)
		if err != nil {
			return e.fail(tok, fmt.Sprintf("cannot read memory at %#x", addr), err)
		}
		return e.push(tok, item{val: v & e.mask, isVal: true})
	case "=":
		v, err := e.pop(tok)
		if err != nil {
			return err
		}
		if len(e.stack) == 0 {
			return e.fail(tok, "nothing to assign to", nil)
		}
		dst := e.stack[len(e.stack)-1]
		e.stack = e.stack[:len(e.stack)-1]
		if dst.isVal || !strings.HasPrefix(dst.name, "$") {
			return e.fail(tok, "can assign only to a $variable", nil)
		}
		if e.regs == nil {
			return e.fail(tok, "assignment without a register set", nil)
		}
		e.regs[dst.name] = v
		return nil
	}
	if v, ok := e.literal(tok); ok {
		return e.push(tok, item{val: v, isVal: true})
	}
	return e.push(tok, item{name: tok})
}

// literal parses a decimal literal with an optional leading '-' that fits the value
// width; anything else is a name (Breakpad's PopValueOrIdentifier).
func (e *evaluator) literal(tok string) (uint64, bool) {
	neg := false
	digits := tok
	if strings.HasPrefix(tok, "-") {
		neg, digits = true, tok[1:]
	}
	if digits == "" || digits[0] < '0' || digits[0] > '9' {
		return 0, false
	}
	bits := 32
	if e.size == 8 {
		bits = 64
	}
	v, err := strconv.ParseUint(digits, 10, bits)
	if err != nil {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v & e.mask, true
}
