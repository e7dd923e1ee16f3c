package pdb

import (
	"errors"
	"fmt"
)

// ErrFormat is wrapped by every error about malformed, truncated or
// hostile input. Test with errors.Is(err, ErrFormat).
var ErrFormat = errors.New("pdb: malformed PDB")

// ErrNoCodeView means a PE image has no CodeView (RSDS) debug record: it
// was linked without /DEBUG or its debug directory was stripped.
var ErrNoCodeView = errors.New("pdb: no CodeView record")

// FormatError describes malformed input at a file offset. It wraps
// ErrFormat. Off is -1 when the offending data is inside a stream whose
// file offset is not contiguous (the message names the stream then).
type FormatError struct {
	Off int64  // file offset of the offending data, or -1
	Msg string // what is wrong
	Val any    // the offending value, if any
}

func (e *FormatError) Error() string {
	where := ""
	if e.Off >= 0 {
		where = fmt.Sprintf(" at offset %#x", e.Off)
	}
	if e.Val != nil {
		return fmt.Sprintf("pdb: %s (%v)%s", e.Msg, e.Val, where)
	}
	return fmt.Sprintf("pdb: %s%s", e.Msg, where)
}

// Unwrap returns ErrFormat.
func (e *FormatError) Unwrap() error { return ErrFormat }

func formatErr(off int64, msg string, val any) error {
	return &FormatError{Off: off, Msg: msg, Val: val}
}
