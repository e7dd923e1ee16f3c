package symbols

import (
	"os"
	"path/filepath"
	"testing"
)

// sharedSymbols is the Breakpad symbol store in the repository's shared test data
// (two symbol files from Breakpad's own test data, see its SOURCES.md).
const sharedSymbols = "../../../shared/testdata/symbols"

// needShared returns the path of a file under the shared symbol store, skipping the test
// when the shared data is absent (failing under CI=true, where it must be present).
func needShared(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(sharedSymbols, rel)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared test data required in CI: %v", err)
		}
		t.Skipf("shared test data absent (%v); it lives beside the repository in ../shared", err)
	}
	return p
}

const (
	testAppSym  = "test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/test_app.sym"
	kernel32Sym = "kernel32.pdb/BCE8785C57B44245A669896B6A19B9542/kernel32.sym"
)

func sharedSymbolsPath(rel string) string { return filepath.Join(sharedSymbols, rel) }
