package messages

import (
	"crypto/sha256"
	"encoding/hex"
)

// shortHash is the first 16 hex digits of the SHA-256 of parts, each
// length-prefixed (8 bytes, little-endian) so ("ab","c") and ("a","bc")
// differ. Small inputs are hashed from a stack buffer in one call.
func shortHash(parts ...string) string {
	var stack [512]byte
	buf := stack[:0]
	for _, p := range parts {
		l := uint64(len(p))
		for i := range 8 {
			buf = append(buf, byte(l>>(8*i)))
		}
		buf = append(buf, p...)
	}
	sum := sha256.Sum256(buf)
	var out [16]byte
	hex.Encode(out[:], sum[:8])
	return string(out[:])
}
