package dumpgen

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"strings"
	"testing"
)

func mustNew(t *testing.T, s Spec) *Dump {
	t.Helper()
	d, err := New(s)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return d
}

func checkDump(t *testing.T, d *Dump, s Spec) *parsed {
	t.Helper()
	p, err := parseDump(d, d.Size())
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if p.flags != s.Flags {
		t.Errorf("flags %#x, want %#x", p.flags, s.Flags)
	}
	if p.arch != ProcessorArchitectureAMD64 || p.major != 10 || p.minor != 0 || p.build != 20348 {
		t.Errorf("system info arch=%d %d.%d.%d", p.arch, p.major, p.minor, p.build)
	}
	if p.pid != s.PID || int64(p.createTime) != s.ProcessCreateTime.Unix() {
		t.Errorf("misc pid=%d create=%d, want %d %d", p.pid, p.createTime, s.PID, s.ProcessCreateTime.Unix())
	}
	if len(p.threads) != len(s.Threads) || len(p.modules) != len(s.Modules) {
		t.Fatalf("threads=%d modules=%d, want %d %d", len(p.threads), len(p.modules), len(s.Threads), len(s.Modules))
	}
	for i, m := range p.modules {
		if m.name != s.Modules[i].Path || m.base != s.Modules[i].Base || !m.cvOK {
			t.Errorf("module %d = %+v", i, m)
		}
	}
	ranges := map[uint64]parsedRange{}
	var total int64
	for _, r := range p.ranges {
		ranges[r.addr] = r
		total += r.size
	}
	for i, th := range p.threads {
		if th.id != s.Threads[i].ID || th.rsp != th.stackAddr {
			t.Errorf("thread %d: %+v", i, th)
		}
		r, ok := ranges[th.stackAddr]
		if !ok || r.rva != int64(th.stRVA) || r.size != int64(th.stackSize) {
			t.Errorf("thread %d stack %#x not in memory list at rva %d (%+v)", th.id, th.stackAddr, th.stRVA, r)
		}
		in := false
		for _, m := range p.modules {
			in = in || (th.rip >= m.base && th.rip < m.base+uint64(m.size))
		}
		if !in {
			t.Errorf("thread %d rip %#x in no module", th.id, th.rip)
		}
	}
	if p.memInfos != len(p.ranges)+len(p.modules) {
		t.Errorf("memory infos %d, want %d", p.memInfos, len(p.ranges)+len(p.modules))
	}
	if s.Full() {
		if _, ok := p.streams[StreamMemory64List]; !ok {
			t.Error("full dump without Memory64List")
		}
		last := p.ranges[len(p.ranges)-1]
		if last.rva+last.size != d.Size() {
			t.Errorf("memory64 data ends at %d, file is %d", last.rva+last.size, d.Size())
		}
	} else if _, ok := p.streams[StreamMemoryList]; !ok {
		t.Error("mini dump without MemoryList")
	}
	return p
}

func TestMiniNatural(t *testing.T) {
	s := SampleSpec(4120, MiniDumpIgnoreInaccessibleMemory, 0)
	d := mustNew(t, s)
	min, err := MinSize(s)
	if err != nil || d.Size() != min {
		t.Fatalf("size %d, MinSize %d %v", d.Size(), min, err)
	}
	p := checkDump(t, d, s)
	if len(p.ranges) != len(s.Threads) {
		t.Errorf("mini dump ranges %d, want one per thread", len(p.ranges))
	}
	if _, ok := p.streams[StreamException]; ok {
		t.Error("exception stream without Spec.Exception")
	}
}

