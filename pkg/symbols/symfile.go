package symbols

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// MaxLineLength bounds one record of a Breakpad symbol file. Longer lines (no real
// record comes near it: the longest are C++ names and STACK WIN programs of a few KiB)
// are skipped and counted in Stats.Skipped.
const MaxLineLength = 256 << 10

// SymbolFile is a parsed Breakpad text symbol file. It implements Table and is safe for
// concurrent use once Parse has returned (it is never modified afterwards).
type SymbolFile struct {
	Module ModuleRecord // the MODULE record (the first line)
	CodeID string       // from INFO CODE_ID, "" when absent
	Stats  Stats        // what the parser kept and skipped

	files     map[int32]string
	funcs     []funcRec // sorted by address; funcSpans[i].idx == i
	funcSpans []span
	publics   []publicRec // sorted by address, unique addresses
	win       [2][]span   // innermost-range segments: [0] type 4 FrameData, [1] type 0 FPO
	wins      []WinFrameInfo
	cfiInit   []span // sorted, disjoint; idx into cfiRules
	cfiRules  []string
	cfiDeltas []cfiDelta // sorted by address, unique addresses
}

// ModuleRecord is the MODULE line: "MODULE <os> <arch> <debug id> <debug file>".
type ModuleRecord struct {
	OS, Arch, ID, Name string
}

// Stats counts what Parse did with the records of a file.
type Stats struct {
	Lines   int // physical lines read
	Skipped int // malformed or over-long records, ignored (Breakpad logs and ignores them too)
	Dropped int // well-formed records Breakpad's range maps refuse: zero size, overlapping an earlier range, duplicate PUBLIC address
	Inline  int // INLINE and INLINE_ORIGIN records, parsed but not used (inlined frames are not reported yet)
	// FirstSkipped is the line number and reason of the first skipped record, for the log.
	FirstSkipped       int
	FirstSkippedReason string
}

type funcRec struct {
	name     string
	param    uint32
	multiple bool
	lines    []lineRec // sorted, disjoint
}

type lineRec struct {
	lo, hi uint64
	line   int32
	file   int32
}

type publicRec struct {
	addr     uint64
	param    uint32
	multiple bool
	name     string
}

type cfiDelta struct {
	addr  uint64
	rules string
}

// OpenFile parses the Breakpad symbol file at path.
func OpenFile(path string) (*SymbolFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sf, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return sf, nil
}

// Parse reads a Breakpad text symbol file from r (streamed: memory is proportional to the
// records kept, never to a line longer than MaxLineLength). The first record must be
// MODULE, otherwise the error wraps ErrFormat (a server's HTML error page is not a
// symbol file). Malformed records are skipped and counted in Stats, as Breakpad does;
// Parse never fails because of one bad record.
func Parse(r io.Reader) (*SymbolFile, error) {
	p := parser{sf: &SymbolFile{files: map[int32]string{}}}
	br := bufio.NewReaderSize(r, 64<<10)
	var long []byte // a line longer than the reader's buffer, being assembled
	tooLong := false
	sawModule := false
	for {
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if !tooLong {
				if len(long)+len(chunk) > MaxLineLength {
					tooLong, long = true, long[:0]
				} else {
					long = append(long, chunk...)
				}
			}
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("symbols: reading symbol file: %w", err)
		}
		line := chunk
		if tooLong || len(long) > 0 {
			if !tooLong && len(long)+len(chunk) > MaxLineLength {
				tooLong = true
			}
			if tooLong {
				line = nil
			} else {
				long = append(long, chunk...)
				line = long
			}
		}
		switch {
		case line == nil:
			p.sf.Stats.Lines++
			if !sawModule { // a binary file, not one with a bad record: stop reading it
				return nil, &FormatError{Line: p.sf.Stats.Lines, Msg: "not a Breakpad symbol file: the first line is longer than the limit"}
			}
			p.skip("line longer than the limit")
		case len(line) > 0:
			p.sf.Stats.Lines++
			// Breakpad splits on both \r and \n and ignores empty lines.
			for rec := range bytes.SplitSeq(bytes.TrimRight(line, "\r\n"), []byte{'\r'}) {
				if len(rec) == 0 {
					continue
				}
				if !sawModule {
					if !bytes.HasPrefix(rec, []byte("MODULE ")) {
						return nil, &FormatError{Line: p.sf.Stats.Lines, Msg: "not a Breakpad symbol file: the first record is not MODULE"}
					}
					sawModule = true
				}
				p.record(rec)
			}
		}
		long, tooLong = long[:0], false
		if err != nil { // io.EOF
			break
		}
	}
	if !sawModule {
		return nil, &FormatError{Msg: "not a Breakpad symbol file: empty"}
	}
	p.finish()
	return p.sf, nil
}

