// Package jsonconfig decodes configuration files strictly — one JSON
// value, no unknown fields, nothing after it — with errors that say where:
// "line 12, column 7: unknown field "cooldwn"". It is encoding/json with
// the offsets it reports turned into what an editor shows.
package jsonconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
)

// Decode decodes data into v strictly. Errors carry the line and column
// (1-based) of the fault when encoding/json gives an offset.
func Decode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return Error{Err: err}.at(data, offsetOf(err, data, dec))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Error{Err: errors.New("trailing data after the JSON value")}.at(data, dec.InputOffset())
	}
	return nil
}

// Error is a decoding error at a position of the file.
type Error struct {
	Line, Column int // 1-based; 0 when unknown
	Err          error
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return e.Err.Error()
	}
	return fmt.Sprintf("line %d, column %d: %v", e.Line, e.Column, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// at returns e positioned at byte offset off of data (off < 0: unknown).
func (e Error) at(data []byte, off int64) *Error {
	if off < 0 || off > int64(len(data)) {
		return &e
	}
	before := data[:off]
	e.Line = bytes.Count(before, []byte("\n")) + 1
	e.Column = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return &e
}

// offsetOf is where err happened: the offset encoding/json names, or for
// errors without one (unknown fields, an early end) where the decoder
// stopped.
func offsetOf(err error, data []byte, dec *json.Decoder) int64 {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return max(se.Offset-1, 0) // Offset counts the offending byte

	case errors.As(err, &te):
		return te.Offset
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return -1
	}
	// encoding/json reports an unknown field by name only, after reading
	// the whole value: find the key.
	if m := unknownField.FindStringSubmatch(err.Error()); m != nil {
		if loc := regexp.MustCompile(regexp.QuoteMeta(m[1]) + `\s*:`).FindIndex(data); loc != nil {
			return int64(loc[0])
		}
	}
	return dec.InputOffset()
}

var unknownField = regexp.MustCompile(`^json: unknown field ("(?:[^"\\]|\\.)*")$`)
