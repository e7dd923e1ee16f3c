package dumpgen

import (
	"encoding/binary"
	"fmt"
	"io"
	"unicode/utf16"
)

// parsed is what the test-only reader extracts from a minidump. It reads
// through io.ReaderAt so that multi-GiB dumps need no buffering.
type parsed struct {
	flags        uint64
	timeStamp    uint32
	streams      map[uint32][2]uint32 // type -> size, rva
	order        []uint32
	arch, build  uint32
	major, minor uint32
	pid          uint32
	createTime   uint32
	threads      []parsedThread
	modules      []parsedModule
	ranges       []parsedRange // from MemoryList or Memory64List
	memInfos     int
	excThread    uint32
	excCode      uint32
}

type parsedThread struct {
	id               uint32
	stackAddr        uint64
	stackSize, stRVA uint32
	rip, rsp         uint64
}

type parsedModule struct {
	name      string
	base      uint64
	size      uint32
	cvOK      bool
	fileVerMS uint32
}

type parsedRange struct {
	addr      uint64
	rva, size int64
}

type rdr struct {
	r    io.ReaderAt
	size int64
}

func (r rdr) bytes(off int64, n int) ([]byte, error) {
	if off < 0 || n < 0 || off+int64(n) > r.size {
		return nil, fmt.Errorf("read [%d,+%d) outside file of %d bytes", off, n, r.size)
	}
	b := make([]byte, n)
	if _, err := r.r.ReadAt(b, off); err != nil && !(err == io.EOF && len(b) == n) {
		return nil, err
	}
	return b, nil
}

