package pdb

import (
	"bytes"
	"debug/pe"
	"errors"
	"os"
	"strings"
	"testing"
)

// debugDirOffset returns the file offset of the debug directory of the
// PE image b and of its CodeView entry's data.
func debugDirOffset(t *testing.T, b []byte) (dir, cvData int) {
	t.Helper()
	img, err := pe.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var dd pe.DataDirectory
	switch oh := img.OptionalHeader.(type) {
	case *pe.OptionalHeader32:
		dd = oh.DataDirectory[imageDirectoryEntryDebug]
	case *pe.OptionalHeader64:
		dd = oh.DataDirectory[imageDirectoryEntryDebug]
	}
	s := sectionFor(img, dd.VirtualAddress, dd.Size)
	if s == nil {
		t.Fatal("no section holds the debug directory")
	}
	dir = int(dd.VirtualAddress - s.VirtualAddress + s.Offset)
	for i := 0; i < int(dd.Size); i += debugDirEntrySize {
		if le.Uint32(b[dir+i+12:]) == imageDebugTypeCodeView {
			return dir + i, int(le.Uint32(b[dir+i+24:]))
		}
	}
	t.Fatal("no CodeView entry")
	return 0, 0
}

func TestReadCodeViewErrors(t *testing.T) {
	exe, err := os.ReadFile(sharedPath(t, "test-pdb.exe"))
	if err != nil {
		t.Fatal(err)
	}
	entry, data := debugDirOffset(t, exe)
	patched := func(off int, v []byte) []byte {
		b := bytes.Clone(exe)
		copy(b[off:], v)
		return b
	}
	u32 := func(v uint32) []byte { b := make([]byte, 4); le.PutUint32(b, v); return b }
	cases := []struct {
		name   string
		b      []byte
		target error
		want   string
	}{
		{"not PE", []byte("just some text, not an image"), ErrFormat, "not a readable PE image"},
		{"no CodeView entry", patched(entry+12, u32(13)), ErrNoCodeView, "no CodeView entry"},
		{"NB10", patched(data, []byte("NB10")), ErrNoCodeView, "NB10"},
		{"huge record", patched(entry+16, u32(0x7FFFFFFF)), ErrFormat, "bad size"},
		{"record past EOF", patched(entry+24, u32(uint32(len(exe)-30))), ErrFormat, "reading CodeView record"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadCodeView(bytes.NewReader(c.b))
			if !errors.Is(err, c.target) {
				t.Fatalf("error %v does not wrap %v", err, c.target)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
		})
	}
}
