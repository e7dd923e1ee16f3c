package minidump

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// sharedDumps is the read-only corpus of real minidumps (SOURCES.md).
const sharedDumps = "../../../shared/testdata/minidumps"

func realDumps(t testing.TB) map[string][]byte {
	t.Helper()
	out := realDumpsIfPresent(t)
	if len(out) == 0 {
		t.Skipf("no minidumps under %s: shared test data absent", sharedDumps)
	}
	return out
}

// realDumpsIfPresent is realDumps without the skip: empty when the shared
// corpus is absent (a failure under CI=true).
func realDumpsIfPresent(t testing.TB) map[string][]byte {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(sharedDumps, "*", "*.dmp"))
	if len(files) == 0 && os.Getenv("CI") == "true" {
		t.Fatalf("no minidumps under %s (shared test data is required in CI)", sharedDumps)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = b
	}
	return out
}

// exercise calls every accessor and reads memory around every thread's
// stack, returning the first error that is not ErrNotPresent/ErrNoMemory.
// It must never panic, whatever the input.
func exercise(r *Reader) error {
	var first error
	note := func(err error) {
		if err != nil && first == nil && !errors.Is(err, ErrNotPresent) && !errors.Is(err, ErrNoMemory) {
			first = err
		}
	}
	_, err := r.SystemInfo()
	note(err)
	_, err = r.MiscInfo()
	note(err)
	ts, err := r.Threads()
	note(err)
	for _, t := range ts {
		c, err := r.ReadContext(t.Context)
		note(err)
		if c != nil {
			_ = c.PC() + c.FP()
			buf := make([]byte, 256)
			_, err := r.ReadMemory(c.SP(), buf)
			note(err)
		}
	}
	_, err = r.ThreadInfos()
	note(err)
	_, err = r.ThreadNames()
	note(err)
	mods, err := r.Modules()
	note(err)
	for _, m := range mods {
		_ = m.BaseName() + m.CodeID()
		if m.CodeView != nil {
			_ = m.CodeView.DebugID()
		}
		if m.Version != nil {
			_ = m.Version.FileVersion()
		}
	}
	_, err = r.UnloadedModules()
	note(err)
	if ex, err := r.Exception(); err == nil {
		_, err = r.ReadContext(ex.Context)
		note(err)
	} else {
		note(err)
	}
	_, err = r.MemoryList()
	note(err)
	_, err = r.Memory64List()
	note(err)
	_, err = r.MemoryRanges()
	note(err)
	_, err = r.MemoryInfos()
	note(err)
	_, err = r.Handles()
	note(err)
	_, err = r.Comments()
	note(err)
	_, err = r.BreakpadInfo()
	note(err)
	_, err = r.Assertion()
	note(err)
	if si, err := r.SystemInfo(); err == nil {
		_ = si.OSVersion() + si.CPUInfo() + si.ProcessorArchitecture.String()
	}
	return first
}

func TestRealDumpsParseCleanly(t *testing.T) {
	for name, b := range realDumps(t) {
		r, err := NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := exercise(r); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if r.BytesRead() == 0 || r.BytesRead() > int64(len(b))*2 {
			t.Errorf("%s: BytesRead = %d for a %d-byte file", name, r.BytesRead(), len(b))
		}
	}
}