func (r rdr) u32(off int64) (uint32, error) {
	b, err := r.bytes(off, 4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (r rdr) str(rva uint32) (string, error) {
	n, err := r.u32(int64(rva))
	if err != nil || n > 4096 || n%2 != 0 {
		return "", fmt.Errorf("string at %#x: length %d: %v", rva, n, err)
	}
	b, err := r.bytes(int64(rva)+4, int(n)+2)
	if err != nil {
		return "", err
	}
	u := make([]uint16, n/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	if binary.LittleEndian.Uint16(b[n:]) != 0 {
		return "", fmt.Errorf("string at %#x not NUL-terminated", rva)
	}
	return string(utf16.Decode(u)), nil
}

func parseDump(ra io.ReaderAt, size int64) (*parsed, error) {
	r := rdr{ra, size}
	le := binary.LittleEndian
	h, err := r.bytes(0, headerSize)
	if err != nil {
		return nil, err
	}
	if le.Uint32(h) != Signature || le.Uint32(h[4:])&0xffff != 0xa793 {
		return nil, fmt.Errorf("bad signature/version %x", h[:8])
	}
	p := &parsed{streams: map[uint32][2]uint32{}, flags: le.Uint64(h[24:]), timeStamp: le.Uint32(h[20:])}
	n, dirRVA := le.Uint32(h[8:]), le.Uint32(h[12:])
	dir, err := r.bytes(int64(dirRVA), int(n)*directorySize)
	if err != nil {
		return nil, err
	}
	for i := 0; i < int(n); i++ {
		d := dir[i*12:]
		typ, sz, rva := le.Uint32(d), le.Uint32(d[4:]), le.Uint32(d[8:])
		if int64(rva)+int64(sz) > size {
			return nil, fmt.Errorf("stream %d outside file", typ)
		}
		p.streams[typ] = [2]uint32{sz, rva}
		p.order = append(p.order, typ)
	}
	get := func(typ uint32, min int) ([]byte, error) {
		loc, ok := p.streams[typ]
		if !ok {
			return nil, nil
		}
		if int(loc[0]) < min {
			return nil, fmt.Errorf("stream %d: %d bytes < %d", typ, loc[0], min)
		}
		return r.bytes(int64(loc[1]), int(loc[0]))
	}
	if b, err := get(StreamSystemInfo, systemInfoSize); err != nil || b == nil {
		return nil, fmt.Errorf("system info: %v", err)
	} else {
		p.arch, p.major, p.minor, p.build = uint32(le.Uint16(b)), le.Uint32(b[8:]), le.Uint32(b[12:]), le.Uint32(b[16:])
		if _, err := r.str(le.Uint32(b[24:])); err != nil {
			return nil, fmt.Errorf("CSD version: %v", err)
		}
	}
	if b, err := get(StreamMiscInfo, 24); err != nil || b == nil {
		return nil, fmt.Errorf("misc info: %v", err)
	} else {
		if le.Uint32(b) != uint32(len(b)) || le.Uint32(b[4:])&1 == 0 {
			return nil, fmt.Errorf("misc info size/flags %d %#x", le.Uint32(b), le.Uint32(b[4:]))
		}
		p.pid, p.createTime = le.Uint32(b[8:]), le.Uint32(b[12:])
	}
	if b, err := get(StreamThreadList, 4); err != nil || b == nil {
		return nil, fmt.Errorf("thread list: %v", err)
	} else {
		cnt := le.Uint32(b)
		if int(cnt)*threadSize+4 != len(b) {
			return nil, fmt.Errorf("thread list size %d for %d threads", len(b), cnt)
		}
		for i := 0; i < int(cnt); i++ {
			t := b[4+i*threadSize:]
			pt := parsedThread{id: le.Uint32(t), stackAddr: le.Uint64(t[24:]), stackSize: le.Uint32(t[32:]), stRVA: le.Uint32(t[36:])}
			if _, err := r.bytes(int64(pt.stRVA), int(pt.stackSize)); err != nil {
				return nil, fmt.Errorf("thread %d stack: %v", pt.id, err)
			}
			csz, crva := le.Uint32(t[40:]), le.Uint32(t[44:])
			c, err := r.bytes(int64(crva), int(csz))
			if err != nil || csz != ContextAMD64Size {
				return nil, fmt.Errorf("thread %d context (%d bytes): %v", pt.id, csz, err)
			}
			if le.Uint32(c[48:])&contextAMD64 == 0 {
				return nil, fmt.Errorf("thread %d context flags %#x", pt.id, le.Uint32(c[48:]))
			}
			pt.rsp, pt.rip = le.Uint64(c[152:]), le.Uint64(c[248:])
			p.threads = append(p.threads, pt)
		}
	}
	if b, err := get(StreamModuleList, 4); err != nil || b == nil {
		return nil, fmt.Errorf("module list: %v", err)
	} else {
		cnt := le.Uint32(b)
		if int(cnt)*moduleSize+4 != len(b) {
			return nil, fmt.Errorf("module list size %d for %d modules", len(b), cnt)
		}
		for i := 0; i < int(cnt); i++ {
			m := b[4+i*moduleSize:]
			pm := parsedModule{base: le.Uint64(m), size: le.Uint32(m[8:])}
			if pm.name, err = r.str(le.Uint32(m[20:])); err != nil {
				return nil, err
			}
			if le.Uint32(m[24:]) != vsFixedSignature {
				return nil, fmt.Errorf("module %s: VS_FIXEDFILEINFO signature", pm.name)
			}
			pm.fileVerMS = le.Uint32(m[32:])
			cvSize, cvRVA := le.Uint32(m[76:]), le.Uint32(m[80:])
			if cvSize > 0 {
				cv, err := r.bytes(int64(cvRVA), int(cvSize))
				if err != nil {
					return nil, err
				}
				pm.cvOK = le.Uint32(cv) == cvSignatureRSDS && cv[len(cv)-1] == 0
			}
			p.modules = append(p.modules, pm)
		}
	}
	if b, err := get(StreamMemoryList, 4); err != nil {
		return nil, err
	} else if b != nil {
		cnt := le.Uint32(b)
		if int(cnt)*memDescSize+4 != len(b) {
			return nil, fmt.Errorf("memory list size")
		}
		for i := 0; i < int(cnt); i++ {
			d := b[4+i*16:]
			pr := parsedRange{addr: le.Uint64(d), size: int64(le.Uint32(d[8:])), rva: int64(le.Uint32(d[12:]))}
			if pr.rva+pr.size > size {
				return nil, fmt.Errorf("memory range %d outside file", i)
			}
			p.ranges = append(p.ranges, pr)
		}
	}
	if b, err := get(StreamMemory64List, 16); err != nil {
		return nil, err
	} else if b != nil {
		cnt, base := le.Uint64(b), int64(le.Uint64(b[8:]))
		if int(cnt)*memDescSize+16 != len(b) {
			return nil, fmt.Errorf("memory64 list size")
		}
		rva := base
		for i := 0; i < int(cnt); i++ {
			d := b[16+i*16:]
			pr := parsedRange{addr: le.Uint64(d), size: int64(le.Uint64(d[8:])), rva: rva}
			rva += pr.size
			p.ranges = append(p.ranges, pr)
		}
		if rva > size {
			return nil, fmt.Errorf("memory64 data ends at %d past file size %d", rva, size)
		}
	}
	if b, err := get(StreamMemoryInfoList, memInfoHeaderSize); err != nil {
		return nil, err
	} else if b != nil {
		if le.Uint32(b) != memInfoHeaderSize || le.Uint32(b[4:]) != memInfoSize ||
			int(le.Uint64(b[8:]))*memInfoSize+memInfoHeaderSize != len(b) {
			return nil, fmt.Errorf("memory info list header")
		}
		p.memInfos = int(le.Uint64(b[8:]))
	}
	if b, err := get(StreamException, exceptionSize); err != nil {
		return nil, err
	} else if b != nil {
		p.excThread, p.excCode = le.Uint32(b), le.Uint32(b[8:])
	}
	return p, nil
}
