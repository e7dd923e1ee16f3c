package dumpfacts_test

import (
	"context"
	"fmt"

	"github.com/dumpflow/dumpflow/pkg/dumpfacts"
	"github.com/dumpflow/dumpflow/pkg/minidump"
	"github.com/dumpflow/dumpflow/test/kudusim/dumpgen"
)

// Parse a dump through io.ReaderAt and print why the process stopped and
// in which module.
func Example_crash() {
	spec := dumpgen.SampleSpec(4120, 0, 0) // a w3wp running .NET Framework
	t := spec.Threads[1]                   // its instruction pointer is in clr.dll
	spec.Exception = &dumpgen.Exception{ThreadID: t.ID, Code: 0xc00000fd, Address: t.RIP}
	dump, err := dumpgen.New(spec)
	if err != nil {
		panic(err)
	}

	r, err := minidump.NewReader(dump, dump.Size())
	if err != nil {
		panic(err)
	}
	a, err := dumpfacts.Analyze(context.Background(), r, dumpfacts.Options{})
	if err != nil {
		panic(err)
	}
	fmt.Println(a.Crash.Reason, "in", a.Crash.Location, "on thread", a.Crash.ThreadID)
	fmt.Println(a.Runtimes[0].Name, *a.Runtimes[0].Version)
	fmt.Println(a.Dump.Type, "dump,", len(a.Threads), "threads")
	// Output:
	// EXCEPTION_STACK_OVERFLOW in clr.dll+0x1210 on thread 4100
	// .NET Framework 4.8.9181.0
	// mini dump, 8 threads
}
