package symbols

import (
	"fmt"
	"strings"
)

// moduleKey is a Module reduced to what names its symbols, validated so that it can be
// used as path segments: both come from the dump, which is untrusted input.
type moduleKey struct {
	file string // debug file base name, e.g. "test_app.pdb"
	id   string // debug id, hex
}

func (k moduleKey) String() string { return k.file + "/" + k.id }

// symName is the Breakpad symbol file name: the debug file without a ".pdb" extension,
// plus ".sym" (Breakpad's SimpleSymbolSupplier).
func (k moduleKey) symName() string {
	base := k.file
	if len(base) > 4 && strings.EqualFold(base[len(base)-4:], ".pdb") {
		base = base[:len(base)-4]
	}
	return base + ".sym"
}

func (k moduleKey) isPDB() bool {
	return len(k.file) > 4 && strings.EqualFold(k.file[len(k.file)-4:], ".pdb")
}

// keyOf validates m. The debug file may be a full path as a CodeView record stores it
// (c:\build\app.pdb); only its base name is used. Errors wrap ErrNotFound: a module the
// dump does not identify has no symbols anywhere.
func keyOf(m Module) (moduleKey, error) {
	name := m.DebugFile
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	switch {
	case m.DebugID == "":
		return moduleKey{}, fmt.Errorf("%w: module %s has no debug id (no CodeView record in the dump)", ErrNotFound, displayName(m))
	case name == "":
		return moduleKey{}, fmt.Errorf("%w: module %s has no debug file name", ErrNotFound, displayName(m))
	case name == "." || name == ".." || len(name) > 255 || strings.ContainsAny(name, ":*?\"<>|\x00") || hasControl(name):
		return moduleKey{}, fmt.Errorf("%w: module %s: debug file name %q cannot name a symbol file", ErrNotFound, displayName(m), name)
	case len(m.DebugID) > 64 || !isHex(m.DebugID):
		return moduleKey{}, fmt.Errorf("%w: module %s: debug id %q is not hexadecimal", ErrNotFound, displayName(m), m.DebugID)
	}
	return moduleKey{file: name, id: m.DebugID}, nil
}

func displayName(m Module) string {
	for _, s := range []string{m.CodeFile, m.DebugFile} {
		if s != "" {
			return fmt.Sprintf("%q", s)
		}
	}
	return "(unnamed)"
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}
