package symbols

import (
	"errors"
	"fmt"
)

// ErrFormat is wrapped by every error about input that is not a usable symbol file.
// Test with errors.Is(err, ErrFormat).
var ErrFormat = errors.New("symbols: malformed symbol file")

// FormatError describes a symbol file that cannot be used at all (single bad records are
// skipped and counted in Stats instead). It wraps ErrFormat.
type FormatError struct {
	Line int    // 1-based line number of the offending record, 0 when not tied to a line
	Msg  string // what is wrong
}

func (e *FormatError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("symbols: %s (line %d)", e.Msg, e.Line)
	}
	return "symbols: " + e.Msg
}

// Unwrap returns ErrFormat.
func (e *FormatError) Unwrap() error { return ErrFormat }

// ErrExpression is wrapped by every error from Eval and EvalProgram about a malformed
// expression or one that cannot be evaluated (unknown register, empty stack, division by zero).
var ErrExpression = errors.New("symbols: bad postfix expression")

// EvalError reports why a postfix expression could not be evaluated. It wraps ErrExpression
// and, when memory could not be read, the Memory's error too.
type EvalError struct {
	Expr  string // the expression (truncated to 200 bytes)
	Token string // the token being evaluated, "" when the error is about the whole expression
	Msg   string
	Err   error // underlying error (a Memory read), may be nil
}

func (e *EvalError) Error() string {
	s := "symbols: postfix expression " + fmt.Sprintf("%q", e.Expr) + ": " + e.Msg
	if e.Token != "" {
		s += fmt.Sprintf(" at token %q", e.Token)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns ErrExpression and the underlying error, if any.
func (e *EvalError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrExpression, e.Err}
	}
	return []error{ErrExpression}
}
