package dumpfacts

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/minidump"
	"github.com/dumpflow/dumpflow/pkg/symbols"
)

// sharedSymbols is the Breakpad symbol store of the shared test data.
const sharedSymbols = "../../../shared/testdata/symbols"

// breakpadTrusts reads the "Found by:" lines of thread n in the
// human-readable minidump_stackwalk output.
func breakpadTrusts(t *testing.T, path string, n int) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "Thread ") {
			in = strings.HasPrefix(line, "Thread "+strconv.Itoa(n)+" ")
			continue
		}
		if in && strings.HasPrefix(strings.TrimSpace(line), "Found by: ") {
			out = append(out, strings.TrimPrefix(strings.TrimSpace(line), "Found by: "))
		}
	}
	return out
}

// TestSymbolizedStackMatchesBreakpad walks minidump2.dmp with the shared
// Breakpad symbols: the crashing thread must read as Breakpad's
// symbolized walk (module, function, file, line and offset of every
// frame) and say how each frame was found as Breakpad does.
func TestSymbolizedStackMatchesBreakpad(t *testing.T) {
	dump := filepath.Join(sharedDumps, "breakpad", "minidump2.dmp")
	if _, err := os.Stat(dump); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s missing (shared test data is required in CI)", dump)
		}
		t.Skipf("%s absent: shared test data missing", dump)
	}
	store, err := symbols.Open(sharedSymbols, symbols.Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	r, err := minidump.Open(dump)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	a, err := Analyze(context.Background(), r, Options{Symbols: store})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Problems) > 0 {
		t.Errorf("problems: %v", a.Problems)
	}
	// The -m form: thread|frame|module|function|file|line|offset.
	raw, err := os.ReadFile(filepath.Join(sharedDumps, "breakpad", "minidump2.breakpad-stackwalk-m-symbols.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "0|") {
			want = append(want, line)
		}
	}
	th := a.Threads[*a.Crash.ThreadIndex]
	var got []string
	for i, f := range th.Stack {
		off := f.Offset
		switch {
		case f.LineOffset != nil:
			off = *f.LineOffset
		case f.Function != "":
			off = f.FunctionOffset
		}
		line := ""
		if f.Line > 0 {
			line = strconv.Itoa(f.Line)
		}
		got = append(got, strings.Join([]string{"0", strconv.Itoa(i), f.Module, f.Function, f.File, line, off.String()}, "|"))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("crashing thread:\n got\n%s\n want (Breakpad)\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	trusts := breakpadTrusts(t, filepath.Join(sharedDumps, "breakpad", "minidump2.breakpad-stackwalk-symbols.txt"), 0)
	var gotTrust []string
	for _, f := range th.Stack {
		gotTrust = append(gotTrust, f.Trust.Breakpad())
	}
	if strings.Join(gotTrust, ", ") != strings.Join(trusts, ", ") {
		t.Errorf("found by: %v, Breakpad %v", gotTrust, trusts)
	}
	// The human-readable form, as Breakpad prints frame 1.
	if len(th.Stack) > 1 {
		if s := th.Stack[1].String(); s != "test_app.exe!main [test_app.cc : 65 + 0x5]" {
			t.Errorf("frame 1 reads %q", s)
		}
	}
	if a.Crash.Symbol != "test_app.exe!`anonymous namespace'::CrashFunction [test_app.cc : 58 + 0x3]" {
		t.Errorf("crash.symbol = %q", a.Crash.Symbol)
	}
}
