// Package minidumptest builds hostile minidumps for tests and benchmarks:
// valid headers whose lists are as long as the file allows and whose
// entries all point at the same bytes (one stack, one context, one name),
// the shape that amplifies a small file into unbounded work for a reader
// that expands every entry.
package minidumptest

import (
	"encoding/binary"
	"unicode/utf16"
)

// Hostile says how many entries each list has. NameLen is the length, in
// characters, of the one name every module, unloaded module, handle and
// thread name points at.
type Hostile struct {
	Threads, Modules, Unloaded, Handles, ThreadNames, MemoryRanges, MemoryInfos int
	NameLen                                                                     int
}

// Base is the image base of module i is Base + i*ModuleSpan; every stack
// word points into module 0, so a stack scan finds a frame at every word.
const (
	Base       = 0x7ff600000000
	ModuleSpan = 0x100000
	StackStart = 0x000000a000000000
	stackBytes = 32 << 10
)

var le = binary.LittleEndian

// Build returns the dump's bytes.
func (h Hostile) Build() []byte {
	type stream struct {
		typ  uint32
		data []byte
	}
	var streams []stream
	body := []byte{}
	const hdr = 32
	nStreams := 8
	base := uint32(hdr + 12*nStreams)
	blob := func(p []byte) uint32 {
		off := base + uint32(len(body))
		body = append(body, p...)
		return off
	}
	// The shared name, context and stack.
	name := make([]rune, max(h.NameLen, 1))
	for i := range name {
		name[i] = 'a' + rune(i%26)
	}
	u := utf16.Encode(name)
	sp := le.AppendUint32(nil, uint32(2*len(u)))
	for _, c := range u {
		sp = le.AppendUint16(sp, c)
	}
	nameRVA := blob(append(sp, 0, 0))
	ctx := make([]byte, 1232) // CONTEXT (amd64)
	le.PutUint32(ctx[0x30:], 0x10000b)
	le.PutUint64(ctx[152:], StackStart)  // Rsp
	le.PutUint64(ctx[248:], Base+0x1234) // Rip
	ctxRVA := blob(ctx)
	stack := make([]byte, stackBytes)
	for i := 0; i+8 <= len(stack); i += 8 {
		le.PutUint64(stack[i:], Base+0x2008+uint64(i))
	}
	stackRVA := blob(stack)

	if h.Threads > 0 {
		b := le.AppendUint32(nil, uint32(h.Threads))
		for i := range h.Threads {
			b = le.AppendUint32(b, uint32(i+1))
			b = append(b, make([]byte, 12)...)
			b = le.AppendUint64(b, 0x1000)
			b = le.AppendUint64(b, StackStart)
			b = le.AppendUint32(b, stackBytes)
			b = le.AppendUint32(b, stackRVA)
			b = le.AppendUint32(b, 1232)
			b = le.AppendUint32(b, ctxRVA)
		}
		streams = append(streams, stream{3, b})
	}
	if h.Modules > 0 {
		b := le.AppendUint32(nil, uint32(h.Modules))
		for i := range h.Modules {
			b = le.AppendUint64(b, Base+uint64(i)*ModuleSpan)
			b = le.AppendUint32(b, ModuleSpan)
			b = le.AppendUint32(b, 0)
			b = le.AppendUint32(b, 0x5f000000)
			b = le.AppendUint32(b, nameRVA)
			b = append(b, make([]byte, 108-24)...)
		}
		streams = append(streams, stream{4, b})
	}
	if h.Unloaded > 0 {
		b := le.AppendUint32(le.AppendUint32(le.AppendUint32(nil, 12), 24), uint32(h.Unloaded))
		for i := range h.Unloaded {
			b = le.AppendUint64(b, Base+uint64(i)*ModuleSpan)
			b = le.AppendUint32(b, ModuleSpan)
			b = le.AppendUint32(b, 0)
			b = le.AppendUint32(b, 0)
			b = le.AppendUint32(b, nameRVA)
		}
		streams = append(streams, stream{14, b})
	}
	if h.Handles > 0 {
		b := le.AppendUint32(le.AppendUint32(le.AppendUint32(le.AppendUint32(nil, 16), 32), uint32(h.Handles)), 0)
		for i := range h.Handles {
			b = le.AppendUint64(b, uint64(4*i+4))
			b = le.AppendUint32(b, nameRVA)
			b = le.AppendUint32(b, nameRVA)
			b = append(b, make([]byte, 16)...)
		}
		streams = append(streams, stream{12, b})
	}
	if h.ThreadNames > 0 {
		b := le.AppendUint32(nil, uint32(h.ThreadNames))
		for i := range h.ThreadNames {
			b = le.AppendUint32(b, uint32(i+1))
			b = le.AppendUint64(b, uint64(nameRVA))
		}
		streams = append(streams, stream{24, b})
	}
	if h.MemoryRanges > 0 {
		b := le.AppendUint32(nil, uint32(h.MemoryRanges))
		for i := range h.MemoryRanges {
			b = le.AppendUint64(b, StackStart+uint64(i+1)*0x100000)
			b = le.AppendUint32(b, stackBytes)
			b = le.AppendUint32(b, stackRVA)
		}
		streams = append(streams, stream{5, b})
	}
	if h.MemoryInfos > 0 {
		b := le.AppendUint64(le.AppendUint32(le.AppendUint32(nil, 16), 48), uint64(h.MemoryInfos))
		for i := range h.MemoryInfos {
			b = le.AppendUint64(b, uint64(i)*0x10000)
			b = le.AppendUint64(b, uint64(i)*0x10000)
			b = le.AppendUint32(b, 4)
			b = le.AppendUint32(b, 0)
			b = le.AppendUint64(b, 0x10000)
			b = le.AppendUint32(b, 0x1000)  // MEM_COMMIT
			b = le.AppendUint32(b, 4)       // PAGE_READWRITE
			b = le.AppendUint32(b, 0x20000) // MEM_PRIVATE
			b = le.AppendUint32(b, 0)
		}
		streams = append(streams, stream{16, b})
	}
	out := le.AppendUint32(nil, 0x504d444d) // MDMP
	out = le.AppendUint32(out, 0xa793)
	out = le.AppendUint32(out, uint32(len(streams)))
	out = le.AppendUint32(out, hdr)
	out = append(out, make([]byte, 16)...)
	var dir, data []byte
	off := base + uint32(len(body))
	for _, s := range streams {
		dir = le.AppendUint32(dir, s.typ)
		dir = le.AppendUint32(dir, uint32(len(s.data)))
		dir = le.AppendUint32(dir, off+uint32(len(data)))
		data = append(data, s.data...)
	}
	out = append(out, dir...)
	out = append(out, make([]byte, int(base)-len(out))...)
	out = append(out, body...)
	return append(out, data...)
}
