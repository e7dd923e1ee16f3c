package minidump_test

import (
	"fmt"

	"github.com/dumpflow/dumpflow/pkg/minidump"
	"github.com/dumpflow/dumpflow/test/kudusim/dumpgen"
)

// Read a dump's modules and one thread's context without reading its
// memory: only the header, the directory and the streams asked for are
// read.
func Example_read() {
	dump, err := dumpgen.New(dumpgen.SampleSpec(4120, dumpgen.MiniDumpWithFullMemory, 256<<20))
	if err != nil {
		panic(err)
	}
	r, err := minidump.NewReader(dump, dump.Size()) // any io.ReaderAt: a file, a blob
	if err != nil {
		panic(err)
	}
	mods, _ := r.Modules()
	fmt.Println(len(mods), "modules, main:", mods[0].BaseName(), mods[0].Version.FileVersion())
	threads, _ := r.Threads()
	ctx, _ := r.ReadContext(threads[0].Context)
	fmt.Printf("thread %#x at %#x (%s)\n", threads[0].ID, ctx.PC(), ctx.Arch())
	fmt.Println("read less than 1 MiB:", r.BytesRead() < 1<<20)
	// Output:
	// 6 modules, main: w3wp.exe 10.0.20348.1
	// thread 0x1000 at 0x7ffd2c5f1000 (amd64)
	// read less than 1 MiB: true
}
