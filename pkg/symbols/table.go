package symbols

import (
	"sort"
	"strings"
)

var _ Table = (*SymbolFile)(nil)

// Function returns the symbol covering rva the way Breakpad's BasicSourceLineResolver
// chooses it: the FUNC whose range contains rva, with the line record containing rva;
// otherwise the nearest PUBLIC at or below rva, but only when no FUNC lies between that
// PUBLIC and rva (a FUNC ending below rva bounds the PUBLIC's extent).
func (sf *SymbolFile) Function(rva uint64) (Function, bool) {
	i, in := findContaining(sf.funcSpans, rva)
	if in {
		f := &sf.funcs[i]
		fn := Function{Name: f.name, Entry: sf.funcSpans[i].lo, ParamSize: f.param}
		j := sort.Search(len(f.lines), func(j int) bool { return f.lines[j].hi >= rva })
		if j < len(f.lines) && f.lines[j].lo <= rva {
			l := f.lines[j]
			fn.File = sf.files[l.file]
			fn.Line = int(l.line)
			fn.LineEntry = l.lo
		}
		return fn, true
	}
	// i is the first FUNC above rva, so i-1 (if any) is the nearest one below it.
	k := sort.Search(len(sf.publics), func(k int) bool { return sf.publics[k].addr > rva }) - 1
	if k < 0 {
		return Function{}, false
	}
	pub := sf.publics[k]
	if i > 0 && pub.addr <= sf.funcSpans[i-1].lo {
		return Function{}, false
	}
	return Function{Name: pub.name, Entry: pub.addr, Public: true, ParamSize: pub.param}, true
}

// FrameInfo returns the innermost STACK WIN record of type 4 (FrameData) covering rva,
// else the innermost of type 0 (FPO), as Breakpad's FindWindowsFrameInfo prefers them.
func (sf *SymbolFile) FrameInfo(rva uint64) (WinFrameInfo, bool) {
	for _, segs := range sf.win {
		if i, ok := findContaining(segs, rva); ok {
			return sf.wins[segs[i].idx], true
		}
	}
	return WinFrameInfo{}, false
}

// CFI returns the rules of the STACK CFI INIT record covering rva with every delta record
// at an address from the INIT's start up to and including rva applied in address order.
// It returns false when no INIT covers rva or its rules are malformed; a malformed delta
// applies up to its first bad rule, as in Breakpad. Callers need both ".cfa" and ".ra"
// to unwind (Breakpad's CFIFrameInfo::FindCallerRegs refuses a frame without them).
func (sf *SymbolFile) CFI(rva uint64) (CFIRules, bool) {
	i, ok := findContaining(sf.cfiInit, rva)
	if !ok {
		return nil, false
	}
	init := sf.cfiInit[i]
	rules := CFIRules{}
	if !parseRuleSet(sf.cfiRules[init.idx], rules) {
		return nil, false
	}
	j := sort.Search(len(sf.cfiDeltas), func(j int) bool { return sf.cfiDeltas[j].addr >= init.lo })
	for ; j < len(sf.cfiDeltas) && sf.cfiDeltas[j].addr <= rva; j++ {
		parseRuleSet(sf.cfiDeltas[j].rules, rules)
	}
	return rules, true
}

// parseRuleSet applies "REG: EXPR REG: EXPR ..." to rules, as Breakpad's CFIRuleParser:
// a token ending in ':' names a register, the tokens up to the next name are its
// expression. Rules are applied as they are read; it returns false at the first rule
// with an empty name or expression (earlier rules stay applied).
func parseRuleSet(s string, rules CFIRules) bool {
	var name string
	var expr []string
	report := func() bool {
		if name == "" || len(expr) == 0 {
			return false
		}
		rules[name] = strings.Join(expr, " ")
		return true
	}
	for tok := range strings.FieldsSeq(s) {
		if strings.HasSuffix(tok, ":") {
			if len(tok) < 2 {
				return false
			}
			if name != "" || len(expr) > 0 {
				if !report() {
					return false
				}
			}
			name, expr = tok[:len(tok)-1], expr[:0]
			continue
		}
		expr = append(expr, tok)
	}
	return report()
}
