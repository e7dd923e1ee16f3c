package symbols

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var (
	testApp  = Module{CodeFile: `C:\test_app.exe`, DebugFile: "test_app.pdb", DebugID: "5A9832E5287241C1838ED98914E9B7FF1"}
	kernel32 = Module{CodeFile: `C:\WINDOWS\system32\kernel32.dll`, DebugFile: "kernel32.pdb", DebugID: "BCE8785C57B44245A669896B6A19B9542"}
)

const tinySym = "MODULE windows x86 0123456789ABCDEF0123456789ABCDEF1 tiny.pdb\nFUNC 1000 10 0 tiny_func\n1000 10 7 1\nFILE 1 tiny.c\n"

var tiny = Module{DebugFile: "tiny.pdb", DebugID: "0123456789ABCDEF0123456789ABCDEF1"}

func TestLocalStoreShared(t *testing.T) {
	needShared(t, testAppSym)
	s, err := Open(sharedSymbols, Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tab, err := s.Load(ctx, testApp)
	if err != nil {
		t.Fatal(err)
	}
	if fn, ok := tab.Function(0x429e); !ok || fn.Name != "`anonymous namespace'::CrashFunction" || fn.Line != 58 {
		t.Errorf("test_app 0x429e: %+v", fn)
	}
	// The CodeView record may carry the PDB's full build path.
	full := kernel32
	full.DebugFile = `c:\build\symbols\kernel32.pdb`
	if tab, err := s.Load(ctx, full); err != nil {
		t.Fatal(err)
	} else if fn, _ := tab.Function(0x16fd6); fn.Name != "BaseProcessStart" {
		t.Errorf("kernel32: %+v", fn)
	}
	other := testApp
	other.DebugID = "00000000000000000000000000000000F"
	if _, err := s.Load(ctx, other); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), sharedSymbols) {
		t.Errorf("unknown id: %v", err)
	}
}

func TestModuleKeysAreSafe(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "tiny.pdb", tiny.DebugID, "tiny.sym"), tinySym)
	// A file one level up that a traversal would reach.
	writeFile(t, filepath.Join(dir, "secret.sym"), tinySym)
	s, err := Open(dir, Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	bad := []Module{
		{DebugFile: "..", DebugID: "AB"},
		{DebugFile: "tiny.pdb", DebugID: "../../x"},
		{DebugFile: "tiny.pdb", DebugID: ""},
		{DebugFile: "", DebugID: "AB"},
		{DebugFile: "a\x00b.pdb", DebugID: "AB"},
		{DebugFile: `C:\..`, DebugID: "AB"},
	}
	for _, m := range bad {
		if _, err := s.Load(context.Background(), m); !errors.Is(err, ErrNotFound) {
			t.Errorf("Load(%+v) = %v, want ErrNotFound", m, err)
		}
	}
	// Only the base name of a path is used: "../../tiny.pdb" is "tiny.pdb".
	if _, err := s.Load(context.Background(), Module{DebugFile: "../../tiny.pdb", DebugID: tiny.DebugID}); err != nil {
		t.Errorf("path in debug file: %v", err)
	}
}

func TestMisplacedFileIsAnError(t *testing.T) {
	dir := t.TempDir()
	wrongID := "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF1"
	writeFile(t, filepath.Join(dir, "tiny.pdb", wrongID, "tiny.sym"), tinySym)
	s, err := Open(dir, Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Load(context.Background(), Module{DebugFile: "tiny.pdb", DebugID: wrongID})
	var le *LoadError
	if !errors.As(err, &le) || !errors.Is(err, ErrFormat) || errors.Is(err, ErrNotFound) {
		t.Errorf("misplaced file: %v", err)
	}
}

func TestSearchPathSyntax(t *testing.T) {
	dir := t.TempDir()
	f := newFetcher(Options{MaxDownload: 1, Timeout: time.Second})
	cases := []struct {
		spec  string
		kinds string // location types in order, or "error"
	}{
		{dir, "local"},
		{dir + ";" + dir + " , " + dir, "local local local"},
		{"https://symbols.example.com/v1", "http"},
		{"srv*" + dir + "*https://msdl.microsoft.com/download/symbols", "ms"},
		{"SRV*https://msdl.microsoft.com/download/symbols", "ms"},
		{"cache*" + dir + ";srv*https://msdl.microsoft.com/download/symbols;" + dir, "ms local"},
		{"srv*" + dir, "ms"},
		{"srv**https://msdl.microsoft.com/download/symbols", "ms"},
		{";;", "error"},
		{"", "error"},
		{dir + "/missing", "error"},
		{"srv*", "error"},
		{"symsrv*symsrv.dll*" + dir + "*https://x", "error"},
		{"ftp://example.com/syms", "error"},
		{"https://example.com/syms?x=1", "error"},
	}
	for _, c := range cases {
		locs, err := parseSearchPath(c.spec, dir, f, nil)
		var got string
		if err != nil {
			got = "error"
		} else {
			var kinds []string
			for _, l := range locs {
				switch l.(type) {
				case *localStore:
					kinds = append(kinds, "local")
				case *httpStore:
					kinds = append(kinds, "http")
				case *msServer:
					kinds = append(kinds, "ms")
				}
			}
			got = strings.Join(kinds, " ")
		}
		if got != c.kinds {
			t.Errorf("%q: %s (%v), want %s", c.spec, got, err, c.kinds)
		}
	}
	// cache*DIR applies to the srv* entries after it.
	other := t.TempDir()
	locs, err := parseSearchPath("cache*"+other+";srv*https://msdl.microsoft.com/download/symbols", dir, f, nil)
	if err != nil || locs[0].(*msServer).cache != other {
		t.Errorf("cache* not applied: %+v %v", locs, err)
	}
	// No cache at all for a server is an error that says how to fix it.
	if _, err := parseSearchPath("https://example.com", "", f, nil); err == nil || !strings.Contains(err.Error(), "CacheDir") {
		t.Errorf("no cache: %v", err)
	}
}

func TestMemoryCacheIsBounded(t *testing.T) {
	dir := t.TempDir()
	var mods []Module
	for i := range 4 {
		id := fmt.Sprintf("%032X1", i)
		writeFile(t, filepath.Join(dir, "m.pdb", id, "m.sym"), strings.Replace(tinySym, "0123456789ABCDEF0123456789ABCDEF1", id, 1))
		mods = append(mods, Module{DebugFile: "m.pdb", DebugID: id})
	}
	sf, err := Parse(strings.NewReader(tinySym))
	if err != nil {
		t.Fatal(err)
	}
	st, err := Open(dir, Options{MaxMemory: 2 * sf.approxBytes()})
	if err != nil {
		t.Fatal(err)
	}
	s := st.(*store)
	for _, m := range mods {
		if _, err := s.Load(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	s.mem.mu.Lock()
	n, used := s.mem.ll.Len(), s.mem.used
	s.mem.mu.Unlock()
	if n != 2 || used > 2*sf.approxBytes() {
		t.Errorf("cache holds %d tables, %d bytes; want 2 within the bound", n, used)
	}
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".download-") {
			t.Errorf("temporary file left behind: %s", p)
		}
		return nil
	})
}
