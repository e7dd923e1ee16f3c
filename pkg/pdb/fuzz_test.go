package pdb

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

// realFilesIfPresent returns the shared PDBs (ext ".pdb") or executables
// (".exe"); none when the shared data is absent (a failure under CI=true).
func realFilesIfPresent(tb testing.TB, ext string) [][]byte {
	tb.Helper()
	var out [][]byte
	for _, n := range realPDBNames {
		p := sharedPDBs + "/" + n + ext
		b, err := os.ReadFile(p)
		if err != nil {
			if os.Getenv("CI") == "true" {
				tb.Fatalf("%s missing (shared test data is required in CI): %v", p, err)
			}
			continue
		}
		out = append(out, b)
	}
	return out
}

// exercise calls every accessor; it must never panic, whatever the input.
func exercise(f *File) error {
	_ = f.GUID()
	_ = f.DebugID()
	_, err := f.Publics()
	_, err2 := f.Functions()
	_, err3 := f.Lines()
	_, err4 := f.FrameData()
	_, err5 := f.FPO()
	return errors.Join(err, err2, err3, err4, err5)
}

// FuzzNewFile feeds mutated real and synthetic PDBs to NewFile and every
// accessor. A panic, or an error that does not wrap ErrFormat, is a bug
// (a bytes.Reader never fails a read that the checks allowed).
func FuzzNewFile(f *testing.F) {
	for _, b := range realFilesIfPresent(f, ".pdb") {
		f.Add(b)
	}
	f.Add(buildPDB(defaultSpec()))
	s := defaultSpec()
	s.omap = []omapEntry{{0x1000, 0x2000}, {0x1060, 0}}
	f.Add(buildPDB(s))
	s = defaultSpec()
	s.withFrames = true
	f.Add(buildPDB(s))
	f.Fuzz(func(t *testing.T, b []byte) {
		pf, err := NewFile(bytes.NewReader(b), int64(len(b)))
		if err == nil {
			err = exercise(pf)
		}
		if err != nil && !errors.Is(err, ErrFormat) {
			t.Fatalf("error does not wrap ErrFormat: %v", err)
		}
	})
}

// FuzzReadCodeView feeds mutated executables to ReadCodeView.
func FuzzReadCodeView(f *testing.F) {
	for _, b := range realFilesIfPresent(f, ".exe") {
		f.Add(b)
	}
	f.Add([]byte("MZ"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := ReadCodeView(bytes.NewReader(b))
		if err != nil && !errors.Is(err, ErrFormat) && !errors.Is(err, ErrNoCodeView) {
			t.Fatalf("error wraps neither ErrFormat nor ErrNoCodeView: %v", err)
		}
	})
}
