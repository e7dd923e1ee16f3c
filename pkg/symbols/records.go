package symbols

import (
	"bytes"
	"strings"
)

// parser holds the records of a symbol file in file order until finish sorts them.
// Field syntax follows Breakpad's SymbolParseHelper (basic_source_line_resolver.cc),
// stricter on numbers: hexadecimal fields are bare hex digits (no sign, no 0x) that fit
// the field, decimal fields fit 32 bits. See docs/symbols.md.
type parser struct {
	sf        *SymbolFile
	funcs     []funcRec
	funcSpans []span
	lines     [][]lineRec // per entry of funcs
	cur       int         // index in funcs of the FUNC that line records belong to, -1 none
	publics   []publicRec
	winSpans  [2][]span
	cfiSpans  []span
	cfiDeltas []cfiDelta
	started   bool
	programs  map[string]string // STACK WIN programs repeat: keep one copy of each
	tok, tok2 [12]string        // field buffers, so splitting a record does not allocate
	btok      [4][]byte
}

func (p *parser) skip(reason string) {
	st := &p.sf.Stats
	st.Skipped++
	if st.FirstSkipped == 0 {
		st.FirstSkipped, st.FirstSkippedReason = st.Lines, reason
	}
}

func (p *parser) record(b []byte) {
	if !p.started {
		p.started, p.cur = true, -1
	}
	// Breakpad replaces NUL bytes inside the data with '_'.
	if bytes.IndexByte(b, 0) >= 0 {
		b = bytes.ReplaceAll(b, []byte{0}, []byte{'_'})
	}
	var ok bool
	var why string
	if !isKeyword(b) {
		// Line records are most of a file and keep no text: parse them from the bytes.
		ok, why = p.line(b)
	} else {
		s := string(b)
		switch {
		case strings.HasPrefix(s, "FILE "):
			ok, why = p.file(s[5:])
		case strings.HasPrefix(s, "STACK "):
			ok, why = p.stack(s[6:])
		case strings.HasPrefix(s, "FUNC "):
			ok, why = p.function(s[5:])
		case strings.HasPrefix(s, "PUBLIC "):
			p.cur = -1 // line records never follow a PUBLIC
			ok, why = p.public(s[7:])
		case strings.HasPrefix(s, "MODULE "):
			ok, why = p.module(s[7:])
		case strings.HasPrefix(s, "INFO "):
			ok, why = p.info(s[5:])
		case strings.HasPrefix(s, "INLINE_ORIGIN "):
			ok, why = p.inlineOrigin(s[14:])
		case strings.HasPrefix(s, "INLINE "):
			ok, why = p.inline(s[7:])
		}
	}
	if !ok {
		p.skip(why)
	}
}

// tokenizeOptional is tokenize for records with an optional leading flag ("m" in FUNC
// and PUBLIC): n counts the flag.
func (p *parser) tokenizeOptional(s, flag string, n int) ([]string, bool, bool) {
	t, ok := tokenize(p.tok[:], s, n-1)
	if !ok {
		return nil, false, false
	}
	if t[0] != flag {
		return t, false, true
	}
	last, ok := tokenize(p.tok2[:], t[len(t)-1], 2)
	if !ok {
		return nil, false, false
	}
	return append(t[1:len(t)-1], last...), true, true
}

func (p *parser) module(s string) (bool, string) {
	t, ok := tokenize(p.tok[:], s, 4)
	if !ok {
		return false, "MODULE: want <os> <arch> <id> <name>"
	}
	if p.sf.Module == (ModuleRecord{}) {
		p.sf.Module = ModuleRecord{OS: t[0], Arch: t[1], ID: t[2], Name: t[3]}
	}
	return true, ""
}

func (p *parser) info(s string) (bool, string) {
	// INFO CODE_ID <code id> [<file>]; other INFO records are housekeeping.
	if rest, ok := strings.CutPrefix(s, "CODE_ID "); ok {
		if id := firstField(strings.TrimLeft(rest, " ")); id != "" && p.sf.CodeID == "" {
			p.sf.CodeID = id
		}
	}
	return true, ""
}

