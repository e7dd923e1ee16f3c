package minidump

import "time"

// MemoryDescriptor is MINIDUMP_MEMORY_DESCRIPTOR: a range of the process's
// address space and where its bytes lie in the file.
type MemoryDescriptor struct {
	StartOfMemoryRange uint64
	Memory             Location
}

// Thread is MINIDUMP_THREAD.
type Thread struct {
	ID            uint32
	SuspendCount  uint32
	PriorityClass uint32
	Priority      uint32
	Teb           uint64
	Stack         MemoryDescriptor
	Context       Location
}

func parseMemoryDescriptor(b []byte) MemoryDescriptor {
	return MemoryDescriptor{le.Uint64(b), Location{le.Uint32(b[8:]), le.Uint32(b[12:])}}
}

// listCount reads a u32 count at the start of a list stream and returns
// the offset of the first entry. Some writers pad the count to 8 bytes;
// like Breakpad, accept that when the size says so.
func listCount(d Directory, b []byte, entry uint64, what string) (count uint64, first int, err error) {
	if len(b) < 4 {
		return 0, 0, formatErr(int64(d.Rva), what+" too short", len(b))
	}
	count = uint64(le.Uint32(b))
	first = 4
	if uint64(len(b)) != 4+count*entry && uint64(len(b)) == 8+count*entry {
		first = 8
	}
	if _, err := table(d, uint64(first), count, entry, what); err != nil {
		return 0, 0, err
	}
	return count, first, nil
}

// Threads parses the ThreadList stream, in stream order.
func (m *Reader) Threads() ([]Thread, error) {
	return lazy(m, "threads", func() ([]Thread, error) {
		d, b, err := m.streamBytes(ThreadListStream)
		if err != nil {
			return nil, err
		}
		n, off, err := listCount(d, b, 48, "ThreadList")
		if err != nil {
			return nil, err
		}
		n = capCount(n, m.limits().Threads)
		ts := make([]Thread, 0, min(n, maxPrealloc))
		for i := uint64(0); i < n; i++ {
			e := b[off+int(i)*48:]
			ts = append(ts, Thread{
				ID: le.Uint32(e), SuspendCount: le.Uint32(e[4:]), PriorityClass: le.Uint32(e[8:]),
				Priority: le.Uint32(e[12:]), Teb: le.Uint64(e[16:]), Stack: parseMemoryDescriptor(e[24:]),
				Context: Location{le.Uint32(e[40:]), le.Uint32(e[44:])},
			})
		}
		return ts, nil
	})
}

// ThreadInfo is MINIDUMP_THREAD_INFO. Times are FILETIME-style values
// (100 ns units; CreateTime since 1601-01-01 UTC).
type ThreadInfo struct {
	ThreadID     uint32
	DumpFlags    uint32
	DumpError    uint32
	ExitStatus   uint32
	CreateTime   uint64
	ExitTime     uint64
	KernelTime   uint64
	UserTime     uint64
	StartAddress uint64
	Affinity     uint64
}

// Created converts CreateTime to a time, if set.
func (t ThreadInfo) Created() (time.Time, bool) { return filetime(t.CreateTime) }

// filetime converts 100 ns ticks since 1601 to a time.
func filetime(ft uint64) (time.Time, bool) {
	const epochDiff = 116444736000000000 // 1601 → 1970 in 100 ns
	if ft <= epochDiff || ft > epochDiff+(1<<62) {
		return time.Time{}, false
	}
	d := ft - epochDiff
	return time.Unix(int64(d/1e7), int64(d%1e7)*100).UTC(), true
}

// sizedHeader reads the {SizeOfHeader, SizeOfEntry, NumberOfEntries}
// header shared by the newer list streams. count64 selects a u64 count.
func sizedHeader(d Directory, b []byte, minEntry uint32, count64 bool, what string) (hdr, entry uint32, count uint64, err error) {
	need := 12
	if count64 {
		need = 16
	}
	if len(b) < need {
		return 0, 0, 0, formatErr(int64(d.Rva), what+" header too short", len(b))
	}
	hdr, entry = le.Uint32(b), le.Uint32(b[4:])
	if count64 {
		count = le.Uint64(b[8:])
	} else {
		count = uint64(le.Uint32(b[8:]))
	}
	if hdr < uint32(need) || hdr > uint32(len(b)) {
		return 0, 0, 0, formatErr(int64(d.Rva), what+" bad header size", hdr)
	}
	if entry < minEntry {
		return 0, 0, 0, formatErr(int64(d.Rva)+4, what+" entry size too small", entry)
	}
	if _, err := table(d, uint64(hdr), count, uint64(entry), what); err != nil {
		return 0, 0, 0, err
	}
	return hdr, entry, count, nil
}

// ThreadInfos parses the ThreadInfoList stream.
func (m *Reader) ThreadInfos() ([]ThreadInfo, error) {
	return lazy(m, "threadinfo", func() ([]ThreadInfo, error) {
		d, b, err := m.streamBytes(ThreadInfoListStream)
		if err != nil {
			return nil, err
		}
		hdr, size, n, err := sizedHeader(d, b, 64, false, "ThreadInfoList")
		if err != nil {
			return nil, err
		}
		n = capCount(n, m.limits().Threads)
		out := make([]ThreadInfo, 0, min(n, maxPrealloc))
		for i := uint64(0); i < n; i++ {
			e := b[uint64(hdr)+i*uint64(size):]
			out = append(out, ThreadInfo{
				ThreadID: le.Uint32(e), DumpFlags: le.Uint32(e[4:]), DumpError: le.Uint32(e[8:]),
				ExitStatus: le.Uint32(e[12:]), CreateTime: le.Uint64(e[16:]), ExitTime: le.Uint64(e[24:]),
				KernelTime: le.Uint64(e[32:]), UserTime: le.Uint64(e[40:]), StartAddress: le.Uint64(e[48:]),
				Affinity: le.Uint64(e[56:]),
			})
		}
		return out, nil
	})
}

// ThreadNames parses the ThreadNames stream into a map from thread id to
// name. Entries whose name cannot be read are an error.
func (m *Reader) ThreadNames() (map[uint32]string, error) {
	return lazy(m, "threadnames", func() (map[uint32]string, error) {
		d, b, err := m.streamBytes(ThreadNamesStream)
		if err != nil {
			return nil, err
		}
		if len(b) < 4 {
			return nil, formatErr(int64(d.Rva), "ThreadNames too short", len(b))
		}
		n := uint64(le.Uint32(b))
		if _, err := table(d, 4, n, 12, "ThreadNames"); err != nil {
			return nil, err
		}
		n = capCount(n, m.limits().Threads)
		names := make(map[uint32]string, min(n, maxPrealloc))
		for i := uint64(0); i < n; i++ {
			e := b[4+i*12:]
			rva := le.Uint64(e[4:])
			if rva > uint64(m.size) {
				return nil, formatErr(int64(d.Rva)+4+int64(i)*12, "thread name outside the file", rva)
			}
			s, err := m.readString(int64(rva), "thread name")
			if err != nil {
				return nil, err
			}
			names[le.Uint32(e)] = s
		}
		return names, nil
	})
}
