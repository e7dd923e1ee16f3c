package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/dumpflow/dumpflow/test/kudusim/dumpgen"
)

// writeDump writes one generated minidump (dumpgen.SampleSpec) to a file.
func writeDump(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("kudusim write-dump", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var size int64
	fs.Var(sizeFlag{&size}, "size", "exact dump size, e.g. 1GiB (required for full; 0 = natural size for mini)")
	typ := fs.String("type", "full", "mini or full")
	pid := fs.Uint("pid", 4120, "process id written to MiscInfo")
	exc := fs.Bool("exception", false, "add an ExceptionStream (access violation on the third thread); Kudu's dumps have none")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: kudusim write-dump --size SIZE --type mini|full [--pid N] [--exception] OUT.dmp\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usageError{err}
	}
	if fs.NArg() != 1 {
		return usageError{errors.New("write-dump needs exactly one output file")}
	}
	flags := uint64(dumpgen.MiniDumpIgnoreInaccessibleMemory)
	switch *typ {
	case "full":
		flags |= dumpgen.MiniDumpWithFullMemory
	case "mini":
	default:
		return usageError{fmt.Errorf("--type %q: want mini or full", *typ)}
	}
	if *pid == 0 || *pid > 1<<32-1 {
		return usageError{fmt.Errorf("--pid %d out of range", *pid)}
	}
	spec := dumpgen.SampleSpec(uint32(*pid), flags, size)
	if *exc {
		th := spec.Threads[2]
		spec.Exception = &dumpgen.Exception{ThreadID: th.ID, Code: 0xc0000005, Address: th.RIP}
	}
	d, err := dumpgen.New(spec)
	if err != nil {
		return usageError{err}
	}
	out := fs.Arg(0)
	f, err := os.Create(out)
	if err != nil {
		return fmt.Errorf("write-dump: %w", err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if _, err := d.WriteTo(bw); err != nil {
		f.Close()
		return fmt.Errorf("write-dump: writing %s: %w", out, err)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write-dump: writing %s: %w", out, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write-dump: closing %s: %w", out, err)
	}
	sum := d.SHA256()
	_, err = fmt.Fprintf(stdout, "wrote %s: %d bytes, sha256 %x\n", out, d.Size(), sum)
	return err
}
