package symbols_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dumpflow/dumpflow/pkg/symbols"
)

// A local Breakpad store: <debug file>/<debug id>/<name>.sym. The frame's module is
// identified as the dump names it; the function and line come from the FUNC and line
// records, the x86 unwind rule from STACK WIN.
func Example_localStore() {
	dir, _ := os.MkdirTemp("", "symbols-example")
	defer os.RemoveAll(dir)
	id := "5A9832E5287241C1838ED98914E9B7FF1"
	sym := strings.Join([]string{
		"MODULE windows x86 " + id + " app.pdb",
		"FILE 1 c:\\src\\app.cc",
		"FUNC 4290 18 0 CrashFunction",
		"4290 4 56 1",
		"429b 9 58 1",
		"STACK WIN 4 4290 18 4 0 0 0 4 0 1 $T0 $ebp = $eip $T0 4 + ^ = $ebp $T0 ^ = $esp $T0 8 + =",
	}, "\n")
	os.MkdirAll(filepath.Join(dir, "app.pdb", id), 0o755)
	os.WriteFile(filepath.Join(dir, "app.pdb", id, "app.sym"), []byte(sym), 0o644)

	store, err := symbols.Open(dir, symbols.Options{CacheDir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	table, err := store.Load(context.Background(), symbols.Module{CodeFile: `C:\app\app.exe`, DebugFile: "app.pdb", DebugID: id})
	if err != nil {
		fmt.Println(err)
		return
	}
	const base, eip = 0x400000, 0x40429e
	fn, _ := table.Function(eip - base)
	fmt.Printf("app.exe!%s [%s : %d + %#x]\n", fn.Name, filepath.Base(strings.ReplaceAll(fn.File, `\`, "/")), fn.Line, eip-base-fn.LineEntry)
	fi, _ := table.FrameInfo(eip - base)
	fmt.Println("frame data:", fi.Program)
	// Output:
	// app.exe!CrashFunction [app.cc : 58 + 0x3]
	// frame data: $T0 $ebp = $eip $T0 4 + ^ = $ebp $T0 ^ = $esp $T0 8 + =
}

type stack map[uint64]uint64

func (s stack) ReadUint(addr uint64, size int) (uint64, error) {
	v, ok := s[addr]
	if !ok {
		return 0, fmt.Errorf("no memory at %#x", addr)
	}
	return v, nil
}

// A STACK WIN program recovers the caller's registers from the callee's.
func ExampleEvalProgram() {
	regs := map[string]uint64{"$ebp": 0x12fe88, "$esp": 0x12fe84, "$eip": 0x40429e}
	mem := stack{0x12fe88: 0x12ff70, 0x12fe8c: 0x404200} // saved ebp, return address
	caller, err := symbols.EvalProgram("$T0 $ebp = $eip $T0 4 + ^ = $ebp $T0 ^ = $esp $T0 8 + =", regs, mem)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("eip=%#x esp=%#x ebp=%#x\n", caller["$eip"], caller["$esp"], caller["$ebp"])
	// Output: eip=0x404200 esp=0x12fe90 ebp=0x12ff70
}