func TestMinidump2Details(t *testing.T) {
	b := realDumps(t)["minidump2.dmp"]
	r, err := NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	mods, err := r.Modules()
	if err != nil {
		t.Fatal(err)
	}
	main := mods[0]
	if main.Name != `c:\test_app.exe` || main.CodeView == nil || main.CodeView.PDBName != `c:\test_app.pdb` {
		t.Fatalf("main module = %q, codeview %+v", main.Name, main.CodeView)
	}
	if got, want := main.CodeView.DebugID(), "5A9832E5287241C1838ED98914E9B7FF1"; got != want {
		t.Errorf("DebugID = %s, want %s", got, want)
	}
	if got, want := main.CodeID(), "45D35F6C2d000"; got != want {
		t.Errorf("CodeID = %s, want %s", got, want)
	}
	bi, err := r.BreakpadInfo()
	if err != nil || bi.DumpThreadID != 0x11c0 || bi.RequestingThreadID != 0xbf4 {
		t.Errorf("BreakpadInfo = %+v, %v", bi, err)
	}
	ex, err := r.Exception()
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.ReadContext(ex.Context)
	if err != nil {
		t.Fatal(err)
	}
	if c.PC() != 0x40429e || c.SP() != 0x12fe84 {
		t.Errorf("exception context eip=%#x esp=%#x", c.PC(), c.SP())
	}
	ranges, err := r.MemoryList()
	if err != nil || len(ranges) != 3 {
		t.Fatalf("MemoryList = %d ranges, %v", len(ranges), err)
	}
	// ReadMemory reads only what is asked for.
	before := r.BytesFetched()
	buf := make([]byte, 8)
	n, err := r.ReadMemory(ranges[0].Start+4, buf)
	if err != nil || n != 8 {
		t.Fatalf("ReadMemory = %d, %v", n, err)
	}
	if got := r.BytesFetched() - before; got != 8 {
		t.Errorf("ReadMemory of 8 bytes read %d bytes of the file", got)
	}
	if _, err := r.ReadMemory(1, buf); !errors.Is(err, ErrNoMemory) {
		t.Errorf("ReadMemory(1) = %v, want ErrNoMemory", err)
	}
}

func TestTinyExeStreams(t *testing.T) {
	b := realDumps(t)["tiny-exe-with-cet-xsave.dmp"]
	r, err := NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	infos, err := r.MemoryInfos()
	if err != nil || len(infos) != 557 {
		t.Fatalf("MemoryInfos = %d, %v", len(infos), err)
	}
	hs, err := r.Handles()
	if err != nil || len(hs) == 0 {
		t.Fatalf("Handles = %d, %v", len(hs), err)
	}
	typed := 0
	for _, h := range hs {
		if h.TypeName != "" {
			typed++
		}
	}
	if typed == 0 {
		t.Errorf("no handle has a type name")
	}
	if _, err := r.UnloadedModules(); err != nil {
		t.Errorf("UnloadedModules: %v", err)
	}
	if _, err := r.Exception(); !errors.Is(err, ErrNotPresent) {
		t.Errorf("Exception = %v, want ErrNotPresent", err)
	}
	mi, err := r.MiscInfo()
	if err != nil || mi.SizeOfInfo != miscV5 || mi.ProcessID != 15444 {
		t.Errorf("MiscInfo = %+v, %v", mi, err)
	}
	ts, _ := r.Threads()
	c, err := r.ReadContext(ts[0].Context)
	if _, ok := c.(*ContextAMD64); err != nil || !ok {
		t.Errorf("context = %T, %v", c, err)
	}
}

func TestInvalidParameterAssertion(t *testing.T) {
	b := realDumps(t)["invalid-parameter.dmp"]
	r, err := NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	as, err := r.Assertion()
	if err != nil {
		t.Fatal(err)
	}
	want := Assertion{"format != nullptr", "common_vfprintf", `minkernel\crts\ucrt\src\appcrt\stdio\output.cpp`, 32, AssertionInvalidParameter}
	if *as != want {
		t.Errorf("Assertion = %+v, want %+v", *as, want)
	}
}

// mutation makes a corrupt variant of a real dump.
type mutation struct {
	name string
	fn   func(b []byte) []byte
}

func put32(b []byte, off int, v uint32) []byte {
	if off+4 <= len(b) {
		binary.LittleEndian.PutUint32(b[off:], v)
	}
	return b
}

// streamOff returns the directory offset of the first stream of type t.
func streamOff(b []byte, t StreamType) int {
	n, dir := int(binary.LittleEndian.Uint32(b[8:])), int(binary.LittleEndian.Uint32(b[12:]))
	for i := 0; i < n && dir+i*12+12 <= len(b); i++ {
		if StreamType(binary.LittleEndian.Uint32(b[dir+i*12:])) == t {
			return dir + i*12
		}
	}
	return -1
}

// hugeCount sets the first u32 of stream t (its count) to 0xffffffff.
func hugeCount(t StreamType) func([]byte) []byte {
	return func(b []byte) []byte {
		if o := streamOff(b, t); o >= 0 {
			put32(b, int(binary.LittleEndian.Uint32(b[o+8:])), 0xffffffff)
		}
		return b
	}
}

