package minidump

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzNewReader feeds mutated real dumps to NewReader and every accessor.
// Any panic, or an error that does not wrap ErrFormat, is a bug.
func FuzzNewReader(f *testing.F) {
	for _, b := range realDumps(f) {
		if len(b) <= 128<<10 { // the 1 MiB stack dump only slows mutation
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewReader(bytes.NewReader(b), int64(len(b)))
		if err == nil {
			err = exercise(r)
		}
		if err != nil && !errors.Is(err, ErrFormat) {
			t.Fatalf("error does not wrap ErrFormat: %v", err)
		}
	})
}
