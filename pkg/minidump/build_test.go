package minidump

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"unicode/utf16"
)

// dumpBuilder assembles small minidumps for tests: streams are appended
// after the header and directory; blob appends raw data and returns its
// offset.
type dumpBuilder struct {
	streams []Directory
	data    [][]byte
	body    bytes.Buffer
}

const testBodyBase = 32 + 12*16 // header + room for 16 directory entries

func (b *dumpBuilder) blob(p []byte) uint32 {
	off := testBodyBase + b.body.Len()
	b.body.Write(p)
	return uint32(off)
}

func (b *dumpBuilder) str(s string) uint32 {
	u := utf16.Encode([]rune(s))
	p := binary.LittleEndian.AppendUint32(nil, uint32(2*len(u)))
	for _, c := range u {
		p = binary.LittleEndian.AppendUint16(p, c)
	}
	return b.blob(append(p, 0, 0))
}

func (b *dumpBuilder) stream(t StreamType, p []byte) {
	b.streams = append(b.streams, Directory{Type: t, Location: Location{DataSize: uint32(len(p)), Rva: b.blob(p)}})
}

func (b *dumpBuilder) bytes() []byte {
	var out []byte
	le := binary.LittleEndian
	out = le.AppendUint32(out, Signature)
	out = le.AppendUint32(out, headerVersion)
	out = le.AppendUint32(out, uint32(len(b.streams)))
	out = le.AppendUint32(out, 32)
	out = append(out, make([]byte, 16)...)
	for _, s := range b.streams {
		out = le.AppendUint32(out, uint32(s.Type))
		out = le.AppendUint32(out, s.DataSize)
		out = le.AppendUint32(out, s.Rva)
	}
	out = append(out, make([]byte, testBodyBase-len(out))...)
	return append(out, b.body.Bytes()...)
}

