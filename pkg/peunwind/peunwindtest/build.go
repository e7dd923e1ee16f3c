// Package peunwindtest builds real Windows x64 images and lays out stacks
// by their unwind data, for tests of unwinders (pkg/peunwind, the
// analyzer's stack walk).
package peunwindtest

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// chainProgram calls main.main → main.a → main.b → main.c; each keeps a
// frame (noinline, locals, a call) so the linker writes unwind data for it.
const chainProgram = `package main

import "os"

//go:noinline
func c(n int) int {
	if n > 100 {
		os.Exit(n)
	}
	var b [64]byte
	b[n%64] = byte(n)
	return int(b[3]) + n
}

//go:noinline
func b(n int) int { return c(n+1) * 2 }

//go:noinline
func a(n int) int { return b(n+1) * 3 }

func main() { os.Exit(a(len(os.Args))) }
`

// BuildWindowsImage builds chainProgram with GOOS=windows GOARCH=amd64 in
// a temporary directory and returns the image as the Windows loader maps
// it (headers at 0, each section at its VirtualAddress) with the RVAs of
// its functions by name. It skips the test when the toolchain cannot
// cross-compile here.
func BuildWindowsImage(t testing.TB) (image []byte, funcs map[string]uint32) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go toolchain on PATH to build a Windows image: %v", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(chainProgram), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module chain\n\ngo 1.21\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "chain.exe")
	cmd := exec.Command(goBin, "build", "-o", exe, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("GOOS=windows GOARCH=amd64 go build failed (no cross-compiling toolchain here?): %v\n%s", err, out)
	}
	raw, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	image, f, err := MapImage(raw)
	if err != nil {
		t.Fatal(err)
	}
	funcs = map[string]uint32{}
	for _, sym := range f.Symbols {
		if strings.HasPrefix(sym.Name, "main.") && sym.SectionNumber > 0 {
			funcs[sym.Name] = f.Sections[sym.SectionNumber-1].VirtualAddress + sym.Value
		}
	}
	for _, name := range []string{"main.main", "main.a", "main.b", "main.c"} {
		if _, ok := funcs[name]; !ok {
			t.Fatalf("symbol %s not in the image's COFF symbol table", name)
		}
	}
	return image, funcs
}

// Stack is a fake stack: Bytes hold the memory from Base up.
type Stack struct {
	Base  uint64
	Bytes []byte
}

// ReadUint64 reads a little-endian word (peunwind.Memory).
func (m *Stack) ReadUint64(addr uint64) (uint64, error) {
	if addr < m.Base || addr-m.Base+8 > uint64(len(m.Bytes)) {
		return 0, fmt.Errorf("address %#x not on the stack", addr)
	}
	return binary.LittleEndian.Uint64(m.Bytes[addr-m.Base:]), nil
}

// Put writes a little-endian word.
func (m *Stack) Put(addr, v uint64) { binary.LittleEndian.PutUint64(m.Bytes[addr-m.Base:], v) }

// MapImage lays out a PE file as the Windows loader maps it: headers at
// 0, each section at its VirtualAddress, SizeOfImage bytes in all. It
// also returns the parsed file.
func MapImage(raw []byte) ([]byte, *pe.File, error) {
	f, err := pe.NewFile(bytes.NewReader(raw))
	if err != nil {
		return nil, nil, err
	}
	var size, headers uint32
	switch opt := f.OptionalHeader.(type) {
	case *pe.OptionalHeader64:
		size, headers = opt.SizeOfImage, opt.SizeOfHeaders
	case *pe.OptionalHeader32:
		size, headers = opt.SizeOfImage, opt.SizeOfHeaders
	default:
		return nil, nil, fmt.Errorf("no optional header")
	}
	if size > 64<<20 || int(headers) > len(raw) {
		return nil, nil, fmt.Errorf("implausible image: %d bytes, headers %d", size, headers)
	}
	image := make([]byte, size)
	copy(image, raw[:headers])
	for _, s := range f.Sections {
		data, err := s.Data()
		if err != nil {
			return nil, nil, err
		}
		if s.VirtualAddress < size {
			copy(image[s.VirtualAddress:], data[:min(len(data), int(s.VirtualSize))])
		}
	}
	return image, f, nil
}
