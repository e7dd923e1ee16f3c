package minidump

import (
	"errors"
	"fmt"
)

// ErrFormat is wrapped by every error about malformed, truncated or hostile
// input. Test with errors.Is(err, ErrFormat).
var ErrFormat = errors.New("minidump: malformed minidump")

// ErrNotPresent means the dump has no stream of the requested kind. Absent
// streams are normal (a dump without an exception is a live snapshot).
var ErrNotPresent = errors.New("minidump: stream not present")

// ErrNoMemory means the dump holds no bytes for the requested address.
var ErrNoMemory = errors.New("minidump: memory not in dump")

// FormatError describes malformed input at a file offset. It wraps
// ErrFormat.
type FormatError struct {
	Off int64  // file offset of the offending data
	Msg string // what is wrong
	Val any    // the offending value, if any
}

func (e *FormatError) Error() string {
	if e.Val != nil {
		return fmt.Sprintf("minidump: %s (%v) at offset %#x", e.Msg, e.Val, e.Off)
	}
	return fmt.Sprintf("minidump: %s at offset %#x", e.Msg, e.Off)
}

// Unwrap returns ErrFormat.
func (e *FormatError) Unwrap() error { return ErrFormat }

func formatErr(off int64, msg string, val any) error {
	return &FormatError{Off: off, Msg: msg, Val: val}
}
