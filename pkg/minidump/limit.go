package minidump

import (
	"errors"
	"fmt"
	"sync"
)

// Limits bound the work a Reader does for any input, whatever its lists
// declare: each list accessor parses at most the first N entries of its
// stream (the declared count stays available from ListLength), and strings
// are decoded up to a total budget. A zero field means no limit. Every
// count is already checked against the stream size; limits matter because
// entries may all point at the same bytes (one stack, one name), so that a
// small file declares far more work than it holds.
type Limits struct {
	// Threads bounds ThreadList, ThreadInfoList and ThreadNames.
	Threads int
	// Modules bounds ModuleList and UnloadedModuleList.
	Modules int
	// Handles bounds HandleData.
	Handles int
	// Memory bounds MemoryList, Memory64List and MemoryInfoList.
	Memory int
	// StringBytes bounds the bytes of strings decoded (names, comments);
	// past it, reading a new string fails with an error matching ErrLimit.
	// A string read twice at one offset is decoded once.
	StringBytes int64
}

// ErrLimit means a Reader's Limits.StringBytes budget is spent.
var ErrLimit = errors.New("minidump: limit reached")

// limitState is a Reader's limits and what its strings have used.
type limitState struct {
	l       Limits
	mu      sync.Mutex
	used    int64
	strings map[int64]string
}

// SetLimits sets the Reader's limits. Call it before any accessor: parsed
// lists are cached as first parsed.
func (m *Reader) SetLimits(l Limits) {
	m.lim.mu.Lock()
	defer m.lim.mu.Unlock()
	m.lim.l = l
}

// capCount returns how many of n declared entries to parse under limit.
func capCount(n uint64, limit int) uint64 {
	if limit > 0 && n > uint64(limit) {
		return uint64(limit)
	}
	return n
}

func (m *Reader) limits() Limits {
	m.lim.mu.Lock()
	defer m.lim.mu.Unlock()
	return m.lim.l
}

// internString returns the string decoded at off before, if any.
func (m *Reader) internString(off int64) (string, bool) {
	m.lim.mu.Lock()
	defer m.lim.mu.Unlock()
	s, ok := m.lim.strings[off]
	return s, ok
}

// chargeString records a string of n bytes at off against the budget, or
// fails when it would exceed it.
func (m *Reader) chargeString(off int64, s string, what string) error {
	m.lim.mu.Lock()
	defer m.lim.mu.Unlock()
	if b := m.lim.l.StringBytes; b > 0 && m.lim.used+int64(len(s)) > b {
		return fmt.Errorf("%w: %s at %#x: strings already decoded total %d bytes, the limit is %d", ErrLimit, what, off, m.lim.used, b)
	}
	m.lim.used += int64(len(s))
	if m.lim.strings == nil {
		m.lim.strings = map[int64]string{}
	}
	m.lim.strings[off] = s
	return nil
}

// ListLength returns the number of entries the list stream t declares
// (checked against the stream's size), without parsing them. ErrNotPresent
// (wrapped) when the dump has no such stream.
func (m *Reader) ListLength(t StreamType) (uint64, error) {
	d, ok := m.Stream(t)
	if !ok {
		return 0, fmt.Errorf("%w: %s", ErrNotPresent, t)
	}
	hdr, err := m.readAt(int64(d.Rva), int64(min(d.DataSize, 16)), t.String()+" header")
	if err != nil {
		return 0, err
	}
	switch t {
	case ThreadListStream, ModuleListStream, MemoryListStream:
		entry := map[StreamType]uint64{ThreadListStream: 48, ModuleListStream: moduleSize, MemoryListStream: 16}[t]
		if len(hdr) < 4 {
			return 0, formatErr(int64(d.Rva), t.String()+" too short", len(hdr))
		}
		n := uint64(le.Uint32(hdr))
		first := uint64(4)
		if uint64(d.DataSize) != 4+n*entry && uint64(d.DataSize) == 8+n*entry {
			first = 8
		}
		_, err := table(d, first, n, entry, t.String())
		return n, err
	case ThreadNamesStream:
		if len(hdr) < 4 {
			return 0, formatErr(int64(d.Rva), t.String()+" too short", len(hdr))
		}
		n := uint64(le.Uint32(hdr))
		_, err := table(d, 4, n, 12, t.String())
		return n, err
	case Memory64ListStream:
		if len(hdr) < 16 {
			return 0, formatErr(int64(d.Rva), t.String()+" too short", len(hdr))
		}
		n := le.Uint64(hdr)
		_, err := table(d, 16, n, 16, t.String())
		return n, err
	case ThreadInfoListStream, UnloadedModuleListStream, HandleDataStream, MemoryInfoListStream:
		_, _, n, err := sizedHeader(d, hdr, 1, t == MemoryInfoListStream, t.String())
		return n, err
	}
	return 0, fmt.Errorf("minidump: %s is not a list stream", t)
}
