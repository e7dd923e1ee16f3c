package minidump

import (
	"errors"
	"fmt"
	"io"
	"sort"
)

// MemoryRange is a range of the process's address space captured in the
// dump, and the file offset of its bytes.
type MemoryRange struct {
	Start uint64 // virtual address
	Size  uint64 // bytes
	Off   int64  // file offset of the first byte
}

// End is the first address after the range.
func (r MemoryRange) End() uint64 { return r.Start + r.Size }

// MemoryList parses the MemoryList stream (minidumps: stacks and small
// regions), in stream order. Ranges may overlap; lookups use the first.
func (m *Reader) MemoryList() ([]MemoryRange, error) {
	return lazy(m, "memlist", func() ([]MemoryRange, error) {
		d, b, err := m.streamBytes(MemoryListStream)
		if err != nil {
			return nil, err
		}
		n, off, err := listCount(d, b, 16, "MemoryList")
		if err != nil {
			return nil, err
		}
		n = capCount(n, m.limits().Memory)
		out := make([]MemoryRange, 0, min(n, maxPrealloc))
		for i := uint64(0); i < n; i++ {
			md := parseMemoryDescriptor(b[off+int(i)*16:])
			if err := m.checkRange(int64(md.Memory.Rva), int64(md.Memory.DataSize), "memory range"); err != nil {
				return nil, err
			}
			if md.StartOfMemoryRange+uint64(md.Memory.DataSize) < md.StartOfMemoryRange {
				return nil, formatErr(int64(d.Rva)+int64(off)+int64(i)*16, "memory range wraps the address space", md.StartOfMemoryRange)
			}
			out = append(out, MemoryRange{md.StartOfMemoryRange, uint64(md.Memory.DataSize), int64(md.Memory.Rva)})
		}
		return out, nil
	})
}

// Memory64List parses the Memory64List stream (full dumps: all committed
// memory, stored contiguously from its base offset), in stream order.
func (m *Reader) Memory64List() ([]MemoryRange, error) {
	return lazy(m, "mem64", func() ([]MemoryRange, error) {
		d, b, err := m.streamBytes(Memory64ListStream)
		if err != nil {
			return nil, err
		}
		if len(b) < 16 {
			return nil, formatErr(int64(d.Rva), "Memory64List too short", len(b))
		}
		n, base := le.Uint64(b), le.Uint64(b[8:])
		if _, err := table(d, 16, n, 16, "Memory64List"); err != nil {
			return nil, err
		}
		if base > uint64(m.size) {
			return nil, formatErr(int64(d.Rva)+8, "Memory64List data outside the file", base)
		}
		n = capCount(n, m.limits().Memory)
		out := make([]MemoryRange, 0, min(n, maxPrealloc))
		off := base
		for i := uint64(0); i < n; i++ {
			e := b[16+i*16:]
			start, size := le.Uint64(e), le.Uint64(e[8:])
			if size > uint64(m.size)-off {
				return nil, formatErr(int64(d.Rva)+16+int64(i)*16, "Memory64List range past the end of the file", size)
			}
			if start+size < start {
				return nil, formatErr(int64(d.Rva)+16+int64(i)*16, "memory range wraps the address space", start)
			}
			out = append(out, MemoryRange{start, size, int64(off)})
			off += size
		}
		return out, nil
	})
}

// memoryIndex is every captured range sorted by start address.
func (m *Reader) memoryIndex() ([]MemoryRange, error) {
	return lazy(m, "memindex", func() ([]MemoryRange, error) {
		var all []MemoryRange
		var errs []error
		for _, f := range []func() ([]MemoryRange, error){m.MemoryList, m.Memory64List} {
			r, err := f()
			if err != nil && !errors.Is(err, ErrNotPresent) {
				errs = append(errs, err)
			}
			all = append(all, r...)
		}
		sort.SliceStable(all, func(i, j int) bool { return all[i].Start < all[j].Start })
		return all, errors.Join(errs...)
	})
}

// MemoryRanges returns every captured memory range (MemoryList and
// Memory64List together) sorted by address. A malformed list is reported
// in the error while the ranges of the other list are still returned.
func (m *Reader) MemoryRanges() ([]MemoryRange, error) { return m.memoryIndex() }

// ReadMemory reads captured process memory at virtual address addr into p,
// reading only len(p) bytes of the file at most. It returns the number of
// bytes read, which is less than len(p) when the captured range ends
// first; ErrNoMemory (wrapped) when addr is not captured at all.
func (m *Reader) ReadMemory(addr uint64, p []byte) (int, error) {
	idx, _ := m.memoryIndex() // a malformed list only removes its ranges
	// The last range starting at or before addr; overlapping earlier
	// ranges may also contain it, so look back while they start before.
	i := sort.Search(len(idx), func(i int) bool { return idx[i].Start > addr })
	for j := i - 1; j >= 0; j-- {
		r := idx[j]
		if addr < r.End() {
			n := min(uint64(len(p)), r.End()-addr)
			k, err := m.r.ReadAt(p[:n], r.Off+int64(addr-r.Start))
			if err != nil && !(errors.Is(err, io.EOF) && uint64(k) == n) {
				return k, fmt.Errorf("minidump: read memory at %#x: %w", addr, err)
			}
			return k, nil
		}
		if j < i-16 { // ranges rarely nest deeply; bound the look-back
			break
		}
	}
	return 0, fmt.Errorf("%w: %#x", ErrNoMemory, addr)
}

// Memory states, types and protections (winnt.h).
const (
	MemCommit  = 0x1000
	MemReserve = 0x2000
	MemFree    = 0x10000

	MemPrivate = 0x20000
	MemMapped  = 0x40000
	MemImage   = 0x1000000
)

// MemoryInfo is MINIDUMP_MEMORY_INFO: one region of the address space as
// VirtualQuery describes it.
type MemoryInfo struct {
	BaseAddress       uint64
	AllocationBase    uint64
	AllocationProtect uint32
	RegionSize        uint64
	State             uint32
	Protect           uint32
	Type              uint32
}

// MemoryInfos parses the MemoryInfoList stream.
func (m *Reader) MemoryInfos() ([]MemoryInfo, error) {
	return lazy(m, "meminfo", func() ([]MemoryInfo, error) {
		d, b, err := m.streamBytes(MemoryInfoListStream)
		if err != nil {
			return nil, err
		}
		hdr, size, n, err := sizedHeader(d, b, 48, true, "MemoryInfoList")
		if err != nil {
			return nil, err
		}
		n = capCount(n, m.limits().Memory)
		out := make([]MemoryInfo, 0, min(n, maxPrealloc))
		for i := uint64(0); i < n; i++ {
			e := b[uint64(hdr)+i*uint64(size):]
			out = append(out, MemoryInfo{BaseAddress: le.Uint64(e), AllocationBase: le.Uint64(e[8:]),
				AllocationProtect: le.Uint32(e[16:]), RegionSize: le.Uint64(e[24:]), State: le.Uint32(e[32:]),
				Protect: le.Uint32(e[36:]), Type: le.Uint32(e[40:])})
		}
		return out, nil
	})
}
