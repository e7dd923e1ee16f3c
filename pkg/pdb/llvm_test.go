package pdb

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// sharedPDBs holds two real MSVC PDBs and their executables (SOURCES.md
// there).
const sharedPDBs = "../../../shared/testdata/pdb"

// realPDBNames are the base names of the PDB/EXE pairs in sharedPDBs.
var realPDBNames = []string{"test-pdb", "test-pdb-types"}

// sharedPath returns the path of name in sharedPDBs, skipping the test
// when the shared test data is absent (failing it under CI=true).
func sharedPath(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(sharedPDBs, name)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s missing (shared test data is required in CI): %v", p, err)
		}
		t.Skipf("%s missing: shared test data absent, skipping", p)
	}
	return p
}

// expected reads testdata/NAME.KIND.txt without its "# " header lines.
func expected(t *testing.T, name, kind string) []string {
	t.Helper()
	fh, err := os.Open(filepath.Join("testdata", name+"."+kind+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var lines []string
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if !strings.HasPrefix(sc.Text(), "# ") {
			lines = append(lines, sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

func openShared(t *testing.T, name string) *File {
	t.Helper()
	f, err := Open(sharedPath(t, name+".pdb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// pubFlagsString formats S_PUB32 flags as llvm-pdbutil does.
func pubFlagsString(fl uint32) string {
	if fl == 0 {
		return "none"
	}
	var s []string
	for _, b := range []struct {
		bit  uint32
		name string
	}{{pubCode, "code"}, {pubFunction, "function"}, {pubManaged, "managed"}, {pubMSIL, "msil"}} {
		if fl&b.bit != 0 {
			s = append(s, b.name)
		}
	}
	return strings.Join(s, " | ")
}

// TestPublicsMatchLLVM lists each PDB's public symbols in the form
// `llvm-pdbutil dump -publics` prints them (record offset, size, name,
// flags, segment:offset, in its order) and compares the lines with the
// tool's output kept in testdata.
func TestPublicsMatchLLVM(t *testing.T) {
	for _, name := range realPDBNames {
		t.Run(name, func(t *testing.T) {
			f := openShared(t, name)
			pubs, err := f.publics()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range pubs {
				got = append(got,
					fmt.Sprintf("%d | S_PUB32 [size = %d] `%s`", p.rec.off, p.rec.size, p.sym.Name),
					fmt.Sprintf("flags = %s, addr = %04d:%04d", pubFlagsString(p.flags), p.sym.Segment, p.sym.Offset))
			}
			var want []string
			inRecords := false
			for _, l := range expected(t, name, "publics") {
				l = strings.TrimSpace(l)
				if l == "Records" {
					inRecords = true
					continue
				}
				if inRecords && l != "" {
					want = append(want, l)
				}
			}
			if len(want) == 0 {
				t.Fatal("no records in the expected output")
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("publics differ from llvm-pdbutil:\n got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			// The exported view agrees with the records.
			syms, err := f.Publics()
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range syms {
				if s != pubs[i].sym {
					t.Errorf("Publics()[%d] = %+v, want %+v", i, s, pubs[i].sym)
				}
			}
		})
	}
}

var (
	summaryGUID = regexp.MustCompile(`^\s*GUID: \{([0-9A-F-]+)\}$`)
	summaryAge  = regexp.MustCompile(`^\s*Age: (\d+)$`)
	summarySig  = regexp.MustCompile(`^\s*Signature: (\d+)$`)
)

// guidString formats a stored GUID as {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}
// without the braces.
func guidString(g [16]byte) string {
	return fmt.Sprintf("%08X-%04X-%04X-%X-%X", le.Uint32(g[:]), le.Uint16(g[4:]), le.Uint16(g[6:]), g[8:10], g[10:])
}

// TestSummaryMatchesLLVM checks GUID, age and signature against
// `llvm-pdbutil dump -summary`.
func TestSummaryMatchesLLVM(t *testing.T) {
	for _, name := range realPDBNames {
		t.Run(name, func(t *testing.T) {
			f := openShared(t, name)
			var guid, age, sig string
			for _, l := range expected(t, name, "summary") {
				if m := summaryGUID.FindStringSubmatch(l); m != nil {
					guid = m[1]
				} else if m := summaryAge.FindStringSubmatch(l); m != nil {
					age = m[1]
				} else if m := summarySig.FindStringSubmatch(l); m != nil {
					sig = m[1]
				}
			}
			if guid == "" || age == "" || sig == "" {
				t.Fatalf("summary lacks GUID/Age/Signature: %q %q %q", guid, age, sig)
			}
			if got := guidString(f.GUID()); got != guid {
				t.Errorf("GUID = %s, llvm-pdbutil says %s", got, guid)
			}
			if got := strconv.FormatUint(uint64(f.InfoAge()), 10); got != age {
				t.Errorf("InfoAge = %s, llvm-pdbutil says %s", got, age)
			}
			if got := strconv.FormatUint(uint64(f.Signature()), 10); got != sig {
				t.Errorf("Signature = %s, llvm-pdbutil says %s", got, sig)
			}
			// DebugID is the GUID without dashes plus the (DBI) age in hex.
			if want := strings.ReplaceAll(guid, "-", "") + strconv.FormatUint(uint64(f.Age()), 16); f.DebugID() != want {
				t.Errorf("DebugID = %s, want %s", f.DebugID(), want)
			}
		})
	}
}

var (
	procLine = regexp.MustCompile("^\\s*\\d+ \\| S_[GL]PROC32(?:_ID)? \\[size = \\d+\\] `(.*)`$")
	procAddr = regexp.MustCompile(`^\s*parent = \d+, end = \d+, addr = (\d{4}):(\d{4}), code size = (\d+)$`)
	secVA    = regexp.MustCompile(`^\s*([0-9A-F]+) virtual address$`)
)

// sectionVAs reads the sections' virtual addresses from `llvm-pdbutil
// dump -section-headers`.
func sectionVAs(t *testing.T, name string) []uint32 {
	t.Helper()
	var vas []uint32
	for _, l := range expected(t, name, "section-headers") {
		if m := secVA.FindStringSubmatch(l); m != nil {
			v, _ := strconv.ParseUint(m[1], 16, 32)
			vas = append(vas, uint32(v))
		}
	}
	if len(vas) == 0 {
		t.Fatal("no section headers in the expected output")
	}
	return vas
}

// TestFunctionsMatchLLVM compares Functions with the procedure records of
// `llvm-pdbutil dump -symbols` (name, segment:offset, code size), and
// every RVA with the section's virtual address from `dump
// -section-headers`.
func TestFunctionsMatchLLVM(t *testing.T) {
	for _, name := range realPDBNames {
		t.Run(name, func(t *testing.T) {
			f := openShared(t, name)
			vas := sectionVAs(t, name)
			lines := expected(t, name, "symbols")
			var want []string
			for i := 0; i+1 < len(lines); i++ {
				m := procLine.FindStringSubmatch(lines[i])
				if m == nil {
					continue
				}
				a := procAddr.FindStringSubmatch(lines[i+1])
				if a == nil {
					t.Fatalf("no address line after %q", lines[i])
				}
				seg, _ := strconv.Atoi(a[1])
				off, _ := strconv.Atoi(a[2])
				want = append(want, fmt.Sprintf("%s %04d:%04d size %s rva %#x", m[1], seg, off, a[3], vas[seg-1]+uint32(off)))
			}
			if len(want) == 0 {
				t.Fatal("no procedure records in the expected output")
			}
			fns, err := f.Functions()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range fns {
				if !s.Function {
					t.Errorf("%s: Function flag not set", s.Name)
				}
				got = append(got, fmt.Sprintf("%s %04d:%04d size %d rva %#x", s.Name, s.Segment, s.Offset, s.Size, s.RVA))
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("functions differ from llvm-pdbutil:\n got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			pubs, err := f.Publics()
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range pubs {
				if want := vas[p.Segment-1] + p.Offset; p.RVA != want {
					t.Errorf("public %s RVA = %#x, want %#x", p.Name, p.RVA, want)
				}
			}
		})
	}
}

// pdbBase is the file name of a PDB path as the linker wrote it (Windows
// separators).
func pdbBase(p string) string {
	if i := strings.LastIndexAny(p, `\/`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// TestCodeViewResolvesThroughSymbolStore reads each executable's CodeView
// record and finds its PDB in a Microsoft symbol-store layout
// (<pdb>/<GUID+age>/<pdb>) holding both PDBs, then checks the PDB found is
// the one the image names.
func TestCodeViewResolvesThroughSymbolStore(t *testing.T) {
	store := t.TempDir()
	ids := map[string]string{}
	for _, name := range realPDBNames {
		src := sharedPath(t, name+".pdb")
		f := openShared(t, name)
		dir := filepath.Join(store, name+".pdb", f.DebugID())
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		abs, err := filepath.Abs(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(abs, filepath.Join(dir, name+".pdb")); err != nil {
			t.Fatal(err)
		}
		ids[name] = f.DebugID()
	}
	if ids[realPDBNames[0]] == ids[realPDBNames[1]] {
		t.Fatalf("both PDBs have debug id %s; the lookup would prove nothing", ids[realPDBNames[0]])
	}
	for _, name := range realPDBNames {
		t.Run(name, func(t *testing.T) {
			exe, err := os.Open(sharedPath(t, name+".exe"))
			if err != nil {
				t.Fatal(err)
			}
			defer exe.Close()
			cv, err := ReadCodeView(exe)
			if err != nil {
				t.Fatal(err)
			}
			base := pdbBase(cv.PDBName)
			if base != name+".pdb" {
				t.Errorf("CodeView PDB name %q, want base %s.pdb", cv.PDBName, name)
			}
			if !strings.Contains(cv.PDBName, `\`) {
				t.Errorf("CodeView PDB name %q: expected the Windows path MSVC wrote", cv.PDBName)
			}
			f, err := Open(filepath.Join(store, base, cv.DebugID(), base))
			if err != nil {
				t.Fatalf("symbol store lookup for %s: %v", cv.DebugID(), err)
			}
			defer f.Close()
			if f.GUID() != cv.GUID || f.Age() != cv.Age || f.DebugID() != cv.DebugID() {
				t.Errorf("store PDB %s (age %d) does not match image %s (age %d)", f.DebugID(), f.Age(), cv.DebugID(), cv.Age)
			}
			if cv.DebugID() != ids[name] {
				t.Errorf("image debug id %s, its PDB's %s", cv.DebugID(), ids[name])
			}
		})
	}
}