func (p *parser) file(s string) (bool, string) {
	t, ok := tokenize(p.tok[:], s, 2)
	if !ok {
		return false, "FILE: want <id> <name>"
	}
	id, ok := dec(t[0], 0)
	if !ok {
		return false, "FILE: bad id"
	}
	if _, dup := p.sf.files[id]; !dup { // map insert: the first wins
		p.sf.files[id] = t[1]
	}
	return true, ""
}

func (p *parser) function(s string) (bool, string) {
	p.cur = -1
	t, multiple, ok := p.tokenizeOptional(s, "m", 5)
	if !ok {
		return false, "FUNC: want [m] <address> <size> <param size> <name>"
	}
	addr, ok1 := hex(t[0], 64)
	size, ok2 := hex(t[1], 64)
	param, ok3 := hex(t[2], 32)
	if !ok1 || !ok2 || !ok3 {
		return false, "FUNC: bad number"
	}
	idx := len(p.funcs)
	p.funcs = append(p.funcs, funcRec{name: t[3], param: uint32(param), multiple: multiple})
	p.lines = append(p.lines, nil)
	p.cur = idx // line records attach even if the range is refused, as in Breakpad
	if sp, ok := newSpan(addr, size, idx); ok {
		p.funcSpans = append(p.funcSpans, sp)
	} else {
		p.sf.Stats.Dropped++
	}
	return true, ""
}

func (p *parser) line(s []byte) (bool, string) {
	if p.cur < 0 {
		return false, "source line record without a FUNC"
	}
	t, ok := tokenize(p.btok[:], s, 4)
	if !ok {
		return false, "line record: want <address> <size> <line> <file id>"
	}
	addr, ok1 := hex(t[0], 64)
	size, ok2 := hex(t[1], 64)
	ln, ok3 := dec(t[2], 0)
	file, ok4 := dec(firstField(t[3]), 0)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return false, "line record: bad number"
	}
	sp, ok := newSpan(addr, size, 0)
	if !ok {
		p.sf.Stats.Dropped++
		return true, ""
	}
	p.lines[p.cur] = append(p.lines[p.cur], lineRec{lo: sp.lo, hi: sp.hi, line: ln, file: file})
	return true, ""
}

func (p *parser) public(s string) (bool, string) {
	t, multiple, ok := p.tokenizeOptional(s, "m", 4)
	if !ok {
		return false, "PUBLIC: want [m] <address> <param size> <name>"
	}
	addr, ok1 := hex(t[0], 64)
	param, ok2 := hex(t[1], 32)
	if !ok1 || !ok2 {
		return false, "PUBLIC: bad number"
	}
	// Breakpad accepts address 0 (seen in ntdll.pdb) but does not store it.
	if addr != 0 {
		p.publics = append(p.publics, publicRec{addr: addr, param: uint32(param), multiple: multiple, name: t[2]})
	}
	return true, ""
}

func (p *parser) inlineOrigin(s string) (bool, string) {
	// INLINE_ORIGIN <id> [<file id>] <name>: newer dump_syms moved the file id to INLINE,
	// and a name may start with digits, so only the id is checked.
	t, ok := tokenize(p.tok[:], s, 2)
	if !ok {
		return false, "INLINE_ORIGIN: want <id> <name>"
	}
	if _, ok := dec(t[0], 0); !ok {
		return false, "INLINE_ORIGIN: bad id"
	}
	p.sf.Stats.Inline++
	return true, ""
}

func (p *parser) inline(s string) (bool, string) {
	if p.cur < 0 {
		return false, "INLINE without a FUNC"
	}
	f := strings.Fields(s)
	// <nest level> <call site line> [<call site file id>] <origin id>, then <address> <size>
	// pairs: the call site file id came later (it is in LLDB's reader and newer dump_syms
	// output), so an odd field count has three leading numbers and an even one four.
	lead := 3
	if len(f)%2 == 0 {
		lead = 4
	}
	if len(f) < lead+2 {
		return false, "INLINE: want <level> <line> [<file>] <origin> <address> <size>..."
	}
	for i, v := range f {
		var ok bool
		if i < lead {
			_, ok = dec(v, 0)
		} else {
			_, ok = hex(v, 64)
		}
		if !ok {
			return false, "INLINE: bad number"
		}
	}
	p.sf.Stats.Inline++
	return true, ""
}

