package pdb

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"testing"
	"unsafe"
)

func mustNewFile(t *testing.T, b []byte) *File {
	t.Helper()
	f, err := NewFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestSyntheticPDB(t *testing.T) {
	f := mustNewFile(t, buildPDB(defaultSpec()))
	if f.GUID() != synthGUID {
		t.Errorf("GUID = %x", f.GUID())
	}
	// Age is the DBI's (what the image's CodeView record carries), not the
	// info stream's.
	if f.Age() != 2 || f.InfoAge() != 3 {
		t.Errorf("Age = %d, InfoAge = %d; want 2, 3", f.Age(), f.InfoAge())
	}
	if want := "123456789ABCDEF001020304050607082"; f.DebugID() != want {
		t.Errorf("DebugID = %s, want %s", f.DebugID(), want)
	}
	pubs, err := f.Publics()
	if err != nil {
		t.Fatal(err)
	}
	wantPubs := []Symbol{
		{Name: "?run@@YAXXZ", Segment: 1, Offset: 0x20, RVA: 0x1020, Function: true},
		{Name: "g_table", Segment: 2, Offset: 0x8, RVA: 0x5008},
	}
	if !equalSymbols(pubs, wantPubs) {
		t.Errorf("Publics = %+v\nwant %+v", pubs, wantPubs)
	}
	fns, err := f.Functions()
	if err != nil {
		t.Fatal(err)
	}
	wantFns := []Symbol{
		{Name: "run", Segment: 1, Offset: 0x20, RVA: 0x1020, Size: 0x40, Function: true},
		{Name: "helper", Segment: 1, Offset: 0x60, RVA: 0x1060, Size: 0x10, Function: true},
	}
	if !equalSymbols(fns, wantFns) {
		t.Errorf("Functions = %+v\nwant %+v", fns, wantFns)
	}
}

func TestSyntheticLines(t *testing.T) {
	f := mustNewFile(t, buildPDB(defaultSpec()))
	ls, err := f.Lines()
	if err != nil {
		t.Fatal(err)
	}
	// run is at 1:0x20 (RVA 0x1020), 0x40 bytes long.
	want := []Line{
		{Segment: 1, Offset: 0x20, RVA: 0x1020, Size: 8, File: synthFile, Line: 10},
		{Segment: 1, Offset: 0x28, RVA: 0x1028, Size: 0x28, File: synthFile, Line: 11},
		{Segment: 1, Offset: 0x50, RVA: 0x1050, Size: 0x10, File: synthFile, Line: 14},
	}
	if len(ls) != len(want) {
		t.Fatalf("Lines = %+v\nwant %+v", ls, want)
	}
	for i := range ls {
		if ls[i] != want[i] {
			t.Errorf("Lines[%d] = %+v, want %+v", i, ls[i], want[i])
		}
	}
}

func TestSyntheticFrames(t *testing.T) {
	s := defaultSpec()
	s.withFrames = true
	f := mustNewFile(t, buildPDB(s))
	fd, err := f.FrameData()
	if err != nil {
		t.Fatal(err)
	}
	wantFD := FrameData{RVA: 0x1020, CodeSize: 0x40, LocalSize: 8, ParamsSize: 4, MaxStackSize: 16,
		PrologSize: 3, SavedRegsSize: 4, Program: synthProgram, HasCPPEH: true, IsFunctionStart: true}
	if len(fd) != 1 || fd[0] != wantFD {
		t.Errorf("FrameData = %+v\nwant [%+v]", fd, wantFD)
	}
	fpo, err := f.FPO()
	if err != nil {
		t.Fatal(err)
	}
	wantFPO := FPO{RVA: 0x1020, CodeSize: 0x40, LocalSize: 8, ParamsSize: 12, PrologSize: 5, SavedRegs: 2, UsesBP: true, FrameType: 3}
	if len(fpo) != 1 || fpo[0] != wantFPO {
		t.Errorf("FPO = %+v\nwant [%+v]", fpo, wantFPO)
	}
	// Without the streams both are empty, not errors.
	f = mustNewFile(t, buildPDB(defaultSpec()))
	if fd, err := f.FrameData(); err != nil || len(fd) != 0 {
		t.Errorf("FrameData without the stream = %v, %v", fd, err)
	}
	if fpo, err := f.FPO(); err != nil || len(fpo) != 0 {
		t.Errorf("FPO without the stream = %v, %v", fpo, err)
	}
}

func equalSymbols(a, b []Symbol) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestOMAPTranslatesRVAs: with an OMAP "from source" table the original
// section headers give the pre-rewrite address and OMAP maps it; an entry
// mapping to 0 means the code was dropped (RVA 0).
func TestOMAPTranslatesRVAs(t *testing.T) {
	s := defaultSpec()
	s.omap = []omapEntry{{0x1000, 0x2000}, {0x1060, 0}, {0x1070, 0x3000}}
	f := mustNewFile(t, buildPDB(s))
	fns, err := f.Functions()
	if err != nil {
		t.Fatal(err)
	}
	if fns[0].RVA != 0x2020 || fns[1].RVA != 0 {
		t.Errorf("RVAs through OMAP = %#x, %#x; want 0x2020, 0", fns[0].RVA, fns[1].RVA)
	}
	pubs, err := f.Publics()
	if err != nil {
		t.Fatal(err)
	}
	// 0x5008 is past the last entry's start: 0x3000 + (0x5008-0x1070).
	if pubs[1].RVA != 0x3000+0x5008-0x1070 {
		t.Errorf("public RVA through OMAP = %#x", pubs[1].RVA)
	}
}

// TestNoDBIStream: a PDB without a DBI stream (types only) opens; it has
// no symbols and its age is the info stream's.
func TestNoDBIStream(t *testing.T) {
	b := buildPDBWith(defaultSpec(), func(s [][]byte) [][]byte { return s[:3] })
	f := mustNewFile(t, b)
	if f.Age() != 3 {
		t.Errorf("Age = %d, want the info stream's 3", f.Age())
	}
	pubs, err := f.Publics()
	if err != nil || len(pubs) != 0 {
		t.Errorf("Publics = %v, %v; want none", pubs, err)
	}
	fns, err := f.Functions()
	if err != nil || len(fns) != 0 {
		t.Errorf("Functions = %v, %v; want none", fns, err)
	}
}

// TestMalformed feeds broken PDBs: every one must give an error that wraps
// ErrFormat, says what is wrong, and costs little memory however large the
// numbers in the file.
func TestMalformed(t *testing.T) {
	good := buildPDB(defaultSpec())
	bs := msfBlockSize
	patch := func(off int, v uint32) []byte {
		b := bytes.Clone(good)
		le.PutUint32(b[off:], v)
		return b
	}
	editStream := func(i int, fn func([]byte) []byte) []byte {
		return buildPDBWith(defaultSpec(), func(s [][]byte) [][]byte {
			s[i] = fn(bytes.Clone(s[i]))
			return s
		})
	}
	put32 := func(off int, v uint32) func([]byte) []byte {
		return func(b []byte) []byte { le.PutUint32(b[off:], v); return b }
	}
	dirStreamSize := 4*bs + 4 // the first stream size in the directory
	u32 := func(v uint32) []byte { b := make([]byte, 4); le.PutUint32(b, v); return b }
	cases := []struct {
		name string
		b    []byte
		want string
		lazy bool // the error comes from Publics/Functions, not NewFile
		// at, when set, is what the input holds at the error's offset:
		// the offset must point at the bad field.
		at []byte
	}{
		{"empty", nil, "too short", false, nil},
		{"bad magic", append([]byte("MZ"), good[2:]...), "bad magic", false, nil},
		{"MSF 2.0", append([]byte("Microsoft C/C++ program database 2.00\r\n\x1aJG\x00\x00"), good[44:]...), "MSF 2.0", false, nil},
		{"truncated", good[:len(good)-bs], "truncated", false, nil},
		{"block size", patch(32, 1000), "block size", false, u32(1000)},
		{"huge directory", patch(44, 0xFFFFFFF0), "directory larger", false, nil},
		{"block map addr", patch(52, 0x7FFFFFFF), "block map address", false, nil},
		{"directory block", patch(3*bs, 0x7FFFFFFF), "directory block index", false, u32(0x7FFFFFFF)},
		{"stream count", patch(4*bs, 0x7FFFFFFF), "stream count", false, nil},
		{"stream size", patch(dirStreamSize+4, 0xFFFFFFF0), "more blocks", false, nil},
		{"info too short", editStream(streamPDBInfo, func(b []byte) []byte { return b[:20] }), "info stream too short", false, nil},
		{"info version", editStream(streamPDBInfo, put32(0, 19990604)), "before VC70", false, u32(19990604)},
		{"DBI signature", editStream(streamDBI, put32(0, 0)), "version signature", false, []byte{0, 0, 0, 0}},
		{"DBI substream", editStream(streamDBI, put32(28, 0x7FFFFFF0)), "substreams", false, nil},
		{"DBI negative substream", editStream(streamDBI, put32(32, 0xFFFFFFF0)), "negative", false, nil},
		{"module stream index", editStream(streamDBI, func(b []byte) []byte {
			le.PutUint16(b[dbiHeaderSize+34:], 999)
			return b
		}), "stream index out of range", true, nil},
		{"modules share a stream", buildPDBWith(defaultSpec(), func(st [][]byte) [][]byte {
			// Append a copy of the module entry: two modules, one stream.
			dbi := bytes.Clone(st[streamDBI])
			n := le.Uint32(dbi[24:])
			mi := dbi[dbiHeaderSize : dbiHeaderSize+n]
			out := append(bytes.Clone(dbi[:dbiHeaderSize+n]), mi...)
			out = append(out, dbi[dbiHeaderSize+n:]...)
			le.PutUint32(out[24:], 2*n)
			st[streamDBI] = out
			return st
		}), "share symbol stream", true, []byte{synthModStream, 0}},
		{"module symbol size", editStream(streamDBI, put32(dbiHeaderSize+36, 0x7FFFFFFF)), "do not fit its stream", true, nil},
		{"module name", editStream(streamDBI, func(b []byte) []byte {
			// The module info substream ends without the names' NULs.
			mi := b[dbiHeaderSize+modInfoFixed : dbiHeaderSize+int(le.Uint32(b[24:]))]
			for i := range mi {
				mi[i] = 'x'
			}
			return b
		}), "unterminated", true, nil},
		{"C13 signature", editStream(synthModStream, put32(0, 2)), "C13", true, u32(2)},
		{"record length", editStream(synthModStream, func(b []byte) []byte {
			le.PutUint16(b[4:], 0xFFFF)
			return b
		}), "bad length", true, []byte{0xFF, 0xFF}},
		{"proc name", editStream(synthModStream, func(b []byte) []byte {
			// A procedure record too short for its fixed fields.
			le.PutUint16(b[4:], 10)
			return b
		}), "truncated", true, nil},
		{"names signature", editStream(synthNamesStream, put32(0, 1)), "/names string table: bad signature", true, u32(1)},
		{"names size", editStream(synthNamesStream, put32(8, 0x7FFFFFFF)), "/names string table: truncated", true, nil},
		{"named stream map capacity", editStream(streamPDBInfo, put32(28+4+7+4, 0x7FFFFFFF)), "capacity", true, nil},
		{"named stream map words", editStream(streamPDBInfo, put32(28+4+7+8, 0x7FFFFFFF)), "truncated", true, nil},
		{"named stream name", editStream(streamPDBInfo, put32(28+4+7+20, 0x7FFFFFFF)), "name offset", true, nil},
		{"file name offset", editStream(synthModStream, func(b []byte) []byte {
			le.PutUint32(b[len(b)-(12+12+8*3)-8-8:], 0x7FFFFFF0) // the checksum entry's name offset
			return b
		}), "offset outside the table", true, nil},
		{"line count", editStream(synthModStream, func(b []byte) []byte {
			le.PutUint32(b[len(b)-8*3-8:], 0x7FFFFFFF) // the block's line count
			return b
		}), "more lines than bytes", true, u32(0x7FFFFFFF)},
		{"line subsection length", editStream(synthModStream, func(b []byte) []byte {
			le.PutUint32(b[len(b)-(12+12+8*3)-4:], 0x7FFFFFFF)
			return b
		}), "truncated", true, nil},
		{"section headers", editStream(synthSectionStream, func(b []byte) []byte { return b[:30] }), "multiple of 40", true, nil},
		{"GSI version", editStream(synthPublicsStream, put32(publicsHeaderSize+4, 1)), "GSI", true, u32(gsiSignature)},
		{"hash records size", editStream(synthPublicsStream, put32(publicsHeaderSize+8, 0x7FFFFFF8)), "do not fit", true, nil},
		{"hash record offset", editStream(synthPublicsStream, put32(publicsHeaderSize+gsiHeaderSize, 0x7FFFFFF0)), "past the end", true, nil},
		{"hash record zero", editStream(synthPublicsStream, put32(publicsHeaderSize+gsiHeaderSize, 0)), "offset 0", true, []byte{0, 0, 0, 0}},
		{"not S_PUB32", editStream(synthSymRecStream, func(b []byte) []byte {
			le.PutUint16(b[2:], sGProc32)
			return b
		}), "not S_PUB32", true, nil},
		{"publics stream index", editStream(streamDBI, func(b []byte) []byte {
			le.PutUint16(b[16:], 999)
			return b
		}), "stream index out of range", true, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			f, err := NewFile(bytes.NewReader(c.b), int64(len(c.b)))
			if err == nil {
				if !c.lazy {
					t.Fatal("NewFile accepted it")
				}
				_, err = f.Publics()
				if err == nil {
					_, err = f.Functions()
				}
				if err == nil {
					_, err = f.Lines()
				}
			} else if c.lazy {
				t.Fatalf("NewFile: %v (expected it to open and fail later)", err)
			}
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrFormat) {
				t.Errorf("error does not wrap ErrFormat: %v", err)
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Errorf("error is not a *FormatError: %v", err)
			}
			if c.at != nil {
				if fe == nil || fe.Off < 0 || fe.Off+int64(len(c.at)) > int64(len(c.b)) {
					t.Errorf("error %v has no usable file offset", err)
				} else if got := c.b[fe.Off : fe.Off+int64(len(c.at))]; !bytes.Equal(got, c.at) {
					t.Errorf("offset %#x holds % x, want the bad field % x", fe.Off, got, c.at)
				}
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 4<<20 {
				t.Errorf("allocated %d bytes for a %d-byte file", n, len(c.b))
			}
		})
	}
}

