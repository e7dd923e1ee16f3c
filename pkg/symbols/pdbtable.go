package symbols

import (
	"fmt"

	"github.com/dumpflow/dumpflow/pkg/pdb"
)

// FromPDB builds a Table from a PDB's procedure symbols (as FUNC records, with their size
// but no line records) and its code public symbols (as PUBLIC records, as Breakpad's
// dump_syms writes only code publics). It has no CFI and no STACK WIN data: a PDB's
// frame data is not read yet. Names are as the PDB stores them (publics are decorated
// C++ names such as "?test_func@@YAHHH@Z"). The function and public choice is the one
// SymbolFile.Function makes.
func FromPDB(f *pdb.File) (*SymbolFile, error) {
	procs, err := f.Functions()
	if err != nil {
		return nil, fmt.Errorf("symbols: reading the PDB's functions: %w", err)
	}
	pubs, err := f.Publics()
	if err != nil {
		return nil, fmt.Errorf("symbols: reading the PDB's publics: %w", err)
	}
	p := parser{sf: &SymbolFile{files: map[int32]string{}}}
	p.sf.Module = ModuleRecord{OS: "windows", ID: f.DebugID()}
	for _, s := range procs {
		if s.RVA == 0 {
			continue // section unknown
		}
		idx := len(p.funcs)
		p.funcs = append(p.funcs, funcRec{name: s.Name})
		p.lines = append(p.lines, nil)
		if sp, ok := newSpan(uint64(s.RVA), uint64(s.Size), idx); ok {
			p.funcSpans = append(p.funcSpans, sp)
		} else {
			p.sf.Stats.Dropped++
		}
	}
	for _, s := range pubs {
		if !s.Function || s.RVA == 0 {
			continue
		}
		p.publics = append(p.publics, publicRec{addr: uint64(s.RVA), name: s.Name})
	}
	p.finish()
	return p.sf, nil
}
