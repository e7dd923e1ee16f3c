package dumpfacts

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/dumpflow/dumpflow/pkg/minidump"
	"github.com/dumpflow/dumpflow/pkg/symbols"
)

// symbolCache loads each module's symbol table once per analysis and
// remembers which modules had none.
type symbolCache struct {
	store symbols.Store
	mu    sync.Mutex
	m     map[*minidump.Module]*symbolEntry
}

type symbolEntry struct {
	once sync.Once
	t    symbols.Table
	err  error
}

func newSymbolCache(s symbols.Store) *symbolCache {
	if s == nil {
		return nil
	}
	return &symbolCache{store: s, m: map[*minidump.Module]*symbolEntry{}}
}

// symbolModule names a module as symbol stores look it up.
func symbolModule(m *minidump.Module) symbols.Module {
	sm := symbols.Module{CodeFile: m.Name, CodeID: m.CodeID()}
	if m.CodeView != nil {
		sm.DebugFile = minidump.BaseName(m.CodeView.PDBName)
		sm.DebugID = m.CodeView.DebugID()
	}
	return sm
}

// table returns the module's symbols, or nil when no store has them.
func (c *symbolCache) table(ctx context.Context, m *minidump.Module) symbols.Table {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	e := c.m[m]
	if e == nil {
		e = &symbolEntry{}
		c.m[m] = e
	}
	c.mu.Unlock()
	e.once.Do(func() {
		sm := symbolModule(m)
		if sm.DebugFile == "" || sm.DebugID == "" {
			e.err = fmt.Errorf("%w: the module has no CodeView record", symbols.ErrNotFound)
			return
		}
		e.t, e.err = c.store.Load(ctx, sm)
	})
	return e.t
}

// report lists the modules whose symbols failed to load for a reason
// other than absence, sorted, for Analysis.Problems; and the names of
// modules looked up without success.
func (c *symbolCache) report() (problems, missing []string) {
	if c == nil {
		return nil, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for m, e := range c.m {
		switch {
		case e.err == nil:
		case errors.Is(e.err, symbols.ErrNotFound):
			missing = append(missing, m.BaseName())
		default:
			problems = append(problems, fmt.Sprintf("symbols for %s: %v", m.BaseName(), e.err))
		}
	}
	sort.Strings(problems)
	sort.Strings(missing)
	return problems, missing
}

// stackFrame describes a walked frame: its module, symbol and source line.
func (w *walker) stackFrame(f *frame, i int) StackFrame {
	out := StackFrame{Address: Hex(f.pc), Trust: f.trust}
	m := w.mods.find(f.lookupPC(i))
	if m == nil {
		return out
	}
	out.Module, out.Offset = m.BaseName(), Hex(f.pc-m.BaseOfImage)
	t := w.syms.table(w.ctx, m)
	if t == nil {
		return out
	}
	fn, ok := t.Function(f.lookupPC(i) - m.BaseOfImage)
	if !ok {
		return out
	}
	rva := f.pc - m.BaseOfImage
	out.Function = fn.Name
	if rva >= fn.Entry {
		out.FunctionOffset = Hex(rva - fn.Entry)
	}
	if fn.File != "" && fn.Line > 0 {
		out.File, out.Line = fn.File, fn.Line
		if rva >= fn.LineEntry {
			lo := Hex(rva - fn.LineEntry)
			out.LineOffset = &lo
		}
	}
	return out
}

// String renders the frame as Breakpad's minidump_stackwalk does:
// "module!function [file : line + 0xoff]", "module!function + 0xoff",
// "module + 0xoff", or the bare address outside every module. The file
// is its base name.
func (f StackFrame) String() string {
	switch {
	case f.Module == "":
		return fmt.Sprintf("%#x", uint64(f.Address))
	case f.Function == "":
		return fmt.Sprintf("%s + %#x", f.Module, uint64(f.Offset))
	case f.File != "" && f.LineOffset != nil:
		return fmt.Sprintf("%s!%s [%s : %d + %#x]", f.Module, f.Function, fileBase(f.File), f.Line, uint64(*f.LineOffset))
	}
	return fmt.Sprintf("%s!%s + %#x", f.Module, f.Function, uint64(f.FunctionOffset))
}

// Short is the frame as the stable frames[] list carries it:
// "module+0xoffset", or "0x…" outside every module.
func (f StackFrame) Short() string {
	if f.Module == "" {
		return Hex(f.Address).String()
	}
	return f.Module + "+" + f.Offset.String()
}

// fileBase strips directories written with either separator, as
// Breakpad's PathnameStripper does.
func fileBase(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}
