package worker

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
)

// minidumpHeaderSize is the size of MINIDUMP_HEADER; no valid dump is
// shorter.
const minidumpHeaderSize = 32

// minidumpMagic is the header's Signature ("MDMP") followed by the low word
// of its Version (MINIDUMP_VERSION, 0xA793), little-endian.
var minidumpMagic = [6]byte{'M', 'D', 'M', 'P', 0x93, 0xA7}

// ErrCorruptDump means the bytes Kudu sent are not a minidump.
var ErrCorruptDump = errors.New("worker: dump is not a minidump")

// ErrShortDump means the dump ended before its announced length, or is
// shorter than a minidump header.
var ErrShortDump = errors.New("worker: dump is short")

// verifier checks a dump while it streams: it counts bytes, hashes them,
// and refuses the stream as soon as the first bytes are not a minidump
// header. It is an io.Writer; hashStored checks stored dumps with it (a dump
// being captured goes through copyDump instead).
type verifier struct {
	n    int64
	h    hash.Hash
	head [len(minidumpMagic)]byte
}

func newVerifier() *verifier { return &verifier{h: sha256.New()} }

// Write implements io.Writer; it fails with ErrCorruptDump once the magic
// bytes are known to be wrong.
func (v *verifier) Write(p []byte) (int, error) {
	if v.n < int64(len(v.head)) {
		k := copy(v.head[v.n:], p)
		end := v.n + int64(k)
		if string(v.head[:end]) != string(minidumpMagic[:end]) {
			return 0, fmt.Errorf("%w: starts with %q, want \"MDMP\" and version 0xA793", ErrCorruptDump, v.head[:end])
		}
	}
	v.h.Write(p)
	v.n += int64(len(p))
	return len(p), nil
}

// finish checks the whole stream: at least a header, and exactly want bytes
// when want > 0.
func (v *verifier) finish(want int64) error { return checkLength(v.n, want) }

// checkLength checks a whole dump's length n: at least a header, and
// exactly want bytes when want > 0.
func checkLength(n, want int64) error {
	if want > 0 && n != want {
		return fmt.Errorf("%w: got %d of %d bytes", ErrShortDump, n, want)
	}
	if n < minidumpHeaderSize {
		return fmt.Errorf("%w: %d bytes, less than a minidump header", ErrShortDump, n)
	}
	return nil
}

func (v *verifier) sum() string { return hex.EncodeToString(v.h.Sum(nil)) }

// readError marks an error that came from reading the Kudu body (as opposed
// to writing the blob); copyDump returns it.
type readError struct{ err error }

func (e *readError) Error() string { return "reading dump from kudu: " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// copyBufferSize is the buffer hashStored reads a stored dump through.
const copyBufferSize = 256 << 10