func TestSizes(t *testing.T) {
	base := SampleSpec(77, MiniDumpWithFullMemory, 0)
	min, err := MinSize(base)
	if err != nil {
		t.Fatal(err)
	}
	sizes := []int64{min, min + 1, min + 4095, min + 4096, min + 4097, 1 << 20, bulkRangeSize - 5, bulkRangeSize + min,
		bulkRangeSize + min + 64, 2*bulkRangeSize + min - 100, 200 << 20}
	for _, flags := range []uint64{MiniDumpWithFullMemory | MiniDumpIgnoreInaccessibleMemory, MiniDumpIgnoreInaccessibleMemory} {
		for _, size := range sizes {
			s := base
			s.Flags, s.Size = flags, size
			d := mustNew(t, s)
			if d.Size() != size {
				t.Fatalf("flags %#x: size %d, want %d", flags, d.Size(), size)
			}
			checkDump(t, d, s)
		}
	}
}

func TestSpecErrors(t *testing.T) {
	good := SampleSpec(9, MiniDumpWithFullMemory, 1<<20)
	cases := map[string]func(*Spec){
		"PID":                func(s *Spec) { s.PID = 0 },
		"Threads":            func(s *Spec) { s.Threads = nil },
		"Modules":            func(s *Spec) { s.Modules = nil },
		"Size":               func(s *Spec) { s.Size = 100 },
		"Exception.ThreadID": func(s *Spec) { s.Exception = &Exception{ThreadID: 1} },
		"Modules[0].Size":    func(s *Spec) { s.Modules = []Module{{Path: "a.dll"}} },
	}
	for field, mutate := range cases {
		s := good
		mutate(&s)
		_, err := New(s)
		var se *SpecError
		if !errors.Is(err, ErrSpec) || !errors.As(err, &se) || se.Field != field {
			t.Errorf("%s: err = %v", field, err)
		}
	}
	s := SampleSpec(9, 0, 5<<30)
	if _, err := New(s); !errors.Is(err, ErrSpec) {
		t.Errorf("5 GiB mini dump: err = %v", err)
	}
}

func TestException(t *testing.T) {
	s := SampleSpec(500, MiniDumpWithFullMemory, 2<<20)
	s.Exception = &Exception{ThreadID: s.Threads[2].ID, Code: 0xc0000005, Address: s.Threads[2].RIP}
	p := checkDump(t, mustNew(t, s), s)
	if p.excThread != s.Threads[2].ID || p.excCode != 0xc0000005 {
		t.Errorf("exception thread %d code %#x", p.excThread, p.excCode)
	}
}

func TestDeterministicAndConsistent(t *testing.T) {
	s := SampleSpec(4120, MiniDumpWithFullMemory, 3<<20+123)
	a, b := mustNew(t, s), mustNew(t, s)
	if a.SHA256() != b.SHA256() {
		t.Fatal("same spec, different bytes")
	}
	var buf bytes.Buffer
	if n, err := a.WriteTo(&buf); err != nil || n != a.Size() {
		t.Fatalf("WriteTo = %d, %v", n, err)
	}
	if sha256.Sum256(buf.Bytes()) != a.SHA256() {
		t.Fatal("WriteTo and SHA256 disagree")
	}
	// Unaligned ReadAt windows agree with the streamed bytes.
	for _, off := range []int64{0, 1, 31, 4095, int64(len(a.prefix)) - 3, int64(len(a.prefix)) + 5, a.Size() - 9} {
		p := make([]byte, 17)
		n, err := a.ReadAt(p, off)
		if want := buf.Bytes()[off:min(off+17, a.Size())]; !bytes.Equal(p[:n], want) || (n < 17 && err != io.EOF) {
			t.Errorf("ReadAt(%d) = %d %v", off, n, err)
		}
	}
	if _, err := a.ReadAt(make([]byte, 1), a.Size()); err != io.EOF {
		t.Errorf("ReadAt(Size) err = %v", err)
	}
	other := s
	other.PID++
	if mustNew(t, other).SHA256() == a.SHA256() {
		t.Error("different pid, same bytes")
	}
	if !strings.HasPrefix(buf.String(), "MDMP") {
		t.Error("no MDMP signature")
	}
}
