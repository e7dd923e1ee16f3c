package symbols

import (
	"bytes"
	"os"
	"testing"
)

// BenchmarkParse parses test_app.sym (1.3 MB, 22,151 lines: FUNC, lines, PUBLIC, STACK WIN).
func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile(needShared(b, testAppSym))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLookup is one frame's lookups: Function, FrameInfo and CFI at one RVA.
func BenchmarkLookup(b *testing.B) {
	sf, err := OpenFile(needShared(b, testAppSym))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	rvas := []uint64{0x429e, 0x41ff, 0x53eb, 0x1004, 0x20000}
	i := 0
	for b.Loop() {
		rva := rvas[i%len(rvas)]
		sf.Function(rva)
		sf.FrameInfo(rva)
		sf.CFI(rva)
		i++
	}
}