func (b *dumpBuilder) reader(t *testing.T) *Reader {
	t.Helper()
	raw := b.bytes()
	r, err := NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func u32s(vs ...uint32) []byte {
	var p []byte
	for _, v := range vs {
		p = binary.LittleEndian.AppendUint32(p, v)
	}
	return p
}

func u64s(vs ...uint64) []byte {
	var p []byte
	for _, v := range vs {
		p = binary.LittleEndian.AppendUint64(p, v)
	}
	return p
}

func sysInfo(arch Arch) []byte {
	p := make([]byte, 56)
	binary.LittleEndian.PutUint16(p, uint16(arch))
	p[6] = 4
	binary.LittleEndian.PutUint32(p[8:], 10)
	binary.LittleEndian.PutUint32(p[16:], 26100)
	binary.LittleEndian.PutUint32(p[20:], 2)
	return p
}

func TestARM64Context(t *testing.T) {
	var b dumpBuilder
	b.stream(SystemInfoStream, sysInfo(ArchARM64))
	ctx := make([]byte, contextARM64Size)
	binary.LittleEndian.PutUint64(ctx[8+29*8:], 0x1111) // fp
	binary.LittleEndian.PutUint64(ctx[256:], 0x2222)    // sp
	binary.LittleEndian.PutUint64(ctx[264:], 0x3333)    // pc
	loc := Location{DataSize: contextARM64Size, Rva: b.blob(ctx)}
	r := b.reader(t)
	c, err := r.ReadContext(loc)
	if err != nil {
		t.Fatal(err)
	}
	if c.Arch() != ArchARM64 || c.PC() != 0x3333 || c.SP() != 0x2222 || c.FP() != 0x1111 {
		t.Errorf("arm64 context = %+v", c)
	}
	if _, err := r.ReadContext(Location{DataSize: 100, Rva: loc.Rva}); !errors.Is(err, ErrFormat) {
		t.Errorf("short context: %v", err)
	}
}

func TestX86ContextWithoutExtendedRegisters(t *testing.T) {
	var b dumpBuilder
	ctx := make([]byte, contextX86MinSize)
	binary.LittleEndian.PutUint32(ctx[184:], 0x401000)
	binary.LittleEndian.PutUint32(ctx[196:], 0x12ff00)
	b.stream(SystemInfoStream, sysInfo(ArchX86))
	loc := Location{DataSize: contextX86MinSize, Rva: b.blob(ctx)}
	c, err := b.reader(t).ReadContext(loc)
	if err != nil || c.PC() != 0x401000 || c.SP() != 0x12ff00 {
		t.Errorf("x86 context = %+v, %v", c, err)
	}
}

func TestThreadInfoCommentsAndUnloaded(t *testing.T) {
	var b dumpBuilder
	ti := u32s(12, 64, 1)
	ti = append(ti, u32s(0x42, 0, 0, 259)...)
	ti = append(ti, u64s(133500000000000000, 0, 5e7, 12e7, 0x7ff600001000, 0xff)...)
	b.stream(ThreadInfoListStream, ti)
	b.stream(CommentStreamA, []byte("written by a test\x00"))
	w := utf16.Encode([]rune("wide comment"))
	wb := []byte{}
	for _, c := range w {
		wb = binary.LittleEndian.AppendUint16(wb, c)
	}
	b.stream(CommentStreamW, wb)
	name := b.str(`C:\old\gone.dll`)
	um := u32s(12, 24, 1)
	um = append(um, u64s(0x7ff800000000)...)
	um = append(um, u32s(0x10000, 0, 0x5e000000, name)...)
	b.stream(UnloadedModuleListStream, um)
	r := b.reader(t)

	infos, err := r.ThreadInfos()
	if err != nil || len(infos) != 1 || infos[0].ThreadID != 0x42 || infos[0].UserTime != 12e7 {
		t.Fatalf("ThreadInfos = %+v, %v", infos, err)
	}
	if ct, ok := infos[0].Created(); !ok || ct.Year() != 2024 {
		t.Errorf("created = %v, %v", ct, ok)
	}
	cs, err := r.Comments()
	if err != nil || len(cs) != 2 || cs[0] != "written by a test" || cs[1] != "wide comment" {
		t.Errorf("Comments = %q, %v", cs, err)
	}
	um2, err := r.UnloadedModules()
	if err != nil || len(um2) != 1 || um2[0].Name != `C:\old\gone.dll` || um2[0].SizeOfImage != 0x10000 {
		t.Errorf("UnloadedModules = %+v, %v", um2, err)
	}
}

func TestMemory64Hostile(t *testing.T) {
	for _, tc := range []struct {
		name string
		list []byte
	}{
		{"range past end", append(u64s(1, testBodyBase), u64s(0x1000, 1<<40)...)},
		{"count past stream", u64s(1<<40, testBodyBase)},
		{"base past end", append(u64s(1, 1<<40), u64s(0x1000, 1)...)},
		{"wraps address space", append(u64s(1, testBodyBase), u64s(^uint64(0)-2, 16)...)},
	} {
		var b dumpBuilder
		b.stream(Memory64ListStream, tc.list)
		b.blob(make([]byte, 64))
		r := b.reader(t)
		if _, err := r.Memory64List(); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: %v, want ErrFormat", tc.name, err)
		}
		if _, err := r.ReadMemory(0x1000, make([]byte, 4)); !errors.Is(err, ErrNoMemory) {
			t.Errorf("%s: ReadMemory = %v, want ErrNoMemory", tc.name, err)
		}
	}
}

func TestMemory64Lookup(t *testing.T) {
	var b dumpBuilder
	data := []byte("0123456789abcdefXYZW")
	// The stream is written first so the data offset is known: stream
	// (16 + 2*16 bytes) then data.
	base := uint64(testBodyBase + 48)
	b.stream(Memory64ListStream, append(u64s(2, base), u64s(0x10000, 16, 0x20000, 4)...))
	b.blob(data)
	r := b.reader(t)
	buf := make([]byte, 8)
	if n, err := r.ReadMemory(0x1000a, buf); err != nil || n != 6 || string(buf[:n]) != "abcdef" {
		t.Errorf("ReadMemory(0x1000a) = %d %q %v", n, buf[:n], err)
	}
	if n, err := r.ReadMemory(0x20000, buf); err != nil || string(buf[:n]) != "XYZW" {
		t.Errorf("ReadMemory(0x20000) = %d %q %v", n, buf[:n], err)
	}
	if _, err := r.ReadMemory(0x10010, buf); !errors.Is(err, ErrNoMemory) {
		t.Errorf("gap: %v", err)
	}
}