// TestRepeatedRecordsDoNotAmplify: hash records that all point at one
// S_PUB32 with a 60 KB name must not cost 60 KB each (2,000 of them would
// be 120 MB).
func TestRepeatedRecordsDoNotAmplify(t *testing.T) {
	longName := strings.Repeat("n", 60000)
	const repeats = 2000
	s := defaultSpec()
	s.publics = []synthPublic{{name: longName, flags: pubFunction, seg: 1, off: 0}}
	b := buildPDBWith(s, func(st [][]byte) [][]byte {
		pub := bytes.Clone(st[synthPublicsStream])
		hrSize := le.Uint32(pub[publicsHeaderSize+8:])
		rest := pub[publicsHeaderSize+gsiHeaderSize+int(hrSize):]
		var hr []byte
		for range repeats {
			hr = le.AppendUint32(hr, 1)
			hr = le.AppendUint32(hr, 1)
		}
		out := bytes.Clone(pub[:publicsHeaderSize+gsiHeaderSize])
		le.PutUint32(out, uint32(gsiHeaderSize+len(hr)+len(rest)))
		le.PutUint32(out[publicsHeaderSize+8:], uint32(len(hr)))
		out = append(append(out, hr...), rest...)
		st[synthPublicsStream] = out
		return st
	})
	f := mustNewFile(t, b)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	pubs, err := f.Publics()
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if len(pubs) != repeats || pubs[repeats-1].Name != longName {
		t.Fatalf("got %d publics", len(pubs))
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 16<<20 {
		t.Errorf("Publics allocated %d bytes for a %d-byte file", n, len(b))
	}
}

// TestStringTableSharesNames: line blocks that name the same file get one
// string, not a copy each (a crafted file could name a 60 KB path from
// every 12-byte block).
func TestStringTableSharesNames(t *testing.T) {
	st := &stringTable{buf: []byte("\x00a-long-file-name.cpp\x00"), cache: map[uint32]string{}}
	a, err := st.name(1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := st.name(1)
	if a != "a-long-file-name.cpp" || unsafe.StringData(a) != unsafe.StringData(b) {
		t.Errorf("name(1) = %q and %q, not one shared string", a, b)
	}
}

func TestFormatErrorMessage(t *testing.T) {
	if got := formatErr(0x38, "bad thing", 7).Error(); got != "pdb: bad thing (7) at offset 0x38" {
		t.Errorf("got %q", got)
	}
	if got := formatErr(-1, "stream 3: bad", nil).Error(); got != "pdb: stream 3: bad" {
		t.Errorf("got %q", got)
	}
}
