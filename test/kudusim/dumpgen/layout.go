package dumpgen

import (
	"crypto/sha256"
	"fmt"
	"math"
	"path"
	"sort"
	"strings"
	"unicode/utf16"
)

const (
	pageSize = 4096
	// bulkRangeSize is the largest bulk memory range; a 4 GiB full dump
	// lists about 64 of them.
	bulkRangeSize = 64 << 20
	stackBase     = 0x000000a000000000 // stack regions, 1 MiB apart
	stackRegion   = 0x100000
	heapBase      = 0x000001a000000000 // bulk ranges, 64 KiB gaps between them
	heapGap       = 0x10000
)

// plan holds every file offset of a dump with nBulk bulk ranges.
type plan struct {
	full                         bool
	nThreads, nModules, nBulk    int
	nStreams                     int
	dir, threadList, moduleList  int64
	memList, exc, sysInfo, misc  int64
	memInfo, csd                 int64
	names, cvs                   []int64
	nameBytes                    [][]uint16
	pdbNames                     []string
	contexts                     []int64
	rawEnd                       int64 // end of contexts, before padding and stacks
	stackSize                    int64
	pad, stacks, bulk, totalSize int64
	bulkRanges                   []int64 // sizes
	bulkAddrs                    []uint64
}

func newPlan(s *Spec, nBulk int) *plan {
	p := &plan{full: s.Full(), nThreads: len(s.Threads), nModules: len(s.Modules), nBulk: nBulk, stackSize: s.stackSize()}
	p.nStreams = 6
	if s.Exception != nil {
		p.nStreams++
	}
	off := int64(headerSize)
	p.dir = off
	off += int64(p.nStreams) * directorySize
	p.threadList = off
	off += 4 + threadSize*int64(p.nThreads)
	p.moduleList = off
	off += 4 + moduleSize*int64(p.nModules)
	p.memList = off
	nRanges := int64(p.nThreads + nBulk)
	if p.full {
		off += 16 + memDescSize*nRanges
	} else {
		off += 4 + memDescSize*nRanges
	}
	if s.Exception != nil {
		p.exc = off
		off += exceptionSize
	}
	p.sysInfo = off
	off += systemInfoSize
	p.misc = off
	off += miscInfo2Size
	p.memInfo = off
	off += memInfoHeaderSize + memInfoSize*int64(p.nThreads+nBulk+p.nModules)
	p.csd = off
	off += 8 // empty MINIDUMP_STRING: length + terminator, aligned
	for _, m := range s.Modules {
		u := utf16.Encode([]rune(m.Path))
		p.nameBytes = append(p.nameBytes, u)
		p.names = append(p.names, off)
		off += align(4+2*int64(len(u))+2, 4)
	}
	for _, m := range s.Modules {
		base := path.Base(strings.ReplaceAll(m.Path, `\`, "/"))
		pdb := strings.TrimSuffix(base, path.Ext(base)) + ".pdb"
		p.pdbNames = append(p.pdbNames, pdb)
		p.cvs = append(p.cvs, off)
		off += align(24+int64(len(pdb))+1, 4)
	}
	off = align(off, 16)
	for range s.Threads {
		p.contexts = append(p.contexts, off)
		off += ContextAMD64Size
	}
	p.rawEnd = off
	return p
}

// prefixRaw is the smallest file with this plan and no bulk bytes.
func (p *plan) prefixRaw() int64 { return p.rawEnd + int64(p.nThreads)*p.stackSize }

// finish places stacks and bulk for a file of exactly size bytes. It reports
// false when the plan's bulk range count does not fit that size.
func (p *plan) finish(size int64, absorb bool) (need int, ok bool) {
	rest := size - p.prefixRaw()
	if rest < 0 {
		return -1, false
	}
	p.pad = rest % pageSize
	if absorb && p.nBulk == 0 {
		// Less than a page per range is left: the slack is padding.
		p.pad = rest
	}
	bulk := rest - p.pad
	pages := bulk / pageSize
	need = int((bulk + bulkRangeSize - 1) / bulkRangeSize)
	if need > p.nBulk || int64(p.nBulk) > pages {
		if int64(need) > pages {
			need = int(pages)
		}
		return need, false
	}
	p.stacks = p.rawEnd + p.pad
	p.bulk = p.stacks + int64(p.nThreads)*p.stackSize
	p.totalSize = size
	p.bulkRanges = make([]int64, p.nBulk)
	p.bulkAddrs = make([]uint64, p.nBulk)
	addr := uint64(heapBase)
	for k := range p.bulkRanges {
		n := pages / int64(p.nBulk)
		if int64(k) < pages%int64(p.nBulk) {
			n++
		}
		p.bulkRanges[k] = n * pageSize
		p.bulkAddrs[k] = addr
		addr += uint64(n*pageSize) + heapGap
	}
	return need, true
}

// layout finds the plan for s: the bulk range count depends on the size
// left after the descriptors, which depends on the count, so iterate to the
// fixed point (it moves by 64 bytes per range, so two rounds suffice).
func layout(s *Spec) (*plan, error) {
	p := newPlan(s, 0)
	size := s.Size
	if !s.Full() && size == 0 {
		size = p.prefixRaw()
	}
	if size < p.prefixRaw() {
		return nil, &SpecError{"Size", fmt.Sprintf("%d bytes is below the minimum %d for this spec", size, p.prefixRaw())}
	}
	if !s.Full() && size > math.MaxUint32 {
		return nil, &SpecError{"Size", "a mini dump must stay below 4 GiB (32-bit RVAs); use MiniDumpWithFullMemory"}
	}
	absorb := false
	for i := 0; i < 16; i++ {
		need, ok := p.finish(size, absorb)
		if ok {
			return p, nil
		}
		if need < 0 {
			return nil, &SpecError{"Size", fmt.Sprintf("%d bytes is below the minimum for this spec", size)}
		}
		absorb = absorb || need == 0
		p = newPlan(s, need)
	}
	return nil, &SpecError{"Size", fmt.Sprintf("no layout fits %d bytes", size)}
}

// MinSize returns the smallest valid Size for s (the natural size of a mini
// dump).
func MinSize(s Spec) (int64, error) {
	if err := s.validate(); err != nil {
		return 0, err
	}
	return newPlan(&s, 0).prefixRaw(), nil
}

// memRange is one saved memory range: its address, file offset and size.
type memRange struct {
	addr     uint64
	rva, len int64
	image    bool
}

func (p *plan) ranges(s *Spec) []memRange {
	var rs []memRange
	for i := range s.Threads {
		rs = append(rs, memRange{addr: stackAddr(i, p.stackSize), rva: p.stacks + int64(i)*p.stackSize, len: p.stackSize})
	}
	rva := p.bulk
	for k, n := range p.bulkRanges {
		rs = append(rs, memRange{addr: p.bulkAddrs[k], rva: rva, len: n})
		rva += n
	}
	return rs
}

// stackAddr is the lowest saved stack address (the thread's RSP).
func stackAddr(i int, size int64) uint64 {
	return stackBase + uint64(i+1)*stackRegion - uint64(size)
}

func cvGUID(modulePath string) [16]byte {
	h := sha256.Sum256([]byte(strings.ToLower(modulePath)))
	var g [16]byte
	copy(g[:], h[:16])
	return g
}

// memInfos lists MINIDUMP_MEMORY_INFO regions sorted by address.
func (p *plan) memInfos(s *Spec) []memRange {
	rs := p.ranges(s)
	for _, m := range s.Modules {
		rs = append(rs, memRange{addr: m.Base, len: int64(m.Size), image: true})
	}
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].addr < rs[j].addr })
	return rs
}