// finish turns the records, kept in file order while parsing, into the sorted,
// range-checked slices the lookups binary-search.
func (p *parser) finish() {
	sf := p.sf
	st := &sf.Stats

	// FUNC: exclusive ranges, the first stored wins (RangeMap). Lines likewise, per function.
	kept, d := exclusive(p.funcSpans)
	st.Dropped += d
	sf.funcs = make([]funcRec, len(kept))
	sf.funcSpans = make([]span, len(kept))
	for i, s := range kept {
		f := p.funcs[s.idx]
		lines, d := exclusiveLines(p.lines[s.idx])
		st.Dropped += d
		f.lines = lines
		sf.funcs[i] = f
		sf.funcSpans[i] = span{lo: s.lo, hi: s.hi, idx: int32(i)}
	}
	p.funcs, p.lines, p.funcSpans = nil, nil, nil

	// PUBLIC: AddressMap, the first at an address wins.
	pubs, d := byAddress(p.publics, func(r publicRec) uint64 { return r.addr }, false)
	st.Dropped += d
	sf.publics = pubs
	p.publics = nil

	// STACK WIN: nested ranges per type (ContainedRangeMap).
	for t := range sf.win {
		segs, d := nested(p.winSpans[t])
		st.Dropped += d
		sf.win[t] = segs
	}
	p.winSpans = [2][]span{}

	// STACK CFI INIT: exclusive; deltas: a map keyed by address, the last one wins.
	kept, d = exclusive(p.cfiSpans)
	st.Dropped += d
	sf.cfiInit = kept
	sf.cfiDeltas, _ = byAddress(p.cfiDeltas, func(r cfiDelta) uint64 { return r.addr }, true)
	p.cfiDeltas = nil
}

// byAddress sorts records by address (stably: file order within an address) and keeps one
// per address, the first or the last in file order. It returns how many it dropped.
func byAddress[T any](recs []T, addr func(T) uint64, keepLast bool) ([]T, int) {
	slices.SortStableFunc(recs, func(a, b T) int { return cmp.Compare(addr(a), addr(b)) })
	out := recs[:0]
	for _, r := range recs {
		if n := len(out); n > 0 && addr(out[n-1]) == addr(r) {
			if keepLast {
				out[n-1] = r
			}
			continue
		}
		out = append(out, r)
	}
	return slices.Clip(out), len(recs) - len(out)
}

func exclusiveLines(lines []lineRec) ([]lineRec, int) {
	spans := make([]span, len(lines))
	for i, l := range lines {
		spans[i] = span{lo: l.lo, hi: l.hi, idx: int32(i)}
	}
	kept, d := exclusive(spans)
	if d == 0 && len(kept) == len(lines) && sortedLines(lines) {
		return slices.Clip(lines), 0
	}
	out := make([]lineRec, len(kept))
	for i, s := range kept {
		out[i] = lines[s.idx]
	}
	return out, d
}

func sortedLines(lines []lineRec) bool {
	for i := 1; i < len(lines); i++ {
		if lines[i].lo <= lines[i-1].hi {
			return false
		}
	}
	return true
}