func (p *parser) stack(s string) (bool, string) {
	s = strings.TrimLeft(s, " ")
	kind, rest, _ := strings.Cut(s, " ")
	switch kind {
	case "WIN":
		return p.stackWin(rest)
	case "CFI":
		return p.stackCFI(rest)
	}
	return false, "STACK: unknown kind"
}

func (p *parser) stackWin(s string) (bool, string) {
	// <type> <rva> <code size> <prolog> <epilog> <params> <saved regs> <locals>
	// <max stack> <has program> <program string | allocates base pointer>
	t, ok := tokenize(p.tok[:], s, 11)
	if !ok {
		return false, "STACK WIN: want 11 fields"
	}
	typ, ok := hex(t[0], 32)
	if !ok || typ > 4 {
		return false, "STACK WIN: bad type"
	}
	rva, ok1 := hex(t[1], 64)
	size, ok2 := hex(t[2], 64)
	if !ok1 || !ok2 {
		return false, "STACK WIN: bad number"
	}
	var u [7]uint32
	for i := range u {
		v, ok := hex(t[3+i], 32)
		if !ok {
			return false, "STACK WIN: bad number"
		}
		u[i] = uint32(v)
	}
	fi := WinFrameInfo{
		Type: int(typ), RVA: rva, CodeSize: size,
		PrologSize: u[0], EpilogSize: u[1], ParameterSize: u[2], SavedRegisterSize: u[3],
		LocalSize: u[4], MaxStackSize: u[5], HasProgram: u[6] != 0,
	}
	if fi.HasProgram {
		if p.programs == nil {
			p.programs = map[string]string{}
		}
		prog, seen := p.programs[t[10]]
		if !seen {
			prog = t[10]
			p.programs[prog] = prog
		}
		fi.Program = prog
	} else {
		abp, ok := hex(firstField(t[10]), 32)
		if !ok {
			return false, "STACK WIN: bad allocates-base-pointer flag"
		}
		fi.AllocatesBasePointer = abp != 0
	}
	var slot int
	switch typ {
	case 4: // FrameData, preferred
		slot = 0
	case 0: // FPO
		slot = 1
	default: // TRAP, TSS, STANDARD: Breakpad stores them but never looks them up
		return true, ""
	}
	sp, ok := newSpan(rva, size, len(p.sf.wins))
	if !ok {
		p.sf.Stats.Dropped++
		return true, ""
	}
	p.sf.wins = append(p.sf.wins, fi)
	p.winSpans[slot] = append(p.winSpans[slot], sp)
	return true, ""
}

func (p *parser) stackCFI(s string) (bool, string) {
	s = strings.TrimLeft(s, " ")
	if rest, ok := strings.CutPrefix(s, "INIT "); ok {
		t, ok := tokenize(p.tok[:], rest, 3)
		if !ok {
			return false, "STACK CFI INIT: want <address> <size> <rules>"
		}
		addr, ok1 := hex(t[0], 64)
		size, ok2 := hex(t[1], 64)
		if !ok1 || !ok2 {
			return false, "STACK CFI INIT: bad number"
		}
		sp, ok := newSpan(addr, size, len(p.sf.cfiRules))
		if !ok {
			p.sf.Stats.Dropped++
			return true, ""
		}
		p.sf.cfiRules = append(p.sf.cfiRules, t[2])
		p.cfiSpans = append(p.cfiSpans, sp)
		return true, ""
	}
	t, ok := tokenize(p.tok[:], s, 2)
	if !ok {
		return false, "STACK CFI: want <address> <rules>"
	}
	addr, ok := hex(t[0], 64)
	if !ok {
		return false, "STACK CFI: bad address"
	}
	p.cfiDeltas = append(p.cfiDeltas, cfiDelta{addr: addr, rules: t[1]})
	return true, ""
}
