package pdb

import (
	"bytes"
	"os"
	"testing"
)

// BenchmarkReadAll opens a PDB from memory and reads everything a symbol
// table needs (publics, functions, lines): the cost per module the
// symbol store pays on a cache miss. It uses the real test-pdb.pdb when
// the shared data is present, otherwise a built one.
func BenchmarkReadAll(b *testing.B) {
	data, err := os.ReadFile(sharedPDBs + "/test-pdb.pdb")
	if err != nil {
		if os.Getenv("CI") == "true" {
			b.Fatal(err)
		}
		data = buildPDB(defaultSpec())
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := NewFile(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.Publics(); err != nil {
			b.Fatal(err)
		}
		if _, err := f.Functions(); err != nil {
			b.Fatal(err)
		}
		if _, err := f.Lines(); err != nil {
			b.Fatal(err)
		}
	}
}
