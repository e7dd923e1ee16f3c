// Command worker captures memory dumps of App Service apps through Kudu and
// streams them to blob storage.
//
//	worker serve   [--queue URL] [--blob URL] [--listen ADDR] …   consume CaptureJobs
//	worker capture --app RESOURCE_ID [--app …] --blob URL …       one-shot capture
//
// Every flag may also come from the environment as DUMPFLOW_<FLAG> (upper
// case, '-' as '_'; repeated flags comma-separated), e.g. DUMPFLOW_BLOB.
// main only wires; the core is pkg/worker.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/dumpflow/dumpflow/pkg/service"
)

type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{
	"serve":   {"consume CaptureJobs from the queue and capture them", runServe},
	"capture": {"capture dumps of apps now, without a queue (for on-call hands)", runCapture},
}

// errUsage marks a usage error (exit status 2).
var errUsage = errors.New("usage")

// errTargetsFailed is returned by capture when any target failed (exit 1,
// no extra message: the summary says what failed).
var errTargetsFailed = errors.New("some targets failed")

func main() {
	ctx, stop := service.SignalContext(context.Background())
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		switch {
		case errors.Is(err, flag.ErrHelp):
			os.Exit(2)
		case errors.Is(err, errTargetsFailed):
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "worker:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return fmt.Errorf("%w: a subcommand is required", errUsage)
		}
		return nil
	}
	c, ok := commands[args[0]]
	if !ok {
		usage(stderr)
		return fmt.Errorf("%w: unknown subcommand %q", errUsage, args[0])
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: worker <subcommand> [flags]")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "Flags may also be set as DUMPFLOW_<FLAG> environment variables (e.g. DUMPFLOW_BLOB).")
}
