package minidump

import (
	"fmt"
	"strings"
)

// FixedFileInfo is VS_FIXEDFILEINFO, the version resource of a module.
type FixedFileInfo struct {
	Signature        uint32 // 0xfeef04bd when present
	StrucVersion     uint32
	FileVersionMS    uint32
	FileVersionLS    uint32
	ProductVersionMS uint32
	ProductVersionLS uint32
	FileFlagsMask    uint32
	FileFlags        uint32
	FileOS           uint32
	FileType         uint32
	FileSubtype      uint32
	FileDateMS       uint32
	FileDateLS       uint32
}

// fixedFileInfoSignature marks a VS_FIXEDFILEINFO that holds data.
const fixedFileInfoSignature = 0xfeef04bd

// FileVersion formats the file version as "a.b.c.d".
func (v *FixedFileInfo) FileVersion() string {
	return fmt.Sprintf("%d.%d.%d.%d", v.FileVersionMS>>16, v.FileVersionMS&0xffff, v.FileVersionLS>>16, v.FileVersionLS&0xffff)
}

// CodeView is a module's CodeView debug record: PDB 7.0 ("RSDS") or PDB
// 2.0 ("NB10").
type CodeView struct {
	Signature string // "RSDS" or "NB10"
	// GUID holds the PDB 7.0 GUID as stored (Data1, Data2, Data3 little-
	// endian, then Data4).
	GUID [16]byte
	// Sig is the PDB 2.0 signature (a timestamp).
	Sig     uint32
	Age     uint32
	PDBName string
}

// DebugID is the identifier symbol servers use: the GUID as 32 upper-case
// hex digits followed by the age in hex (Breakpad's "debug identifier"),
// or for NB10 the signature and age.
func (c *CodeView) DebugID() string {
	if c.Signature == "NB10" {
		return fmt.Sprintf("%08X%x", c.Sig, c.Age)
	}
	g := c.GUID
	return fmt.Sprintf("%08X%04X%04X%X%x", le.Uint32(g[:]), le.Uint16(g[4:]), le.Uint16(g[6:]), g[8:], c.Age)
}

// Module is MINIDUMP_MODULE with its name, version and CodeView record
// resolved.
type Module struct {
	BaseOfImage   uint64
	SizeOfImage   uint32
	CheckSum      uint32
	TimeDateStamp uint32
	// Name is the full path as recorded.
	Name string
	// Version is nil when the module has no version resource.
	Version  *FixedFileInfo
	CodeView *CodeView // nil when absent or unreadable
	cvLoc    Location
	miscLoc  Location
}

// BaseName is the file name without its directory ("ntdll.dll").
func (mod *Module) BaseName() string { return BaseName(mod.Name) }

