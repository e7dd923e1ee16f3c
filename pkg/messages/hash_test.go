package messages

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// referenceShortHash is shortHash as first written: a streaming hash.
func referenceShortHash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		var n [8]byte
		l := uint64(len(p))
		for i := range n {
			n[i] = byte(l >> (8 * i))
		}
		h.Write(n[:])
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func TestShortHashUnchanged(t *testing.T) {
	for _, parts := range [][]string{nil, {""}, {"ab", "c"}, {"a", "bc"}, {"azure-monitor-common", "/subscriptions/x/alerts/1"},
		{strings.Repeat("x", 600)}, {strings.Repeat("y", 300), strings.Repeat("z", 300)}} {
		if got, want := shortHash(parts...), referenceShortHash(parts...); got != want {
			t.Errorf("shortHash(%q) = %s, want %s", parts, got, want)
		}
	}
}

func FuzzShortHash(f *testing.F) {
	f.Add("a", "bc", "")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		if got, want := shortHash(a, b, c), referenceShortHash(a, b, c); got != want {
			t.Fatalf("shortHash(%q, %q, %q) = %s, want %s", a, b, c, got, want)
		}
	})
}
