package dumpgen

import (
	"io"
	"testing"
)

// BenchmarkWriteTo measures generating a 256 MiB full dump.
func BenchmarkWriteTo(b *testing.B) {
	const size = 256 << 20
	d, err := New(SampleSpec(4120, MiniDumpWithFullMemory, size))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if n, err := d.WriteTo(io.Discard); err != nil || n != size {
			b.Fatal(n, err)
		}
	}
}

// BenchmarkNew measures laying out and encoding a dump's prefix.
func BenchmarkNew(b *testing.B) {
	s := SampleSpec(4120, MiniDumpWithFullMemory, 4<<30)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := New(s); err != nil {
			b.Fatal(err)
		}
	}
}