// BaseName strips a Windows or POSIX directory from a path.
func BaseName(p string) string {
	if i := strings.LastIndexAny(p, `\/`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// Contains reports whether addr lies in the module's image.
func (mod *Module) Contains(addr uint64) bool {
	return addr >= mod.BaseOfImage && addr-mod.BaseOfImage < uint64(mod.SizeOfImage)
}

// CodeID is the identifier of the executable on a symbol server: the
// timestamp in upper-case hex followed by the image size in lower hex.
func (mod *Module) CodeID() string {
	return fmt.Sprintf("%08X%x", mod.TimeDateStamp, mod.SizeOfImage)
}

// moduleSize is sizeof(MINIDUMP_MODULE).
const moduleSize = 108

// Modules parses the ModuleList stream, in stream order (the main
// executable first, as Windows writes it).
func (m *Reader) Modules() ([]Module, error) {
	return lazy(m, "modules", func() ([]Module, error) {
		d, b, err := m.streamBytes(ModuleListStream)
		if err != nil {
			return nil, err
		}
		n, off, err := listCount(d, b, moduleSize, "ModuleList")
		if err != nil {
			return nil, err
		}
		n = capCount(n, m.limits().Modules)
		mods := make([]Module, 0, min(n, maxPrealloc))
		for i := uint64(0); i < n; i++ {
			e := b[off+int(i)*moduleSize:]
			mod := Module{BaseOfImage: le.Uint64(e), SizeOfImage: le.Uint32(e[8:]), CheckSum: le.Uint32(e[12:]),
				TimeDateStamp: le.Uint32(e[16:])}
			if vi := parseFixedFileInfo(e[24:76]); vi.Signature == fixedFileInfoSignature {
				mod.Version = &vi
			}
			mod.cvLoc = Location{le.Uint32(e[76:]), le.Uint32(e[80:])}
			mod.miscLoc = Location{le.Uint32(e[84:]), le.Uint32(e[88:])}
			name, err := m.readString(int64(le.Uint32(e[20:])), "module name")
			if err != nil {
				return nil, fmt.Errorf("module %d: %w", i, err)
			}
			mod.Name = name
			if mod.cvLoc.DataSize > 0 {
				cv, err := m.codeView(mod.cvLoc)
				if err != nil {
					return nil, fmt.Errorf("module %d (%s): %w", i, BaseName(name), err)
				}
				mod.CodeView = cv
			}
			mods = append(mods, mod)
		}
		return mods, nil
	})
}

func parseFixedFileInfo(b []byte) FixedFileInfo {
	var v [13]uint32
	for i := range v {
		v[i] = le.Uint32(b[i*4:])
	}
	return FixedFileInfo{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12]}
}

// maxCodeView bounds a CodeView record (a PDB path plus 24 bytes).
const maxCodeView = 4096

// codeView parses a CodeView record. Unknown signatures yield nil.
func (m *Reader) codeView(loc Location) (*CodeView, error) {
	if loc.DataSize > maxCodeView {
		return nil, formatErr(int64(loc.Rva), "CodeView record too large", loc.DataSize)
	}
	b, err := m.readLocation(loc, "CodeView record")
	if err != nil {
		return nil, err
	}
	if len(b) < 4 {
		return nil, nil
	}
	switch string(b[:4]) {
	case "RSDS":
		if len(b) < 24 {
			return nil, formatErr(int64(loc.Rva), "CodeView RSDS record too short", len(b))
		}
		cv := &CodeView{Signature: "RSDS", Age: le.Uint32(b[20:]), PDBName: cstring(b[24:])}
		copy(cv.GUID[:], b[4:20])
		return cv, nil
	case "NB10":
		if len(b) < 16 {
			return nil, formatErr(int64(loc.Rva), "CodeView NB10 record too short", len(b))
		}
		return &CodeView{Signature: "NB10", Sig: le.Uint32(b[8:]), Age: le.Uint32(b[12:]), PDBName: cstring(b[16:])}, nil
	}
	return nil, nil
}

// UnloadedModule is MINIDUMP_UNLOADED_MODULE.
type UnloadedModule struct {
	BaseOfImage   uint64
	SizeOfImage   uint32
	CheckSum      uint32
	TimeDateStamp uint32
	Name          string
}

// UnloadedModules parses the UnloadedModuleList stream.
func (m *Reader) UnloadedModules() ([]UnloadedModule, error) {
	return lazy(m, "unloaded", func() ([]UnloadedModule, error) {
		d, b, err := m.streamBytes(UnloadedModuleListStream)
		if err != nil {
			return nil, err
		}
		hdr, size, n, err := sizedHeader(d, b, 24, false, "UnloadedModuleList")
		if err != nil {
			return nil, err
		}
		n = capCount(n, m.limits().Modules)
		out := make([]UnloadedModule, 0, min(n, maxPrealloc))
		for i := uint64(0); i < n; i++ {
			e := b[uint64(hdr)+i*uint64(size):]
			u := UnloadedModule{BaseOfImage: le.Uint64(e), SizeOfImage: le.Uint32(e[8:]), CheckSum: le.Uint32(e[12:]),
				TimeDateStamp: le.Uint32(e[16:])}
			name, err := m.readString(int64(le.Uint32(e[20:])), "unloaded module name")
			if err != nil {
				return nil, err
			}
			u.Name = name
			out = append(out, u)
		}
		return out, nil
	})
}