var mutations = []mutation{
	{"bad signature", func(b []byte) []byte { return put32(b, 0, 0x41414141) }},
	{"huge stream count", func(b []byte) []byte { return put32(b, 8, 0xffffffff) }},
	{"directory past end", func(b []byte) []byte { return put32(b, 12, 0xfffffff0) }},
	{"directory in header", func(b []byte) []byte { return put32(b, 12, 4) }},
	{"stream size past end", func(b []byte) []byte {
		return put32(b, int(binary.LittleEndian.Uint32(b[12:]))+4, 0x7fffffff)
	}},
	{"stream rva past end", func(b []byte) []byte {
		return put32(b, int(binary.LittleEndian.Uint32(b[12:]))+8, 0xfffffff0)
	}},
	{"huge thread count", hugeCount(ThreadListStream)},
	{"huge module count", hugeCount(ModuleListStream)},
	{"huge memory count", hugeCount(MemoryListStream)},
	{"huge thread name count", hugeCount(ThreadNamesStream)},
	{"huge memory info header", hugeCount(MemoryInfoListStream)},
	{"huge handle header", hugeCount(HandleDataStream)},
	{"module name rva past end", func(b []byte) []byte {
		if o := streamOff(b, ModuleListStream); o >= 0 {
			put32(b, int(binary.LittleEndian.Uint32(b[o+8:]))+4+20, 0xfffffff0)
		}
		return b
	}},
	{"thread context past end", func(b []byte) []byte {
		if o := streamOff(b, ThreadListStream); o >= 0 {
			put32(b, int(binary.LittleEndian.Uint32(b[o+8:]))+4+44, 0xfffffff0)
		}
		return b
	}},
	{"exception parameter count", func(b []byte) []byte {
		if o := streamOff(b, ExceptionStream); o >= 0 {
			put32(b, int(binary.LittleEndian.Uint32(b[o+8:]))+32, 1000)
		}
		return b
	}},
}

// TestCorruptVariantsFailCleanly runs every mutation, every directory byte
// flip and truncation at many offsets over every real dump: each must parse
// or fail with ErrFormat, never panic or fail otherwise.
func TestCorruptVariantsFailCleanly(t *testing.T) {
	for name, orig := range realDumps(t) {
		check := func(what string, b []byte, mustFail bool) {
			t.Helper()
			r, err := NewReader(bytes.NewReader(b), int64(len(b)))
			if err == nil {
				err = exercise(r)
			}
			if err != nil && !errors.Is(err, ErrFormat) {
				t.Errorf("%s %s: error does not wrap ErrFormat: %v", name, what, err)
			}
			if mustFail && err == nil {
				t.Errorf("%s %s: no error", name, what)
			}
		}
		for _, m := range mutations {
			b := m.fn(bytes.Clone(orig))
			check(m.name, b, !bytes.Equal(b, orig) && m.name != "huge handle header" && m.name != "huge memory info header")
		}
		// Truncation at many offsets: every cut loses some stream's bytes.
		for _, cut := range truncations(len(orig)) {
			check("truncated", orig[:cut], true)
		}
		// Flip every byte of the header and directory.
		dirEnd := min(len(orig), int(binary.LittleEndian.Uint32(orig[12:]))+int(binary.LittleEndian.Uint32(orig[8:]))*12)
		for i := 0; i < dirEnd; i++ {
			b := bytes.Clone(orig)
			b[i] ^= 0xff
			check("flip", b, false)
		}
	}
}

func truncations(n int) []int {
	var cuts []int
	for c := 0; c < n; c += max(1, n/97) {
		cuts = append(cuts, c)
	}
	return append(cuts, n-1)
}

func TestErrorsAreTyped(t *testing.T) {
	_, err := NewReader(bytes.NewReader([]byte("MDMP")), 4)
	var fe *FormatError
	if !errors.As(err, &fe) || !errors.Is(err, ErrFormat) {
		t.Fatalf("short file: %v, want *FormatError wrapping ErrFormat", err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing.dmp")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open missing = %v", err)
	}
}
